/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the C tests that fork children: waiting for them, dropping
 * root to an ordinary user, a target process with a space, and the kernel
 * object type of a name. Static inline, so a test uses what it needs.
 */
#ifndef MACHIPC_TEST_CHILDREN_H
#define MACHIPC_TEST_CHILDREN_H

#include <mach/mach.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "harness.h"

/* The uid/gid the root-run tests drop to. */
#define USER_ID 1000

static inline void wait_ok(pid_t pid)
{
	int st;

	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAILF("child %d: status 0x%x (exit %d)", (int)pid, st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* Root drops every id to USER_ID; `dumpable` undoes the non-dumpable flag
 * the change of credentials sets. Returns 0 or a nonzero step. */
static inline int drop_to_user(int dumpable)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) || setresgid(USER_ID, USER_ID, USER_ID) || setresuid(USER_ID, USER_ID, USER_ID))
		return 1;
	if (dumpable && prctl(PR_SET_DUMPABLE, 1))
		return 2;
	return 0;
}

/* Forks a process that opens its space, runs `after_open` (0 or a step
 * that failed: it exits), writes a byte on the returned pipe and waits to
 * be killed. */
static inline pid_t spawn_target(int (*after_open)(void), int *ready_r)
{
	int ready[2];
	mach_port_t n;
	pid_t pid;

	EXPECT_EQ(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n))
			_exit(1);
		if (after_open && after_open())
			_exit(2);
		/* Gone with a failed test (set after the change of ids,
		 * which clears it). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL))
			_exit(4);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(ready[1]);
	*ready_r = ready[0];
	return pid;
}

static inline int wait_ready(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static inline int drop_non_dumpable(void)
{
	return drop_to_user(0);
}

static inline int drop_dumpable(void)
{
	return drop_to_user(1);
}

static inline void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The kernel object type of the port `name` names (mach_port_kobject). */
static inline unsigned kobject_type(mach_port_t name)
{
	natural_t type = ~0u;
	mach_vm_address_t addr;

	KR_OK(mach_port_kobject(mach_task_self(), name, &type, &addr));
	return type;
}

#endif
