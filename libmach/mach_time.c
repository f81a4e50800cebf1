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

kern_return_t mach_timebase_info_trap(mach_timebase_info_t info)
{
	return mach_timebase_info(info);
}

/*
 * CLOCK_BOOTTIME minus CLOCK_MONOTONIC, the time slept, which only changes
 * on resume. Linux gives no way to read it at once, so it is read between
 * two readings of CLOCK_MONOTONIC: the true value lies in
 * [boot - mono_after, boot - mono_before]. The last value found is kept
 * while it stays in that window, so that two calls see the same offset
 * (and absolute and continuous advance alike) unless the system slept.
 */
static _Atomic uint64_t sleep_offset;

static uint64_t sleep_offset_at(uint64_t *mono)
{
	uint64_t before = ns_of(CLOCK_MONOTONIC);
	uint64_t boot = ns_of(CLOCK_BOOTTIME);
	uint64_t after = ns_of(CLOCK_MONOTONIC);
	uint64_t lo = boot > after ? boot - after : 0;
	uint64_t hi = boot > before ? boot - before : 0;
	uint64_t kept = sleep_offset;

	*mono = after;
	if (kept >= lo && kept <= hi)
		return kept;
	sleep_offset = lo;
	return lo;
}

kern_return_t mach_get_times(uint64_t *absolute_time, uint64_t *continuous_time, struct timespec *tp)
{
	uint64_t mono, offset = sleep_offset_at(&mono);

	if (absolute_time)
		*absolute_time = mono;
	if (continuous_time)
		*continuous_time = mono + offset;
	if (tp) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		tp->tv_sec = now.tv_sec;
		tp->tv_nsec = now.tv_nsec / 1000 * 1000;
	}
	return KERN_SUCCESS;
}
