/* SPDX-License-Identifier: MIT */
/* machipc: gathers the MIG interfaces to kernel objects that are provided. */
#ifndef _MACH_INTERFACE_H_
#define _MACH_INTERFACE_H_

#include <mach/host_priv.h>
#include <mach/mach_host.h>
#include <mach/task.h>
#include <mach/thread_act.h>
#include <mach/vm_map.h>

#endif /* _MACH_INTERFACE_H_ */
