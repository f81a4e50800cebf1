/* SPDX-License-Identifier: MIT */
/*
 * machipc: the NDR (Network Data Representation) label MIG puts in messages
 * to describe the sender's integer, character and float formats.
 */
#ifndef _MACH_NDR_H_
#define _MACH_NDR_H_

#include <stdint.h>

typedef struct {
	unsigned char       mig_vers;
	unsigned char       if_vers;
	unsigned char       reserved1;
	unsigned char       mig_encoding;
	unsigned char       int_rep;
	unsigned char       char_rep;
	unsigned char       float_rep;
	unsigned char       reserved2;
} NDR_record_t;

/* mig_encoding */
#define NDR_PROTOCOL_2_0      0

/* int_rep, float_rep and char_rep */
#define NDR_INT_BIG_ENDIAN    0
#define NDR_INT_LITTLE_ENDIAN 1
#define NDR_FLOAT_IEEE        0
#define NDR_FLOAT_VAX         1
#define NDR_FLOAT_CRAY        2
#define NDR_FLOAT_IBM         3
#define NDR_CHAR_ASCII        0
#define NDR_CHAR_EBCDIC       1

#ifdef __cplusplus
extern "C" {
#endif

/* The label describing this machine (defined in libmach). */
extern NDR_record_t NDR_record;

#ifdef __cplusplus
}
#endif

/* Generated code may test these; data conversion is never performed. */
#if !defined(__NDR_convert__)
#define __NDR_convert__ 0
#endif
#ifndef __NDR_convert__int_rep__
#define __NDR_convert__int_rep__ __NDR_convert__
#endif
#ifndef __NDR_convert__char_rep__
#define __NDR_convert__char_rep__ 0
#endif
#ifndef __NDR_convert__float_rep__
#define __NDR_convert__float_rep__ 0
#endif

#endif /* _MACH_NDR_H_ */
