/* SPDX-License-Identifier: MIT */
/* machipc: selects the machine-specific <mach/i386/thread_status.h>. */
#ifndef _MACH_MACHINE_THREAD_STATUS_H_
#define _MACH_MACHINE_THREAD_STATUS_H_

#include <mach/i386/thread_status.h>

#endif /* _MACH_MACHINE_THREAD_STATUS_H_ */
