/* SPDX-License-Identifier: MIT */
/* machipc: the machine-level boolean_t type for x86_64 user space. */
#ifndef _MACH_I386_BOOLEAN_H_
#define _MACH_I386_BOOLEAN_H_

/* 64-bit user code sees boolean_t as an unsigned 32-bit value. */
typedef unsigned int boolean_t;

#endif /* _MACH_I386_BOOLEAN_H_ */
