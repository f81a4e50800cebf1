// SPDX-License-Identifier: MIT
/*
 * Built by scripts/pkg-test.sh host from an installed tree only (<mach/mach.h>
 * and `pkg-config --cflags --libs machipc`), with
 * -Werror=implicit-function-declaration: every call below must be declared
 * by an installed header. Sends itself a message through a port and sees it
 * arrive on the port's descriptor.
 */
#include <mach/mach.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	mach_port_t port = MACH_PORT_NULL;
	kern_return_t kr;
	struct {
		mach_msg_header_t h;
		mach_msg_trailer_t t;
	} msg = { 0 };
	struct pollfd p;
	int fd;

	if (machipc_device_fd() < 0) {
		perror("open /dev/machipc");
		return 1;
	}
	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port);
	if (kr != KERN_SUCCESS) {
		fprintf(stderr, "mach_port_allocate: %s\n", mach_error_string(kr));
		return 1;
	}
	fd = machipc_port_fd(port, 0);
	if (fd < 0) {
		perror("machipc_port_fd");
		return 1;
	}
	msg.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	msg.h.msgh_size = sizeof(msg.h);
	msg.h.msgh_remote_port = port;
	msg.h.msgh_id = 1234;
	kr = mach_msg(&msg.h, MACH_SEND_MSG, sizeof(msg.h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS) {
		fprintf(stderr, "mach_msg send: %s\n", mach_error_string(kr));
		return 1;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLIN)) {
		fprintf(stderr, "port descriptor not readable\n");
		return 1;
	}
	kr = mach_msg(&msg.h, MACH_RCV_MSG, 0, sizeof(msg), port, 0, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS || msg.h.msgh_id != 1234) {
		fprintf(stderr, "mach_msg receive: %s, id %d\n", mach_error_string(kr), msg.h.msgh_id);
		return 1;
	}
	close(fd);
	mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
	printf("pkg_hello: message %d through a port and its descriptor\n", msg.h.msgh_id);
	return 0;
}
