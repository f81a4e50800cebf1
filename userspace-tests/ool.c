/* SPDX-License-Identifier: MIT */
/* Out-of-line memory and port arrays in messages. */
#include <mach/mach.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "harness.h"

struct ool_msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_ool_descriptor_t mem;
	mach_msg_ool_ports_descriptor_t ports;
};

struct ool_rcv {
	struct ool_msg m;
	mach_msg_max_trailer_t t;
};

static mach_port_t receiver(void)
{
	mach_port_t p;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	return p;
}

static void fill(struct ool_msg *m, mach_port_t dest, void *addr, size_t size, mach_port_t *names, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m->h.msgh_size = sizeof(*m);
	m->h.msgh_remote_port = dest;
	m->h.msgh_id = 77;
	m->b.msgh_descriptor_count = 2;
	m->mem.address = addr;
	m->mem.size = (mach_msg_size_t)size;
	m->mem.copy = MACH_MSG_VIRTUAL_COPY;
	m->mem.type = MACH_MSG_OOL_DESCRIPTOR;
	m->ports.address = names;
	m->ports.count = n;
	m->ports.disposition = MACH_MSG_TYPE_MAKE_SEND;
	m->ports.copy = MACH_MSG_VIRTUAL_COPY;
	m->ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
}

TEST(ool_memory_and_ports_arrive_as_fresh_mappings)
{
	mach_port_t p = receiver(), extra[3];
	size_t size = 3 * 4096 + 100;
	char *buf = malloc(size);
	struct ool_msg m;
	struct ool_rcv r;
	mach_port_type_t t;

	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(i * 7);
	for (int i = 0; i < 3; i++)
		KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &extra[i]));
	fill(&m, p, buf, size, extra, 3);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	memset(&r, 0, sizeof(r));
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
	EXPECT_EQ(r.m.h.msgh_id, 77);
	EXPECT_EQ(r.m.mem.size, size);
	EXPECT_TRUE(r.m.mem.address != NULL && r.m.mem.address != buf);
	EXPECT_EQ((uintptr_t)r.m.mem.address & 4095, 0);
	EXPECT_EQ(memcmp(r.m.mem.address, buf, size), 0);
	EXPECT_EQ(r.m.ports.count, 3);
	EXPECT_EQ(r.m.ports.disposition, MACH_MSG_TYPE_PORT_SEND);
	mach_port_t *names = r.m.ports.address;
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(names[i], extra[i]);
		KR_OK(mach_port_type(mach_task_self(), names[i], &t));
		EXPECT_EQ(t, MACH_PORT_TYPE_SEND_RECEIVE);
	}
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.mem.address, r.m.mem.size));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, 3 * sizeof(mach_port_t)));
}

/*
 * The flags the receiver sees are XNU's (ipc_kmsg_deflate_*): a port array
 * always arrives as a virtual copy to deallocate, whatever the sender said;
 * memory keeps the sender's copy option, with deallocate set for a virtual
 * copy only. The sender's own deallocate flag does not travel.
 */
TEST(ool_received_descriptors_carry_xnu_flags)
{
	mach_port_t p = receiver(), extra;
	char buf[64] = "flags";
	struct ool_msg m;
	struct ool_rcv r;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &extra));
	for (int round = 0; round < 2; round++) {
		fill(&m, p, buf, sizeof(buf), &extra, 1);
		m.mem.copy = round ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY;
		m.ports.copy = round ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY;
		m.ports.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
		KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
		memset(&r, 0, sizeof(r));
		KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
		EXPECT_EQ(r.m.mem.copy, round ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY);
		EXPECT_EQ(r.m.mem.deallocate, round ? 0 : 1);
		EXPECT_EQ(r.m.ports.copy, MACH_MSG_VIRTUAL_COPY);
		EXPECT_EQ(r.m.ports.deallocate, 1);
		EXPECT_EQ(r.m.ports.count, 1);
		EXPECT_EQ(r.m.ports.disposition, MACH_MSG_TYPE_PORT_SEND_ONCE);
		EXPECT_EQ(memcmp(r.m.mem.address, "flags", 6), 0);
		KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.mem.address, r.m.mem.size));
		KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.ports.address, sizeof(mach_port_t)));
	}
	/* An empty array too. */
	fill(&m, p, NULL, 0, NULL, 0);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	memset(&r, 0, sizeof(r));
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
	EXPECT_EQ(r.m.ports.count, 0);
	EXPECT_EQ(r.m.ports.deallocate, 1);
	EXPECT_EQ(r.m.ports.copy, MACH_MSG_VIRTUAL_COPY);
	EXPECT_TRUE(r.m.ports.address == NULL);
}

TEST(ool_deallocate_flag_unmaps_the_sender_region)
{
	mach_port_t p = receiver();
	struct ool_msg m;
	struct ool_rcv r;
	char *region = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(region, 5, 8192);
	fill(&m, p, region, 8192, NULL, 0);
	m.mem.deallocate = 1;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	/* The region is gone from the sender: mincore fails with ENOMEM. */
	unsigned char vec[2];
	EXPECT_EQ(mincore(region, 8192, vec), -1);
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
	EXPECT_EQ(((char *)r.m.mem.address)[8191], 5);
}

TEST(ool_bad_memory_is_send_invalid_memory_and_leaks_nothing)
{
	mach_port_t p = receiver(), extra;
	struct ool_msg m;
	mach_port_urefs_t refs;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &extra));
	fill(&m, p, (void *)0x10, 4096, &extra, 1);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_MEMORY);
	fill(&m, p, NULL, 0, (mach_port_t *)0x10, 4);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_MEMORY);
	/* Nothing was made from `extra`. */
	KR_OK(mach_port_get_refs(mach_task_self(), extra, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 0);
	struct ool_rcv r;
	KR(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), p, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(ool_bad_copy_option_is_invalid_type)
{
	mach_port_t p = receiver();
	struct ool_msg m;
	char buf[16];

	fill(&m, p, buf, sizeof(buf), NULL, 0);
	m.mem.copy = 7;
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_TYPE);
}

TEST(ool_across_processes)
{
	mach_port_t p = receiver();
	pid_t pid;
	int status;

	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, p));
	/* The sender stays alive until the trailer is read: the audit pid of
	 * a sender that has exited is 0. */
	int go[2];
	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		size_t size = 1 << 20;
		char *big = malloc(size);
		struct ool_msg m;
		char c;

		close(go[1]);
		memset(big, 0x3c, size);
		fill(&m, bootstrap_port, big, size, NULL, 0);
		if (mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0) != KERN_SUCCESS)
			_exit(1);
		_exit(read(go[0], &c, 1) < 0);
	}
	close(go[0]);
	struct ool_rcv r;
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 0, sizeof(r), p, 0, 0));
	close(go[1]);
	waitpid(pid, &status, 0);
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_EQ(r.m.mem.size, 1 << 20);
	EXPECT_EQ(((unsigned char *)r.m.mem.address)[(1 << 20) - 1], 0x3c);
	mach_msg_audit_trailer_t *tr = (mach_msg_audit_trailer_t *)((char *)&r.m + r.m.h.msgh_size);
	EXPECT_EQ(tr->msgh_audit.val[5], pid);
}

/* Sends `size` bytes of a pattern through `p` and checks what arrives. */
static void round_trip(mach_port_t p, size_t size)
{
	char *buf = malloc(size);
	struct ool_msg m;
	struct ool_rcv r;

	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(i * 13 + size);
	fill(&m, p, buf, size, NULL, 0);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	/* The message holds a copy: the sender's later writes do not arrive. */
	memset(buf, 0xee, size);
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
	EXPECT_EQ(r.m.mem.size, size);
	EXPECT_EQ((uintptr_t)r.m.mem.address & 4095, 0);
	char *got = r.m.mem.address;
	int same = 1;
	for (size_t i = 0; i < size; i++)
		same &= got[i] == (char)(i * 13 + size);
	EXPECT_TRUE(same);
	/* The rest of the last page is zero: no stale kernel memory. */
	size_t end = (size + 4095) & ~(size_t)4095;
	int zero = 1;
	for (size_t i = size; i < end; i++)
		zero &= got[i] == 0;
	EXPECT_TRUE(zero);
	/* The region is the receiver's own, writable memory. */
	got[size - 1] ^= 1;
	EXPECT_EQ(got[size - 1], (char)(((size - 1) * 13 + size) ^ 1));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)got, size));
	free(buf);
}

TEST(ool_every_size_class_arrives_intact)
{
	/* Both sides of the copy/map threshold (module parameter
	 * ool_map_min, 4 KiB by default; 16 KiB before) and odd sizes. */
	static const size_t sizes[] = { 1, 100, 4095, 4096, 4097, 16383, 16384, 16385, 65536 + 7, (1 << 20) + 123 };
	mach_port_t p = receiver();

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(p, sizes[i]);
}

TEST(ool_large_region_survives_resend_and_fork)
{
	mach_port_t p = receiver();
	size_t size = 256 * 1024;
	char *buf = malloc(size);
	struct ool_msg m;
	struct ool_rcv r, r2;
	pid_t pid;
	int status;

	memset(buf, 0x5a, size);
	fill(&m, p, buf, size, NULL, 0);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
	char *got = r.m.mem.address;
	/* A received region can be sent on, with deallocate, as any memory. */
	fill(&m, p, got, size, NULL, 0);
	m.mem.deallocate = 1;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	unsigned char vec[1];
	EXPECT_EQ(mincore(got, 4096, vec), -1);
	KR_OK(mach_msg(&r2.m.h, MACH_RCV_MSG, 0, sizeof(r2), p, 0, 0));
	got = r2.m.mem.address;
	EXPECT_EQ(got[size - 1], 0x5a);
	/* A child's writes stay in the child. */
	pid = fork();
	if (pid == 0) {
		memset(got, 1, size);
		_exit(got[size / 2] == 1 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_EQ(got[size / 2], 0x5a);
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)got, size));
	free(buf);
}

/* Sends `size` bytes at `src` through `p` and returns the received
 * region; the sender then overwrites `src`, which must not show. */
static char *send_snapshot(mach_port_t p, char *src, size_t size)
{
	struct ool_msg m;
	struct ool_rcv r;

	fill(&m, p, src, size, NULL, 0);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	memset(src, 0xee, size);
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
	EXPECT_EQ(r.m.mem.size, size);
	return r.m.mem.address;
}

/* Whether `got` holds `size` bytes equal to `c`. */
static int all_equal(const char *got, size_t size, char c)
{
	int same = 1;

	for (size_t i = 0; i < size; i++)
		same &= got[i] == c;
	return same;
}

TEST(ool_large_region_from_any_kind_of_memory_is_a_snapshot)
{
	/* Large regions are copied from the sender's pinned pages: memory
	 * never touched (the zero page), a shared file mapping, pages shared
	 * copy-on-write with a child, and a region spanning two mappings,
	 * at page offsets other than zero and over several pinning batches. */
	mach_port_t p = receiver();
	size_t size = 100 * 4096 + 5, span = 104 * 4096;
	char *untouched = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *got = send_snapshot(p, untouched + 100, size);

	EXPECT_TRUE(all_equal(got, size, 0));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)got, size));

	int fd = memfd_create("ool", 0);
	EXPECT_EQ(ftruncate(fd, span), 0);
	char *file = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	memset(file, 0x11, span);
	got = send_snapshot(p, file + 4000, size);
	EXPECT_TRUE(all_equal(got, size, 0x11));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)got, size));

	/* Half anonymous, half the file, at one address. */
	char *two = mmap(NULL, 2 * span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_EQ(mmap(two + span, span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0), two + span);
	memset(two, 0x22, span);
	memset(two + span, 0x33, span);
	got = send_snapshot(p, two + span - 40 * 4096 - 9, 80 * 4096);
	EXPECT_TRUE(all_equal(got, 40 * 4096 + 9, 0x22));
	EXPECT_TRUE(all_equal(got + 40 * 4096 + 9, 40 * 4096 - 9, 0x33));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)got, 80 * 4096));

	/* Pages a child shares copy-on-write: the child keeps its own. */
	char *cow = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int go[2], done[2], status;
	memset(cow, 0x44, span);
	EXPECT_EQ(pipe(go), 0);
	EXPECT_EQ(pipe(done), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		_exit(read(go[0], &c, 1) == 1 && all_equal(cow, span, 0x44) ? 0 : 1);
	}
	got = send_snapshot(p, cow + 1, size);
	EXPECT_TRUE(all_equal(got, size, 0x44));
	EXPECT_EQ(write(go[1], "x", 1), 1);
	waitpid(pid, &status, 0);
	EXPECT_EQ(WEXITSTATUS(status), 0);
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)got, size));
}

/* The kilobytes of anonymous memory in the mapping holding `addr`
 * (/proc/self/smaps), -1 if not found. */
static long anon_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	int in = 0;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

TEST(ool_large_region_is_the_receivers_own_without_a_copy_on_write)
{
	/* The receiver's writes go to the pages the message brought (no
	 * fault and copy: the mapping holds no anonymous pages after them)
	 * and never reach the sender. After a fork each side writes its own
	 * copy, as with any private memory, and mprotect keeps the data. */
	mach_port_t p = receiver();
	size_t size = 64 * 4096;
	char *src = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int go[2], status;

	memset(src, 0x5a, size);
	char *got = send_snapshot(p, src, size);
	EXPECT_TRUE(all_equal(got, size, 0x5a));
	memset(got, 1, size);
	EXPECT_EQ(anon_kb(got), 0);
	EXPECT_TRUE(all_equal(src, size, (char)0xee));
	EXPECT_EQ(pipe(go), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		int ok = read(go[0], &c, 1) == 1 && all_equal(got, size, 1);
		memset(got, 3, size);
		_exit(ok && all_equal(got, size, 3) ? 0 : 1);
	}
	memset(got, 2, size);
	EXPECT_EQ(write(go[1], "x", 1), 1);
	waitpid(pid, &status, 0);
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_TRUE(all_equal(got, size, 2));
	EXPECT_EQ(anon_kb(got), size / 1024);
	EXPECT_EQ(mprotect(got, size, PROT_READ), 0);
	EXPECT_EQ(mprotect(got, size, PROT_READ | PROT_WRITE), 0);
	got[0] = 4;
	EXPECT_EQ(got[0], 4);
	EXPECT_TRUE(all_equal(got + 1, size - 1, 2));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)got, size));
}

TEST(ool_large_region_with_a_hole_is_invalid_memory)
{
	mach_port_t p = receiver();
	size_t size = 64 * 4096;
	char *region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ool_msg m;
	struct ool_rcv r;

	memset(region, 3, size);
	/* A hole in the middle... */
	munmap(region + 32 * 4096, 4096);
	fill(&m, p, region, size, NULL, 0);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_MEMORY);
	/* ...or the region running off the end of the address space. */
	fill(&m, p, (void *)(uintptr_t)-8192, 16 * 4096, NULL, 0);
	KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0), MACH_SEND_INVALID_MEMORY);
	KR(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), p, 0, 0), MACH_RCV_TIMED_OUT);
	/* The region is still the sender's: deallocate did not apply. */
	EXPECT_EQ(region[0], 3);
	munmap(region, size);
}

TEST(ool_large_region_in_a_destroyed_message_is_freed)
{
	mach_port_t p = receiver();
	size_t size = 512 * 1024;
	char *buf = malloc(size);
	struct ool_msg m;

	memset(buf, 9, size);
	for (int i = 0; i < 4; i++) {
		fill(&m, p, buf, size, NULL, 0);
		KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	}
	/* Destroying the port destroys the queued messages and their pages
	 * (the run's final zero-live-objects and kmemleak checks see leaks). */
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	free(buf);
}

TEST(ool_receive_into_unwritable_buffer_is_invalid_data_and_leaks_nothing)
{
	mach_port_t p = receiver(), extra[2];
	size_t size = 128 * 1024;
	char *buf = malloc(size);
	struct ool_msg m;
	struct ool_rcv *r = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ool_rcv ok;

	memset(buf, 4, size);
	for (int i = 0; i < 2; i++)
		KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &extra[i]));
	fill(&m, p, buf, size, extra, 2);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	/* The message is dequeued and copied out, but cannot be written: the
	 * receive fails and the message is gone (its memory with it; the
	 * run's zero-live-objects and kmemleak checks see a leak). */
	KR(mach_msg(&r->m.h, MACH_RCV_MSG, 0, sizeof(*r), p, 0, 0), MACH_RCV_INVALID_DATA);
	KR(mach_msg(&ok.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(ok), p, 0, 0), MACH_RCV_TIMED_OUT);
	/* The port still works. */
	fill(&m, p, buf, size, NULL, 0);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	KR_OK(mach_msg(&ok.m.h, MACH_RCV_MSG, 0, sizeof(ok), p, 0, 0));
	EXPECT_EQ(((char *)ok.m.mem.address)[size - 1], 4);
	munmap(r, 4096);
	free(buf);
}

/* Writes `s` to the file at `path`; 0 on success. */
static int put_knob(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* This thread's fail-nth file, opened before any failure is armed: an
 * open() afterwards would itself take the injected failure. */
static int fail_nth_fd = -1;

/* This thread's fail-nth countdown (0: off). */
static int fail_nth(void)
{
	char b[16] = { 0 };

	EXPECT_TRUE(pread(fail_nth_fd, b, sizeof(b) - 1, 0) > 0);
	return atoi(b);
}

static void set_fail_nth(int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%d", n);

	EXPECT_EQ(pwrite(fail_nth_fd, b, len, 0), len);
}

/* Each allocation of a receive fails in turn (failslab, through this
 * thread's fail-nth): the receiver then gets its out-of-line memory and
 * port array, or an error with null descriptors, but never success with a
 * descriptor that still holds the sender's address. */
TEST(ool_receive_out_of_memory_never_leaks_the_senders_address)
{
	mach_port_t p = receiver(), extra[2];
	size_t size = 2 * 4096;
	char *buf = malloc(size);
	struct ool_msg m;
	struct ool_rcv r;
	int done = 0, failures = 0;

	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(i * 13);
	for (int i = 0; i < 2; i++)
		KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &extra[i]));
	/* GFP_KERNEL allocations may fail too; quietly. */
	EXPECT_EQ(put_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"), 0);
	EXPECT_EQ(put_knob("/sys/kernel/debug/failslab/verbose", "0"), 0);
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	EXPECT_TRUE(fail_nth_fd >= 0);
	for (int nth = 1; nth < 1000 && !done; nth++) {
		fill(&m, p, buf, size, extra, 2);
		KR_OK(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, 0, 0, 0));
		memset(&r, 0, sizeof(r));
		set_fail_nth(nth);
		mach_msg_return_t mr = mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), p, 0, 0);
		/* Still counting down: nothing failed, every allocation was seen. */
		done = fail_nth() != 0;
		set_fail_nth(0);
		if (mr != MACH_MSG_SUCCESS) {
			failures++;
			/* Body errors say what was lost; the header is intact. */
			EXPECT_TRUE((mr & ~0x3c00) == MACH_RCV_BODY_ERROR || (mr & ~0x3c00) == MACH_RCV_HEADER_ERROR);
			EXPECT_EQ(r.m.h.msgh_id, 77);
		}
		EXPECT_TRUE(r.m.mem.address != buf);
		EXPECT_TRUE(r.m.ports.address != extra);
		if (r.m.mem.address) {
			EXPECT_EQ(memcmp(r.m.mem.address, buf, size), 0);
			KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.mem.address, size));
		}
		if (r.m.ports.address)
			KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.ports.address,
					    2 * sizeof(mach_port_t)));
	}
	put_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");
	put_knob("/sys/kernel/debug/failslab/verbose", "2");
	EXPECT_TRUE(done);
	EXPECT_TRUE(failures > 0);
}

#include <time.h>

/* A message of many descriptors costs O(n log n), not O(n^2): 40,000
 * empty out-of-line and port-array descriptors, interleaved (the kernel
 * collects the two kinds apart and sorts them back by offset, and finds
 * each array's names), go through in well under the time limit. Before,
 * the insertion sort and the per-descriptor name search took minutes
 * here. */
TEST(many_descriptors_send_and_receive_in_n_log_n)
{
	enum { N = 20000 };
	mach_port_t p = receiver();
	size_t size = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t) + 2 * N * 16;
	char *m = calloc(1, size + sizeof(mach_msg_max_trailer_t));
	mach_msg_header_t *h = (mach_msg_header_t *)m;
	mach_msg_body_t *b = (mach_msg_body_t *)(h + 1);
	struct timespec t0, t1;

	EXPECT_TRUE(m != NULL);
	h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	h->msgh_size = (mach_msg_size_t)size;
	h->msgh_remote_port = p;
	h->msgh_id = 99;
	b->msgh_descriptor_count = 2 * N;
	for (int i = 0; i < N; i++) {
		mach_msg_ool_descriptor_t *o = (void *)((char *)(b + 1) + 32 * i);
		mach_msg_ool_ports_descriptor_t *op = (void *)((char *)(b + 1) + 32 * i + 16);

		o->copy = MACH_MSG_VIRTUAL_COPY;
		o->type = MACH_MSG_OOL_DESCRIPTOR;
		op->disposition = MACH_MSG_TYPE_COPY_SEND;
		op->copy = MACH_MSG_VIRTUAL_COPY;
		op->type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	KR_OK(mach_msg(h, MACH_SEND_MSG, (mach_msg_size_t)size, 0, 0, 0, 0));
	memset(m, 0, size);
	KR_OK(mach_msg(h, MACH_RCV_MSG, 0, (mach_msg_size_t)(size + sizeof(mach_msg_max_trailer_t)), p, 0, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_EQ(h->msgh_id, 99);
	EXPECT_EQ(b->msgh_descriptor_count, 2 * N);
	mach_msg_ool_ports_descriptor_t *last = (void *)((char *)(b + 1) + 32 * (N - 1) + 16);
	EXPECT_EQ(last->type, MACH_MSG_OOL_PORTS_DESCRIPTOR);
	EXPECT_EQ(last->count, 0);
	double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  %d descriptors: %.2f s\n", 2 * N, secs);
	EXPECT_TRUE(secs < 20);
}
