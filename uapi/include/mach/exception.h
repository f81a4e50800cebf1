/* SPDX-License-Identifier: MIT */
/* machipc: historical name for <mach/exception_types.h>. */
#ifndef _MACH_EXCEPTION_H_
#define _MACH_EXCEPTION_H_

#include <mach/exception_types.h>

#endif /* _MACH_EXCEPTION_H_ */
