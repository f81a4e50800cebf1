/* SPDX-License-Identifier: MIT */
/*
 * The bootstrap registry (<servers/bootstrap.h>): unrelated processes meet
 * by name with no daemon; names are scoped by user, limited per user and
 * released when their port dies; hostile requests get MIG's answers; a
 * supervisor that sets its own bootstrap port overrides the registry for
 * its children.
 *
 * The binary is also its own helper: `bootstrap --serve NAME` checks NAME
 * in and answers one request, `bootstrap --client NAME` looks NAME up and
 * sends it one (see helper_mode).
 */
#include <mach/mach.h>
#include <servers/bootstrap.h>
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>

#define PARAM "/sys/module/machipc/parameters/max_user_bootstrap_names"
#define USER_A 1000
#define USER_B 1001

struct value_msg {
	mach_msg_header_t h;
	int value;
};

struct value_rcv {
	struct value_msg m;
	mach_msg_max_trailer_t t;
};

static kern_return_t receive_value(mach_port_t p, struct value_rcv *r, mach_msg_timeout_t ms)
{
	return mach_msg(&r->m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*r), p, ms, MACH_PORT_NULL);
}

static kern_return_t send_value(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply, int id, int value)
{
	struct value_msg m = {
		.h = {
			.msgh_bits = MACH_MSGH_BITS(disp, reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0),
			.msgh_size = sizeof(m),
			.msgh_remote_port = dest,
			.msgh_local_port = reply,
			.msgh_id = id,
		},
		.value = value,
	};

	return mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, 0, 5000, 0);
}

static mach_port_t new_port(void)
{
	mach_port_t p;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	return p;
}

static void unique(char *name, size_t len, const char *what)
{
	snprintf(name, len, "test.%s.%d", what, (int)getpid());
}

/* ---- the helper processes ---------------------------------------------- */

/* Checks `name` in and answers one request with its value plus one. */
static int serve(const char *name)
{
	mach_port_t bp = MACH_PORT_NULL, sp;
	struct value_rcv r;

	/* A process nobody gave a bootstrap port has its namespace's
	 * registry, and libmach's bootstrap_port names it. */
	if (task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &bp) != KERN_SUCCESS || bp == MACH_PORT_NULL)
		return 10;
	if (bp != bootstrap_port)
		return 11;
	if (bootstrap_check_in(bootstrap_port, name, &sp) != KERN_SUCCESS)
		return 12;
	if (receive_value(sp, &r, 20000) != KERN_SUCCESS)
		return 13;
	if (r.m.h.msgh_id != 7 || MACH_MSGH_BITS_REMOTE(r.m.h.msgh_bits) != MACH_MSG_TYPE_MOVE_SEND_ONCE)
		return 14;
	if (send_value(r.m.h.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 107, r.m.value + 1))
		return 15;
	return 0;
}

/* Looks `name` up (waiting for the server to check in) and makes one RPC. */
static int client(const char *name)
{
	mach_port_t sp = MACH_PORT_NULL, reply;
	struct value_rcv r;
	kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;

	/* bootstrap_port is set before any constructor of the program runs. */
	if (bootstrap_port == MACH_PORT_NULL)
		return 1;
	for (int i = 0; i < 1000 && kr == BOOTSTRAP_UNKNOWN_SERVICE; i++) {
		kr = bootstrap_look_up(bootstrap_port, name, &sp);
		if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
			usleep(10000);
	}
	if (kr != KERN_SUCCESS)
		return 2;
	if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS)
		return 3;
	if (send_value(sp, MACH_MSG_TYPE_COPY_SEND, reply, 7, 41) != KERN_SUCCESS)
		return 4;
	if (receive_value(reply, &r, 10000) != KERN_SUCCESS)
		return 5;
	if (r.m.h.msgh_id != 107 || r.m.value != 42)
		return 6;
	return 0;
}

/* glibc passes argc and argv to constructors: the helper modes run before
 * the harness's main. */
__attribute__((constructor)) static void helper_mode(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--serve"))
		_exit(serve(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "--client"))
		_exit(client(argv[2]));
}

/* ---- helpers for the tests ------------------------------------------------ */

static void wait_exit0(pid_t pid, const char *what)
{
	int st;

	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAILF("%s: status 0x%x (exit %d)", what, st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* Root drops every id to `uid` (and loses its capabilities). */
static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	return 0;
}

static int read_param(void)
{
	char b[32] = { 0 };
	int fd = open(PARAM, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? atoi(b) : -1;
}

static int write_param(int v)
{
	char b[32];
	int fd = open(PARAM, O_WRONLY), n;

	if (fd < 0)
		return -1;
	n = snprintf(b, sizeof(b), "%d", v);
	n = write(fd, b, n) == n ? 0 : -1;
	close(fd);
	return n;
}

/* A raw request to the registry: `body` after the header (complex if
 * `complex`); the reply's RetCode, or 0 for a complex reply (destroyed). */
static kern_return_t raw_request(int id, const void *body, size_t len, int complex)
{
	struct {
		mach_msg_header_t h;
		char body[512];
		mach_msg_max_trailer_t t;
	} m;
	mach_port_t reply;
	kern_return_t kr;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply));
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) |
			(complex ? MACH_MSGH_BITS_COMPLEX : 0);
	m.h.msgh_size = (mach_msg_size_t)(sizeof(m.h) + len);
	m.h.msgh_remote_port = bootstrap_port;
	m.h.msgh_local_port = reply;
	m.h.msgh_id = id;
	memcpy(m.body, body, len);
	kr = mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, m.h.msgh_size, sizeof(m), reply, 5000,
		      MACH_PORT_NULL);
	if (kr != KERN_SUCCESS)
		FAILF("request %d: mach_msg 0x%x", id, kr);
	EXPECT_EQ(m.h.msgh_id, id + 100);
	if (m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
		mach_msg_destroy(&m.h);
		kr = 0;
	} else {
		EXPECT_EQ(m.h.msgh_size, sizeof(mig_reply_error_t));
		kr = ((mig_reply_error_t *)&m.h)->RetCode;
	}
	KR_OK(mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1));
	return kr;
}

/* ---- tests ------------------------------------------------------------------ */

TEST(independent_processes_started_by_a_shell_meet_by_name)
{
	char self[4096], name[64], cmd[9000];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	mach_port_t sp;
	pid_t pid;
	int st;

	EXPECT_TRUE(n > 0);
	self[n] = 0;
	unique(name, sizeof(name), "meet");
	/* Siblings, neither the other's parent, started by a shell that has
	 * no /dev/machipc descriptor (libmach's is close-on-exec). */
	snprintf(cmd, sizeof(cmd),
		 "'%s' --serve %s & s=$!; '%s' --client %s; c=$?; wait $s; e=$?; exit $((c * 16 + e))", self,
		 name, self, name);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAILF("shell: status 0x%x: client step %d, server step %d", st, WEXITSTATUS(st) / 16,
		      WEXITSTATUS(st) % 16);
	/* The server exited: its name is free again. */
	KR(bootstrap_look_up(bootstrap_port, name, &sp), BOOTSTRAP_UNKNOWN_SERVICE);
}

TEST(sigkilled_service_name_becomes_free)
{
	char name[64], c;
	mach_port_t sp, again;
	mach_port_type_t t;
	int ready[2];
	pid_t pid;

	unique(name, sizeof(name), "kill");
	EXPECT_EQ(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		if (bootstrap_check_in(bootstrap_port, name, &sp) != KERN_SUCCESS)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(ready[1]);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	KR_OK(bootstrap_look_up(bootstrap_port, name, &sp));
	/* Held by a live service: nobody takes it. */
	KR(bootstrap_check_in(bootstrap_port, name, &again), BOOTSTRAP_SERVICE_ACTIVE);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	KR_OK(mach_port_type(mach_task_self(), sp, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_DEAD_NAME);
	KR(bootstrap_look_up(bootstrap_port, name, &again), BOOTSTRAP_UNKNOWN_SERVICE);
	/* A restarted service checks in again. */
	KR_OK(bootstrap_check_in(bootstrap_port, name, &again));
	KR_OK(mach_port_type(mach_task_self(), again, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
}

TEST(destroyed_receive_right_frees_the_name)
{
	char name[64];
	mach_port_t sp, p;

	unique(name, sizeof(name), "destroy");
	KR_OK(bootstrap_check_in(bootstrap_port, name, &sp));
	KR_OK(bootstrap_look_up(bootstrap_port, name, &p));
	KR_OK(mach_port_mod_refs(mach_task_self(), sp, MACH_PORT_RIGHT_RECEIVE, -1));
	KR(bootstrap_look_up(bootstrap_port, name, &p), BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(bootstrap_check_in(bootstrap_port, name, &sp));
	KR_OK(bootstrap_look_up(bootstrap_port, name, &p));
	EXPECT_EQ(p, sp);
}

TEST(check_in_twice_is_service_active_and_unknown_is_unknown)
{
	char name[64];
	mach_port_t sp, p;

	unique(name, sizeof(name), "twice");
	KR(bootstrap_look_up(bootstrap_port, name, &p), BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(bootstrap_check_in(bootstrap_port, name, &sp));
	KR(bootstrap_check_in(bootstrap_port, name, &p), BOOTSTRAP_SERVICE_ACTIVE);
	KR(bootstrap_register(bootstrap_port, name, MACH_PORT_NULL), BOOTSTRAP_SERVICE_ACTIVE);
	KR(bootstrap_look_up(bootstrap_port, "test.never.checked.in", &p), BOOTSTRAP_UNKNOWN_SERVICE);
	KR(bootstrap_look_up(bootstrap_port, "", &p), BOOTSTRAP_UNKNOWN_SERVICE);
}

/*
 * User A's name is private: user B and root do not find it, B checks in
 * a name of its own of the same spelling without touching A's, another
 * process of A finds A's and cannot take it (SERVICE_ACTIVE); root's name
 * is found by both users. Needs root (to be two users); as another user it
 * checks nothing.
 */
TEST(a_users_name_is_private_and_roots_is_seen_by_all)
{
	char uname[64], rname[64], c;
	mach_port_t rp, p;
	int ready[2], done[2];
	pid_t a, b, cpid;

	if (geteuid() != 0)
		return;
	unique(uname, sizeof(uname), "user");
	unique(rname, sizeof(rname), "root");
	KR_OK(bootstrap_check_in(bootstrap_port, rname, &rp));
	EXPECT_EQ(pipe(ready), 0);
	EXPECT_EQ(pipe(done), 0);
	a = fork();
	if (a == 0) {
		close(ready[0]);
		close(done[1]);
		if (become(USER_A))
			_exit(1);
		if (bootstrap_check_in(bootstrap_port, uname, &p) != KERN_SUCCESS)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		if (read(done[0], &c, 1) < 0)
			_exit(4);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	/* Root is another user. */
	KR(bootstrap_look_up(bootstrap_port, uname, &p), BOOTSTRAP_UNKNOWN_SERVICE);
	b = fork();
	if (b == 0) {
		mach_port_t q;

		if (become(USER_B))
			_exit(1);
		if (bootstrap_look_up(bootstrap_port, uname, &p) != BOOTSTRAP_UNKNOWN_SERVICE)
			_exit(2);
		/* B's own name of the same spelling, which A does not see. */
		if (bootstrap_check_in(bootstrap_port, uname, &p) != KERN_SUCCESS)
			_exit(3);
		if (bootstrap_look_up(bootstrap_port, uname, &q) != KERN_SUCCESS || q != p)
			_exit(4);
		if (bootstrap_look_up(bootstrap_port, rname, &p) != KERN_SUCCESS)
			_exit(5);
		if (send_value(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 9, USER_B) != KERN_SUCCESS)
			_exit(6);
		_exit(0);
	}
	wait_exit0(b, "user B");
	cpid = fork();
	if (cpid == 0) {
		if (become(USER_A))
			_exit(1);
		if (bootstrap_look_up(bootstrap_port, uname, &p) != KERN_SUCCESS)
			_exit(2);
		if (bootstrap_check_in(bootstrap_port, uname, &p) != BOOTSTRAP_SERVICE_ACTIVE)
			_exit(3);
		if (bootstrap_look_up(bootstrap_port, rname, &p) != KERN_SUCCESS)
			_exit(4);
		_exit(0);
	}
	wait_exit0(cpid, "user A's second process");
	{
		struct value_rcv r;

		KR_OK(receive_value(rp, &r, 5000));
		EXPECT_EQ(r.m.value, USER_B);
	}
	/* A goes: its name is free, for anyone. */
	close(done[1]);
	wait_exit0(a, "user A");
	b = fork();
	if (b == 0) {
		if (become(USER_B))
			_exit(1);
		_exit(bootstrap_check_in(bootstrap_port, uname, &p) == KERN_SUCCESS ? 0 : 2);
	}
	wait_exit0(b, "user B taking the freed name");
}

/*
 * A name another user checked in first blocks no one (it used to: a user
 * could squat the name of a root service before the service started, and
 * root's check-in then failed with NOT_PRIVILEGED): root checks the name in
 * all the same, and every user's lookup then finds root's port, the early
 * user's included. While root holds it, another user cannot take it.
 */
TEST(a_name_squatted_by_a_user_is_still_roots_to_take)
{
	char name[64], c;
	mach_port_t rp, p;
	int held[2], go[2];
	pid_t a, b;

	if (geteuid() != 0)
		return;
	unique(name, sizeof(name), "squat");
	EXPECT_EQ(pipe(held), 0);
	EXPECT_EQ(pipe(go), 0);
	b = fork();
	if (b == 0) {
		mach_port_t q;

		close(held[0]);
		close(go[1]);
		if (become(USER_B))
			_exit(1);
		if (bootstrap_check_in(bootstrap_port, name, &p) != KERN_SUCCESS)
			_exit(2);
		if (write(held[1], "h", 1) != 1)
			_exit(3);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		/* Root's binding, not B's own shadowed one. */
		if (bootstrap_look_up(bootstrap_port, name, &q) != KERN_SUCCESS)
			_exit(5);
		if (q == p)
			_exit(6);
		if (send_value(q, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 9, USER_B) != KERN_SUCCESS)
			_exit(7);
		_exit(0);
	}
	close(held[1]);
	close(go[0]);
	EXPECT_EQ(read(held[0], &c, 1), 1);
	KR_OK(bootstrap_check_in(bootstrap_port, name, &rp));
	a = fork();
	if (a == 0) {
		if (become(USER_A))
			_exit(1);
		if (bootstrap_look_up(bootstrap_port, name, &p) != KERN_SUCCESS)
			_exit(2);
		if (send_value(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 9, USER_A) != KERN_SUCCESS)
			_exit(3);
		if (bootstrap_check_in(bootstrap_port, name, &p) != BOOTSTRAP_NOT_PRIVILEGED)
			_exit(4);
		if (bootstrap_register(bootstrap_port, name, MACH_PORT_NULL) != BOOTSTRAP_NOT_PRIVILEGED)
			_exit(5);
		_exit(0);
	}
	wait_exit0(a, "user A");
	EXPECT_EQ(write(go[1], "g", 1), 1);
	wait_exit0(b, "user B, the squatter");
	{
		struct value_rcv r;

		KR_OK(receive_value(rp, &r, 5000));
		EXPECT_EQ(r.m.value, USER_A);
		KR_OK(receive_value(rp, &r, 5000));
		EXPECT_EQ(r.m.value, USER_B);
	}
	/* Root's check-in again: its own name, active. */
	KR(bootstrap_check_in(bootstrap_port, name, &p), BOOTSTRAP_SERVICE_ACTIVE);
}

/* Names with their NUL past 127 bytes are cut as MIG's client cuts them;
 * a raw request whose name has no NUL, or of another size or shape, gets
 * MIG_BAD_ARGUMENTS; other ids of the subsystem MIG_BAD_ID. */
TEST(hostile_requests_get_mig_answers)
{
	struct {
		NDR_record_t ndr;
		char name[136];
	} req;
	struct {
		mach_msg_body_t body;
		mach_msg_port_descriptor_t port;
		NDR_record_t ndr;
		name_t name;
	} reg;
	char long_name[200];
	mach_port_t sp, p, q = new_port();

	memset(&req, 0, sizeof(req));
	req.ndr = NDR_record;
	memset(req.name, 'a', sizeof(req.name));
	/* check_in and look_up: 128 bytes without a NUL. */
	KR(raw_request(402, &req, sizeof(req.ndr) + 128, 0), MIG_BAD_ARGUMENTS);
	KR(raw_request(404, &req, sizeof(req.ndr) + 128, 0), MIG_BAD_ARGUMENTS);
	/* Too short, too long, no NDR, complex. */
	req.name[5] = 0;
	KR(raw_request(402, &req, sizeof(req.ndr) + 64, 0), MIG_BAD_ARGUMENTS);
	KR(raw_request(404, &req, sizeof(req.ndr) + 136, 0), MIG_BAD_ARGUMENTS);
	KR(raw_request(404, &req, 128, 0), MIG_BAD_ARGUMENTS);
	KR(raw_request(404, &req, sizeof(req.ndr) + 128, 1), MIG_BAD_ARGUMENTS);
	/* bootstrap_parent is the header alone. */
	KR(raw_request(406, &req, sizeof(req.ndr), 0), MIG_BAD_ARGUMENTS);
	KR(raw_request(406, &req, 0, 0), 0);
	/* Routines of bootstrap.defs not served, and beyond it. */
	KR(raw_request(400, &req, sizeof(req.ndr) + 128, 0), MIG_BAD_ID);
	KR(raw_request(401, &req, 0, 0), MIG_BAD_ID);
	KR(raw_request(405, &req, sizeof(req.ndr) + 128, 0), MIG_BAD_ID);
	KR(raw_request(410, &req, sizeof(req.ndr) + 128, 0), MIG_BAD_ID);
	KR(raw_request(3409, &req, sizeof(req.ndr) + 4, 0), MIG_BAD_ID);
	/* Bytes after the NUL do not matter. */
	unique(req.name, 64, "nul");
	KR_OK(bootstrap_check_in(bootstrap_port, req.name, &sp));
	memset(req.name + strlen(req.name) + 1, 'g', 128 - strlen(req.name) - 1);
	KR(raw_request(404, &req, sizeof(req.ndr) + 128, 0), 0);
	KR(raw_request(402, &req, sizeof(req.ndr) + 128, 0), BOOTSTRAP_SERVICE_ACTIVE);
	/* register: the port must travel as a send right. */
	memset(&reg, 0, sizeof(reg));
	reg.body.msgh_descriptor_count = 1;
	reg.port.name = q;
	reg.port.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
	reg.port.type = MACH_MSG_PORT_DESCRIPTOR;
	reg.ndr = NDR_record;
	strcpy(reg.name, "test.hostile.register");
	KR(raw_request(403, &reg, sizeof(reg), 1), MIG_TYPE_ERROR);
	KR(raw_request(403, &reg, sizeof(reg), 0), MIG_BAD_ARGUMENTS);
	reg.port.disposition = MACH_MSG_TYPE_COPY_SEND;
	memset(reg.name, 'r', sizeof(reg.name));
	KR(raw_request(403, &reg, sizeof(reg), 1), MIG_BAD_ARGUMENTS);
	KR(bootstrap_look_up(bootstrap_port, "test.hostile.register", &p), BOOTSTRAP_UNKNOWN_SERVICE);
	/* Through libmach a long name is cut to 127 bytes, as MIG's
	 * mig_strncpy cuts it: both spellings reach the same service. */
	memset(long_name, 'L', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	snprintf(long_name, 16, "t%d.", (int)getpid());
	long_name[strlen(long_name)] = 'L';
	KR_OK(bootstrap_check_in(bootstrap_port, long_name, &sp));
	long_name[127] = 0;
	KR_OK(bootstrap_look_up(bootstrap_port, long_name, &p));
	EXPECT_EQ(p, sp);
	long_name[126] = 0;
	KR(bootstrap_look_up(bootstrap_port, long_name, &p), BOOTSTRAP_UNKNOWN_SERVICE);
}

/*
 * At most max_user_bootstrap_names names per user: BOOTSTRAP_NO_MEMORY
 * beyond, for check_in and register; a released name makes room; a
 * sender with CAP_SYS_RESOURCE (root here) is not limited. Needs root.
 */
TEST(names_per_user_are_limited)
{
	int saved = read_param();
	pid_t pid;
	int st;

	if (geteuid() != 0)
		return;
	EXPECT_TRUE(saved >= 0);
	EXPECT_EQ(write_param(3), 0);
	pid = fork();
	if (pid == 0) {
		mach_port_t sp[4], p;
		char name[64];
		int i, exempt = 0;

		/* Root is exempt. */
		for (i = 0; i < 4; i++) {
			snprintf(name, sizeof(name), "test.limit.root.%d.%d", (int)getpid(), i);
			exempt |= bootstrap_check_in(bootstrap_port, name, &p) != KERN_SUCCESS;
		}
		if (exempt)
			_exit(1);
		if (become(USER_A))
			_exit(2);
		for (i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "test.limit.%d.%d", (int)getpid(), i);
			if (bootstrap_check_in(bootstrap_port, name, &sp[i]) != KERN_SUCCESS)
				_exit(10 + i);
		}
		snprintf(name, sizeof(name), "test.limit.%d.3", (int)getpid());
		if (bootstrap_check_in(bootstrap_port, name, &sp[3]) != BOOTSTRAP_NO_MEMORY)
			_exit(20);
		if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) ||
		    mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND))
			_exit(21);
		if (bootstrap_register(bootstrap_port, name, p) != BOOTSTRAP_NO_MEMORY)
			_exit(22);
		if (mach_port_mod_refs(mach_task_self(), sp[0], MACH_PORT_RIGHT_RECEIVE, -1))
			_exit(23);
		if (bootstrap_register(bootstrap_port, name, p) != KERN_SUCCESS)
			_exit(24);
		_exit(0);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(write_param(saved), 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAILF("limit child: status 0x%x (exit %d)", st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

TEST(register_binds_a_send_right_until_its_port_dies)
{
	char name[64], name2[64], name3[64], name4[64];
	mach_port_t p = new_port(), got;
	struct value_rcv r;
	pid_t pid;

	unique(name, sizeof(name), "reg");
	unique(name2, sizeof(name2), "reg2");
	unique(name3, sizeof(name3), "reg3");
	unique(name4, sizeof(name4), "reg4");
	KR_OK(bootstrap_register(bootstrap_port, name, p));
	KR_OK(bootstrap_look_up(bootstrap_port, name, &got));
	EXPECT_EQ(got, p);
	KR(bootstrap_register(bootstrap_port, name, p), BOOTSTRAP_SERVICE_ACTIVE);
	KR(bootstrap_check_in(bootstrap_port, name, &got), BOOTSTRAP_SERVICE_ACTIVE);
	/* A second name for the same port. */
	KR_OK(bootstrap_register(bootstrap_port, name2, p));
	pid = fork();
	if (pid == 0) {
		mach_port_t s;

		if (bootstrap_look_up(bootstrap_port, name2, &s) != KERN_SUCCESS)
			_exit(1);
		_exit(send_value(s, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 3, 33) == KERN_SUCCESS ? 0 : 2);
	}
	wait_exit0(pid, "client");
	KR_OK(receive_value(p, &r, 5000));
	EXPECT_EQ(r.m.value, 33);
	/* The port dies: both names go. */
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR(bootstrap_look_up(bootstrap_port, name, &got), BOOTSTRAP_UNKNOWN_SERVICE);
	KR(bootstrap_look_up(bootstrap_port, name2, &got), BOOTSTRAP_UNKNOWN_SERVICE);
	/* Null and dead ports bind nothing, and succeed as launchd. */
	KR_OK(bootstrap_register(bootstrap_port, name3, MACH_PORT_NULL));
	KR(bootstrap_look_up(bootstrap_port, name3, &got), BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(bootstrap_register(bootstrap_port, name4, p)); /* p is a dead name now */
	KR(bootstrap_look_up(bootstrap_port, name4, &got), BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(bootstrap_check_in(bootstrap_port, name4, &got));
}

TEST(parent_of_the_registry_is_itself_and_it_is_no_kernel_object_to_ask)
{
	mach_port_t parent, bp;
	natural_t type = 99;
	mach_vm_address_t addr = 1;

	KR_OK(task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &bp));
	EXPECT_NE(bp, MACH_PORT_NULL);
	EXPECT_EQ(bp, bootstrap_port);
	KR_OK(bootstrap_parent(bootstrap_port, &parent));
	EXPECT_EQ(parent, bootstrap_port);
	/* As launchd's port on macOS: no kernel object. */
	KR_OK(mach_port_kobject(mach_task_self(), bootstrap_port, &type, &addr));
	EXPECT_EQ(type, 0);
	EXPECT_EQ(addr, 0);
	KR(bootstrap_parent(MACH_PORT_NULL, &parent), MACH_SEND_INVALID_DEST);
}

TEST(strerror_has_launchds_texts)
{
	EXPECT_TRUE(!strcmp(bootstrap_strerror(BOOTSTRAP_SUCCESS), "Success"));
	EXPECT_TRUE(!strcmp(bootstrap_strerror(BOOTSTRAP_NOT_PRIVILEGED), "Permission denied"));
	EXPECT_TRUE(!strcmp(bootstrap_strerror(BOOTSTRAP_NAME_IN_USE), "Service name already exists"));
	EXPECT_TRUE(!strcmp(bootstrap_strerror(BOOTSTRAP_SERVICE_ACTIVE), "Service name already exists"));
	EXPECT_TRUE(!strcmp(bootstrap_strerror(BOOTSTRAP_UNKNOWN_SERVICE), "Unknown service name"));
	EXPECT_TRUE(!strcmp(bootstrap_strerror(BOOTSTRAP_BAD_COUNT),
			    "Too many lookups were requested in one request"));
	EXPECT_TRUE(!strcmp(bootstrap_strerror(BOOTSTRAP_NO_MEMORY), "Out of memory"));
	EXPECT_TRUE(!strcmp(bootstrap_strerror(MACH_SEND_INVALID_DEST), mach_error_string(MACH_SEND_INVALID_DEST)));
	EXPECT_EQ(BOOTSTRAP_NO_CHILDREN, 1106);
	EXPECT_EQ(BOOTSTRAP_MAX_NAME_LEN, sizeof(name_t));
}

/* The names of the caller's space, counted. */
static int count_names(void)
{
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n = 0, tn;

	if (mach_port_names(mach_task_self(), &names, &n, &types, &tn) != KERN_SUCCESS)
		return -1;
	vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof(*names));
	vm_deallocate(mach_task_self(), (vm_address_t)types, tn * sizeof(*types));
	return (int)n;
}

/* One malformed reply to a bootstrap request received on `sup`; false if
 * none came (the client stopped early: its status says why). */
static bool hostile_reply(mach_port_t sup, int want_id, int how)
{
	struct {
		mach_msg_header_t h;
		char body[200];
		mach_msg_max_trailer_t t;
	} req;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		union {
			mach_msg_port_descriptor_t port[2];
			mach_msg_ool_descriptor_t ool;
		};
	} rep;
	static char region[4096];
	mach_port_t a, b;

	if (mach_msg(&req.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(req), sup, 5000, MACH_PORT_NULL))
		return false;
	EXPECT_EQ(req.h.msgh_id, want_id);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &a));
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &b));
	memset(&rep, 0, sizeof(rep));
	rep.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
	rep.h.msgh_remote_port = req.h.msgh_remote_port;
	rep.h.msgh_id = want_id + 100;
	rep.body.msgh_descriptor_count = 1;
	rep.h.msgh_size = sizeof(rep.h) + sizeof(rep.body) + sizeof(rep.port[0]);
	rep.port[0].name = a;
	rep.port[0].type = MACH_MSG_PORT_DESCRIPTOR;
	switch (how) {
	case 0: /* a receive right where a send right is due */
		rep.port[0].disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
		break;
	case 1: /* two rights where one is due */
		rep.body.msgh_descriptor_count = 2;
		rep.h.msgh_size += sizeof(rep.port[1]);
		rep.port[0].disposition = MACH_MSG_TYPE_MAKE_SEND;
		rep.port[1].name = b;
		rep.port[1].disposition = MACH_MSG_TYPE_MAKE_SEND;
		rep.port[1].type = MACH_MSG_PORT_DESCRIPTOR;
		break;
	case 2: /* memory where a right is due */
		memset(&rep.ool, 0, sizeof(rep.ool));
		rep.h.msgh_size = sizeof(rep.h) + sizeof(rep.body) + sizeof(rep.ool);
		rep.ool.address = region;
		rep.ool.size = sizeof(region);
		rep.ool.copy = MACH_MSG_VIRTUAL_COPY;
		rep.ool.type = MACH_MSG_OOL_DESCRIPTOR;
		break;
	default: /* a right where a return code alone is due */
		rep.port[0].disposition = MACH_MSG_TYPE_MAKE_SEND;
		break;
	}
	KR_OK(mach_msg(&rep.h, MACH_SEND_MSG, rep.h.msgh_size, 0, 0, 0, 0));
	mach_port_mod_refs(mach_task_self(), a, MACH_PORT_RIGHT_RECEIVE, -1);
	mach_port_mod_refs(mach_task_self(), b, MACH_PORT_RIGHT_RECEIVE, -1);
	return true;
}

/*
 * libmach's bootstrap calls against a hostile server (a supervisor serving
 * its children's bootstrap port): a reply of the wrong shape is
 * MIG_TYPE_ERROR, and every right it brought is released, none left as a
 * name in the caller's space (a receive right where a send right is due,
 * two rights where one is, memory where a right is, a right where only a
 * return code is).
 */
TEST(malformed_bootstrap_replies_leave_no_rights_behind)
{
	mach_port_t sup = new_port();
	pid_t pid;

	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, sup));
	pid = fork();
	if (pid == 0) {
		mach_port_t s = MACH_PORT_NULL;
		int n;

		mig_get_reply_port();
		n = count_names();
		if (bootstrap_look_up(bootstrap_port, "test.hostile", &s) != MIG_TYPE_ERROR)
			_exit(1);
		if (count_names() != n)
			_exit(2);
		if (bootstrap_check_in(bootstrap_port, "test.hostile", &s) != MIG_TYPE_ERROR)
			_exit(3);
		if (count_names() != n)
			_exit(4);
		if (bootstrap_look_up(bootstrap_port, "test.hostile", &s) != MIG_TYPE_ERROR)
			_exit(5);
		if (count_names() != n)
			_exit(6);
		if (bootstrap_register(bootstrap_port, "test.hostile", MACH_PORT_NULL) != MIG_TYPE_ERROR)
			_exit(7);
		if (count_names() != n)
			_exit(8);
		_exit(0);
	}
	if (hostile_reply(sup, 404, 0) && hostile_reply(sup, 402, 1) && hostile_reply(sup, 404, 2))
		hostile_reply(sup, 403, 3);
	wait_exit0(pid, "client of a hostile bootstrap server");
}

/*
 * A supervisor that sets its own TASK_BOOTSTRAP_PORT serves its children's
 * bootstrap calls (the MIG layouts reach it unchanged); a child of a task
 * whose bootstrap port is null has none, as on XNU.
 */
TEST(supervisor_bootstrap_port_is_inherited_by_children)
{
	mach_port_t sup = new_port(), svc = new_port();
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		name_t name;
		mach_msg_max_trailer_t t;
	} req;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_port_descriptor_t port;
	} rep;
	struct value_rcv r;
	pid_t pid;

	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, sup));
	pid = fork();
	if (pid == 0) {
		mach_port_t s;

		/* (Names are the child's own: `reg` names nothing here.) */
		if (bootstrap_port == MACH_PORT_NULL)
			_exit(1);
		if (bootstrap_look_up(bootstrap_port, "test.supervised", &s) != KERN_SUCCESS)
			_exit(2);
		_exit(send_value(s, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 5, 55) == KERN_SUCCESS ? 0 : 3);
	}
	KR_OK(mach_msg(&req.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(req), sup, 5000, MACH_PORT_NULL));
	EXPECT_EQ(req.h.msgh_id, 404);
	EXPECT_EQ(req.h.msgh_size, sizeof(mach_msg_header_t) + sizeof(NDR_record_t) + sizeof(name_t));
	EXPECT_TRUE(!strcmp(req.name, "test.supervised"));
	memset(&rep, 0, sizeof(rep));
	rep.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
	rep.h.msgh_size = sizeof(rep);
	rep.h.msgh_remote_port = req.h.msgh_remote_port;
	rep.h.msgh_id = 504;
	rep.body.msgh_descriptor_count = 1;
	rep.port.name = svc;
	rep.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
	rep.port.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_OK(mach_msg(&rep.h, MACH_SEND_MSG, sizeof(rep), 0, 0, 0, 0));
	KR_OK(receive_value(svc, &r, 5000));
	EXPECT_EQ(r.m.value, 55);
	wait_exit0(pid, "supervised child");
	/* A null bootstrap port is inherited as null. */
	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, MACH_PORT_NULL));
	pid = fork();
	if (pid == 0) {
		mach_port_t bp = 1;

		if (task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &bp) != KERN_SUCCESS)
			_exit(1);
		_exit(bp == MACH_PORT_NULL && bootstrap_port == MACH_PORT_NULL ? 0 : 2);
	}
	wait_exit0(pid, "child of a task without bootstrap port");
}
