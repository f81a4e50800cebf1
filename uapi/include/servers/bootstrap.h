/* SPDX-License-Identifier: MIT */
/*
 * The bootstrap name service (launchd's <servers/bootstrap.h>). machipc's
 * kernel serves one registry per IPC namespace; every task's bootstrap
 * port is a send right to its namespace's registry unless it inherited
 * another from its parent. The calls are MIG clients of launchd's classic
 * bootstrap.defs (subsystem 400), so any server of that interface (a
 * launchd-like supervisor that sets its children's TASK_BOOTSTRAP_PORT)
 * answers them too.
 */
#ifndef _SERVERS_BOOTSTRAP_H_
#define _SERVERS_BOOTSTRAP_H_

#include <mach/mach.h>
#include <servers/bootstrap_defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A send right to the bootstrap server, set when libmach opens the task. */
extern mach_port_t bootstrap_port;

/*
 * launchd declares the names `name_t` (char[128]); they are pointers here,
 * the same ABI, so that gcc does not take a shorter string for an overread.
 * A name travels as at most 127 bytes and a NUL, as MIG's mig_strncpy cuts
 * it.
 */

/* The receive right of the service `service_name`, made if it is free. */
kern_return_t bootstrap_check_in(mach_port_t bp, const char *service_name, mach_port_t *sp);

/* A send right to the service `service_name`. */
kern_return_t bootstrap_look_up(mach_port_t bp, const char *service_name, mach_port_t *sp);

/* Binds `service_name` to the send right `sp` (deprecated on macOS). */
kern_return_t bootstrap_register(mach_port_t bp, const char *service_name, mach_port_t sp);

/* A send right to the parent of the bootstrap `bp` (itself at the root). */
kern_return_t bootstrap_parent(mach_port_t bp, mach_port_t *parent_port);

/* A description of a bootstrap (or any Mach) return code. */
const char *bootstrap_strerror(kern_return_t r);

#ifdef __cplusplus
}
#endif

#endif
