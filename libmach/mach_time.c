/* SPDX-License-Identifier: MIT */
/*
 * mach_absolute_time and friends: CLOCK_MONOTONIC (and CLOCK_BOOTTIME for
 * the continuous clock) in nanoseconds, timebase 1/1.
 */
#include "internal.h"

#include <errno.h>
#include <time.h>
#include <mach/mach_time.h>

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mach_absolute_time(void)
{
	return ns_of(CLOCK_MONOTONIC);
}

uint64_t mach_approximate_time(void)
{
	return ns_of(CLOCK_MONOTONIC_COARSE);
}

uint64_t mach_continuous_time(void)
{
	return ns_of(CLOCK_BOOTTIME);
}

uint64_t mach_continuous_approximate_time(void)
{
	return ns_of(CLOCK_BOOTTIME);
}

kern_return_t mach_timebase_info(mach_timebase_info_t info)
{
	info->numer = 1;
	info->denom = 1;
	return KERN_SUCCESS;
}

kern_return_t mach_wait_until(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000000ull),
		.tv_nsec = (long)(deadline % 1000000000ull),
	};
	int r;

	while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
		;
	return r == 0 ? KERN_SUCCESS : KERN_INVALID_ARGUMENT;
}
