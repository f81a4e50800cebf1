/* SPDX-License-Identifier: MIT */
/* Semaphores: machipc has no such objects (KERN_NOT_SUPPORTED). */
#include "internal.h"

#include <mach/mach_traps.h>

kern_return_t semaphore_signal_trap(mach_port_name_t signal_name)
{
	(void)signal_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_signal_all_trap(mach_port_name_t signal_name)
{
	(void)signal_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_signal_thread_trap(mach_port_name_t signal_name, mach_port_name_t thread_name)
{
	(void)signal_name, (void)thread_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_wait_trap(mach_port_name_t wait_name)
{
	(void)wait_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_wait_signal_trap(mach_port_name_t wait_name, mach_port_name_t signal_name)
{
	(void)wait_name, (void)signal_name;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_timedwait_trap(mach_port_name_t wait_name, unsigned int sec, clock_res_t nsec)
{
	(void)wait_name, (void)sec, (void)nsec;
	return KERN_NOT_SUPPORTED;
}

kern_return_t semaphore_timedwait_signal_trap(mach_port_name_t wait_name, mach_port_name_t signal_name,
					      unsigned int sec, clock_res_t nsec)
{
	(void)wait_name, (void)signal_name, (void)sec, (void)nsec;
	return KERN_NOT_SUPPORTED;
}
