/* SPDX-License-Identifier: MIT */
/* machipc: selects the machine-specific <mach/i386/exception.h>. */
#ifndef _MACH_MACHINE_EXCEPTION_H_
#define _MACH_MACHINE_EXCEPTION_H_

#include <mach/i386/exception.h>

#endif /* _MACH_MACHINE_EXCEPTION_H_ */
