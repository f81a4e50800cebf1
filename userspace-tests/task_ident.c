/* SPDX-License-Identifier: MIT */
/*
 * Task identity tokens (XNU's task_create_identity_token and
 * task_identity_token_get_task_port): a token names one task and gives
 * back its ports of each flavor, the caller's own control port as
 * mach_task_self(); it outlives the task only as a name that finds nothing
 * (KERN_NOT_FOUND), and is made only from a control port.
 */
#include <mach/mach.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "harness.h"

#define IKOT_TASK_ID_TOKEN 50

TEST(own_token_gives_each_flavor_of_own_task_port)
{
	static const struct {
		int flavor, special;
	} f[] = {
		{ TASK_FLAVOR_READ, TASK_READ_PORT },
		{ TASK_FLAVOR_INSPECT, TASK_INSPECT_PORT },
		{ TASK_FLAVOR_NAME, TASK_NAME_PORT },
	};
	task_id_token_t token, token2;
	mach_port_t p, q;
	natural_t type = 0;
	mach_vm_address_t addr;

	KR_OK(task_create_identity_token(mach_task_self(), &token));
	EXPECT_NE(token, MACH_PORT_NULL);
	KR_OK(mach_port_kobject(mach_task_self(), token, &type, &addr));
	EXPECT_EQ(type, IKOT_TASK_ID_TOKEN);

	/* The control port is the caller's own: the name it already has. */
	KR_OK(task_identity_token_get_task_port(token, TASK_FLAVOR_CONTROL, &p));
	EXPECT_EQ(p, mach_task_self());
	KR_OK(mach_port_deallocate(mach_task_self(), p));
	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		KR_OK(task_get_special_port(mach_task_self(), f[i].special, &q));
		KR_OK(task_identity_token_get_task_port(token, f[i].flavor, &p));
		EXPECT_EQ(p, q);
		KR_OK(mach_port_deallocate(mach_task_self(), p));
		KR_OK(mach_port_deallocate(mach_task_self(), q));
	}
	KR(task_identity_token_get_task_port(token, TASK_FLAVOR_NAME + 1, &p), KERN_INVALID_ARGUMENT);

	/* Each call makes a new token. */
	KR_OK(task_create_identity_token(mach_task_self(), &token2));
	EXPECT_NE(token2, token);
	KR_OK(mach_port_deallocate(mach_task_self(), token2));
	KR_OK(mach_port_deallocate(mach_task_self(), token));
}

TEST(token_is_made_from_a_control_port_only)
{
	task_id_token_t token;
	mach_port_t rd, thread = mach_thread_self(), p;

	KR_OK(task_get_special_port(mach_task_self(), TASK_READ_PORT, &rd));
	KR(task_create_identity_token(rd, &token), KERN_INVALID_ARGUMENT);
	/* A port that is no token gives no task port. */
	EXPECT_NE(task_identity_token_get_task_port(thread, TASK_FLAVOR_NAME, &p), KERN_SUCCESS);
	mach_port_deallocate(mach_task_self(), rd);
	mach_port_deallocate(mach_task_self(), thread);
}

TEST(token_of_another_task_finds_it_while_it_runs)
{
	task_id_token_t token;
	mach_port_t child, p;
	int status, got = 0;
	pid_t pid;

	/* A task before forking, so that the child is one at once (libmach
	 * opens a statically linked program's task on its first call). */
	KR_OK(mach_port_deallocate(mach_task_self(), mach_thread_self()));
	pid = fork();
	if (pid == 0) {
		/* Gone with this test's process, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pause();
		_exit(0);
	}
	KR_OK(task_for_pid(mach_task_self(), pid, &child));
	KR_OK(task_create_identity_token(child, &token));
	KR_OK(task_identity_token_get_task_port(token, TASK_FLAVOR_NAME, &p));
	KR_OK(pid_for_task(p, &got));
	EXPECT_EQ(got, pid);
	KR_OK(mach_port_deallocate(mach_task_self(), p));
	KR_OK(task_identity_token_get_task_port(token, TASK_FLAVOR_CONTROL, &p));
	EXPECT_EQ(p, child);
	KR_OK(mach_port_deallocate(mach_task_self(), p));

	kill(pid, SIGKILL);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	/* Gone: the token names no one now. */
	KR(task_identity_token_get_task_port(token, TASK_FLAVOR_NAME, &p), KERN_NOT_FOUND);
	KR_OK(mach_port_deallocate(mach_task_self(), token));
	KR_OK(mach_port_deallocate(mach_task_self(), child));
}
