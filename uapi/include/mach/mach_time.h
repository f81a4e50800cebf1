/* SPDX-License-Identifier: MIT */
/*
 * machipc: mach_absolute_time and its timebase, as XNU's <mach/mach_time.h>.
 *
 * mach_absolute_time() is CLOCK_MONOTONIC in nanoseconds (timebase 1/1):
 * like XNU's, it does not advance while the system sleeps, and it is the
 * clock of mk_timer deadlines. mach_continuous_time() is CLOCK_BOOTTIME,
 * which does.
 */
#ifndef _MACH_MACH_TIME_H_
#define _MACH_MACH_TIME_H_

#include <stdint.h>
#include <mach/kern_return.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mach_timebase_info {
	uint32_t        numer;
	uint32_t        denom;
};

typedef struct mach_timebase_info       *mach_timebase_info_t;
typedef struct mach_timebase_info       mach_timebase_info_data_t;

kern_return_t   mach_timebase_info(mach_timebase_info_t info);
kern_return_t   mach_wait_until(uint64_t deadline);
uint64_t        mach_absolute_time(void);
uint64_t        mach_approximate_time(void);
uint64_t        mach_continuous_time(void);
uint64_t        mach_continuous_approximate_time(void);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MACH_TIME_H_ */
