/* SPDX-License-Identifier: MIT */
/*
 * vm_allocate/deallocate/protect, their mach_vm_ variants and the vm_map
 * trap, on the caller's own memory (mmap, munmap, mprotect).
 */
#include "internal.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

static kern_return_t allocate(vm_map_t task, mach_vm_address_t *address, mach_vm_size_t size, int flags)
{
	long page = sysconf(_SC_PAGESIZE);
	void *want, *p;
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS;

	if (!machipc_is_self(task))
		return KERN_INVALID_ARGUMENT;
	if (size == 0) {
		*address = 0;
		return KERN_SUCCESS;
	}
	size = (size + page - 1) & ~(mach_vm_size_t)(page - 1);
	if (flags & VM_FLAGS_ANYWHERE) {
		want = NULL;
	} else {
		if (*address & (page - 1))
			return KERN_INVALID_ARGUMENT;
		want = (void *)(uintptr_t)*address;
		mflags |= MAP_FIXED_NOREPLACE;
	}
	p = mmap(want, size, PROT_READ | PROT_WRITE, mflags, -1, 0);
	if (p == MAP_FAILED)
		return want ? KERN_NO_SPACE : KERN_RESOURCE_SHORTAGE;
	*address = (mach_vm_address_t)(uintptr_t)p;
	return KERN_SUCCESS;
}

static kern_return_t deallocate(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	mach_vm_address_t start = address & ~(mach_vm_address_t)(page - 1);
	mach_vm_address_t end = (address + size + page - 1) & ~(mach_vm_address_t)(page - 1);

	if (!machipc_is_self(task))
		return KERN_INVALID_ARGUMENT;
	if (size == 0)
		return KERN_SUCCESS;
	if (end < start)
		return KERN_INVALID_ARGUMENT;
	if (munmap((void *)(uintptr_t)start, end - start) != 0)
		return KERN_INVALID_ADDRESS;
	return KERN_SUCCESS;
}

kern_return_t vm_allocate(vm_map_t target_task, vm_address_t *address, vm_size_t size, int flags)
{
	mach_vm_address_t a = *address;
	kern_return_t kr = allocate(target_task, &a, size, flags);

	if (kr == KERN_SUCCESS)
		*address = (vm_address_t)a;
	return kr;
}

kern_return_t vm_deallocate(vm_map_t target_task, vm_address_t address, vm_size_t size)
{
	return deallocate(target_task, address, size);
}

kern_return_t mach_vm_allocate(vm_map_t target, mach_vm_address_t *address, mach_vm_size_t size, int flags)
{
	return allocate(target, address, size, flags);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_vm_allocate_trap, mach_vm_allocate);

kern_return_t mach_vm_deallocate(vm_map_t target, mach_vm_address_t address, mach_vm_size_t size)
{
	return deallocate(target, address, size);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_vm_deallocate_trap, mach_vm_deallocate);

kern_return_t host_page_size(host_t host, vm_size_t *out_page_size)
{
	(void)host;
	*out_page_size = (vm_size_t)sysconf(_SC_PAGESIZE);
	return KERN_SUCCESS;
}

static kern_return_t protect(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size, boolean_t set_maximum,
			     vm_prot_t new_protection)
{
	mach_vm_address_t page = (mach_vm_address_t)sysconf(_SC_PAGESIZE);
	mach_vm_address_t start = address & ~(page - 1);
	mach_vm_address_t end;
	int prot = PROT_NONE;

	if (!machipc_is_self(task))
		return KERN_INVALID_ARGUMENT;
	if (size == 0)
		return KERN_SUCCESS;
	if (address + size < address || address + size + page - 1 < address + size)
		return KERN_INVALID_ARGUMENT;
	end = (address + size + page - 1) & ~(page - 1);
	/*
	 * Linux keeps no maximum protection: lifting it to everything is a
	 * no-op, lowering it cannot be enforced.
	 */
	if (set_maximum)
		return (new_protection & VM_PROT_ALL) == VM_PROT_ALL ? KERN_SUCCESS : KERN_NOT_SUPPORTED;
	if (new_protection & VM_PROT_READ)
		prot |= PROT_READ;
	if (new_protection & VM_PROT_WRITE)
		prot |= PROT_WRITE;
	if (new_protection & VM_PROT_EXECUTE)
		prot |= PROT_EXEC;
	if (mprotect((void *)(uintptr_t)start, (size_t)(end - start), prot) == 0)
		return KERN_SUCCESS;
	switch (errno) {
	case ENOMEM:
		return KERN_INVALID_ADDRESS;
	case EACCES:
		return KERN_PROTECTION_FAILURE;
	default:
		return KERN_INVALID_ARGUMENT;
	}
}

kern_return_t vm_protect(vm_map_t target_task, vm_address_t address, vm_size_t size, boolean_t set_maximum,
			 vm_prot_t new_protection)
{
	return protect(target_task, address, size, set_maximum, new_protection);
}

kern_return_t mach_vm_protect(vm_map_t target_task, mach_vm_address_t address, mach_vm_size_t size,
			      boolean_t set_maximum, vm_prot_t new_protection)
{
	return protect(target_task, address, size, set_maximum, new_protection);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_vm_protect_trap, mach_vm_protect);

/* Anonymous memory, aligned to mask + 1 when placed anywhere, with cur_protection. */
kern_return_t _kernelrpc_mach_vm_map_trap(mach_port_name_t target, mach_vm_offset_t *address, mach_vm_size_t size,
					  mach_vm_offset_t mask, int flags, vm_prot_t cur_protection)
{
	mach_vm_size_t page = (mach_vm_size_t)sysconf(_SC_PAGESIZE);
	mach_vm_address_t a = *address;
	kern_return_t kr;

	if (!machipc_is_self(target))
		return KERN_INVALID_ARGUMENT;
	if (size == 0)
		return KERN_INVALID_ARGUMENT;
	size = (size + page - 1) & ~(page - 1);
	if ((flags & VM_FLAGS_ANYWHERE) && (mask & ~(page - 1)) != 0) {
		mach_vm_size_t align = (mask | (page - 1)) + 1, extra = align - page;
		mach_vm_address_t base, aligned;

		if (size + extra < size)
			return KERN_NO_SPACE;
		kr = mach_vm_allocate(target, &a, size + extra, VM_FLAGS_ANYWHERE);
		if (kr != KERN_SUCCESS)
			return kr;
		base = a;
		aligned = (base + align - 1) & ~(align - 1);
		if (aligned > base)
			mach_vm_deallocate(target, base, aligned - base);
		if (base + size + extra > aligned + size)
			mach_vm_deallocate(target, aligned + size, base + size + extra - (aligned + size));
		a = aligned;
	} else {
		kr = mach_vm_allocate(target, &a, size, flags);
		if (kr != KERN_SUCCESS)
			return kr;
	}
	if ((cur_protection & VM_PROT_ALL) != VM_PROT_DEFAULT) {
		kr = protect(target, a, size, FALSE, cur_protection);
		if (kr != KERN_SUCCESS) {
			mach_vm_deallocate(target, a, size);
			return kr;
		}
	}
	*address = a;
	return KERN_SUCCESS;
}
