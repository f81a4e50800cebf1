/* SPDX-License-Identifier: MIT */
/*
 * machipc: x86 register-state structures exchanged through thread_get_state(),
 * thread_set_state() and exception messages. Member names use the
 * double-underscore spelling of the UNIX03 Darwin headers.
 */
#ifndef _MACH_I386__STRUCTS_H_
#define _MACH_I386__STRUCTS_H_

#include <stdint.h>

/* 32-bit general purpose registers */
#define _STRUCT_X86_THREAD_STATE32      struct __darwin_i386_thread_state
_STRUCT_X86_THREAD_STATE32
{
	unsigned int    __eax;
	unsigned int    __ebx;
	unsigned int    __ecx;
	unsigned int    __edx;
	unsigned int    __edi;
	unsigned int    __esi;
	unsigned int    __ebp;
	unsigned int    __esp;
	unsigned int    __ss;
	unsigned int    __eflags;
	unsigned int    __eip;
	unsigned int    __cs;
	unsigned int    __ds;
	unsigned int    __es;
	unsigned int    __fs;
	unsigned int    __gs;
};

/* x87 control word */
#define _STRUCT_FP_CONTROL              struct __darwin_fp_control
_STRUCT_FP_CONTROL
{
	unsigned short  __invalid :1,
	                __denorm  :1,
	                __zdiv    :1,
	                __ovrfl   :1,
	                __undfl   :1,
	                __precis  :1,
	                          :2,
	                __pc      :2,
	                __rc      :2,
	                          :1,
	                          :3;
};
typedef _STRUCT_FP_CONTROL      __darwin_fp_control_t;

/* Precision control (__pc) values */
#define FP_PREC_24B             0
#define FP_PREC_53B             2
#define FP_PREC_64B             3

/* Rounding control (__rc) values */
#define FP_RND_NEAR             0
#define FP_RND_DOWN             1
#define FP_RND_UP               2
#define FP_CHOP                 3

/* x87 status word */
#define _STRUCT_FP_STATUS               struct __darwin_fp_status
_STRUCT_FP_STATUS
{
	unsigned short  __invalid :1,
	                __denorm  :1,
	                __zdiv    :1,
	                __ovrfl   :1,
	                __undfl   :1,
	                __precis  :1,
	                __stkflt  :1,
	                __errsumm :1,
	                __c0      :1,
	                __c1      :1,
	                __c2      :1,
	                __tos     :3,
	                __c3      :1,
	                __busy    :1;
};
typedef _STRUCT_FP_STATUS       __darwin_fp_status_t;

/* One x87/MMX register slot: 80 bits of data plus 48 reserved bits */
#define _STRUCT_MMST_REG                struct __darwin_mmst_reg
_STRUCT_MMST_REG
{
	char            __mmst_reg[10];
	char            __mmst_rsrv[6];
};

/* One 128-bit SSE register */
#define _STRUCT_XMM_REG                 struct __darwin_xmm_reg
_STRUCT_XMM_REG
{
	char            __xmm_reg[16];
};

/* One 256-bit AVX register */
#define _STRUCT_YMM_REG                 struct __darwin_ymm_reg
_STRUCT_YMM_REG
{
	char            __ymm_reg[32];
};

/* One 512-bit AVX-512 register */
#define _STRUCT_ZMM_REG                 struct __darwin_zmm_reg
_STRUCT_ZMM_REG
{
	char            __zmm_reg[64];
};

/* One AVX-512 opmask register */
#define _STRUCT_OPMASK_REG              struct __darwin_opmask_reg
_STRUCT_OPMASK_REG
{
	char            __opmask_reg[8];
};

/* Size of the FXSAVE image starting at __fpu_fcw */
#define FP_STATE_BYTES          512

/* 32-bit x87/SSE state */
#define _STRUCT_X86_FLOAT_STATE32       struct __darwin_i386_float_state
_STRUCT_X86_FLOAT_STATE32
{
	int                     __fpu_reserved[2];
	_STRUCT_FP_CONTROL      __fpu_fcw;
	_STRUCT_FP_STATUS       __fpu_fsw;
	uint8_t                 __fpu_ftw;
	uint8_t                 __fpu_rsrv1;
	uint16_t                __fpu_fop;
	uint32_t                __fpu_ip;
	uint16_t                __fpu_cs;
	uint16_t                __fpu_rsrv2;
	uint32_t                __fpu_dp;
	uint16_t                __fpu_ds;
	uint16_t                __fpu_rsrv3;
	uint32_t                __fpu_mxcsr;
	uint32_t                __fpu_mxcsrmask;
	_STRUCT_MMST_REG        __fpu_stmm0;
	_STRUCT_MMST_REG        __fpu_stmm1;
	_STRUCT_MMST_REG        __fpu_stmm2;
	_STRUCT_MMST_REG        __fpu_stmm3;
	_STRUCT_MMST_REG        __fpu_stmm4;
	_STRUCT_MMST_REG        __fpu_stmm5;
	_STRUCT_MMST_REG        __fpu_stmm6;
	_STRUCT_MMST_REG        __fpu_stmm7;
	_STRUCT_XMM_REG         __fpu_xmm0;
	_STRUCT_XMM_REG         __fpu_xmm1;
	_STRUCT_XMM_REG         __fpu_xmm2;
	_STRUCT_XMM_REG         __fpu_xmm3;
	_STRUCT_XMM_REG         __fpu_xmm4;
	_STRUCT_XMM_REG         __fpu_xmm5;
	_STRUCT_XMM_REG         __fpu_xmm6;
	_STRUCT_XMM_REG         __fpu_xmm7;
	char                    __fpu_rsrv4[14*16];
	int                     __fpu_reserved1;
};

/* 32-bit exception state */
#define _STRUCT_X86_EXCEPTION_STATE32   struct __darwin_i386_exception_state
_STRUCT_X86_EXCEPTION_STATE32
{
	uint16_t        __trapno;
	uint16_t        __cpu;
	uint32_t        __err;
	uint32_t        __faultvaddr;
};

/* 32-bit debug registers */
#define _STRUCT_X86_DEBUG_STATE32       struct __darwin_x86_debug_state32
_STRUCT_X86_DEBUG_STATE32
{
	unsigned int    __dr0;
	unsigned int    __dr1;
	unsigned int    __dr2;
	unsigned int    __dr3;
	unsigned int    __dr4;
	unsigned int    __dr5;
	unsigned int    __dr6;
	unsigned int    __dr7;
};

/* 64-bit general purpose registers (x86_THREAD_STATE64) */
#define _STRUCT_X86_THREAD_STATE64      struct __darwin_x86_thread_state64
_STRUCT_X86_THREAD_STATE64
{
	uint64_t        __rax;
	uint64_t        __rbx;
	uint64_t        __rcx;
	uint64_t        __rdx;
	uint64_t        __rdi;
	uint64_t        __rsi;
	uint64_t        __rbp;
	uint64_t        __rsp;
	uint64_t        __r8;
	uint64_t        __r9;
	uint64_t        __r10;
	uint64_t        __r11;
	uint64_t        __r12;
	uint64_t        __r13;
	uint64_t        __r14;
	uint64_t        __r15;
	uint64_t        __rip;
	uint64_t        __rflags;
	uint64_t        __cs;
	uint64_t        __fs;
	uint64_t        __gs;
};

/* 64-bit registers plus segment registers and GS base */
#define _STRUCT_X86_THREAD_FULL_STATE64 struct __darwin_x86_thread_full_state64
_STRUCT_X86_THREAD_FULL_STATE64
{
	_STRUCT_X86_THREAD_STATE64      __ss64;
	uint64_t                        __ds;
	uint64_t                        __es;
	uint64_t                        __ss;
	uint64_t                        __gsbase;
};

/* 64-bit x87/SSE state (x86_FLOAT_STATE64) */
#define _STRUCT_X86_FLOAT_STATE64       struct __darwin_x86_float_state64
_STRUCT_X86_FLOAT_STATE64
{
	int                     __fpu_reserved[2];
	_STRUCT_FP_CONTROL      __fpu_fcw;
	_STRUCT_FP_STATUS       __fpu_fsw;
	uint8_t                 __fpu_ftw;
	uint8_t                 __fpu_rsrv1;
	uint16_t                __fpu_fop;
	uint32_t                __fpu_ip;
	uint16_t                __fpu_cs;
	uint16_t                __fpu_rsrv2;
	uint32_t                __fpu_dp;
	uint16_t                __fpu_ds;
	uint16_t                __fpu_rsrv3;
	uint32_t                __fpu_mxcsr;
	uint32_t                __fpu_mxcsrmask;
	_STRUCT_MMST_REG        __fpu_stmm0;
	_STRUCT_MMST_REG        __fpu_stmm1;
	_STRUCT_MMST_REG        __fpu_stmm2;
	_STRUCT_MMST_REG        __fpu_stmm3;
	_STRUCT_MMST_REG        __fpu_stmm4;
	_STRUCT_MMST_REG        __fpu_stmm5;
	_STRUCT_MMST_REG        __fpu_stmm6;
	_STRUCT_MMST_REG        __fpu_stmm7;
	_STRUCT_XMM_REG         __fpu_xmm0;
	_STRUCT_XMM_REG         __fpu_xmm1;
	_STRUCT_XMM_REG         __fpu_xmm2;
	_STRUCT_XMM_REG         __fpu_xmm3;
	_STRUCT_XMM_REG         __fpu_xmm4;
	_STRUCT_XMM_REG         __fpu_xmm5;
	_STRUCT_XMM_REG         __fpu_xmm6;
	_STRUCT_XMM_REG         __fpu_xmm7;
	_STRUCT_XMM_REG         __fpu_xmm8;
	_STRUCT_XMM_REG         __fpu_xmm9;
	_STRUCT_XMM_REG         __fpu_xmm10;
	_STRUCT_XMM_REG         __fpu_xmm11;
	_STRUCT_XMM_REG         __fpu_xmm12;
	_STRUCT_XMM_REG         __fpu_xmm13;
	_STRUCT_XMM_REG         __fpu_xmm14;
	_STRUCT_XMM_REG         __fpu_xmm15;
	char                    __fpu_rsrv4[6*16];
	int                     __fpu_reserved1;
};

/* 64-bit exception state (x86_EXCEPTION_STATE64) */
#define _STRUCT_X86_EXCEPTION_STATE64   struct __darwin_x86_exception_state64
_STRUCT_X86_EXCEPTION_STATE64
{
	uint16_t        __trapno;
	uint16_t        __cpu;
	uint32_t        __err;
	uint64_t        __faultvaddr;
};

/* 64-bit debug registers (x86_DEBUG_STATE64) */
#define _STRUCT_X86_DEBUG_STATE64       struct __darwin_x86_debug_state64
_STRUCT_X86_DEBUG_STATE64
{
	uint64_t        __dr0;
	uint64_t        __dr1;
	uint64_t        __dr2;
	uint64_t        __dr3;
	uint64_t        __dr4;
	uint64_t        __dr5;
	uint64_t        __dr6;
	uint64_t        __dr7;
};

#endif /* _MACH_I386__STRUCTS_H_ */
