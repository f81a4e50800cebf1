/* SPDX-License-Identifier: MIT */
/*
 * The rest of the API the headers declare: trap entry points that forward
 * to the public calls, the exc/mach_exc MIG client stubs, vm_protect,
 * the MIG helpers, and calls machipc cannot honour. Those return what XNU
 * answers for an unsupported operation (KERN_NOT_SUPPORTED) or, when the
 * call is only a hint (vouchers, port-space sizing, scheduling), succeed
 * doing nothing.
 */
#include "internal.h"

#include <mach/exc.h>
#include <mach/mach_exc.h>
#include <mach/mach_traps.h>
#include <mach/mach_vm.h>
#include <mach/message.h>
#include <mach/notify.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* mach_msg traps: one ioctl, an interruption is returned, not retried. */

mach_msg_return_t mach_msg_trap(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
				mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
				mach_port_name_t notify)
{
	(void)notify; /* ignored, as by mach_msg() */
	return machipc_msg_trap(msg, option, send_size, rcv_size, rcv_name, timeout, NULL);
}

mach_msg_return_t mach_msg_overwrite_trap(mach_msg_header_t *msg, mach_msg_option_t option,
					  mach_msg_size_t send_size, mach_msg_size_t rcv_size,
					  mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
					  mach_msg_priority_t priority, mach_msg_header_t *rcv_msg,
					  mach_msg_size_t rcv_limit)
{
	(void)priority;
	(void)rcv_limit; /* rcv_size bounds the receive, as in mach_msg_overwrite() */
	return machipc_msg_trap(msg, option, send_size, rcv_size, rcv_name, timeout, rcv_msg);
}

mach_msg_return_t mach_msg_server_importance(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
					     mach_msg_size_t max_size, mach_port_t rcv_name,
					     mach_msg_options_t options)
{
	/* No importance donation here: the plain server loop. */
	return mach_msg_server(demux, max_size, rcv_name, options);
}

/* ------------------------------------------------------------------ */
/* Trap names of the port calls. */

kern_return_t _kernelrpc_mach_port_allocate_trap(mach_port_name_t target, mach_port_right_t right,
						 mach_port_name_t *name)
{
	return mach_port_allocate(target, right, name);
}

kern_return_t _kernelrpc_mach_port_deallocate_trap(mach_port_name_t target, mach_port_name_t name)
{
	return mach_port_deallocate(target, name);
}

kern_return_t _kernelrpc_mach_port_mod_refs_trap(mach_port_name_t target, mach_port_name_t name,
						 mach_port_right_t right, mach_port_delta_t delta)
{
	return mach_port_mod_refs(target, name, right, delta);
}

kern_return_t _kernelrpc_mach_port_move_member_trap(mach_port_name_t target, mach_port_name_t member,
						    mach_port_name_t after)
{
	return mach_port_move_member(target, member, after);
}

kern_return_t _kernelrpc_mach_port_insert_right_trap(mach_port_name_t target, mach_port_name_t name,
						     mach_port_name_t poly, mach_msg_type_name_t polyPoly)
{
	return mach_port_insert_right(target, name, poly, polyPoly);
}

kern_return_t _kernelrpc_mach_port_get_attributes_trap(mach_port_name_t target, mach_port_name_t name,
						       mach_port_flavor_t flavor, mach_port_info_t port_info_out,
						       mach_msg_type_number_t *port_info_outCnt)
{
	return mach_port_get_attributes(target, name, flavor, port_info_out, port_info_outCnt);
}

kern_return_t _kernelrpc_mach_port_insert_member_trap(mach_port_name_t target, mach_port_name_t name,
						      mach_port_name_t pset)
{
	return mach_port_insert_member(target, name, pset);
}

kern_return_t _kernelrpc_mach_port_extract_member_trap(mach_port_name_t target, mach_port_name_t name,
						       mach_port_name_t pset)
{
	return mach_port_extract_member(target, name, pset);
}

kern_return_t _kernelrpc_mach_port_construct_trap(mach_port_name_t target, mach_port_options_t *options,
						  uint64_t context, mach_port_name_t *name)
{
	return mach_port_construct(target, options, (mach_port_context_t)context, name);
}

kern_return_t _kernelrpc_mach_port_destruct_trap(mach_port_name_t target, mach_port_name_t name,
						 mach_port_delta_t srdelta, uint64_t guard)
{
	return mach_port_destruct(target, name, srdelta, (mach_port_context_t)guard);
}

kern_return_t _kernelrpc_mach_port_guard_trap(mach_port_name_t target, mach_port_name_t name, uint64_t guard,
					      boolean_t strict)
{
	return mach_port_guard(target, name, (mach_port_context_t)guard, strict);
}

kern_return_t _kernelrpc_mach_port_unguard_trap(mach_port_name_t target, mach_port_name_t name, uint64_t guard)
{
	return mach_port_unguard(target, name, (mach_port_context_t)guard);
}

kern_return_t _kernelrpc_mach_port_type_trap(ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype)
{
	return mach_port_type(task, name, ptype);
}

kern_return_t _kernelrpc_mach_port_request_notification_trap(ipc_space_t task, mach_port_name_t name,
							     mach_msg_id_t msgid, mach_port_mscount_t sync,
							     mach_port_name_t notify,
							     mach_msg_type_name_t notifyPoly,
							     mach_port_name_t *previous)
{
	return mach_port_request_notification(task, name, msgid, sync, notify, notifyPoly, previous);
}

/* ------------------------------------------------------------------ */
/* Port calls built from others, and the ones machipc does not have. */

kern_return_t mach_port_guard_with_flags(ipc_space_t task, mach_port_name_t name, mach_port_context_t guard,
					 uint64_t flags)
{
	return mach_port_guard(task, name, guard, (flags & MPG_STRICT) ? TRUE : FALSE);
}

kern_return_t mach_port_swap_guard(ipc_space_t task, mach_port_name_t name, mach_port_context_t old_guard,
				   mach_port_context_t new_guard)
{
	kern_return_t kr = mach_port_unguard(task, name, old_guard);

	if (kr != KERN_SUCCESS)
		return kr;
	return mach_port_guard(task, name, new_guard, FALSE);
}

kern_return_t mach_port_peek(ipc_space_t task, mach_port_name_t name, mach_msg_trailer_type_t trailer_type,
			     mach_port_seqno_t *request_seqnop, mach_msg_size_t *msg_sizep, mach_msg_id_t *msg_idp,
			     mach_msg_trailer_info_t trailer_infop, mach_msg_type_number_t *trailer_infopCnt)
{
	struct machipc_port_call c = {
		.name = name,
		.flavor = (uint32_t)trailer_type,
		.value = *request_seqnop,
		.count = *trailer_infopCnt,
		.data = (uintptr_t)trailer_infop,
	};
	kern_return_t kr;

	if (!machipc_is_self(task))
		return MACH_SEND_INVALID_DEST;
	kr = machipc_port_call(MACHIPC_IOC_PORT_PEEK, &c);
	if (kr == KERN_SUCCESS) {
		*request_seqnop = (mach_port_seqno_t)c.value;
		*msg_sizep = c.poly;
		*msg_idp = c.delta;
		*trailer_infopCnt = c.count;
	}
	return kr;
}

kern_return_t mach_port_dnrequest_info(ipc_space_t task, mach_port_name_t name, unsigned int *dnr_total,
				       unsigned int *dnr_used)
{
	(void)task, (void)name, (void)dnr_total, (void)dnr_used;
	return KERN_NOT_SUPPORTED;
}

kern_return_t mach_port_kernel_object(ipc_space_read_t task, mach_port_name_t name, unsigned int *object_type,
				      unsigned int *object_addr)
{
	(void)task, (void)name, (void)object_type, (void)object_addr;
	return KERN_NOT_SUPPORTED;
}

kern_return_t mach_port_kobject(ipc_space_read_t task, mach_port_name_t name, natural_t *object_type,
				mach_vm_address_t *object_addr)
{
	(void)task, (void)name, (void)object_type, (void)object_addr;
	return KERN_NOT_SUPPORTED;
}

kern_return_t mach_port_assert_attributes(ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
					  mach_port_info_t info, mach_msg_type_number_t infoCnt)
{
	(void)task, (void)name, (void)flavor, (void)info, (void)infoCnt;
	return KERN_NOT_SUPPORTED;
}

kern_return_t mach_port_is_connection_for_service(ipc_space_t task, mach_port_name_t connection_port,
						  mach_port_name_t service_port, uint64_t *filter_policy_id)
{
	(void)task, (void)connection_port, (void)service_port, (void)filter_policy_id;
	return KERN_NOT_SUPPORTED;
}

kern_return_t task_set_port_space(ipc_space_t task, int table_entries)
{
	/* A sizing hint: the space grows on demand anyway. */
	(void)task, (void)table_entries;
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Self ports. */

mach_port_name_t host_self_trap(void)
{
	return mach_host_self();
}

mach_port_name_t thread_self_trap(void)
{
	return mach_thread_self();
}

static __thread mach_port_name_t special_reply_port;
static pthread_once_t special_reply_once = PTHREAD_ONCE_INIT;

static void special_reply_after_fork(void)
{
	/* The child's space is a fresh one: the name is not ours there. */
	special_reply_port = MACH_PORT_NULL;
}

static void special_reply_atfork(void)
{
	pthread_atfork(NULL, NULL, special_reply_after_fork);
}

mach_port_name_t thread_get_special_reply_port(void)
{
	mach_port_type_t type;

	pthread_once(&special_reply_once, special_reply_atfork);
	/* Made again if the caller has released it since. */
	if (special_reply_port != MACH_PORT_NULL &&
	    (mach_port_type(mach_task_self(), special_reply_port, &type) != KERN_SUCCESS ||
	     !(type & MACH_PORT_TYPE_RECEIVE)))
		special_reply_port = MACH_PORT_NULL;
	if (special_reply_port == MACH_PORT_NULL)
		special_reply_port = mach_reply_port();
	return special_reply_port;
}

kern_return_t task_name_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *tn)
{
	/* A task port is a superset of the name port. */
	return task_for_pid(target_tport, pid, tn);
}

kern_return_t debug_control_port_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *t)
{
	(void)target_tport, (void)pid, (void)t;
	return KERN_NOT_SUPPORTED;
}

kern_return_t mach_generate_activity_id(mach_port_name_t target, int count, uint64_t *activity_id)
{
	(void)target, (void)count, (void)activity_id;
	return KERN_NOT_SUPPORTED;
}

/* ------------------------------------------------------------------ */
/* Tasks and threads. */

kern_return_t task_terminate(task_t target_task)
{
	int pid;

	if (machipc_is_self(target_task)) {
		kill(getpid(), SIGKILL);
		return KERN_SUCCESS; /* not reached */
	}
	if (pid_for_task(target_task, &pid) != KERN_SUCCESS || pid <= 0)
		return KERN_INVALID_ARGUMENT;
	return kill(pid, SIGKILL) == 0 ? KERN_SUCCESS : KERN_FAILURE;
}

kern_return_t task_suspend(task_read_t target_task)
{
	(void)target_task;
	return KERN_NOT_SUPPORTED;
}

kern_return_t task_resume(task_read_t target_task)
{
	(void)target_task;
	return KERN_NOT_SUPPORTED;
}

kern_return_t task_threads(task_inspect_t target_task, thread_act_array_t *act_list,
			   mach_msg_type_number_t *act_listCnt)
{
	(void)target_task, (void)act_list, (void)act_listCnt;
	return KERN_NOT_SUPPORTED;
}

kern_return_t thread_terminate(thread_act_t target_act)
{
	mach_port_t self = mach_thread_self();

	if (self != MACH_PORT_NULL)
		mach_port_deallocate(mach_task_self(), self);
	if (self == MACH_PORT_NULL || target_act != self)
		return KERN_NOT_SUPPORTED;
	pthread_exit(NULL);
}

kern_return_t thread_suspend(thread_read_t target_act)
{
	(void)target_act;
	return KERN_NOT_SUPPORTED;
}

kern_return_t thread_resume(thread_read_t target_act)
{
	(void)target_act;
	return KERN_NOT_SUPPORTED;
}


kern_return_t thread_get_special_port(thread_inspect_t thr_act, int which_port, mach_port_t *special_port)
{
	(void)thr_act, (void)which_port, (void)special_port;
	return KERN_NOT_SUPPORTED;
}

kern_return_t thread_set_special_port(thread_act_t thr_act, int which_port, mach_port_t special_port)
{
	(void)thr_act, (void)which_port, (void)special_port;
	return KERN_NOT_SUPPORTED;
}

/* ------------------------------------------------------------------ */
/* Scheduling hints. */

#define COMPAT_SWITCH_OPTION_WAIT 2 /* XNU's SWITCH_OPTION_WAIT */

boolean_t swtch_pri(int pri)
{
	(void)pri;
	sched_yield();
	return FALSE;
}

boolean_t swtch(void)
{
	sched_yield();
	return FALSE;
}

kern_return_t thread_switch(mach_port_name_t thread_name, int option, mach_msg_timeout_t option_time)
{
	(void)thread_name;
	if (option == COMPAT_SWITCH_OPTION_WAIT && option_time != 0) {
		struct timespec ts = { .tv_sec = option_time / 1000, .tv_nsec = (long)(option_time % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	} else {
		sched_yield();
	}
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Semaphores and clocks: no such objects in machipc. */

kern_return_t semaphore_signal_trap(mach_port_name_t signal_name)
{
	(void)signal_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_signal_all_trap(mach_port_name_t signal_name)
{
	(void)signal_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_signal_thread_trap(mach_port_name_t signal_name, mach_port_name_t thread_name)
{
	(void)signal_name, (void)thread_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_wait_trap(mach_port_name_t wait_name)
{
	(void)wait_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_wait_signal_trap(mach_port_name_t wait_name, mach_port_name_t signal_name)
{
	(void)wait_name, (void)signal_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_timedwait_trap(mach_port_name_t wait_name, unsigned int sec, clock_res_t nsec)
{
	(void)wait_name, (void)sec, (void)nsec;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_timedwait_signal_trap(mach_port_name_t wait_name, mach_port_name_t signal_name,
					      unsigned int sec, clock_res_t nsec)
{
	(void)wait_name, (void)signal_name, (void)sec, (void)nsec;
	return KERN_NOT_SUPPORTED;
}

kern_return_t clock_sleep_trap(mach_port_name_t clock_name, sleep_type_t sleep_type, int sleep_sec,
			       int sleep_nsec, mach_timespec_t *wakeup_time)
{
	(void)clock_name, (void)sleep_type, (void)sleep_sec, (void)sleep_nsec, (void)wakeup_time;
	return KERN_NOT_SUPPORTED;
}

kern_return_t clock_get_res(mach_port_t clock_serv, clock_res_t *res)
{
	(void)clock_serv, (void)res;
	return KERN_NOT_SUPPORTED;
}

kern_return_t clock_set_res(mach_port_t clock_serv, clock_res_t res)
{
	(void)clock_serv, (void)res;
	return KERN_NOT_SUPPORTED;
}

kern_return_t clock_sleep(mach_port_t clock_serv, int sleep_type, mach_timespec_t sleep_time,
			  mach_timespec_t *wake_time)
{
	(void)clock_serv, (void)sleep_type, (void)sleep_time, (void)wake_time;
	return KERN_NOT_SUPPORTED;
}

/* ------------------------------------------------------------------ */
/* Memory. */

kern_return_t host_page_size(host_t host, vm_size_t *out_page_size)
{
	(void)host;
	*out_page_size = (vm_size_t)sysconf(_SC_PAGESIZE);
	return KERN_SUCCESS;
}

static kern_return_t protect(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size, boolean_t set_maximum,
			     vm_prot_t new_protection)
{
	mach_vm_address_t page = (mach_vm_address_t)sysconf(_SC_PAGESIZE);
	mach_vm_address_t start = address & ~(page - 1);
	mach_vm_address_t end;
	int prot = PROT_NONE;

	if (!machipc_is_self(task))
		return KERN_INVALID_ARGUMENT;
	if (size == 0)
		return KERN_SUCCESS;
	if (address + size < address || address + size + page - 1 < address + size)
		return KERN_INVALID_ARGUMENT;
	end = (address + size + page - 1) & ~(page - 1);
	/*
	 * Linux keeps no maximum protection: lifting it to everything is a
	 * no-op, lowering it cannot be enforced.
	 */
	if (set_maximum)
		return (new_protection & VM_PROT_ALL) == VM_PROT_ALL ? KERN_SUCCESS : KERN_NOT_SUPPORTED;
	if (new_protection & VM_PROT_READ)
		prot |= PROT_READ;
	if (new_protection & VM_PROT_WRITE)
		prot |= PROT_WRITE;
	if (new_protection & VM_PROT_EXECUTE)
		prot |= PROT_EXEC;
	if (mprotect((void *)(uintptr_t)start, (size_t)(end - start), prot) == 0)
		return KERN_SUCCESS;
	switch (errno) {
	case ENOMEM:
		return KERN_INVALID_ADDRESS;
	case EACCES:
		return KERN_PROTECTION_FAILURE;
	default:
		return KERN_INVALID_ARGUMENT;
	}
}

kern_return_t vm_protect(vm_map_t target_task, vm_address_t address, vm_size_t size, boolean_t set_maximum,
			 vm_prot_t new_protection)
{
	return protect(target_task, address, size, set_maximum, new_protection);
}

kern_return_t mach_vm_protect(vm_map_t target_task, mach_vm_address_t address, mach_vm_size_t size,
			      boolean_t set_maximum, vm_prot_t new_protection)
{
	return protect(target_task, address, size, set_maximum, new_protection);
}

kern_return_t _kernelrpc_mach_vm_allocate_trap(mach_port_name_t target, mach_vm_offset_t *addr,
					       mach_vm_size_t size, int flags)
{
	return mach_vm_allocate(target, addr, size, flags);
}

kern_return_t _kernelrpc_mach_vm_deallocate_trap(mach_port_name_t target, mach_vm_address_t address,
						 mach_vm_size_t size)
{
	return mach_vm_deallocate(target, address, size);
}

kern_return_t _kernelrpc_mach_vm_protect_trap(mach_port_name_t target, mach_vm_address_t address,
					      mach_vm_size_t size, boolean_t set_maximum, vm_prot_t new_protection)
{
	return protect(target, address, size, set_maximum, new_protection);
}

/* Anonymous memory, aligned to mask + 1 when placed anywhere, with cur_protection. */
kern_return_t _kernelrpc_mach_vm_map_trap(mach_port_name_t target, mach_vm_offset_t *address, mach_vm_size_t size,
					  mach_vm_offset_t mask, int flags, vm_prot_t cur_protection)
{
	mach_vm_size_t page = (mach_vm_size_t)sysconf(_SC_PAGESIZE);
	mach_vm_address_t a = *address;
	kern_return_t kr;

	if (!machipc_is_self(target))
		return KERN_INVALID_ARGUMENT;
	if (size == 0)
		return KERN_INVALID_ARGUMENT;
	size = (size + page - 1) & ~(page - 1);
	if ((flags & VM_FLAGS_ANYWHERE) && (mask & ~(page - 1)) != 0) {
		mach_vm_size_t align = (mask | (page - 1)) + 1, extra = align - page;
		mach_vm_address_t base, aligned;

		if (size + extra < size)
			return KERN_NO_SPACE;
		kr = mach_vm_allocate(target, &a, size + extra, VM_FLAGS_ANYWHERE);
		if (kr != KERN_SUCCESS)
			return kr;
		base = a;
		aligned = (base + align - 1) & ~(align - 1);
		if (aligned > base)
			mach_vm_deallocate(target, base, aligned - base);
		if (base + size + extra > aligned + size)
			mach_vm_deallocate(target, aligned + size, base + size + extra - (aligned + size));
		a = aligned;
	} else {
		kr = mach_vm_allocate(target, &a, size, flags);
		if (kr != KERN_SUCCESS)
			return kr;
	}
	if ((cur_protection & VM_PROT_ALL) != VM_PROT_DEFAULT) {
		kr = protect(target, a, size, FALSE, cur_protection);
		if (kr != KERN_SUCCESS) {
			mach_vm_deallocate(target, a, size);
			return kr;
		}
	}
	*address = a;
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* MIG helpers. */

void mig_allocate(vm_address_t *addr_p, vm_size_t size)
{
	if (vm_allocate(mach_task_self(), addr_p, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		*addr_p = 0;
}

void mig_deallocate(vm_address_t addr, vm_size_t size)
{
	(void)vm_deallocate(mach_task_self(), addr, size);
}

/* Copies at most len - 1 characters and terminates; returns the count
 * written including the terminator (len when truncated). */
int mig_strncpy(char *dest, const char *src, int len)
{
	int n;

	if (len <= 0 || dest == NULL)
		return 0;
	if (src == NULL) {
		dest[0] = '\0';
		return 1;
	}
	for (n = 0; n < len - 1 && src[n] != '\0'; n++)
		dest[n] = src[n];
	dest[n] = '\0';
	return n + 1;
}

/* As mig_strncpy, and the rest of the len bytes are zeroed. */
int mig_strncpy_zerofill(char *dest, const char *src, int len)
{
	int n = 0;

	if (len <= 0 || dest == NULL)
		return 0;
	if (src != NULL)
		while (n < len - 1 && src[n] != '\0') {
			dest[n] = src[n];
			n++;
		}
	memset(dest + n, 0, (size_t)(len - n));
	if (src == NULL)
		return 0;
	return n + 1;
}

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply)
{
	mig_reply_error_t *r = (mig_reply_error_t *)reply;

	r->Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(request->msgh_bits), 0);
	r->Head.msgh_size = sizeof(mig_reply_error_t);
	r->Head.msgh_remote_port = request->msgh_remote_port;
	r->Head.msgh_local_port = MACH_PORT_NULL;
	r->Head.msgh_voucher_port = MACH_PORT_NULL;
	r->Head.msgh_id = request->msgh_id + 100;
	r->NDR = NDR_record;
	r->RetCode = KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* exc / mach_exc client stubs. */

union exc_request {
	mach_msg_header_t h;
	__Request__exception_raise_state_identity_t narrow;
	__Request__mach_exception_raise_state_identity_t wide;
};

union exc_reply {
	mach_msg_header_t h;
	mig_reply_error_t err;
	__Reply__mach_exception_raise_state_t state;
	char bytes[sizeof(__Reply__mach_exception_raise_state_t) + sizeof(mach_msg_max_trailer_t)];
};

#define EXC_STATE_REPLY_MIN offsetof(__Reply__mach_exception_raise_state_t, new_state)

/*
 * Builds the request packed as MIG sends it (the code and state arrays
 * hold only their counts' worth), sends it and checks the reply.
 * `identity` adds the thread and task ports; a non-NULL `flavor` makes it
 * a state request and receives the new state.
 */
static kern_return_t exc_call(mach_port_t exception_port, mach_msg_id_t id, int identity, mach_port_t thread,
			      mach_port_t task, exception_type_t exception, const void *code, size_t code_size,
			      mach_msg_type_number_t codeCnt, int *flavor, const natural_t *old_state,
			      mach_msg_type_number_t old_stateCnt, natural_t *new_state,
			      mach_msg_type_number_t *new_stateCnt)
{
	union exc_request req;
	union exc_reply rep;
	char *p = (char *)(&req.h + 1);
	mach_port_t reply = mig_get_reply_port();
	mach_msg_return_t mr;
	kern_return_t ret;
	mach_msg_type_number_t cnt;

	if (codeCnt > 2 || (flavor && old_stateCnt > THREAD_STATE_MAX))
		return MIG_ARRAY_TOO_LARGE;
	memset(&req.h, 0, sizeof(req.h));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	if (identity) {
		mach_msg_body_t body = { .msgh_descriptor_count = 2 };
		mach_msg_port_descriptor_t d[2];

		memset(d, 0, sizeof(d));
		d[0].name = thread;
		d[0].disposition = MACH_MSG_TYPE_COPY_SEND;
		d[0].type = MACH_MSG_PORT_DESCRIPTOR;
		d[1].name = task;
		d[1].disposition = MACH_MSG_TYPE_COPY_SEND;
		d[1].type = MACH_MSG_PORT_DESCRIPTOR;
		req.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
		memcpy(p, &body, sizeof(body));
		p += sizeof(body);
		memcpy(p, d, sizeof(d));
		p += sizeof(d);
	}
	memcpy(p, &NDR_record, sizeof(NDR_record));
	p += sizeof(NDR_record);
	memcpy(p, &exception, sizeof(exception));
	p += sizeof(exception);
	memcpy(p, &codeCnt, sizeof(codeCnt));
	p += sizeof(codeCnt);
	if (codeCnt) {
		memcpy(p, code, code_size * codeCnt);
		p += code_size * codeCnt;
	}
	if (flavor) {
		memcpy(p, flavor, sizeof(*flavor));
		p += sizeof(*flavor);
		memcpy(p, &old_stateCnt, sizeof(old_stateCnt));
		p += sizeof(old_stateCnt);
		if (old_stateCnt) {
			memcpy(p, old_state, sizeof(natural_t) * old_stateCnt);
			p += sizeof(natural_t) * old_stateCnt;
		}
	}
	req.h.msgh_size = (mach_msg_size_t)(p - (char *)&req.h);
	req.h.msgh_remote_port = exception_port;
	req.h.msgh_local_port = reply;
	req.h.msgh_voucher_port = MACH_PORT_NULL;
	req.h.msgh_id = id;

	mr = mach_msg_overwrite(&req.h, MACH_SEND_MSG | MACH_RCV_MSG, req.h.msgh_size, sizeof(rep), reply,
				MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL, &rep.h, sizeof(rep));
	if (mr != MACH_MSG_SUCCESS) {
		if (mr == MACH_SEND_INVALID_REPLY || mr == MACH_RCV_PORT_DIED || mr == MACH_RCV_PORT_CHANGED)
			mig_dealloc_reply_port(reply);
		return mr;
	}
	if (rep.h.msgh_id == MACH_NOTIFY_SEND_ONCE)
		return MIG_SERVER_DIED;
	if (rep.h.msgh_id != id + 100) {
		mach_msg_destroy(&rep.h);
		return MIG_REPLY_MISMATCH;
	}
	if ((rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) || rep.h.msgh_size < sizeof(mig_reply_error_t)) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	ret = rep.err.RetCode;
	if (!flavor) {
		if (rep.h.msgh_size != sizeof(mig_reply_error_t))
			return MIG_TYPE_ERROR;
		return ret;
	}
	if (rep.h.msgh_size == sizeof(mig_reply_error_t) && ret != KERN_SUCCESS)
		return ret;
	if (rep.h.msgh_size < EXC_STATE_REPLY_MIN)
		return MIG_TYPE_ERROR;
	cnt = rep.state.new_stateCnt;
	if (cnt > THREAD_STATE_MAX || rep.h.msgh_size != EXC_STATE_REPLY_MIN + sizeof(natural_t) * cnt)
		return MIG_TYPE_ERROR;
	if (ret != KERN_SUCCESS)
		return ret;
	*flavor = rep.state.flavor;
	if (cnt > *new_stateCnt) {
		memcpy(new_state, rep.state.new_state, sizeof(natural_t) * *new_stateCnt);
		*new_stateCnt = cnt;
		return MIG_ARRAY_TOO_LARGE;
	}
	memcpy(new_state, rep.state.new_state, sizeof(natural_t) * cnt);
	*new_stateCnt = cnt;
	return KERN_SUCCESS;
}

kern_return_t exception_raise(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
			      exception_type_t exception, exception_data_t code, mach_msg_type_number_t codeCnt)
{
	return exc_call(exception_port, 2401, 1, thread, task, exception, code, sizeof(integer_t), codeCnt, NULL,
			NULL, 0, NULL, NULL);
}

kern_return_t exception_raise_state(mach_port_t exception_port, exception_type_t exception,
				    const exception_data_t code, mach_msg_type_number_t codeCnt, int *flavor,
				    const thread_state_t old_state, mach_msg_type_number_t old_stateCnt,
				    thread_state_t new_state, mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, 2402, 0, MACH_PORT_NULL, MACH_PORT_NULL, exception, code, sizeof(integer_t),
			codeCnt, flavor, old_state, old_stateCnt, new_state, new_stateCnt);
}

kern_return_t exception_raise_state_identity(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
					     exception_type_t exception, exception_data_t code,
					     mach_msg_type_number_t codeCnt, int *flavor, thread_state_t old_state,
					     mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
					     mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, 2403, 1, thread, task, exception, code, sizeof(integer_t), codeCnt, flavor,
			old_state, old_stateCnt, new_state, new_stateCnt);
}

kern_return_t mach_exception_raise(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
				   exception_type_t exception, mach_exception_data_t code,
				   mach_msg_type_number_t codeCnt)
{
	return exc_call(exception_port, 2405, 1, thread, task, exception, code, sizeof(int64_t), codeCnt, NULL,
			NULL, 0, NULL, NULL);
}

kern_return_t mach_exception_raise_state(mach_port_t exception_port, exception_type_t exception,
					 const mach_exception_data_t code, mach_msg_type_number_t codeCnt,
					 int *flavor, const thread_state_t old_state,
					 mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
					 mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, 2406, 0, MACH_PORT_NULL, MACH_PORT_NULL, exception, code, sizeof(int64_t),
			codeCnt, flavor, old_state, old_stateCnt, new_state, new_stateCnt);
}

kern_return_t mach_exception_raise_state_identity(mach_port_t exception_port, mach_port_t thread,
						  mach_port_t task, exception_type_t exception,
						  mach_exception_data_t code, mach_msg_type_number_t codeCnt,
						  int *flavor, thread_state_t old_state,
						  mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
						  mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, 2407, 1, thread, task, exception, code, sizeof(int64_t), codeCnt, flavor,
			old_state, old_stateCnt, new_state, new_stateCnt);
}

/* ------------------------------------------------------------------ */
/* Vouchers: none are ever attached, so there is nothing to adopt. */

boolean_t voucher_mach_msg_set(mach_msg_header_t *msg)
{
	(void)msg;
	return FALSE;
}

void voucher_mach_msg_clear(mach_msg_header_t *msg)
{
	(void)msg;
}

voucher_mach_msg_state_t voucher_mach_msg_adopt(mach_msg_header_t *msg)
{
	(void)msg;
	return VOUCHER_MACH_MSG_STATE_UNCHANGED;
}

void voucher_mach_msg_revert(voucher_mach_msg_state_t state)
{
	(void)state;
}

kern_return_t mach_voucher_deallocate(mach_port_name_t voucher)
{
	(void)voucher;
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* panic */

void panic_init(mach_port_t port)
{
	(void)port;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fputs("panic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}
