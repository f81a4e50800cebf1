/* SPDX-License-Identifier: MIT */
/*
 * The operation counters behind debugfs `machipc/counting` and
 * `machipc/counters` (lock acquisitions by class, message-path
 * allocations), which `make bench` shows per RPC: they count while on,
 * and only then. The tests run as root in the VM, one at a time.
 */
#include <mach/mach.h>
#include "harness.h"

#include <errno.h>
#include <fcntl.h>

#define COUNTING "/sys/kernel/debug/machipc/counting"
#define COUNTERS "/sys/kernel/debug/machipc/counters"

struct counts {
	long space, transit, port, port_set, allocs, waits;
};

static void set_counting(const char *v)
{
	int fd = open(COUNTING, O_WRONLY);

	if (fd < 0)
		FAILF("open %s: %s", COUNTING, strerror(errno));
	EXPECT_EQ(write(fd, v, strlen(v)), (long)strlen(v));
	close(fd);
}

static int counting(void)
{
	FILE *f = fopen(COUNTING, "r");
	int v = -1;

	if (!f || fscanf(f, "%d", &v) != 1)
		FAILF("read %s", COUNTING);
	fclose(f);
	return v;
}

static struct counts read_counts(void)
{
	FILE *f = fopen(COUNTERS, "r");
	struct counts c = { -1, -1, -1, -1, -1, -1 };
	char key[64];
	long v;

	if (!f)
		FAILF("open %s: %s", COUNTERS, strerror(errno));
	while (fscanf(f, "%63s %ld", key, &v) == 2) {
		if (!strcmp(key, "lock_space"))
			c.space = v;
		else if (!strcmp(key, "lock_transit"))
			c.transit = v;
		else if (!strcmp(key, "lock_port"))
			c.port = v;
		else if (!strcmp(key, "lock_port_set"))
			c.port_set = v;
		else if (!strcmp(key, "allocs"))
			c.allocs = v;
		else if (!strcmp(key, "waits"))
			c.waits = v;
	}
	fclose(f);
	return c;
}

typedef struct {
	mach_msg_header_t h;
	char body[32];
	mach_msg_max_trailer_t trailer;
} msg_t;

/* One RPC in one thread: the request to `p` with a send-once reply right
 * made from `r`, received on `p`, answered, and the answer received on `r`. */
static void one_rpc(mach_port_t p, mach_port_t r)
{
	msg_t m = { 0 };

	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_size = sizeof(m.h) + sizeof(m.body);
	m.h.msgh_remote_port = p;
	m.h.msgh_local_port = r;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR_OK(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), p, 0, MACH_PORT_NULL));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_local_port = MACH_PORT_NULL;
	m.h.msgh_size = sizeof(m.h) + sizeof(m.body);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR_OK(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), r, 0, MACH_PORT_NULL));
}

static mach_port_t new_send_receive(void)
{
	mach_port_t p;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	return p;
}

/* A message over the kmsg cache's size (256 bytes of body) is allocated:
 * its body and its box. */
TEST(a_message_too_large_for_the_kmsg_cache_counts_its_allocations)
{
	mach_port_t p = new_send_receive();
	struct {
		mach_msg_header_t h;
		char body[1024];
		mach_msg_max_trailer_t trailer;
	} m;

	memset(&m, 0, sizeof(m));
	set_counting("1\n");
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = p;
	m.h.msgh_size = sizeof(m.h) + sizeof(m.body);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR_OK(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), p, 0, MACH_PORT_NULL));
	set_counting("0\n");
	struct counts c = read_counts();

	EXPECT_TRUE(c.allocs >= 2 && c.allocs <= 16);
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
}

TEST(one_rpc_counts_its_locks_and_allocations)
{
	mach_port_t p = new_send_receive(), r;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &r));
	one_rpc(p, r); /* warm the kmsg cache */
	set_counting("1\n");
	EXPECT_EQ(counting(), 1);
	one_rpc(p, r);
	set_counting("0\n");
	EXPECT_EQ(counting(), 0);
	struct counts c = read_counts();

	/* Four mach_msg calls, each names something in the space and queues
	 * or dequeues on a port; no set, no receive right in transit. With
	 * the kmsg cache warm, two small messages allocate nothing. The upper
	 * bounds are loose: they catch a counter that counts something else,
	 * not a slow path. */
	EXPECT_TRUE(c.space >= 4 && c.space <= 64);
	EXPECT_TRUE(c.port >= 2 && c.port <= 128);
	EXPECT_EQ(c.port_set, 0);
	EXPECT_EQ(c.transit, 0);
	EXPECT_TRUE(c.allocs <= 16);
	EXPECT_EQ(c.waits, 0); /* every message was queued before its receive */

	/* Off: nothing moves. */
	one_rpc(p, r);
	struct counts d = read_counts();

	EXPECT_EQ(d.space, c.space);
	EXPECT_EQ(d.port, c.port);
	EXPECT_EQ(d.allocs, c.allocs);

	/* On again: zeroed first. */
	set_counting("1");
	struct counts z = read_counts();

	set_counting("0");
	EXPECT_TRUE(z.space == 0 && z.port == 0 && z.allocs == 0);
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_mod_refs(mach_task_self(), r, MACH_PORT_RIGHT_RECEIVE, -1));
}

TEST(set_and_transit_locks_are_counted)
{
	mach_port_t p = new_send_receive(), set, x;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_port_descriptor_t d;
		mach_msg_max_trailer_t trailer;
	} m = { 0 };

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &x));
	KR_OK(mach_port_move_member(mach_task_self(), p, set));
	set_counting("1");
	/* A receive right in transit, received through the set. */
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_size = sizeof(m) - sizeof(m.trailer);
	m.h.msgh_remote_port = p;
	m.body.msgh_descriptor_count = 1;
	m.d.name = x;
	m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m.d.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR_OK(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), set, 0, MACH_PORT_NULL));
	set_counting("0");
	struct counts c = read_counts();

	EXPECT_TRUE(c.transit >= 1);
	EXPECT_TRUE(c.port_set >= 1);
	EXPECT_TRUE(c.allocs >= 2);
	KR_OK(mach_port_mod_refs(mach_task_self(), m.d.name, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_mod_refs(mach_task_self(), set, MACH_PORT_RIGHT_PORT_SET, -1));
}

TEST(a_receive_that_times_out_sleeps)
{
	mach_port_t p = new_send_receive();
	msg_t m;

	set_counting("1");
	KR(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), p, 20, MACH_PORT_NULL),
	   MACH_RCV_TIMED_OUT);
	set_counting("0");
	struct counts c = read_counts();

	EXPECT_TRUE(c.waits >= 1);
	EXPECT_TRUE(c.port >= 1);
	EXPECT_EQ(c.allocs, 0);
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
}

TEST(counting_accepts_only_0_and_1)
{
	int fd = open(COUNTING, O_WRONLY);

	EXPECT_TRUE(fd >= 0);
	EXPECT_EQ(write(fd, "2", 1), -1);
	EXPECT_EQ(errno, EINVAL);
	close(fd);
	EXPECT_EQ(counting(), 0);
}
