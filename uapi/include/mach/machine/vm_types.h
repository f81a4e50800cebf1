/* SPDX-License-Identifier: MIT */
/* machipc: selects the machine-specific <mach/i386/vm_types.h>. */
#ifndef _MACH_MACHINE_VM_TYPES_H_
#define _MACH_MACHINE_VM_TYPES_H_

#include <mach/i386/vm_types.h>

#endif /* _MACH_MACHINE_VM_TYPES_H_ */
