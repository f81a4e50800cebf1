/* SPDX-License-Identifier: MIT */
/*
 * machipc: timers as ports, as XNU's <mach/mk_timer.h>.
 *
 * mk_timer_create() makes a port whose receive right the caller holds; an
 * armed timer sends mk_timer_expire_msg_t (msgh_id 0, `unused` zeroed) to
 * it once at the deadline, a mach_absolute_time() value. A timer has at
 * most one expiry message queued at a time, as on XNU.
 */
#ifndef _MACH_MK_TIMER_H_
#define _MACH_MK_TIMER_H_

#include <stdint.h>
#include <mach/mach_time.h>
#include <mach/message.h>

#ifdef __cplusplus
extern "C" {
#endif

extern mach_port_name_t mk_timer_create(void);

extern kern_return_t    mk_timer_destroy(
	mach_port_name_t        name);

extern kern_return_t    mk_timer_arm(
	mach_port_name_t        name,
	uint64_t                expire_time);

extern kern_return_t    mk_timer_cancel(
	mach_port_name_t        name,
	uint64_t               *result_time);

/* mk_timer_flags */
#define MK_TIMER_NORMAL         (0)
#define MK_TIMER_CRITICAL       (1)

extern kern_return_t    mk_timer_arm_leeway(
	mach_port_name_t        name,
	uint64_t                mk_timer_flags,
	uint64_t                mk_timer_expire_time,
	uint64_t                mk_timer_leeway);

#pragma pack(4)
typedef struct mk_timer_expire_msg {
	mach_msg_header_t       header;
	uint64_t                unused[3];
} mk_timer_expire_msg_t;
#pragma pack()

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MK_TIMER_H_ */
