/* SPDX-License-Identifier: MIT */
/*
 * The trap entry points of libsyscall (mach_traps.s in XNU) that are not
 * plain other names of a call (those are MACHIPC_TRAP_ALIAS lines next to
 * their calls). mach_msg's traps are one ioctl each; an interruption is
 * returned, not retried.
 */
#include "internal.h"

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

mach_port_name_t mach_reply_port(void)
{
	mach_port_name_t name = MACH_PORT_NULL;

	if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	return name;
}

mach_port_name_t task_self_trap(void)
{
	return mach_task_self_;
}

kern_return_t mach_generate_activity_id(mach_port_name_t target, int count, uint64_t *activity_id)
{
	return machipc_not_supported(3, target, count, activity_id);
}
