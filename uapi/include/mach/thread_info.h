/* SPDX-License-Identifier: MIT */
/*
 * machipc: thread_info flavors and their layouts, as XNU's
 * <mach/thread_info.h> (x86_64). Each flavor's count is its size in
 * natural_t words. machipc's kernel answers THREAD_BASIC_INFO,
 * THREAD_IDENTIFIER_INFO and THREAD_EXTENDED_INFO; any other flavor is
 * KERN_INVALID_ARGUMENT (see README.md for where the values come from).
 */
#ifndef _MACH_THREAD_INFO_H_
#define _MACH_THREAD_INFO_H_

#include <stdint.h>
#include <mach/boolean.h>
#include <mach/machine/vm_types.h>
#include <mach/message.h>
#include <mach/policy.h>
#include <mach/time_value.h>

typedef natural_t thread_flavor_t;
typedef integer_t *thread_info_t; /* varying array of int */

#define THREAD_INFO_MAX (32) /* maximum array size */
typedef integer_t thread_info_data_t[THREAD_INFO_MAX];

#define THREAD_BASIC_INFO 3
struct thread_basic_info {
	time_value_t user_time;   /* user run time */
	time_value_t system_time; /* system run time */
	integer_t cpu_usage;      /* scaled cpu usage percentage */
	policy_t policy;          /* scheduling policy in effect */
	integer_t run_state;      /* run state (TH_STATE_*) */
	integer_t flags;          /* TH_FLAGS_* */
	integer_t suspend_count;  /* suspend count for thread */
	integer_t sleep_time;     /* seconds the thread has been sleeping */
};
typedef struct thread_basic_info thread_basic_info_data_t;
typedef struct thread_basic_info *thread_basic_info_t;
#define THREAD_BASIC_INFO_COUNT \
	((mach_msg_type_number_t)(sizeof(thread_basic_info_data_t) / sizeof(natural_t)))

#define THREAD_IDENTIFIER_INFO 4
struct thread_identifier_info {
	uint64_t thread_id;      /* system-wide unique 64-bit thread id */
	uint64_t thread_handle;  /* the thread's pthread_t */
	uint64_t dispatch_qaddr; /* libdispatch queue address */
};
typedef struct thread_identifier_info thread_identifier_info_data_t;
typedef struct thread_identifier_info *thread_identifier_info_t;
#define THREAD_IDENTIFIER_INFO_COUNT \
	((mach_msg_type_number_t)(sizeof(thread_identifier_info_data_t) / sizeof(natural_t)))

/* Scale of cpu_usage. */
#define TH_USAGE_SCALE 1000

/* run_state */
#define TH_STATE_RUNNING 1         /* thread is running normally */
#define TH_STATE_STOPPED 2         /* thread is stopped */
#define TH_STATE_WAITING 3         /* thread is waiting normally */
#define TH_STATE_UNINTERRUPTIBLE 4 /* thread is in an uninterruptible wait */
#define TH_STATE_HALTED 5          /* thread is halted at a clean point */

/* flags */
#define TH_FLAGS_SWAPPED 0x1            /* thread is swapped out */
#define TH_FLAGS_IDLE 0x2               /* thread is an idle thread */
#define TH_FLAGS_GLOBAL_FORCED_IDLE 0x4 /* thread performs global forced idle */

#define THREAD_EXTENDED_INFO 5
#define MAXTHREADNAMESIZE 64
struct thread_extended_info {
	uint64_t pth_user_time;   /* user run time, ns */
	uint64_t pth_system_time; /* system run time, ns */
	int32_t pth_cpu_usage;    /* scaled cpu usage percentage */
	int32_t pth_policy;       /* scheduling policy in effect */
	int32_t pth_run_state;    /* run state */
	int32_t pth_flags;        /* flags */
	int32_t pth_sleep_time;   /* seconds the thread has been sleeping */
	int32_t pth_curpri;       /* current priority */
	int32_t pth_priority;     /* priority */
	int32_t pth_maxpriority;  /* max priority */
	char pth_name[MAXTHREADNAMESIZE]; /* thread name, if any */
};
typedef struct thread_extended_info thread_extended_info_data_t;
typedef struct thread_extended_info *thread_extended_info_t;
#define THREAD_EXTENDED_INFO_COUNT \
	((mach_msg_type_number_t)(sizeof(thread_extended_info_data_t) / sizeof(natural_t)))

#define THREAD_DEBUG_INFO_INTERNAL 6

#define THREAD_SCHED_TIMESHARE_INFO 10
#define THREAD_SCHED_RR_INFO 11
#define THREAD_SCHED_FIFO_INFO 12

#endif /* _MACH_THREAD_INFO_H_ */
