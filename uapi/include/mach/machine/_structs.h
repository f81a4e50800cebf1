/* SPDX-License-Identifier: MIT */
/* machipc: selects the machine-specific <mach/i386/_structs.h>. */
#ifndef _MACH_MACHINE__STRUCTS_H_
#define _MACH_MACHINE__STRUCTS_H_

#include <mach/i386/_structs.h>

#endif /* _MACH_MACHINE__STRUCTS_H_ */
