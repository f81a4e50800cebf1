/* SPDX-License-Identifier: MIT */
/*
 * machipc: thread calls (state, special ports, exception ports), with the C
 * signatures MIG produces from thread_act.defs. Only a subset of Darwin's
 * thread interface is declared.
 */
#ifndef _thread_act_user_
#define _thread_act_user_

#include <mach/ndr.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/notify.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/std_types.h>
#include <mach/mig.h>
#include <mach_debug/ipc_info.h>
#include <mach/thread_info.h>

#ifdef __cplusplus
extern "C" {
#endif

kern_return_t thread_terminate(
	thread_act_t target_act);

/* *old_stateCnt is in/out, in 32-bit words */
kern_return_t thread_get_state(
	thread_read_t target_act,
	thread_state_flavor_t flavor,
	thread_state_t old_state,
	mach_msg_type_number_t *old_stateCnt);

kern_return_t thread_set_state(
	thread_act_t target_act,
	thread_state_flavor_t flavor,
	thread_state_t new_state,
	mach_msg_type_number_t new_stateCnt);

kern_return_t thread_suspend(
	thread_read_t target_act);

kern_return_t thread_resume(
	thread_read_t target_act);

kern_return_t thread_get_special_port(
	thread_inspect_t thr_act,
	int which_port,
	mach_port_t *special_port);

kern_return_t thread_set_special_port(
	thread_act_t thr_act,
	int which_port,
	mach_port_t special_port);

kern_return_t thread_info(
	thread_inspect_t target_act,
	thread_flavor_t flavor,
	thread_info_t thread_info_out,
	mach_msg_type_number_t *thread_info_outCnt);

kern_return_t thread_set_exception_ports(
	thread_act_t thread,
	exception_mask_t exception_mask,
	mach_port_t new_port,
	exception_behavior_t behavior,
	thread_state_flavor_t new_flavor);

kern_return_t thread_get_exception_ports(
	thread_act_t thread,
	exception_mask_t exception_mask,
	exception_mask_array_t masks,
	mach_msg_type_number_t *masksCnt,
	exception_handler_array_t old_handlers,
	exception_behavior_array_t old_behaviors,
	exception_flavor_array_t old_flavors);

/* The handlers as thread_get_exception_ports reports them, each port as an
 * ipc_info_port_t instead of a right. */
kern_return_t thread_get_exception_ports_info(
	mach_port_t port,
	exception_mask_t exception_mask,
	exception_mask_array_t masks,
	mach_msg_type_number_t *masksCnt,
	exception_handler_info_array_t old_handlers_info,
	exception_behavior_array_t old_behaviors,
	exception_flavor_array_t old_flavors);

kern_return_t thread_swap_exception_ports(
	thread_act_t thread,
	exception_mask_t exception_mask,
	mach_port_t new_port,
	exception_behavior_t behavior,
	thread_state_flavor_t new_flavor,
	exception_mask_array_t masks,
	mach_msg_type_number_t *masksCnt,
	exception_handler_array_t old_handlers,
	exception_behavior_array_t old_behaviors,
	exception_flavor_array_t old_flavors);

#ifdef __cplusplus
}
#endif

#endif /* _thread_act_user_ */
