/* SPDX-License-Identifier: MIT */
/*
 * Randomized stress: several processes and threads do random sequences of
 * Mach calls on shared ports for a bounded time, then every space closes.
 * The kernel's bug finders (KASAN, lockdep, kmemleak) and the debugfs
 * counters checked at the end of the run (scripts/guest-tests.sh) judge it.
 */
#include <mach/mach.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include "harness.h"

#define NPORTS 8

struct msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_port_descriptor_t p;
	char data[32];
	mach_msg_max_trailer_t t;
};

static mach_port_t ports[NPORTS];	/* send rights to the parent's ports */
static volatile int stop;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One random operation; every result is allowed, only crashes matter. */
static void random_op(unsigned *seed, mach_port_t *mine, int nmine)
{
	mach_port_t task = mach_task_self();
	mach_port_t p = ports[rand_r(seed) % NPORTS];
	mach_port_t m = mine[rand_r(seed) % nmine];
	struct msg msg;
	mach_port_t prev;

	switch (rand_r(seed) % 12) {
	case 0: case 1: case 2: {
		/* Send with a random right in a descriptor. */
		static const mach_msg_type_name_t disp[] = {
			MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_COPY_SEND,
		};
		memset(&msg, 0, sizeof(msg));
		msg.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) |
				  MACH_MSGH_BITS_COMPLEX;
		msg.h.msgh_remote_port = p;
		msg.h.msgh_local_port = m;
		msg.h.msgh_size = offsetof(struct msg, t);
		msg.b.msgh_descriptor_count = 1;
		msg.p.name = m;
		msg.p.disposition = disp[rand_r(seed) % 3];
		msg.p.type = MACH_MSG_PORT_DESCRIPTOR;
		mach_msg(&msg.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, msg.h.msgh_size, 0, 0, 1, 0);
		break;
	}
	case 3: case 4:
		/* Receive on one of our own ports and drop what came. */
		if (mach_msg(&msg.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof(msg), m, 1,
			     0) == MACH_MSG_SUCCESS)
			mach_msg_destroy(&msg.h);
		break;
	case 5:
		mach_port_request_notification(task, m, MACH_NOTIFY_NO_SENDERS, 0, m,
					       MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
		if (MACH_PORT_VALID(prev))
			mach_port_deallocate(task, prev);
		break;
	case 6:
		mach_port_insert_right(task, m, m, MACH_MSG_TYPE_MAKE_SEND);
		break;
	case 7:
		mach_port_deallocate(task, m);
		break;
	case 8: {
		mach_port_t so;
		mach_msg_type_name_t t;

		if (mach_port_extract_right(task, m, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t) == KERN_SUCCESS)
			mach_port_deallocate(task, so);
		break;
	}
	case 9: {
		mach_port_limits_t l = { .mpl_qlimit = rand_r(seed) % 8 };

		mach_port_set_attributes(task, m, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&l, 1);
		break;
	}
	case 10: {
		mach_port_t s;

		if (mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &s) == KERN_SUCCESS) {
			mach_port_insert_member(task, m, s);
			mach_msg(&msg.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof(msg), s, 0, 0);
			mach_port_deallocate(task, s);
		}
		break;
	}
	default:
		mach_port_request_notification(task, p, MACH_NOTIFY_DEAD_NAME, 0, m,
					       MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
		if (MACH_PORT_VALID(prev))
			mach_port_deallocate(task, prev);
		break;
	}
}

struct worker {
	unsigned seed;
	mach_port_t mine[4];
};

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	while (!stop)
		random_op(&w->seed, w->mine, 4);
	return NULL;
}

static void run_workers(unsigned seed, double seconds)
{
	struct worker w[3];
	pthread_t t[3];

	for (int i = 0; i < 3; i++) {
		w[i].seed = seed * 31 + i;
		for (int j = 0; j < 4; j++)
			mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &w[i].mine[j]);
		pthread_create(&t[i], NULL, worker_thread, &w[i]);
	}
	double end = now() + seconds;
	while (now() < end)
		usleep(10000);
	stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

TEST(random_calls_across_processes_leave_nothing_behind)
{
	mach_port_t task = mach_task_self(), set;
	pid_t kids[3];

	/* The parent's ports, shared through a set of rights sent to each
	 * child over the bootstrap port. */
	for (int i = 0; i < NPORTS; i++) {
		KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &ports[i]));
		KR_OK(mach_port_insert_right(task, ports[i], ports[i], MACH_MSG_TYPE_MAKE_SEND));
	}
	KR_OK(task_set_special_port(task, TASK_BOOTSTRAP_PORT, ports[0]));
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			/* The child sees port 0 as its bootstrap port; the rest
			 * it reaches through it (it uses bootstrap for all). */
			for (int i = 0; i < NPORTS; i++)
				ports[i] = bootstrap_port;
			run_workers(100 + k, 4.0);
			if (k == 2)
				kill(getpid(), SIGKILL); /* die abruptly */
			_exit(0);
		}
	}
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &set));
	for (int i = 0; i < NPORTS; i++)
		mach_port_insert_member(task, ports[i], set);
	run_workers(7, 4.0);
	for (int k = 0; k < 3; k++)
		waitpid(kids[k], NULL, 0);
	/* Drain what is left and tear down explicitly; exit closes the rest. */
	struct msg msg;
	while (mach_msg(&msg.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof(msg), set, 0, 0) ==
	       MACH_MSG_SUCCESS)
		mach_msg_destroy(&msg.h);
}
