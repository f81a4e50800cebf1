/* SPDX-License-Identifier: MIT */
/* machipc: turning Mach error codes into text (implemented in libmach). */
#ifndef _MACH_ERROR_
#define _MACH_ERROR_    1

#include <mach/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Text describing error_value; never to be freed. */
char *mach_error_string(mach_error_t error_value);

/* Print "str message" to standard error. */
void mach_error(const char *str, mach_error_t error_value);

/* Text naming the system/subsystem of error_value. */
char *mach_error_type(mach_error_t error_value);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_ERROR_ */
