/* SPDX-License-Identifier: MIT */
/*
 * machipc: XNU's <mach/port_descriptions.h>, names and short descriptions
 * of the host, task and thread special ports (libmach's
 * port_descriptions.c). Not included by <mach/mach.h>, as on XNU.
 */
#ifndef _MACH_PORT_DESCRIPTIONS_
#define _MACH_PORT_DESCRIPTIONS_

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A short description of the special port with this index, or NULL for an
 * index out of range.
 */
const char *mach_host_special_port_description(int offset);
const char *mach_task_special_port_description(int offset);
const char *mach_thread_special_port_description(int offset);

/*
 * The index of the special port whose macro is spelled `id`
 * ("TASK_BOOTSTRAP_PORT" gives TASK_BOOTSTRAP_PORT), or -1 with errno
 * EINVAL for NULL and ENOENT for a name not known.
 */
int mach_host_special_port_for_id(const char *id);
int mach_task_special_port_for_id(const char *id);
int mach_thread_special_port_for_id(const char *id);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_PORT_DESCRIPTIONS_ */
