/* SPDX-License-Identifier: MIT */
/* mach_msg() as a macOS program uses it, with XNU's exact results. */
#include <mach/mach.h>
#include <mach/notify.h>
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

/* A name that is never allocated in these tests' small spaces. */
#define BOGUS_NAME ((mach_port_name_t)0x7ff0f03)

typedef struct {
	mach_msg_header_t h;
	int32_t data[4];
} simple_msg_t;

typedef struct {
	mach_msg_header_t h;
	char body[1024];
	mach_msg_max_trailer_t trailer;
} rcv_buf_t;

typedef struct {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t d[4];
} port_msg_t;

static mach_port_t new_receive(void)
{
	mach_port_t p = MACH_PORT_NULL;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	EXPECT_TRUE(MACH_PORT_VALID(p));
	return p;
}

static mach_port_t new_send_receive(void)
{
	mach_port_t p = new_receive();

	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	return p;
}

static mach_port_type_t ptype(mach_port_t name)
{
	mach_port_type_t t = 0;

	KR_OK(mach_port_type(mach_task_self(), name, &t));
	return t;
}

static mach_port_urefs_t send_refs(mach_port_t name)
{
	mach_port_urefs_t r = 0;

	KR_OK(mach_port_get_refs(mach_task_self(), name, MACH_PORT_RIGHT_SEND, &r));
	return r;
}

static void fill_simple(simple_msg_t *m, mach_port_t dest, mach_msg_type_name_t dd,
			mach_port_t reply, mach_msg_type_name_t rd, mach_msg_id_t id)
{
	memset(m, 0, sizeof(*m));
	m->h.msgh_bits = MACH_MSGH_BITS(dd, rd);
	m->h.msgh_size = sizeof(*m);
	m->h.msgh_remote_port = dest;
	m->h.msgh_local_port = reply;
	m->h.msgh_id = id;
	for (int i = 0; i < 4; i++)
		m->data[i] = id * 10 + i;
}

static mach_msg_return_t send_simple_opt(mach_port_t dest, mach_msg_type_name_t dd, mach_port_t reply,
					 mach_msg_type_name_t rd, mach_msg_id_t id,
					 mach_msg_option_t opt, mach_msg_timeout_t to)
{
	simple_msg_t m;

	fill_simple(&m, dest, dd, reply, rd, id);
	return mach_msg(&m.h, MACH_SEND_MSG | opt, sizeof(m), 0, MACH_PORT_NULL, to, MACH_PORT_NULL);
}

static mach_msg_return_t send_simple(mach_port_t dest, mach_msg_type_name_t dd, mach_port_t reply,
				     mach_msg_type_name_t rd, mach_msg_id_t id)
{
	return send_simple_opt(dest, dd, reply, rd, id, 0, MACH_MSG_TIMEOUT_NONE);
}

/* Receive with a timeout in ms (MACH_RCV_TIMEOUT); FOREVER blocks. */
#define FOREVER (-1)
static mach_msg_return_t rcv(mach_port_t name, rcv_buf_t *b, mach_msg_option_t opt, int to)
{
	memset(b, 0xa5, sizeof(*b));
	if (to >= 0)
		opt |= MACH_RCV_TIMEOUT;
	return mach_msg(&b->h, MACH_RCV_MSG | opt, 0, sizeof(*b), name,
			to >= 0 ? (mach_msg_timeout_t)to : MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

static void check_data(const rcv_buf_t *b, mach_msg_id_t id)
{
	const int32_t *d = (const int32_t *)b->body;

	EXPECT_EQ(b->h.msgh_id, id);
	EXPECT_EQ(b->h.msgh_size, sizeof(simple_msg_t));
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(d[i], id * 10 + i);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- simple */

TEST(simple_send_receive_exact_header)
{
	mach_port_t p = new_send_receive(), r = new_receive();
	simple_msg_t m;
	rcv_buf_t b;
	const char text[] = "hello, mach!";

	fill_simple(&m, p, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 4242);
	memcpy(m.data, text, sizeof(text) < sizeof(m.data) ? sizeof(text) : sizeof(m.data));
	m.h.msgh_voucher_port = MACH_PORT_NULL;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	EXPECT_EQ(send_refs(p), 1);

	KR_OK(rcv(p, &b, 0, FOREVER));
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
	EXPECT_EQ(b.h.msgh_size, sizeof(simple_msg_t));
	EXPECT_EQ(b.h.msgh_local_port, p);
	EXPECT_TRUE(MACH_PORT_VALID(b.h.msgh_remote_port));
	EXPECT_NE(b.h.msgh_remote_port, r);
	EXPECT_EQ(b.h.msgh_voucher_port, 0);
	EXPECT_EQ(b.h.msgh_id, 4242);
	EXPECT_EQ(ptype(b.h.msgh_remote_port), MACH_PORT_TYPE_SEND_ONCE);
	EXPECT_TRUE(memcmp(b.body, text, 12) == 0);
}

TEST(simple_no_reply_bits)
{
	mach_port_t p = new_send_receive();
	rcv_buf_t b;

	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 7));
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
	EXPECT_EQ(b.h.msgh_remote_port, MACH_PORT_NULL);
	EXPECT_EQ(b.h.msgh_local_port, p);
	check_data(&b, 7);
}

/* --------------------------------------------------------- dispositions */

TEST(dest_make_send)
{
	mach_port_t p = new_receive();
	rcv_buf_t b;

	KR_OK(send_simple(p, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 1));
	/* No send right stays behind in the sender */
	EXPECT_EQ(ptype(p), MACH_PORT_TYPE_RECEIVE);
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
	EXPECT_EQ(b.h.msgh_local_port, p);
	check_data(&b, 1);
	EXPECT_EQ(ptype(p), MACH_PORT_TYPE_RECEIVE);
}

TEST(dest_copy_send_keeps_urefs)
{
	mach_port_t p = new_send_receive();
	rcv_buf_t b;

	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, 2));
	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 2));
	EXPECT_EQ(send_refs(p), 3);
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
	check_data(&b, 2);
	EXPECT_EQ(send_refs(p), 3);
}

TEST(dest_move_send_consumes_urefs)
{
	mach_port_t p = new_send_receive();
	rcv_buf_t b;

	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, 1));
	KR_OK(send_simple(p, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, 0, 3));
	EXPECT_EQ(send_refs(p), 1);
	KR_OK(send_simple(p, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, 0, 4));
	EXPECT_EQ(ptype(p), MACH_PORT_TYPE_RECEIVE);
	/* No send right left to move */
	KR(send_simple(p, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, 0, 5), MACH_SEND_INVALID_DEST);
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
	check_data(&b, 3);
	KR_OK(rcv(p, &b, 0, 1000));
	check_data(&b, 4);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(dest_make_send_once)
{
	mach_port_t p = new_receive();
	rcv_buf_t b;

	KR_OK(send_simple(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_NULL, 0, 6));
	EXPECT_EQ(ptype(p), MACH_PORT_TYPE_RECEIVE);
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
	EXPECT_EQ(b.h.msgh_local_port, p);
	check_data(&b, 6);
}

TEST(reply_move_send_once)
{
	mach_port_t p = new_send_receive(), r = new_receive(), so;
	rcv_buf_t b;
	mach_port_type_t t;

	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 10));
	KR_OK(rcv(p, &b, 0, 1000));
	so = b.h.msgh_remote_port;
	EXPECT_EQ(ptype(so), MACH_PORT_TYPE_SEND_ONCE);

	KR_OK(send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 11));
	KR(mach_port_type(mach_task_self(), so, &t), KERN_INVALID_NAME);
	KR(send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 12), MACH_SEND_INVALID_DEST);

	KR_OK(rcv(r, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
	EXPECT_EQ(b.h.msgh_local_port, r);
	EXPECT_EQ(b.h.msgh_remote_port, MACH_PORT_NULL);
	check_data(&b, 11);
	KR(rcv(r, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

static void *rpc_server(void *arg)
{
	mach_port_t p = (mach_port_t)(uintptr_t)arg;
	rcv_buf_t b;
	simple_msg_t rep;
	const int32_t *d = (const int32_t *)b.body;

	KR_OK(rcv(p, &b, 0, FOREVER));
	EXPECT_EQ(MACH_MSGH_BITS_REMOTE(b.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
	fill_simple(&rep, b.h.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0,
		    b.h.msgh_id + 100);
	rep.data[3] = d[0] + d[1] + d[2] + d[3];
	KR_OK(mach_msg(&rep.h, MACH_SEND_MSG, sizeof(rep), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	return NULL;
}

TEST(rpc_send_and_receive_in_one_call)
{
	mach_port_t p = new_send_receive(), r = new_receive();
	pthread_t th;
	union {
		simple_msg_t req;
		rcv_buf_t rep;
	} u;
	const int32_t *d = (const int32_t *)u.rep.body;

	EXPECT_EQ(pthread_create(&th, NULL, rpc_server, (void *)(uintptr_t)p), 0);
	fill_simple(&u.req, p, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 20);
	KR_OK(mach_msg(&u.req.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(u.req), sizeof(u.rep), r,
		       MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL));
	EXPECT_EQ(u.rep.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
	EXPECT_EQ(u.rep.h.msgh_local_port, r);
	EXPECT_EQ(u.rep.h.msgh_remote_port, MACH_PORT_NULL);
	EXPECT_EQ(u.rep.h.msgh_id, 120);
	EXPECT_EQ(u.rep.h.msgh_size, sizeof(simple_msg_t));
	EXPECT_EQ(d[0], 1200);
	EXPECT_EQ(d[3], 200 + 201 + 202 + 203);
	pthread_join(th, NULL);
	EXPECT_EQ(send_refs(p), 1);
}

/* ---------------------------------------------------------------- errors */

TEST(send_size_too_small_or_unaligned)
{
	mach_port_t p = new_send_receive();
	simple_msg_t m;
	rcv_buf_t b;
	static const mach_msg_size_t sizes[] = { 0, 4, 20, 23, 25, 26, 27, 30, 38 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fill_simple(&m, p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1);
		KR(mach_msg(&m.h, MACH_SEND_MSG, sizes[i], 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
		   MACH_SEND_MSG_TOO_SMALL);
	}
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
	/* A bare header is fine */
	fill_simple(&m, p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(mach_msg_header_t), 0, MACH_PORT_NULL, 0,
		       MACH_PORT_NULL));
	KR_OK(rcv(p, &b, 0, 0));
	EXPECT_EQ(b.h.msgh_size, sizeof(mach_msg_header_t));
}

TEST(send_invalid_dest)
{
	mach_port_t p = new_receive(), s, d;

	KR(send_simple(BOGUS_NAME, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_DEST);
	KR(send_simple(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_DEST);
	KR(send_simple(MACH_PORT_DEAD, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_DEST);
	/* A receive right alone cannot be copied as a send right */
	KR(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_DEST);
	KR(send_simple(p, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_DEST);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &s));
	KR(send_simple(s, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_DEST);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &d));
	KR(send_simple(d, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_DEST);
}

TEST(send_invalid_header_dispositions)
{
	mach_port_t p = new_send_receive(), r = new_receive();
	rcv_buf_t b;

	KR(send_simple(p, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_HEADER);
	KR(send_simple(p, 0, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_HEADER);
	KR(send_simple(p, 30, MACH_PORT_NULL, 0, 1), MACH_SEND_INVALID_HEADER);
	/* Reply disposition must be a send type too */
	KR(send_simple(p, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MOVE_RECEIVE, 1), MACH_SEND_INVALID_HEADER);
	/* A reply name without a disposition */
	KR(send_simple(p, MACH_MSG_TYPE_COPY_SEND, r, 0, 1), MACH_SEND_INVALID_HEADER);
	/* MOVE_RECEIVE dest is checked before the null dest name */
	KR(send_simple(MACH_PORT_NULL, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_PORT_NULL, 0, 1),
	   MACH_SEND_INVALID_HEADER);
	EXPECT_EQ(ptype(p), MACH_PORT_TYPE_SEND_RECEIVE);
	EXPECT_EQ(ptype(r), MACH_PORT_TYPE_RECEIVE);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(send_invalid_reply_leaves_dest_alone)
{
	mach_port_t p = new_send_receive(), d;
	rcv_buf_t b;

	KR(send_simple(p, MACH_MSG_TYPE_MOVE_SEND, BOGUS_NAME, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1),
	   MACH_SEND_INVALID_REPLY);
	KR(send_simple(p, MACH_MSG_TYPE_MOVE_SEND, BOGUS_NAME, MACH_MSG_TYPE_COPY_SEND, 1),
	   MACH_SEND_INVALID_REPLY);
	EXPECT_EQ(send_refs(p), 1);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
	/* XNU HEAD ipc_kmsg_copyin_header_rights(): a reply entry without port
	 * rights (a dead name) is MACH_SEND_INVALID_REPLY. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &d));
	KR(send_simple(p, MACH_MSG_TYPE_MOVE_SEND, d, MACH_MSG_TYPE_COPY_SEND, 1), MACH_SEND_INVALID_REPLY);
	EXPECT_EQ(send_refs(p), 1);
}

TEST(send_invalid_data_pointer)
{
	mach_port_t p = new_send_receive();
	long pg = sysconf(_SC_PAGESIZE);
	char *area = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mach_msg_header_t *h;
	rcv_buf_t b;

	EXPECT_TRUE(area != MAP_FAILED);
	EXPECT_EQ(mprotect(area + pg, pg, PROT_NONE), 0);
	/* The header is readable, the body runs into an unmapped page. */
	h = (mach_msg_header_t *)(area + pg - sizeof(*h));
	h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	h->msgh_size = sizeof(*h) + 64;
	h->msgh_remote_port = p;
	h->msgh_local_port = MACH_PORT_NULL;
	h->msgh_voucher_port = MACH_PORT_NULL;
	h->msgh_id = 1;
	KR(mach_msg(h, MACH_SEND_MSG, sizeof(*h) + 64, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	   MACH_SEND_INVALID_DATA);
	EXPECT_EQ(send_refs(p), 1);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(receive_invalid_name)
{
	mach_port_t p = new_send_receive(), d, so;
	rcv_buf_t b;

	KR(rcv(BOGUS_NAME, &b, 0, 0), MACH_RCV_INVALID_NAME);
	KR(rcv(MACH_PORT_NULL, &b, 0, 0), MACH_RCV_INVALID_NAME);
	KR(rcv(MACH_PORT_DEAD, &b, 0, 0), MACH_RCV_INVALID_NAME);
	KR(rcv(mach_task_self(), &b, 0, 0), MACH_RCV_INVALID_NAME);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &d));
	KR(rcv(d, &b, 0, 0), MACH_RCV_INVALID_NAME);
	/* A send-once right (received in a message) names no receive right */
	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1));
	KR_OK(rcv(p, &b, 0, 0));
	so = b.h.msgh_remote_port;
	EXPECT_EQ(ptype(so), MACH_PORT_TYPE_SEND_ONCE);
	KR(rcv(so, &b, 0, 0), MACH_RCV_INVALID_NAME);
}

TEST(receive_invalid_buffer)
{
	mach_port_t p = new_send_receive();
	rcv_buf_t b;

	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1));
	memset(&b, 0, sizeof(b));
	/* A separate, bad receive buffer: mach_msg_overwrite's rcv_msg. */
	KR(mach_msg_overwrite(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), p, 0, MACH_PORT_NULL,
			      (mach_msg_header_t *)8, 0),
	   MACH_RCV_INVALID_DATA);
	/* XNU dequeued the message before the copyout failed: it is gone. */
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

/* ------------------------------------------------------ port descriptors */

static void fill_port_msg(port_msg_t *m, mach_port_t dest, mach_msg_id_t id, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m->h.msgh_size = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t) +
			 n * sizeof(mach_msg_port_descriptor_t);
	m->h.msgh_remote_port = dest;
	m->h.msgh_id = id;
	m->body.msgh_descriptor_count = n;
}

static void set_desc(port_msg_t *m, unsigned i, mach_port_t name, mach_msg_type_name_t disp)
{
	m->d[i].name = name;
	m->d[i].disposition = disp;
	m->d[i].type = MACH_MSG_PORT_DESCRIPTOR;
}

TEST(port_descriptors_all_dispositions)
{
	mach_port_t p = new_send_receive();
	mach_port_t a = new_receive(), c = new_receive(), d = new_receive();
	mach_port_t s = new_send_receive();
	port_msg_t m;
	rcv_buf_t b;
	port_msg_t *got = (port_msg_t *)&b;
	mach_port_type_t t;

	fill_port_msg(&m, p, 30, 4);
	set_desc(&m, 0, a, MACH_MSG_TYPE_MAKE_SEND);
	set_desc(&m, 1, s, MACH_MSG_TYPE_COPY_SEND);
	set_desc(&m, 2, c, MACH_MSG_TYPE_MOVE_RECEIVE);
	set_desc(&m, 3, d, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	/* The receive right is in transit */
	KR(mach_port_type(mach_task_self(), c, &t), KERN_INVALID_NAME);

	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_bits,
		  MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND) | MACH_MSGH_BITS_COMPLEX);
	EXPECT_EQ(b.h.msgh_size, m.h.msgh_size);
	EXPECT_EQ(b.h.msgh_id, 30);
	EXPECT_EQ(got->body.msgh_descriptor_count, 4);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(got->d[i].type, MACH_MSG_PORT_DESCRIPTOR);

	/* Send rights to a port whose receive right we hold reuse its name */
	EXPECT_EQ(got->d[0].disposition, MACH_MSG_TYPE_PORT_SEND);
	EXPECT_EQ(got->d[0].name, a);
	EXPECT_EQ(ptype(a), MACH_PORT_TYPE_SEND_RECEIVE);
	EXPECT_EQ(send_refs(a), 1);

	EXPECT_EQ(got->d[1].disposition, MACH_MSG_TYPE_PORT_SEND);
	EXPECT_EQ(got->d[1].name, s);
	EXPECT_EQ(send_refs(s), 2);

	EXPECT_EQ(got->d[2].disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	EXPECT_TRUE(MACH_PORT_VALID(got->d[2].name));
	EXPECT_EQ(ptype(got->d[2].name), MACH_PORT_TYPE_RECEIVE);

	EXPECT_EQ(got->d[3].disposition, MACH_MSG_TYPE_PORT_SEND_ONCE);
	EXPECT_TRUE(MACH_PORT_VALID(got->d[3].name));
	EXPECT_NE(got->d[3].name, d);
	EXPECT_EQ(ptype(got->d[3].name), MACH_PORT_TYPE_SEND_ONCE);

	/* The moved receive right works: a message sent to it arrives there */
	mach_port_t nc = got->d[2].name, so = got->d[3].name;
	KR_OK(send_simple(nc, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 31));
	KR_OK(rcv(nc, &b, 0, 1000));
	check_data(&b, 31);
	EXPECT_EQ(b.h.msgh_local_port, nc);
	/* And the send-once right reaches d */
	KR_OK(send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 32));
	KR_OK(rcv(d, &b, 0, 1000));
	check_data(&b, 32);
}

TEST(port_descriptor_null_and_dead_travel_as_is)
{
	mach_port_t p = new_send_receive();
	port_msg_t m;
	rcv_buf_t b;
	port_msg_t *got = (port_msg_t *)&b;

	fill_port_msg(&m, p, 40, 3);
	set_desc(&m, 0, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND);
	set_desc(&m, 1, MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND);
	set_desc(&m, 2, MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_TRUE(b.h.msgh_bits & MACH_MSGH_BITS_COMPLEX);
	EXPECT_EQ(got->body.msgh_descriptor_count, 3);
	EXPECT_EQ(got->d[0].name, MACH_PORT_NULL);
	EXPECT_EQ(got->d[1].name, MACH_PORT_DEAD);
	EXPECT_EQ(got->d[2].name, MACH_PORT_NULL);
	/* XNU ipc_kmsg_copyin_port_descriptor(): the disposition is turned into
	 * the carried type (ipc_object_copyin_type) whatever the name. */
	EXPECT_EQ(got->d[0].disposition << 16 | got->d[1].disposition << 8 | got->d[2].disposition,
		  MACH_MSG_TYPE_PORT_SEND << 16 | MACH_MSG_TYPE_PORT_SEND << 8 |
			  MACH_MSG_TYPE_PORT_SEND_ONCE);
}

TEST(port_descriptor_invalid_right_destroys_header_rights)
{
	mach_port_t p = new_send_receive(), r = new_receive();
	port_msg_t m;
	rcv_buf_t b;

	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, 1));
	fill_port_msg(&m, p, 50, 1);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) |
			MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_local_port = r;
	set_desc(&m, 0, BOGUS_NAME, MACH_MSG_TYPE_COPY_SEND);
	KR(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	   MACH_SEND_INVALID_RIGHT);
	/* XNU: ipc_kmsg_copyin_body() -> ipc_kmsg_clean_header(): the moved send
	 * right is released and the made send-once right is destroyed, which
	 * sends a send-once notification to r. */
	EXPECT_EQ(send_refs(p), 1);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
	KR_OK(rcv(r, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
	EXPECT_EQ(b.h.msgh_local_port, r);
	EXPECT_EQ(MACH_MSGH_BITS_LOCAL(b.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);

	/* A receive right alone cannot be copied as a send right: same error */
	mach_port_t q = new_receive();
	fill_port_msg(&m, p, 51, 1);
	set_desc(&m, 0, q, MACH_MSG_TYPE_COPY_SEND);
	KR(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	   MACH_SEND_INVALID_RIGHT);
	EXPECT_EQ(send_refs(p), 1);
}

TEST(port_descriptor_count_too_large)
{
	mach_port_t p = new_send_receive(), a = new_receive();
	port_msg_t m;
	rcv_buf_t b;

	/* Three descriptors announced, room for one */
	fill_port_msg(&m, p, 60, 1);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	set_desc(&m, 0, a, MACH_MSG_TYPE_MAKE_SEND);
	m.body.msgh_descriptor_count = 3;
	KR(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	   MACH_SEND_MSG_TOO_SMALL);
	/* One descriptor announced, only the body count sent */
	fill_port_msg(&m, p, 61, 0);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.body.msgh_descriptor_count = 1;
	KR(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	   MACH_SEND_MSG_TOO_SMALL);
	/* Nothing was copied in: the moved send right is still there */
	EXPECT_EQ(send_refs(p), 1);
	EXPECT_EQ(ptype(a), MACH_PORT_TYPE_RECEIVE);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(port_descriptor_bad_type)
{
	mach_port_t p = new_send_receive(), a = new_receive();
	port_msg_t m;
	rcv_buf_t b;

	fill_port_msg(&m, p, 70, 2);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	set_desc(&m, 0, a, MACH_MSG_TYPE_MAKE_SEND);
	set_desc(&m, 1, a, MACH_MSG_TYPE_MAKE_SEND);
	m.d[1].type = 7;
	KR(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	   MACH_SEND_INVALID_TYPE);
	EXPECT_EQ(send_refs(p), 1);
	EXPECT_EQ(ptype(a), MACH_PORT_TYPE_RECEIVE);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

/* -------------------------------------------------------------- timeouts */

TEST(receive_timeout_zero_and_50ms)
{
	mach_port_t p = new_receive();
	rcv_buf_t b;
	long long t0, el;

	t0 = now_ms();
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
	el = now_ms() - t0;
	EXPECT_TRUE(el < 40);

	t0 = now_ms();
	KR(rcv(p, &b, 0, 50), MACH_RCV_TIMED_OUT);
	el = now_ms() - t0;
	EXPECT_TRUE(el >= 45);
	EXPECT_TRUE(el < 2000);
}

TEST(qlimit_default_is_5)
{
	mach_port_t p = new_send_receive();
	mach_port_limits_t lim = { 0 };
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;
	simple_msg_t m;
	rcv_buf_t b;

	KR_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, &cnt));
	EXPECT_EQ(lim.mpl_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	EXPECT_EQ(MACH_PORT_QLIMIT_DEFAULT, 5);
	for (int i = 0; i < 5; i++)
		KR_OK(send_simple_opt(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, i, MACH_SEND_TIMEOUT, 0));
	fill_simple(&m, p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 5);
	KR(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, MACH_PORT_NULL, 0,
		    MACH_PORT_NULL),
	   MACH_SEND_TIMED_OUT);
	mach_msg_destroy(&m.h); /* what the failed send handed back, if anything */
	fill_simple(&m, p, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 5);
	KR(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, MACH_PORT_NULL, 0,
		    MACH_PORT_NULL),
	   MACH_SEND_TIMED_OUT);
	mach_msg_destroy(&m.h);
	/* Send-once destinations are not held back by the queue limit */
	KR_OK(send_simple_opt(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_NULL, 0, 6, MACH_SEND_TIMEOUT, 0));
	KR_OK(send_simple_opt(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_NULL, 0, 7, MACH_SEND_TIMEOUT, 0));
	EXPECT_EQ(send_refs(p), 1);
	for (int i = 0; i < 5; i++) {
		KR_OK(rcv(p, &b, 0, 0));
		check_data(&b, i);
	}
	KR_OK(rcv(p, &b, 0, 0));
	check_data(&b, 6);
	KR_OK(rcv(p, &b, 0, 0));
	check_data(&b, 7);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

/*
 * XNU hands a message whose send failed in ipc_kmsg_send() (here: timed out on
 * a full queue) back to the caller's buffer as a pseudo-receive
 * (mach_msg_trap_send -> mach_msg_receive_pseudo -> ipc_kmsg_copyout_pseudo):
 * the header keeps remote = dest, its bits become the received types, and the
 * rights the send had copied in or made are copied out again.
 */
TEST(send_timeout_returns_message_to_sender)
{
	mach_port_t p = new_send_receive(), r = new_receive();
	simple_msg_t m;

	for (int i = 0; i < 5; i++)
		KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, i));
	fill_simple(&m, p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 5);
	KR(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, MACH_PORT_NULL, 0,
		    MACH_PORT_NULL),
	   MACH_SEND_TIMED_OUT);
	/* bits, remote name and urefs in one value: bits << 8 | remote==p << 4 | urefs */
	EXPECT_EQ(((long long)m.h.msgh_bits << 8) | ((m.h.msgh_remote_port == p) << 4) | send_refs(p),
		  ((long long)MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, 0) << 8) | 0x10 | 2);
	EXPECT_EQ(m.h.msgh_id, 5);
	mach_msg_destroy(&m.h);
	EXPECT_EQ(send_refs(p), 1);

	fill_simple(&m, p, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 6);
	KR(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, MACH_PORT_NULL, 0,
		    MACH_PORT_NULL),
	   MACH_SEND_TIMED_OUT);
	EXPECT_EQ(m.h.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE));
	EXPECT_EQ(m.h.msgh_remote_port, p);
	EXPECT_EQ(send_refs(p), 2);
	EXPECT_TRUE(MACH_PORT_VALID(m.h.msgh_local_port));
	EXPECT_NE(m.h.msgh_local_port, r);
	EXPECT_EQ(ptype(m.h.msgh_local_port), MACH_PORT_TYPE_SEND_ONCE);
}

struct blocked_sender {
	mach_port_t port;
	mach_msg_id_t id;
	volatile int done;
	mach_msg_return_t mr;
};

static void *blocked_send_thread(void *arg)
{
	struct blocked_sender *s = arg;

	s->mr = send_simple(s->port, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, s->id);
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST(qlimit_full_blocks_sender_until_dequeue)
{
	mach_port_t p = new_send_receive();
	struct blocked_sender s = { .port = p, .id = 5 };
	pthread_t th;
	rcv_buf_t b;

	for (int i = 0; i < 5; i++)
		KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, i));
	EXPECT_EQ(pthread_create(&th, NULL, blocked_send_thread, &s), 0);
	sleep_ms(200);
	EXPECT_EQ(__atomic_load_n(&s.done, __ATOMIC_SEQ_CST), 0);
	KR_OK(rcv(p, &b, 0, 0));
	check_data(&b, 0);
	pthread_join(th, NULL);
	KR_OK(s.mr);
	for (int i = 1; i <= 5; i++) {
		KR_OK(rcv(p, &b, 0, 1000));
		check_data(&b, i);
	}
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(qlimit_set_attributes)
{
	mach_port_t p = new_send_receive();
	mach_port_limits_t lim = { .mpl_qlimit = 1 };
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;
	struct blocked_sender s = { .port = p, .id = 2 };
	pthread_t th;
	rcv_buf_t b;
	long long t0, el;

	KR_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT));
	lim.mpl_qlimit = 0;
	KR_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, &cnt));
	EXPECT_EQ(lim.mpl_qlimit, 1);
	KR_OK(send_simple_opt(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1, MACH_SEND_TIMEOUT, 0));
	KR(send_simple_opt(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 9, MACH_SEND_TIMEOUT, 0),
	   MACH_SEND_TIMED_OUT);
	t0 = now_ms();
	KR(send_simple_opt(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 9, MACH_SEND_TIMEOUT, 50),
	   MACH_SEND_TIMED_OUT);
	el = now_ms() - t0;
	EXPECT_TRUE(el >= 45 && el < 2000);

	EXPECT_EQ(pthread_create(&th, NULL, blocked_send_thread, &s), 0);
	sleep_ms(200);
	EXPECT_EQ(__atomic_load_n(&s.done, __ATOMIC_SEQ_CST), 0);
	KR_OK(rcv(p, &b, 0, 0));
	check_data(&b, 1);
	pthread_join(th, NULL);
	KR_OK(s.mr);
	KR_OK(rcv(p, &b, 0, 1000));
	check_data(&b, 2);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

/* ------------------------------------------------------------ too large */

typedef struct {
	mach_msg_header_t h;
	char data[100];
} big_msg_t;

static void send_big(mach_port_t p, mach_msg_id_t id)
{
	big_msg_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = p;
	m.h.msgh_id = id;
	for (int i = 0; i < 100; i++)
		m.data[i] = (char)(i + id);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
}

TEST(rcv_large_keeps_message_and_reports_size)
{
	mach_port_t p = new_send_receive();
	rcv_buf_t b;
	struct {
		mach_msg_header_t h;
		char small[40];
	} s;

	send_big(p, 3);
	memset(&s, 0, sizeof(s));
	KR(mach_msg(&s.h, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0, sizeof(s), p, 0,
		    MACH_PORT_NULL),
	   MACH_RCV_TOO_LARGE);
	EXPECT_EQ(s.h.msgh_size, sizeof(big_msg_t));
	/* Still too small: same answer, message still queued */
	KR(mach_msg(&s.h, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0, sizeof(s), p, 0,
		    MACH_PORT_NULL),
	   MACH_RCV_TOO_LARGE);
	EXPECT_EQ(s.h.msgh_size, sizeof(big_msg_t));
	/* Room for the message but not the trailer is still too small */
	KR(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0, sizeof(big_msg_t), p, 0,
		    MACH_PORT_NULL),
	   MACH_RCV_TOO_LARGE);
	KR_OK(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0,
		       sizeof(big_msg_t) + sizeof(mach_msg_trailer_t), p, 0, MACH_PORT_NULL));
	EXPECT_EQ(b.h.msgh_size, sizeof(big_msg_t));
	EXPECT_EQ(b.h.msgh_id, 3);
	EXPECT_EQ(b.h.msgh_local_port, p);
	for (int i = 0; i < 100; i++)
		EXPECT_EQ(b.body[i], (char)(i + 3));
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(rcv_too_large_without_large_drops_message)
{
	mach_port_t p = new_send_receive(), r = new_receive();
	struct {
		mach_msg_header_t h;
		char small[40];
	} s;
	big_msg_t m;
	rcv_buf_t b;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = p;
	m.h.msgh_local_port = r;
	m.h.msgh_id = 77;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	memset(&s, 0xa5, sizeof(s));
	KR(mach_msg(&s.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(s), p, 0, MACH_PORT_NULL),
	   MACH_RCV_TOO_LARGE);
	/* XNU ipc_kmsg_copyout_dest_to_user(): a bare header naming the port */
	EXPECT_EQ(s.h.msgh_local_port, p);
	EXPECT_EQ(s.h.msgh_id, 77);
	EXPECT_EQ(s.h.msgh_size, sizeof(mach_msg_header_t));
	EXPECT_EQ(s.h.msgh_remote_port, MACH_PORT_NULL);
	EXPECT_EQ(MACH_MSGH_BITS_LOCAL(s.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
	/* The reply right was destroyed: r got a send-once notification */
	KR_OK(rcv(r, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
}

/* XNU's ipc_object_copyout_dest(): the destination right of a message
 * dropped as too large is used up quietly when the receiver holds the
 * receive right. A send-once destination makes no send-once notification
 * (which would arrive on the same port), and its count goes. */
TEST(rcv_too_large_consumes_a_send_once_destination_quietly)
{
	mach_port_t p = new_receive(), so;
	mach_msg_type_name_t t;
	struct {
		mach_msg_header_t h;
		char small[40];
	} s;
	big_msg_t m;
	rcv_buf_t b;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	KR_OK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = so;
	m.h.msgh_id = 78;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR(mach_msg(&s.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(s), p, 0, MACH_PORT_NULL),
	   MACH_RCV_TOO_LARGE);
	EXPECT_EQ(s.h.msgh_local_port, p);
	EXPECT_EQ(MACH_MSGH_BITS_LOCAL(s.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
	KR(rcv(p, &b, 0, 0), MACH_RCV_TIMED_OUT);
	KR_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_RECEIVE_STATUS,
				       (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(st.mps_sorights, 0);
	EXPECT_EQ(st.mps_msgcount, 0);
}

/* -------------------------------------------------------------- trailers */

TEST(audit_trailer_and_seqno)
{
	mach_port_t p = new_send_receive();
	rcv_buf_t b;

	for (int i = 0; i < 3; i++)
		KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 100 + i));
	for (int i = 0; i < 3; i++) {
		mach_msg_audit_trailer_t *t;

		KR_OK(rcv(p, &b, MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
				    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 1000));
		check_data(&b, 100 + i);
		t = (mach_msg_audit_trailer_t *)((char *)&b.h + round_msg(b.h.msgh_size));
		EXPECT_EQ(t->msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
		EXPECT_EQ(t->msgh_trailer_size, sizeof(mach_msg_audit_trailer_t));
		EXPECT_EQ(t->msgh_seqno, i);
		EXPECT_EQ(t->msgh_sender.val[0], geteuid());
		EXPECT_EQ(t->msgh_sender.val[1], getegid());
		EXPECT_EQ(t->msgh_audit.val[1], geteuid());
		EXPECT_EQ(t->msgh_audit.val[5], getpid());
	}
}

TEST(default_trailer_is_minimal)
{
	mach_port_t p = new_send_receive();
	rcv_buf_t b;
	mach_msg_trailer_t *t;
	mach_msg_seqno_trailer_t *st;

	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1));
	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 2));
	KR_OK(rcv(p, &b, 0, 1000));
	t = (mach_msg_trailer_t *)((char *)&b.h + round_msg(b.h.msgh_size));
	EXPECT_EQ(t->msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	EXPECT_EQ(t->msgh_trailer_size, sizeof(mach_msg_trailer_t));
	EXPECT_EQ(sizeof(mach_msg_trailer_t), 8);
	KR_OK(rcv(p, &b, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 1000));
	st = (mach_msg_seqno_trailer_t *)((char *)&b.h + round_msg(b.h.msgh_size));
	EXPECT_EQ(st->msgh_trailer_size, sizeof(mach_msg_seqno_trailer_t));
	EXPECT_EQ(st->msgh_seqno, 1);
}

/* --------------------------------------------------------------- signals */

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

static void install_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	EXPECT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
}

struct blocked_rcv {
	mach_port_t port;
	mach_msg_option_t opt;
	volatile int done;
	mach_msg_return_t mr;
	rcv_buf_t b;
};

static void *blocked_rcv_thread(void *arg)
{
	struct blocked_rcv *r = arg;

	r->mr = rcv(r->port, &r->b, r->opt, FOREVER);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST(rcv_interrupt_returns_interrupted)
{
	static struct blocked_rcv r;
	pthread_t th;

	install_usr1();
	r.port = new_receive();
	r.opt = MACH_RCV_INTERRUPT;
	EXPECT_EQ(pthread_create(&th, NULL, blocked_rcv_thread, &r), 0);
	sleep_ms(200);
	/* Signal until the receive gives up (the first one may come too early) */
	for (int i = 0; i < 50 && !__atomic_load_n(&r.done, __ATOMIC_SEQ_CST); i++) {
		pthread_kill(th, SIGUSR1);
		sleep_ms(100);
	}
	pthread_join(th, NULL);
	KR(r.mr, MACH_RCV_INTERRUPTED);
	EXPECT_TRUE(usr1_count >= 1);
}

TEST(rcv_without_interrupt_restarts_and_receives)
{
	static struct blocked_rcv r;
	mach_port_t p = new_send_receive();
	pthread_t th;

	install_usr1();
	r.port = p;
	r.opt = 0;
	EXPECT_EQ(pthread_create(&th, NULL, blocked_rcv_thread, &r), 0);
	sleep_ms(200);
	for (int i = 0; i < 3; i++) {
		pthread_kill(th, SIGUSR1);
		sleep_ms(100);
	}
	EXPECT_EQ(usr1_count, 3);
	EXPECT_EQ(__atomic_load_n(&r.done, __ATOMIC_SEQ_CST), 0);
	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 90));
	pthread_join(th, NULL);
	KR_OK(r.mr);
	check_data(&r.b, 90);
	EXPECT_EQ(r.b.h.msgh_local_port, p);
}

TEST(rcv_port_destroyed_while_blocked)
{
	static struct blocked_rcv r;
	pthread_t th;

	r.port = new_receive();
	EXPECT_EQ(pthread_create(&th, NULL, blocked_rcv_thread, &r), 0);
	sleep_ms(200);
	EXPECT_EQ(__atomic_load_n(&r.done, __ATOMIC_SEQ_CST), 0);
	KR_OK(mach_port_mod_refs(mach_task_self(), r.port, MACH_PORT_RIGHT_RECEIVE, -1));
	pthread_join(th, NULL);
	/* XNU HEAD: ipc_mqueue_changed() wakes the receiver with THREAD_RESTART,
	 * which ipc_mqueue_receive_results() reports as MACH_RCV_PORT_CHANGED
	 * (never MACH_RCV_PORT_DIED, see the TODO 21885327 there). */
	KR(r.mr, MACH_RCV_PORT_CHANGED);
}

/* --------------------------------------------------------- cross-process */

static mach_port_t setup_bootstrap(void)
{
	mach_port_t p = new_send_receive();

	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, p));
	return p;
}

static void send_port_to(mach_port_t dest, mach_port_t port, mach_msg_id_t id)
{
	port_msg_t m;

	fill_port_msg(&m, dest, id, 1);
	set_desc(&m, 0, port, MACH_MSG_TYPE_MAKE_SEND);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
}

static void wait_child_ok(pid_t pid)
{
	int st = 0;

	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(cross_process_bootstrap_request_reply)
{
	mach_port_t p = setup_bootstrap();
	rcv_buf_t b;
	port_msg_t *got = (port_msg_t *)&b;
	mach_msg_audit_trailer_t *t;
	pid_t pid;

	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		mach_port_t bp = MACH_PORT_NULL, c;

		KR_OK(task_get_bootstrap_port(mach_task_self(), &bp));
		EXPECT_TRUE(MACH_PORT_VALID(bp));
		EXPECT_EQ(bootstrap_port, bp);
		EXPECT_EQ(ptype(bp), MACH_PORT_TYPE_SEND);
		c = new_receive();
		send_port_to(bp, c, 500);
		EXPECT_EQ(ptype(c), MACH_PORT_TYPE_RECEIVE);
		KR_OK(rcv(c, &b, 0, 10000));
		EXPECT_EQ(b.h.msgh_local_port, c);
		EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
		check_data(&b, 501);
		_exit(0);
	}
	KR_OK(rcv(p, &b, MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
			     MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 10000));
	EXPECT_EQ(b.h.msgh_id, 500);
	EXPECT_EQ(b.h.msgh_local_port, p);
	EXPECT_EQ(b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND) | MACH_MSGH_BITS_COMPLEX);
	EXPECT_EQ(got->body.msgh_descriptor_count, 1);
	EXPECT_EQ(got->d[0].type, MACH_MSG_PORT_DESCRIPTOR);
	EXPECT_EQ(got->d[0].disposition, MACH_MSG_TYPE_PORT_SEND);
	EXPECT_TRUE(MACH_PORT_VALID(got->d[0].name));
	EXPECT_EQ(ptype(got->d[0].name), MACH_PORT_TYPE_SEND);
	t = (mach_msg_audit_trailer_t *)((char *)&b.h + round_msg(b.h.msgh_size));
	EXPECT_EQ(t->msgh_trailer_size, sizeof(mach_msg_audit_trailer_t));
	EXPECT_EQ(t->msgh_audit.val[5], pid);
	KR_OK(send_simple(got->d[0].name, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, 0, 501));
	wait_child_ok(pid);
}

TEST(cross_process_child_exit_kills_its_port)
{
	mach_port_t p = setup_bootstrap(), c;
	rcv_buf_t b;
	port_msg_t *got = (port_msg_t *)&b;
	pid_t pid;

	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		mach_port_t cp = new_receive();

		send_port_to(bootstrap_port, cp, 600);
		/* Wait until the parent holds its send right, then exit */
		KR_OK(rcv(cp, &b, 0, 10000));
		check_data(&b, 601);
		_exit(0);
	}
	KR_OK(rcv(p, &b, 0, 10000));
	EXPECT_EQ(b.h.msgh_id, 600);
	c = got->d[0].name;
	EXPECT_TRUE(MACH_PORT_VALID(c));
	EXPECT_EQ(ptype(c), MACH_PORT_TYPE_SEND);
	KR_OK(send_simple(c, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 601));
	wait_child_ok(pid);
	KR(send_simple(c, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 602), MACH_SEND_INVALID_DEST);
	EXPECT_EQ(ptype(c), MACH_PORT_TYPE_DEAD_NAME);
}

TEST(receive_right_sent_to_its_own_port_is_destroyed)
{
	mach_port_t p = new_send_receive();
	struct {
		mach_msg_header_t h;
		mach_msg_body_t b;
		mach_msg_port_descriptor_t d;
		mach_msg_max_trailer_t t;
	} m;
	mach_port_type_t t;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_size = sizeof(m) - sizeof(m.t);
	m.h.msgh_remote_port = p;
	m.b.msgh_descriptor_count = 1;
	m.d.name = p;
	m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m.d.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	/* The receive right went with the message, which was destroyed: the
	 * port is dead and the remaining send right is a dead name. */
	KR_OK(mach_port_type(mach_task_self(), p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_DEAD_NAME);
}

/* A child killed by SIGKILL while blocked in mach_msg: its space goes,
 * its receive right dies, our send right becomes a dead name. */
static void kill_blocked_child(int in_send)
{
	mach_port_t bp, cp;
	pid_t pid;
	int status;
	port_msg_t m;
	rcv_buf_t b;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &bp));
	KR_OK(mach_port_insert_right(mach_task_self(), bp, bp, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, bp));
	pid = fork();
	if (pid == 0) {
		mach_port_t mine;

		mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine);
		mach_port_insert_right(mach_task_self(), mine, mine, MACH_MSG_TYPE_MAKE_SEND);
		fill_port_msg(&m, bootstrap_port, 1, 1);
		set_desc(&m, 0, mine, MACH_MSG_TYPE_MAKE_SEND);
		if (mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0))
			_exit(1);
		if (in_send) {
			/* Fill our parent's port and block sending. */
			for (;;) {
				simple_msg_t s;

				fill_simple(&s, bootstrap_port, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 9);
				mach_msg(&s.h, MACH_SEND_MSG, sizeof(s), 0, 0, 0, 0);
			}
		}
		mach_msg(&b.h, MACH_RCV_MSG, 0, sizeof(b), mine, 0, 0);
		_exit(0);
	}
	KR_OK(rcv(bp, &b, 0, 5000));
	port_msg_t *got = (port_msg_t *)&b;
	cp = got->d[0].name;
	sleep_ms(300); /* let the child block */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(ptype(cp), MACH_PORT_TYPE_DEAD_NAME);
	KR(send_simple(cp, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 2), MACH_SEND_INVALID_DEST);
	/* Whatever the child queued on our port is still ours to receive. */
	while (rcv(bp, &b, 0, 1) == MACH_MSG_SUCCESS)
		;
}

TEST(child_killed_while_blocked_in_receive)
{
	kill_blocked_child(0);
}

TEST(child_killed_while_blocked_in_send)
{
	kill_blocked_child(1);
}

/* One space cannot queue unbounded memory: past its quota of queued
 * message bytes, sends fail with MACH_SEND_NO_BUFFER until messages are
 * received. */
TEST(queued_bytes_are_bounded_per_space)
{
	mach_port_t p = new_send_receive();
	mach_port_limits_t l = { .mpl_qlimit = MACH_PORT_QLIMIT_MAX };
	size_t big = 4 << 20;
	mach_msg_header_t *m = malloc(big + sizeof(mach_msg_max_trailer_t));
	mach_msg_return_t mr = MACH_MSG_SUCCESS;
	int sent = 0;

	KR_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&l, 1));
	while (sent < 40) {
		memset(m, 0, sizeof(*m));
		m->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m->msgh_remote_port = p;
		mr = mach_msg(m, MACH_SEND_MSG, (mach_msg_size_t)big, 0, 0, 0, 0);
		if (mr != MACH_MSG_SUCCESS)
			break;
		sent++;
	}
	EXPECT_EQ(mr, MACH_SEND_NO_BUFFER);
	EXPECT_TRUE(sent >= 8 && sent < 40);
	KR_OK(mach_msg(m, MACH_RCV_MSG, 0, (mach_msg_size_t)(big + sizeof(mach_msg_max_trailer_t)), p, 0, 0));
	memset(m, 0, sizeof(*m));
	m->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m->msgh_remote_port = p;
	KR_OK(mach_msg(m, MACH_SEND_MSG, (mach_msg_size_t)big, 0, 0, 0, 0));
	free(m);
}

/* A long chain of ports, each queued in a message on the previous one as
 * a moved receive right, is torn down without recursing per link. */
TEST(destroying_a_long_chain_of_ports_in_transit)
{
	enum { N = 3000 };
	mach_port_t *ports = malloc(N * sizeof(*ports));
	port_msg_t m;
	mach_port_limits_t l = { .mpl_qlimit = 1 };

	for (int i = 0; i < N; i++) {
		KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &ports[i]));
		KR_OK(mach_port_insert_right(mach_task_self(), ports[i], ports[i], MACH_MSG_TYPE_MAKE_SEND));
		KR_OK(mach_port_set_attributes(mach_task_self(), ports[i], MACH_PORT_LIMITS_INFO,
					       (mach_port_info_t)&l, 1));
	}
	for (int i = N - 1; i > 0; i--) {
		fill_port_msg(&m, ports[i - 1], i, 1);
		set_desc(&m, 0, ports[i], MACH_MSG_TYPE_MOVE_RECEIVE);
		KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	}
	KR_OK(mach_port_mod_refs(mach_task_self(), ports[0], MACH_PORT_RIGHT_RECEIVE, -1));
	/* Every send right left behind is now a dead name. */
	EXPECT_EQ(ptype(ports[N - 1]), MACH_PORT_TYPE_DEAD_NAME);
	EXPECT_EQ(ptype(ports[0]), MACH_PORT_TYPE_DEAD_NAME);
	free(ports);
}

TEST(peek_reports_queued_messages_without_taking_them)
{
	mach_port_t p = new_send_receive();
	mach_port_seqno_t seq = 0;
	mach_msg_size_t size = 0;
	mach_msg_id_t id = 0;
	mach_msg_seqno_trailer_t tr;
	mach_msg_type_number_t cnt = sizeof(tr);
	rcv_buf_t b;

	KR(mach_port_peek(mach_task_self(), p, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &seq, &size, &id,
			  (mach_msg_trailer_info_t)&tr, &cnt),
	   KERN_FAILURE);
	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 31));
	KR_OK(send_simple(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 32));
	seq = 0;
	KR_OK(mach_port_peek(mach_task_self(), p, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &seq, &size, &id,
			     (mach_msg_trailer_info_t)&tr, &cnt));
	EXPECT_EQ(seq, 0);
	EXPECT_EQ(id, 31);
	/* XNU's kernel header is 8 bytes longer (Apple's tests/ipc/port_peek.c). */
	EXPECT_EQ(size, sizeof(simple_msg_t) + 8);
	seq = 1;
	KR_OK(mach_port_peek(mach_task_self(), p, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &seq, &size, &id,
			     (mach_msg_trailer_info_t)&tr, &cnt));
	EXPECT_EQ(id, 32);
	EXPECT_EQ(tr.msgh_seqno, 1);
	seq = 7;
	KR(mach_port_peek(mach_task_self(), p, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &seq, &size, &id,
			  (mach_msg_trailer_info_t)&tr, &cnt),
	   KERN_FAILURE);
	cnt = 4;
	seq = 0;
	KR(mach_port_peek(mach_task_self(), p, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &seq, &size, &id,
			  (mach_msg_trailer_info_t)&tr, &cnt),
	   KERN_INVALID_VALUE);
	/* Still both there. */
	KR_OK(rcv(p, &b, 0, 1000));
	check_data(&b, 31);
	KR_OK(rcv(p, &b, 0, 1000));
	check_data(&b, 32);
}

/*
 * The size peek reports is msgh_size in XNU's kernel layout: 8 more for
 * the header, 4 more per port descriptor (16 bytes in the kernel, 12 to a
 * 64-bit task); out-of-line descriptors are 16 bytes in both.
 */
TEST(peek_size_is_xnu_kernel_size)
{
	mach_port_t p = new_send_receive(), q = new_receive();
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_port_descriptor_t d[2];
		mach_msg_ool_descriptor_t o;
		int32_t data[3];
	} m;
	char buf[100] = "peek";
	mach_port_seqno_t seq = 0;
	mach_msg_size_t size = 0;
	mach_msg_id_t id = 0;
	mach_msg_seqno_trailer_t tr;
	mach_msg_type_number_t cnt = sizeof(tr);
	rcv_buf_t b;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = p;
	m.h.msgh_id = 9;
	m.body.msgh_descriptor_count = 3;
	for (int i = 0; i < 2; i++) {
		m.d[i].name = q;
		m.d[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
		m.d[i].type = MACH_MSG_PORT_DESCRIPTOR;
	}
	m.o.address = buf;
	m.o.size = sizeof(buf);
	m.o.copy = MACH_MSG_VIRTUAL_COPY;
	m.o.type = MACH_MSG_OOL_DESCRIPTOR;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR_OK(mach_port_peek(mach_task_self(), p, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &seq, &size, &id,
			     (mach_msg_trailer_info_t)&tr, &cnt));
	EXPECT_EQ(id, 9);
	EXPECT_EQ(size, sizeof(m) + 8 + 2 * 4);
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(b.h.msgh_size, sizeof(m));
	mach_msg_destroy(&b.h);
}

/* A in transit to B, then B's receive right sent to A: a cycle no one
 * could ever receive. XNU destroys the second message (and B with it). */
TEST(two_port_cycle_in_transit_is_broken)
{
	mach_port_t a = new_send_receive(), b = new_send_receive();
	port_msg_t m;

	fill_port_msg(&m, b, 1, 1);
	set_desc(&m, 0, a, MACH_MSG_TYPE_MOVE_RECEIVE);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	fill_port_msg(&m, a, 2, 1);
	set_desc(&m, 0, b, MACH_MSG_TYPE_MOVE_RECEIVE);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	/* Both ports are dead now: their send rights are dead names. */
	EXPECT_EQ(ptype(a), MACH_PORT_TYPE_DEAD_NAME);
	EXPECT_EQ(ptype(b), MACH_PORT_TYPE_DEAD_NAME);
}

/* XNU's ipc_port_clear_receiver(): a receive right that leaves its space
 * arrives as if new: make-send count and sequence number are zero again. */
TEST(moved_receive_right_arrives_with_mscount_and_seqno_zero)
{
	mach_port_t p = new_send_receive(), q = new_send_receive();
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	port_msg_t m;
	rcv_buf_t b;
	port_msg_t *got = (port_msg_t *)&b;

	KR_OK(mach_port_insert_right(mach_task_self(), q, q, MACH_MSG_TYPE_MAKE_SEND));
	for (int i = 0; i < 2; i++) {
		KR_OK(send_simple(q, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 7));
		KR_OK(rcv(q, &b, 0, 1000));
	}
	KR_OK(mach_port_get_attributes(mach_task_self(), q, MACH_PORT_RECEIVE_STATUS,
				       (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(st.mps_mscount, 2);
	EXPECT_EQ(st.mps_seqno, 2);

	fill_port_msg(&m, p, 40, 1);
	set_desc(&m, 0, q, MACH_MSG_TYPE_MOVE_RECEIVE);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	KR_OK(rcv(p, &b, 0, 1000));
	EXPECT_EQ(got->d[0].disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	KR_OK(mach_port_get_attributes(mach_task_self(), got->d[0].name, MACH_PORT_RECEIVE_STATUS,
				       (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(st.mps_mscount, 0);
	EXPECT_EQ(st.mps_seqno, 0);
	EXPECT_EQ(st.mps_srights, 1);
	/* The next message is number 0 again. */
	KR_OK(send_simple(got->d[0].name, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 8));
	KR_OK(rcv(got->d[0].name, &b, MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
				      MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 1000));
	EXPECT_EQ(((mach_msg_seqno_trailer_t *)((char *)&b.h + round_msg(b.h.msgh_size)))->msgh_seqno, 0);
}

typedef struct {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_guarded_port_descriptor_t d[2];
} guarded_msg_t;

static void fill_guarded(guarded_msg_t *m, mach_port_t dest, mach_port_t a, uint16_t fa, uint64_t ca,
			 mach_port_t b, uint16_t fb, uint64_t cb)
{
	memset(m, 0, sizeof(*m));
	m->h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m->h.msgh_size = sizeof(*m);
	m->h.msgh_remote_port = dest;
	m->h.msgh_id = 1;
	m->body.msgh_descriptor_count = 2;
	m->d[0].name = a;
	m->d[0].disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m->d[0].flags = fa;
	m->d[0].context = ca;
	m->d[0].type = MACH_MSG_GUARDED_PORT_DESCRIPTOR;
	m->d[1].name = b;
	m->d[1].disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m->d[1].flags = fb;
	m->d[1].context = cb;
	m->d[1].type = MACH_MSG_GUARDED_PORT_DESCRIPTOR;
}

/*
 * Guarded port descriptors as Apple's tests/mo_immovable_receive.c: a
 * receiver that passes MACH_RCV_GUARDED_DESC gets each receive right
 * guarded, immovable, with its receive buffer's address as the context
 * in the descriptor; the sender's guard must match (or the port be
 * unguarded, with MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND and context 0).
 */
TEST(guarded_port_descriptors_deliver_the_context)
{
	mach_port_t s = new_send_receive(), guarded, unguarded, n;
	mach_port_options_t o = { .flags = MPO_CONTEXT_AS_GUARD };
	guarded_msg_t m;
	struct {
		guarded_msg_t m;
		mach_msg_max_trailer_t t;
	} r;
	mach_port_status_t st;
	mach_msg_type_number_t cnt;
	mach_msg_type_name_t t;

	KR_OK(mach_port_construct(mach_task_self(), &o, 0x10, &guarded));
	unguarded = new_receive();

	/* Refused before anything moves. */
	fill_guarded(&m, s, guarded, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, 0x11, unguarded,
		     MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE | MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_RIGHT);
	fill_guarded(&m, s, guarded, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE | MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND,
		     0, unguarded, MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_RIGHT);
	fill_guarded(&m, s, guarded, 0, 0x10, unguarded, MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_TYPE);
	fill_guarded(&m, s, guarded, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, 0x10, unguarded,
		     MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 5);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_TYPE);
	EXPECT_EQ(ptype(guarded), MACH_PORT_TYPE_RECEIVE);
	EXPECT_EQ(ptype(unguarded), MACH_PORT_TYPE_RECEIVE);

	fill_guarded(&m, s, guarded, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, 0x10, unguarded,
		     MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE | MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	memset(&r, 0, sizeof(r));
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_GUARDED_DESC, 0, sizeof(r), s, 0, 0));
	for (int i = 0; i < 2; i++) {
		EXPECT_TRUE(MACH_PORT_VALID(r.m.d[i].name));
		EXPECT_EQ(r.m.d[i].type, MACH_MSG_GUARDED_PORT_DESCRIPTOR);
		EXPECT_EQ(r.m.d[i].disposition, MACH_MSG_TYPE_PORT_RECEIVE);
		EXPECT_EQ(r.m.d[i].context, (uint64_t)(uintptr_t)&r);
		EXPECT_EQ(r.m.d[i].flags, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE);
		cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
		KR_OK(mach_port_get_attributes(mach_task_self(), r.m.d[i].name, MACH_PORT_RECEIVE_STATUS,
					       (mach_port_info_t)&st, &cnt));
		EXPECT_EQ(st.mps_flags, MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
		KR(mach_port_extract_right(mach_task_self(), r.m.d[i].name, MACH_MSG_TYPE_MOVE_RECEIVE, &n, &t),
		   KERN_INVALID_CAPABILITY);
	}
	/* The guard is the receive buffer's address. */
	KR(mach_port_unguard(mach_task_self(), r.m.d[0].name, 0x10), KERN_INVALID_ARGUMENT);
	KR_OK(mach_port_destruct(mach_task_self(), r.m.d[0].name, 0, (uint64_t)(uintptr_t)&r));
	KR_OK(mach_port_destruct(mach_task_self(), r.m.d[1].name, 0, (uint64_t)(uintptr_t)&r));
}

/* Without MACH_RCV_GUARDED_DESC the receive rights are destroyed: the
 * receiver sees MACH_PORT_NULL and no context. */
TEST(guarded_port_descriptors_need_the_receiver_to_opt_in)
{
	mach_port_t s = new_send_receive(), a = new_send_receive(), b = new_receive();
	guarded_msg_t m;
	struct {
		guarded_msg_t m;
		mach_msg_max_trailer_t t;
	} r;

	fill_guarded(&m, s, a, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE | MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0,
		     b, MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	memset(&r, 0x5a, sizeof(r));
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), s, 0, 0));
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(r.m.d[i].name, MACH_PORT_NULL);
		EXPECT_EQ(r.m.d[i].context, 0);
		EXPECT_EQ(r.m.d[i].type, MACH_MSG_GUARDED_PORT_DESCRIPTOR);
	}
	/* a's receive right died with the message: its send right is a dead name. */
	EXPECT_EQ(ptype(a), MACH_PORT_TYPE_DEAD_NAME);
}
