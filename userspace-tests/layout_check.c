/* SPDX-License-Identifier: MIT */
/*
 * Compile-time check that the machipc Mach headers reproduce the LP64 x86_64
 * Darwin layouts and constants. Builds as C or C++; the program only
 * returns 0 - all the work is done by the compiler.
 *
 *   cc -std=gnu11 -Wall -Wextra -Werror -I uapi/include \
 *      userspace-tests/layout_check.c -o layout_check
 */
#include <stddef.h>
#include <mach/mach.h>
#include <mach/message.h>
#include <mach/mach_port.h>
#include <mach/notify.h>
#include <mach/mach_error.h>
#include <mach/mig_errors.h>
#include <mach/exc.h>
#include <mach/mach_exc.h>
#include <mach/exception_types.h>
#include <mach/mach_traps.h>
#include <mach/task.h>
#include <mach/thread_act.h>
#include <mach/mach_init.h>
#include <mach/vm_map.h>
#include <mach/mach_vm.h>
#include <mach/thread_status.h>

#ifdef __cplusplus
#define CHECK(expr) static_assert(expr, #expr)
#define ALIGNOF(type) alignof(type)
#else
#define CHECK(expr) _Static_assert(expr, #expr)
#define ALIGNOF(type) _Alignof(type)
#endif
#define SIZE(type, n) CHECK(sizeof(type) == (n))
#define OFF(type, field, n) CHECK(offsetof(type, field) == (n))

/* scalar types */
SIZE(natural_t, 4);
SIZE(integer_t, 4);
SIZE(boolean_t, 4);
SIZE(kern_return_t, 4);
SIZE(mach_port_t, 4);
SIZE(mach_port_name_t, 4);
SIZE(vm_offset_t, 8);
SIZE(vm_size_t, 8);
SIZE(vm_address_t, 8);
SIZE(mach_vm_address_t, 8);
SIZE(mach_vm_size_t, 8);
SIZE(mach_port_context_t, 8);
SIZE(mach_msg_type_number_t, 4);
SIZE(mach_msg_option_t, 4);
SIZE(task_t, 4);
SIZE(ipc_space_t, 4);
SIZE(vm_map_t, 4);
SIZE(mach_exception_data_type_t, 8);
SIZE(exception_data_type_t, 4);

/* header and body */
SIZE(mach_msg_header_t, 24);
OFF(mach_msg_header_t, msgh_bits, 0);
OFF(mach_msg_header_t, msgh_size, 4);
OFF(mach_msg_header_t, msgh_remote_port, 8);
OFF(mach_msg_header_t, msgh_local_port, 12);
OFF(mach_msg_header_t, msgh_voucher_port, 16);
OFF(mach_msg_header_t, msgh_id, 20);
SIZE(mach_msg_body_t, 4);
SIZE(mach_msg_base_t, 28);

/* descriptors */
SIZE(mach_msg_type_descriptor_t, 12);
SIZE(mach_msg_port_descriptor_t, 12);
SIZE(mach_msg_ool_descriptor_t, 16);
OFF(mach_msg_ool_descriptor_t, size, 12);
SIZE(mach_msg_ool_ports_descriptor_t, 16);
OFF(mach_msg_ool_ports_descriptor_t, count, 12);
SIZE(mach_msg_guarded_port_descriptor_t, 16);
OFF(mach_msg_guarded_port_descriptor_t, name, 12);
SIZE(mach_msg_ool_descriptor32_t, 12);
SIZE(mach_msg_ool_descriptor64_t, 16);
SIZE(mach_msg_ool_ports_descriptor32_t, 12);
SIZE(mach_msg_ool_ports_descriptor64_t, 16);
SIZE(mach_msg_guarded_port_descriptor32_t, 12);
SIZE(mach_msg_guarded_port_descriptor64_t, 16);
SIZE(mach_msg_descriptor_t, 16);
CHECK(ALIGNOF(mach_msg_ool_descriptor_t) == 4);
CHECK(ALIGNOF(mach_msg_header_t) == 4);

/* trailers */
SIZE(mach_msg_trailer_t, 8);
SIZE(mach_msg_seqno_trailer_t, 12);
SIZE(security_token_t, 8);
SIZE(audit_token_t, 32);
SIZE(mach_msg_security_trailer_t, 20);
SIZE(mach_msg_format_0_trailer_t, 20);
SIZE(mach_msg_audit_trailer_t, 52);
SIZE(mach_msg_context_trailer_t, 60);
OFF(mach_msg_context_trailer_t, msgh_context, 52);
SIZE(mach_msg_mac_trailer_t, 68);
OFF(mach_msg_mac_trailer_t, msgh_ad, 60);
OFF(mach_msg_mac_trailer_t, msgh_labels, 64);
SIZE(mach_msg_max_trailer_t, 68);
CHECK(MAX_TRAILER_SIZE == 68);
SIZE(mach_msg_empty_send_t, 24);
SIZE(mach_msg_empty_rcv_t, 32);
SIZE(mach_msg_empty_t, 32);

CHECK(MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) == 0);
CHECK(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT) == 0x03000000);
CHECK(REQUESTED_TRAILER_SIZE(0) == 8);
CHECK(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO)) == 12);
CHECK(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SENDER)) == 20);
CHECK(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT)) == 52);
CHECK(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_CTX)) == 60);
CHECK(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AV)) == 68);
CHECK(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_LABELS)) == 68);

/* port attributes */
SIZE(mach_port_status_t, 40);
SIZE(mach_port_limits_t, 4);
SIZE(mach_port_info_ext_t, 68);
SIZE(mach_port_guard_info_t, 8);
SIZE(mach_port_qos_t, 8);
SIZE(mach_port_options_t, 24);
OFF(mach_port_options_t, reserved, 8);
SIZE(mach_service_port_info_data_t, 256);
CHECK(MACH_PORT_LIMITS_INFO_COUNT == 1);
CHECK(MACH_PORT_RECEIVE_STATUS_COUNT == 10);
CHECK(MACH_PORT_INFO_EXT_COUNT == 17);
CHECK(MACH_PORT_GUARD_INFO_COUNT == 2);

/* notifications */
SIZE(mach_port_deleted_notification_t, 56);
SIZE(mach_send_possible_notification_t, 56);
SIZE(mach_port_destroyed_notification_t, 60);
SIZE(mach_no_senders_notification_t, 56);
SIZE(mach_send_once_notification_t, 44);
SIZE(mach_dead_name_notification_t, 56);
OFF(mach_dead_name_notification_t, not_port, 32);
OFF(mach_no_senders_notification_t, not_count, 32);
CHECK(MACH_NOTIFY_PORT_DELETED == 65);
CHECK(MACH_NOTIFY_SEND_POSSIBLE == 66);
CHECK(MACH_NOTIFY_PORT_DESTROYED == 69);
CHECK(MACH_NOTIFY_NO_SENDERS == 70);
CHECK(MACH_NOTIFY_SEND_ONCE == 71);
CHECK(MACH_NOTIFY_DEAD_NAME == 72);
CHECK(MACH_NOTIFY_LAST == 77);

/* MIG */
SIZE(NDR_record_t, 8);
SIZE(mig_reply_error_t, 36);
OFF(mig_reply_error_t, RetCode, 32);
SIZE(__Request__exception_raise_t, 76);
SIZE(__Request__mach_exception_raise_t, 84);
SIZE(__Request__mach_exception_raise_state_t, 64 + 4 * THREAD_STATE_MAX);
SIZE(__Reply__exception_raise_t, 36);
SIZE(__Reply__mach_exception_raise_state_identity_t, 44 + 4 * THREAD_STATE_MAX);

/* thread state */
SIZE(x86_thread_state64_t, 168);
CHECK(x86_THREAD_STATE64_COUNT == 42);
OFF(x86_thread_state64_t, __rip, 128);
SIZE(x86_float_state64_t, 524);
CHECK(x86_FLOAT_STATE64_COUNT == 131);
SIZE(x86_exception_state64_t, 16);
CHECK(x86_EXCEPTION_STATE64_COUNT == 4);
CHECK(x86_DEBUG_STATE64_COUNT == 16);
CHECK(x86_THREAD_FULL_STATE64_COUNT == 50);
CHECK(x86_THREAD_STATE32_COUNT == 16);
CHECK(x86_FLOAT_STATE32_COUNT == 131);
CHECK(x86_EXCEPTION_STATE32_COUNT == 3);
CHECK(x86_DEBUG_STATE32_COUNT == 8);
CHECK(x86_THREAD_STATE_COUNT == 44);
CHECK(x86_FLOAT_STATE_COUNT == 133);
CHECK(x86_EXCEPTION_STATE_COUNT == 6);
CHECK(x86_DEBUG_STATE_COUNT == 18);
CHECK(THREAD_STATE_MAX == 1296);
SIZE(thread_state_data_t, 4 * 1296);

/* a few constants */
CHECK(MACH_PORT_TYPE_SEND == 0x10000);
CHECK(MACH_PORT_TYPE_RECEIVE == 0x20000);
CHECK(MACH_PORT_TYPE_SEND_ONCE == 0x40000);
CHECK(MACH_PORT_TYPE_PORT_SET == 0x80000);
CHECK(MACH_PORT_TYPE_DEAD_NAME == 0x100000);
CHECK(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) == 0x1513);
CHECK(MACH_MSGH_BITS_SET(19, 21, 17, MACH_MSGH_BITS_COMPLEX) == 0x80111513U);
CHECK(MACH_SEND_INVALID_DEST == (err_mach_ipc | err_sub(0) | 3));
CHECK(MACH_RCV_TIMED_OUT == (err_mach_ipc | err_sub(1) | 3));
CHECK(err_get_system(MACH_RCV_TOO_LARGE) == 4);
CHECK(err_get_sub(MACH_RCV_TOO_LARGE) == 1);
CHECK(KERN_NOT_FOUND == 56);
CHECK(EXC_MASK_ALL == 0x1bfe);
CHECK(TASK_BOOTSTRAP_PORT == 4);
CHECK(x86_THREAD_STATE64 == 4 && x86_THREAD_STATE == 7);

#include "harness.h"

/* The checks above ran at compile time; this records that they did. */
TEST(headers_compile_with_xnu_layouts)
{
	EXPECT_EQ(sizeof(mach_msg_header_t), 24);
	EXPECT_EQ(sizeof(mach_msg_max_trailer_t), 68);
}
