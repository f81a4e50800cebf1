/* SPDX-License-Identifier: MIT */
/*
 * machipc: x86 thread-state flavors, their typedefs and the *_COUNT sizes
 * (in 32-bit words) passed to thread_get_state()/thread_set_state().
 */
#ifndef _MACH_I386_THREAD_STATUS_H_
#define _MACH_I386_THREAD_STATUS_H_

#include <stdint.h>
#include <mach/machine/_structs.h>
#include <mach/machine/thread_state.h>
#include <mach/message.h>

/* Legacy 32-bit flavor names */
#define i386_THREAD_STATE               1
#define i386_FLOAT_STATE                2
#define i386_EXCEPTION_STATE            3

/* Flavor numbers */
#define x86_THREAD_STATE32              1
#define x86_FLOAT_STATE32               2
#define x86_EXCEPTION_STATE32           3
#define x86_THREAD_STATE64              4
#define x86_FLOAT_STATE64               5
#define x86_EXCEPTION_STATE64           6
#define x86_THREAD_STATE                7
#define x86_FLOAT_STATE                 8
#define x86_EXCEPTION_STATE             9
#define x86_DEBUG_STATE32               10
#define x86_DEBUG_STATE64               11
#define x86_DEBUG_STATE                 12
#define THREAD_STATE_NONE               13
/* 14 and 15 are kernel-internal */
#define x86_AVX_STATE32                 16
#define x86_AVX_STATE64                 (x86_AVX_STATE32 + 1)
#define x86_AVX_STATE                   (x86_AVX_STATE32 + 2)
#define x86_AVX512_STATE32              19
#define x86_AVX512_STATE64              (x86_AVX512_STATE32 + 1)
#define x86_AVX512_STATE                (x86_AVX512_STATE32 + 2)
#define x86_PAGEIN_STATE                22
#define x86_THREAD_FULL_STATE64         23
#define x86_INSTRUCTION_STATE           24
#define x86_LAST_BRANCH_STATE           25
/* One past the highest flavor number */
#define THREAD_STATE_FLAVORS            26

#define THREAD_MACHINE_STATE_MAX        THREAD_STATE_MAX

/* Flavors whose set_state changes the general purpose registers */
#define FLAVOR_MODIFIES_CORE_CPU_REGISTERS(x) \
	((x) == x86_THREAD_STATE || (x) == x86_THREAD_STATE32 || \
	 (x) == x86_THREAD_STATE64 || (x) == x86_THREAD_FULL_STATE64)

/* Flavors user space may pass in */
#define VALID_THREAD_STATE_FLAVOR(x) ( \
	(x) == x86_THREAD_STATE32 || (x) == x86_FLOAT_STATE32 || \
	(x) == x86_EXCEPTION_STATE32 || (x) == x86_DEBUG_STATE32 || \
	(x) == x86_THREAD_STATE64 || (x) == x86_THREAD_FULL_STATE64 || \
	(x) == x86_FLOAT_STATE64 || (x) == x86_EXCEPTION_STATE64 || \
	(x) == x86_DEBUG_STATE64 || (x) == x86_THREAD_STATE || \
	(x) == x86_FLOAT_STATE || (x) == x86_EXCEPTION_STATE || \
	(x) == x86_DEBUG_STATE || (x) == x86_AVX_STATE32 || \
	(x) == x86_AVX_STATE64 || (x) == x86_AVX_STATE || \
	(x) == x86_AVX512_STATE32 || (x) == x86_AVX512_STATE64 || \
	(x) == x86_AVX512_STATE || (x) == x86_PAGEIN_STATE || \
	(x) == x86_INSTRUCTION_STATE || (x) == x86_LAST_BRANCH_STATE || \
	(x) == THREAD_STATE_NONE)

/* Header of the flavor-independent (tagged) states */
struct x86_state_hdr {
	uint32_t        flavor;
	uint32_t        count;
};
typedef struct x86_state_hdr x86_state_hdr_t;

/* Segment selectors of the historical 32-bit environment */
#define USER_CODE_SELECTOR      0x0017
#define USER_DATA_SELECTOR      0x001f
#define KERN_CODE_SELECTOR      0x0008
#define KERN_DATA_SELECTOR      0x0010

/* 32-bit states */
typedef _STRUCT_X86_THREAD_STATE32 i386_thread_state_t;
#define i386_THREAD_STATE_COUNT ((mach_msg_type_number_t) \
	(sizeof(i386_thread_state_t) / sizeof(int)))
typedef _STRUCT_X86_THREAD_STATE32 x86_thread_state32_t;
#define x86_THREAD_STATE32_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_thread_state32_t) / sizeof(int)))

typedef _STRUCT_X86_FLOAT_STATE32 i386_float_state_t;
#define i386_FLOAT_STATE_COUNT ((mach_msg_type_number_t) \
	(sizeof(i386_float_state_t) / sizeof(unsigned int)))
typedef _STRUCT_X86_FLOAT_STATE32 x86_float_state32_t;
#define x86_FLOAT_STATE32_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_float_state32_t) / sizeof(unsigned int)))

typedef _STRUCT_X86_EXCEPTION_STATE32 i386_exception_state_t;
#define i386_EXCEPTION_STATE_COUNT ((mach_msg_type_number_t) \
	(sizeof(i386_exception_state_t) / sizeof(int)))
typedef _STRUCT_X86_EXCEPTION_STATE32 x86_exception_state32_t;
#define x86_EXCEPTION_STATE32_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_exception_state32_t) / sizeof(int)))
#define I386_EXCEPTION_STATE_COUNT i386_EXCEPTION_STATE_COUNT

typedef _STRUCT_X86_DEBUG_STATE32 x86_debug_state32_t;
#define x86_DEBUG_STATE32_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_debug_state32_t) / sizeof(int)))
#define X86_DEBUG_STATE32_COUNT x86_DEBUG_STATE32_COUNT

/* 64-bit states */
typedef _STRUCT_X86_THREAD_STATE64 x86_thread_state64_t;
#define x86_THREAD_STATE64_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_thread_state64_t) / sizeof(int)))

typedef _STRUCT_X86_THREAD_FULL_STATE64 x86_thread_full_state64_t;
#define x86_THREAD_FULL_STATE64_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_thread_full_state64_t) / sizeof(int)))

typedef _STRUCT_X86_FLOAT_STATE64 x86_float_state64_t;
#define x86_FLOAT_STATE64_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_float_state64_t) / sizeof(unsigned int)))

typedef _STRUCT_X86_EXCEPTION_STATE64 x86_exception_state64_t;
#define x86_EXCEPTION_STATE64_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_exception_state64_t) / sizeof(int)))
#define X86_EXCEPTION_STATE64_COUNT x86_EXCEPTION_STATE64_COUNT

typedef _STRUCT_X86_DEBUG_STATE64 x86_debug_state64_t;
#define x86_DEBUG_STATE64_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_debug_state64_t) / sizeof(int)))
#define X86_DEBUG_STATE64_COUNT x86_DEBUG_STATE64_COUNT

/* Tagged states: a header naming the 32- or 64-bit variant, then the data */
struct x86_thread_state {
	x86_state_hdr_t                 tsh;
	union {
		x86_thread_state32_t    ts32;
		x86_thread_state64_t    ts64;
	} uts;
};

struct x86_float_state {
	x86_state_hdr_t                 fsh;
	union {
		x86_float_state32_t     fs32;
		x86_float_state64_t     fs64;
	} ufs;
};

struct x86_exception_state {
	x86_state_hdr_t                 esh;
	union {
		x86_exception_state32_t es32;
		x86_exception_state64_t es64;
	} ues;
};

struct x86_debug_state {
	x86_state_hdr_t                 dsh;
	union {
		x86_debug_state32_t     ds32;
		x86_debug_state64_t     ds64;
	} uds;
};

typedef struct x86_thread_state x86_thread_state_t;
#define x86_THREAD_STATE_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_thread_state_t) / sizeof(int)))

typedef struct x86_float_state x86_float_state_t;
#define x86_FLOAT_STATE_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_float_state_t) / sizeof(unsigned int)))

typedef struct x86_exception_state x86_exception_state_t;
#define x86_EXCEPTION_STATE_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_exception_state_t) / sizeof(unsigned int)))

typedef struct x86_debug_state x86_debug_state_t;
#define x86_DEBUG_STATE_COUNT ((mach_msg_type_number_t) \
	(sizeof(x86_debug_state_t) / sizeof(unsigned int)))

/* The flavor a debugger should use by default */
#define MACHINE_THREAD_STATE            x86_THREAD_STATE
#define MACHINE_THREAD_STATE_COUNT      x86_THREAD_STATE_COUNT

#endif /* _MACH_I386_THREAD_STATUS_H_ */
