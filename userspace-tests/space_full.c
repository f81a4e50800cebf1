/* SPDX-License-Identifier: MIT */
/*
 * A task whose own port name space is full is killed, as XNU kills it
 * (README "Resource limits"): the call that found no room answers its
 * error and the process dies of SIGKILL on its way back to user space. A
 * space full of another task's doing, a full message quota and the
 * per-user limits only answer errors.
 */
#include <mach/mach.h>
#include "children.h"
#include "harness.h"

#include <assert.h>
#include <errno.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline mach_port_type_t get_port_type(mach_port_t mp)
{
	mach_port_type_t type = 0;

	mach_port_type(mach_task_self(), mp, &type);
	return type;
}

/*
 * The loop of Apple's tests/port_exhaustion_client.c as it is: it
 * asserts that every allocation succeeds, so only a kill ends it with a
 * SIGKILL status. `made` counts the ports, for the report.
 */
static void port_exhaustion_client(volatile int *made)
{
	mach_port_t port = MACH_PORT_NULL;
	kern_return_t retval = KERN_SUCCESS;
	mach_port_t task = mach_task_self();
	int i = 0;

	while (!retval) {
		retval = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port);
		assert(retval == 0);
		assert(get_port_type(port) == MACH_PORT_TYPE_RECEIVE);
		i++;
		*made = i;
	}
	exit(1);
}

/*
 * Runs `child` (which never returns) in a forked process, with a counter
 * in memory it shares with this one; returns the child's wait status,
 * with the counter's last value in *count and the time taken in *secs.
 * Filling a space takes tens of seconds in the emulated test VM, twice
 * that on a busy host, near the harness's 60 s: the alarm is longer.
 */
static int run_filling_child(void (*child)(volatile int *), int *count, double *secs)
{
	volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double t0 = now();
	int status = 0;
	pid_t pid;

	EXPECT_TRUE(shared != MAP_FAILED);
	alarm(180);
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child(shared);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	*count = *shared;
	*secs = now() - t0;
	return status;
}

/* Apple's tests/port_exhaustion.c: the client must die of SIGKILL (wait
 * status exactly 9), not of its failed assertion (SIGABRT). */
TEST(port_exhaustion_kills_the_task_with_sigkill)
{
	double secs;
	int made;
	/* About 60,000 ports of the debug kernel's size fill the 64 MiB quota. */
	int status = run_filling_child(port_exhaustion_client, &made, &secs);

	printf("  info: %d ports allocated, then wait status %d, in %.1f s\n", made, status, secs);
	EXPECT_EQ(WIFEXITED(status), 0);
	EXPECT_EQ(status, 9);
	/* The space was full, not the call refused at once. */
	EXPECT_TRUE(made > 10000);
}

/* Commands to the target of the next test, over a pipe: 'p' makes a Mach
 * call and answers its result; 'a' allocates a receive right in the
 * target's own (full) space and answers the result, if it lives. */
struct cmd_msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_ool_ports_descriptor_t d;
};

/*
 * Fills the caller's quota with messages queued on `dest`: port arrays of
 * shrinking size (each name costs a right slot), then bare headers, each
 * size until MACH_SEND_NO_BUFFER, so what is left is less than the
 * smallest message. Returns 0, or the failure.
 */
static int fill_quota_with_messages(mach_port_t dest)
{
	static const unsigned counts[] = { 16383, 1024, 64, 4, 0 };
	static mach_port_t names[16383];
	struct cmd_msg m;
	int sent = 0;

	for (unsigned k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		for (;;) {
			memset(&m, 0, sizeof(m));
			m.h.msgh_remote_port = dest;
			if (counts[k]) {
				m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
				m.h.msgh_size = sizeof(m);
				m.b.msgh_descriptor_count = 1;
				m.d.address = names;
				m.d.count = counts[k];
				m.d.disposition = MACH_MSG_TYPE_COPY_SEND;
				m.d.copy = MACH_MSG_VIRTUAL_COPY;
				m.d.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
			} else {
				m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
				m.h.msgh_size = sizeof(m.h);
			}
			mach_msg_return_t mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, m.h.msgh_size, 0, 0, 0, 0);
			if (mr == MACH_SEND_NO_BUFFER)
				break;
			if (mr != MACH_MSG_SUCCESS || ++sent >= MACH_PORT_QLIMIT_MAX)
				return 10 + (int)k;
		}
	}
	return 0;
}

static void full_quota_target(int cmd, int reply)
{
	mach_port_t p, n;
	mach_port_limits_t l = { .mpl_qlimit = MACH_PORT_QLIMIT_MAX };
	char c;
	int r;

	if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) ||
	    mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) ||
	    mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&l,
				     MACH_PORT_LIMITS_INFO_COUNT))
		_exit(2);
	/* A full message quota answers MACH_SEND_NO_BUFFER and kills no one. */
	r = fill_quota_with_messages(p);
	if (write(reply, &r, sizeof(r)) != sizeof(r))
		_exit(3);
	while (read(cmd, &c, 1) == 1) {
		if (c == 'p')
			r = get_port_type(p) == (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND) ? 0 : -1;
		else if (c == 'a')
			r = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n);
		else
			r = -2;
		if (write(reply, &r, sizeof(r)) != sizeof(r))
			_exit(4);
	}
	_exit(0);
}

static int ask(int cmd, int reply, char c)
{
	int r = -12345;

	EXPECT_EQ(write(cmd, &c, 1), 1);
	if (read(reply, &r, sizeof(r)) != (ssize_t)sizeof(r))
		return -12345;
	return r;
}

/*
 * A space whose quota is full: the task that fills it from outside, through
 * its task port, gets KERN_NO_SPACE and lives, and so does the space's
 * task; the space's own task dies when it asks for a port it has no room
 * for.
 */
TEST(a_full_space_kills_only_its_own_task)
{
	int to[2], from[2], status = 0, r = -1;
	mach_port_t t, mine, n;
	pid_t pid;

	EXPECT_EQ(pipe(to), 0);
	EXPECT_EQ(pipe(from), 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		full_quota_target(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	EXPECT_EQ(read(from[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	EXPECT_EQ(r, 0);
	KR_OK(task_for_pid(mach_task_self(), pid, &t));
	/* Another task's full space: errors, no kill. */
	KR(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &n), KERN_NO_SPACE);
	KR(mach_port_allocate(t, MACH_PORT_RIGHT_PORT_SET, &n), KERN_NO_SPACE);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine));
	/* A name past the target's table: the table cannot grow. */
	KR(mach_port_insert_right(t, 0x1000003, mine, MACH_MSG_TYPE_MAKE_SEND), KERN_NO_SPACE);
	EXPECT_EQ(ask(to[1], from[0], 'p'), 0);
	/* Its own allocation, with no room: SIGKILL. */
	EXPECT_EQ(ask(to[1], from[0], 'a'), -12345);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 9);
	close(to[1]);
	close(from[0]);
}

/* Names a receive may make at once: XNU's IPC_KMSG_MAX_OOL_PORT_COUNT. */
#define ARRAY_NAMES 16383

struct so_msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_ool_ports_descriptor_t d;
};

struct so_rcv {
	struct so_msg m;
	mach_msg_max_trailer_t t;
};

/*
 * Fills the caller's name table to its 1,048,576 names (MAX_NAMES) with
 * send-once rights, each its own name: a dead name far out sizes the
 * table at once (32 MiB, within the quota), then each round sends
 * itself 16,383 send-once rights to `p` in a port array and receives
 * them. The round whose rights no longer fit cannot name them: the
 * receiver dies. `rounds` counts the rounds that came back.
 */
static void fill_name_table(volatile int *rounds)
{
	static mach_port_t names[ARRAY_NAMES];
	mach_port_t task = mach_task_self(), p;
	struct so_msg m;
	struct so_rcv r;

	if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &p) ||
	    mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND) ||
	    mach_port_allocate_name(task, MACH_PORT_RIGHT_DEAD_NAME, (((1u << 20) - 1) << 8) | 3))
		_exit(2);
	for (int i = 0; i < ARRAY_NAMES; i++)
		names[i] = p;
	for (int round = 0; round < 100; round++) {
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
		m.h.msgh_size = sizeof(m);
		m.h.msgh_remote_port = p;
		m.b.msgh_descriptor_count = 1;
		m.d.address = names;
		m.d.count = ARRAY_NAMES;
		m.d.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
		m.d.copy = MACH_MSG_VIRTUAL_COPY;
		m.d.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
		if (mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0))
			_exit(3);
		if (mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0))
			_exit(4);
		*rounds = round + 1;
	}
	_exit(5);
}

/* XNU's limit itself: a table at ipc_entry_table_count_max() that a
 * receive must grow makes the space full, and the receiver dies. */
TEST(a_receive_into_a_full_name_table_kills_the_receiver)
{
	double secs;
	int rounds;
	int status = run_filling_child(fill_name_table, &rounds, &secs);

	printf("  info: %d rounds of %d names, then wait status %d, in %.1f s\n", rounds, ARRAY_NAMES, status, secs);
	EXPECT_EQ(status, 9);
	/* 64 rounds fit in 1,048,575 usable slots; the 65th does not. */
	EXPECT_EQ(rounds, 64);
}
