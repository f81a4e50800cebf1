/* SPDX-License-Identifier: MIT */
/*
 * pipe_service: checks in PIPE_SERVICE_NAME with the bootstrap server
 * (bootstrap_check_in), waits for one client request carrying a pipe as a
 * fileport, writes a line into that pipe, answers the client and exits.
 *
 *   build/examples/pipe_service & build/examples/pipe_client
 *
 * The two are started separately (not parent and child): they meet by
 * name in the registry the module serves for their IPC namespace. Exits 1
 * on any error, or if no request arrives within 20 seconds.
 */
#include <servers/bootstrap.h>
#include <sys/fileport.h>
#include <string.h>
#include <unistd.h>

#include "pipe_protocol.h"

int main(void)
{
	union {
		pipe_request_t req;
		char buf[sizeof(pipe_request_t) + MAX_TRAILER_SIZE];
	} in;
	pipe_reply_t rep;
	mach_port_t service;
	kern_return_t kr;
	char line[128];
	int fd, len;

	kr = bootstrap_check_in(bootstrap_port, PIPE_SERVICE_NAME, &service);
	if (kr != KERN_SUCCESS)
		DIE("bootstrap_check_in(%s): %s", PIPE_SERVICE_NAME, bootstrap_strerror(kr));
	printf("service: checked in as %s\n", PIPE_SERVICE_NAME);
	fflush(stdout);

	memset(&in, 0, sizeof(in));
	kr = mach_msg(&in.req.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(in), service, 20000,
		      MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		DIE("receive: %s", mach_error_string(kr));
	if (in.req.header.msgh_id != PIPE_REQUEST_ID || !(in.req.header.msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
	    in.req.header.msgh_size != sizeof(in.req) || in.req.body.msgh_descriptor_count != 1 ||
	    in.req.pipe.type != MACH_MSG_PORT_DESCRIPTOR || in.req.pipe.disposition != MACH_MSG_TYPE_PORT_SEND) {
		mach_msg_destroy(&in.req.header);
		DIE("unexpected message %d", in.req.header.msgh_id);
	}

	/* The fileport becomes a descriptor of this process: the client's pipe. */
	fd = fileport_makefd(in.req.pipe.name);
	if (fd < 0)
		DIE("fileport_makefd: %m");
	mach_port_deallocate(mach_task_self(), in.req.pipe.name);
	len = snprintf(line, sizeof(line), "hello through a fileport, from service pid %d\n", (int)getpid());
	if (write(fd, line, len) != len)
		DIE("write: %m");
	close(fd);

	memset(&rep, 0, sizeof(rep));
	rep.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	rep.header.msgh_size = sizeof(rep);
	rep.header.msgh_remote_port = in.req.header.msgh_remote_port;
	rep.header.msgh_id = PIPE_REPLY_ID;
	rep.written = (uint32_t)len;
	kr = mach_msg(&rep.header, MACH_SEND_MSG, sizeof(rep), 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
		      MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		DIE("reply: %s", mach_error_string(kr));
	printf("service: wrote %d bytes into the client's pipe\n", len);
	return 0;
}
