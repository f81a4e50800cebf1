/* SPDX-License-Identifier: MIT */
/*
 * machipc: the 64-bit mach_vm_* memory calls, as declared for Darwin user
 * programs (a subset of mach_vm.defs).
 */
#ifndef _mach_vm_user_
#define _mach_vm_user_

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

kern_return_t mach_vm_allocate(
	vm_map_t target,
	mach_vm_address_t *address,
	mach_vm_size_t size,
	int flags);

kern_return_t mach_vm_deallocate(
	vm_map_t target,
	mach_vm_address_t address,
	mach_vm_size_t size);

kern_return_t mach_vm_protect(
	vm_map_t target_task,
	mach_vm_address_t address,
	mach_vm_size_t size,
	boolean_t set_maximum,
	vm_prot_t new_protection);

#ifdef __cplusplus
}
#endif

#endif /* _mach_vm_user_ */
