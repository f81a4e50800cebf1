/* SPDX-License-Identifier: MIT */
/* libmach internals: the device descriptor and the ioctl helpers. */
#ifndef LIBMACH_INTERNAL_H
#define LIBMACH_INTERNAL_H

#include <mach/mach.h>
#include <linux/machipc.h>

/* The name every space gives the task's own port (index 1, generation 3). */
#define MACHIPC_TASK_SELF_NAME 0x103

/* The caller's /dev/machipc descriptor, opened on first use; -1 on failure. */
int machipc_device_fd(void);

/* Runs a mach_port_* ioctl; returns its kern_return_t. */
kern_return_t machipc_port_call(unsigned long cmd, struct machipc_port_call *c);

/* Whether `task` names the caller's own task. */
static inline int machipc_is_self(mach_port_t task)
{
	return task == mach_task_self_;
}

#endif
