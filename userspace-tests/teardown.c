/* SPDX-License-Identifier: MIT */
/*
 * Teardown of a large space: a task with a huge name table exits at once
 * (the kernel tears the space down in a work item, rust/space.rs) and its
 * death still sends every notification it owes.
 */
#include <mach/mach.h>
#include <mach/notify.h>
#include <sys/wait.h>
#include <time.h>
#include "harness.h"

/*
 * The child's name table: NAMES slots, past the 65,536 up to which a space
 * is torn down inline. One name allocated far out (mach_port_allocate_name)
 * grows the table at once; PORTS more receive rights are real entries.
 * 200,000 mach_port_allocate calls would take minutes in the emulated test
 * VM; the slots cost the teardown a walk all the same.
 */
#define NAMES 200000
#define PORTS 2000

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

static mach_msg_return_t rcv(mach_port_t port, rbuf_t *b, mach_msg_timeout_t ms)
{
	memset(b, 0xa5, sizeof(*b));
	return mach_msg(&b->h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*b), port, ms, MACH_PORT_NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The child: a NAMES-slot table holding PORTS receive rights, and one more,
 * `p`, whose send right it hands to the parent through the bootstrap port.
 * It exits when the pipe closes.
 */
static void many_names_child(int rfd)
{
	mach_port_t bp = MACH_PORT_NULL, p, q;
	int made = 0;
	char c;

	if (task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &bp) != KERN_SUCCESS ||
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
		_exit(2);
	if (mach_port_allocate_name(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, ((NAMES - 1) << 8) | 3) !=
	    KERN_SUCCESS)
		_exit(3);
	/* Under fault injection a few allocations fail: try again. */
	for (int tries = 0; made < PORTS && tries < 2 * PORTS; tries++)
		if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &q) == KERN_SUCCESS)
			made++;
	if (made < PORTS)
		_exit(3);
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND),
		.msgh_size = sizeof(h),
		.msgh_remote_port = bp,
		.msgh_local_port = p,
		.msgh_id = 4321,
	};
	if (mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
		_exit(4);
	while (read(rfd, &c, 1) > 0)
		;
	_exit(0);
}

/* Queues on `dest` a message carrying the only send right to `q` and the
 * receive right `d`. */
static void send_rights(mach_port_t dest, mach_port_t q, mach_port_t d)
{
	struct {
		mach_msg_header_t h;
		mach_msg_body_t b;
		mach_msg_port_descriptor_t send, recv;
	} m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = dest;
	m.b.msgh_descriptor_count = 2;
	m.send.name = q;
	m.send.disposition = MACH_MSG_TYPE_MAKE_SEND;
	m.send.type = MACH_MSG_PORT_DESCRIPTOR;
	m.recv.name = d;
	m.recv.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m.recv.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
}

/*
 * The child holds a NAMES-slot table, a port `p` we hold a send right to (with a
 * dead-name request), and in p's queue the only send right to our port `q`
 * (no-senders request) and the receive right of our port `d` (port-destroyed
 * request). Its exit must send all three, each to its own notify port.
 */
TEST(large_space_closes_promptly_and_sends_its_notifications)
{
	mach_port_t task = mach_task_self(), boot = new_port(), q = new_port(), d = new_port();
	mach_port_t n_dead = new_port(), n_ns = new_port(), n_pd = new_port(), prev, p;
	mach_port_type_t t;
	int fds[2], status;
	rbuf_t b;
	pid_t pid;

	KR_OK(mach_port_insert_right(task, boot, boot, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_special_port(task, TASK_BOOTSTRAP_PORT, boot));
	EXPECT_EQ(pipe(fds), 0);
	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		many_names_child(fds[0]);
	}
	close(fds[0]);
	KR_OK(rcv(boot, &b, 50000));
	EXPECT_EQ(b.h.msgh_id, 4321);
	p = b.h.msgh_remote_port;
	EXPECT_TRUE(MACH_PORT_VALID(p));

	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_DEAD_NAME, 0, n_dead,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_request_notification(task, d, MACH_NOTIFY_PORT_DESTROYED, 0, n_pd,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	send_rights(p, q, d);
	KR_OK(mach_port_request_notification(task, q, MACH_NOTIFY_NO_SENDERS, 1, n_ns,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));

	double t0 = now_ms();
	close(fds[1]);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	double t1 = now_ms();
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fprintf(stderr, "  info: exit of a task with %d name slots, %d ports took %.1f ms\n", NAMES, PORTS + 2,
		t1 - t0);

	KR_OK(rcv(n_dead, &b, 30000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_DEAD_NAME);
	EXPECT_EQ(((mach_dead_name_notification_t *)&b)->not_port, p);
	KR_OK(mach_port_type(task, p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_DEAD_NAME);

	KR_OK(rcv(n_ns, &b, 30000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
	EXPECT_EQ(((mach_no_senders_notification_t *)&b)->not_count, 1);

	KR_OK(rcv(n_pd, &b, 30000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
	mach_port_destroyed_notification_t *m = (void *)&b;
	EXPECT_EQ(m->not_port.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	KR_OK(mach_port_type(task, m->not_port.name, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
}
