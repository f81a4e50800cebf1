/* SPDX-License-Identifier: MIT */
/*
 * machipc: the VM_FLAGS_* allocation flags of vm_allocate()/mach_vm_*().
 * The VM statistics structures of the Darwin header are not provided.
 */
#ifndef _MACH_VM_STATISTICS_H_
#define _MACH_VM_STATISTICS_H_

#define VM_FLAGS_FIXED                  0x00000000
#define VM_FLAGS_ANYWHERE               0x00000001
#define VM_FLAGS_PURGABLE               0x00000002
#define VM_FLAGS_4GB_CHUNK              0x00000004
#define VM_FLAGS_RANDOM_ADDR            0x00000008
#define VM_FLAGS_NO_CACHE               0x00000010
#define VM_FLAGS_RESILIENT_CODESIGN     0x00000020
#define VM_FLAGS_RESILIENT_MEDIA        0x00000040
#define VM_FLAGS_PERMANENT              0x00000080
#define VM_FLAGS_TPRO                   0x00001000
#define VM_FLAGS_OVERWRITE              0x00004000  /* replace existing maps */
#define VM_FLAGS_SUPERPAGE_MASK         0x00070000
#define VM_FLAGS_RETURN_DATA_ADDR       0x00100000
#define VM_FLAGS_RETURN_4K_DATA_ADDR    0x00800000
#define VM_FLAGS_ALIAS_MASK             0xFF000000

/* The top byte carries a user tag for the region */
#define VM_GET_FLAGS_ALIAS(flags, alias) \
	(alias) = (((flags) >> 24) & 0xff)
#define VM_SET_FLAGS_ALIAS(flags, alias) \
	(flags) = (((flags) & ~VM_FLAGS_ALIAS_MASK) | \
	(((alias) & ~VM_FLAGS_ALIAS_MASK) << 24))

#define VM_FLAGS_HW     (VM_FLAGS_TPRO)

/* Flags accepted from user space */
#define VM_FLAGS_USER_ALLOCATE  (VM_FLAGS_FIXED | \
	                         VM_FLAGS_ANYWHERE | \
	                         VM_FLAGS_PURGABLE | \
	                         VM_FLAGS_4GB_CHUNK | \
	                         VM_FLAGS_RANDOM_ADDR | \
	                         VM_FLAGS_NO_CACHE | \
	                         VM_FLAGS_PERMANENT | \
	                         VM_FLAGS_OVERWRITE | \
	                         VM_FLAGS_SUPERPAGE_MASK | \
	                         VM_FLAGS_HW | \
	                         VM_FLAGS_ALIAS_MASK)

#define VM_FLAGS_USER_MAP       (VM_FLAGS_USER_ALLOCATE | \
	                         VM_FLAGS_RETURN_4K_DATA_ADDR | \
	                         VM_FLAGS_RETURN_DATA_ADDR)

#define VM_FLAGS_USER_REMAP     (VM_FLAGS_FIXED | \
	                         VM_FLAGS_ANYWHERE | \
	                         VM_FLAGS_RANDOM_ADDR | \
	                         VM_FLAGS_OVERWRITE | \
	                         VM_FLAGS_RETURN_DATA_ADDR | \
	                         VM_FLAGS_RESILIENT_CODESIGN | \
	                         VM_FLAGS_RESILIENT_MEDIA)

#define VM_FLAGS_SUPERPAGE_SHIFT 16
#define SUPERPAGE_NONE                  0
#define SUPERPAGE_SIZE_ANY              1
#define SUPERPAGE_SIZE_2MB              2
#define VM_FLAGS_SUPERPAGE_NONE     (SUPERPAGE_NONE     << VM_FLAGS_SUPERPAGE_SHIFT)
#define VM_FLAGS_SUPERPAGE_SIZE_ANY (SUPERPAGE_SIZE_ANY << VM_FLAGS_SUPERPAGE_SHIFT)
#define VM_FLAGS_SUPERPAGE_SIZE_2MB (SUPERPAGE_SIZE_2MB << VM_FLAGS_SUPERPAGE_SHIFT)

/* Build the tag part of the flags */
#define VM_MAKE_TAG(tag) ((tag) << 24)

#endif /* _MACH_VM_STATISTICS_H_ */
