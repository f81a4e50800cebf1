/* SPDX-License-Identifier: MIT */
/*
 * machipc: the routines of XNU's host_priv.defs that machipc serves, with
 * the C signatures MIG produces. They take the privileged host port.
 */
#ifndef _host_priv_user_
#define _host_priv_user_

#include <mach/ndr.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/std_types.h>
#include <mach/mig.h>
#include <mach/host_special_ports.h>

#ifdef __cplusplus
extern "C" {
#endif

kern_return_t host_get_special_port(
	host_priv_t host_priv,
	int node,
	int which,
	mach_port_t *port);

kern_return_t host_set_special_port(
	host_priv_t host_priv,
	int which,
	mach_port_t port);

#ifdef __cplusplus
}
#endif

#endif /* _host_priv_user_ */
