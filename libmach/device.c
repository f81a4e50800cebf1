/* SPDX-License-Identifier: MIT */
/*
 * The process's connection to /dev/machipc: opened close-on-exec at start
 * (task_init below), or on first use if that failed, from any thread. The
 * space is charged and judged as whoever the process is at each call, not
 * as its opener (the module follows credential changes), so opening it
 * early in a process that drops privileges later is safe. After fork() the
 * child starts with a fresh, empty space (XNU's behaviour): the inherited
 * descriptor is closed and a new one opened at once. A parent with a space
 * returns from fork() only once the child has its own, so that
 * task_for_pid(child) works from then on, as on XNU, also for a child that
 * never makes a Mach call.
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
/* The pipe a forking thread waits on until its child has opened its space
 * (the child writes a byte, or its end closes when the child dies). */
static __thread int fork_wait[2] = { -1, -1 };

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
	if (old >= 0) {
		device_fd = open(MACHIPC_DEVICE, O_RDWR | O_CLOEXEC);
		if (device_fd >= 0) {
			struct machipc_inherit in = { .fd = old };

			if (ioctl(device_fd, MACHIPC_IOC_INHERIT, &in) == 0 && in.ret == KERN_SUCCESS)
				load_bootstrap_port();
		}
		close(old);
	}
	if (fork_wait[1] >= 0) {
		char c = 1;

		close(fork_wait[0]);
		if (write(fork_wait[1], &c, 1) < 0) {
			/* The parent then learns it from the closed end. */
		}
		close(fork_wait[1]);
		fork_wait[0] = fork_wait[1] = -1;
	}
}

static void prepare_fork(void)
{
	fork_wait[0] = fork_wait[1] = -1;
	if (__atomic_load_n(&device_fd, __ATOMIC_ACQUIRE) >= 0 && pipe2(fork_wait, O_CLOEXEC) != 0)
		fork_wait[0] = fork_wait[1] = -1;
}

/* Also after a failed fork: then the pipe's other end is closed here. */
static void parent_after_fork(void)
{
	char c;

	if (fork_wait[0] < 0)
		return;
	close(fork_wait[1]);
	while (read(fork_wait[0], &c, 1) < 0 && errno == EINTR)
		;
	close(fork_wait[0]);
	fork_wait[0] = fork_wait[1] = -1;
}

static void install_atfork(void)
{
	pthread_atfork(prepare_fork, parent_after_fork, child_after_fork);
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

/*
 * Every program has its task, and so bootstrap_port, from the start, as on
 * macOS: a process started by a shell finds its namespace's registry there,
 * and a child it forks before its first Mach call has a space of its own
 * when fork returns (the fork handlers above), so task_for_pid(child)
 * works. Here, with the device code every call links, so that a program
 * linked with libmach.a runs it as one linked with libmach.so does. The
 * first constructor priority a program may use, so that the program's own
 * constructors (at the default priority) find it set too.
 */
__attribute__((constructor(101))) static void task_init(void)
{
	machipc_device_fd();
}
