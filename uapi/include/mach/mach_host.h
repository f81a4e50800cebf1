/* SPDX-License-Identifier: MIT */
/*
 * machipc: the host routines of XNU's mach_host.defs that machipc serves,
 * with the C signatures MIG produces (host_page_size is in <mach/mach_init.h>).
 */
#ifndef _mach_host_user_
#define _mach_host_user_

#include <mach/ndr.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/std_types.h>
#include <mach/mig.h>
#include <mach/host_info.h>

#ifdef __cplusplus
extern "C" {
#endif

kern_return_t host_info(
	host_t host,
	host_flavor_t flavor,
	host_info_t host_info_out,
	mach_msg_type_number_t *host_info_outCnt);

kern_return_t _host_page_size(
	host_t host,
	vm_size_t *out_page_size);

#ifdef __cplusplus
}
#endif

#endif /* _mach_host_user_ */
