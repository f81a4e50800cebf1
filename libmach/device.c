/* SPDX-License-Identifier: MIT */
/*
 * The process's connection to /dev/machipc: opened lazily and close-on-exec
 * on first use, from any thread. After fork() the child starts with a fresh,
 * empty space (XNU's behaviour): the inherited descriptor is closed and the
 * next call opens a new one.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

mach_port_t mach_task_self_ = MACHIPC_TASK_SELF_NAME;
mach_port_t bootstrap_port = MACH_PORT_NULL;
int (*vprintf_stderr_func)(const char *format, va_list ap);

static int device_fd = -1;
static pthread_mutex_t device_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void load_bootstrap_port(void)
{
	struct machipc_port_call c = { .flavor = TASK_BOOTSTRAP_PORT };

	if (ioctl(device_fd, MACHIPC_IOC_GET_SPECIAL_PORT, &c) == 0 && c.ret == KERN_SUCCESS)
		bootstrap_port = c.name;
}

/*
 * The parent's space is not the child's: the child gets a fresh, empty
 * space whose bootstrap port is a send right to the parent's, as in XNU.
 */
static void child_after_fork(void)
{
	int old = device_fd;

	device_fd = -1;
	bootstrap_port = MACH_PORT_NULL;
	machipc_mig_forget_reply_port();
	pthread_mutex_init(&device_lock, NULL);
	if (old < 0)
		return;
	device_fd = open(MACHIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (device_fd >= 0) {
		struct machipc_inherit in = { .fd = old };

		if (ioctl(device_fd, MACHIPC_IOC_INHERIT, &in) == 0 && in.ret == KERN_SUCCESS)
			load_bootstrap_port();
	}
	close(old);
}

static void install_atfork(void)
{
	pthread_atfork(NULL, NULL, child_after_fork);
}

int machipc_device_fd(void)
{
	int fd = __atomic_load_n(&device_fd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		return fd;
	pthread_once(&atfork_once, install_atfork);
	pthread_mutex_lock(&device_lock);
	if (device_fd < 0) {
		fd = open(MACHIPC_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			__atomic_store_n(&device_fd, fd, __ATOMIC_RELEASE);
			load_bootstrap_port();
		}
	}
	fd = device_fd;
	pthread_mutex_unlock(&device_lock);
	return fd;
}

kern_return_t machipc_port_call(unsigned long cmd, struct machipc_port_call *c)
{
	int fd = machipc_device_fd();

	if (fd < 0)
		return KERN_FAILURE;
	if (ioctl(fd, cmd, c) != 0)
		return errno == EFAULT ? KERN_INVALID_ADDRESS : KERN_FAILURE;
	return c->ret;
}
