/* SPDX-License-Identifier: MIT */
/*
 * Port sets (XNU's osfmk/ipc/ipc_pset.c, mach_port.c, ipc_mqueue.c) and
 * machipc's pollable descriptors for receive rights and sets.
 */
#include <mach/mach.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include "harness.h"

/* libmach exports this without declaring it in a header. */

typedef struct {
	mach_msg_header_t h;
	char body[512];
} rbuf_t;

static mach_port_t new_port(void)
{
	mach_port_t p = MACH_PORT_NULL;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	return p;
}

static mach_port_t new_set(void)
{
	mach_port_t s = MACH_PORT_NULL;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &s));
	return s;
}

static mach_msg_return_t rcv(mach_port_t port, rbuf_t *b, mach_msg_timeout_t ms)
{
	memset(b, 0xa5, sizeof(*b));
	return mach_msg(&b->h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*b), port, ms, MACH_PORT_NULL);
}

static void send_id(mach_port_t dest, mach_msg_id_t id)
{
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0),
		.msgh_size = sizeof(h),
		.msgh_remote_port = dest,
		.msgh_id = id,
	};

	KR_OK(mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
}

/* Members of a set, as get_set_status reports them. */
static unsigned set_members(mach_port_t set, mach_port_name_t *out, unsigned max)
{
	mach_port_name_array_t names = NULL;
	mach_msg_type_number_t n = 0;

	KR_OK(mach_port_get_set_status(mach_task_self(), set, &names, &n));
	EXPECT_TRUE(n <= max);
	for (unsigned i = 0; i < n; i++)
		out[i] = names[i];
	if (n)
		KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof(*names)));
	return n;
}

static int in_set(mach_port_t set, mach_port_t p)
{
	mach_port_name_t m[64];
	unsigned n = set_members(set, m, 64);

	for (unsigned i = 0; i < n; i++)
		if (m[i] == p)
			return 1;
	return 0;
}

static mach_port_status_t status_of(mach_port_t p)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	KR_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	return st;
}

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r = poll(&pfd, 1, 0);

	EXPECT_TRUE(r >= 0);
	return r ? pfd.revents : 0;
}

TEST(allocate_insert_extract)
{
	mach_port_t task = mach_task_self(), s = new_set(), p = new_port(), so, dead;
	mach_msg_type_name_t tn;
	mach_port_type_t t;
	mach_port_urefs_t refs;

	KR_OK(mach_port_type(task, s, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_PORT_SET);
	KR_OK(mach_port_get_refs(task, s, MACH_PORT_RIGHT_PORT_SET, &refs));
	EXPECT_EQ(refs, 1);
	EXPECT_EQ(status_of(p).mps_pset, 0);
	KR_OK(mach_port_insert_member(task, p, s));
	EXPECT_EQ(status_of(p).mps_pset, 1);
	KR(mach_port_insert_member(task, p, s), KERN_ALREADY_IN_SET);
	EXPECT_TRUE(in_set(s, p));
	KR_OK(mach_port_extract_member(task, p, s));
	KR(mach_port_extract_member(task, p, s), KERN_NOT_IN_SET);
	EXPECT_EQ(status_of(p).mps_pset, 0);
	EXPECT_TRUE(!in_set(s, p));

	/* Wrong kinds of names. */
	KR_OK(mach_port_extract_right(task, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &tn));
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	KR(mach_port_insert_member(task, p, p), KERN_INVALID_RIGHT);
	KR(mach_port_insert_member(task, s, s), KERN_INVALID_RIGHT);
	KR(mach_port_insert_member(task, so, s), KERN_INVALID_RIGHT);
	KR(mach_port_insert_member(task, dead, s), KERN_INVALID_RIGHT);
	KR(mach_port_insert_member(task, MACH_PORT_NULL, s), KERN_INVALID_RIGHT);
	KR(mach_port_insert_member(task, p, MACH_PORT_NULL), KERN_INVALID_RIGHT);
	KR(mach_port_insert_member(task, 0x7777703, s), KERN_INVALID_NAME);
	KR(mach_port_extract_member(task, p, p), KERN_INVALID_RIGHT);
	KR(mach_port_extract_member(task, so, s), KERN_INVALID_RIGHT);
	/* Sets cannot hold sets. */
	KR(mach_port_insert_member(task, new_set(), s), KERN_INVALID_RIGHT);
}

TEST(port_in_two_sets_and_move_member)
{
	mach_port_t task = mach_task_self(), s1 = new_set(), s2 = new_set(), s3 = new_set(), p = new_port();
	rbuf_t b;

	KR_OK(mach_port_insert_member(task, p, s1));
	KR_OK(mach_port_insert_member(task, p, s2));
	EXPECT_TRUE(in_set(s1, p));
	EXPECT_TRUE(in_set(s2, p));
	EXPECT_EQ(status_of(p).mps_pset, 1); /* a boolean, not a count */
	/* Either set can receive the port's message. */
	send_id(p, 42);
	KR_OK(rcv(s2, &b, 0));
	EXPECT_EQ(b.h.msgh_id, 42);
	EXPECT_EQ(b.h.msgh_local_port, p);
	KR(rcv(s1, &b, 0), MACH_RCV_TIMED_OUT);

	/* move_member leaves the port in the target set only. */
	KR_OK(mach_port_move_member(task, p, s3));
	EXPECT_TRUE(!in_set(s1, p));
	EXPECT_TRUE(!in_set(s2, p));
	EXPECT_TRUE(in_set(s3, p));
	KR_OK(mach_port_move_member(task, p, s3));
	EXPECT_TRUE(in_set(s3, p));
	KR_OK(mach_port_insert_member(task, p, s1));
	KR_OK(mach_port_move_member(task, p, MACH_PORT_NULL));
	EXPECT_TRUE(!in_set(s1, p));
	EXPECT_TRUE(!in_set(s3, p));
	EXPECT_EQ(status_of(p).mps_pset, 0);
	KR(mach_port_move_member(task, p, MACH_PORT_NULL), KERN_NOT_IN_SET);
	KR(mach_port_move_member(task, p, MACH_PORT_DEAD), KERN_INVALID_RIGHT);
	KR(mach_port_move_member(task, p, p), KERN_INVALID_RIGHT);
	KR(mach_port_move_member(task, s1, s2), KERN_INVALID_RIGHT);
	KR(mach_port_move_member(task, MACH_PORT_NULL, s2), KERN_INVALID_RIGHT);
}

TEST(get_set_status_sorted)
{
	mach_port_t task = mach_task_self(), s = new_set(), p[12];
	mach_port_name_t m[16];
	mach_port_name_array_t names = (void *)1;
	mach_msg_type_number_t cnt = 99;
	unsigned n;

	KR_OK(mach_port_get_set_status(task, s, &names, &cnt));
	EXPECT_EQ(cnt, 0);
	for (int i = 0; i < 12; i++)
		p[i] = new_port();
	for (int i = 11; i >= 0; i--)
		KR_OK(mach_port_insert_member(task, p[i], s));
	n = set_members(s, m, 16);
	EXPECT_EQ(n, 12);
	for (unsigned i = 1; i < n; i++)
		EXPECT_TRUE(m[i - 1] < m[i]);
	for (int i = 0; i < 12; i++)
		EXPECT_TRUE(in_set(s, p[i]));
	KR(mach_port_get_set_status(task, p[0], &names, &cnt), KERN_INVALID_RIGHT);
	KR(mach_port_get_set_status(task, MACH_PORT_NULL, &names, &cnt), KERN_INVALID_RIGHT);
	KR(mach_port_get_set_status(task, 0x7777703, &names, &cnt), KERN_INVALID_NAME);
}

TEST(receive_on_set_names_member)
{
	mach_port_t task = mach_task_self(), s = new_set(), a = new_port(), b = new_port();
	rbuf_t m;

	KR_OK(mach_port_insert_member(task, a, s));
	KR_OK(mach_port_insert_member(task, b, s));
	KR(rcv(s, &m, 0), MACH_RCV_TIMED_OUT);
	send_id(b, 7);
	KR_OK(rcv(s, &m, 0));
	EXPECT_EQ(m.h.msgh_id, 7);
	EXPECT_EQ(m.h.msgh_local_port, b);
	EXPECT_EQ(m.h.msgh_size, sizeof(mach_msg_header_t));
	KR(rcv(s, &m, 0), MACH_RCV_TIMED_OUT);
	/* A message queued before the port joins is seen through the set. */
	mach_port_t c = new_port();
	send_id(c, 8);
	KR_OK(mach_port_insert_member(task, c, s));
	KR_OK(rcv(s, &m, 0));
	EXPECT_EQ(m.h.msgh_local_port, c);
	/* Members can still be received from directly. */
	send_id(a, 9);
	KR_OK(rcv(a, &m, 0));
	EXPECT_EQ(m.h.msgh_id, 9);
	KR(rcv(s, &m, 0), MACH_RCV_TIMED_OUT);
}

/* XNU rotates the set's prepost queue on every receive
 * (waitq_set_first_prepost), so busy members are served in turn. */
TEST(members_served_round_robin)
{
	mach_port_t task = mach_task_self(), s = new_set(), a = new_port(), b = new_port();
	rbuf_t m;

	KR_OK(mach_port_insert_member(task, a, s));
	KR_OK(mach_port_insert_member(task, b, s));
	for (int i = 0; i < 3; i++)
		send_id(a, 100 + i);
	for (int i = 0; i < 3; i++)
		send_id(b, 200 + i);
	for (int i = 0; i < 3; i++) {
		KR_OK(rcv(s, &m, 0));
		EXPECT_EQ(m.h.msgh_local_port, a);
		EXPECT_EQ(m.h.msgh_id, 100 + i);
		KR_OK(rcv(s, &m, 0));
		EXPECT_EQ(m.h.msgh_local_port, b);
		EXPECT_EQ(m.h.msgh_id, 200 + i);
	}
	KR(rcv(s, &m, 0), MACH_RCV_TIMED_OUT);
}

struct waiter {
	pthread_t th;
	mach_port_t name;
	mach_msg_return_t mr;
	rbuf_t m;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->mr = rcv(w->name, &w->m, 10000);
	return NULL;
}

static void start_waiter(struct waiter *w, mach_port_t name)
{
	w->name = name;
	w->mr = -1;
	EXPECT_EQ(pthread_create(&w->th, NULL, waiter_main, w), 0);
	usleep(300 * 1000); /* let it block */
}

/* Current XNU does not wake a port's receivers when the port joins a set
 * (ipc_mqueue_add_locked only hands queued messages to the set's waiters),
 * and receiving directly on a member is allowed: the blocked receive goes
 * on and gets the next message. */
TEST(blocked_port_receiver_survives_move_into_set)
{
	mach_port_t s = new_set(), p = new_port();
	struct waiter w;

	start_waiter(&w, p);
	KR_OK(mach_port_move_member(mach_task_self(), p, s));
	usleep(100 * 1000);
	send_id(p, 31);
	EXPECT_EQ(pthread_join(w.th, NULL), 0);
	KR_OK(w.mr);
	EXPECT_EQ(w.m.h.msgh_id, 31);
	EXPECT_EQ(w.m.h.msgh_local_port, p);
}

/* ipc_pset_destroy → ipc_mqueue_changed wakes waiters with THREAD_RESTART,
 * which ipc_mqueue_receive_results turns into MACH_RCV_PORT_CHANGED. */
TEST(blocked_set_receiver_woken_when_set_destroyed)
{
	mach_port_t s = new_set(), p = new_port();
	struct waiter w;

	KR_OK(mach_port_insert_member(mach_task_self(), p, s));
	start_waiter(&w, s);
	KR_OK(mach_port_destroy(mach_task_self(), s));
	EXPECT_EQ(pthread_join(w.th, NULL), 0);
	KR(w.mr, MACH_RCV_PORT_CHANGED);
}

/* The same path (ipc_port_clear_receiver → ipc_mqueue_changed) serves a
 * receiver blocked on a port whose receive right is destroyed. */
TEST(blocked_port_receiver_woken_when_right_destroyed)
{
	mach_port_t p = new_port();
	struct waiter w;

	start_waiter(&w, p);
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	EXPECT_EQ(pthread_join(w.th, NULL), 0);
	KR(w.mr, MACH_RCV_PORT_CHANGED);
}

TEST(destroying_set_keeps_members)
{
	mach_port_t task = mach_task_self(), s = new_set(), a = new_port(), b = new_port();
	mach_port_type_t t;
	rbuf_t m;

	KR_OK(mach_port_insert_member(task, a, s));
	KR_OK(mach_port_insert_member(task, b, s));
	send_id(a, 5);
	KR_OK(mach_port_destroy(task, s));
	KR(mach_port_type(task, s, &t), KERN_INVALID_NAME);
	KR_OK(mach_port_type(task, a, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	EXPECT_EQ(status_of(a).mps_pset, 0);
	EXPECT_EQ(status_of(a).mps_msgcount, 1);
	KR_OK(rcv(a, &m, 0));
	EXPECT_EQ(m.h.msgh_id, 5);
	/* The members can join another set. */
	mach_port_t s2 = new_set();
	KR_OK(mach_port_insert_member(task, b, s2));
}

TEST(destroying_member_leaves_set)
{
	mach_port_t task = mach_task_self(), s = new_set(), a = new_port(), b = new_port();
	mach_port_name_t m[4];

	KR_OK(mach_port_insert_member(task, a, s));
	KR_OK(mach_port_insert_member(task, b, s));
	EXPECT_EQ(set_members(s, m, 4), 2);
	KR_OK(mach_port_mod_refs(task, a, MACH_PORT_RIGHT_RECEIVE, -1));
	EXPECT_EQ(set_members(s, m, 4), 1);
	EXPECT_EQ(m[0], b);
	KR_OK(mach_port_destroy(task, b));
	EXPECT_EQ(set_members(s, m, 4), 0);
}

TEST(deallocate_and_mod_refs_destroy_set)
{
	mach_port_t task = mach_task_self(), s = new_set(), p = new_port();
	mach_port_type_t t;

	KR_OK(mach_port_insert_member(task, p, s));
	KR_OK(mach_port_deallocate(task, s));
	KR(mach_port_type(task, s, &t), KERN_INVALID_NAME);
	KR(mach_port_deallocate(task, s), KERN_INVALID_NAME);
	EXPECT_EQ(status_of(p).mps_pset, 0);

	s = new_set();
	KR_OK(mach_port_mod_refs(task, s, MACH_PORT_RIGHT_PORT_SET, 0));
	KR(mach_port_mod_refs(task, s, MACH_PORT_RIGHT_PORT_SET, 1), KERN_INVALID_VALUE);
	KR(mach_port_mod_refs(task, s, MACH_PORT_RIGHT_PORT_SET, -2), KERN_INVALID_VALUE);
	KR(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_PORT_SET, -1), KERN_INVALID_RIGHT);
	KR_OK(mach_port_mod_refs(task, s, MACH_PORT_RIGHT_PORT_SET, -1));
	KR(mach_port_type(task, s, &t), KERN_INVALID_NAME);
}

/* Members leave a set in any order and by every way out (destroyed,
 * extracted, moved to another set or to none) while others have messages
 * queued: the set serves exactly the messages of the members left, in the
 * order their ports became ready; the ports that left keep theirs, and the
 * set serves them again once they rejoin. */
TEST(members_leave_in_any_order)
{
	enum { N = 64 };
	mach_port_t task = mach_task_self(), s = new_set(), s2 = new_set(), p[N];
	mach_port_name_t names[N];
	unsigned stay = 0;
	rbuf_t m;

	for (int i = 0; i < N; i++) {
		p[i] = new_port();
		KR_OK(mach_port_insert_member(task, p[i], s));
		stay += i % 5 == 4;
	}
	/* 7 and 13 are prime to N: scattered orders that visit every port. */
	for (int j = 0; j < N; j++) {
		int i = (j * 7) % N;

		if (i % 3 != 0)
			send_id(p[i], 1000 + i);
	}
	for (int j = 0; j < N; j++) {
		int i = (j * 13) % N;

		switch (i % 5) {
		case 0:
			KR_OK(mach_port_mod_refs(task, p[i], MACH_PORT_RIGHT_RECEIVE, -1));
			break;
		case 1:
			KR_OK(mach_port_extract_member(task, p[i], s));
			break;
		case 2:
			KR_OK(mach_port_move_member(task, p[i], s2));
			break;
		case 3:
			KR_OK(mach_port_move_member(task, p[i], MACH_PORT_NULL));
			break;
		}
	}
	EXPECT_EQ(set_members(s, names, N), stay);
	/* The stayers became ready in the order of the sends, the movers to
	 * s2 in the order they joined it. */
	for (int k = 4; k >= 2; k -= 2) {
		mach_port_t set = k == 4 ? s : s2;

		for (int j = 0; j < N; j++) {
			int i = (j * (k == 4 ? 7 : 13)) % N;

			if (i % 3 == 0 || i % 5 != k)
				continue;
			KR_OK(rcv(set, &m, 0));
			EXPECT_EQ(m.h.msgh_id, 1000 + i);
			EXPECT_EQ(m.h.msgh_local_port, p[i]);
		}
		KR(rcv(set, &m, 0), MACH_RCV_TIMED_OUT);
	}
	/* Rejoining with a message queued makes a port ready again. */
	for (int i = 1; i < N; i += 5)
		KR_OK(mach_port_insert_member(task, p[i], s));
	for (int i = 1; i < N; i += 5) {
		if (i % 3 == 0)
			continue;
		KR_OK(rcv(s, &m, 0));
		EXPECT_EQ(m.h.msgh_id, 1000 + i);
	}
	KR(rcv(s, &m, 0), MACH_RCV_TIMED_OUT);
	for (int i = 3; i < N; i += 5) {
		if (i % 3 == 0)
			continue;
		EXPECT_EQ(status_of(p[i]).mps_pset, 0);
		KR_OK(rcv(p[i], &m, 0));
		EXPECT_EQ(m.h.msgh_id, 1000 + i);
	}
}

TEST(ten_thousand_members)
{
	enum { N = 10000 };
	mach_port_t task = mach_task_self(), s = new_set(), last = MACH_PORT_NULL;
	mach_port_name_array_t names;
	mach_msg_type_number_t cnt;
	rbuf_t m;

	for (int i = 0; i < N; i++) {
		mach_port_t p = new_port();

		KR_OK(mach_port_insert_member(task, p, s));
		last = p;
	}
	KR_OK(mach_port_get_set_status(task, s, &names, &cnt));
	EXPECT_EQ(cnt, N);
	KR_OK(vm_deallocate(task, (vm_address_t)names, cnt * sizeof(*names)));
	send_id(last, 9999);
	KR_OK(rcv(s, &m, 1000));
	EXPECT_EQ(m.h.msgh_id, 9999);
	EXPECT_EQ(m.h.msgh_local_port, last);
	KR(rcv(s, &m, 0), MACH_RCV_TIMED_OUT);
}

TEST(port_fd_errors)
{
	mach_port_t task = mach_task_self(), p = new_port(), so, dead;
	mach_msg_type_name_t tn;

	errno = 0;
	EXPECT_EQ(machipc_port_fd(0x7777703, 0), -1);
	EXPECT_EQ(errno, ENOENT);
	KR_OK(mach_port_extract_right(task, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &tn));
	errno = 0;
	EXPECT_EQ(machipc_port_fd(so, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	errno = 0;
	EXPECT_EQ(machipc_port_fd(dead, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	int fd = machipc_port_fd(p, 0); /* send+receive is fine */
	EXPECT_TRUE(fd >= 0);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

TEST(port_fd_poll_level_and_read)
{
	mach_port_t p = new_port();
	int fd = machipc_port_fd(p, 0);
	rbuf_t m;

	EXPECT_TRUE(fd >= 0);
	EXPECT_EQ(readable(fd), 0);
	send_id(p, 61);
	EXPECT_EQ(readable(fd), POLLIN);
	EXPECT_EQ(readable(fd), POLLIN); /* level-triggered */
	send_id(p, 62);
	memset(&m, 0, sizeof(m));
	EXPECT_EQ(read(fd, &m, sizeof(m)), sizeof(mach_msg_header_t) + sizeof(mach_msg_trailer_t));
	EXPECT_EQ(m.h.msgh_id, 61);
	EXPECT_EQ(m.h.msgh_local_port, p);
	EXPECT_EQ(m.h.msgh_size, sizeof(mach_msg_header_t));
	EXPECT_EQ(readable(fd), POLLIN);
	EXPECT_EQ(read(fd, &m, sizeof(m)), sizeof(mach_msg_header_t) + sizeof(mach_msg_trailer_t));
	EXPECT_EQ(m.h.msgh_id, 62);
	EXPECT_EQ(readable(fd), 0);
	EXPECT_EQ(status_of(p).mps_msgcount, 0);
}

TEST(port_fd_read_trailer_elements)
{
	mach_port_t p = new_port();
	int fd = machipc_port_fd(p, MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
					   MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO));
	rbuf_t m;

	EXPECT_TRUE(fd >= 0);
	send_id(p, 1);
	send_id(p, 2);
	EXPECT_EQ(read(fd, &m, sizeof(m)), sizeof(mach_msg_header_t) + sizeof(mach_msg_seqno_trailer_t));
	EXPECT_EQ(read(fd, &m, sizeof(m)), sizeof(mach_msg_header_t) + sizeof(mach_msg_seqno_trailer_t));
	mach_msg_seqno_trailer_t *t = (void *)((char *)&m + m.h.msgh_size);
	EXPECT_EQ(t->msgh_trailer_size, sizeof(mach_msg_seqno_trailer_t));
	EXPECT_EQ(t->msgh_seqno, 1);
}

TEST(port_fd_epoll_edge_triggered)
{
	mach_port_t p = new_port();
	int fd = machipc_port_fd(p, 0), ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 77 }, out[2];

	EXPECT_TRUE(fd >= 0 && ep >= 0);
	EXPECT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	send_id(p, 1);
	EXPECT_EQ(epoll_wait(ep, out, 2, 1000), 1);
	EXPECT_EQ(out[0].data.u32, 77);
	EXPECT_TRUE(out[0].events & EPOLLIN);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0); /* no new arrival */
	send_id(p, 2);
	EXPECT_EQ(epoll_wait(ep, out, 2, 1000), 1);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	EXPECT_EQ(status_of(p).mps_msgcount, 2);
}

TEST(port_fd_hup_when_right_destroyed)
{
	mach_port_t p = new_port();
	int fd = machipc_port_fd(p, 0), ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN }, out[1];

	EXPECT_TRUE(fd >= 0 && ep >= 0);
	EXPECT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	EXPECT_EQ(epoll_wait(ep, out, 1, 0), 0);
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	EXPECT_EQ(epoll_wait(ep, out, 1, 1000), 1);
	EXPECT_TRUE(out[0].events & EPOLLHUP);
	EXPECT_TRUE(readable(fd) & POLLHUP);
}

TEST(port_fd_short_read_and_nonblock)
{
	mach_port_t p = new_port();
	int fd = machipc_port_fd(p, 0);
	char small[16];
	rbuf_t m;

	EXPECT_TRUE(fd >= 0);
	EXPECT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	errno = 0;
	EXPECT_EQ(read(fd, &m, sizeof(m)), -1);
	EXPECT_EQ(errno, EAGAIN);
	send_id(p, 71);
	errno = 0;
	EXPECT_EQ(read(fd, small, sizeof(small)), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	EXPECT_EQ(status_of(p).mps_msgcount, 1);
	EXPECT_EQ(readable(fd), POLLIN);
	EXPECT_EQ(read(fd, &m, sizeof(m)), sizeof(mach_msg_header_t) + sizeof(mach_msg_trailer_t));
	EXPECT_EQ(m.h.msgh_id, 71);
	errno = 0;
	EXPECT_EQ(read(fd, &m, sizeof(m)), -1);
	EXPECT_EQ(errno, EAGAIN);
}

TEST(port_fd_close_keeps_right)
{
	mach_port_t p = new_port();
	int fd = machipc_port_fd(p, 0);
	mach_port_type_t t;
	rbuf_t m;

	EXPECT_TRUE(fd >= 0);
	send_id(p, 81);
	EXPECT_EQ(close(fd), 0);
	KR_OK(mach_port_type(mach_task_self(), p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	EXPECT_EQ(status_of(p).mps_msgcount, 1);
	KR_OK(rcv(p, &m, 0));
	EXPECT_EQ(m.h.msgh_id, 81);
	send_id(p, 82);
	KR_OK(rcv(p, &m, 0));
	EXPECT_EQ(m.h.msgh_id, 82);
}

TEST(set_fd_readable_for_any_member)
{
	mach_port_t task = mach_task_self(), s = new_set(), a = new_port(), b = new_port();
	int fd = machipc_port_fd(s, 0);
	rbuf_t m;

	EXPECT_TRUE(fd >= 0);
	KR_OK(mach_port_insert_member(task, a, s));
	KR_OK(mach_port_insert_member(task, b, s));
	EXPECT_EQ(readable(fd), 0);
	send_id(b, 91);
	EXPECT_EQ(readable(fd), POLLIN);
	EXPECT_EQ(read(fd, &m, sizeof(m)), sizeof(mach_msg_header_t) + sizeof(mach_msg_trailer_t));
	EXPECT_EQ(m.h.msgh_local_port, b);
	EXPECT_EQ(m.h.msgh_id, 91);
	EXPECT_EQ(readable(fd), 0);
	send_id(a, 92);
	EXPECT_EQ(readable(fd), POLLIN);
	/* Joining with a queued message makes the set readable too. */
	mach_port_t c = new_port();
	KR_OK(rcv(s, &m, 0));
	EXPECT_EQ(readable(fd), 0);
	send_id(c, 93);
	KR_OK(mach_port_insert_member(task, c, s));
	EXPECT_EQ(readable(fd), POLLIN);
}

struct port_msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_port_descriptor_t p;
	mach_msg_max_trailer_t t;
};

/* Sends `right` (with `disp`) to `dest` in one port descriptor. */
static mach_msg_return_t send_port(mach_port_t dest, mach_msg_type_name_t dest_disp, mach_port_t right,
				   mach_msg_type_name_t disp)
{
	struct port_msg pm;

	memset(&pm, 0, sizeof(pm));
	pm.h.msgh_bits = MACH_MSGH_BITS(dest_disp, 0) | MACH_MSGH_BITS_COMPLEX;
	pm.h.msgh_size = sizeof(pm) - sizeof(pm.t);
	pm.h.msgh_remote_port = dest;
	pm.b.msgh_descriptor_count = 1;
	pm.p.name = right;
	pm.p.disposition = disp;
	pm.p.type = MACH_MSG_PORT_DESCRIPTOR;
	return mach_msg(&pm.h, MACH_SEND_MSG, pm.h.msgh_size, 0, 0, 0, 0);
}

static mach_msg_type_number_t name_count(void)
{
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t n = 0, nt = 0;

	KR_OK(mach_port_names(mach_task_self(), &names, &n, &types, &nt));
	if (n) {
		KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof(*names)));
		KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)types, nt * sizeof(*types)));
	}
	return n;
}

/* The child of port_fd_hangs_up_when_right_moves_to_another_task: hands
 * the parent a send right to a port of its own, receives `p`'s receive
 * right on it, and once told to, the message queued on `p` (exit status 0
 * if all went as it should). */
static void moved_right_child(int arrived, int go)
{
	mach_port_t mine, moved;
	struct port_msg pm;
	rbuf_t m;
	char c;

	if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine))
		_exit(10);
	if (send_port(bootstrap_port, MACH_MSG_TYPE_COPY_SEND, mine, MACH_MSG_TYPE_MAKE_SEND))
		_exit(11);
	if (mach_msg(&pm.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(pm), mine, 10000, 0))
		_exit(12);
	moved = pm.p.name;
	if (pm.p.disposition != MACH_MSG_TYPE_PORT_RECEIVE || !MACH_PORT_VALID(moved))
		_exit(13);
	if (write(arrived, "x", 1) != 1 || read(go, &c, 1) != 1)
		_exit(14);
	/* The message queued before the move is ours, reply right and all. */
	if (rcv(moved, &m, 1000))
		_exit(15);
	if (m.h.msgh_id != 4242 || MACH_MSGH_BITS_REMOTE(m.h.msgh_bits) != MACH_MSG_TYPE_PORT_SEND_ONCE ||
	    !MACH_PORT_VALID(m.h.msgh_remote_port))
		_exit(16);
	_exit(0);
}

/* A descriptor made for a receive right has no claim on it once the right
 * moves to another task: it hangs up, reads end of file, and the message
 * queued before the move (and the reply right in it) stays for the new
 * holder. */
TEST(port_fd_hangs_up_when_right_moves_to_another_task)
{
	mach_port_t task = mach_task_self(), bp = new_port(), p = new_port(), r = new_port();
	int fd = machipc_port_fd(p, 0), arrived[2], go[2], status;
	struct port_msg pm;
	mach_msg_type_number_t before;
	rbuf_t m;
	pid_t pid;
	char c;

	EXPECT_TRUE(fd >= 0);
	EXPECT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	KR_OK(mach_port_insert_right(task, bp, bp, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_special_port(task, TASK_BOOTSTRAP_PORT, bp));
	EXPECT_EQ(pipe(arrived), 0);
	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0)
		moved_right_child(arrived[1], go[0]);
	close(arrived[1]);
	close(go[0]);
	KR_OK(mach_msg(&pm.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(pm), bp, 10000, 0));
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		.msgh_size = sizeof(h),
		.msgh_remote_port = p,
		.msgh_local_port = r,
		.msgh_id = 4242,
	};
	KR_OK(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	EXPECT_EQ(readable(fd), POLLIN);
	KR_OK(send_port(pm.p.name, MACH_MSG_TYPE_MOVE_SEND, p, MACH_MSG_TYPE_MOVE_RECEIVE));
	EXPECT_EQ(read(arrived[0], &c, 1), 1);
	/* The right is the child's now. */
	before = name_count();
	EXPECT_EQ(read(fd, &m, sizeof(m)), 0);
	EXPECT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK), 0);
	EXPECT_EQ(read(fd, &m, sizeof(m)), 0);
	EXPECT_EQ(readable(fd), POLLHUP);
	EXPECT_EQ(name_count(), before);
	EXPECT_EQ(write(go[1], "x", 1), 1);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}
