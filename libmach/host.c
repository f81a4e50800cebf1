/* SPDX-License-Identifier: MIT */
/*
 * The host: mach_host_self() (the task's TASK_HOST_PORT, as XNU's
 * host_self_trap) and the host routines, MIG requests the kernel serves on
 * the host ports (mach_host.defs, host_priv.defs).
 */
#include "internal.h"
#include "mig_ids.h"

mach_port_t mach_host_self(void)
{
	mach_port_t port = MACH_PORT_NULL;

	/* A new user reference each call, as XNU's trap. */
	if (task_get_special_port(mach_task_self(), TASK_HOST_PORT, &port) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	return port;
}
MACHIPC_TRAP_ALIAS(host_self_trap, mach_host_self);

kern_return_t host_info(host_t host, host_flavor_t flavor, host_info_t host_info_out,
			mach_msg_type_number_t *host_info_outCnt)
{
	return machipc_mig_info(host, MIG_HOST_INFO, (uint32_t)flavor, host_info_out, host_info_outCnt);
}

kern_return_t _host_page_size(host_t host, vm_size_t *out_page_size)
{
	uint64_t size;
	kern_return_t kr = machipc_mig_simple(host, MIG_HOST_PAGE_SIZE, NULL, 0, &size, sizeof(size));

	if (kr == KERN_SUCCESS)
		*out_page_size = (vm_size_t)size;
	return kr;
}

kern_return_t host_get_special_port(host_priv_t host_priv, int node, int which, mach_port_t *port)
{
	int32_t a[] = { node, which };

	return machipc_mig_port_out(host_priv, MIG_HOST_GET_SPECIAL_PORT, a, sizeof(a), port, NULL);
}

kern_return_t host_set_special_port(host_priv_t host_priv, int which, mach_port_t port)
{
	int32_t a[] = { which };

	return machipc_mig_port_in(host_priv, MIG_HOST_SET_SPECIAL_PORT, port, MACH_MSG_TYPE_COPY_SEND, a,
				   sizeof(a));
}
