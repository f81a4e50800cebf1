/* SPDX-License-Identifier: MIT */
/*
 * Timers as ports (XNU's mk_timer traps): one ioctl each, on the caller's
 * own space.
 */
#include "internal.h"

#include <mach/mk_timer.h>

mach_port_name_t mk_timer_create(void)
{
	struct machipc_port_call c = { 0 };

	if (machipc_port_call(MACHIPC_IOC_TIMER_CREATE, &c) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	return c.name;
}

kern_return_t mk_timer_destroy(mach_port_name_t name)
{
	struct machipc_port_call c = { .name = name };

	return machipc_port_call(MACHIPC_IOC_TIMER_DESTROY, &c);
}

kern_return_t mk_timer_arm(mach_port_name_t name, uint64_t expire_time)
{
	struct machipc_port_call c = { .name = name, .value = expire_time };

	return machipc_port_call(MACHIPC_IOC_TIMER_ARM, &c);
}

kern_return_t mk_timer_arm_leeway(mach_port_name_t name, uint64_t mk_timer_flags, uint64_t mk_timer_expire_time,
				  uint64_t mk_timer_leeway)
{
	struct machipc_port_call c = {
		.name = name,
		.flavor = (uint32_t)mk_timer_flags,
		.value = mk_timer_expire_time,
		.data = mk_timer_leeway,
	};

	return machipc_port_call(MACHIPC_IOC_TIMER_ARM_LEEWAY, &c);
}

kern_return_t mk_timer_cancel(mach_port_name_t name, uint64_t *result_time)
{
	struct machipc_port_call c = { .name = name, .data = (uintptr_t)result_time };

	return machipc_port_call(MACHIPC_IOC_TIMER_CANCEL, &c);
}
