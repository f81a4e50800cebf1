/* SPDX-License-Identifier: MIT */
/* Clocks: machipc has no clock objects (KERN_NOT_SUPPORTED). */
#include "internal.h"

#include <mach/mach_traps.h>

kern_return_t clock_sleep_trap(mach_port_name_t clock_name, sleep_type_t sleep_type, int sleep_sec,
			       int sleep_nsec, mach_timespec_t *wakeup_time)
{
	return machipc_not_supported(5, clock_name, sleep_type, sleep_sec, sleep_nsec, wakeup_time);
}

kern_return_t clock_get_res(mach_port_t clock_serv, clock_res_t *res)
{
	return machipc_not_supported(2, clock_serv, res);
}

kern_return_t clock_set_res(mach_port_t clock_serv, clock_res_t res)
{
	return machipc_not_supported(2, clock_serv, res);
}

kern_return_t clock_sleep(mach_port_t clock_serv, int sleep_type, mach_timespec_t sleep_time,
			  mach_timespec_t *wake_time)
{
	return machipc_not_supported(4, clock_serv, sleep_type, sleep_time, wake_time);
}
