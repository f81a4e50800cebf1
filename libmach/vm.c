/* SPDX-License-Identifier: MIT */
/* vm_allocate/vm_deallocate and the mach_vm_ variants, on the caller's memory. */
#include "internal.h"

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

kern_return_t mach_vm_deallocate(vm_map_t target, mach_vm_address_t address, mach_vm_size_t size)
{
	return deallocate(target, address, size);
}
