/* SPDX-License-Identifier: MIT */
/* machipc: selectors for task_get_special_port()/task_set_special_port(). */
#ifndef _MACH_TASK_SPECIAL_PORTS_H_
#define _MACH_TASK_SPECIAL_PORTS_H_

typedef int     task_special_port_t;

#define TASK_KERNEL_PORT        1   /* the task's own control port */
#define TASK_HOST_PORT          2   /* host port given to the task */
#define TASK_NAME_PORT          3   /* the task's name port */
#define TASK_BOOTSTRAP_PORT     4   /* bootstrap server */
#define TASK_INSPECT_PORT       5   /* inspect-only task port */
#define TASK_READ_PORT          6   /* read-only task port */
/* 7 and 8 are no longer used */
#define TASK_ACCESS_PORT        9   /* task_for_pid() permission checks */
#define TASK_DEBUG_CONTROL_PORT 10  /* debug control */
#define TASK_RESOURCE_NOTIFY_PORT 11 /* resource notifications */

#define TASK_MAX_SPECIAL_PORT TASK_RESOURCE_NOTIFY_PORT

/* Shorthands */
#define task_get_kernel_port(task, port) \
	(task_get_special_port((task), TASK_KERNEL_PORT, (port)))
#define task_set_kernel_port(task, port) \
	(task_set_special_port((task), TASK_KERNEL_PORT, (port)))
#define task_get_host_port(task, port) \
	(task_get_special_port((task), TASK_HOST_PORT, (port)))
#define task_set_host_port(task, port) \
	(task_set_special_port((task), TASK_HOST_PORT, (port)))
#define task_get_bootstrap_port(task, port) \
	(task_get_special_port((task), TASK_BOOTSTRAP_PORT, (port)))
#define task_get_debug_control_port(task, port) \
	(task_get_special_port((task), TASK_DEBUG_CONTROL_PORT, (port)))
#define task_set_bootstrap_port(task, port) \
	(task_set_special_port((task), TASK_BOOTSTRAP_PORT, (port)))
#define task_get_task_access_port(task, port) \
	(task_get_special_port((task), TASK_ACCESS_PORT, (port)))
#define task_set_task_access_port(task, port) \
	(task_set_special_port((task), TASK_ACCESS_PORT, (port)))
#define task_set_task_debug_control_port(task, port) \
	(task_set_special_port((task), TASK_DEBUG_CONTROL_PORT, (port)))

#endif /* _MACH_TASK_SPECIAL_PORTS_H_ */
