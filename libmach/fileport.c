/* SPDX-License-Identifier: MIT */
/*
 * Open files as ports (XNU's fileport_makeport and fileport_makefd, BSD
 * system calls there: 0 or a descriptor, else -1 with errno) and rights as
 * descriptors (machipc_port_to_fd and machipc_fd_to_port, which answer
 * kern_return_t). One ioctl each, on the caller's own space.
 */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <sys/fileport.h>
#include <sys/ioctl.h>

int fileport_makeport(int fd, fileport_t *port)
{
	/* The kernel writes the name to `port` itself, as XNU's copyout:
	 * EFAULT, and no name left behind, if it cannot. */
	struct machipc_port_call c = { .delta = fd, .data = (uint64_t)(uintptr_t)port };
	int dev = machipc_device_fd();

	if (dev < 0)
		return -1;
	return ioctl(dev, MACHIPC_IOC_FILEPORT_MAKEPORT, &c) != 0 ? -1 : 0;
}

int fileport_makefd(fileport_t port)
{
	struct machipc_port_call c = { .name = port };
	int dev = machipc_device_fd();

	if (dev < 0)
		return -1;
	return ioctl(dev, MACHIPC_IOC_FILEPORT_MAKEFD, &c) != 0 ? -1 : c.delta;
}

kern_return_t machipc_port_to_fd(mach_port_name_t name, int *fd)
{
	struct machipc_port_call c = { .name = name };
	kern_return_t kr = machipc_port_call(MACHIPC_IOC_PORT_TO_FD, &c);

	if (kr == KERN_SUCCESS)
		*fd = c.delta;
	return kr;
}

kern_return_t machipc_fd_to_port(int fd, mach_port_name_t *name)
{
	struct machipc_port_call c = { .delta = fd };
	kern_return_t kr = machipc_port_call(MACHIPC_IOC_FD_TO_PORT, &c);

	if (kr == KERN_SUCCESS)
		*name = c.name;
	return kr;
}
