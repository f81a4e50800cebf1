/* SPDX-License-Identifier: MIT */
/*
 * libmach's clocks (XNU's <mach/mach_time.h>): mach_get_times reads the
 * absolute and continuous clocks of one instant, so between two calls both
 * advance alike, with the time of day beside them; mach_timebase_info_trap
 * answers what mach_timebase_info does.
 */
#include <mach/mach.h>
#include <mach/mach_time.h>
#include <mach/mach_traps.h>
#include <time.h>
#include "harness.h"

TEST(timebase_trap_matches_timebase_info)
{
	mach_timebase_info_data_t a = { 0, 0 }, b = { 0, 0 };

	KR_OK(mach_timebase_info(&a));
	KR_OK(mach_timebase_info_trap(&b));
	EXPECT_EQ(a.numer, b.numer);
	EXPECT_EQ(a.denom, b.denom);
	EXPECT_NE(b.denom, 0);
}

TEST(get_times_advances_both_clocks_alike)
{
	uint64_t abs0, cont0, abs1, cont1;
	struct timespec ts;

	KR_OK(mach_get_times(&abs0, &cont0, &ts));
	EXPECT_TRUE(cont0 >= abs0);
	for (int i = 0; i < 100000; i++) {
		KR_OK(mach_get_times(&abs1, &cont1, NULL));
		if (abs1 - abs0 != cont1 - cont0)
			FAILF("call %d: absolute advanced %llu ns, continuous %llu ns", i,
			      (unsigned long long)(abs1 - abs0), (unsigned long long)(cont1 - cont0));
		EXPECT_TRUE(abs1 >= abs0);
		abs0 = abs1;
		cont0 = cont1;
	}
}

TEST(get_times_reads_the_clocks_it_names)
{
	uint64_t abs, cont, before = mach_absolute_time();
	struct timespec ts, now;

	KR_OK(mach_get_times(&abs, &cont, &ts));
	clock_gettime(CLOCK_REALTIME, &now);
	EXPECT_TRUE(abs >= before && abs <= mach_absolute_time());
	EXPECT_TRUE(cont <= mach_continuous_time());
	/* The time of day in microseconds, within a second of the clock's. */
	EXPECT_EQ(ts.tv_nsec % 1000, 0);
	EXPECT_TRUE(now.tv_sec - ts.tv_sec <= 1 && now.tv_sec >= ts.tv_sec);
	/* Every pointer may be NULL. */
	KR_OK(mach_get_times(NULL, NULL, NULL));
}
