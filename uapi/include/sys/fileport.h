/* SPDX-License-Identifier: MIT */
/*
 * Open files as Mach ports, as XNU's <sys/fileport.h>. libmach implements
 * them on /dev/machipc (libmach/fileport.c); see README.md, "Fileports".
 */
#ifndef _SYS_FILEPORT_H_
#define _SYS_FILEPORT_H_

#include <mach/port.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _FILEPORT_T
#define _FILEPORT_T
/* XNU: typedef __darwin_mach_port_t fileport_t (a mach_port_t). */
typedef mach_port_t fileport_t;
#define FILEPORT_NULL ((fileport_t)0)
#endif

/*
 * A send right, named in the caller's space and stored at *port, to a new
 * port holding a reference to the open file of `fd`. 0, or -1 with errno:
 * EBADF (fd not open), EINVAL (a file that may not cross: /dev/machipc, a
 * port or right descriptor that could hold it, io_uring, an AF_UNIX
 * socket), EAGAIN (memory or limits), EFAULT (port unwritable).
 */
int fileport_makeport(int fd, fileport_t *port);

/*
 * A new descriptor (FD_CLOEXEC set) for the file of the fileport `port`
 * (a send right, which stays). The descriptor, or -1 with errno: EINVAL
 * (not a send right to a fileport), EMFILE.
 */
int fileport_makefd(fileport_t port);

#ifdef __cplusplus
}
#endif

#endif /* _SYS_FILEPORT_H_ */
