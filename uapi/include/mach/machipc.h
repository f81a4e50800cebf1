/* SPDX-License-Identifier: MIT */
/*
 * machipc: the Mach library's own extensions, which XNU has no header for.
 * Included by <mach/mach.h>.
 */
#ifndef _MACH_MACHIPC_H_
#define _MACH_MACHIPC_H_

#include <stdint.h>
#include <mach/port.h>
#include <mach/kern_return.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A new pollable descriptor (O_CLOEXEC) for the receive right or port set
 * `name` of the calling task: it is readable while a message is queued, so
 * epoll or poll can wait on Mach ports beside other descriptors (as XNU's
 * kqueue EVFILT_MACHPORT). `trailer` is the MACH_RCV_TRAILER_* option that
 * read(2) on it uses. Returns -1 with errno set on failure.
 */
extern int machipc_port_fd(mach_port_name_t name, uint32_t trailer);

/*
 * Rights as descriptors, for UNIX sockets (SCM_RIGHTS), inheritance and
 * any process that keeps descriptors.
 *
 * machipc_port_to_fd: a new descriptor (O_CLOEXEC) in *fd that owns a copy
 * of the send right `name` names, or the send-once right it names (moved
 * out of the space). The right is released when the descriptor's last
 * copy closes (no-senders may fire). Errors as mach_port_extract_right's:
 * KERN_INVALID_NAME, KERN_INVALID_RIGHT (null or dead name, receive right
 * alone, port set); KERN_RESOURCE_SHORTAGE (memory, limits, descriptors).
 *
 * machipc_fd_to_port: names in the caller's space, in *name, the right
 * descriptor `fd` owns: a new send right (the descriptor keeps its own),
 * or its send-once right (moved out; a second call is KERN_INVALID_RIGHT).
 * A right to a port that died is MACH_PORT_DEAD. KERN_INVALID_ARGUMENT if
 * fd is not a right descriptor.
 */
extern kern_return_t machipc_port_to_fd(mach_port_name_t name, int *fd);
extern kern_return_t machipc_fd_to_port(int fd, mach_port_name_t *name);

/* The calling process's /dev/machipc descriptor, opened on first use. */
extern int machipc_device_fd(void);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MACHIPC_H_ */
