/* SPDX-License-Identifier: MIT */
/*
 * machipc: host_info() flavors and their layouts, as XNU's
 * <mach/host_info.h>. Each flavor's count is its size in integer_t words;
 * machipc's kernel answers HOST_BASIC_INFO, HOST_SCHED_INFO,
 * HOST_PRIORITY_INFO, HOST_CAN_HAS_DEBUGGER, HOST_PREFERRED_USER_ARCH,
 * HOST_MACH_MSG_TRAP and HOST_SEMAPHORE_TRAPS (see README.md).
 */
#ifndef _MACH_HOST_INFO_H_
#define _MACH_HOST_INFO_H_

#include <stdint.h>
#include <mach/boolean.h>
#include <mach/machine.h>
#include <mach/machine/vm_types.h>
#include <mach/message.h>

typedef integer_t *host_info_t;
typedef integer_t *host_info64_t;
#define HOST_INFO_MAX   (1024)

typedef integer_t host_info_data_t[HOST_INFO_MAX];

#define KERNEL_VERSION_MAX (512)
typedef char kernel_version_t[KERNEL_VERSION_MAX];

#define KERNEL_BOOT_INFO_MAX (4096)
typedef char kernel_boot_info_t[KERNEL_BOOT_INFO_MAX];

typedef integer_t host_flavor_t;
#define HOST_BASIC_INFO          1
#define HOST_SCHED_INFO          3
#define HOST_RESOURCE_SIZES      4
#define HOST_PRIORITY_INFO       5
#define HOST_SEMAPHORE_TRAPS     7
#define HOST_MACH_MSG_TRAP       8
#define HOST_VM_PURGABLE         9
#define HOST_DEBUG_INFO_INTERNAL 10
#define HOST_CAN_HAS_DEBUGGER    11
#define HOST_PREFERRED_USER_ARCH 12

struct host_can_has_debugger_info {
	boolean_t can_has_debugger;
};
typedef struct host_can_has_debugger_info host_can_has_debugger_info_data_t;
typedef struct host_can_has_debugger_info *host_can_has_debugger_info_t;
#define HOST_CAN_HAS_DEBUGGER_COUNT ((mach_msg_type_number_t) \
	(sizeof(host_can_has_debugger_info_data_t) / sizeof(integer_t)))

#pragma pack(push, 4)

struct host_basic_info {
	integer_t max_cpus;             /* CPUs possible */
	integer_t avail_cpus;           /* CPUs online */
	natural_t memory_size;          /* bytes of memory, capped at 2 GB */
	cpu_type_t cpu_type;
	cpu_subtype_t cpu_subtype;
	cpu_threadtype_t cpu_threadtype;
	integer_t physical_cpu;         /* cores online */
	integer_t physical_cpu_max;     /* cores present */
	integer_t logical_cpu;          /* logical CPUs online */
	integer_t logical_cpu_max;      /* logical CPUs possible */
	uint64_t max_mem;               /* bytes of memory */
};

#pragma pack(pop)

typedef struct host_basic_info host_basic_info_data_t;
typedef struct host_basic_info *host_basic_info_t;
#define HOST_BASIC_INFO_COUNT ((mach_msg_type_number_t) \
	(sizeof(host_basic_info_data_t) / sizeof(integer_t)))

struct host_sched_info {
	integer_t min_timeout;          /* milliseconds */
	integer_t min_quantum;          /* milliseconds */
};
typedef struct host_sched_info host_sched_info_data_t;
typedef struct host_sched_info *host_sched_info_t;
#define HOST_SCHED_INFO_COUNT ((mach_msg_type_number_t) \
	(sizeof(host_sched_info_data_t) / sizeof(integer_t)))

struct kernel_resource_sizes {
	natural_t task;
	natural_t thread;
	natural_t port;
	natural_t memory_region;
	natural_t memory_object;
};
typedef struct kernel_resource_sizes kernel_resource_sizes_data_t;
typedef struct kernel_resource_sizes *kernel_resource_sizes_t;
#define HOST_RESOURCE_SIZES_COUNT ((mach_msg_type_number_t) \
	(sizeof(kernel_resource_sizes_data_t) / sizeof(integer_t)))

struct host_priority_info {
	integer_t kernel_priority;
	integer_t system_priority;
	integer_t server_priority;
	integer_t user_priority;
	integer_t depress_priority;
	integer_t idle_priority;
	integer_t minimum_priority;
	integer_t maximum_priority;
};
typedef struct host_priority_info host_priority_info_data_t;
typedef struct host_priority_info *host_priority_info_t;
#define HOST_PRIORITY_INFO_COUNT ((mach_msg_type_number_t) \
	(sizeof(host_priority_info_data_t) / sizeof(integer_t)))

struct host_preferred_user_arch {
	cpu_type_t cpu_type;
	cpu_subtype_t cpu_subtype;
};
typedef struct host_preferred_user_arch host_preferred_user_arch_data_t;
typedef struct host_preferred_user_arch *host_preferred_user_arch_t;
#define HOST_PREFERRED_USER_ARCH_COUNT ((mach_msg_type_number_t) \
	(sizeof(host_preferred_user_arch_data_t) / sizeof(integer_t)))

#endif /* _MACH_HOST_INFO_H_ */
