/* SPDX-License-Identifier: MIT */
/*
 * Threads as kernel objects: mach_thread_self, task_threads and
 * thread_info, with XNU's answers (ports, rights, layouts, counts, errors).
 */
#include <mach/mach.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include "harness.h"

/* XNU's ipc_kobject_type_t of a thread port, by flavor. */
#define IKOT_THREAD_CONTROL 1
#define IKOT_THREAD_INSPECT 46
#define IKOT_THREAD_READ 47

/* A thread that publishes its port name, then waits on a pipe. */
struct waiter {
	pthread_t t;
	int go[2];
	mach_port_t port;
	volatile int ready;
	int exit_now; /* leave without waiting */
};

static void *wait_body(void *p)
{
	struct waiter *w = p;
	char c;

	w->port = mach_thread_self();
	__atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
	if (!w->exit_now && read(w->go[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static void start_waiter(struct waiter *w, int exit_now)
{
	memset(w, 0, sizeof(*w));
	w->exit_now = exit_now;
	EXPECT_EQ(pipe(w->go), 0);
	EXPECT_EQ(pthread_create(&w->t, NULL, wait_body, w), 0);
	while (!__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE))
		usleep(1000);
}

static void stop_waiter(struct waiter *w)
{
	char c = 1;

	EXPECT_EQ(write(w->go[1], &c, 1), 1);
	EXPECT_EQ(pthread_join(w->t, NULL), 0);
	close(w->go[0]);
	close(w->go[1]);
}

static int in_list(thread_act_array_t list, mach_msg_type_number_t n, mach_port_t name)
{
	for (mach_msg_type_number_t i = 0; i < n; i++)
		if (list[i] == name)
			return 1;
	return 0;
}

static void free_list(thread_act_array_t list, mach_msg_type_number_t n)
{
	for (mach_msg_type_number_t i = 0; i < n; i++)
		KR_OK(mach_port_deallocate(mach_task_self(), list[i]));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)list, n * sizeof(list[0])));
}

TEST(thread_info_layouts_as_xnu)
{
	EXPECT_EQ(sizeof(thread_basic_info_data_t), 40);
	EXPECT_EQ(THREAD_BASIC_INFO_COUNT, 10);
	EXPECT_EQ(sizeof(thread_identifier_info_data_t), 24);
	EXPECT_EQ(THREAD_IDENTIFIER_INFO_COUNT, 6);
	EXPECT_EQ(sizeof(thread_extended_info_data_t), 112);
	EXPECT_EQ(THREAD_EXTENDED_INFO_COUNT, 28);
	EXPECT_EQ(THREAD_INFO_MAX, 32);
	EXPECT_EQ(offsetof(struct thread_basic_info, sleep_time), 36);
	EXPECT_EQ(offsetof(struct thread_extended_info, pth_name), 48);
}

TEST(mach_thread_self_is_the_same_kernel_port_each_time)
{
	mach_port_t a = mach_thread_self(), b = mach_thread_self(), sp = MACH_PORT_NULL;
	mach_port_urefs_t refs = 0;
	mach_port_type_t ty;
	natural_t kt = 99;
	mach_vm_address_t addr = 99;

	EXPECT_TRUE(MACH_PORT_VALID(a));
	EXPECT_EQ(a, b);
	EXPECT_NE(a, mach_task_self());
	KR_OK(mach_port_type(mach_task_self(), a, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_SEND);
	/* Each call is a new user reference, as on XNU. */
	KR_OK(mach_port_get_refs(mach_task_self(), a, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 2);
	KR_OK(mach_port_kobject(mach_task_self(), a, &kt, &addr));
	EXPECT_EQ(kt, IKOT_THREAD_CONTROL);
	/* A kernel object's hashed address, as on XNU's development kernels. */
	EXPECT_NE(addr, 0);
	/* thread_get_special_port(THREAD_KERNEL_PORT) is the same port. */
	KR_OK(thread_get_special_port(a, THREAD_KERNEL_PORT, &sp));
	EXPECT_EQ(sp, a);
	KR_OK(mach_port_get_refs(mach_task_self(), a, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 3);
	KR(thread_get_special_port(a, 99, &sp), KERN_INVALID_ARGUMENT);
	/* A thread port serves thread routines only: task routines are MIG_BAD_ID. */
	KR(task_info(a, TASK_AUDIT_TOKEN, (task_info_t)&kt, &(mach_msg_type_number_t){ 8 }), MIG_BAD_ID);
	for (int i = 0; i < 3; i++)
		KR_OK(mach_port_deallocate(mach_task_self(), a));
	KR(mach_port_type(mach_task_self(), a, &ty), KERN_INVALID_NAME);
	/* Asking again gives the same port (the task kept it). */
	b = mach_thread_self();
	KR_OK(mach_port_kobject(mach_task_self(), b, &kt, &addr));
	EXPECT_EQ(kt, IKOT_THREAD_CONTROL);
	KR_OK(mach_port_deallocate(mach_task_self(), b));
}

TEST(each_thread_has_its_own_port)
{
	struct waiter w;
	mach_port_t me = mach_thread_self();
	thread_identifier_info_data_t a, b;
	mach_msg_type_number_t n;

	start_waiter(&w, 0);
	EXPECT_TRUE(MACH_PORT_VALID(w.port));
	EXPECT_NE(w.port, me);
	n = THREAD_IDENTIFIER_INFO_COUNT;
	KR_OK(thread_info(me, THREAD_IDENTIFIER_INFO, (thread_info_t)&a, &n));
	EXPECT_EQ(n, THREAD_IDENTIFIER_INFO_COUNT);
	n = THREAD_IDENTIFIER_INFO_COUNT;
	KR_OK(thread_info(w.port, THREAD_IDENTIFIER_INFO, (thread_info_t)&b, &n));
	EXPECT_NE(a.thread_id, 0);
	EXPECT_NE(a.thread_id, b.thread_id);
	/* The handle is the thread's pthread_t, as XNU's thread_handle. */
	EXPECT_EQ(a.thread_handle, (uint64_t)(uintptr_t)pthread_self());
	EXPECT_EQ(b.thread_handle, (uint64_t)(uintptr_t)w.t);
	EXPECT_EQ(a.dispatch_qaddr, 0);
	stop_waiter(&w);
	KR_OK(mach_port_deallocate(mach_task_self(), w.port));
	KR_OK(mach_port_deallocate(mach_task_self(), me));
}

TEST(task_threads_lists_every_thread_with_a_send_right)
{
	struct waiter w[3];
	mach_port_t me = mach_thread_self();
	thread_act_array_t list = NULL;
	mach_msg_type_number_t n = 0;
	mach_port_urefs_t refs;

	for (int i = 0; i < 3; i++)
		start_waiter(&w[i], 0);
	KR_OK(task_threads(mach_task_self(), &list, &n));
	EXPECT_EQ(n, 4);
	EXPECT_TRUE(list != NULL);
	/* The caller's thread first (the leader), then the others. */
	EXPECT_EQ(list[0], me);
	EXPECT_TRUE(in_list(list, n, me));
	for (int i = 0; i < 3; i++)
		EXPECT_TRUE(in_list(list, n, w[i].port));
	/* Each entry is one more reference to a name the thread also got. */
	KR_OK(mach_port_get_refs(mach_task_self(), me, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 2);
	for (int i = 0; i < 3; i++) {
		KR_OK(mach_port_get_refs(mach_task_self(), w[i].port, MACH_PORT_RIGHT_SEND, &refs));
		EXPECT_EQ(refs, 2);
	}
	free_list(list, n);
	KR_OK(mach_port_get_refs(mach_task_self(), me, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	for (int i = 0; i < 3; i++) {
		stop_waiter(&w[i]);
		KR_OK(mach_port_deallocate(mach_task_self(), w[i].port));
	}
	KR_OK(task_threads(mach_task_self(), &list, &n));
	EXPECT_EQ(n, 1);
	EXPECT_EQ(list[0], me);
	free_list(list, n);
	KR_OK(mach_port_deallocate(mach_task_self(), me));
}

/* task_threads by hand, to see the reply MIG's client hides. */
TEST(task_threads_reply_is_an_ool_ports_descriptor_as_xnu)
{
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
	} req;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_ool_ports_descriptor_t act_list;
		NDR_record_t ndr;
		mach_msg_type_number_t count;
		mach_msg_max_trailer_t trailer;
	} rep;
	mach_port_t reply, me = mach_thread_self();
	mach_port_t *names;
	mach_port_urefs_t refs;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply));
	memset(&req, 0, sizeof(req));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	req.h.msgh_size = sizeof(req);
	req.h.msgh_remote_port = mach_task_self();
	req.h.msgh_local_port = reply;
	req.h.msgh_id = 3402;
	req.ndr = NDR_record;
	KR_OK(mach_msg_overwrite(&req.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(req), sizeof(rep), reply, 0, 0, &rep.h,
				 0));
	EXPECT_EQ(rep.h.msgh_id, 3502);
	EXPECT_TRUE(rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX);
	EXPECT_EQ(rep.h.msgh_size, offsetof(typeof(rep), trailer));
	EXPECT_EQ(rep.body.msgh_descriptor_count, 1);
	EXPECT_EQ(rep.act_list.type, MACH_MSG_OOL_PORTS_DESCRIPTOR);
	EXPECT_EQ(rep.act_list.disposition, MACH_MSG_TYPE_MOVE_SEND);
	EXPECT_EQ(rep.act_list.deallocate, 1);
	EXPECT_EQ(rep.act_list.copy, MACH_MSG_VIRTUAL_COPY);
	EXPECT_EQ(rep.act_list.count, 1);
	EXPECT_EQ(rep.count, 1);
	names = rep.act_list.address;
	EXPECT_EQ(names[0], me);
	KR_OK(mach_port_get_refs(mach_task_self(), me, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 2);
	/* The array is the receiver's to deallocate. */
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, sizeof(names[0])));
	KR_OK(mach_port_mod_refs(mach_task_self(), me, MACH_PORT_RIGHT_SEND, -2));
	KR_OK(mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1));
}

/*
 * A thread port serves only the program image its thread ran when it was
 * made, as XNU gives a thread new ports at exec (ipc_thread_reset): else a
 * process could hand its thread's port to a helper, exec a setuid program
 * and let the helper read that program's thread (its TLS address, which
 * THREAD_IDENTIFIER_INFO reports, is an ASLR secret; its times and name).
 * The child keeps its space across the exec (its /dev/machipc descriptor
 * without close-on-exec), so only the image check can stop the port.
 */
TEST(thread_port_serves_no_image_after_exec)
{
	thread_extended_info_data_t e;
	mach_msg_type_number_t n;
	thread_act_array_t list;
	mach_port_t task, th;
	int ready[2], go[2], dev;
	kern_return_t kr = KERN_SUCCESS;
	pid_t pid;
	char c;

	EXPECT_EQ(pipe(ready), 0);
	EXPECT_EQ(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		(void)mach_task_self();
		dev = machipc_device_fd();
		if (dev < 0 || fcntl(dev, F_SETFD, 0) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		execl("/bin/sleep", "sleep", "20", (char *)NULL);
		_exit(3);
	}
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	KR_OK(task_for_pid(mach_task_self(), pid, &task));
	KR_OK(task_threads(task, &list, &n));
	EXPECT_EQ(n, 1);
	th = list[0];
	n = THREAD_EXTENDED_INFO_COUNT;
	KR_OK(thread_info(th, THREAD_EXTENDED_INFO, (thread_info_t)&e, &n));
	EXPECT_TRUE(strcmp(e.pth_name, "sleep") != 0);
	EXPECT_EQ(write(go[1], "g", 1), 1);
	/* Until the exec is done the old image answers; after it, nothing. */
	for (int i = 0; i < 500 && kr == KERN_SUCCESS; i++) {
		n = THREAD_EXTENDED_INFO_COUNT;
		kr = thread_info(th, THREAD_EXTENDED_INFO, (thread_info_t)&e, &n);
		if (kr == KERN_SUCCESS && !strcmp(e.pth_name, "sleep"))
			FAILF("thread_info through a port made before exec reads the new image");
		usleep(10000);
	}
	EXPECT_TRUE(kr == KERN_TERMINATED || kr == MACH_SEND_INVALID_DEST);
	kill(pid, SIGKILL);
	EXPECT_EQ(waitpid(pid, NULL, 0), pid);
	KR_OK(mach_port_deallocate(mach_task_self(), th));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)list, sizeof(*list)));
	KR_OK(mach_port_deallocate(mach_task_self(), task));
}

TEST(thread_port_dies_when_its_thread_exits)
{
	struct waiter a, b;
	thread_basic_info_data_t bi;
	mach_msg_type_number_t n = THREAD_BASIC_INFO_COUNT;
	mach_port_type_t ty;
	thread_act_array_t list;
	mach_port_t me = mach_thread_self();

	/* Looked at through a message: KERN_TERMINATED, and then dead. */
	start_waiter(&a, 1);
	EXPECT_EQ(pthread_join(a.t, NULL), 0);
	KR(thread_info(a.port, THREAD_BASIC_INFO, (thread_info_t)&bi, &n), KERN_TERMINATED);
	KR_OK(mach_port_type(mach_task_self(), a.port, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_DEAD_NAME);
	KR(thread_info(a.port, THREAD_BASIC_INFO, (thread_info_t)&bi, &n), MACH_SEND_INVALID_DEST);
	KR_OK(mach_port_deallocate(mach_task_self(), a.port));

	/* Found gone by the task's next task_threads. */
	start_waiter(&b, 1);
	EXPECT_EQ(pthread_join(b.t, NULL), 0);
	KR_OK(task_threads(mach_task_self(), &list, &n));
	EXPECT_EQ(n, 1);
	EXPECT_TRUE(!in_list(list, n, b.port));
	free_list(list, n);
	KR_OK(mach_port_type(mach_task_self(), b.port, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mach_port_deallocate(mach_task_self(), b.port));
	close(a.go[0]), close(a.go[1]), close(b.go[0]), close(b.go[1]);
	KR_OK(mach_port_deallocate(mach_task_self(), me));
}

static void spin_user_ms(int ms)
{
	struct timespec s, t;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &s);
	do {
		for (int i = 0; i < 100000; i++)
			x += i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - s.tv_sec) * 1000 + (t.tv_nsec - s.tv_nsec) / 1000000 < ms);
}

static uint64_t us_of(time_value_t t)
{
	return (uint64_t)t.seconds * 1000000 + (uint64_t)t.microseconds;
}

TEST(thread_info_basic_values)
{
	mach_port_t me = mach_thread_self();
	thread_basic_info_data_t a, b;
	thread_extended_info_data_t e;
	struct waiter w;
	mach_msg_type_number_t n = THREAD_BASIC_INFO_COUNT;

	KR_OK(thread_info(me, THREAD_BASIC_INFO, (thread_info_t)&a, &n));
	EXPECT_EQ(n, THREAD_BASIC_INFO_COUNT);
	spin_user_ms(60);
	n = THREAD_BASIC_INFO_COUNT;
	KR_OK(thread_info(me, THREAD_BASIC_INFO, (thread_info_t)&b, &n));
	/* The spin shows in the thread's user time (most of 60 ms). */
	EXPECT_TRUE(us_of(b.user_time) + us_of(b.system_time) >= us_of(a.user_time) + us_of(a.system_time) + 40000);
	EXPECT_TRUE(us_of(b.user_time) > us_of(a.user_time));
	EXPECT_TRUE(b.user_time.microseconds >= 0 && b.user_time.microseconds < 1000000);
	EXPECT_EQ(b.run_state, TH_STATE_RUNNING);
	EXPECT_EQ(b.policy, POLICY_TIMESHARE);
	EXPECT_EQ(b.suspend_count, 0);
	EXPECT_EQ(b.sleep_time, 0);
	EXPECT_EQ(b.flags & TH_FLAGS_IDLE, 0);
	EXPECT_TRUE(b.cpu_usage >= 0 && b.cpu_usage <= TH_USAGE_SCALE);

	/* A thread blocked in read(2) is waiting. */
	start_waiter(&w, 0);
	usleep(20000);
	n = THREAD_BASIC_INFO_COUNT;
	KR_OK(thread_info(w.port, THREAD_BASIC_INFO, (thread_info_t)&a, &n));
	EXPECT_EQ(a.run_state, TH_STATE_WAITING);
	EXPECT_TRUE(us_of(a.user_time) < us_of(b.user_time));

	/* The extended flavor: times in ns, the thread's name. */
	EXPECT_EQ(pthread_setname_np(w.t, "machipc-waiter"), 0);
	n = THREAD_EXTENDED_INFO_COUNT;
	KR_OK(thread_info(w.port, THREAD_EXTENDED_INFO, (thread_info_t)&e, &n));
	EXPECT_EQ(n, THREAD_EXTENDED_INFO_COUNT);
	EXPECT_EQ(strcmp(e.pth_name, "machipc-waiter"), 0);
	EXPECT_EQ(e.pth_run_state, TH_STATE_WAITING);
	EXPECT_EQ(e.pth_policy, POLICY_TIMESHARE);
	EXPECT_EQ(e.pth_priority, 31);
	EXPECT_EQ(e.pth_maxpriority, 63);
	EXPECT_EQ(e.pth_flags, 0);
	EXPECT_TRUE(e.pth_user_time / 1000 >= us_of(a.user_time));
	stop_waiter(&w);
	KR_OK(mach_port_deallocate(mach_task_self(), w.port));
	KR_OK(mach_port_deallocate(mach_task_self(), me));
}

TEST(thread_info_errors_and_counts_as_xnu)
{
	mach_port_t me = mach_thread_self();
	integer_t buf[64];
	mach_msg_type_number_t n;

	/* An unknown flavor. */
	n = THREAD_INFO_MAX;
	KR(thread_info(me, 9999, buf, &n), KERN_INVALID_ARGUMENT);
	n = THREAD_INFO_MAX;
	KR(thread_info(me, 0, buf, &n), KERN_INVALID_ARGUMENT);
	/* A count below the flavor's. */
	n = THREAD_BASIC_INFO_COUNT - 1;
	KR(thread_info(me, THREAD_BASIC_INFO, buf, &n), KERN_INVALID_ARGUMENT);
	n = THREAD_EXTENDED_INFO_COUNT - 1;
	KR(thread_info(me, THREAD_EXTENDED_INFO, buf, &n), KERN_INVALID_ARGUMENT);
	n = THREAD_IDENTIFIER_INFO_COUNT - 1;
	KR(thread_info(me, THREAD_IDENTIFIER_INFO, buf, &n), KERN_INVALID_ARGUMENT);
	/* A larger count: the flavor's comes back. */
	n = THREAD_INFO_MAX;
	KR_OK(thread_info(me, THREAD_BASIC_INFO, buf, &n));
	EXPECT_EQ(n, THREAD_BASIC_INFO_COUNT);
	/* XNU leaves the identifier flavor's count as the caller gave it
	 * (clamped to THREAD_INFO_MAX by MIG). */
	n = 8;
	KR_OK(thread_info(me, THREAD_IDENTIFIER_INFO, buf, &n));
	EXPECT_EQ(n, 8);
	n = 64;
	KR_OK(thread_info(me, THREAD_IDENTIFIER_INFO, buf, &n));
	EXPECT_EQ(n, THREAD_INFO_MAX);
	/* Not a port: the send fails. */
	n = THREAD_BASIC_INFO_COUNT;
	KR(thread_info(MACH_PORT_NULL, THREAD_BASIC_INFO, buf, &n), MACH_SEND_INVALID_DEST);
	/* A task port is no thread port. */
	n = THREAD_BASIC_INFO_COUNT;
	KR(thread_info(mach_task_self(), THREAD_BASIC_INFO, buf, &n), MIG_BAD_ID);
	KR_OK(mach_port_deallocate(mach_task_self(), me));
}

static void *child_thread(void *p)
{
	char c;

	if (read(*(int *)p, &c, 1) < 0)
		return NULL;
	return NULL;
}

/* A child with `extra` more threads, all blocked until `go` closes; with
 * `mach`, it opens its space itself first. Returns its pid once the
 * threads run; *go_w is the write end. */
static pid_t child_with_threads(int extra, int mach, int *go_w)
{
	int go[2], ready[2];
	pid_t pid;
	char c;

	EXPECT_EQ(pipe(go), 0);
	EXPECT_EQ(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		pthread_t t;
		mach_port_t p;

		close(go[1]);
		if (mach && mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p))
			_exit(1);
		for (int i = 0; i < extra; i++)
			if (pthread_create(&t, NULL, child_thread, &go[0]))
				_exit(2);
		c = 1;
		if (write(ready[1], &c, 1) != 1)
			_exit(3);
		child_thread(&go[0]);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*go_w = go[1];
	return pid;
}

TEST(task_threads_of_another_task)
{
	int go, status;
	pid_t pid = child_with_threads(2, 1, &go);
	mach_port_t t;
	thread_act_array_t list;
	mach_msg_type_number_t n, m;
	thread_basic_info_data_t bi;
	thread_identifier_info_data_t ii;
	mach_port_type_t ty;
	natural_t kt;
	mach_vm_address_t addr;

	KR_OK(task_for_pid(mach_task_self(), pid, &t));
	KR_OK(task_threads(t, &list, &n));
	EXPECT_EQ(n, 3);
	for (mach_msg_type_number_t i = 0; i < n; i++) {
		KR_OK(mach_port_kobject(mach_task_self(), list[i], &kt, &addr));
		EXPECT_EQ(kt, IKOT_THREAD_CONTROL);
		m = THREAD_BASIC_INFO_COUNT;
		KR_OK(thread_info(list[i], THREAD_BASIC_INFO, (thread_info_t)&bi, &m));
		EXPECT_EQ(bi.suspend_count, 0);
		m = THREAD_IDENTIFIER_INFO_COUNT;
		KR_OK(thread_info(list[i], THREAD_IDENTIFIER_INFO, (thread_info_t)&ii, &m));
		EXPECT_NE(ii.thread_id, 0);
		for (mach_msg_type_number_t j = 0; j < i; j++)
			EXPECT_NE(list[j], list[i]);
	}
	/* The child exits: its space goes, and with it its thread ports. */
	close(go);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (mach_msg_type_number_t i = 0; i < n; i++) {
		KR_OK(mach_port_type(mach_task_self(), list[i], &ty));
		EXPECT_EQ(ty, MACH_PORT_TYPE_DEAD_NAME);
	}
	free_list(list, n);
	mach_port_deallocate(mach_task_self(), t);
}

TEST(task_threads_of_a_forked_child_that_only_makes_threads)
{
	/* Apple's thread-port race test shape: the child never calls Mach. */
	int go, status;
	pid_t pid;
	mach_port_t t;
	thread_act_array_t list;
	mach_msg_type_number_t n;

	mach_port_deallocate(mach_task_self(), mach_thread_self());
	pid = child_with_threads(1, 0, &go);
	KR_OK(task_for_pid(mach_task_self(), pid, &t));
	KR_OK(task_threads(t, &list, &n));
	EXPECT_EQ(n, 2);
	free_list(list, n);
	close(go);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	mach_port_deallocate(mach_task_self(), t);
}

/* The kernel object type and (hashed) address of the port `name` names. */
static natural_t kobject_of(mach_port_t name, mach_vm_address_t *addr)
{
	natural_t kt = ~0u;

	KR_OK(mach_port_kobject(mach_task_self(), name, &kt, addr));
	return kt;
}

static mach_port_t task_special(int which)
{
	mach_port_t p = MACH_PORT_NULL;

	KR_OK(task_get_special_port(mach_task_self(), which, &p));
	return p;
}

static uint64_t thread_id_of(mach_port_t th)
{
	thread_identifier_info_data_t ii;
	mach_msg_type_number_t n = THREAD_IDENTIFIER_INFO_COUNT;

	KR_OK(thread_info(th, THREAD_IDENTIFIER_INFO, (thread_info_t)&ii, &n));
	return ii.thread_id;
}

static mach_msg_type_number_t name_count(void)
{
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n = 0, m = 0;

	KR_OK(mach_port_names(mach_task_self(), &names, &n, &types, &m));
	vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof(*names));
	vm_deallocate(mach_task_self(), (vm_address_t)types, m * sizeof(*types));
	return n;
}

/*
 * XNU's task_threads_from_user: a task read port lists thread read ports,
 * an inspect port thread inspect ports, each its own port per thread and
 * flavor (the thread's kernel object), the same one each time; a name
 * port is refused as MIG's null task is.
 */
TEST(task_threads_on_read_and_inspect_ports_gives_those_thread_flavors)
{
	static const struct {
		int which;
		natural_t ikot;
	} flavors[] = { { TASK_READ_PORT, IKOT_THREAD_READ }, { TASK_INSPECT_PORT, IKOT_THREAD_INSPECT } };
	struct waiter w[2];
	mach_port_t me = mach_thread_self(), name = task_special(TASK_NAME_PORT);
	thread_act_array_t ctl, list, again;
	mach_msg_type_number_t nc, n, m;
	mach_vm_address_t a, b;
	thread_basic_info_data_t bi;

	for (int i = 0; i < 2; i++)
		start_waiter(&w[i], 0);
	KR_OK(task_threads(mach_task_self(), &ctl, &nc));
	EXPECT_EQ(nc, 3);
	for (int f = 0; f < 2; f++) {
		mach_port_t task = task_special(flavors[f].which);

		KR_OK(task_threads(task, &list, &n));
		EXPECT_EQ(n, nc);
		for (mach_msg_type_number_t i = 0; i < n; i++) {
			/* Its own port, standing for the same thread. */
			EXPECT_EQ(kobject_of(list[i], &a), flavors[f].ikot);
			EXPECT_EQ(kobject_of(ctl[i], &b), IKOT_THREAD_CONTROL);
			EXPECT_EQ(a, b);
			EXPECT_TRUE(!in_list(ctl, nc, list[i]));
			EXPECT_EQ(thread_id_of(list[i]), thread_id_of(ctl[i]));
			m = THREAD_BASIC_INFO_COUNT;
			KR_OK(thread_info(list[i], THREAD_BASIC_INFO, (thread_info_t)&bi, &m));
			EXPECT_EQ(m, THREAD_BASIC_INFO_COUNT);
			for (mach_msg_type_number_t j = 0; j < i; j++)
				EXPECT_NE(list[j], list[i]);
		}
		/* The same ports the next time. */
		KR_OK(task_threads(task, &again, &m));
		EXPECT_EQ(m, n);
		for (mach_msg_type_number_t i = 0; i < n && i < m; i++)
			EXPECT_EQ(again[i], list[i]);
		free_list(again, m);
		free_list(list, n);
		KR_OK(mach_port_deallocate(mach_task_self(), task));
	}
	KR(task_threads(name, &list, &n), KERN_INVALID_ARGUMENT);
	free_list(ctl, nc);
	for (int i = 0; i < 2; i++) {
		stop_waiter(&w[i]);
		KR_OK(mach_port_deallocate(mach_task_self(), w[i].port));
	}
	KR_OK(mach_port_deallocate(mach_task_self(), name));
	KR_OK(mach_port_deallocate(mach_task_self(), me));
}

/*
 * thread_info and thread_get_special_port take a thread_inspect_t: served
 * on every flavor, with XNU's special_port_allowed_with_thread_flavor
 * rules (a read port reaches the read and inspect ports, an inspect port
 * the inspect port, nothing reaches the control port from either).
 */
TEST(thread_read_and_inspect_ports_serve_what_their_mig_types_allow)
{
	mach_port_t me = mach_thread_self(), rd = MACH_PORT_NULL, insp = MACH_PORT_NULL, p;
	mach_port_t task_rd = task_special(TASK_READ_PORT);
	thread_act_array_t list;
	mach_msg_type_number_t n;
	mach_vm_address_t a;

	KR_OK(thread_get_special_port(me, THREAD_READ_PORT, &rd));
	KR_OK(thread_get_special_port(me, THREAD_INSPECT_PORT, &insp));
	EXPECT_EQ(kobject_of(rd, &a), IKOT_THREAD_READ);
	EXPECT_EQ(kobject_of(insp, &a), IKOT_THREAD_INSPECT);
	EXPECT_NE(rd, me);
	EXPECT_NE(insp, me);
	EXPECT_NE(rd, insp);
	/* The read port task_threads gives for this thread (the leader). */
	KR_OK(task_threads(task_rd, &list, &n));
	EXPECT_EQ(n, 1);
	EXPECT_EQ(list[0], rd);
	free_list(list, n);
	EXPECT_EQ(thread_id_of(rd), thread_id_of(me));
	EXPECT_EQ(thread_id_of(insp), thread_id_of(me));
	/* From the read port: read and inspect, not the control port. */
	KR_OK(thread_get_special_port(rd, THREAD_READ_PORT, &p));
	EXPECT_EQ(p, rd);
	KR_OK(thread_get_special_port(rd, THREAD_INSPECT_PORT, &p));
	EXPECT_EQ(p, insp);
	p = 1;
	KR(thread_get_special_port(rd, THREAD_KERNEL_PORT, &p), KERN_INVALID_CAPABILITY);
	KR(thread_get_special_port(rd, 99, &p), KERN_INVALID_CAPABILITY);
	/* From the inspect port: the inspect port only. */
	KR_OK(thread_get_special_port(insp, THREAD_INSPECT_PORT, &p));
	EXPECT_EQ(p, insp);
	KR(thread_get_special_port(insp, THREAD_READ_PORT, &p), KERN_INVALID_CAPABILITY);
	KR(thread_get_special_port(insp, THREAD_KERNEL_PORT, &p), KERN_INVALID_CAPABILITY);
	/* From the control port: an unknown number is an invalid argument. */
	KR(thread_get_special_port(me, 99, &p), KERN_INVALID_ARGUMENT);
	KR_OK(thread_get_special_port(me, THREAD_KERNEL_PORT, &p));
	EXPECT_EQ(p, me);
	/* A task routine sent to a thread port is an unknown id. */
	{
		task_basic_info_64_data_t ti;
		mach_msg_type_number_t c = TASK_BASIC_INFO_64_COUNT;

		KR(task_info(rd, TASK_BASIC_INFO_64, (task_info_t)&ti, &c), MIG_BAD_ID);
	}
	/* Every reference taken above is given back. */
	KR_OK(mach_port_mod_refs(mach_task_self(), rd, MACH_PORT_RIGHT_SEND, -2));
	KR_OK(mach_port_mod_refs(mach_task_self(), insp, MACH_PORT_RIGHT_SEND, -3));
	KR_OK(mach_port_mod_refs(mach_task_self(), me, MACH_PORT_RIGHT_SEND, -2));
	KR_OK(mach_port_deallocate(mach_task_self(), task_rd));
}

TEST(thread_read_and_inspect_ports_die_with_the_thread)
{
	struct waiter w;
	mach_port_t rd, insp, task_rd = task_special(TASK_READ_PORT);
	mach_port_t task_insp = task_special(TASK_INSPECT_PORT);
	thread_act_array_t list;
	mach_msg_type_number_t n;
	mach_port_type_t ty;
	thread_basic_info_data_t bi;

	start_waiter(&w, 0);
	KR_OK(thread_get_special_port(w.port, THREAD_READ_PORT, &rd));
	KR_OK(thread_get_special_port(w.port, THREAD_INSPECT_PORT, &insp));
	stop_waiter(&w);
	/* Looked at through a message: the thread is gone. */
	n = THREAD_BASIC_INFO_COUNT;
	KR(thread_info(rd, THREAD_BASIC_INFO, (thread_info_t)&bi, &n), KERN_TERMINATED);
	KR_OK(mach_port_type(mach_task_self(), rd, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mach_port_type(mach_task_self(), insp, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mach_port_type(mach_task_self(), w.port, &ty));
	EXPECT_EQ(ty, MACH_PORT_TYPE_DEAD_NAME);
	/* And no longer listed. */
	KR_OK(task_threads(task_insp, &list, &n));
	EXPECT_EQ(n, 1);
	free_list(list, n);
	KR_OK(mach_port_deallocate(mach_task_self(), rd));
	KR_OK(mach_port_deallocate(mach_task_self(), insp));
	KR_OK(mach_port_deallocate(mach_task_self(), w.port));
	KR_OK(mach_port_deallocate(mach_task_self(), task_rd));
	KR_OK(mach_port_deallocate(mach_task_self(), task_insp));
}

/* Apple's ipc_thread_ports_race, shortened: threads made and joined in
 * batches until told to stop. */
static volatile int churn_done;

static void *do_nothing(void *p)
{
	return p;
}

static void *churn(void *p)
{
	while (!churn_done) {
		pthread_t th[10];
		int made = 0;

		for (int i = 0; i < 10; i++)
			if (pthread_create(&th[i], NULL, do_nothing, NULL) == 0)
				made++;
			else
				break;
		for (int i = 0; i < made; i++)
			pthread_join(th[i], NULL);
	}
	return p;
}

/* task_threads `loops` times on `task`, every port given back; the
 * number of threads seen. */
static unsigned threads_race(mach_port_t task, int loops)
{
	unsigned seen = 0;

	for (int l = 0; l < loops; l++) {
		thread_act_array_t list;
		mach_msg_type_number_t n = 0;

		KR_OK(task_threads(task, &list, &n));
		EXPECT_TRUE(n >= 1);
		for (mach_msg_type_number_t i = 0; i < n; i++)
			KR_OK(mach_port_deallocate(mach_task_self(), list[i]));
		KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)list, n * sizeof(list[0])));
		seen += n;
	}
	return seen;
}

TEST(task_threads_on_a_read_port_while_threads_come_and_go)
{
	mach_msg_type_number_t before;
	mach_port_t t = MACH_PORT_NULL;
	pthread_t bomb[2];
	pid_t pid;

	/* A forked child that only makes threads, read through
	 * task_read_for_pid. */
	pid = fork();
	if (pid == 0) {
		pthread_t c[2];

		for (int i = 0; i < 2; i++)
			pthread_create(&c[i], NULL, churn, NULL);
		churn(NULL);
		_exit(0);
	}
	EXPECT_TRUE(pid > 0);
	EXPECT_EQ(task_read_for_pid(mach_task_self(), pid, &t), 0);
	EXPECT_EQ(kobject_of(t, &(mach_vm_address_t){ 0 }), 45 /* IKOT_TASK_READ */);
	/* Counted once the first call has made this thread's reply port. */
	EXPECT_TRUE(threads_race(t, 1) >= 1);
	before = name_count();
	EXPECT_TRUE(threads_race(t, 300) >= 300);
	EXPECT_EQ(name_count(), before);
	kill(pid, SIGKILL);
	EXPECT_EQ(waitpid(pid, NULL, 0), pid);
	KR_OK(mach_port_deallocate(mach_task_self(), t));
	EXPECT_EQ(name_count(), before - 1);

	/* This task, through its own read port. */
	t = task_special(TASK_READ_PORT);
	before = name_count();
	churn_done = 0;
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(pthread_create(&bomb[i], NULL, churn, NULL), 0);
	EXPECT_TRUE(threads_race(t, 300) >= 300);
	churn_done = 1;
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(pthread_join(bomb[i], NULL), 0);
	EXPECT_EQ(name_count(), before);
	KR_OK(mach_port_deallocate(mach_task_self(), t));
}
