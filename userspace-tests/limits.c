/* SPDX-License-Identifier: MIT */
/*
 * Resource limits: what one message, one space and one user may make the
 * kernel hold (README "Security model"). The per-user tests lower the
 * module parameters, so they need root; as another user they pass
 * without checking anything.
 */
#include <mach/mach.h>
#include <sys/fileport.h>
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* XNU's IPC_KMSG_MAX_OOL_PORT_COUNT: rights in one message. */
#define MAX_MSG_RIGHTS 16383
#define STATS "/sys/kernel/debug/machipc/stats"
#define PARAM "/sys/module/machipc/parameters/"

struct ports_msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_ool_ports_descriptor_t d[64];
};

struct ports_rcv {
	struct ports_msg m;
	mach_msg_max_trailer_t t;
};

static mach_port_t send_receive(void)
{
	mach_port_t p;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	return p;
}

static void set_qlimit(mach_port_t p, unsigned int q)
{
	mach_port_limits_t l = { .mpl_qlimit = q };

	KR_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&l,
				       MACH_PORT_LIMITS_INFO_COUNT));
}

/* A message of `n` out-of-line port arrays of `count` names each. */
static void fill_arrays(struct ports_msg *m, mach_port_t dest, mach_port_t *names, unsigned int n,
			unsigned int count)
{
	memset(m, 0, sizeof(*m));
	m->h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m->h.msgh_size = (mach_msg_size_t)(sizeof(m->h) + sizeof(m->b) + n * sizeof(m->d[0]));
	m->h.msgh_remote_port = dest;
	m->h.msgh_id = 4;
	m->b.msgh_descriptor_count = n;
	for (unsigned int i = 0; i < n; i++) {
		m->d[i].address = names;
		m->d[i].count = count;
		m->d[i].disposition = MACH_MSG_TYPE_COPY_SEND;
		m->d[i].copy = MACH_MSG_VIRTUAL_COPY;
		m->d[i].type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	}
}

/* A row of debugfs machipc/stats, or -1 if it cannot be read (not root). */
static long long stat_row(const char *row)
{
	char name[64];
	long long v, found = -1;
	FILE *f = fopen(STATS, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (strcmp(name, row) == 0)
			found = v;
	fclose(f);
	return found;
}

/* MemAvailable from /proc/meminfo, in KiB. */
static long long mem_available_kib(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * The reproduction of the report: 64 arrays of 65,536 null names in one
 * message (each array became 1 MiB of kernel memory, charged nothing).
 * A message carries at most 16,383 rights, as on XNU; port descriptors
 * count too.
 */
TEST(a_message_carries_at_most_16383_rights)
{
	mach_port_t p = send_receive(), q;
	mach_port_t *names = calloc(65536, sizeof(mach_port_t));
	struct ports_msg m;
	struct ports_rcv r;

	fill_arrays(&m, p, names, 64, 65536);
	KR(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0), MACH_SEND_TOO_LARGE);
	/* Exactly at the cap, split over two arrays: accepted. */
	fill_arrays(&m, p, names, 2, 0);
	m.d[0].count = 10000;
	m.d[1].count = MAX_MSG_RIGHTS - 10000;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
	EXPECT_EQ(r.m.d[1].count, MAX_MSG_RIGHTS - 10000);
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.d[0].address, 10000 * sizeof(mach_port_t)));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.d[1].address,
			    (MAX_MSG_RIGHTS - 10000) * sizeof(mach_port_t)));
	/* One more is too many, and the message is refused whole. */
	fill_arrays(&m, p, names, 2, 0);
	m.d[0].count = 10000;
	m.d[1].count = MAX_MSG_RIGHTS - 10000 + 1;
	KR(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0), MACH_SEND_TOO_LARGE);
	/* A port descriptor counts as one right. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &q));
	struct {
		mach_msg_header_t h;
		mach_msg_body_t b;
		mach_msg_port_descriptor_t port;
		mach_msg_ool_ports_descriptor_t arr;
	} pm;
	memset(&pm, 0, sizeof(pm));
	pm.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	pm.h.msgh_size = sizeof(pm);
	pm.h.msgh_remote_port = p;
	pm.b.msgh_descriptor_count = 2;
	pm.port.name = q;
	pm.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
	pm.port.type = MACH_MSG_PORT_DESCRIPTOR;
	pm.arr.address = names;
	pm.arr.count = MAX_MSG_RIGHTS;
	pm.arr.disposition = MACH_MSG_TYPE_COPY_SEND;
	pm.arr.copy = MACH_MSG_VIRTUAL_COPY;
	pm.arr.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	KR(mach_msg(&pm.h, MACH_SEND_MSG, sizeof(pm), 0, 0, 0, 0), MACH_SEND_TOO_LARGE);
	/* Nothing was made or moved: q has no send right. */
	mach_port_urefs_t refs = 1;
	KR_OK(mach_port_get_refs(mach_task_self(), q, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 0);
	free(names);
}

/*
 * Port arrays are charged to the sending space for what they hold in the
 * kernel (a right slot per name, not 4 bytes): a space filling its queue
 * with arrays of null names stops at its 64 MiB quota with
 * MACH_SEND_NO_BUFFER, and receiving or destroying the messages gives the
 * quota back. Without the charge the loop below queues 1024 such
 * messages, 256 MiB of kernel memory.
 */
TEST(port_arrays_are_charged_and_released)
{
	enum { PER_MSG = MAX_MSG_RIGHTS, MAX = 1024 };
	mach_port_t p = send_receive();
	mach_port_t *names = calloc(PER_MSG, sizeof(mach_port_t));
	struct ports_msg m;
	struct ports_rcv r;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;
	long long charged0 = stat_row("charged_bytes"), avail0 = mem_available_kib(), charged, avail;
	int sent = 0;

	set_qlimit(p, MAX);
	for (int round = 0; round < 2; round++) {
		sent = 0;
		while (sent < MAX) {
			fill_arrays(&m, p, names, 1, PER_MSG);
			mr = mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0);
			if (mr != MACH_MSG_SUCCESS)
				break;
			sent++;
		}
		charged = stat_row("charged_bytes");
		avail = mem_available_kib();
		fprintf(stderr, "  info: %d messages of %d names queued; charged %lld KiB; MemAvailable -%lld KiB\n",
			sent, PER_MSG, (charged - charged0) / 1024, avail0 - avail);
		EXPECT_EQ(mr, MACH_SEND_NO_BUFFER);
		/* 16 bytes of kernel memory per name: 64 MiB is about 256 messages. */
		EXPECT_TRUE(sent >= 200 && sent <= 256);
		if (charged0 >= 0)
			EXPECT_TRUE(charged - charged0 <= (64 << 20) && charged - charged0 > (60 << 20));
		if (avail0 > 0)
			EXPECT_TRUE(avail0 - avail < 128 * 1024);
		if (round == 0) {
			/* Received: each message gives its share back. */
			for (int i = 0; i < sent; i++) {
				KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
				KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.d[0].address,
						    PER_MSG * sizeof(mach_port_t)));
			}
		} else {
			/* Destroyed with their port. */
			KR_OK(mach_port_destroy(mach_task_self(), p));
		}
		if (charged0 >= 0)
			EXPECT_TRUE(stat_row("charged_bytes") - charged0 < (1 << 20));
		if (round == 0) {
			fill_arrays(&m, p, names, 1, PER_MSG);
			KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
			KR_OK(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), p, 0, 0));
			KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.d[0].address,
					    PER_MSG * sizeof(mach_port_t)));
		}
	}
	p = send_receive();
	fill_arrays(&m, p, names, 1, PER_MSG);
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0));
	free(names);
}

/* --- per-user limits ---------------------------------------------------- */

static long read_param(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), PARAM "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_param(const char *name, long v)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PARAM "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* A helper process running as `uid`, told what to do over a pipe. */
struct helper {
	pid_t pid;
	int cmd, reply;
};

typedef int (*helper_fn)(char cmd, void *arg);

static struct helper start_as(uid_t uid, helper_fn fn, void *arg)
{
	int to[2], from[2];
	struct helper h;

	EXPECT_EQ(pipe(to), 0);
	EXPECT_EQ(pipe(from), 0);
	h.pid = fork();
	EXPECT_TRUE(h.pid >= 0);
	if (h.pid == 0) {
		char c;

		close(to[1]);
		close(from[0]);
		/* The space was opened as root, by libmach's fork handler:
		 * from the first call after this on, it is `uid`'s. */
		if (setgid(uid) || setuid(uid))
			_exit(2);
		while (read(to[0], &c, 1) == 1 && c != 'q') {
			int r = fn(c, arg);

			if (write(from[1], &r, sizeof(r)) != sizeof(r))
				_exit(3);
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	h.cmd = to[1];
	h.reply = from[0];
	return h;
}

/* Runs command `c` in the helper; returns what it answered. */
static int ask(struct helper *h, char c)
{
	int r = -12345;

	EXPECT_EQ(write(h->cmd, &c, 1), 1);
	EXPECT_EQ(read(h->reply, &r, sizeof(r)), (ssize_t)sizeof(r));
	return r;
}

static void stop(struct helper *h)
{
	int status;

	EXPECT_EQ(write(h->cmd, "q", 1), 1);
	EXPECT_EQ(waitpid(h->pid, &status, 0), h->pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(h->cmd);
	close(h->reply);
}

/*
 * Runs `body` in a child and puts the module parameters back afterwards,
 * whatever happened to it. Only for root: others cannot lower a limit.
 */
static void with_limits(void (*body)(void))
{
	static const char *params[] = { "max_user_spaces", "max_user_ports", "max_user_bytes" };
	long saved[3];
	int status;
	pid_t pid;

	if (geteuid() != 0)
		return;
	for (int i = 0; i < 3; i++) {
		saved[i] = read_param(params[i]);
		EXPECT_TRUE(saved[i] >= 0);
	}
	pid = fork();
	if (pid == 0) {
		body();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(write_param(params[i], saved[i]), 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAILF("limit test body failed");
}

/* Helper commands: 'a' allocates a receive right and answers the result;
 * 'n' allocates until refused and answers how many; 't' moves one receive
 * right into a message queued on another port (in transit, nameless) and
 * answers the allocation result after that; 'd' frees every right it made. */
static mach_port_t made[4096];
static int nmade;

static int port_helper(char c, void *arg)
{
	mach_port_t p;
	kern_return_t kr;
	int n = 0;

	(void)arg;
	switch (c) {
	case 'a':
		kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p);
		if (kr == KERN_SUCCESS)
			made[nmade++] = p;
		return kr;
	case 'n':
		while (nmade < 4096 &&
		       (kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p)) == KERN_SUCCESS) {
			made[nmade++] = p;
			n++;
		}
		return kr == KERN_RESOURCE_SHORTAGE ? n : -kr;
	case 't': {
		struct {
			mach_msg_header_t h;
			mach_msg_body_t b;
			mach_msg_port_descriptor_t d;
		} m;
		mach_port_t carried = made[--nmade];

		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
		m.h.msgh_size = sizeof(m);
		m.h.msgh_remote_port = made[0];
		m.b.msgh_descriptor_count = 1;
		m.d.name = carried;
		m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
		m.d.type = MACH_MSG_PORT_DESCRIPTOR;
		kr = mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0);
		if (kr != KERN_SUCCESS)
			return -kr;
		/* The name is gone, the port is not: still no room. */
		kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p);
		if (kr == KERN_SUCCESS)
			made[nmade++] = p;
		return kr;
	}
	case 'd':
		while (nmade > 0)
			mach_port_mod_refs(mach_task_self(), made[--nmade], MACH_PORT_RIGHT_RECEIVE, -1);
		return 0;
	}
	return -1;
}

static void port_limit_body(void)
{
	/* The helpers' spaces were opened as root, so their task ports are
	 * root's; every port they make after setuid is their user's (the
	 * space follows its process's credentials, as XNU's task does): A
	 * has 25, B 15. B then has 16 (one in transit); with A gone, 24 more. */
	EXPECT_EQ(write_param("max_user_ports", 40), 0);
	struct helper a = start_as(1000, port_helper, NULL);
	for (int i = 0; i < 25; i++)
		KR_OK(ask(&a, 'a'));
	struct helper b = start_as(1000, port_helper, NULL);
	EXPECT_EQ(ask(&b, 'n'), 15);
	KR(ask(&b, 'a'), KERN_RESOURCE_SHORTAGE);
	/* A port in transit has no name but still counts. */
	KR(ask(&b, 't'), KERN_RESOURCE_SHORTAGE);
	/* Another user has its own account. */
	struct helper c = start_as(1001, port_helper, NULL);
	EXPECT_EQ(ask(&c, 'n'), 40);
	/* Freeing gives room back, to every space of the user. */
	EXPECT_EQ(ask(&a, 'd'), 0);
	KR_OK(ask(&b, 'a'));
	stop(&a);
	EXPECT_EQ(ask(&b, 'n'), 24);
	stop(&b);
	stop(&c);
	/* Root (CAP_SYS_RESOURCE) is counted but not limited. */
	mach_port_t p;
	for (int i = 0; i < 50; i++)
		KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
}

TEST(per_user_port_limit_across_spaces)
{
	with_limits(port_limit_body);
}

/* Helper commands for fileports: 'n' makes fileports of a pipe until
 * refused and answers how many (or -errno if the refusal is not EAGAIN);
 * 'd' deallocates one; 'r' makes a right descriptor of a receive right's
 * send right until refused, and answers how many (or -kr). */
static int fileport_helper(char c, void *arg)
{
	static fileport_t fps[64];
	static int nfp, pfd[2] = { -1, -1 };
	mach_port_t r;
	kern_return_t kr;
	int n = 0, fd;

	(void)arg;
	if (pfd[0] < 0 && pipe(pfd) != 0)
		return -1000;
	switch (c) {
	case 'n':
		while (nfp < 64 && fileport_makeport(pfd[0], &fps[nfp]) == 0) {
			nfp++;
			n++;
		}
		return nfp < 64 && errno == EAGAIN ? n : -errno;
	case 'd':
		return nfp > 0 ? mach_port_deallocate(mach_task_self(), fps[--nfp]) : -1;
	case 'r':
		kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &r);
		if (kr == KERN_SUCCESS)
			kr = mach_port_insert_right(mach_task_self(), r, r, MACH_MSG_TYPE_MAKE_SEND);
		while (kr == KERN_SUCCESS && n < 100000 && (kr = machipc_port_to_fd(r, &fd)) == KERN_SUCCESS)
			n++;
		return kr == KERN_RESOURCE_SHORTAGE ? n : -kr;
	}
	return -1;
}

static void fileport_limit_body(void)
{
	/* A fileport is a port: past max_user_ports, EAGAIN as XNU's
	 * resource shortage; a deallocated one gives its room back. The
	 * helper's task port is root's, who opened its space: all 8 are
	 * fileports. */
	EXPECT_EQ(write_param("max_user_ports", 8), 0);
	struct helper a = start_as(1000, fileport_helper, NULL);
	int n = ask(&a, 'n');
	EXPECT_EQ(n, 8);
	EXPECT_EQ(ask(&a, 'n'), 0);
	KR_OK(ask(&a, 'd'));
	EXPECT_EQ(ask(&a, 'n'), 1);
	stop(&a);
	/* A right descriptor is charged to its maker's bytes: a user's
	 * descriptors stop at max_user_bytes, with KERN_RESOURCE_SHORTAGE. */
	EXPECT_EQ(write_param("max_user_ports", 0), 0);
	EXPECT_EQ(write_param("max_user_bytes", 64 << 10), 0);
	struct helper b = start_as(1000, fileport_helper, NULL);
	n = ask(&b, 'r');
	/* Fewer than RLIMIT_NOFILE's 1024: the bytes limit refused. */
	EXPECT_TRUE(n > 0 && n < 1000);
	stop(&b);
}

TEST(fileports_and_right_descriptors_count_per_user)
{
	with_limits(fileport_limit_body);
}

/* 'o' opens a space of its own, 'c' closes the last one opened, 'm'
 * makes a Mach call on libmach's space. */
static int open_helper(char c, void *arg)
{
	static int fds[8], n;
	mach_port_t p;

	(void)arg;
	if (c == 'm')
		return mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p);
	if (c == 'o') {
		int fd = open("/dev/machipc", O_RDWR | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		fds[n++] = fd;
		return 0;
	}
	if (c == 'c' && n > 0)
		return close(fds[--n]);
	return -1;
}

static void space_limit_body(void)
{
	EXPECT_EQ(write_param("max_user_spaces", 2), 0);
	struct helper a = start_as(1000, open_helper, NULL);
	EXPECT_EQ(ask(&a, 'o'), 0);
	EXPECT_EQ(ask(&a, 'o'), 0);
	EXPECT_EQ(ask(&a, 'o'), -EMFILE);
	struct helper b = start_as(1001, open_helper, NULL);
	EXPECT_EQ(ask(&b, 'o'), 0);
	EXPECT_EQ(ask(&a, 'c'), 0);
	EXPECT_EQ(ask(&a, 'o'), 0);
	stop(&a);
	stop(&b);
}

TEST(per_user_space_limit_fails_open_with_emfile)
{
	with_limits(space_limit_body);
}

static void moved_space_body(void)
{
	/* libmach's space in the helper was opened as root; its first call
	 * as 1000 moves it to 1000's count, which then has room for one
	 * more. */
	EXPECT_EQ(write_param("max_user_spaces", 2), 0);
	struct helper a = start_as(1000, open_helper, NULL);
	EXPECT_EQ(ask(&a, 'o'), 0);
	KR_OK(ask(&a, 'm'));
	EXPECT_EQ(ask(&a, 'o'), -EMFILE);
	/* Another user's spaces are not 1000's. */
	struct helper b = start_as(1001, open_helper, NULL);
	KR_OK(ask(&b, 'm'));
	EXPECT_EQ(ask(&b, 'o'), 0);
	stop(&a);
	stop(&b);
}

/* A space counts on the user its process is, not on its opener's. */
TEST(a_space_counts_on_the_user_its_process_became)
{
	with_limits(moved_space_body);
}

/* 'q'-less commands: 's' queues one 512 KiB message on its own port,
 * 'r' receives it back. */
static int bytes_helper(char c, void *arg)
{
	static mach_port_t p;
	static mach_msg_header_t *m;
	size_t big = 512 << 10;

	(void)arg;
	if (!m) {
		m = calloc(1, big + sizeof(mach_msg_max_trailer_t));
		p = send_receive();
	}
	if (c == 's') {
		memset(m, 0, sizeof(*m));
		m->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m->msgh_remote_port = p;
		return mach_msg(m, MACH_SEND_MSG | MACH_SEND_TIMEOUT, (mach_msg_size_t)big, 0, 0, 0, 0);
	}
	if (c == 'r')
		return mach_msg(m, MACH_RCV_MSG, 0, (mach_msg_size_t)(big + sizeof(mach_msg_max_trailer_t)), p, 0,
				0);
	return -1;
}

static void bytes_limit_body(void)
{
	EXPECT_EQ(write_param("max_user_bytes", 1 << 20), 0);
	struct helper a = start_as(1000, bytes_helper, NULL);
	struct helper b = start_as(1000, bytes_helper, NULL);
	struct helper c = start_as(1001, bytes_helper, NULL);
	KR_OK(ask(&a, 's'));
	KR(ask(&b, 's'), MACH_SEND_NO_BUFFER);
	KR_OK(ask(&c, 's'));
	KR_OK(ask(&a, 'r'));
	KR_OK(ask(&b, 's'));
	stop(&a);
	stop(&b);
	stop(&c);
}

TEST(per_user_byte_limit_across_spaces)
{
	with_limits(bytes_limit_body);
}
