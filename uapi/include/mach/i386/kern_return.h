/* SPDX-License-Identifier: MIT */
/* machipc: the machine-level kern_return_t type. */
#ifndef _MACH_I386_KERN_RETURN_H_
#define _MACH_I386_KERN_RETURN_H_

typedef int kern_return_t;

#endif /* _MACH_I386_KERN_RETURN_H_ */
