/* SPDX-License-Identifier: MIT */
/*
 * The trap entry points of libsyscall (mach_traps.s in XNU): each forwards
 * to the public call it is the fast path of. mach_msg's traps are one
 * ioctl each; an interruption is returned, not retried.
 */
#include "internal.h"

#include <mach/mach_traps.h>
#include <mach/mach_vm.h>

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
	return mach_vm_protect(target, address, size, set_maximum, new_protection);
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

mach_port_name_t host_self_trap(void)
{
	return mach_host_self();
}

mach_port_name_t thread_self_trap(void)
{
	return mach_thread_self();
}

kern_return_t mach_generate_activity_id(mach_port_name_t target, int count, uint64_t *activity_id)
{
	(void)target, (void)count, (void)activity_id;
	return KERN_NOT_SUPPORTED;
}
