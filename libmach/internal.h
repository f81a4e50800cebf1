/* SPDX-License-Identifier: MIT */
/* libmach internals: the device descriptor and the ioctl helpers. */
#ifndef LIBMACH_INTERNAL_H
#define LIBMACH_INTERNAL_H

#include <mach/mach.h>
#include <linux/machipc.h>
#include <mach/mach_traps.h>
#include <mach/mach_vm.h>

/* The name every space gives the task's own port (index 1, generation 3). */
#define MACHIPC_TASK_SELF_NAME 0x103

/* The caller's /dev/machipc descriptor, opened on first use; -1 on failure. */
int machipc_device_fd(void);

/* Runs a mach_port_* ioctl; returns its kern_return_t. */
kern_return_t machipc_port_call(unsigned long cmd, struct machipc_port_call *c);

/* MIG requests to another task's port (mig.c). machipc_mig_rpc fills in
 * the header of `req` (size bytes) but for its bits beyond the ports', sends
 * it to `task` and receives the reply, checking its id. */
kern_return_t machipc_mig_rpc(mach_port_t task, mach_msg_header_t *req, mach_msg_size_t size, int id,
			      mach_msg_header_t *rep, mach_msg_size_t rep_size);
kern_return_t machipc_mig_simple(mach_port_t task, int id, const void *args, size_t nargs, void *outs, size_t nouts);
/* The most words a *_info reply carries here (THREAD_INFO_MAX; the task
 * and host flavors served are smaller). */
#define MACHIPC_MIG_INFO_MAX 32
kern_return_t machipc_mig_info(mach_port_t port, int id, uint32_t flavor, integer_t *info,
			       mach_msg_type_number_t *count);
kern_return_t machipc_mig_port_out(mach_port_t task, int id, const void *args, size_t nargs, mach_port_t *port,
				   mach_msg_type_name_t *type);
kern_return_t machipc_mig_port_in(mach_port_t task, int id, mach_port_t port, mach_msg_type_name_t disp,
				  const void *args, size_t nargs);
void machipc_mig_forget_reply_port(void);
kern_return_t machipc_mig_port_in_out(mach_port_t task, int id, mach_port_t port, mach_msg_type_name_t disp,
				      const void *args, size_t nargs, mach_port_t *out);
kern_return_t machipc_mig_ool_out(mach_port_t task, int id, const void *args, size_t nargs, void **arrays,
				  mach_msg_type_number_t *counts, int n);

/* One mach_msg ioctl, without restarting on interruption (mach_msg.c). */
mach_msg_return_t machipc_msg_trap(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
				   mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
				   mach_msg_header_t *rcv_msg);

/*
 * Defines `trap` as another name of `fn`, a function of the same file: the
 * trap entry points of libsyscall (_kernelrpc_mach_port_*_trap, ...) take
 * the same arguments as the calls they are the fast path of.
 */
#define MACHIPC_TRAP_ALIAS(trap, fn) extern __typeof__(fn) trap __attribute__((alias(#fn)))

/*
 * XNU's answer to a call machipc does not have: KERN_NOT_SUPPORTED. Takes
 * the call's `nargs` arguments, so that none of them goes unused.
 */
static inline kern_return_t machipc_not_supported(int nargs, ...)
{
	(void)nargs;
	return KERN_NOT_SUPPORTED;
}

/* Whether `task` names the caller's own task. */
static inline int machipc_is_self(mach_port_t task)
{
	return task == mach_task_self_;
}

#endif
