/* SPDX-License-Identifier: MIT */
/*
 * Who a message comes from and who may take whose task port: the trailer's
 * security and audit tokens across user namespaces and process lifetimes,
 * and task_for_pid under ptrace's rules (credentials, dumpability, Yama's
 * descendant rule) and across exec.
 */
#include <mach/mach.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "harness.h"
#include "children.h"

typedef struct {
	mach_msg_header_t h;
	char space[256];
} rcv_buf_t;

static mach_port_t bootstrap_receiver(void)
{
	mach_port_t p;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, p));
	return p;
}

static kern_return_t send_msg(mach_port_t dest, mach_msg_type_name_t dest_disp, mach_port_t reply,
			      mach_msg_type_name_t disp, mach_msg_id_t id)
{
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(dest_disp, disp),
		.msgh_size = sizeof(h),
		.msgh_remote_port = dest,
		.msgh_local_port = reply,
		.msgh_id = id,
	};

	return mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, 0, 0, 0);
}

static kern_return_t send_id(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply, mach_msg_id_t id)
{
	return send_msg(dest, MACH_MSG_TYPE_COPY_SEND, reply, disp, id);
}

/* Receives on `p` with an audit trailer (10 s at most). */
static kern_return_t rcv_audit(mach_port_t p, rcv_buf_t *b, mach_msg_audit_trailer_t **t)
{
	kern_return_t kr = mach_msg(&b->h,
				    MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
					    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
				    0, sizeof(*b), p, 10000, 0);

	*t = (mach_msg_audit_trailer_t *)((char *)&b->h + round_msg(b->h.msgh_size));
	return kr;
}

/* A receive that timed out: report how the child ended. */
static void rcv_or_child_status(kern_return_t kr, pid_t pid)
{
	int st;

	if (kr == KERN_SUCCESS)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	FAILF("receive: 0x%x; child status 0x%x (exit %d)", kr, st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The uid an unprivileged child runs as: USER_ID for a root run. */
static uid_t user_uid(void)
{
	return geteuid() == 0 ? USER_ID : getuid();
}

static gid_t user_gid(void)
{
	return geteuid() == 0 ? USER_ID : getgid();
}

/*
 * Enters a new user namespace as its root, mapped onto the caller's (non
 * root) uid and gid. Root drops to USER_ID first: mapping 0 onto 0 would
 * prove nothing. Returns 0 or the step that failed.
 */
static int become_userns_root(void)
{
	char map[64];
	uid_t uid;
	gid_t gid;

	if (drop_to_user(1))
		return 1;
	uid = getuid();
	gid = getgid();
	if (unshare(CLONE_NEWUSER))
		return 3;
	if (write_file("/proc/self/setgroups", "deny"))
		return 4;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map))
		return 5;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map))
		return 6;
	if (geteuid() != 0 || getegid() != 0)
		return 7;
	return 0;
}

/* ---------------------------------------------------- trailer credentials */

/*
 * Forks a child that runs `prepare` (0, or a step that failed: it exits
 * with 10 + step), sends message 1 to its bootstrap port and stays alive
 * until `*go_w`, the pipe end returned, is closed.
 */
static pid_t fork_waiting_sender(int (*prepare)(void), int *go_w)
{
	int go[2], step;
	pid_t pid;
	char c;

	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		step = prepare ? prepare() : 0;
		if (step)
			_exit(10 + step);
		if (send_id(bootstrap_port, 0, MACH_PORT_NULL, 1) != KERN_SUCCESS)
			_exit(20);
		_exit(read(go[0], &c, 1) < 0 ? 21 : 0);
	}
	close(go[0]);
	*go_w = go[1];
	return pid;
}

TEST(userns_root_sender_shows_its_real_ids)
{
	mach_port_t p = bootstrap_receiver();
	mach_msg_audit_trailer_t *t;
	rcv_buf_t b;
	int go;
	pid_t pid = fork_waiting_sender(become_userns_root, &go);

	rcv_or_child_status(rcv_audit(p, &b, &t), pid);
	/* The sender is root in its namespace, but not in ours. */
	EXPECT_EQ(t->msgh_sender.val[0], user_uid());
	EXPECT_EQ(t->msgh_sender.val[1], user_gid());
	EXPECT_EQ(t->msgh_audit.val[1], user_uid());
	EXPECT_EQ(t->msgh_audit.val[2], user_gid());
	EXPECT_EQ(t->msgh_audit.val[3], user_uid());
	EXPECT_EQ(t->msgh_audit.val[4], user_gid());
	EXPECT_EQ(t->msgh_audit.val[5], pid);
	close(go);
	wait_ok(pid);
}

TEST(receiver_in_userns_sees_sender_ids_as_it_maps_them)
{
	mach_port_t p = bootstrap_receiver();
	mach_msg_audit_trailer_t *t;
	rcv_buf_t b;
	pid_t pid;
	/* Inside, only the child's outer uid is mapped (to 0): our uid
	 * reads as 0 if it is that one, as the overflow id otherwise. */
	unsigned want_uid = getuid() == user_uid() ? 0 : 65534;
	unsigned want_gid = getgid() == user_gid() ? 0 : 65534;

	pid = fork();
	if (pid == 0) {
		mach_port_t r;
		int step = become_userns_root();

		if (step)
			_exit(10 + step);
		if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &r) ||
		    send_id(bootstrap_port, MACH_MSG_TYPE_MAKE_SEND_ONCE, r, 1))
			_exit(20);
		if (rcv_audit(r, &b, &t))
			_exit(21);
		if (t->msgh_sender.val[0] != want_uid || t->msgh_audit.val[1] != want_uid ||
		    t->msgh_audit.val[3] != want_uid)
			_exit(22);
		if (t->msgh_sender.val[1] != want_gid || t->msgh_audit.val[2] != want_gid ||
		    t->msgh_audit.val[4] != want_gid)
			_exit(23);
		if (t->msgh_audit.val[5] != (unsigned)getppid())
			_exit(24);
		_exit(0);
	}
	rcv_or_child_status(rcv_audit(p, &b, &t), pid);
	EXPECT_EQ(t->msgh_audit.val[5], pid);
	KR_OK(send_msg(b.h.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 2));
	wait_ok(pid);
}

TEST(exited_sender_has_audit_pid_zero)
{
	mach_port_t p = bootstrap_receiver();
	mach_msg_audit_trailer_t *t;
	rcv_buf_t b;
	siginfo_t si;
	pid_t pid;

	pid = fork();
	if (pid == 0)
		_exit(send_id(bootstrap_port, 0, MACH_PORT_NULL, 1) || send_id(bootstrap_port, 0, MACH_PORT_NULL, 2));
	/* A zombie has exited: its number is only waiting to be reused. */
	memset(&si, 0, sizeof(si));
	EXPECT_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	EXPECT_EQ(si.si_status, 0);
	KR_OK(rcv_audit(p, &b, &t));
	EXPECT_EQ(b.h.msgh_id, 1);
	EXPECT_EQ(t->msgh_audit.val[5], 0);
	EXPECT_EQ(t->msgh_audit.val[1], geteuid());
	EXPECT_NE(t->msgh_audit.val[7], 0);
	/* Reaped: the number is free. */
	wait_ok(pid);
	KR_OK(rcv_audit(p, &b, &t));
	EXPECT_EQ(b.h.msgh_id, 2);
	EXPECT_EQ(t->msgh_audit.val[5], 0);
	EXPECT_NE(t->msgh_audit.val[7], 0);
}

/* The pidversion a message from a fresh child carries; the child stays
 * alive until the trailer is read, and `ino` gets its pidfd's st_ino. */
static unsigned child_pidversion(mach_port_t p, pid_t *pid_out, uint64_t *ino)
{
	mach_msg_audit_trailer_t *t;
	rcv_buf_t b;
	struct stat st;
	int go, pfd;
	pid_t pid = fork_waiting_sender(NULL, &go);

	rcv_or_child_status(rcv_audit(p, &b, &t), pid);
	EXPECT_EQ(t->msgh_audit.val[5], pid);
	pfd = syscall(SYS_pidfd_open, pid, 0);
	EXPECT_TRUE(pfd >= 0);
	EXPECT_EQ(fstat(pfd, &st), 0);
	close(pfd);
	*ino = st.st_ino;
	close(go);
	wait_ok(pid);
	*pid_out = pid;
	return t->msgh_audit.val[7];
}

TEST(pidversion_is_the_pidfd_inode_and_differs_between_processes)
{
	mach_port_t p = bootstrap_receiver();
	uint64_t ino1, ino2;
	pid_t pid1, pid2;
	unsigned v1 = child_pidversion(p, &pid1, &ino1);
	unsigned v2 = child_pidversion(p, &pid2, &ino2);

	EXPECT_NE(v1, 0);
	EXPECT_EQ(v1, (uint32_t)ino1);
	EXPECT_EQ(v2, (uint32_t)ino2);
	EXPECT_NE(v1, v2);
}

TEST(pidversion_differs_for_a_reused_pid)
{
	mach_port_t p = bootstrap_receiver();
	mach_msg_audit_trailer_t *t;
	rcv_buf_t b;
	unsigned v1;
	pid_t pid, again;

	if (geteuid() != 0)
		return; /* clone3's set_tid needs CAP_SYS_ADMIN */
	pid = fork();
	if (pid == 0)
		_exit(send_id(bootstrap_port, 0, MACH_PORT_NULL, 1));
	wait_ok(pid);
	KR_OK(rcv_audit(p, &b, &t));
	v1 = t->msgh_audit.val[7];
	/* A second process with the same pid number. clone3 without
	 * glibc: the child shares our space's descriptor, which is all a
	 * send needs (the sender is the process, not the space). */
	struct clone_args ca = { .exit_signal = SIGCHLD, .set_tid = (uintptr_t)&pid, .set_tid_size = 1 };
	again = syscall(SYS_clone3, &ca, sizeof(ca));
	if (again == 0)
		_exit(send_id(p, 0, MACH_PORT_NULL, 2));
	EXPECT_EQ(again, pid);
	wait_ok(again);
	KR_OK(rcv_audit(p, &b, &t));
	EXPECT_EQ(b.h.msgh_id, 2);
	EXPECT_NE(t->msgh_audit.val[7], 0);
	EXPECT_NE(t->msgh_audit.val[7], v1);
}

/* ------------------------------------------------------------ task_for_pid */

TEST(task_for_pid_refuses_a_non_dumpable_target)
{
	pid_t checker;

	if (geteuid() != 0)
		return; /* the target must change credentials */
	checker = fork();
	if (checker == 0) {
		int r1, r2, code = 0;
		mach_port_t t;
		/* Both open their space as root, then become USER_ID; the
		 * first stays non-dumpable, as any process that changed ids. */
		pid_t locked = spawn_target(drop_non_dumpable, &r1);
		pid_t open = spawn_target(drop_dumpable, &r2);

		if (wait_ready(r1) || wait_ready(r2))
			code = 10;
		else if (drop_to_user(0))
			code = 11;
		/* Same ids, our descendants, but not dumpable: as ptrace. */
		else if (task_for_pid(mach_task_self(), locked, &t) != KERN_FAILURE)
			code = 12;
		else if (task_for_pid(mach_task_self(), open, &t) != KERN_SUCCESS)
			code = 13;
		kill_wait(locked);
		kill_wait(open);
		_exit(code);
	}
	wait_ok(checker);
}

TEST(task_for_pid_refuses_a_same_user_non_descendant)
{
	mach_port_t t;
	int ready, go[2];
	pid_t target = spawn_target(drop_dumpable, &ready), checker;
	char c;

	EXPECT_EQ(wait_ready(ready), 0);
	EXPECT_EQ(pipe(go), 0);
	checker = fork();
	if (checker == 0) {
		close(go[1]);
		if (drop_to_user(0))
			_exit(10);
		if (read(go[0], &c, 1) != 0)
			_exit(11);
		/* The same user as the target, but its sibling. */
		_exit(task_for_pid(mach_task_self(), target, &t) == KERN_FAILURE ? 0 : 12);
	}
	close(go[0]);
	/* Its parent may (and root may anyway). */
	KR_OK(task_for_pid(mach_task_self(), target, &t));
	close(go[1]);
	wait_ok(checker);
	kill_wait(target);
}

#define SCOPE_PARAM "/sys/module/machipc/parameters/task_for_pid_scope"

/* A sibling of `target` with the same ids: its task_for_pid result. */
static kern_return_t sibling_task_for_pid(pid_t target)
{
	mach_port_t t;
	pid_t checker = fork();
	int st;

	if (checker == 0) {
		if (drop_to_user(0))
			_exit(100);
		_exit(task_for_pid(mach_task_self(), target, &t));
	}
	EXPECT_EQ(waitpid(checker, &st, 0), checker);
	EXPECT_TRUE(WIFEXITED(st));
	return WEXITSTATUS(st);
}

TEST(task_for_pid_scope_parameter_works_as_yama_ptrace_scope)
{
	kern_return_t sib0, sib1, root3, self3;
	mach_port_t t;
	int ready;
	pid_t target;

	if (geteuid() != 0)
		return; /* writes a module parameter */
	target = spawn_target(drop_dumpable, &ready);
	EXPECT_EQ(wait_ready(ready), 0);
	sib1 = sibling_task_for_pid(target);
	EXPECT_EQ(write_file(SCOPE_PARAM, "0"), 0);
	sib0 = sibling_task_for_pid(target);
	EXPECT_EQ(write_file(SCOPE_PARAM, "3"), 0);
	root3 = task_for_pid(mach_task_self(), target, &t);
	self3 = task_for_pid(mach_task_self(), getpid(), &t);
	EXPECT_EQ(write_file(SCOPE_PARAM, "1"), 0);
	kill_wait(target);
	/* 1: not a descendant; 0: classic rules, same ids suffice. */
	EXPECT_EQ(sib1, KERN_FAILURE);
	EXPECT_EQ(sib0, KERN_SUCCESS);
	/* 3: not even root, but a process itself. */
	EXPECT_EQ(root3, KERN_FAILURE);
	EXPECT_EQ(self3, KERN_SUCCESS);
}

/*
 * After exec, the helper (this binary again) reports on fd 50 and waits on
 * fd 51: 'e' once it runs, by when libmach's constructor has opened the
 * new image's space.
 */
#define EXEC_HELPER_ENV "MACHIPC_CREDS_EXEC_HELPER"

__attribute__((constructor)) static void exec_helper(void)
{
	char c;

	if (!getenv(EXEC_HELPER_ENV))
		return;
	if (write(50, "e", 1) != 1)
		_exit(1);
	_exit(read(51, &c, 1) < 0);
}

TEST(task_port_of_an_image_that_exec_d_serves_no_one_else)
{
	int ready[2], go[2], got;
	mach_port_t t, t2, n;
	mach_port_type_t ty;
	pid_t pid;
	char c;

	/* A fork without libmach's fork handler (the raw system call), so
	 * that the child's only space is the one it opens without
	 * O_CLOEXEC, which survives its exec. */
	EXPECT_EQ(pipe(ready), 0);
	EXPECT_EQ(pipe(go), 0);
	pid = (pid_t)syscall(SYS_fork);
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || open("/dev/machipc", O_RDWR) < 0)
			_exit(1);
		if (dup2(ready[1], 50) != 50 || dup2(go[0], 51) != 51)
			_exit(2);
		close(ready[0]);
		close(go[1]);
		if (write(50, "r", 1) != 1 || read(51, &c, 1) != 1)
			_exit(3);
		setenv(EXEC_HELPER_ENV, "1", 1);
		execl("/proc/self/exe", "creds-exec-helper", (char *)NULL);
		_exit(4);
	}
	close(ready[1]);
	close(go[0]);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	EXPECT_EQ(c, 'r');
	KR_OK(task_for_pid(mach_task_self(), pid, &t));
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &n));
	KR_OK(pid_for_task(t, &got));
	EXPECT_EQ(got, pid);
	EXPECT_EQ(write(go[1], "x", 1), 1);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	EXPECT_EQ(c, 'e');
	/* The space outlived the exec, but its task port now serves only
	 * the process itself (XNU resets the task port on exec). */
	KR_OK(mach_port_type(mach_task_self(), t, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_SEND);
	KR(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &n), KERN_INVALID_TASK);
	KR(mach_port_type(t, n, &ty), KERN_INVALID_TASK);
	KR(pid_for_task(t, &got), KERN_FAILURE);
	/* Nor is it handed out again: the new image's own space is, opened
	 * at its start as on XNU. */
	KR_OK(task_for_pid(mach_task_self(), pid, &t2));
	EXPECT_NE(t2, t);
	KR_OK(mach_port_allocate(t2, MACH_PORT_RIGHT_RECEIVE, &n));
	KR_OK(pid_for_task(t2, &got));
	EXPECT_EQ(got, pid);
	close(go[1]);
	wait_ok(pid);
}
