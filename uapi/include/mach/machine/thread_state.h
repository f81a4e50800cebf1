/* SPDX-License-Identifier: MIT */
/*
 * machipc: selects the machine-specific <mach/i386/thread_state.h>
 * and defines THREAD_STATE_MAX.
 */
#ifndef _MACH_MACHINE_THREAD_STATE_H_
#define _MACH_MACHINE_THREAD_STATE_H_

#include <mach/i386/thread_state.h>

/* Largest thread state of any architecture, in 32-bit words. */
#define THREAD_STATE_MAX        1296

#endif /* _MACH_MACHINE_THREAD_STATE_H_ */
