/* SPDX-License-Identifier: MIT */
/* machipc: selects the machine-specific <mach/i386/kern_return.h>. */
#ifndef _MACH_MACHINE_KERN_RETURN_H_
#define _MACH_MACHINE_KERN_RETURN_H_

#include <mach/i386/kern_return.h>

#endif /* _MACH_MACHINE_KERN_RETURN_H_ */
