/* SPDX-License-Identifier: MIT */
/*
 * A task's read, inspect and name ports: distinct kernel-served ports, the
 * routines each accepts by XNU's MIG types, mach_task_is_self,
 * task_read/inspect/name_for_pid and their permission rules, and their
 * death with the task.
 */
#include <mach/mach.h>
#include <errno.h>
#include "harness.h"
#include "children.h"

#define IKOT_TASK_CONTROL 2
#define IKOT_TASK_NAME 20
#define IKOT_TASK_INSPECT 44
#define IKOT_TASK_READ 45

static mach_port_t special(mach_port_t task, int which)
{
	mach_port_t p = MACH_PORT_NULL;

	KR_OK(task_get_special_port(task, which, &p));
	return p;
}

TEST(flavored_ports_are_distinct_kernel_ports_and_stay_the_same)
{
	mach_port_t rd = special(mach_task_self(), TASK_READ_PORT);
	mach_port_t insp = special(mach_task_self(), TASK_INSPECT_PORT);
	mach_port_t name = special(mach_task_self(), TASK_NAME_PORT);
	mach_port_urefs_t refs;

	EXPECT_NE(rd, mach_task_self());
	EXPECT_NE(insp, mach_task_self());
	EXPECT_NE(name, mach_task_self());
	EXPECT_NE(rd, insp);
	EXPECT_NE(rd, name);
	EXPECT_NE(insp, name);
	EXPECT_EQ(kobject_type(mach_task_self()), IKOT_TASK_CONTROL);
	EXPECT_EQ(kobject_type(rd), IKOT_TASK_READ);
	EXPECT_EQ(kobject_type(insp), IKOT_TASK_INSPECT);
	EXPECT_EQ(kobject_type(name), IKOT_TASK_NAME);
	/* The same port each time: the same name, one more reference. */
	KR_OK(mach_port_get_refs(mach_task_self(), rd, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(special(mach_task_self(), TASK_READ_PORT), rd);
	EXPECT_EQ(special(mach_task_self(), TASK_INSPECT_PORT), insp);
	EXPECT_EQ(special(mach_task_self(), TASK_NAME_PORT), name);
	mach_port_urefs_t after;
	KR_OK(mach_port_get_refs(mach_task_self(), rd, MACH_PORT_RIGHT_SEND, &after));
	EXPECT_EQ(after, refs + 1);
	/* Dropping every reference and asking again gives the same port. */
	KR_OK(mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_SEND, -2));
	EXPECT_EQ(kobject_type(special(mach_task_self(), TASK_NAME_PORT)), IKOT_TASK_NAME);
}

TEST(mach_task_is_self_for_every_flavor)
{
	mach_port_t p;

	EXPECT_TRUE(mach_task_is_self(mach_task_self()));
	EXPECT_TRUE(mach_task_is_self(special(mach_task_self(), TASK_READ_PORT)));
	EXPECT_TRUE(mach_task_is_self(special(mach_task_self(), TASK_INSPECT_PORT)));
	EXPECT_TRUE(mach_task_is_self(special(mach_task_self(), TASK_NAME_PORT)));
	/* The host port is no task (MIG_BAD_ID), a dead port neither. (A
	 * plain port would hold the request, as on XNU: no answer.) */
	EXPECT_TRUE(!mach_task_is_self(mach_host_self()));
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	EXPECT_TRUE(!mach_task_is_self(p));
	EXPECT_TRUE(!mach_task_is_self(MACH_PORT_NULL));
}

TEST(another_task_s_ports_are_not_self)
{
	int ready[2], go[2];
	pid_t pid;
	char c;
	mach_port_t t, rd, name;

	/* Mach in use: the child has a space as fork returns. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &t));
	EXPECT_EQ(pipe(ready), 0);
	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		_exit(read(go[0], &c, 1) < 0 ? 2 : 0);
	}
	close(ready[1]);
	close(go[0]);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	/* Our child: the parent may (ptrace's rule). */
	KR_OK(task_for_pid(mach_task_self(), pid, &t));
	EXPECT_EQ(task_read_for_pid(mach_task_self(), pid, &rd), 0);
	KR_OK(task_name_for_pid(mach_task_self(), pid, &name));
	EXPECT_EQ(kobject_type(rd), IKOT_TASK_READ);
	EXPECT_EQ(kobject_type(name), IKOT_TASK_NAME);
	EXPECT_TRUE(!mach_task_is_self(t));
	EXPECT_TRUE(!mach_task_is_self(rd));
	EXPECT_TRUE(!mach_task_is_self(name));
	/* The child's ports, read over MIG through its read port, are the
	 * ones the *_for_pid calls gave. */
	EXPECT_EQ(special(rd, TASK_READ_PORT), rd);
	EXPECT_EQ(special(t, TASK_NAME_PORT), name);
	int p = 0;
	KR_OK(pid_for_task(name, &p));
	EXPECT_EQ(p, pid);
	KR_OK(pid_for_task(rd, &p));
	EXPECT_EQ(p, pid);
	/* The ports die with the task. */
	close(go[1]);
	wait_ok(pid);
	mach_port_type_t type;
	KR_OK(mach_port_type(mach_task_self(), rd, &type));
	EXPECT_EQ(type, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mach_port_type(mach_task_self(), name, &type));
	EXPECT_EQ(type, MACH_PORT_TYPE_DEAD_NAME);
}

TEST(each_flavor_serves_the_routines_its_mig_type_allows)
{
	mach_port_t rd = special(mach_task_self(), TASK_READ_PORT);
	mach_port_t insp = special(mach_task_self(), TASK_INSPECT_PORT);
	mach_port_t name = special(mach_task_self(), TASK_NAME_PORT);
	mach_port_t got, p;
	natural_t type;
	mach_vm_address_t addr;
	task_basic_info_64_data_t info;
	mach_msg_type_number_t count;
	task_exc_guard_behavior_t behavior;
	int pid;

	/* task_name_t: any flavor. */
	count = TASK_BASIC_INFO_64_COUNT;
	KR_OK(task_info(name, TASK_BASIC_INFO_64, (task_info_t)&info, &count));
	KR_OK(pid_for_task(name, &pid));
	EXPECT_EQ(pid, getpid());
	/* task_inspect_t (task_get_special_port): not the name port. */
	KR(task_get_special_port(name, TASK_NAME_PORT, &got), KERN_INVALID_ARGUMENT);
	KR(task_get_exc_guard_behavior(name, &behavior), KERN_INVALID_TASK);
	KR_OK(task_get_exc_guard_behavior(insp, &behavior));
	/* The inspect port reaches the inspect and name ports only. */
	EXPECT_EQ(special(insp, TASK_NAME_PORT), name);
	EXPECT_EQ(special(insp, TASK_INSPECT_PORT), insp);
	KR(task_get_special_port(insp, TASK_READ_PORT, &got), KERN_INVALID_CAPABILITY);
	KR(task_get_special_port(insp, TASK_KERNEL_PORT, &got), KERN_INVALID_CAPABILITY);
	KR(task_get_special_port(insp, TASK_BOOTSTRAP_PORT, &got), KERN_INVALID_CAPABILITY);
	/* ipc_space_read_t: the read port, not the inspect port. */
	KR(mach_port_kobject(insp, mach_task_self(), &type, &addr), KERN_INVALID_ARGUMENT);
	KR_OK(mach_port_kobject(rd, mach_task_self(), &type, &addr));
	EXPECT_EQ(type, IKOT_TASK_CONTROL);
	/* The read port reaches the read, inspect and name ports only. */
	EXPECT_EQ(special(rd, TASK_READ_PORT), rd);
	EXPECT_EQ(special(rd, TASK_INSPECT_PORT), insp);
	KR(task_get_special_port(rd, TASK_KERNEL_PORT, &got), KERN_INVALID_CAPABILITY);
	KR(task_get_special_port(rd, TASK_HOST_PORT, &got), KERN_INVALID_CAPABILITY);
	/* ipc_space_t and task_t: the control port only. */
	KR(mach_port_allocate(rd, MACH_PORT_RIGHT_RECEIVE, &p), KERN_INVALID_TASK);
	KR(mach_port_deallocate(insp, mach_task_self()), KERN_INVALID_TASK);
	KR(task_set_special_port(rd, TASK_BOOTSTRAP_PORT, MACH_PORT_NULL), KERN_INVALID_ARGUMENT);
	KR(task_set_exc_guard_behavior(rd, behavior), KERN_INVALID_TASK);
	KR(task_set_exception_ports(rd, EXC_MASK_BAD_ACCESS, MACH_PORT_NULL, EXCEPTION_DEFAULT, 0),
	   KERN_INVALID_ARGUMENT);
	/* An unknown id is MIG_BAD_ID on any flavor, before the flavor. */
	count = TASK_BASIC_INFO_64_COUNT;
	KR(host_info(name, HOST_BASIC_INFO, (host_info_t)&info, &count), MIG_BAD_ID);
}

TEST(task_name_for_pid_gives_the_name_port)
{
	mach_port_t t = 1, name = special(mach_task_self(), TASK_NAME_PORT);

	/* Before, it gave the control port. */
	KR_OK(task_name_for_pid(mach_task_self(), getpid(), &t));
	EXPECT_EQ(t, name);
	EXPECT_EQ(kobject_type(t), IKOT_TASK_NAME);
	t = 1;
	KR(task_name_for_pid(mach_task_self(), 0, &t), KERN_FAILURE);
	EXPECT_EQ(t, MACH_PORT_NULL);
	KR(task_name_for_pid(mach_task_self(), 0x3ffffff0, &t), KERN_FAILURE);
	KR(task_name_for_pid(0x1234, getpid(), &t), KERN_FAILURE);
	EXPECT_EQ(t, MACH_PORT_NULL);
}

TEST(task_read_and_inspect_for_pid_answer_as_bsd_calls)
{
	mach_port_t t = 1;

	EXPECT_EQ(task_read_for_pid(mach_task_self(), getpid(), &t), 0);
	EXPECT_EQ(t, special(mach_task_self(), TASK_READ_PORT));
	EXPECT_EQ(task_inspect_for_pid(mach_task_self(), getpid(), &t), 0);
	EXPECT_EQ(t, special(mach_task_self(), TASK_INSPECT_PORT));
	/* XNU's errnos: pid 0 EPERM, a bad task port EINVAL, no such
	 * process ESRCH; the name out is null. */
	t = 1;
	errno = 0;
	EXPECT_EQ(task_read_for_pid(mach_task_self(), 0, &t), -1);
	EXPECT_EQ(errno, EPERM);
	EXPECT_EQ(t, MACH_PORT_NULL);
	errno = 0;
	EXPECT_EQ(task_inspect_for_pid(0x1234, getpid(), &t), -1);
	EXPECT_EQ(errno, EINVAL);
	errno = 0;
	EXPECT_EQ(task_inspect_for_pid(mach_task_self(), 0x3ffffff0, &t), -1);
	EXPECT_EQ(errno, ESRCH);
	errno = 0;
	EXPECT_EQ(task_read_for_pid(mach_task_self(), -5, &t), -1);
	EXPECT_EQ(errno, ESRCH);
	/* A process that never opened /dev/machipc has no task: success
	 * and a null name, as XNU answers for a process without a task. */
	if (geteuid() == 0) {
		t = 1;
		EXPECT_EQ(task_read_for_pid(mach_task_self(), 1, &t), 0);
		EXPECT_EQ(t, MACH_PORT_NULL);
		t = 1;
		KR_OK(task_name_for_pid(mach_task_self(), 1, &t));
		EXPECT_EQ(t, MACH_PORT_NULL);
	}
}

/*
 * The name port's rule is XNU's, weaker than the others': a process of the
 * same user that ptrace's rule (Yama's descendant rule) refuses still gets
 * the name port, and another user's process none.
 */
TEST(name_port_needs_only_the_same_user)
{
	int ready, go[2];
	pid_t target, checker;
	char c;

	if (geteuid() != 0)
		return; /* the processes must change credentials */
	target = spawn_target(drop_dumpable, &ready);
	EXPECT_EQ(wait_ready(ready), 0);
	EXPECT_EQ(pipe(go), 0);
	checker = fork();
	if (checker == 0) {
		mach_port_t t;
		natural_t type;
		mach_vm_address_t addr;

		close(go[1]);
		if (drop_to_user(0))
			_exit(10);
		if (read(go[0], &c, 1) != 0)
			_exit(11);
		/* The same user as the target, but its sibling. */
		if (task_name_for_pid(mach_task_self(), target, &t) != KERN_SUCCESS || t == MACH_PORT_NULL)
			_exit(12);
		if (mach_port_kobject(mach_task_self(), t, &type, &addr) || type != IKOT_TASK_NAME)
			_exit(13);
		errno = 0;
		if (task_read_for_pid(mach_task_self(), target, &t) != -1 || errno != EPERM)
			_exit(14);
		if (task_inspect_for_pid(mach_task_self(), target, &t) != -1 || errno != EPERM)
			_exit(15);
		if (task_for_pid(mach_task_self(), target, &t) != KERN_FAILURE)
			_exit(16);
		/* Root's process (our parent): another user. */
		if (task_name_for_pid(mach_task_self(), getppid(), &t) != KERN_FAILURE || t != MACH_PORT_NULL)
			_exit(17);
		_exit(0);
	}
	close(go[1]);
	wait_ok(checker);
	kill_wait(target);
}
