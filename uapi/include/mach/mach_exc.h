/* SPDX-License-Identifier: MIT */
/*
 * machipc: the mach_exc exception-message interface (64-bit codes):
 * client prototypes and request/reply layouts, as MIG produces them for
 * Darwin from mach_exc.defs. Message ids start at 2405.
 */
#ifndef _mach_exc_user_
#define _mach_exc_user_

#include <stdint.h>
#include <mach/ndr.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/notify.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/port.h>
#include <mach/std_types.h>
#include <mach/mig.h>

#ifndef mach_exc_MSG_COUNT
#define mach_exc_MSG_COUNT 6
#endif

#ifdef __cplusplus
extern "C" {
#endif

kern_return_t mach_exception_raise(
	mach_port_t exception_port,
	mach_port_t thread,
	mach_port_t task,
	exception_type_t exception,
	mach_exception_data_t code,
	mach_msg_type_number_t codeCnt);

kern_return_t mach_exception_raise_state(
	mach_port_t exception_port,
	exception_type_t exception,
	const mach_exception_data_t code,
	mach_msg_type_number_t codeCnt,
	int *flavor,
	const thread_state_t old_state,
	mach_msg_type_number_t old_stateCnt,
	thread_state_t new_state,
	mach_msg_type_number_t *new_stateCnt);

kern_return_t mach_exception_raise_state_identity(
	mach_port_t exception_port,
	mach_port_t thread,
	mach_port_t task,
	exception_type_t exception,
	mach_exception_data_t code,
	mach_msg_type_number_t codeCnt,
	int *flavor,
	thread_state_t old_state,
	mach_msg_type_number_t old_stateCnt,
	thread_state_t new_state,
	mach_msg_type_number_t *new_stateCnt);

#ifdef __cplusplus
}
#endif

/*
 * Largest forms of the messages. Variable-length arrays (code, thread
 * state) are sent packed, so later fields may sit earlier in a real message.
 */
#ifndef __Request__mach_exc_subsystem__defined
#define __Request__mach_exc_subsystem__defined

#pragma pack(push, 4)

/* id 2405 */
typedef struct {
	mach_msg_header_t Head;
	mach_msg_body_t msgh_body;              /* 2 port descriptors follow */
	mach_msg_port_descriptor_t thread;
	mach_msg_port_descriptor_t task;
	NDR_record_t NDR;
	exception_type_t exception;
	mach_msg_type_number_t codeCnt;
	int64_t code[2];
} __Request__mach_exception_raise_t;

/* id 2406 */
typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	exception_type_t exception;
	mach_msg_type_number_t codeCnt;
	int64_t code[2];
	int flavor;
	mach_msg_type_number_t old_stateCnt;
	natural_t old_state[THREAD_STATE_MAX];
} __Request__mach_exception_raise_state_t;

/* id 2407 */
typedef struct {
	mach_msg_header_t Head;
	mach_msg_body_t msgh_body;              /* 2 port descriptors follow */
	mach_msg_port_descriptor_t thread;
	mach_msg_port_descriptor_t task;
	NDR_record_t NDR;
	exception_type_t exception;
	mach_msg_type_number_t codeCnt;
	int64_t code[2];
	int flavor;
	mach_msg_type_number_t old_stateCnt;
	natural_t old_state[THREAD_STATE_MAX];
} __Request__mach_exception_raise_state_identity_t;

#pragma pack(pop)

#endif /* __Request__mach_exc_subsystem__defined */

#ifndef __RequestUnion__mach_exc_subsystem__defined
#define __RequestUnion__mach_exc_subsystem__defined
union __RequestUnion__mach_exc_subsystem {
	__Request__mach_exception_raise_t Request_mach_exception_raise;
	__Request__mach_exception_raise_state_t Request_mach_exception_raise_state;
	__Request__mach_exception_raise_state_identity_t Request_mach_exception_raise_state_identity;
};
#endif

/* Replies carry id + 100. */
#ifndef __Reply__mach_exc_subsystem__defined
#define __Reply__mach_exc_subsystem__defined

#pragma pack(push, 4)

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	kern_return_t RetCode;
} __Reply__mach_exception_raise_t;

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	kern_return_t RetCode;
	int flavor;
	mach_msg_type_number_t new_stateCnt;
	natural_t new_state[THREAD_STATE_MAX];
} __Reply__mach_exception_raise_state_t;

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	kern_return_t RetCode;
	int flavor;
	mach_msg_type_number_t new_stateCnt;
	natural_t new_state[THREAD_STATE_MAX];
} __Reply__mach_exception_raise_state_identity_t;

#pragma pack(pop)

#endif /* __Reply__mach_exc_subsystem__defined */

#ifndef __ReplyUnion__mach_exc_subsystem__defined
#define __ReplyUnion__mach_exc_subsystem__defined
union __ReplyUnion__mach_exc_subsystem {
	__Reply__mach_exception_raise_t Reply_mach_exception_raise;
	__Reply__mach_exception_raise_state_t Reply_mach_exception_raise_state;
	__Reply__mach_exception_raise_state_identity_t Reply_mach_exception_raise_state_identity;
};
#endif

#ifndef subsystem_to_name_map_mach_exc
#define subsystem_to_name_map_mach_exc \
	{ "mach_exception_raise", 2405 }, \
	{ "mach_exception_raise_state", 2406 }, \
	{ "mach_exception_raise_state_identity", 2407 }
#endif

#endif /* _mach_exc_user_ */
