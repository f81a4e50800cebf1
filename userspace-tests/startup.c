/* SPDX-License-Identifier: MIT */
/*
 * A program has its task from the start, whatever it links: this file,
 * linked with libmach.a as every C test is, uses nothing of libmach's
 * bootstrap calls (bootstrap_port is the device code's), so the linker
 * keeps none of bootstrap.o. The constructor that opens the task must
 * still run, as it does with libmach.so. The harness makes no Mach call
 * before it forks a test: each test starts with only what that constructor
 * and libmach's fork handler gave it.
 */
#include <mach/mach.h>
#include "harness.h"
#include "children.h"

/* XNU's kernel object type of a port that has none (ipc_kobject.h). */
#define IKOT_NONE 0

/* The harness's process opened its space at start, and its fork handler
 * gave this test a space of its own, bootstrap port included. */
TEST(a_program_has_its_bootstrap_port_before_any_mach_call)
{
	EXPECT_NE(bootstrap_port, MACH_PORT_NULL);
	EXPECT_EQ(kobject_type(bootstrap_port), IKOT_NONE);
}

/* Waits until the parent closes its end of `go`, making no Mach call. */
static void __attribute__((noreturn)) wait_for_parent(int go[2])
{
	char c;

	close(go[1]);
	_exit(read(go[0], &c, 1) < 0);
}

/* A child forked before the program's first Mach call has a task port when
 * fork returns (XNU's behaviour), so its parent's task_for_pid finds it
 * although the child never makes a Mach call. */
TEST(a_child_forked_before_any_mach_call_has_a_task_port)
{
	mach_port_t t, n;
	int go[2], got;
	pid_t pid;

	EXPECT_EQ(pipe(go), 0);
	if ((pid = fork()) == 0)
		wait_for_parent(go);
	close(go[0]);
	KR_OK(task_for_pid(mach_task_self(), pid, &t));
	KR_OK(pid_for_task(t, &got));
	EXPECT_EQ(got, pid);
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &n));
	close(go[1]);
	wait_ok(pid);
}
