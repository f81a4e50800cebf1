/* SPDX-License-Identifier: MIT */
/*
 * machipc: the Mach message format - header, descriptors, trailers, option
 * bits and return codes of mach_msg() - laid out as on 64-bit Darwin.
 */
#ifndef _MACH_MESSAGE_H_
#define _MACH_MESSAGE_H_

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <mach/port.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/machine/vm_types.h>

/* Timeouts are in milliseconds. */
typedef natural_t mach_msg_timeout_t;
#define MACH_MSG_TIMEOUT_NONE           ((mach_msg_timeout_t) 0)

/*
 * msgh_bits: remote disposition in bits 0-4, local in bits 8-12, voucher in
 * bits 16-20, and the COMPLEX flag in the top bit.
 */
#define MACH_MSGH_BITS_ZERO             0x00000000

#define MACH_MSGH_BITS_REMOTE_MASK      0x0000001f
#define MACH_MSGH_BITS_LOCAL_MASK       0x00001f00
#define MACH_MSGH_BITS_VOUCHER_MASK     0x001f0000

#define MACH_MSGH_BITS_PORTS_MASK \
	(MACH_MSGH_BITS_REMOTE_MASK | \
	 MACH_MSGH_BITS_LOCAL_MASK | \
	 MACH_MSGH_BITS_VOUCHER_MASK)

#define MACH_MSGH_BITS_COMPLEX          0x80000000U /* body has descriptors */

#define MACH_MSGH_BITS_USER             0x801f1f1fU /* bits user may set */

#define MACH_MSGH_BITS_RAISEIMP         0x20000000U
#define MACH_MSGH_BITS_DENAP            MACH_MSGH_BITS_RAISEIMP

#define MACH_MSGH_BITS_IMPHOLDASRT      0x10000000U
#define MACH_MSGH_BITS_DENAPHOLDASRT    MACH_MSGH_BITS_IMPHOLDASRT

#define MACH_MSGH_BITS_CIRCULAR         0x10000000U

#define MACH_MSGH_BITS_USED             0xb01f1f1fU

/* Building msgh_bits */
#define MACH_MSGH_BITS(remote, local) \
	((remote) | ((local) << 8))
#define MACH_MSGH_BITS_SET_PORTS(remote, local, voucher) \
	(((remote) & MACH_MSGH_BITS_REMOTE_MASK) | \
	 (((local) << 8) & MACH_MSGH_BITS_LOCAL_MASK) | \
	 (((voucher) << 16) & MACH_MSGH_BITS_VOUCHER_MASK))
#define MACH_MSGH_BITS_SET(remote, local, voucher, other) \
	(MACH_MSGH_BITS_SET_PORTS((remote), (local), (voucher)) \
	 | ((other) &~ MACH_MSGH_BITS_PORTS_MASK))

/* Taking msgh_bits apart */
#define MACH_MSGH_BITS_REMOTE(bits) \
	((bits) & MACH_MSGH_BITS_REMOTE_MASK)
#define MACH_MSGH_BITS_LOCAL(bits) \
	(((bits) & MACH_MSGH_BITS_LOCAL_MASK) >> 8)
#define MACH_MSGH_BITS_VOUCHER(bits) \
	(((bits) & MACH_MSGH_BITS_VOUCHER_MASK) >> 16)
#define MACH_MSGH_BITS_PORTS(bits) \
	((bits) & MACH_MSGH_BITS_PORTS_MASK)
#define MACH_MSGH_BITS_OTHER(bits) \
	((bits) &~ MACH_MSGH_BITS_PORTS_MASK)

/* Tests on msgh_bits */
#define MACH_MSGH_BITS_HAS_REMOTE(bits) \
	(MACH_MSGH_BITS_REMOTE(bits) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_HAS_LOCAL(bits) \
	(MACH_MSGH_BITS_LOCAL(bits) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_HAS_VOUCHER(bits) \
	(MACH_MSGH_BITS_VOUCHER(bits) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_IS_COMPLEX(bits) \
	(((bits) & MACH_MSGH_BITS_COMPLEX) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_RAISED_IMPORTANCE(bits) \
	(((bits) & MACH_MSGH_BITS_RAISEIMP) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_HOLDS_IMPORTANCE_ASSERTION(bits) \
	(((bits) & MACH_MSGH_BITS_IMPHOLDASRT) != MACH_MSGH_BITS_ZERO)

typedef unsigned int mach_msg_bits_t;
typedef natural_t mach_msg_size_t;
typedef integer_t mach_msg_id_t;

#define MACH_MSG_SIZE_NULL (mach_msg_size_t *) 0

typedef unsigned int mach_msg_priority_t;
#define MACH_MSG_PRIORITY_UNSPECIFIED (mach_msg_priority_t) 0

/* Dispositions: what happens to a right carried in a message */
typedef unsigned int mach_msg_type_name_t;

#define MACH_MSG_TYPE_MOVE_RECEIVE      16  /* sender gives up receive right */
#define MACH_MSG_TYPE_MOVE_SEND         17  /* sender gives up a send right */
#define MACH_MSG_TYPE_MOVE_SEND_ONCE    18  /* sender gives up send-once right */
#define MACH_MSG_TYPE_COPY_SEND         19  /* sender keeps its send right */
#define MACH_MSG_TYPE_MAKE_SEND         20  /* new send right from receive */
#define MACH_MSG_TYPE_MAKE_SEND_ONCE    21  /* new send-once from receive */
#define MACH_MSG_TYPE_COPY_RECEIVE      22  /* not allowed */
#define MACH_MSG_TYPE_DISPOSE_RECEIVE   24
#define MACH_MSG_TYPE_DISPOSE_SEND      25
#define MACH_MSG_TYPE_DISPOSE_SEND_ONCE 26

/* How out-of-line data is transferred */
typedef unsigned int mach_msg_copy_options_t;

#define MACH_MSG_PHYSICAL_COPY          0
#define MACH_MSG_VIRTUAL_COPY           1
#define MACH_MSG_ALLOCATE               2
#define MACH_MSG_OVERWRITE              3   /* deprecated */

/* Flags of guarded port descriptors */
#define MACH_MSG_GUARD_FLAGS_NONE                   0x0000
#define MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE      0x0001
#define MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND      0x0002
#define MACH_MSG_GUARD_FLAGS_MASK                   0x0003
typedef unsigned int mach_msg_guard_flags_t;

/* Descriptor kinds, stored in the top byte of every descriptor */
typedef unsigned int mach_msg_descriptor_type_t;

#define MACH_MSG_PORT_DESCRIPTOR                0
#define MACH_MSG_OOL_DESCRIPTOR                 1
#define MACH_MSG_OOL_PORTS_DESCRIPTOR           2
#define MACH_MSG_OOL_VOLATILE_DESCRIPTOR        3
#define MACH_MSG_GUARDED_PORT_DESCRIPTOR        4

#define MACH_MSG_DESCRIPTOR_MAX MACH_MSG_GUARDED_PORT_DESCRIPTOR

/* Message structures are 4-byte packed, as on Darwin. */
#pragma pack(push, 4)

/* Generic view of a descriptor: only `type' is meaningful. */
typedef struct {
	natural_t                     pad1;
	mach_msg_size_t               pad2;
	unsigned int                  pad3 : 24;
	mach_msg_descriptor_type_t    type : 8;
} mach_msg_type_descriptor_t;

/* One port right (12 bytes) */
typedef struct {
	mach_port_t                   name;
	mach_msg_size_t               pad1;
	unsigned int                  pad2 : 16;
	mach_msg_type_name_t          disposition : 8;
	mach_msg_descriptor_type_t    type : 8;
} mach_msg_port_descriptor_t;

/* Out-of-line memory as seen by a 32-bit task (12 bytes) */
typedef struct {
	uint32_t                      address;
	mach_msg_size_t               size;
	boolean_t                     deallocate: 8;
	mach_msg_copy_options_t       copy: 8;
	unsigned int                  pad1: 8;
	mach_msg_descriptor_type_t    type: 8;
} mach_msg_ool_descriptor32_t;

/* Out-of-line memory as seen by a 64-bit task (16 bytes) */
typedef struct {
	uint64_t                      address;
	boolean_t                     deallocate: 8;
	mach_msg_copy_options_t       copy: 8;
	unsigned int                  pad1: 8;
	mach_msg_descriptor_type_t    type: 8;
	mach_msg_size_t               size;
} mach_msg_ool_descriptor64_t;

/* Out-of-line memory, native (LP64) layout: 16 bytes */
typedef struct {
	void                         *address;
	boolean_t                     deallocate: 8;
	mach_msg_copy_options_t       copy: 8;
	unsigned int                  pad1: 8;
	mach_msg_descriptor_type_t    type: 8;
	mach_msg_size_t               size;
} mach_msg_ool_descriptor_t;

/* Out-of-line array of port rights, 32-bit task layout */
typedef struct {
	uint32_t                      address;
	mach_msg_size_t               count;
	boolean_t                     deallocate: 8;
	mach_msg_copy_options_t       copy: 8;
	mach_msg_type_name_t          disposition : 8;
	mach_msg_descriptor_type_t    type : 8;
} mach_msg_ool_ports_descriptor32_t;

/* Out-of-line array of port rights, 64-bit task layout */
typedef struct {
	uint64_t                      address;
	boolean_t                     deallocate: 8;
	mach_msg_copy_options_t       copy: 8;
	mach_msg_type_name_t          disposition : 8;
	mach_msg_descriptor_type_t    type : 8;
	mach_msg_size_t               count;
} mach_msg_ool_ports_descriptor64_t;

/* Out-of-line array of port rights, native (LP64) layout: 16 bytes */
typedef struct {
	void                         *address;
	boolean_t                     deallocate: 8;
	mach_msg_copy_options_t       copy: 8;
	mach_msg_type_name_t          disposition : 8;
	mach_msg_descriptor_type_t    type : 8;
	mach_msg_size_t               count;
} mach_msg_ool_ports_descriptor_t;

/* Guarded receive right, 32-bit task layout */
typedef struct {
	uint32_t                      context;
	mach_port_name_t              name;
	mach_msg_guard_flags_t        flags : 16;
	mach_msg_type_name_t          disposition : 8;
	mach_msg_descriptor_type_t    type : 8;
} mach_msg_guarded_port_descriptor32_t;

/* Guarded receive right, 64-bit task layout */
typedef struct {
	uint64_t                      context;
	mach_msg_guard_flags_t        flags : 16;
	mach_msg_type_name_t          disposition : 8;
	mach_msg_descriptor_type_t    type : 8;
	mach_port_name_t              name;
} mach_msg_guarded_port_descriptor64_t;

/* Guarded receive right, native (LP64) layout: 16 bytes */
typedef struct {
	mach_port_context_t           context;
	mach_msg_guard_flags_t        flags : 16;
	mach_msg_type_name_t          disposition : 8;
	mach_msg_descriptor_type_t    type : 8;
	mach_port_name_t              name;
} mach_msg_guarded_port_descriptor_t;

/* Any descriptor */
typedef union {
	mach_msg_port_descriptor_t            port;
	mach_msg_ool_descriptor_t             out_of_line;
	mach_msg_ool_ports_descriptor_t       ool_ports;
	mach_msg_type_descriptor_t            type;
	mach_msg_guarded_port_descriptor_t    guarded_port;
} mach_msg_descriptor_t;

/* Follows the header of a complex message */
typedef struct {
	mach_msg_size_t msgh_descriptor_count;
} mach_msg_body_t;

#define MACH_MSG_BODY_NULL            ((mach_msg_body_t *) 0)
#define MACH_MSG_DESCRIPTOR_NULL      ((mach_msg_descriptor_t *) 0)

/* Every message starts with this 24-byte header. */
typedef struct {
	mach_msg_bits_t               msgh_bits;
	mach_msg_size_t               msgh_size;
	mach_port_t                   msgh_remote_port;
	mach_port_t                   msgh_local_port;
	mach_port_name_t              msgh_voucher_port;
	mach_msg_id_t                 msgh_id;
} mach_msg_header_t;

#define msgh_reserved                 msgh_voucher_port
#define MACH_MSG_NULL                 ((mach_msg_header_t *) 0)

/* Header plus descriptor count */
typedef struct {
	mach_msg_header_t             header;
	mach_msg_body_t               body;
} mach_msg_base_t;

/* Trailers, appended by the kernel to every received message */
typedef unsigned int mach_msg_trailer_type_t;

#define MACH_MSG_TRAILER_FORMAT_0       0

typedef unsigned int mach_msg_trailer_size_t;
typedef char *mach_msg_trailer_info_t;

typedef struct {
	mach_msg_trailer_type_t       msgh_trailer_type;
	mach_msg_trailer_size_t       msgh_trailer_size;
} mach_msg_trailer_t;

typedef struct {
	mach_msg_trailer_type_t       msgh_trailer_type;
	mach_msg_trailer_size_t       msgh_trailer_size;
	mach_port_seqno_t             msgh_seqno;
} mach_msg_seqno_trailer_t;

typedef struct {
	unsigned int                  val[2];
} security_token_t;

typedef struct {
	mach_msg_trailer_type_t       msgh_trailer_type;
	mach_msg_trailer_size_t       msgh_trailer_size;
	mach_port_seqno_t             msgh_seqno;
	security_token_t              msgh_sender;
} mach_msg_security_trailer_t;

/* Identity of the sending process; opaque to most users. */
typedef struct {
	unsigned int                  val[8];
} audit_token_t;

#define INVALID_AUDIT_TOKEN_VALUE     {{ \
	UINT_MAX, UINT_MAX, UINT_MAX, UINT_MAX, \
	UINT_MAX, UINT_MAX, UINT_MAX, UINT_MAX }}

typedef struct {
	mach_msg_trailer_type_t       msgh_trailer_type;
	mach_msg_trailer_size_t       msgh_trailer_size;
	mach_port_seqno_t             msgh_seqno;
	security_token_t              msgh_sender;
	audit_token_t                 msgh_audit;
} mach_msg_audit_trailer_t;

typedef struct {
	mach_msg_trailer_type_t       msgh_trailer_type;
	mach_msg_trailer_size_t       msgh_trailer_size;
	mach_port_seqno_t             msgh_seqno;
	security_token_t              msgh_sender;
	audit_token_t                 msgh_audit;
	mach_port_context_t           msgh_context;
} mach_msg_context_trailer_t;

typedef struct {
	mach_port_name_t sender;
} msg_labels_t;

typedef int mach_msg_filter_id;
#define MACH_MSG_FILTER_POLICY_ALLOW (mach_msg_filter_id)0

typedef struct {
	mach_msg_trailer_type_t       msgh_trailer_type;
	mach_msg_trailer_size_t       msgh_trailer_size;
	mach_port_seqno_t             msgh_seqno;
	security_token_t              msgh_sender;
	audit_token_t                 msgh_audit;
	mach_port_context_t           msgh_context;
	mach_msg_filter_id            msgh_ad;
	msg_labels_t                  msgh_labels;
} mach_msg_mac_trailer_t;

#define MACH_MSG_TRAILER_MINIMUM_SIZE  sizeof(mach_msg_trailer_t)

/* The largest trailer; receive buffers should leave room for it. */
typedef mach_msg_mac_trailer_t mach_msg_max_trailer_t;
#define MAX_TRAILER_SIZE ((mach_msg_size_t)sizeof(mach_msg_max_trailer_t))

/* What MACH_MSG_TRAILER_FORMAT_0 means for legacy code */
typedef mach_msg_security_trailer_t mach_msg_format_0_trailer_t;

#define MACH_MSG_TRAILER_FORMAT_0_SIZE sizeof(mach_msg_format_0_trailer_t)

#define KERNEL_SECURITY_TOKEN_VALUE  { {0, 1} }
#define KERNEL_AUDIT_TOKEN_VALUE  { {0, 0, 0, 0, 0, 0, 0, 0} }

#ifdef __cplusplus
extern "C" {
#endif
extern const security_token_t KERNEL_SECURITY_TOKEN;
extern const audit_token_t KERNEL_AUDIT_TOKEN;
#ifdef __cplusplus
}
#endif

typedef integer_t mach_msg_options_t;

#define MACH_MSG_HEADER_EMPTY (mach_msg_header_t){ 0 }

typedef struct {
	mach_msg_header_t     header;
} mach_msg_empty_send_t;

typedef struct {
	mach_msg_header_t     header;
	mach_msg_trailer_t    trailer;
} mach_msg_empty_rcv_t;

typedef union {
	mach_msg_empty_send_t send;
	mach_msg_empty_rcv_t  rcv;
} mach_msg_empty_t;

#pragma pack(pop)

/* Round a message size up to a multiple of 4 */
#define round_msg(x)    (((mach_msg_size_t)(x) + sizeof (natural_t) - 1) & \
	                        ~(sizeof (natural_t) - 1))

/* Largest possible message size */
#define MACH_MSG_SIZE_MAX       ((mach_msg_size_t) ~0)

/* Size below which a message send is guaranteed not to fail for size */
#define MACH_MSG_SIZE_RELIABLE  ((mach_msg_size_t) 256 * 1024)

/* Historical message kinds */
#define MACH_MSGH_KIND_NORMAL           0x00000000
#define MACH_MSGH_KIND_NOTIFICATION     0x00000001
#define msgh_kind                       msgh_seqno
#define mach_msg_kind_t                 mach_port_seqno_t

typedef natural_t mach_msg_type_size_t;
typedef natural_t mach_msg_type_number_t;

/* Type names a receiver sees for the rights it got */
#define MACH_MSG_TYPE_PORT_NONE         0

#define MACH_MSG_TYPE_PORT_NAME         15
#define MACH_MSG_TYPE_PORT_RECEIVE      MACH_MSG_TYPE_MOVE_RECEIVE
#define MACH_MSG_TYPE_PORT_SEND         MACH_MSG_TYPE_MOVE_SEND
#define MACH_MSG_TYPE_PORT_SEND_ONCE    MACH_MSG_TYPE_MOVE_SEND_ONCE

#define MACH_MSG_TYPE_LAST              22

/* "Disposition chosen at run time" (MIG) */
#define MACH_MSG_TYPE_POLYMORPHIC       ((mach_msg_type_name_t) -1)

#define MACH_MSG_TYPE_PORT_ANY(x) \
	(((x) >= MACH_MSG_TYPE_MOVE_RECEIVE) && \
	 ((x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE))

#define MACH_MSG_TYPE_PORT_ANY_SEND(x) \
	(((x) >= MACH_MSG_TYPE_MOVE_SEND) && \
	 ((x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE))

#define MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(x) \
	(((x) == MACH_MSG_TYPE_MOVE_SEND_ONCE) || \
	 ((x) == MACH_MSG_TYPE_MAKE_SEND_ONCE))

#define MACH_MSG_TYPE_PORT_ANY_RIGHT(x) \
	(((x) >= MACH_MSG_TYPE_MOVE_RECEIVE) && \
	 ((x) <= MACH_MSG_TYPE_MOVE_SEND_ONCE))

/* Options of mach_msg() */
typedef integer_t mach_msg_option_t;

#define MACH_MSG_OPTION_NONE    0x00000000

#define MACH_SEND_MSG           0x00000001
#define MACH_RCV_MSG            0x00000002

#define MACH_RCV_LARGE          0x00000004  /* fail large receives, keep msg */
#define MACH_RCV_LARGE_IDENTITY 0x00000008  /* ...and report which port */

#define MACH_SEND_TIMEOUT       0x00000010
#define MACH_SEND_OVERRIDE      0x00000020
#define MACH_SEND_INTERRUPT     0x00000040  /* do not restart after signal */
#define MACH_SEND_NOTIFY        0x00000080  /* arm send-possible notification */
#define MACH_SEND_ALWAYS        0x00010000  /* kernel only */
#define MACH_SEND_FILTER_NONFATAL        0x00010000  /* user only */
#define MACH_SEND_TRAILER       0x00020000
#define MACH_SEND_NOIMPORTANCE  0x00040000
#define MACH_SEND_NODENAP       MACH_SEND_NOIMPORTANCE
#define MACH_SEND_IMPORTANCE    0x00080000  /* kernel only */
#define MACH_SEND_SYNC_OVERRIDE 0x00100000
#define MACH_SEND_PROPAGATE_QOS 0x00200000
#define MACH_SEND_SYNC_USE_THRPRI       MACH_SEND_PROPAGATE_QOS
#define MACH_SEND_KERNEL        0x00400000  /* kernel only */
#define MACH_SEND_SYNC_BOOTSTRAP_CHECKIN  0x00800000

#define MACH_RCV_TIMEOUT        0x00000100
#define MACH_RCV_NOTIFY         0x00000000  /* obsolete, no effect */
#define MACH_RCV_INTERRUPT      0x00000400  /* do not restart after signal */
#define MACH_RCV_VOUCHER        0x00000800
#define MACH_RCV_OVERWRITE      0x00000000  /* obsolete, no effect */
#define MACH_RCV_GUARDED_DESC   0x00001000
#define MACH_RCV_SYNC_WAIT      0x00004000
#define MACH_RCV_SYNC_PEEK      0x00008000

#define MACH_MSG_STRICT_REPLY   0x00000200  /* on both send and receive */

/*
 * Trailer request, in the receive options: format in bits 28-31, number of
 * elements in bits 24-27.
 */
#define MACH_RCV_TRAILER_NULL   0
#define MACH_RCV_TRAILER_SEQNO  1
#define MACH_RCV_TRAILER_SENDER 2
#define MACH_RCV_TRAILER_AUDIT  3
#define MACH_RCV_TRAILER_CTX    4
#define MACH_RCV_TRAILER_AV     7
#define MACH_RCV_TRAILER_LABELS 8

#define MACH_RCV_TRAILER_TYPE(x)     (((x) & 0xf) << 28)
#define MACH_RCV_TRAILER_ELEMENTS(x) (((x) & 0xf) << 24)
#define MACH_RCV_TRAILER_MASK        ((0xf << 24))

#define GET_RCV_ELEMENTS(y) (((y) >> 24) & 0xf)

/*
 * Size of the trailer a receive with options y gets. Element counts with no
 * trailer of their own (5, 6, 8 and up) get the largest trailer.
 */
#define __MACH_TRAILER_SIZE_FOR_ELEMENTS(e) \
	((e) == MACH_RCV_TRAILER_NULL   ? sizeof(mach_msg_trailer_t) : \
	 (e) == MACH_RCV_TRAILER_SEQNO  ? sizeof(mach_msg_seqno_trailer_t) : \
	 (e) == MACH_RCV_TRAILER_SENDER ? sizeof(mach_msg_security_trailer_t) : \
	 (e) == MACH_RCV_TRAILER_AUDIT  ? sizeof(mach_msg_audit_trailer_t) : \
	 (e) == MACH_RCV_TRAILER_CTX    ? sizeof(mach_msg_context_trailer_t) : \
	 (e) == MACH_RCV_TRAILER_AV     ? sizeof(mach_msg_mac_trailer_t) : \
	                                  sizeof(mach_msg_max_trailer_t))

#define REQUESTED_TRAILER_SIZE_NATIVE(y) \
	((mach_msg_trailer_size_t) \
	 __MACH_TRAILER_SIZE_FOR_ELEMENTS(GET_RCV_ELEMENTS(y)))

#define REQUESTED_TRAILER_SIZE(y) REQUESTED_TRAILER_SIZE_NATIVE(y)

/* Results of mach_msg() */
typedef kern_return_t mach_msg_return_t;

#define MACH_MSG_SUCCESS                0x00000000

/* Extra bits or-ed into MACH_RCV_HEADER_ERROR / MACH_RCV_BODY_ERROR etc. */
#define MACH_MSG_MASK                   0x00003e00
#define MACH_MSG_IPC_SPACE              0x00002000  /* no room for a name */
#define MACH_MSG_VM_SPACE               0x00001000  /* no room for OOL memory */
#define MACH_MSG_IPC_KERNEL             0x00000800  /* kernel short of ports */
#define MACH_MSG_VM_KERNEL              0x00000400  /* kernel short of memory */

#define MACH_SEND_IN_PROGRESS           0x10000001  /* internal */
#define MACH_SEND_INVALID_DATA          0x10000002  /* bad message buffer */
#define MACH_SEND_INVALID_DEST          0x10000003  /* bad destination port */
#define MACH_SEND_TIMED_OUT             0x10000004  /* send timeout expired */
#define MACH_SEND_INVALID_VOUCHER       0x10000005  /* bad voucher port */
#define MACH_SEND_INTERRUPTED           0x10000007  /* interrupted */
#define MACH_SEND_MSG_TOO_SMALL         0x10000008  /* incomplete message */
#define MACH_SEND_INVALID_REPLY         0x10000009  /* bad reply port */
#define MACH_SEND_INVALID_RIGHT         0x1000000a  /* bad right in body */
#define MACH_SEND_INVALID_NOTIFY        0x1000000b  /* bad notify port */
#define MACH_SEND_INVALID_MEMORY        0x1000000c  /* bad OOL memory */
#define MACH_SEND_NO_BUFFER             0x1000000d  /* no kernel buffer */
#define MACH_SEND_TOO_LARGE             0x1000000e  /* too large for port */
#define MACH_SEND_INVALID_TYPE          0x1000000f  /* bad descriptor type */
#define MACH_SEND_INVALID_HEADER        0x10000010  /* bad header field */
#define MACH_SEND_INVALID_TRAILER       0x10000011  /* bad sender trailer */
#define MACH_SEND_INVALID_CONTEXT       0x10000012  /* context mismatch */
#define MACH_SEND_INVALID_OPTIONS       0x10000013  /* bad send options */
#define MACH_SEND_INVALID_RT_OOL_SIZE   0x10000015  /* no longer returned */
#define MACH_SEND_NO_GRANT_DEST         0x10000016  /* port refuses rights */
#define MACH_SEND_MSG_FILTERED          0x10000017  /* message filtered */
#define MACH_SEND_AUX_TOO_SMALL         0x10000018
#define MACH_SEND_AUX_TOO_LARGE         0x10000019

#define MACH_RCV_IN_PROGRESS            0x10004001  /* internal */
#define MACH_RCV_INVALID_NAME           0x10004002  /* bad receive name */
#define MACH_RCV_TIMED_OUT              0x10004003  /* receive timeout */
#define MACH_RCV_TOO_LARGE              0x10004004  /* buffer too small */
#define MACH_RCV_INTERRUPTED            0x10004005  /* interrupted */
#define MACH_RCV_PORT_CHANGED           0x10004006  /* no longer returned */
#define MACH_RCV_INVALID_NOTIFY         0x10004007  /* bad notify port */
#define MACH_RCV_INVALID_DATA           0x10004008  /* bad receive buffer */
#define MACH_RCV_PORT_DIED              0x10004009  /* port went away */
#define MACH_RCV_IN_SET                 0x1000400a  /* no longer returned */
#define MACH_RCV_HEADER_ERROR           0x1000400b  /* header copy-out error */
#define MACH_RCV_BODY_ERROR             0x1000400c  /* body copy-out error */
#define MACH_RCV_INVALID_TYPE           0x1000400d  /* bad scatter entry */
#define MACH_RCV_SCATTER_SMALL          0x1000400e  /* overwrite area small */
#define MACH_RCV_INVALID_TRAILER        0x1000400f  /* bad trailer request */
#define MACH_RCV_IN_PROGRESS_TIMED      0x10004011  /* internal */
#define MACH_RCV_INVALID_REPLY          0x10004012  /* strict-reply misuse */
#define MACH_RCV_INVALID_ARGUMENTS      0x10004013  /* bad receive arguments */

#ifdef __cplusplus
extern "C" {
#endif

extern mach_msg_return_t mach_msg_overwrite(
	mach_msg_header_t *msg,
	mach_msg_option_t option,
	mach_msg_size_t send_size,
	mach_msg_size_t rcv_size,
	mach_port_name_t rcv_name,
	mach_msg_timeout_t timeout,
	mach_port_name_t notify,
	mach_msg_header_t *rcv_msg,
	mach_msg_size_t rcv_limit);

extern mach_msg_return_t mach_msg(
	mach_msg_header_t *msg,
	mach_msg_option_t option,
	mach_msg_size_t send_size,
	mach_msg_size_t rcv_size,
	mach_port_name_t rcv_name,
	mach_msg_timeout_t timeout,
	mach_port_name_t notify);

extern kern_return_t mach_voucher_deallocate(
	mach_port_name_t voucher);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MESSAGE_H_ */
