/* SPDX-License-Identifier: MIT */
/* The task port as a kernel object: MIG requests served by the kernel. */
#include <mach/mach.h>
#include <signal.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "harness.h"

struct port_msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_port_descriptor_t p;
	mach_msg_max_trailer_t t;
};

/* A child that sends us its task port over our bootstrap port and then
 * waits on `go` (a pipe) before exiting. */
static pid_t child_with_task_port(mach_port_t *task_out, int *go_w)
{
	mach_port_t bp;
	int go[2];
	pid_t pid;
	struct port_msg m;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &bp));
	KR_OK(mach_port_insert_right(mach_task_self(), bp, bp, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, bp));
	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		char c;

		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
		m.h.msgh_size = sizeof(m) - sizeof(m.t);
		m.h.msgh_remote_port = bootstrap_port;
		m.b.msgh_descriptor_count = 1;
		m.p.name = mach_task_self();
		m.p.disposition = MACH_MSG_TYPE_COPY_SEND;
		m.p.type = MACH_MSG_PORT_DESCRIPTOR;
		if (mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0))
			_exit(1);
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	KR_OK(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), bp, 0, 0));
	*task_out = m.p.name;
	*go_w = go[1];
	return pid;
}

TEST(mig_requests_operate_on_the_other_space)
{
	mach_port_t child, name, mine, so;
	mach_port_type_t t;
	mach_port_urefs_t refs;
	mach_msg_type_name_t tn;
	int go, status;
	pid_t pid = child_with_task_port(&child, &go);

	EXPECT_NE(child, mach_task_self());
	KR_OK(mach_port_allocate(child, MACH_PORT_RIGHT_RECEIVE, &name));
	KR_OK(mach_port_type(child, name, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	/* Names chosen in the child are the child's, not ours. */
	KR_OK(mach_port_allocate_name(child, MACH_PORT_RIGHT_RECEIVE, 0x777703));
	KR_OK(mach_port_type(child, 0x777703, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	KR(mach_port_type(mach_task_self(), 0x777703, &t), KERN_INVALID_NAME);
	/* A send right made from the child's receive right comes to us;
	 * moving it back merges it into the child's entry. */
	mach_port_t s;
	KR_OK(mach_port_extract_right(child, name, MACH_MSG_TYPE_MAKE_SEND, &s, &tn));
	EXPECT_EQ(tn, MACH_MSG_TYPE_PORT_SEND);
	KR_OK(mach_port_type(mach_task_self(), s, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND);
	KR_OK(mach_port_insert_right(child, name, s, MACH_MSG_TYPE_MOVE_SEND));
	KR_OK(mach_port_get_refs(child, name, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	KR_OK(mach_port_mod_refs(child, name, MACH_PORT_RIGHT_SEND, 2));
	KR_OK(mach_port_get_refs(child, name, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 3);
	KR(mach_port_mod_refs(child, name, MACH_PORT_RIGHT_SEND, -9), KERN_INVALID_VALUE);
	KR(mach_port_deallocate(child, 0x7777703), KERN_INVALID_NAME);
	/* Insert a send right to one of our ports into the child's space. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine));
	KR_OK(mach_port_insert_right(child, 0x5503, mine, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_type(child, 0x5503, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND);
	/* Take a send-once right to the child's port back out. */
	KR_OK(mach_port_extract_right(child, name, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &tn));
	EXPECT_EQ(tn, MACH_MSG_TYPE_PORT_SEND_ONCE);
	KR_OK(mach_port_type(mach_task_self(), so, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
	KR_OK(mach_port_set_context(child, name, 0x1122334455667788ull));
	mach_port_context_t ctx = 0;
	KR_OK(mach_port_get_context(child, name, &ctx));
	EXPECT_EQ(ctx, 0x1122334455667788ull);
	KR_OK(mach_port_destroy(child, name));
	KR(mach_port_type(child, name, &t), KERN_INVALID_NAME);
	close(go);
	waitpid(pid, &status, 0);
	EXPECT_EQ(WEXITSTATUS(status), 0);
	/* The child's space is gone: its task port is dead. */
	KR(mach_port_type(child, name, &t), MACH_SEND_INVALID_DEST);
}

struct mig_error {
	mach_msg_header_t h;
	NDR_record_t ndr;
	kern_return_t ret;
	mach_msg_max_trailer_t t;
};

TEST(unknown_and_malformed_requests_get_mig_errors)
{
	mach_port_t reply = mach_reply_port();
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		uint32_t args[2];
	} req;
	struct mig_error rep;

	memset(&rep, 0, sizeof(rep));
	memset(&req, 0, sizeof(req));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	req.h.msgh_size = sizeof(req);
	req.h.msgh_remote_port = mach_task_self();
	req.h.msgh_local_port = reply;
	req.h.msgh_id = 4242;
	req.ndr = NDR_record;
	KR_OK(mach_msg_overwrite(&req.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(req), sizeof(rep), reply, 0, 0, &rep.h, 0));
	EXPECT_EQ(rep.h.msgh_id, 4342);
	EXPECT_EQ(rep.h.msgh_size, sizeof(mig_reply_error_t));
	EXPECT_EQ(rep.ret, MIG_BAD_ID);
	/* mach_port_allocate (3204) takes one int, not two. */
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	req.h.msgh_remote_port = mach_task_self();
	req.h.msgh_local_port = reply;
	req.h.msgh_id = 3204;
	KR_OK(mach_msg_overwrite(&req.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(req), sizeof(rep), reply, 0, 0, &rep.h, 0));
	EXPECT_EQ(rep.h.msgh_id, 3304);
	EXPECT_EQ(rep.ret, MIG_BAD_ARGUMENTS);
	/* No reply port: the request is simply consumed. */
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	req.h.msgh_local_port = MACH_PORT_NULL;
	KR_OK(mach_msg(&req.h, MACH_SEND_MSG, sizeof(req), 0, 0, 0, 0));
	KR(mach_msg(&rep.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(rep), reply, 0, 0), MACH_RCV_TIMED_OUT);
}

TEST(own_task_port_through_mig_matches_direct_calls)
{
	mach_port_t name;
	mach_port_type_t t;
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		uint32_t right;
	} req;
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		kern_return_t ret;
		mach_port_name_t name;
		mach_msg_max_trailer_t t;
	} rep;
	mach_port_t reply = mach_reply_port();

	memset(&rep, 0, sizeof(rep));
	memset(&req, 0, sizeof(req));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	req.h.msgh_size = sizeof(req);
	req.h.msgh_remote_port = mach_task_self();
	req.h.msgh_local_port = reply;
	req.h.msgh_id = 3204;
	req.ndr = NDR_record;
	req.right = MACH_PORT_RIGHT_RECEIVE;
	KR_OK(mach_msg_overwrite(&req.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(req), sizeof(rep), reply, 0, 0, &rep.h, 0));
	EXPECT_EQ(rep.h.msgh_id, 3304);
	EXPECT_EQ(rep.ret, KERN_SUCCESS);
	name = rep.name;
	KR_OK(mach_port_type(mach_task_self(), name, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	/* A bad right through MIG gives the direct call's error. */
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	req.h.msgh_remote_port = mach_task_self();
	req.h.msgh_local_port = reply;
	req.right = MACH_PORT_RIGHT_SEND;
	KR_OK(mach_msg_overwrite(&req.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(req), sizeof(rep), reply, 0, 0, &rep.h, 0));
	EXPECT_EQ(rep.ret, KERN_INVALID_VALUE);
}

TEST(task_for_pid_of_own_child_and_pid_for_task)
{
	int go[2], status;
	pid_t pid;
	mach_port_t t, n;
	mach_port_type_t ty;
	int got = 0;
	char c;

	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		/* Open a space, then wait. */
		mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n);
		close(go[0]);
		c = 1;
		if (write(go[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	EXPECT_EQ(read(go[0], &c, 1), 1);
	KR_OK(task_for_pid(mach_task_self(), pid, &t));
	KR_OK(mach_port_type(mach_task_self(), t, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_SEND);
	KR_OK(pid_for_task(t, &got));
	EXPECT_EQ(got, pid);
	KR_OK(pid_for_task(mach_task_self(), &got));
	EXPECT_EQ(got, getpid());
	/* Operate on the child's space through its task port. */
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_PORT_SET, &n));
	KR_OK(mach_port_type(t, n, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_PORT_SET);
	KR(task_for_pid(mach_task_self(), 0, &t), KERN_FAILURE);
	KR(task_for_pid(mach_task_self(), 999999, &t), KERN_FAILURE);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* The child is gone, and so is its space. */
	KR(task_for_pid(mach_task_self(), pid, &t), KERN_FAILURE);
}

TEST(task_for_pid_denied_for_another_users_process)
{
	int go[2], status;
	pid_t pid;
	mach_port_t t, n;
	char c;

	if (geteuid() != 0)
		return; /* needs a second user to exist; run as root */
	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n);
		close(go[0]);
		c = 1;
		if (write(go[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	EXPECT_EQ(read(go[0], &c, 1), 1);
	/* An unprivileged process cannot reach the root-owned child. */
	pid_t checker = fork();
	if (checker == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(task_for_pid(mach_task_self(), pid, &t) == KERN_FAILURE ? 0 : 1);
	}
	waitpid(checker, &status, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(exception_ports_of_another_task_over_mig)
{
	mach_port_t child, exc, old[EXC_TYPES_COUNT];
	exception_mask_t masks[EXC_TYPES_COUNT];
	exception_behavior_t beh[EXC_TYPES_COUNT];
	thread_state_flavor_t fl[EXC_TYPES_COUNT];
	mach_msg_type_number_t n = EXC_TYPES_COUNT;
	mach_port_type_t t;
	int go, status;
	pid_t pid = child_with_task_port(&child, &go);

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &exc));
	KR_OK(mach_port_insert_right(mach_task_self(), exc, exc, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_exception_ports(child, EXC_MASK_BAD_ACCESS | EXC_MASK_ARITHMETIC, exc,
				       EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, x86_THREAD_STATE64));
	KR(task_set_exception_ports(child, 1u << 25, exc, EXCEPTION_DEFAULT, x86_THREAD_STATE64),
	   KERN_INVALID_ARGUMENT);
	KR_OK(task_get_exception_ports(child, EXC_MASK_BAD_ACCESS | EXC_MASK_ARITHMETIC | EXC_MASK_BREAKPOINT, masks,
				       &n, old, beh, fl));
	EXPECT_EQ(n, 2);
	EXPECT_EQ(masks[0], EXC_MASK_BAD_ACCESS | EXC_MASK_ARITHMETIC);
	EXPECT_EQ(old[0], exc); /* our own receive right's name: the same port */
	EXPECT_EQ((unsigned)beh[0], EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES);
	EXPECT_EQ(fl[0], x86_THREAD_STATE64);
	EXPECT_EQ(masks[1], EXC_MASK_BREAKPOINT);
	EXPECT_EQ(old[1], MACH_PORT_NULL);
	/* Swap back to none: the old handler comes back. */
	n = EXC_TYPES_COUNT;
	KR_OK(task_swap_exception_ports(child, EXC_MASK_BAD_ACCESS, MACH_PORT_NULL, EXCEPTION_DEFAULT,
					x86_THREAD_STATE64, masks, &n, old, beh, fl));
	EXPECT_EQ(n, 1);
	EXPECT_EQ(masks[0], EXC_MASK_BAD_ACCESS);
	EXPECT_EQ(old[0], exc);
	KR_OK(mach_port_type(mach_task_self(), exc, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_RECEIVE);
	close(go);
	waitpid(pid, &status, 0);
}

TEST(attributes_of_another_task_over_mig)
{
	mach_port_t child, name;
	mach_port_limits_t lim = { .mpl_qlimit = 11 };
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	int go, status;
	pid_t pid = child_with_task_port(&child, &go);

	KR_OK(mach_port_allocate(child, MACH_PORT_RIGHT_RECEIVE, &name));
	KR_OK(mach_port_set_attributes(child, name, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
				       MACH_PORT_LIMITS_INFO_COUNT));
	KR_OK(mach_port_get_attributes(child, name, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(cnt, MACH_PORT_RECEIVE_STATUS_COUNT);
	EXPECT_EQ(st.mps_qlimit, 11);
	lim.mpl_qlimit = 5000;
	KR(mach_port_set_attributes(child, name, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1), KERN_INVALID_VALUE);
	cnt = 2;
	KR(mach_port_get_attributes(child, name, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt), KERN_FAILURE);
	close(go);
	waitpid(pid, &status, 0);
}

TEST(more_mach_port_routines_over_mig)
{
	mach_port_t child, set, p, q, so, prev;
	mach_port_name_array_t names, members;
	mach_port_type_array_t types;
	mach_msg_type_number_t n, nt, nm;
	mach_msg_type_name_t tn;
	mach_port_type_t t;
	mach_port_options_t o = { .flags = MPO_INSERT_SEND_RIGHT };
	int go, status, found = 0;
	pid_t pid = child_with_task_port(&child, &go);

	KR_OK(mach_port_allocate(child, MACH_PORT_RIGHT_PORT_SET, &set));
	KR_OK(mach_port_construct(child, &o, 0, &p));
	KR_OK(mach_port_type(child, p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_RECEIVE);
	KR_OK(mach_port_allocate(child, MACH_PORT_RIGHT_RECEIVE, &q));
	KR_OK(mach_port_insert_member(child, q, set));
	KR_OK(mach_port_insert_member(child, p, set));
	KR_OK(mach_port_get_set_status(child, set, &members, &nm));
	EXPECT_EQ(nm, 2);
	EXPECT_TRUE(members[0] < members[1]);
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)members, nm * sizeof(*members)));
	KR_OK(mach_port_names(child, &names, &n, &types, &nt));
	EXPECT_EQ(n, nt);
	for (unsigned i = 0; i < n; i++)
		if (names[i] == set && types[i] == MACH_PORT_TYPE_PORT_SET)
			found = 1;
	EXPECT_TRUE(found);
	/* A no-senders request in the child's space, notify right from ours. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &so));
	KR_OK(mach_port_request_notification(child, q, MACH_NOTIFY_NO_SENDERS, 1, so, MACH_MSG_TYPE_MAKE_SEND_ONCE,
					     &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	KR_OK(mach_port_request_notification(child, q, MACH_NOTIFY_NO_SENDERS, 1, MACH_PORT_NULL,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_type(mach_task_self(), prev, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
	(void)tn;
	KR_OK(mach_port_destruct(child, p, -1, 0));
	KR(mach_port_type(child, p, &t), KERN_INVALID_NAME);
	close(go);
	waitpid(pid, &status, 0);
}

TEST(guard_mscount_seqno_and_srights_over_mig)
{
	mach_port_t child, name;
	mach_port_options_t o = { .flags = MPO_INSERT_SEND_RIGHT };
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	mach_port_rights_t srights = 0;
	int go, status;
	pid_t pid = child_with_task_port(&child, &go);

	KR_OK(mach_port_construct(child, &o, 0, &name));
	KR_OK(mach_port_set_mscount(child, name, 7));
	KR_OK(mach_port_set_seqno(child, name, 5));
	KR_OK(mach_port_get_attributes(child, name, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(st.mps_mscount, 7);
	EXPECT_EQ(st.mps_seqno, 5);
	KR_OK(mach_port_get_srights(child, name, &srights));
	EXPECT_EQ(srights, 1);
	KR_OK(mach_port_guard(child, name, 0x1234567890ULL, FALSE));
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	KR_OK(mach_port_get_attributes(child, name, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	EXPECT_TRUE(st.mps_flags & MACH_PORT_STATUS_FLAG_GUARDED);
	KR_OK(mach_port_unguard(child, name, 0x1234567890ULL));
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	KR_OK(mach_port_get_attributes(child, name, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(st.mps_flags & MACH_PORT_STATUS_FLAG_GUARDED, 0);
	close(go);
	waitpid(pid, &status, 0);
}

/* Spins in user mode for about `ms` milliseconds of CPU time. */
static void *burn(void *arg)
{
	struct timespec a, b;
	long ms = (long)(intptr_t)arg;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
	return NULL;
}

TEST(task_info_layouts_and_counts_as_xnu)
{
	/* XNU's sizes (x86_64, packed to 4), in natural_t words. */
	EXPECT_EQ(sizeof(struct mach_task_basic_info), 48);
	EXPECT_EQ(MACH_TASK_BASIC_INFO_COUNT, 12);
	EXPECT_EQ(TASK_BASIC_INFO_64_COUNT, 10);
	EXPECT_EQ(TASK_BASIC_INFO_32_COUNT, 8);
	EXPECT_EQ(TASK_BASIC_INFO_COUNT, 10);
	EXPECT_EQ(TASK_THREAD_TIMES_INFO_COUNT, 4);
	EXPECT_EQ(TASK_ABSOLUTETIME_INFO_COUNT, 8);
	EXPECT_EQ(TASK_SECURITY_TOKEN_COUNT, 2);
	EXPECT_EQ(TASK_AUDIT_TOKEN_COUNT, 8);
	EXPECT_EQ(TASK_BASIC_INFO, 5);
	EXPECT_EQ(MACH_TASK_BASIC_INFO, 20);
	EXPECT_EQ(TASK_AUDIT_TOKEN, 15);
	EXPECT_EQ(TASK_SECURITY_TOKEN, 13);
	EXPECT_EQ(TASK_INFO_MAX, 1024);
}

TEST(task_info_basic_info_and_times)
{
	mach_task_basic_info_data_t mb;
	task_basic_info_64_data_t b64;
	task_thread_times_info_data_t tt;
	task_absolutetime_info_data_t at;
	mach_msg_type_number_t n;
	pthread_t th;

	/* A thread that burns CPU and exits: its time is the exited threads'. */
	EXPECT_EQ(pthread_create(&th, NULL, burn, (void *)(intptr_t)150), 0);
	pthread_join(th, NULL);
	burn((void *)(intptr_t)50);

	n = MACH_TASK_BASIC_INFO_COUNT;
	KR_OK(task_info(mach_task_self(), MACH_TASK_BASIC_INFO, (task_info_t)&mb, &n));
	EXPECT_EQ(n, MACH_TASK_BASIC_INFO_COUNT);
	EXPECT_TRUE(mb.virtual_size > mb.resident_size);
	EXPECT_TRUE(mb.resident_size > 0);
	EXPECT_TRUE(mb.resident_size_max >= mb.resident_size);
	EXPECT_EQ(mb.policy, POLICY_TIMESHARE);
	EXPECT_EQ(mb.suspend_count, 0);
	EXPECT_TRUE(mb.user_time.seconds > 0 || mb.user_time.microseconds > 0);
	EXPECT_TRUE(mb.user_time.microseconds < 1000000);

	n = TASK_BASIC_INFO_64_COUNT;
	KR_OK(task_info(mach_task_self(), TASK_BASIC_INFO_64, (task_info_t)&b64, &n));
	EXPECT_EQ(n, TASK_BASIC_INFO_64_COUNT);
	EXPECT_EQ(b64.suspend_count, 0);
	EXPECT_EQ(b64.policy, POLICY_TIMESHARE);
	EXPECT_TRUE(b64.virtual_size > 0 && b64.resident_size > 0);

	/* Live threads only: this one has run for 50 ms at least. */
	n = TASK_THREAD_TIMES_INFO_COUNT;
	KR_OK(task_info(mach_task_self(), TASK_THREAD_TIMES_INFO, (task_info_t)&tt, &n));
	EXPECT_EQ(n, TASK_THREAD_TIMES_INFO_COUNT);
	EXPECT_TRUE(tt.user_time.seconds > 0 || tt.user_time.microseconds > 0);

	n = TASK_ABSOLUTETIME_INFO_COUNT;
	KR_OK(task_info(mach_task_self(), TASK_ABSOLUTETIME_INFO, (task_info_t)&at, &n));
	EXPECT_EQ(n, TASK_ABSOLUTETIME_INFO_COUNT);
	EXPECT_TRUE(at.total_user >= at.threads_user && at.threads_user > 0);
}

TEST(task_info_tokens_match_the_message_trailer)
{
	security_token_t st;
	audit_token_t at;
	mach_msg_type_number_t n;
	mach_port_t p;
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;

	n = TASK_SECURITY_TOKEN_COUNT;
	KR_OK(task_info(mach_task_self(), TASK_SECURITY_TOKEN, (task_info_t)&st, &n));
	EXPECT_EQ(n, TASK_SECURITY_TOKEN_COUNT);
	EXPECT_EQ(st.val[0], geteuid());
	EXPECT_EQ(st.val[1], getegid());

	n = TASK_AUDIT_TOKEN_COUNT;
	KR_OK(task_info(mach_task_self(), TASK_AUDIT_TOKEN, (task_info_t)&at, &n));
	EXPECT_EQ(n, TASK_AUDIT_TOKEN_COUNT);
	EXPECT_EQ(at.val[1], geteuid());
	EXPECT_EQ(at.val[5], (unsigned)getpid());

	/* The audit token of a message this task sends is the same. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	m.h.msgh_size = sizeof(m.h);
	m.h.msgh_remote_port = p;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m.h), 0, 0, 0, 0));
	KR_OK(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
				     MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
		       0, sizeof(m), p, 0, 0));
	EXPECT_EQ(memcmp(&m.t.msgh_audit, &at, sizeof(at)), 0);
	EXPECT_EQ(memcmp(&m.t.msgh_sender, &st, sizeof(st)), 0);
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
}

TEST(task_info_errors_and_count_handling_as_xnu)
{
	integer_t buf[TASK_INFO_MAX];
	mach_msg_type_number_t n;

	/* A flavor XNU does not know, or one machipc does not serve. */
	n = TASK_INFO_MAX;
	KR(task_info(mach_task_self(), 9999, buf, &n), KERN_INVALID_ARGUMENT);
	n = TASK_INFO_MAX;
	KR(task_info(mach_task_self(), 0, buf, &n), KERN_INVALID_ARGUMENT);
	/* A count below the flavor's. */
	n = MACH_TASK_BASIC_INFO_COUNT - 1;
	KR(task_info(mach_task_self(), MACH_TASK_BASIC_INFO, buf, &n), KERN_INVALID_ARGUMENT);
	n = TASK_AUDIT_TOKEN_COUNT - 1;
	KR(task_info(mach_task_self(), TASK_AUDIT_TOKEN, buf, &n), KERN_INVALID_ARGUMENT);
	n = 0;
	KR(task_info(mach_task_self(), TASK_SECURITY_TOKEN, buf, &n), KERN_INVALID_ARGUMENT);
	/* A larger count comes back as the flavor's; MIG's server clamps a
	 * count above TASK_INFO_MAX rather than refusing it. */
	n = TASK_INFO_MAX;
	KR_OK(task_info(mach_task_self(), TASK_SECURITY_TOKEN, buf, &n));
	EXPECT_EQ(n, TASK_SECURITY_TOKEN_COUNT);
	n = 5000;
	KR_OK(task_info(mach_task_self(), MACH_TASK_BASIC_INFO, buf, &n));
	EXPECT_EQ(n, MACH_TASK_BASIC_INFO_COUNT);
	/* Not a task port. */
	n = TASK_INFO_MAX;
	KR(task_info(MACH_PORT_NULL, TASK_AUDIT_TOKEN, buf, &n), MACH_SEND_INVALID_DEST);
}

TEST(task_info_of_another_task)
{
	mach_port_t child;
	audit_token_t at;
	mach_task_basic_info_data_t mb;
	mach_msg_type_number_t n;
	int go, status;
	pid_t pid = child_with_task_port(&child, &go);

	n = TASK_AUDIT_TOKEN_COUNT;
	KR_OK(task_info(child, TASK_AUDIT_TOKEN, (task_info_t)&at, &n));
	EXPECT_EQ(at.val[5], (unsigned)pid);
	EXPECT_EQ(at.val[1], geteuid());
	n = MACH_TASK_BASIC_INFO_COUNT;
	KR_OK(task_info(child, MACH_TASK_BASIC_INFO, (task_info_t)&mb, &n));
	EXPECT_TRUE(mb.resident_size > 0);
	close(go);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	/* A task that has exited: its port no longer serves (XNU: the port
	 * is dead; here the space is gone with its process). */
	n = TASK_AUDIT_TOKEN_COUNT;
	EXPECT_NE(task_info(child, TASK_AUDIT_TOKEN, (task_info_t)&at, &n), KERN_SUCCESS);
	mach_port_deallocate(mach_task_self(), child);
}

TEST(exc_guard_behavior_kept_with_xnu_rules)
{
	task_exc_guard_behavior_t b = 0xdead;

	/* A task starts with no EXC_GUARD delivery (XNU's third-party default). */
	KR_OK(task_get_exc_guard_behavior(mach_task_self(), &b));
	EXPECT_EQ(b, TASK_EXC_GUARD_NONE);
	/* Bits outside TASK_EXC_GUARD_ALL. */
	KR(task_set_exc_guard_behavior(mach_task_self(), 0x100), KERN_INVALID_VALUE);
	/* ONCE cannot be turned on. */
	KR(task_set_exc_guard_behavior(mach_task_self(), TASK_EXC_GUARD_MP_ONCE), KERN_DENIED);
	KR_OK(task_set_exc_guard_behavior(mach_task_self(), TASK_EXC_GUARD_MP_CORPSE));
	KR_OK(task_set_exc_guard_behavior(mach_task_self(), TASK_EXC_GUARD_NONE));
	KR_OK(task_set_exc_guard_behavior(mach_task_self(),
					  TASK_EXC_GUARD_MP_DELIVER | TASK_EXC_GUARD_MP_CORPSE));
	KR_OK(task_get_exc_guard_behavior(mach_task_self(), &b));
	EXPECT_EQ(b, TASK_EXC_GUARD_MP_DELIVER | TASK_EXC_GUARD_MP_CORPSE);
	/* DELIVER and FATAL stay once set; CORPSE may go. */
	KR(task_set_exc_guard_behavior(mach_task_self(), TASK_EXC_GUARD_NONE), KERN_DENIED);
	KR_OK(task_set_exc_guard_behavior(mach_task_self(), TASK_EXC_GUARD_MP_DELIVER | TASK_EXC_GUARD_MP_FATAL));
	KR(task_set_exc_guard_behavior(mach_task_self(), TASK_EXC_GUARD_MP_DELIVER), KERN_DENIED);
	KR_OK(task_get_exc_guard_behavior(mach_task_self(), &b));
	EXPECT_EQ(b, TASK_EXC_GUARD_MP_DELIVER | TASK_EXC_GUARD_MP_FATAL);
}

TEST(exc_guard_behavior_of_another_task)
{
	mach_port_t child;
	task_exc_guard_behavior_t b = 0xdead;
	int go, status;
	pid_t pid = child_with_task_port(&child, &go);

	KR_OK(task_set_exc_guard_behavior(mach_task_self(), TASK_EXC_GUARD_VM_DELIVER));
	KR_OK(task_get_exc_guard_behavior(child, &b));
	EXPECT_EQ(b, TASK_EXC_GUARD_NONE);
	KR_OK(task_set_exc_guard_behavior(child, TASK_EXC_GUARD_VM_CORPSE));
	KR_OK(task_get_exc_guard_behavior(child, &b));
	EXPECT_EQ(b, TASK_EXC_GUARD_VM_CORPSE);
	close(go);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	mach_port_deallocate(mach_task_self(), child);
}

/*
 * As on XNU, a forked child has a task port from the moment fork returns,
 * even if it never makes a Mach call (Apple's thread-port race test forks
 * a child that only makes threads): libmach opens the child's space in its
 * fork handler, and the parent's fork() waits for it.
 */
TEST(forked_child_has_a_task_port_when_fork_returns)
{
	mach_port_t p, t;
	int status, got = 0;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	for (int i = 0; i < 10; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			pause();
			_exit(0);
		}
		KR_OK(task_for_pid(mach_task_self(), pid, &t));
		KR_OK(pid_for_task(t, &got));
		EXPECT_EQ(got, pid);
		KR_OK(mach_port_deallocate(mach_task_self(), t));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

/* XNU's kernel-object types, as Apple's tests define them. */
#define IKOT_NONE 0
#define IKOT_TASK_CONTROL 2
#define IKOT_TIMER 8

TEST(mach_port_kobject_types_and_errors_as_xnu)
{
	natural_t type = 99;
	unsigned utype = 99, uaddr = 99;
	mach_vm_address_t addr = 99;
	mach_port_t p, so, ps, dead, child;
	int go, status;
	pid_t pid;

	/* The address is hashed, as XNU's development kernels show it. */
	KR_OK(mach_port_kobject(mach_task_self(), mach_task_self(), &type, &addr));
	EXPECT_EQ(type, IKOT_TASK_CONTROL);
	EXPECT_NE(addr, 0);
	EXPECT_EQ(addr >> 32, 0);
	KR_OK(mach_port_kernel_object(mach_task_self(), mach_task_self(), &utype, &uaddr));
	EXPECT_EQ(utype, IKOT_TASK_CONTROL);
	EXPECT_EQ(uaddr, addr);

	/* A plain port: receive right, and send right only; no object. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_kobject(mach_task_self(), p, &type, &addr));
	EXPECT_EQ(type, IKOT_NONE);
	EXPECT_EQ(addr, 0);

	/* A send-once right or a port set: KERN_INVALID_RIGHT. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &so));
	{
		mach_port_t r;
		mach_msg_type_name_t t;

		KR_OK(mach_port_extract_right(mach_task_self(), so, MACH_MSG_TYPE_MAKE_SEND_ONCE, &r, &t));
		KR(mach_port_kobject(mach_task_self(), r, &type, &addr), KERN_INVALID_RIGHT);
	}
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &ps));
	KR(mach_port_kobject(mach_task_self(), ps, &type, &addr), KERN_INVALID_RIGHT);

	/* No such name, or a dead name: KERN_INVALID_NAME. */
	KR(mach_port_kobject(mach_task_self(), 0x7fff03, &type, &addr), KERN_INVALID_NAME);
	KR(mach_port_kobject(mach_task_self(), MACH_PORT_NULL, &type, &addr), KERN_INVALID_NAME);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &dead));
	KR(mach_port_kobject(mach_task_self(), dead, &type, &addr), KERN_INVALID_NAME);

	/* Another task's port, seen from here: a task port. */
	pid = child_with_task_port(&child, &go);
	KR_OK(mach_port_kobject(mach_task_self(), child, &type, &addr));
	EXPECT_EQ(type, IKOT_TASK_CONTROL);
	/* Asked of the child's space: its own task port is there too. */
	KR_OK(mach_port_kobject(child, 0x103, &type, &addr));
	EXPECT_EQ(type, IKOT_TASK_CONTROL);
	close(go);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	mach_port_deallocate(mach_task_self(), child);
}

/* The entry of `name` in a mach_port_space_info table, or NULL. */
static ipc_info_name_t *info_of(ipc_info_name_array_t t, mach_msg_type_number_t n, mach_port_name_t name)
{
	for (mach_msg_type_number_t i = 0; i < n; i++)
		if (t[i].iin_name == name)
			return &t[i];
	return NULL;
}

TEST(mach_port_space_info_lists_the_table_as_xnu)
{
	ipc_info_space_t info;
	ipc_info_name_array_t table;
	ipc_info_tree_name_array_t tree;
	mach_msg_type_number_t n, tn;
	ipc_info_name_t *e;
	mach_port_t p, child;
	int go, status;
	pid_t pid;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_space_info(mach_task_self(), &info, &table, &n, &tree, &tn));
	EXPECT_EQ(info.iis_genno_mask, 0xff);
	EXPECT_EQ(info.iis_table_size, n);
	EXPECT_EQ(tn, 0);
	EXPECT_TRUE(n > (p >> 8));
	/* Slot 0 is listed, never a name. */
	EXPECT_EQ(table[0].iin_name, 0xff);
	EXPECT_EQ(table[0].iin_type, 0);
	e = info_of(table, n, mach_task_self());
	EXPECT_TRUE(e != NULL);
	if (e)
		EXPECT_EQ(e->iin_type, MACH_PORT_TYPE_SEND);
	e = info_of(table, n, p);
	EXPECT_TRUE(e != NULL);
	if (e) {
		EXPECT_EQ(e->iin_type, MACH_PORT_TYPE_SEND_RECEIVE);
		EXPECT_EQ(e->iin_urefs, 1);
	}
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)table, n * sizeof(*table)));

	/* Another task's table, through its task port. */
	pid = child_with_task_port(&child, &go);
	KR_OK(mach_port_space_info(child, &info, &table, &n, &tree, &tn));
	EXPECT_EQ(info.iis_table_size, n);
	e = info_of(table, n, 0x103);
	EXPECT_TRUE(e != NULL && e->iin_type == MACH_PORT_TYPE_SEND);
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)table, n * sizeof(*table)));
	close(go);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	mach_port_deallocate(mach_task_self(), child);
}
