/* SPDX-License-Identifier: MIT */
/*
 * machipc: task calls (special ports, exception ports, suspension), with
 * the C signatures MIG produces from task.defs. Only a subset of Darwin's
 * task interface is declared.
 */
#ifndef _task_user_
#define _task_user_

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

#ifdef __cplusplus
extern "C" {
#endif

kern_return_t task_terminate(
	task_t target_task);

kern_return_t task_threads(
	task_inspect_t target_task,
	thread_act_array_t *act_list,
	mach_msg_type_number_t *act_listCnt);

kern_return_t task_suspend(
	task_read_t target_task);

kern_return_t task_resume(
	task_read_t target_task);

kern_return_t task_info(
	task_name_t target_task,
	task_flavor_t flavor,
	task_info_t task_info_out,
	mach_msg_type_number_t *task_info_outCnt);

kern_return_t task_get_exc_guard_behavior(
	task_inspect_t task,
	task_exc_guard_behavior_t *behavior);

kern_return_t task_set_exc_guard_behavior(
	task_t task,
	task_exc_guard_behavior_t behavior);

/* A new identity token of `task` (control port): a port that names the
 * task without giving any right over it. */
kern_return_t task_create_identity_token(
	task_t task,
	task_id_token_t *token);

/* The port of `flavor` (TASK_FLAVOR_*) of the task `token` names, if it
 * still runs and the caller may have that port (KERN_NOT_FOUND once the
 * task exited or exec'd). */
kern_return_t task_identity_token_get_task_port(
	task_id_token_t token,
	task_flavor_t flavor,
	mach_port_t *task_port);

kern_return_t task_get_special_port(
	task_inspect_t task,
	int which_port,
	mach_port_t *special_port);

kern_return_t task_set_special_port(
	task_t task,
	int which_port,
	mach_port_t special_port);

kern_return_t task_set_exception_ports(
	task_t task,
	exception_mask_t exception_mask,
	mach_port_t new_port,
	exception_behavior_t behavior,
	thread_state_flavor_t new_flavor);

/* The four arrays hold up to 32 entries; *masksCnt is in/out. */
kern_return_t task_get_exception_ports(
	task_t task,
	exception_mask_t exception_mask,
	exception_mask_array_t masks,
	mach_msg_type_number_t *masksCnt,
	exception_handler_array_t old_handlers,
	exception_behavior_array_t old_behaviors,
	exception_flavor_array_t old_flavors);

/* The handlers as task_get_exception_ports reports them, each port as an
 * ipc_info_port_t instead of a right. */
kern_return_t task_get_exception_ports_info(
	mach_port_t port,
	exception_mask_t exception_mask,
	exception_mask_array_t masks,
	mach_msg_type_number_t *masksCnt,
	exception_handler_info_array_t old_handlers_info,
	exception_behavior_array_t old_behaviors,
	exception_flavor_array_t old_flavors);

kern_return_t task_swap_exception_ports(
	task_t task,
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

#endif /* _task_user_ */
