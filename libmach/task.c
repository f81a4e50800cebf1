/* SPDX-License-Identifier: MIT */
/*
 * Task calls: special ports, task_for_pid/pid_for_task and the task
 * controls. Another task's special ports go as the MIG requests the kernel
 * serves on its task port; suspending or listing a task's threads is not
 * something machipc can do (KERN_NOT_SUPPORTED).
 */
#include "internal.h"
#include "mig_ids.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

kern_return_t task_get_special_port(task_inspect_t task, int which_port, mach_port_t *special_port)
{
	if (!machipc_is_self(task)) {
		uint32_t a[] = { (uint32_t)which_port };

		return machipc_mig_port_out(task, MIG_TASK_GET_SPECIAL_PORT, a, sizeof(a), special_port, NULL);
	}
	struct machipc_port_call c = { .flavor = (uint32_t)which_port };
	kern_return_t kr = machipc_port_call(MACHIPC_IOC_GET_SPECIAL_PORT, &c);

	if (kr == KERN_SUCCESS)
		*special_port = c.name;
	return kr;
}

kern_return_t task_info(task_name_t target_task, task_flavor_t flavor, task_info_t task_info_out,
			mach_msg_type_number_t *task_info_outCnt)
{
	return machipc_mig_info(target_task, MIG_TASK_INFO, (uint32_t)flavor, task_info_out, task_info_outCnt);
}

kern_return_t task_get_exc_guard_behavior(task_inspect_t task, task_exc_guard_behavior_t *behavior)
{
	return machipc_mig_simple(task, MIG_TASK_GET_EXC_GUARD_BEHAVIOR, NULL, 0, behavior, sizeof(*behavior));
}

kern_return_t task_set_exc_guard_behavior(task_t task, task_exc_guard_behavior_t behavior)
{
	return machipc_mig_simple(task, MIG_TASK_SET_EXC_GUARD_BEHAVIOR, &behavior, sizeof(behavior), NULL, 0);
}

kern_return_t task_set_special_port(task_t task, int which_port, mach_port_t special_port)
{
	if (!machipc_is_self(task)) {
		uint32_t a[] = { (uint32_t)which_port };

		return machipc_mig_port_in(task, MIG_TASK_SET_SPECIAL_PORT, special_port, MACH_MSG_TYPE_COPY_SEND, a,
					   sizeof(a));
	}
	struct machipc_port_call c = { .flavor = (uint32_t)which_port, .name = special_port };

	return machipc_port_call(MACHIPC_IOC_SET_SPECIAL_PORT, &c);
}

kern_return_t task_create_identity_token(task_t task, task_id_token_t *token)
{
	return machipc_mig_port_out(task, MIG_TASK_CREATE_IDENTITY_TOKEN, NULL, 0, token, NULL);
}

kern_return_t task_identity_token_get_task_port(task_id_token_t token, task_flavor_t flavor, mach_port_t *task_port)
{
	uint32_t a[] = { (uint32_t)flavor };

	return machipc_mig_port_out(token, MIG_TASK_IDENTITY_TOKEN_GET_TASK_PORT, a, sizeof(a), task_port, NULL);
}

boolean_t mach_task_is_self(task_name_t task)
{
	boolean_t is_self = FALSE;

	/* Any flavor of the caller's own task port: the kernel knows. */
	if (task == mach_task_self_)
		return TRUE;
	if (machipc_mig_simple(task, MIG_MACH_TASK_IS_SELF, NULL, 0, &is_self, sizeof(is_self)) != KERN_SUCCESS)
		return FALSE;
	return is_self;
}

kern_return_t task_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *t)
{
	struct machipc_port_call c = { .flavor = (uint32_t)pid };
	kern_return_t kr;

	if (!machipc_is_self(target_tport))
		return KERN_FAILURE;
	kr = machipc_port_call(MACHIPC_IOC_TASK_FOR_PID, &c);
	if (kr == KERN_SUCCESS)
		*t = c.name;
	return kr;
}

kern_return_t pid_for_task(mach_port_name_t t, int *x)
{
	struct machipc_port_call c = { .name = t };
	kern_return_t kr = machipc_port_call(MACHIPC_IOC_PID_FOR_TASK, &c);

	if (kr == KERN_SUCCESS)
		*x = (int)c.value;
	return kr;
}

/* The port of `flavor` (1 read, 2 inspect, 3 name) of process `pid`. */
static kern_return_t flavor_for_pid(int pid, uint32_t flavor, mach_port_name_t *t)
{
	struct machipc_port_call c = { .flavor = (uint32_t)pid, .right = flavor };
	kern_return_t kr = machipc_port_call(MACHIPC_IOC_TASK_FLAVOR_FOR_PID, &c);

	*t = kr == KERN_SUCCESS ? c.name : MACH_PORT_NULL;
	return kr;
}

kern_return_t task_name_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *tn)
{
	*tn = MACH_PORT_NULL;
	if (!machipc_is_self(target_tport))
		return KERN_FAILURE;
	return flavor_for_pid(pid, 3, tn) == KERN_SUCCESS ? KERN_SUCCESS : KERN_FAILURE;
}

/* task_read_for_pid and task_inspect_for_pid are BSD calls on XNU: 0, or
 * -1 with errno (EPERM for pid 0 or no permission, EINVAL for a bad
 * target_tport, ESRCH for no such process). */
static int bsd_flavor_for_pid(mach_port_name_t target_tport, int pid, uint32_t flavor, mach_port_name_t *t)
{
	kern_return_t kr;

	*t = MACH_PORT_NULL;
	if (pid == 0) {
		errno = EPERM;
		return -1;
	}
	if (!machipc_is_self(target_tport)) {
		errno = EINVAL;
		return -1;
	}
	kr = flavor_for_pid(pid, flavor, t);
	if (kr == KERN_SUCCESS)
		return 0;
	errno = kr == KERN_PROTECTION_FAILURE ? EPERM : ESRCH;
	return -1;
}

int task_read_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *t)
{
	return bsd_flavor_for_pid(target_tport, pid, 1, t);
}

int task_inspect_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *t)
{
	return bsd_flavor_for_pid(target_tport, pid, 2, t);
}

kern_return_t debug_control_port_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *t)
{
	return machipc_not_supported(3, target_tport, pid, t);
}

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
	return machipc_not_supported(1, target_task);
}

kern_return_t task_resume(task_read_t target_task)
{
	return machipc_not_supported(1, target_task);
}

kern_return_t task_threads(task_inspect_t target_task, thread_act_array_t *act_list,
			   mach_msg_type_number_t *act_listCnt)
{
	/* MIG's reply: one out-of-line ports descriptor, then NDR and its count
	 * (or a mig_reply_error_t). */
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
	} req;
	union {
		mig_reply_error_t err;
		struct {
			mach_msg_header_t h;
			mach_msg_body_t body;
			mach_msg_ool_ports_descriptor_t act_list;
			NDR_record_t ndr;
			mach_msg_type_number_t act_listCnt;
			mach_msg_max_trailer_t trailer;
		} ok;
	} rep;
	kern_return_t kr;

	memset(&req, 0, sizeof(req));
	req.ndr = NDR_record;
	kr = machipc_mig_rpc(target_task, &req.h, sizeof(req), MIG_TASK_THREADS, &rep.ok.h, sizeof(rep));
	if (kr != KERN_SUCCESS)
		return kr;
	if (!(rep.ok.h.msgh_bits & MACH_MSGH_BITS_COMPLEX))
		return rep.err.RetCode != KERN_SUCCESS ? rep.err.RetCode : MIG_TYPE_ERROR;
	if (rep.ok.body.msgh_descriptor_count != 1 || rep.ok.act_list.type != MACH_MSG_OOL_PORTS_DESCRIPTOR ||
	    rep.ok.act_list.count != rep.ok.act_listCnt) {
		mach_msg_destroy(&rep.ok.h);
		return MIG_TYPE_ERROR;
	}
	*act_list = (thread_act_array_t)rep.ok.act_list.address;
	*act_listCnt = rep.ok.act_listCnt;
	return KERN_SUCCESS;
}

kern_return_t task_set_port_space(ipc_space_t task, int table_entries)
{
	/* A sizing hint: the space grows on demand anyway. */
	(void)task, (void)table_entries;
	return KERN_SUCCESS;
}
