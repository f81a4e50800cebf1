/* SPDX-License-Identifier: MIT */
/*
 * machipc: umbrella header for Mach user programs, plus the message helpers
 * of the Mach library (mach_msg_send(), mach_msg_server(), ...).
 */
#ifndef _MACH_H_
#define _MACH_H_

#define __MACH30__
#define MACH_IPC_FLAVOR UNTYPED

#include <mach/std_types.h>
#include <mach/mach_types.h>
#include <mach/mach_interface.h>
#include <mach/mach_port.h>
#include <mach/mach_init.h>

#include <mach/mig.h>
#include <mach/mig_errors.h>
#include <mach/mach_error.h>
#include <mach/machipc.h>

#ifdef __cplusplus
extern "C" {
#endif

extern void panic_init(mach_port_t);
extern void panic(const char *, ...);

/* Fill in a reply header (and MIG error body) for a request */
extern void mig_reply_setup(mach_msg_header_t *, mach_msg_header_t *);

/* Release every right and out-of-line region a received message holds */
extern void mach_msg_destroy(mach_msg_header_t *);

/* mach_msg() with only MACH_RCV_MSG / MACH_SEND_MSG, sizes from msgh_size */
extern mach_msg_return_t mach_msg_receive(mach_msg_header_t *);
extern mach_msg_return_t mach_msg_send(mach_msg_header_t *);

/*
 * Receive one request (or loop forever) on rcv_name, hand it to demux and
 * send the reply it builds. max_size bounds request and reply sizes.
 */
extern mach_msg_return_t mach_msg_server_once(
	boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
	mach_msg_size_t max_size,
	mach_port_t rcv_name,
	mach_msg_options_t options);

extern mach_msg_return_t mach_msg_server(
	boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
	mach_msg_size_t max_size,
	mach_port_t rcv_name,
	mach_msg_options_t options);

extern mach_msg_return_t mach_msg_server_importance(
	boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
	mach_msg_size_t max_size,
	mach_port_t rcv_name,
	mach_msg_options_t options);

/* Clock calls, kept for compatibility */
extern kern_return_t clock_get_res(mach_port_t, clock_res_t *);
extern kern_return_t clock_set_res(mach_port_t, clock_res_t);
extern kern_return_t clock_sleep(mach_port_t, int, mach_timespec_t,
    mach_timespec_t *);

/* Voucher handling for hand-written message servers */
#define VOUCHER_MACH_MSG_API_VERSION 20140205

typedef struct voucher_mach_msg_state_s *voucher_mach_msg_state_t;

#define VOUCHER_MACH_MSG_STATE_UNCHANGED ((voucher_mach_msg_state_t)~0ul)

extern boolean_t voucher_mach_msg_set(mach_msg_header_t *msg);
extern void voucher_mach_msg_clear(mach_msg_header_t *msg);
extern voucher_mach_msg_state_t voucher_mach_msg_adopt(mach_msg_header_t *msg);
extern void voucher_mach_msg_revert(voucher_mach_msg_state_t state);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_H_ */
