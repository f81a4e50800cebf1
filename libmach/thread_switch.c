/* SPDX-License-Identifier: MIT */
/*
 * Scheduling hints (ms_thread_switch.c in XNU): no handoff or depression
 * here, only a yield or, for SWITCH_OPTION_WAIT, a sleep.
 */
#include "internal.h"

#include <mach/mach_traps.h>
#include <sched.h>
#include <time.h>

#define COMPAT_SWITCH_OPTION_WAIT 2 /* XNU's SWITCH_OPTION_WAIT */

boolean_t swtch_pri(int pri)
{
	(void)pri;
	sched_yield();
	return FALSE;
}

boolean_t swtch(void)
{
	sched_yield();
	return FALSE;
}

kern_return_t thread_switch(mach_port_name_t thread_name, int option, mach_msg_timeout_t option_time)
{
	(void)thread_name;
	if (option == COMPAT_SWITCH_OPTION_WAIT && option_time != 0) {
		struct timespec ts = { .tv_sec = option_time / 1000, .tv_nsec = (long)(option_time % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	} else {
		sched_yield();
	}
	return KERN_SUCCESS;
}
