/* SPDX-License-Identifier: MIT */
/*
 * Regression tests for attacks on the kernel through /dev/machipc: each
 * builds the hostile input of one reported defect through the public Mach
 * API and checks that the kernel survives it with XNU's answer, nothing
 * lost and nothing left behind.
 */
#include <mach/mach.h>
#include <mach/notify.h>
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

typedef struct {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t d;
} port_msg_t;

typedef struct {
	mach_msg_header_t h;
	char body[256];
	mach_msg_max_trailer_t trailer;
} rbuf_t;

static mach_port_t new_receive(void)
{
	mach_port_t p = MACH_PORT_NULL;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	return p;
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

/* Runs fn in a child with its own space; fails if the child fails. */
static void in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		fn();
		_exit(0);
	}
	EXPECT_TRUE(pid > 0);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Objects alive before fn's child ran are alive after it, no more. */
static void expect_no_leak(void (*fn)(void))
{
	long ports = stat_of("ports"), kmsgs = stat_of("kmsgs");

	EXPECT_TRUE(ports >= 0);
	in_child(fn);
	for (int i = 0; i < 50 && stat_of("ports") != ports; i++)
		usleep(20000);
	EXPECT_EQ(stat_of("ports"), ports);
	EXPECT_EQ(stat_of("kmsgs"), kmsgs);
}

static mach_msg_return_t send_receive_right(mach_port_t dest, mach_port_t carried)
{
	port_msg_t m = {
		.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX,
		.h.msgh_size = sizeof(m),
		.h.msgh_remote_port = dest,
		.h.msgh_id = 7,
		.body.msgh_descriptor_count = 1,
		.d.name = carried,
		.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE,
		.d.type = MACH_MSG_PORT_DESCRIPTOR,
	};

	return mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, MACH_PORT_NULL, 0,
			MACH_PORT_NULL);
}

/*
 * Defect 1: ports A[0..n], each with a port-destroyed request to a dead
 * notification port, each queue holding a message with the next one's
 * receive right. Destroying A[0] destroyed one link per stack frame and
 * overran the kernel stack at about 3,000 links.
 */
#define CHAIN 5000

/* Builds the chain; returns A[0], whose receive right is still ours. */
static mach_port_t build_chain(void)
{
	static mach_port_t a[CHAIN];
	mach_port_t notify = new_receive(), prev;

	for (int i = 0; i < CHAIN; i++) {
		a[i] = new_receive();
		KR_OK(mach_port_request_notification(mach_task_self(), a[i], MACH_NOTIFY_PORT_DESTROYED, 0,
						     notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
		EXPECT_EQ(prev, MACH_PORT_NULL);
	}
	KR_OK(mach_port_mod_refs(mach_task_self(), notify, MACH_PORT_RIGHT_RECEIVE, -1));
	for (int i = CHAIN - 2; i >= 0; i--)
		KR_OK(send_receive_right(a[i], a[i + 1]));
	return a[0];
}

static void build_and_destroy_chain(void)
{
	mach_port_t first = build_chain();
	mach_port_type_t t;

	KR_OK(mach_port_mod_refs(mach_task_self(), first, MACH_PORT_RIGHT_RECEIVE, -1));
	KR(mach_port_type(mach_task_self(), first, &t), KERN_INVALID_NAME);
}

TEST(port_destroyed_chain_is_destroyed_without_recursion)
{
	expect_no_leak(build_and_destroy_chain);
}

/* The same chain, torn down by the death of the task that holds A[0]. */
static void build_chain_and_exit(void)
{
	(void)build_chain();
}

TEST(port_destroyed_chain_dies_with_its_task)
{
	expect_no_leak(build_chain_and_exit);
}

/*
 * Defect 2: a receive buffer at the very top of the address space with
 * MACH_RCV_LARGE: the kernel computed the address of msgh_size with an
 * add that overflowed (a BUG). XNU answers MACH_RCV_INVALID_DATA and the
 * message stays queued.
 */
TEST(rcv_large_buffer_at_top_of_address_space)
{
	mach_port_t p = new_receive();
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0),
		.msgh_size = sizeof(h),
		.msgh_remote_port = p,
		.msgh_id = 3,
	};
	uintptr_t tops[] = { 0xfffffffffffffffcull, 0xfffffffffffffff8ull, 0xfffffffffffffff0ull,
			     0x7ffffffffffcull, 0x8000000000000000ull };
	rbuf_t b;

	KR_OK(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	for (unsigned i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		for (mach_msg_size_t sz = 4; sz <= 24; sz += 4) {
			KR(mach_msg((mach_msg_header_t *)tops[i],
				    MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY | MACH_RCV_TIMEOUT, 0,
				    sz, p, 0, MACH_PORT_NULL),
			   sz >= 8 ? MACH_RCV_INVALID_DATA : MACH_RCV_TOO_LARGE);
		}
	}
	/* Still queued, and received whole into a real buffer. */
	KR_OK(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), p, 0, MACH_PORT_NULL));
	EXPECT_EQ(b.h.msgh_id, 3);
}

/*
 * Defect 8: two threads at once each send the other's receive right into
 * its own port. Both circularity checks passed before either message was
 * queued, so each port ended up in the other's queue: a cycle nobody can
 * receive or destroy, leaked for ever.
 */
#define RACE_ROUNDS 4000

static pthread_barrier_t race_barrier;
struct race_arg {
	mach_port_t *mine, *theirs;
};

static void *race_thread(void *v)
{
	struct race_arg *a = v;

	for (int r = 0; r < RACE_ROUNDS; r++) {
		pthread_barrier_wait(&race_barrier);
		(void)send_receive_right(*a->mine, *a->theirs);
		pthread_barrier_wait(&race_barrier);
	}
	return NULL;
}

static mach_port_t race_a, race_b;

static void cross_send_race(void)
{
	struct race_arg x = { &race_a, &race_b }, y = { &race_b, &race_a };
	pthread_t t1, t2;

	pthread_barrier_init(&race_barrier, NULL, 3);
	pthread_create(&t1, NULL, race_thread, &x);
	pthread_create(&t2, NULL, race_thread, &y);
	for (int r = 0; r < RACE_ROUNDS; r++) {
		race_a = new_receive();
		race_b = new_receive();
		pthread_barrier_wait(&race_barrier);
		pthread_barrier_wait(&race_barrier);
		/* Whichever receive rights are still ours go away now. */
		(void)mach_port_mod_refs(mach_task_self(), race_a, MACH_PORT_RIGHT_RECEIVE, -1);
		(void)mach_port_mod_refs(mach_task_self(), race_b, MACH_PORT_RIGHT_RECEIVE, -1);
	}
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
}

TEST(cross_send_of_receive_rights_leaves_no_cycle)
{
	expect_no_leak(cross_send_race);
}

/*
 * Defect 9: a send that fails on its header moves no right. With the same
 * name as destination and reply, a move-send-once is MACH_SEND_INVALID_DEST
 * (XNU's copyin_header_validate) and the right stays.
 */
static mach_msg_return_t send_hdr(mach_port_t remote, mach_msg_type_name_t rt, mach_port_t local,
				  mach_msg_type_name_t lt)
{
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(rt, lt),
		.msgh_size = sizeof(h),
		.msgh_remote_port = remote,
		.msgh_local_port = local,
		.msgh_id = 9,
	};

	return mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static mach_port_urefs_t refs(mach_port_t n, mach_port_right_t r)
{
	mach_port_urefs_t u = 0;

	KR_OK(mach_port_get_refs(mach_task_self(), n, r, &u));
	return u;
}

TEST(same_name_move_send_once_twice_moves_nothing)
{
	mach_port_t p = new_receive(), so;
	mach_msg_type_name_t got;
	rbuf_t b;

	KR_OK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &got));
	KR(send_hdr(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, so, MACH_MSG_TYPE_MOVE_SEND_ONCE),
	   MACH_SEND_INVALID_DEST);
	KR(send_hdr(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, so, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
	EXPECT_EQ(refs(so, MACH_PORT_RIGHT_SEND_ONCE), 1);
	/* And it still works. */
	KR_OK(send_hdr(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0));
	KR_OK(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), p, 1000, MACH_PORT_NULL));
	EXPECT_EQ(b.h.msgh_id, 9);
}

TEST(same_name_move_send_twice_needs_two_refs)
{
	mach_port_t p = new_receive(), h = new_receive(), r;
	rbuf_t b;

	/* A name holding only a send right: its receive right waits in h. */
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(send_receive_right(h, p));
	EXPECT_EQ(refs(p, MACH_PORT_RIGHT_SEND), 1);
	KR(send_hdr(p, MACH_MSG_TYPE_MOVE_SEND, p, MACH_MSG_TYPE_MOVE_SEND), MACH_SEND_INVALID_DEST);
	EXPECT_EQ(refs(p, MACH_PORT_RIGHT_SEND), 1);
	/* Move + copy of one reference: the destination takes it, the reply
	 * gets a copy (XNU's joint copyin). */
	KR_OK(send_hdr(p, MACH_MSG_TYPE_MOVE_SEND, p, MACH_MSG_TYPE_COPY_SEND));
	mach_port_type_t t;
	KR(mach_port_type(mach_task_self(), p, &t), KERN_INVALID_NAME);
	KR_OK(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), h, 1000, MACH_PORT_NULL));
	r = ((port_msg_t *)&b)->d.name;
	KR_OK(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), r, 1000, MACH_PORT_NULL));
	EXPECT_EQ(MACH_MSGH_BITS_REMOTE(b.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND);
	EXPECT_EQ(b.h.msgh_remote_port, r);
	EXPECT_EQ(b.h.msgh_id, 9);
	/* Two references: both moves succeed. */
	KR_OK(mach_port_mod_refs(mach_task_self(), r, MACH_PORT_RIGHT_SEND, 1));
	EXPECT_EQ(refs(r, MACH_PORT_RIGHT_SEND), 2);
	KR_OK(send_hdr(r, MACH_MSG_TYPE_MOVE_SEND, r, MACH_MSG_TYPE_MOVE_SEND));
	KR_OK(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), r, 1000, MACH_PORT_NULL));
	EXPECT_EQ(b.h.msgh_remote_port, r);
	EXPECT_EQ(refs(r, MACH_PORT_RIGHT_SEND), 1);
}

TEST(reply_send_right_to_a_dead_port_is_accepted)
{
	/* XNU's copyin_check_reply lets a send right whose port died through
	 * as the reply (it travels as MACH_PORT_DEAD); an entry that already
	 * is a dead name has no port right: MACH_SEND_INVALID_REPLY. */
	mach_port_t p = new_receive(), q = new_receive(), h = new_receive(), d;
	rbuf_t b;

	/* q's name keeps only a send right; its receive right dies with h. */
	KR_OK(mach_port_insert_right(mach_task_self(), q, q, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_mod_refs(mach_task_self(), q, MACH_PORT_RIGHT_SEND, 1));
	KR_OK(send_receive_right(h, q));
	KR_OK(mach_port_mod_refs(mach_task_self(), h, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(send_hdr(p, MACH_MSG_TYPE_MAKE_SEND, q, MACH_MSG_TYPE_COPY_SEND));
	KR_OK(mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), p, 1000, MACH_PORT_NULL));
	EXPECT_EQ(b.h.msgh_remote_port, MACH_PORT_DEAD);
	/* The lookup made q a dead name: now refused. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &d));
	KR(send_hdr(p, MACH_MSG_TYPE_MAKE_SEND, d, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_REPLY);
}

/*
 * Defect 11: a receiver woken for a message that then leaves without it
 * (its timeout expired or a signal arrived) must pass the wakeup on:
 * otherwise a receiver waiting without a timeout sleeps on beside a
 * queued message. Many short-timeout receivers and signals race one
 * patient receiver; every message must reach it in time.
 */
#define WAKE_MSGS 400

static mach_port_t wake_port;
static atomic_int wake_stop, patient_got;

static void on_usr1(int sig)
{
	(void)sig;
}

static void *impatient(void *v)
{
	(void)v;
	rbuf_t b;

	while (!atomic_load(&wake_stop)) {
		mach_msg_return_t r = mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_INTERRUPT, 0,
					       sizeof(b), wake_port, 1, MACH_PORT_NULL);
		if (r == MACH_MSG_SUCCESS)
			atomic_fetch_add(&patient_got, 1);
	}
	return NULL;
}

static void *patient(void *v)
{
	(void)v;
	rbuf_t b;

	while (atomic_load(&patient_got) < WAKE_MSGS) {
		mach_msg_return_t r = mach_msg(&b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b),
					       wake_port, 10000, MACH_PORT_NULL);
		if (r != MACH_MSG_SUCCESS)
			break;
		atomic_fetch_add(&patient_got, 1);
	}
	return NULL;
}

TEST(woken_receiver_that_leaves_passes_the_wakeup_on)
{
	pthread_t imp[3], pat;
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigaction(SIGUSR1, &sa, NULL);
	wake_port = new_receive();
	KR_OK(mach_port_insert_right(mach_task_self(), wake_port, wake_port, MACH_MSG_TYPE_MAKE_SEND));
	mach_port_limits_t lim = { .mpl_qlimit = MACH_PORT_QLIMIT_MAX };
	KR_OK(mach_port_set_attributes(mach_task_self(), wake_port, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT));
	pthread_create(&pat, NULL, patient, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&imp[i], NULL, impatient, NULL);
	for (int i = 0; i < WAKE_MSGS; i++) {
		mach_msg_header_t h = {
			.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
			.msgh_size = sizeof(h),
			.msgh_remote_port = wake_port,
		};
		KR_OK(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
		pthread_kill(imp[i % 3], SIGUSR1);
		if (i % 50 == 0)
			usleep(1000);
	}
	atomic_store(&wake_stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(imp[i], NULL);
	pthread_join(pat, NULL);
	EXPECT_EQ(atomic_load(&patient_got), WAKE_MSGS);
}

/* The pinned task port as a moved reply: refused before the destination
 * right moves (XNU checks the reply before copying anything in). */
TEST(pinned_reply_refused_before_dest_moves)
{
	mach_port_t p = new_receive(), s;
	mach_msg_type_name_t got;

	KR_OK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND, &s, &got));
	EXPECT_EQ(refs(mach_task_self(), MACH_PORT_RIGHT_SEND), 1);
	KR(send_hdr(s, MACH_MSG_TYPE_MOVE_SEND, mach_task_self(), MACH_MSG_TYPE_MOVE_SEND),
	   MACH_SEND_INVALID_REPLY);
	EXPECT_EQ(refs(s, MACH_PORT_RIGHT_SEND), 1);
	EXPECT_EQ(refs(mach_task_self(), MACH_PORT_RIGHT_SEND), 1);
}
