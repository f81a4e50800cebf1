/* SPDX-License-Identifier: MIT */
/*
 * machipc libmach: NDR_record, the data-format label MIG copies into every
 * message it builds. It describes an x86_64/arm64 Linux host: NDR 2.0,
 * little-endian integers, ASCII characters, IEEE floats.
 */
#include <mach/ndr.h>

NDR_record_t NDR_record = {
	.mig_vers     = 0,
	.if_vers      = 0,
	.reserved1    = 0,
	.mig_encoding = NDR_PROTOCOL_2_0,
	.int_rep      = NDR_INT_LITTLE_ENDIAN,
	.char_rep     = NDR_CHAR_ASCII,
	.float_rep    = NDR_FLOAT_IEEE,
	.reserved2    = 0,
};
