/* SPDX-License-Identifier: MIT */
/* machipc: MIG_* error codes and the generic MIG error reply. */
#ifndef _MACH_MIG_ERRORS_H_
#define _MACH_MIG_ERRORS_H_

#include <mach/mig.h>
#include <mach/ndr.h>
#include <mach/message.h>
#include <mach/kern_return.h>

#define MIG_TYPE_ERROR          -300    /* reply failed client type check */
#define MIG_REPLY_MISMATCH      -301    /* reply id did not match request */
#define MIG_REMOTE_ERROR        -302    /* server reported an error */
#define MIG_BAD_ID              -303    /* request id unknown to server */
#define MIG_BAD_ARGUMENTS       -304    /* request failed server type check */
#define MIG_NO_REPLY            -305    /* server will not reply */
#define MIG_EXCEPTION           -306    /* server raised an exception */
#define MIG_ARRAY_TOO_LARGE     -307    /* caller's array too small */
#define MIG_SERVER_DIED         -308    /* server went away */
#define MIG_TRAILER_ERROR       -309    /* unknown trailer format */

/* Reply carrying only a return code (36 bytes) */
#pragma pack(push, 4)
typedef struct {
	mach_msg_header_t       Head;
	NDR_record_t            NDR;
	kern_return_t           RetCode;
} mig_reply_error_t;
#pragma pack(pop)

#endif /* _MACH_MIG_ERRORS_H_ */
