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
#include <time.h>
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

/*
 * The absolute and continuous times of one instant, and the time of day
 * (microseconds, as XNU's) read with them; any pointer may be NULL. The
 * two clocks' difference is the time slept, so between two calls both
 * advance by the same amount unless the system slept in between.
 */
kern_return_t   mach_get_times(uint64_t *absolute_time, uint64_t *continuous_time,
    struct timespec *tp);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MACH_TIME_H_ */
