/* SPDX-License-Identifier: MIT */
/* machipc: kern_return_t and every KERN_* result code. */
#ifndef _MACH_KERN_RETURN_H_
#define _MACH_KERN_RETURN_H_

#include <mach/machine/kern_return.h>

#define KERN_SUCCESS                    0
#define KERN_INVALID_ADDRESS            1   /* address not valid in the map */
#define KERN_PROTECTION_FAILURE         2   /* access not allowed by protection */
#define KERN_NO_SPACE                   3   /* range in use or no room left */
#define KERN_INVALID_ARGUMENT           4   /* argument makes no sense here */
#define KERN_FAILURE                    5   /* generic failure */
#define KERN_RESOURCE_SHORTAGE          6   /* out of some kernel resource */
#define KERN_NOT_RECEIVER               7   /* caller lacks the receive right */
#define KERN_NO_ACCESS                  8   /* access restriction violated */
#define KERN_MEMORY_FAILURE             9   /* memory object destroyed */
#define KERN_MEMORY_ERROR               10  /* memory manager reported error */
#define KERN_ALREADY_IN_SET             11  /* receive right already in a set */
#define KERN_NOT_IN_SET                 12  /* receive right not in a set */
#define KERN_NAME_EXISTS                13  /* name already denotes a right */
#define KERN_ABORTED                    14  /* operation was aborted */
#define KERN_INVALID_NAME               15  /* name denotes no right */
#define KERN_INVALID_TASK               16  /* target task is not active */
#define KERN_INVALID_RIGHT              17  /* right of the wrong kind */
#define KERN_INVALID_VALUE              18  /* value out of range */
#define KERN_UREFS_OVERFLOW             19  /* user-reference count overflow */
#define KERN_INVALID_CAPABILITY         20  /* unsuitable port capability */
#define KERN_RIGHT_EXISTS               21  /* task already holds a right */
#define KERN_INVALID_HOST               22  /* not a host port */
#define KERN_MEMORY_PRESENT             23  /* precious data already present */
#define KERN_MEMORY_DATA_MOVED          24  /* page data has moved */
#define KERN_MEMORY_RESTART_COPY        25  /* restart the copy operation */
#define KERN_INVALID_PROCESSOR_SET      26  /* not a processor-set port */
#define KERN_POLICY_LIMIT               27  /* scheduling limits exceeded */
#define KERN_INVALID_POLICY             28  /* policy not enabled */
#define KERN_INVALID_OBJECT             29  /* memory object setup failed */
#define KERN_ALREADY_WAITING            30  /* someone already waits here */
#define KERN_DEFAULT_SET                31  /* default processor set */
#define KERN_EXCEPTION_PROTECTED        32  /* exception port is protected */
#define KERN_INVALID_LEDGER             33  /* ledger missing or invalid */
#define KERN_INVALID_MEMORY_CONTROL     34  /* not a memory cache control port */
#define KERN_INVALID_SECURITY           35  /* not a host security port */
#define KERN_NOT_DEPRESSED              36  /* thread priority not depressed */
#define KERN_TERMINATED                 37  /* object has been terminated */
#define KERN_LOCK_SET_DESTROYED         38  /* lock set destroyed */
#define KERN_LOCK_UNSTABLE              39  /* lock holder died */
#define KERN_LOCK_OWNED                 40  /* lock held by another thread */
#define KERN_LOCK_OWNED_SELF            41  /* lock held by the caller */
#define KERN_SEMAPHORE_DESTROYED        42  /* semaphore destroyed */
#define KERN_RPC_SERVER_TERMINATED      43  /* RPC server went away */
#define KERN_RPC_TERMINATE_ORPHAN       44  /* terminate orphaned activation */
#define KERN_RPC_CONTINUE_ORPHAN        45  /* let orphaned activation go on */
#define KERN_NOT_SUPPORTED              46  /* operation not supported */
#define KERN_NODE_DOWN                  47  /* remote node unreachable */
#define KERN_NOT_WAITING                48  /* signalled thread was not waiting */
#define KERN_OPERATION_TIMED_OUT        49  /* timed out */
#define KERN_CODESIGN_ERROR             50  /* code signature check failed */
#define KERN_POLICY_STATIC              51  /* property cannot change now */
#define KERN_INSUFFICIENT_BUFFER_SIZE   52  /* caller's buffer too small */
#define KERN_DENIED                     53  /* denied by security policy */
#define KERN_MISSING_KC                 54  /* kernel collection missing */
#define KERN_INVALID_KC                 55  /* kernel collection invalid */
#define KERN_NOT_FOUND                  56  /* lookup found nothing */

/* Largest value a kern_return_t may take */
#define KERN_RETURN_MAX                 0x100

#endif /* _MACH_KERN_RETURN_H_ */
