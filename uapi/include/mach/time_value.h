/* SPDX-License-Identifier: MIT */
/* machipc: time_value_t, a seconds + microseconds pair. */
#ifndef _MACH_TIME_VALUE_H_
#define _MACH_TIME_VALUE_H_

#include <mach/machine/vm_types.h>

struct time_value {
	integer_t seconds;
	integer_t microseconds;
};
typedef struct time_value       time_value_t;

#define TIME_MICROS_MAX (1000000)

/* Add a number of microseconds to *val, carrying into seconds. */
#define time_value_add_usec(val, micros) do { \
	(val)->microseconds += (micros); \
	if ((val)->microseconds >= TIME_MICROS_MAX) { \
		(val)->seconds += 1; \
		(val)->microseconds -= TIME_MICROS_MAX; \
	} \
} while (0)

/* *result += *addend, with carry. */
#define time_value_add(result, addend) do { \
	(result)->seconds += (addend)->seconds; \
	(result)->microseconds += (addend)->microseconds; \
	if ((result)->microseconds >= TIME_MICROS_MAX) { \
		(result)->seconds += 1; \
		(result)->microseconds -= TIME_MICROS_MAX; \
	} \
} while (0)

#endif /* _MACH_TIME_VALUE_H_ */
