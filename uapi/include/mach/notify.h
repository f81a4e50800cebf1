/* SPDX-License-Identifier: MIT */
/*
 * machipc: message ids and layouts of the notifications the kernel sends
 * (dead name, no senders, port destroyed, ...).
 */
#ifndef _MACH_NOTIFY_H_
#define _MACH_NOTIFY_H_

#include <mach/port.h>
#include <mach/message.h>
#include <mach/ndr.h>

/* Notification message ids (octal, as traditionally written) */
#define MACH_NOTIFY_FIRST               0100
#define MACH_NOTIFY_PORT_DELETED        (MACH_NOTIFY_FIRST + 001)
#define MACH_NOTIFY_SEND_POSSIBLE       (MACH_NOTIFY_FIRST + 002)
#define MACH_NOTIFY_PORT_DESTROYED      (MACH_NOTIFY_FIRST + 005)
#define MACH_NOTIFY_NO_SENDERS          (MACH_NOTIFY_FIRST + 006)
#define MACH_NOTIFY_SEND_ONCE           (MACH_NOTIFY_FIRST + 007)
#define MACH_NOTIFY_DEAD_NAME           (MACH_NOTIFY_FIRST + 010)
#define MACH_NOTIFY_LAST                (MACH_NOTIFY_FIRST + 015)

typedef mach_port_t notify_port_t;

/* A send or send-once right named not_port was deleted. */
typedef struct {
	mach_msg_header_t           not_header;
	NDR_record_t                NDR;
	mach_port_name_t            not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_port_deleted_notification_t;

/* Sending to not_port is possible again. */
typedef struct {
	mach_msg_header_t           not_header;
	NDR_record_t                NDR;
	mach_port_name_t            not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_send_possible_notification_t;

/* A receive right would have been destroyed; it is carried in not_port. */
typedef struct {
	mach_msg_header_t           not_header;
	mach_msg_body_t             not_body;
	mach_msg_port_descriptor_t  not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_port_destroyed_notification_t;

/* The last send right is gone; not_count is the make-send count. */
typedef struct {
	mach_msg_header_t           not_header;
	NDR_record_t                NDR;
	mach_msg_type_number_t      not_count;
	mach_msg_format_0_trailer_t trailer;
} mach_no_senders_notification_t;

/* A send-once right was destroyed without being used. */
typedef struct {
	mach_msg_header_t           not_header;
	mach_msg_format_0_trailer_t trailer;
} mach_send_once_notification_t;

/* The port behind not_port died; the name is now a dead name. */
typedef struct {
	mach_msg_header_t           not_header;
	NDR_record_t                NDR;
	mach_port_name_t            not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_dead_name_notification_t;

#endif /* _MACH_NOTIFY_H_ */
