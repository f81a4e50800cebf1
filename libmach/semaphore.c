/* SPDX-License-Identifier: MIT */
/* Semaphores: machipc has no such objects (KERN_NOT_SUPPORTED). */
#include "internal.h"

#include <mach/mach_traps.h>

kern_return_t semaphore_signal_trap(mach_port_name_t signal_name)
{
	return machipc_not_supported(1, signal_name);
}

kern_return_t semaphore_signal_all_trap(mach_port_name_t signal_name)
{
	return machipc_not_supported(1, signal_name);
}

kern_return_t semaphore_signal_thread_trap(mach_port_name_t signal_name, mach_port_name_t thread_name)
{
	return machipc_not_supported(2, signal_name, thread_name);
}

kern_return_t semaphore_wait_trap(mach_port_name_t wait_name)
{
	return machipc_not_supported(1, wait_name);
}

kern_return_t semaphore_wait_signal_trap(mach_port_name_t wait_name, mach_port_name_t signal_name)
{
	return machipc_not_supported(2, wait_name, signal_name);
}

kern_return_t semaphore_timedwait_trap(mach_port_name_t wait_name, unsigned int sec, clock_res_t nsec)
{
	return machipc_not_supported(3, wait_name, sec, nsec);
}

kern_return_t semaphore_timedwait_signal_trap(mach_port_name_t wait_name, mach_port_name_t signal_name,
					      unsigned int sec, clock_res_t nsec)
{
	return machipc_not_supported(4, wait_name, signal_name, sec, nsec);
}
