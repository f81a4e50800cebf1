/* SPDX-License-Identifier: MIT */
/*
 * machipc: machine-independent thread-state types; the x86 flavors and
 * structures come from <mach/machine/thread_status.h>.
 */
#ifndef _MACH_THREAD_STATUS_H_
#define _MACH_THREAD_STATUS_H_

#include <mach/machine/vm_types.h>
#include <mach/machine/thread_status.h>
#include <mach/machine/thread_state.h>

/* A thread state is passed as an array of 32-bit words. */
typedef natural_t       *thread_state_t;
typedef natural_t       thread_state_data_t[THREAD_STATE_MAX];

/* Flavors returning the list of supported flavors */
#define THREAD_STATE_FLAVOR_LIST        0
#define THREAD_STATE_FLAVOR_LIST_NEW    128
#define THREAD_STATE_FLAVOR_LIST_10_9   129
#define THREAD_STATE_FLAVOR_LIST_10_13  130
#define THREAD_STATE_FLAVOR_LIST_10_15  131

typedef int                     thread_state_flavor_t;
typedef thread_state_flavor_t   *thread_state_flavor_array_t;

/* Directions for thread_convert_thread_state() */
#define THREAD_CONVERT_THREAD_STATE_TO_SELF   1
#define THREAD_CONVERT_THREAD_STATE_FROM_SELF 2

#endif /* _MACH_THREAD_STATUS_H_ */
