/* SPDX-License-Identifier: MIT */
/*
 * machipc: machine-sized scalar types (natural_t, vm_offset_t, ...) with the
 * widths Mach uses for 64-bit (LP64) user programs.
 */
#ifndef _MACH_I386_VM_TYPES_H_
#define _MACH_I386_VM_TYPES_H_

#include <stdint.h>

#if !defined(__LP64__) && !defined(_LP64)
#error "machipc Mach headers describe the LP64 ABI only"
#endif

/* Always 32 bits wide, whatever the pointer size. */
typedef unsigned int            natural_t;
typedef int                     integer_t;

/* Pointer-sized address, offset and size in the current task. */
typedef uintptr_t               vm_offset_t;
typedef uintptr_t               vm_size_t;

/* Always 64 bits, for addressing any task. */
typedef uint64_t                mach_vm_address_t;
typedef uint64_t                mach_vm_offset_t;
typedef uint64_t                mach_vm_size_t;
typedef uint64_t                vm_map_offset_t;
typedef uint64_t                vm_map_address_t;
typedef uint64_t                vm_map_size_t;

/* The user-settable context value stored on a port. */
typedef mach_vm_address_t       mach_port_context_t;

#endif /* _MACH_I386_VM_TYPES_H_ */
