/* SPDX-License-Identifier: MIT */
/*
 * An io_uring read on a port descriptor receives a Mach message without a
 * second system call (raw io_uring syscalls: liburing is not required).
 */
#include <mach/mach.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "harness.h"


struct ring {
	int fd;
	struct io_uring_params p;
	void *sq, *cq;
	struct io_uring_sqe *sqes;
};

static int ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return -1;
	r->sq = mmap(NULL, r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe),
		     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	return (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED) ? -1 : 0;
}

/* Submits one read of `len` bytes from `fd` into `buf` and waits for it. */
static int ring_read(struct ring *r, int fd, void *buf, unsigned len)
{
	unsigned *tail = (unsigned *)((char *)r->sq + r->p.sq_off.tail);
	unsigned *mask = (unsigned *)((char *)r->sq + r->p.sq_off.ring_mask);
	unsigned *array = (unsigned *)((char *)r->sq + r->p.sq_off.array);
	unsigned t = *tail, idx = t & *mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = (__u64)-1;
	array[idx] = idx;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -1000;
	unsigned *head = (unsigned *)((char *)r->cq + r->p.cq_off.head);
	unsigned *cmask = (unsigned *)((char *)r->cq + r->p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)((char *)r->cq + r->p.cq_off.cqes);
	unsigned h = __atomic_load_n(head, __ATOMIC_ACQUIRE);
	int res = cqes[h & *cmask].res;

	__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
	return res;
}

TEST(io_uring_read_receives_a_message)
{
	struct ring r;
	mach_port_t p;
	int fd;
	struct {
		mach_msg_header_t h;
		char data[16];
		mach_msg_max_trailer_t t;
	} m, got;

	if (ring_init(&r) != 0)
		FAILF("io_uring_setup failed (CONFIG_IO_URING?)");
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	fd = machipc_port_fd(p, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO));
	EXPECT_TRUE(fd >= 0);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_size = sizeof(m.h) + sizeof(m.data);
	m.h.msgh_remote_port = p;
	m.h.msgh_id = 4711;
	strcpy(m.data, "via io_uring");
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	memset(&got, 0, sizeof(got));
	EXPECT_EQ(ring_read(&r, fd, &got, sizeof(got)), sizeof(m.h) + sizeof(m.data) + sizeof(mach_msg_seqno_trailer_t));
	EXPECT_EQ(got.h.msgh_id, 4711);
	EXPECT_EQ(got.h.msgh_local_port, p);
	EXPECT_EQ(strcmp(got.data, "via io_uring"), 0);
	/* And the next one, the same way. */
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	EXPECT_TRUE(ring_read(&r, fd, &got, sizeof(got)) > 0);
	close(fd);
	close(r.fd);
}
