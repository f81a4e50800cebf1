/* SPDX-License-Identifier: MIT */
/*
 * machipc: the Mach library's own extensions, which XNU has no header for.
 * Included by <mach/mach.h>.
 */
#ifndef _MACH_MACHIPC_H_
#define _MACH_MACHIPC_H_

#include <stdint.h>
#include <mach/port.h>

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

/* The calling process's /dev/machipc descriptor, opened on first use. */
extern int machipc_device_fd(void);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MACHIPC_H_ */
