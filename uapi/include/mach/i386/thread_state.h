/* SPDX-License-Identifier: MIT */
/* machipc: largest x86 thread state, in 32-bit words. */
#ifndef _MACH_I386_THREAD_STATE_H_
#define _MACH_I386_THREAD_STATE_H_

#define I386_THREAD_STATE_MAX   (614)

#endif /* _MACH_I386_THREAD_STATE_H_ */
