/* SPDX-License-Identifier: MIT */
/*
 * machipc: task_info flavors and their layouts, as XNU's <mach/task_info.h>
 * (x86_64). The structures are packed to 4 bytes, as MIG carries them; each
 * flavor's count is its size in natural_t words. machipc's kernel answers
 * the flavors defined here with their structures; any other flavor is
 * KERN_INVALID_ARGUMENT.
 */
#ifndef _MACH_TASK_INFO_H_
#define _MACH_TASK_INFO_H_

#include <stdint.h>
#include <mach/machine/vm_types.h>
#include <mach/message.h>
#include <mach/policy.h>
#include <mach/time_value.h>

typedef natural_t task_flavor_t;
typedef integer_t *task_info_t;

#define TASK_INFO_MAX (1024)
typedef integer_t task_info_data_t[TASK_INFO_MAX];

#pragma pack(push, 4)

/* Sizes and the times of the task's exited threads. */
#define TASK_BASIC_INFO_32 4
#define TASK_BASIC2_INFO_32 6 /* resident_size is the peak */
struct task_basic_info_32 {
	integer_t suspend_count;
	natural_t virtual_size;
	natural_t resident_size;
	time_value_t user_time;
	time_value_t system_time;
	policy_t policy;
};
typedef struct task_basic_info_32 task_basic_info_32_data_t;
typedef struct task_basic_info_32 *task_basic_info_32_t;
#define TASK_BASIC_INFO_32_COUNT (sizeof(task_basic_info_32_data_t) / sizeof(natural_t))

#define TASK_BASIC_INFO_64 5
struct task_basic_info_64 {
	integer_t suspend_count;
	mach_vm_size_t virtual_size;
	mach_vm_size_t resident_size;
	time_value_t user_time;
	time_value_t system_time;
	policy_t policy;
};
typedef struct task_basic_info_64 task_basic_info_64_data_t;
typedef struct task_basic_info_64 *task_basic_info_64_t;
#define TASK_BASIC_INFO_64_COUNT (sizeof(task_basic_info_64_data_t) / sizeof(natural_t))

/* The deprecated native-width form (TASK_BASIC_INFO_64 on LP64). */
struct task_basic_info {
	integer_t suspend_count;
	vm_size_t virtual_size;
	vm_size_t resident_size;
	time_value_t user_time;
	time_value_t system_time;
	policy_t policy;
};
typedef struct task_basic_info task_basic_info_data_t;
typedef struct task_basic_info *task_basic_info_t;
#define TASK_BASIC_INFO_COUNT (sizeof(task_basic_info_data_t) / sizeof(natural_t))
#if defined(__LP64__)
#define TASK_BASIC_INFO TASK_BASIC_INFO_64
#else
#define TASK_BASIC_INFO TASK_BASIC_INFO_32
#endif

/* The times of the task's live threads. */
#define TASK_THREAD_TIMES_INFO 3
struct task_thread_times_info {
	time_value_t user_time;
	time_value_t system_time;
};
typedef struct task_thread_times_info task_thread_times_info_data_t;
typedef struct task_thread_times_info *task_thread_times_info_t;
#define TASK_THREAD_TIMES_INFO_COUNT \
	((mach_msg_type_number_t)(sizeof(task_thread_times_info_data_t) / sizeof(natural_t)))

/* All threads' and the live threads' times, in mach_absolute_time units. */
#define TASK_ABSOLUTETIME_INFO 1
struct task_absolutetime_info {
	uint64_t total_user;
	uint64_t total_system;
	uint64_t threads_user;
	uint64_t threads_system;
};
typedef struct task_absolutetime_info task_absolutetime_info_data_t;
typedef struct task_absolutetime_info *task_absolutetime_info_t;
#define TASK_ABSOLUTETIME_INFO_COUNT \
	((mach_msg_type_number_t)(sizeof(task_absolutetime_info_data_t) / sizeof(natural_t)))

/* A security_token_t and an audit_token_t (mach/message.h). */
#define TASK_SECURITY_TOKEN 13
#define TASK_SECURITY_TOKEN_COUNT ((mach_msg_type_number_t)(sizeof(security_token_t) / sizeof(natural_t)))
#define TASK_AUDIT_TOKEN 15
#define TASK_AUDIT_TOKEN_COUNT (sizeof(audit_token_t) / sizeof(natural_t))

/* Sizes, the peak resident size, and the times of the exited threads. */
#define MACH_TASK_BASIC_INFO 20
struct mach_task_basic_info {
	mach_vm_size_t virtual_size;
	mach_vm_size_t resident_size;
	mach_vm_size_t resident_size_max;
	time_value_t user_time;
	time_value_t system_time;
	policy_t policy;
	integer_t suspend_count;
};
typedef struct mach_task_basic_info mach_task_basic_info_data_t;
typedef struct mach_task_basic_info *mach_task_basic_info_t;
#define MACH_TASK_BASIC_INFO_COUNT \
	((mach_msg_type_number_t)(sizeof(mach_task_basic_info_data_t) / sizeof(natural_t)))

#pragma pack(pop)

/* EXC_GUARD delivery policy (task_get/set_exc_guard_behavior). machipc
 * keeps it but raises no EXC_GUARD. */
typedef uint32_t task_exc_guard_behavior_t;
#define TASK_EXC_GUARD_NONE 0x00
#define TASK_EXC_GUARD_VM_DELIVER 0x01
#define TASK_EXC_GUARD_VM_ONCE 0x02
#define TASK_EXC_GUARD_VM_CORPSE 0x04
#define TASK_EXC_GUARD_VM_FATAL 0x08
#define TASK_EXC_GUARD_VM_ALL 0x0f
#define TASK_EXC_GUARD_MP_DELIVER 0x10
#define TASK_EXC_GUARD_MP_ONCE 0x20
#define TASK_EXC_GUARD_MP_CORPSE 0x40
#define TASK_EXC_GUARD_MP_FATAL 0x80
#define TASK_EXC_GUARD_MP_ALL 0xf0
#define TASK_EXC_GUARD_ALL 0xff

#endif
