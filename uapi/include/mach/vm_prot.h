/* SPDX-License-Identifier: MIT */
/* machipc: memory protection bits (vm_prot_t). */
#ifndef _MACH_VM_PROT_H_
#define _MACH_VM_PROT_H_

typedef int             vm_prot_t;

#define VM_PROT_NONE    ((vm_prot_t) 0x00)
#define VM_PROT_READ    ((vm_prot_t) 0x01)
#define VM_PROT_WRITE   ((vm_prot_t) 0x02)
#define VM_PROT_EXECUTE ((vm_prot_t) 0x04)

/* Protection given to new memory */
#define VM_PROT_DEFAULT (VM_PROT_READ|VM_PROT_WRITE)

#define VM_PROT_ALL     (VM_PROT_READ|VM_PROT_WRITE|VM_PROT_EXECUTE)

#define VM_PROT_RORW_TP         (VM_PROT_EXECUTE)

/* "Leave the protection as it is" (for lock requests) */
#define VM_PROT_NO_CHANGE_LEGACY       ((vm_prot_t) 0x08)
#define VM_PROT_NO_CHANGE              ((vm_prot_t) 0x01000000)

/* Copy-on-write request bits */
#define VM_PROT_COPY            ((vm_prot_t) 0x10)
#define VM_PROT_WANTS_COPY      ((vm_prot_t) 0x10)

/* The value is a mask to apply rather than a protection */
#define VM_PROT_IS_MASK         ((vm_prot_t) 0x40)

/* Execute-only */
#define VM_PROT_STRIP_READ      ((vm_prot_t) 0x80)
#define VM_PROT_EXECUTE_ONLY    (VM_PROT_EXECUTE|VM_PROT_STRIP_READ)

#define VM_PROT_TPRO            ((vm_prot_t) 0x200)

#if defined(__x86_64__)
#define VM_PROT_UEXEC           ((vm_prot_t) 0x8)
#define VM_PROT_ALLEXEC         (VM_PROT_EXECUTE | VM_PROT_UEXEC)
#else
#define VM_PROT_ALLEXEC         (VM_PROT_EXECUTE)
#endif

#endif /* _MACH_VM_PROT_H_ */
