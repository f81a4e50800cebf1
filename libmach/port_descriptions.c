/* SPDX-License-Identifier: MIT */
/*
 * <mach/port_descriptions.h>: the special ports of hosts, tasks and
 * threads by index, macro name and description. The descriptions are
 * XNU's, so that tools that print them print the same words. Host ports
 * from HOST_FAIRPLAYD_PORT on have a description but, as on XNU, no name
 * that mach_host_special_port_for_id knows.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <mach/host_special_ports.h>
#include <mach/task_special_ports.h>
#include <mach/thread_special_ports.h>
#include <mach/port_descriptions.h>

struct special_port {
	int index;
	const char *id;   /* the macro's spelling; NULL: not looked up by name */
	const char *desc;
};

#define PORT(x, d) { x, #x, d }
#define PORT_UNNAMED(x, d) { x, NULL, d }

static const struct special_port host_ports[] = {
	PORT(HOST_PORT, "host (restricted)"),
	PORT(HOST_PRIV_PORT, "host private (restricted)"),
	PORT(HOST_IO_MAIN_PORT, "I/O main (restricted)"),
	PORT(HOST_DYNAMIC_PAGER_PORT, "dynamic pager"),
	PORT(HOST_AUDIT_CONTROL_PORT, "audit control"),
	PORT(HOST_USER_NOTIFICATION_PORT, "user notification"),
	PORT(HOST_AUTOMOUNTD_PORT, "automounter"),
	PORT(HOST_LOCKD_PORT, "lockd"),
	PORT(HOST_KTRACE_BACKGROUND_PORT, "ktrace background notification"),
	PORT(HOST_SEATBELT_PORT, "seatbelt"),
	PORT(HOST_KEXTD_PORT, "kextd"),
	PORT(HOST_LAUNCHCTL_PORT, "launchctl"),
	PORT(HOST_UNFREED_PORT, "fairplay"),
	PORT(HOST_AMFID_PORT, "amfi"),
	PORT(HOST_GSSD_PORT, "gssd"),
	PORT(HOST_TELEMETRY_PORT, "telemetry"),
	PORT(HOST_ATM_NOTIFICATION_PORT, "atm notification"),
	PORT(HOST_COALITION_PORT, "coalition notification"),
	PORT(HOST_SYSDIAGNOSE_PORT, "sysdiagnose notification"),
	PORT(HOST_XPC_EXCEPTION_PORT, "XPC exception"),
	PORT(HOST_CONTAINERD_PORT, "container manager"),
	PORT(HOST_NODE_PORT, "node"),
	PORT(HOST_RESOURCE_NOTIFY_PORT, "resource notify"),
	PORT(HOST_CLOSURED_PORT, "closured"),
	PORT(HOST_SYSPOLICYD_PORT, "syspolicyd"),
	PORT(HOST_FILECOORDINATIOND_PORT, "filecoordinationd"),
	PORT_UNNAMED(HOST_FAIRPLAYD_PORT, "fairplayd"),
	PORT_UNNAMED(HOST_IOCOMPRESSIONSTATS_PORT, "I/O compression stats"),
	PORT_UNNAMED(HOST_MEMORY_ERROR_PORT, "memory error stats"),
	PORT_UNNAMED(HOST_MANAGEDAPPDISTD_PORT, "managedappdistributiond"),
	PORT_UNNAMED(HOST_DOUBLEAGENTD_PORT, "doubleagentd"),
};
_Static_assert(HOST_DOUBLEAGENTD_PORT == HOST_MAX_SPECIAL_PORT,
	       "a new host special port needs an entry here");

static const struct special_port task_ports[] = {
	PORT(TASK_KERNEL_PORT, "kernel"),
	PORT(TASK_HOST_PORT, "host"),
	PORT(TASK_NAME_PORT, "name"),
	PORT(TASK_BOOTSTRAP_PORT, "bootstrap"),
	PORT(TASK_INSPECT_PORT, "inspect"),
	PORT(TASK_READ_PORT, "read"),
	PORT(TASK_ACCESS_PORT, "access"),
	PORT(TASK_DEBUG_CONTROL_PORT, "debug control"),
	PORT(TASK_RESOURCE_NOTIFY_PORT, "resource notify"),
};
_Static_assert(TASK_RESOURCE_NOTIFY_PORT == TASK_MAX_SPECIAL_PORT,
	       "a new task special port needs an entry here");

static const struct special_port thread_ports[] = {
	PORT(THREAD_KERNEL_PORT, "kernel"),
	PORT(THREAD_INSPECT_PORT, "inspect"),
	PORT(THREAD_READ_PORT, "read"),
};
_Static_assert(THREAD_READ_PORT == THREAD_MAX_SPECIAL_PORT,
	       "a new thread special port needs an entry here");

#define TABLE(t) t, sizeof(t) / sizeof((t)[0])

static const char *describe(const struct special_port *t, size_t n, int index)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].index == index)
			return t[i].desc;
	return NULL;
}

static int index_of(const struct special_port *t, size_t n, const char *id)
{
	if (id == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].id != NULL && strcmp(t[i].id, id) == 0)
			return t[i].index;
	errno = ENOENT;
	return -1;
}

const char *mach_host_special_port_description(int offset)
{
	return describe(TABLE(host_ports), offset);
}

const char *mach_task_special_port_description(int offset)
{
	return describe(TABLE(task_ports), offset);
}

const char *mach_thread_special_port_description(int offset)
{
	return describe(TABLE(thread_ports), offset);
}

int mach_host_special_port_for_id(const char *id)
{
	return index_of(TABLE(host_ports), id);
}

int mach_task_special_port_for_id(const char *id)
{
	return index_of(TABLE(task_ports), id);
}

int mach_thread_special_port_for_id(const char *id)
{
	return index_of(TABLE(thread_ports), id);
}
