/* SPDX-License-Identifier: MIT */
/*
 * Thread calls: the special reply port, the thread controls, and the MIG
 * routines the kernel serves on a thread port (thread_info,
 * thread_get_special_port). A thread's own exception ports and state are
 * in exception.c; suspending another thread is not something machipc can
 * do.
 */
#include "internal.h"
#include "mig_ids.h"


#include <pthread.h>

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
	return machipc_not_supported(1, target_act);
}

kern_return_t thread_resume(thread_read_t target_act)
{
	return machipc_not_supported(1, target_act);
}


kern_return_t thread_get_special_port(thread_inspect_t thr_act, int which_port, mach_port_t *special_port)
{
	uint32_t a[] = { (uint32_t)which_port };

	return machipc_mig_port_out(thr_act, MIG_THREAD_GET_SPECIAL_PORT, a, sizeof(a), special_port, NULL);
}

kern_return_t thread_info(thread_inspect_t target_act, thread_flavor_t flavor, thread_info_t thread_info_out,
			  mach_msg_type_number_t *thread_info_outCnt)
{
	return machipc_mig_info(target_act, MIG_THREAD_INFO, (uint32_t)flavor, thread_info_out, thread_info_outCnt);
}

kern_return_t thread_set_special_port(thread_act_t thr_act, int which_port, mach_port_t special_port)
{
	return machipc_not_supported(3, thr_act, which_port, special_port);
}
