/* SPDX-License-Identifier: MIT */
/*
 * Timers as ports (XNU's osfmk/kern/mk_timer.c, mach/mk_timer.h): the
 * expiry message's layout, arm, re-arm, cancel and destroy answers, and a
 * timer beside other ports in a port set and in epoll.
 */
#include <mach/mach.h>
#include <mach/mk_timer.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include "harness.h"

#define MS 1000000ull

typedef struct {
	mach_msg_header_t h;
	char body[512];
} rbuf_t;

static mach_msg_return_t rcv(mach_port_t port, rbuf_t *b, mach_msg_timeout_t ms)
{
	memset(b, 0xa5, sizeof(*b));
	return mach_msg(&b->h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*b), port, ms, MACH_PORT_NULL);
}

static mach_port_t new_timer(void)
{
	mach_port_t t = mk_timer_create();

	EXPECT_NE(t, MACH_PORT_NULL);
	return t;
}

/* The message XNU's mk_timer_expire sends: COPY_SEND to the timer port,
 * msgh_id 0, sizeof(mk_timer_expire_msg_t), `unused` zeroed. */
static void expect_expiry(const rbuf_t *b, mach_port_t timer)
{
	const mk_timer_expire_msg_t *m = (const mk_timer_expire_msg_t *)b;

	EXPECT_EQ(m->header.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
	EXPECT_EQ(m->header.msgh_size, sizeof(mk_timer_expire_msg_t));
	EXPECT_EQ(m->header.msgh_remote_port, MACH_PORT_NULL);
	EXPECT_EQ(m->header.msgh_local_port, timer);
	EXPECT_EQ(m->header.msgh_id, 0);
	EXPECT_EQ(m->unused[0], 0);
	EXPECT_EQ(m->unused[1], 0);
	EXPECT_EQ(m->unused[2], 0);
}

TEST(layout)
{
	EXPECT_EQ(sizeof(mk_timer_expire_msg_t), 48);
	EXPECT_EQ(offsetof(mk_timer_expire_msg_t, unused), 24);
	EXPECT_EQ(MK_TIMER_NORMAL, 0);
	EXPECT_EQ(MK_TIMER_CRITICAL, 1);
	mach_timebase_info_data_t tb;
	KR_OK(mach_timebase_info(&tb));
	EXPECT_EQ(tb.numer, 1);
	EXPECT_EQ(tb.denom, 1);
}

TEST(arm_fires_once)
{
	mach_port_t t = new_timer();
	rbuf_t b;
	mach_port_type_t type;

	KR_OK(mach_port_type(mach_task_self(), t, &type));
	EXPECT_EQ(type, MACH_PORT_TYPE_RECEIVE);
	uint64_t deadline = mach_absolute_time() + 20 * MS;
	KR_OK(mk_timer_arm(t, deadline));
	KR(rcv(t, &b, 5000), MACH_MSG_SUCCESS);
	EXPECT_TRUE(mach_absolute_time() >= deadline);
	expect_expiry(&b, t);
	KR(rcv(t, &b, 100), MACH_RCV_TIMED_OUT);
	/* Armed again, it fires again. */
	KR_OK(mk_timer_arm(t, mach_absolute_time() + MS));
	KR(rcv(t, &b, 5000), MACH_MSG_SUCCESS);
	expect_expiry(&b, t);
	KR_OK(mk_timer_destroy(t));
}

TEST(past_deadline_fires_at_once)
{
	mach_port_t t = new_timer();
	rbuf_t b;

	KR_OK(mk_timer_arm(t, 0));
	KR(rcv(t, &b, 5000), MACH_MSG_SUCCESS);
	expect_expiry(&b, t);
	KR_OK(mk_timer_arm_leeway(t, MK_TIMER_CRITICAL, mach_absolute_time() - 1, 5 * MS));
	KR(rcv(t, &b, 5000), MACH_MSG_SUCCESS);
	expect_expiry(&b, t);
	KR_OK(mk_timer_destroy(t));
}

/* As XNU's keep-alive message: while one expiry message is queued, later
 * expiries send nothing. */
TEST(one_message_queued_at_most)
{
	mach_port_t t = new_timer();
	rbuf_t b;

	for (int i = 0; i < 5; i++) {
		KR_OK(mk_timer_arm(t, 0));
		usleep(20000);
	}
	KR(rcv(t, &b, 1000), MACH_MSG_SUCCESS);
	expect_expiry(&b, t);
	KR(rcv(t, &b, 100), MACH_RCV_TIMED_OUT);
	/* Received, the message can be sent again. */
	KR_OK(mk_timer_arm(t, 0));
	KR(rcv(t, &b, 5000), MACH_MSG_SUCCESS);
	KR_OK(mk_timer_destroy(t));
}

TEST(rearm_moves_deadline)
{
	mach_port_t t = new_timer();
	rbuf_t b;
	uint64_t later;

	KR_OK(mk_timer_arm(t, mach_absolute_time() + 10 * MS));
	later = mach_absolute_time() + 300 * MS;
	KR_OK(mk_timer_arm(t, later));
	KR(rcv(t, &b, 100), MACH_RCV_TIMED_OUT);
	KR(rcv(t, &b, 5000), MACH_MSG_SUCCESS);
	EXPECT_TRUE(mach_absolute_time() >= later);
	expect_expiry(&b, t);
	KR_OK(mk_timer_destroy(t));
}

TEST(cancel_returns_armed_deadline)
{
	mach_port_t t = new_timer();
	rbuf_t b;
	uint64_t when = 1, deadline = mach_absolute_time() + 10000 * MS;

	/* Not armed: 0. */
	KR_OK(mk_timer_cancel(t, &when));
	EXPECT_EQ(when, 0);
	KR_OK(mk_timer_arm(t, deadline));
	KR_OK(mk_timer_cancel(t, &when));
	EXPECT_EQ(when, deadline);
	when = 1;
	KR_OK(mk_timer_cancel(t, &when));
	EXPECT_EQ(when, 0);
	/* With leeway: the hard deadline, at least deadline + leeway. */
	KR_OK(mk_timer_arm_leeway(t, MK_TIMER_NORMAL, deadline, 7 * MS));
	KR_OK(mk_timer_cancel(t, &when));
	EXPECT_EQ(when, deadline + 7 * MS);
	/* A null result address is allowed; an unwritable one is KERN_FAILURE
	 * (the timer is cancelled all the same). */
	KR_OK(mk_timer_arm(t, mach_absolute_time() + 50 * MS));
	KR_OK(mk_timer_cancel(t, NULL));
	KR_OK(mk_timer_arm(t, mach_absolute_time() + 50 * MS));
	KR(mk_timer_cancel(t, (uint64_t *)8), KERN_FAILURE);
	KR(rcv(t, &b, 200), MACH_RCV_TIMED_OUT);
	KR_OK(mk_timer_destroy(t));
}

TEST(errors)
{
	mach_port_t p = MACH_PORT_NULL, set = MACH_PORT_NULL, t = new_timer(), notify = MACH_PORT_NULL;
	mach_port_t prev = MACH_PORT_NULL;
	uint64_t when;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
	/* Not a timer. */
	KR(mk_timer_arm(p, 0), KERN_INVALID_ARGUMENT);
	KR(mk_timer_cancel(p, &when), KERN_INVALID_ARGUMENT);
	KR(mk_timer_destroy(p), KERN_INVALID_ARGUMENT);
	/* Not a receive right. */
	KR(mk_timer_arm(set, 0), KERN_INVALID_RIGHT);
	KR(mk_timer_destroy(set), KERN_INVALID_RIGHT);
	/* Not a name. */
	KR(mk_timer_arm(0x12345603, 0), KERN_INVALID_NAME);
	KR(mk_timer_cancel(0x12345603, &when), KERN_INVALID_NAME);
	KR(mk_timer_destroy(0x12345603), KERN_INVALID_NAME);
	/* The receive right is immovable, as XNU's. */
	mach_port_t moved = MACH_PORT_NULL;
	mach_msg_type_name_t mt = 0;
	KR(mach_port_extract_right(mach_task_self(), t, MACH_MSG_TYPE_MOVE_RECEIVE, &moved, &mt),
	   KERN_INVALID_CAPABILITY);
	/* XNU's mktimer_kobject test: no port-destroyed request on a timer. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &notify));
	KR(mach_port_request_notification(mach_task_self(), t, MACH_NOTIFY_PORT_DESTROYED, 0, notify,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_RIGHT);
	/* Anyone may send to a timer port; the message is queued. */
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0),
		.msgh_size = sizeof(h),
		.msgh_remote_port = t,
		.msgh_id = 77,
	};
	rbuf_t b;
	KR_OK(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR(rcv(t, &b, 1000), MACH_MSG_SUCCESS);
	EXPECT_EQ(b.h.msgh_id, 77);
	KR_OK(mk_timer_destroy(t));
	KR(mk_timer_destroy(t), KERN_INVALID_NAME);
	mach_port_type_t type;
	KR(mach_port_type(mach_task_self(), t, &type), KERN_INVALID_NAME);
}

TEST(destroy_while_armed)
{
	rbuf_t b;
	mach_port_t t = new_timer(), u = new_timer();

	KR_OK(mk_timer_arm(t, mach_absolute_time() + 30 * MS));
	KR_OK(mk_timer_destroy(t));
	/* The receive right's death by mod_refs destroys the timer too. */
	KR_OK(mk_timer_arm(u, mach_absolute_time() + 30 * MS));
	KR_OK(mach_port_mod_refs(mach_task_self(), u, MACH_PORT_RIGHT_RECEIVE, -1));
	/* A fired, queued expiry dies with the port. */
	mach_port_t v = new_timer();
	KR_OK(mk_timer_arm(v, 0));
	usleep(50000);
	KR_OK(mach_port_destroy(mach_task_self(), v));
	usleep(100000);
	KR(rcv(t, &b, 0), MACH_RCV_INVALID_NAME);
}

TEST(in_port_set)
{
	mach_port_t set = MACH_PORT_NULL, p = MACH_PORT_NULL, t = new_timer();
	rbuf_t b;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_member(mach_task_self(), p, set));
	KR_OK(mach_port_insert_member(mach_task_self(), t, set));
	KR_OK(mk_timer_arm(t, mach_absolute_time() + 20 * MS));
	KR(rcv(set, &b, 5000), MACH_MSG_SUCCESS);
	expect_expiry(&b, t);
	KR(rcv(set, &b, 100), MACH_RCV_TIMED_OUT);
	KR_OK(mk_timer_destroy(t));
	KR_OK(mach_port_destroy(mach_task_self(), set));
}

TEST(in_epoll)
{
	mach_port_t t = new_timer();
	int fd = machipc_port_fd(t, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	rbuf_t b;

	EXPECT_TRUE(fd >= 0);
	EXPECT_TRUE(ep >= 0);
	EXPECT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	KR_OK(mk_timer_arm(t, mach_absolute_time() + 20 * MS));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	EXPECT_TRUE(out.events & EPOLLIN);
	KR(rcv(t, &b, 0), MACH_MSG_SUCCESS);
	expect_expiry(&b, t);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 50), 0);
	close(fd);
	close(ep);
	KR_OK(mk_timer_destroy(t));
}

#define MANY 256

TEST(many_timers)
{
	static mach_port_t timers[MANY];
	static int seen[MANY];
	mach_port_t set = MACH_PORT_NULL;
	uint64_t now = mach_absolute_time();
	rbuf_t b;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
	for (int i = 0; i < MANY; i++) {
		timers[i] = new_timer();
		KR_OK(mach_port_insert_member(mach_task_self(), timers[i], set));
		KR_OK(mk_timer_arm(timers[i], now + (uint64_t)(MANY - i) * 100000ull));
	}
	for (int n = 0; n < MANY; n++) {
		KR(rcv(set, &b, 5000), MACH_MSG_SUCCESS);
		int i;
		for (i = 0; i < MANY && timers[i] != b.h.msgh_local_port; i++)
			;
		EXPECT_TRUE(i < MANY);
		expect_expiry(&b, timers[i]);
		EXPECT_EQ(seen[i], 0);
		seen[i] = 1;
	}
	KR(rcv(set, &b, 100), MACH_RCV_TIMED_OUT);
	for (int i = 0; i < MANY; i++)
		KR_OK(mk_timer_destroy(timers[i]));
}

/* A live-object counter from debugfs (the tests run as root in the VM). */
static long stat_of(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/machipc/stats", "r");
	char key[64];
	long v;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2) {
		if (strcmp(key, name) == 0) {
			fclose(f);
			return v;
		}
	}
	fclose(f);
	return -1;
}

TEST(task_exit_with_armed_timers)
{
	long before = stat_of("timers");
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		uint64_t now = mach_absolute_time();
		for (int i = 0; i < 64; i++) {
			mach_port_t t = mk_timer_create();
			if (t == MACH_PORT_NULL)
				_exit(1);
			/* Some fire (and queue) before exit, some long after. */
			if (mk_timer_arm(t, i % 2 ? now + 100000 * MS : now) != KERN_SUCCESS)
				_exit(2);
		}
		usleep(20000);
		_exit(0);
	}
	EXPECT_TRUE(pid > 0);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (before >= 0) {
		/* The space is torn down at close; its timers go with it. */
		for (int i = 0; i < 100 && stat_of("timers") != before; i++)
			usleep(10000);
		EXPECT_EQ(stat_of("timers"), before);
	}
}
