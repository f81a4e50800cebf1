/* SPDX-License-Identifier: MIT */
/* machipc: types and helpers used by MIG-generated client and server code. */
#ifndef _MACH_MIG_H_
#define _MACH_MIG_H_

#include <stdint.h>
#include <mach/port.h>
#include <mach/message.h>
#include <mach/vm_types.h>

/* Generated code checks message types unless told otherwise. */
#if !defined(__MigTypeCheck)
#if defined(TypeCheck)
#define __MigTypeCheck TypeCheck
#else
#define __MigTypeCheck 1
#endif
#endif

/* Generated message structures are 4-byte packed. */
#define __MigPackStructs 1

/* Server stub: unpacks a request, calls the routine, builds the reply. */
typedef void (*mig_stub_routine_t)(mach_msg_header_t *InHeadP,
    mach_msg_header_t *OutHeadP);
typedef mig_stub_routine_t mig_routine_t;

/* Demultiplexer lookup: returns the stub for a request, or NULL. */
typedef mig_routine_t (*mig_server_routine_t)(mach_msg_header_t *InHeadP);

/* The server's implementation function, signature erased */
typedef kern_return_t (*mig_impl_routine_t)(void);

typedef mach_msg_type_descriptor_t routine_arg_descriptor;
typedef mach_msg_type_descriptor_t *routine_arg_descriptor_t;
typedef mach_msg_type_descriptor_t *mig_routine_arg_descriptor_t;

#define MIG_ROUTINE_ARG_DESCRIPTOR_NULL ((mig_routine_arg_descriptor_t)0)

struct routine_descriptor {
	mig_impl_routine_t      impl_routine;   /* implementation */
	mig_stub_routine_t      stub_routine;   /* unmarshalling stub */
	unsigned int            argc;           /* argument words */
	unsigned int            descr_count;    /* complex descriptors */
	routine_arg_descriptor_t arg_descr;     /* descriptor array */
	unsigned int            max_reply_msg;  /* largest reply */
};
typedef struct routine_descriptor *routine_descriptor_t;

typedef struct routine_descriptor mig_routine_descriptor;
typedef mig_routine_descriptor *mig_routine_descriptor_t;

#define MIG_ROUTINE_DESCRIPTOR_NULL ((mig_routine_descriptor_t)0)

/* What a generated server exports to describe itself */
typedef struct mig_subsystem {
	mig_server_routine_t    server;         /* demux routine */
	mach_msg_id_t           start;          /* first message id */
	mach_msg_id_t           end;            /* last message id + 1 */
	mach_msg_size_t         maxsize;        /* largest reply */
	vm_address_t            reserved;
	mig_routine_descriptor  routine[1];     /* end - start entries */
} *mig_subsystem_t;

#define MIG_SUBSYSTEM_NULL              ((mig_subsystem_t)0)

typedef struct mig_symtab {
	char                    *ms_routine_name;
	int                     ms_routine_number;
	void                    (*ms_routine)(void);
} mig_symtab_t;

/* Marks server routines for static analysis where supported */
#if defined(__has_attribute)
#if __has_attribute(mig_server_routine)
#define MIG_SERVER_ROUTINE __attribute__((mig_server_routine))
#endif
#endif
#ifndef MIG_SERVER_ROUTINE
#define MIG_SERVER_ROUTINE
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Per-thread reply port used by MIG clients */
extern mach_port_t mig_get_reply_port(void);
extern void mig_dealloc_reply_port(mach_port_t reply_port);
extern void mig_put_reply_port(mach_port_t reply_port);

/* Bounded string copies used by generated code */
extern int mig_strncpy(char *dest, const char *src, int len);
extern int mig_strncpy_zerofill(char *dest, const char *src, int len);

/* Memory for out-of-line data */
extern void mig_allocate(vm_address_t *, vm_size_t);
extern void mig_deallocate(vm_address_t, vm_size_t);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MIG_H_ */
