/* SPDX-License-Identifier: MIT */
/* machipc: selects the machine-specific <mach/i386/boolean.h>. */
#ifndef _MACH_MACHINE_BOOLEAN_H_
#define _MACH_MACHINE_BOOLEAN_H_

#include <mach/i386/boolean.h>

#endif /* _MACH_MACHINE_BOOLEAN_H_ */
