/* SPDX-License-Identifier: MIT */
/*
 * machipc: vm_allocate() and friends on vm_address_t/vm_size_t, as declared
 * for Darwin user programs (a subset of vm_map.defs).
 */
#ifndef _vm_map_user_
#define _vm_map_user_

#include <mach/ndr.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/notify.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/std_types.h>
#include <mach/mig.h>

#ifdef __cplusplus
extern "C" {
#endif

/* flags: VM_FLAGS_ANYWHERE or VM_FLAGS_FIXED, plus others */
kern_return_t vm_allocate(
	vm_map_t target_task,
	vm_address_t *address,
	vm_size_t size,
	int flags);

kern_return_t vm_deallocate(
	vm_map_t target_task,
	vm_address_t address,
	vm_size_t size);

kern_return_t vm_protect(
	vm_map_t target_task,
	vm_address_t address,
	vm_size_t size,
	boolean_t set_maximum,
	vm_prot_t new_protection);

#ifdef __cplusplus
}
#endif

#endif /* _vm_map_user_ */
