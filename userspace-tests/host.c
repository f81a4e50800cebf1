/* SPDX-License-Identifier: MIT */
/*
 * The host port: mach_host_self(), host_info, host_page_size and the host
 * special ports, with XNU's answers (codes, counts, layouts) and the
 * privileged host port for a task whose opener had CAP_SYS_ADMIN.
 */
#include <mach/mach.h>
#include <mach/host_priv.h>
#include <mach/mach_host.h>
#include <sys/sysinfo.h>
#include "harness.h"
#include "children.h"

#define IKOT_TASK_CONTROL 2
#define IKOT_HOST 3
#define IKOT_HOST_PRIV 4


static mach_port_urefs_t send_refs(mach_port_t name)
{
	mach_port_urefs_t refs = 0;

	KR_OK(mach_port_get_refs(mach_task_self(), name, MACH_PORT_RIGHT_SEND, &refs));
	return refs;
}

/* Sends MIG request `id` (NDR and no arguments) to `port` and returns the
 * reply's RetCode. */
static kern_return_t raw_mig(mach_port_t port, mach_msg_id_t id)
{
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
	} req;
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		kern_return_t ret;
		mach_msg_max_trailer_t t;
	} rep;
	mach_port_t reply;
	kern_return_t kr;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply));
	memset(&req, 0, sizeof(req));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	req.h.msgh_size = sizeof(req);
	req.h.msgh_remote_port = port;
	req.h.msgh_local_port = reply;
	req.h.msgh_id = id;
	req.ndr = NDR_record;
	KR_OK(mach_msg(&req.h, MACH_SEND_MSG, sizeof(req), 0, 0, 0, 0));
	memset(&rep, 0, sizeof(rep));
	kr = mach_msg(&rep.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(rep), reply, 5000, 0);
	if (kr == KERN_SUCCESS) {
		EXPECT_EQ(rep.h.msgh_id, id + 100);
		kr = rep.ret;
	}
	KR_OK(mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1));
	return kr;
}

/* The process may administer its IPC namespace (the test runs as root). */
static int privileged(void)
{
	return geteuid() == 0;
}

TEST(host_self_is_the_task_host_port)
{
	mach_port_t host = mach_host_self(), again, special;

	EXPECT_NE(host, MACH_PORT_NULL);
	EXPECT_EQ(kobject_type(host), privileged() ? IKOT_HOST_PRIV : IKOT_HOST);
	/* Each call is a new user reference on the same name, as XNU's trap. */
	mach_port_urefs_t refs = send_refs(host);
	again = mach_host_self();
	EXPECT_EQ(again, host);
	EXPECT_EQ(send_refs(host), refs + 1);
	KR_OK(task_get_special_port(mach_task_self(), TASK_HOST_PORT, &special));
	EXPECT_EQ(special, host);
	EXPECT_EQ(send_refs(host), refs + 2);
	/* User space may not replace it (XNU: KERN_NO_ACCESS), nor the
	 * control port. */
	KR(task_set_special_port(mach_task_self(), TASK_HOST_PORT, MACH_PORT_NULL), KERN_NO_ACCESS);
	KR(task_set_special_port(mach_task_self(), TASK_KERNEL_PORT, MACH_PORT_NULL), KERN_NO_ACCESS);
	KR(task_set_special_port(mach_task_self(), TASK_NAME_PORT, MACH_PORT_NULL), KERN_INVALID_ARGUMENT);
	KR(task_set_special_port(mach_task_self(), 12, MACH_PORT_NULL), KERN_INVALID_ARGUMENT);
}

TEST(host_basic_info_as_xnu_lays_it_out)
{
	host_basic_info_data_t info;
	mach_msg_type_number_t count = HOST_BASIC_INFO_COUNT;
	struct sysinfo si;

	EXPECT_EQ(HOST_BASIC_INFO_COUNT, 12);
	EXPECT_EQ(sizeof(info), 48);
	EXPECT_EQ(offsetof(host_basic_info_data_t, max_mem), 40);
	memset(&info, 0xa5, sizeof(info));
	KR_OK(host_info(mach_host_self(), HOST_BASIC_INFO, (host_info_t)&info, &count));
	EXPECT_EQ(count, HOST_BASIC_INFO_COUNT);
	EXPECT_EQ(info.avail_cpus, sysconf(_SC_NPROCESSORS_ONLN));
	EXPECT_TRUE(info.max_cpus >= info.avail_cpus);
	EXPECT_EQ(info.logical_cpu, info.avail_cpus);
	EXPECT_EQ(info.logical_cpu_max, info.max_cpus);
	EXPECT_TRUE(info.physical_cpu >= 1 && info.physical_cpu <= info.avail_cpus);
	EXPECT_TRUE(info.physical_cpu_max >= info.physical_cpu);
#if defined(__x86_64__)
	EXPECT_EQ(info.cpu_type, CPU_TYPE_X86_64);
	EXPECT_EQ(info.cpu_subtype, CPU_SUBTYPE_X86_64_ALL);
#endif
	EXPECT_EQ(sysinfo(&si), 0);
	EXPECT_EQ(info.max_mem, (uint64_t)si.totalram * si.mem_unit);
	EXPECT_EQ(info.memory_size, info.max_mem < (1ull << 31) ? info.max_mem : (1ull << 31));

	/* XNU's old layout for a count of 5 to 11, KERN_FAILURE below. */
	host_basic_info_data_t old;
	memset(&old, 0, sizeof(old));
	count = 5;
	KR_OK(host_info(mach_host_self(), HOST_BASIC_INFO, (host_info_t)&old, &count));
	EXPECT_EQ(count, 5);
	EXPECT_EQ(old.max_cpus, info.max_cpus);
	EXPECT_EQ(old.memory_size, info.memory_size);
	EXPECT_EQ(old.cpu_threadtype, 0);
	count = 11;
	KR_OK(host_info(mach_host_self(), HOST_BASIC_INFO, (host_info_t)&old, &count));
	EXPECT_EQ(count, 5);
	count = 4;
	KR(host_info(mach_host_self(), HOST_BASIC_INFO, (host_info_t)&old, &count), KERN_FAILURE);
}

TEST(host_sched_and_priority_info)
{
	host_sched_info_data_t sched;
	host_priority_info_data_t prio;
	mach_msg_type_number_t count = HOST_SCHED_INFO_COUNT;
	host_t host = mach_host_self();

	KR_OK(host_info(host, HOST_SCHED_INFO, (host_info_t)&sched, &count));
	EXPECT_EQ(count, 2);
	EXPECT_TRUE(sched.min_timeout >= 1);
	EXPECT_EQ(sched.min_quantum, sched.min_timeout);
	count = 1;
	KR(host_info(host, HOST_SCHED_INFO, (host_info_t)&sched, &count), KERN_FAILURE);

	/* A count above the flavor's is cut to the flavor's. */
	integer_t big[HOST_INFO_MAX];
	count = HOST_INFO_MAX + 5;
	KR(host_info(host, HOST_PRIORITY_INFO, big, &count), KERN_SUCCESS);
	EXPECT_EQ(count, HOST_PRIORITY_INFO_COUNT);
	count = HOST_PRIORITY_INFO_COUNT;
	KR_OK(host_info(host, HOST_PRIORITY_INFO, (host_info_t)&prio, &count));
	EXPECT_EQ(count, 8);
	EXPECT_EQ(prio.kernel_priority, 80);
	EXPECT_EQ(prio.system_priority, 80);
	EXPECT_EQ(prio.server_priority, 64);
	EXPECT_EQ(prio.user_priority, 31);
	EXPECT_EQ(prio.depress_priority, 0);
	EXPECT_EQ(prio.idle_priority, 0);
	EXPECT_EQ(prio.minimum_priority, 0);
	EXPECT_EQ(prio.maximum_priority, 79);
	count = 7;
	KR(host_info(host, HOST_PRIORITY_INFO, (host_info_t)&prio, &count), KERN_FAILURE);
}

TEST(host_info_other_flavors_answer_as_xnu)
{
	integer_t w[16];
	mach_msg_type_number_t count;
	host_t host = mach_host_self();

	count = 16;
	KR_OK(host_info(host, HOST_MACH_MSG_TRAP, w, &count));
	EXPECT_EQ(count, 0);
	count = 16;
	KR_OK(host_info(host, HOST_SEMAPHORE_TRAPS, w, &count));
	EXPECT_EQ(count, 0);
	count = HOST_RESOURCE_SIZES_COUNT;
	KR(host_info(host, HOST_RESOURCE_SIZES, w, &count), KERN_INVALID_ARGUMENT);
	count = HOST_RESOURCE_SIZES_COUNT - 1;
	KR(host_info(host, HOST_RESOURCE_SIZES, w, &count), KERN_FAILURE);
	count = 16;
	KR(host_info(host, HOST_DEBUG_INFO_INTERNAL, w, &count), KERN_NOT_SUPPORTED);
	count = 16;
	KR(host_info(host, 99, w, &count), KERN_INVALID_ARGUMENT);
	count = 16;
	KR(host_info(host, 0, w, &count), KERN_INVALID_ARGUMENT);
	count = HOST_CAN_HAS_DEBUGGER_COUNT;
	w[0] = 7;
	KR_OK(host_info(host, HOST_CAN_HAS_DEBUGGER, w, &count));
	EXPECT_EQ(count, 1);
	EXPECT_EQ(w[0], 0);
	host_preferred_user_arch_data_t arch;
	count = HOST_PREFERRED_USER_ARCH_COUNT;
	KR_OK(host_info(host, HOST_PREFERRED_USER_ARCH, (host_info_t)&arch, &count));
	EXPECT_EQ(count, 2);
#if defined(__x86_64__)
	EXPECT_EQ(arch.cpu_type, CPU_TYPE_X86_64);
#endif
}

TEST(host_page_size_local_and_over_mig)
{
	vm_size_t a = 0, b = 0;

	KR_OK(host_page_size(mach_host_self(), &a));
	KR_OK(_host_page_size(mach_host_self(), &b));
	EXPECT_EQ(a, (vm_size_t)getpagesize());
	EXPECT_EQ(b, a);
}

TEST(host_and_task_routines_stay_on_their_ports)
{
	integer_t w[16];
	mach_msg_type_number_t count = 16;
	mach_port_t p;

	/* A task port does not serve host routines, nor a host port task
	 * routines: MIG_BAD_ID, as XNU's subsystems answer. */
	KR(host_info(mach_task_self(), HOST_BASIC_INFO, w, &count), MIG_BAD_ID);
	count = 16;
	KR(task_info(mach_host_self(), TASK_BASIC_INFO_64, w, &count), MIG_BAD_ID);
	KR(host_get_special_port(mach_task_self(), HOST_LOCAL_NODE, HOST_PORT, &p), MIG_BAD_ID);
	/* host_priv and bootstrap share subsystem 400: on the host port it
	 * is host_get_boot_info, which machipc does not serve. */
	KR(raw_mig(mach_host_self(), 400), MIG_BAD_ID);
	/* The same routine id on a task port is not a host routine either. */
	KR(raw_mig(mach_task_self(), 412), MIG_BAD_ID);
}

TEST(host_special_ports_as_xnu)
{
	host_priv_t priv = mach_host_self();
	mach_port_t host, p, got;

	if (!privileged())
		return; /* needs the privileged host port */
	EXPECT_EQ(kobject_type(priv), IKOT_HOST_PRIV);
	/* The host port and the privileged port itself. */
	KR_OK(host_get_special_port(priv, HOST_LOCAL_NODE, HOST_PORT, &host));
	EXPECT_NE(host, priv);
	EXPECT_EQ(kobject_type(host), IKOT_HOST);
	KR_OK(host_get_host_priv_port(priv, &got));
	EXPECT_EQ(got, priv);
	KR_OK(host_get_special_port(priv, 0, HOST_PORT, &got));
	EXPECT_EQ(got, host);
	/* No I/O Kit main port, nothing set yet: null. */
	got = 1;
	KR_OK(host_get_io_main_port(priv, &got));
	EXPECT_EQ(got, MACH_PORT_NULL);
	got = 1;
	KR_OK(host_get_special_port(priv, HOST_LOCAL_NODE, HOST_MAX_SPECIAL_PORT, &got));
	EXPECT_EQ(got, MACH_PORT_NULL);
	/* The security port and ids out of range. */
	KR(host_get_special_port(priv, HOST_LOCAL_NODE, HOST_SECURITY_PORT, &got), KERN_INVALID_ARGUMENT);
	KR(host_get_special_port(priv, HOST_LOCAL_NODE, HOST_MAX_SPECIAL_PORT + 1, &got), KERN_INVALID_ARGUMENT);
	KR(host_get_special_port(priv, HOST_LOCAL_NODE, -1, &got), KERN_INVALID_ARGUMENT);
	/* host_priv_t routines refuse the plain host port. */
	KR(host_get_special_port(host, HOST_LOCAL_NODE, HOST_PORT, &got), KERN_INVALID_ARGUMENT);

	/* Set, read back, replace with null. */
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	mach_port_rights_t srights = 0;
	KR_OK(host_set_automountd_port(priv, p));
	KR_OK(mach_port_get_srights(mach_task_self(), p, &srights));
	EXPECT_EQ(srights, 2); /* ours and the host's */
	KR_OK(host_get_automountd_port(priv, &got));
	EXPECT_EQ(got, p);
	KR(host_set_special_port(host, HOST_AUTOMOUNTD_PORT, p), KERN_INVALID_ARGUMENT);
	KR_OK(host_set_automountd_port(priv, MACH_PORT_NULL));
	KR_OK(mach_port_get_srights(mach_task_self(), p, &srights));
	EXPECT_EQ(srights, 1);
	got = 1;
	KR_OK(host_get_automountd_port(priv, &got));
	EXPECT_EQ(got, MACH_PORT_NULL);
	/* The kernel's own ids, ids out of range, the node port. */
	KR(host_set_special_port(priv, HOST_PORT, p), KERN_INVALID_ARGUMENT);
	KR(host_set_special_port(priv, HOST_MAX_SPECIAL_KERNEL_PORT, p), KERN_INVALID_ARGUMENT);
	KR(host_set_special_port(priv, HOST_MAX_SPECIAL_PORT + 1, p), KERN_INVALID_ARGUMENT);
	KR(host_set_special_port(priv, HOST_NODE_PORT, p), KERN_NOT_SUPPORTED);
	KR_OK(mach_port_get_srights(mach_task_self(), p, &srights));
	EXPECT_EQ(srights, 1); /* a refused right is released */
}

/* Another space of the namespace sees what this one set. */
TEST(host_special_ports_are_shared_by_the_ipc_namespace)
{
	host_priv_t priv = mach_host_self();
	mach_port_t p;
	pid_t pid;

	if (!privileged())
		return;
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(host_set_special_port(priv, HOST_LOCKD_PORT, p));
	pid = fork();
	if (pid == 0) {
		mach_port_t got = MACH_PORT_NULL;
		mach_msg_header_t h = { 0 };

		/* The child's own space and host port. */
		if (host_get_lockd_port(mach_host_self(), &got) || got == MACH_PORT_NULL)
			_exit(1);
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = got;
		h.msgh_id = 77;
		_exit(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, 0, 0, 0) ? 2 : 0);
	}
	wait_ok(pid);
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;
	KR_OK(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), p, 5000, 0));
	EXPECT_EQ(m.h.msgh_id, 77);
	KR_OK(host_set_special_port(priv, HOST_LOCKD_PORT, MACH_PORT_NULL));
}

/* A task opened without CAP_SYS_ADMIN gets the plain host port, which
 * serves host_info but no host_priv_t routine. */
TEST(unprivileged_task_gets_the_plain_host_port)
{
	pid_t pid;

	if (!privileged())
		return; /* the child must drop privileges before its first Mach call */
	pid = fork();
	if (pid == 0) {
		host_basic_info_data_t info;
		mach_msg_type_number_t count = HOST_BASIC_INFO_COUNT;
		mach_port_t host, got;
		natural_t type;
		mach_vm_address_t addr;

		if (drop_to_user(0))
			_exit(10);
		host = mach_host_self();
		if (host == MACH_PORT_NULL)
			_exit(11);
		if (mach_port_kobject(mach_task_self(), host, &type, &addr) || type != IKOT_HOST)
			_exit(12);
		if (host_info(host, HOST_BASIC_INFO, (host_info_t)&info, &count) || count != HOST_BASIC_INFO_COUNT)
			_exit(13);
		if (host_get_special_port(host, HOST_LOCAL_NODE, HOST_PRIV_PORT, &got) != KERN_INVALID_ARGUMENT)
			_exit(14);
		if (host_set_special_port(host, HOST_LOCKD_PORT, MACH_PORT_NULL) != KERN_INVALID_ARGUMENT)
			_exit(15);
		_exit(0);
	}
	wait_ok(pid);
}

/* The privileged port kept by a task that then dropped CAP_SYS_ADMIN
 * still reads the special ports, but setting one is KERN_NO_ACCESS. */
TEST(setting_a_host_special_port_needs_cap_sys_admin)
{
	pid_t pid;

	if (!privileged())
		return;
	/* Mach is in use: the child's space is opened as fork returns, with
	 * the privileges it has then. */
	EXPECT_EQ(kobject_type(mach_host_self()), IKOT_HOST_PRIV);
	pid = fork();
	if (pid == 0) {
		host_priv_t priv = mach_host_self();
		mach_port_t got;

		if (drop_to_user(0))
			_exit(10);
		if (host_get_special_port(priv, HOST_LOCAL_NODE, HOST_PORT, &got))
			_exit(11);
		if (host_set_special_port(priv, HOST_LOCKD_PORT, MACH_PORT_NULL) != KERN_NO_ACCESS)
			_exit(12);
		if (host_set_special_port(priv, HOST_PORT, MACH_PORT_NULL) != KERN_INVALID_ARGUMENT)
			_exit(13);
		_exit(0);
	}
	wait_ok(pid);
}
