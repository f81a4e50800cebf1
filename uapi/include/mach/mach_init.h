/* SPDX-License-Identifier: MIT */
/*
 * machipc: per-process Mach state set up by the library - the task self
 * port, the bootstrap port - and the calls returning the self ports.
 */
#ifndef _MACH_INIT_
#define _MACH_INIT_     1

#include <stdarg.h>
#include <mach/mach_types.h>
#include <mach/vm_page_size.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each call returns a new send right the caller should deallocate. */
extern mach_port_t mach_host_self(void);
extern mach_port_t mach_thread_self(void);

extern boolean_t mach_task_is_self(task_name_t task);

extern kern_return_t host_page_size(host_t, vm_size_t *);

/* Send right to the calling task, cached at start-up; do not deallocate. */
extern mach_port_t mach_task_self_;
#define mach_task_self() mach_task_self_
#define current_task()  mach_task_self()

#ifdef __cplusplus
}
#endif

#include <mach/mach_traps.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Send right to the bootstrap server, set at start-up */
extern mach_port_t bootstrap_port;

/* Historical slots of mach_ports_register() */
#define NAME_SERVER_SLOT        0
#define ENVIRONMENT_SLOT        1
#define SERVICE_SLOT            2

#define MACH_PORTS_SLOTS_USED   3

/* Hook through which the library prints diagnostics */
extern int (*vprintf_stderr_func)(const char *format, va_list ap);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_INIT_ */
