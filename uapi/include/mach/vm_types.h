/* SPDX-License-Identifier: MIT */
/* machipc: virtual-memory scalar types and the vm_map_t port type. */
#ifndef _MACH_VM_TYPES_H_
#define _MACH_VM_TYPES_H_

#include <stdint.h>
#include <mach/port.h>
#include <mach/machine/vm_types.h>

typedef vm_offset_t             pointer_t;
typedef vm_offset_t             vm_address_t;

/* A 64-bit effective address */
typedef uint64_t                addr64_t;

/* A register's 32-bit half (historical) */
typedef uint32_t                reg64_t;

/* Physical page number */
typedef uint32_t                ppnum_t;
#define PPNUM_MAX               UINT32_MAX

/* In user space, address maps and named entries are ports. */
typedef mach_port_t             vm_map_t, vm_map_read_t, vm_map_inspect_t;
typedef mach_port_t             upl_t;
typedef mach_port_t             vm_named_entry_t;

#define VM_MAP_NULL             ((vm_map_t) 0)
#define VM_MAP_INSPECT_NULL     ((vm_map_inspect_t) 0)
#define VM_MAP_READ_NULL        ((vm_map_read_t) 0)
#define UPL_NULL                ((upl_t) 0)
#define VM_NAMED_ENTRY_NULL     ((vm_named_entry_t) 0)

/* Offsets and sizes within a memory object */
typedef uint64_t                vm_object_offset_t;
typedef uint64_t                vm_object_size_t;

#endif /* _MACH_VM_TYPES_H_ */
