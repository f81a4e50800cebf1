/* SPDX-License-Identifier: MIT */
/*
 * pipe_client: looks PIPE_SERVICE_NAME up with the bootstrap server
 * (bootstrap_look_up, retrying for up to 10 seconds while the service
 * starts), sends it the write end of a new pipe as a fileport
 * (fileport_makeport) in a request, waits for the answer and prints what
 * the service wrote into the pipe. Exits 1 on any error.
 *
 *   build/examples/pipe_service & build/examples/pipe_client
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
		struct {
			pipe_reply_t rep;
			char trailer[MAX_TRAILER_SIZE];
		} in;
	} m;
	mach_port_t service, reply;
	fileport_t fp;
	kern_return_t kr;
	char text[256];
	ssize_t n = 0, got = 0;
	int p[2];

	for (int i = 0;; i++) {
		kr = bootstrap_look_up(bootstrap_port, PIPE_SERVICE_NAME, &service);
		if (kr != BOOTSTRAP_UNKNOWN_SERVICE || i == 100)
			break;
		usleep(100 * 1000);
	}
	if (kr != KERN_SUCCESS)
		DIE("bootstrap_look_up(%s): %s", PIPE_SERVICE_NAME, bootstrap_strerror(kr));

	/* The pipe's write end goes to the service as a fileport; ours closes,
	 * so the read below ends when the service closes its copy. */
	if (pipe(p) != 0)
		DIE("pipe: %m");
	if (fileport_makeport(p[1], &fp) != 0)
		DIE("fileport_makeport: %m");
	close(p[1]);
	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply);
	if (kr != KERN_SUCCESS)
		DIE("mach_port_allocate: %s", mach_error_string(kr));

	memset(&m, 0, sizeof(m));
	m.req.header.msgh_bits =
		MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX;
	m.req.header.msgh_size = sizeof(m.req);
	m.req.header.msgh_remote_port = service;
	m.req.header.msgh_local_port = reply;
	m.req.header.msgh_id = PIPE_REQUEST_ID;
	m.req.body.msgh_descriptor_count = 1;
	m.req.pipe.name = fp;
	m.req.pipe.disposition = MACH_MSG_TYPE_MOVE_SEND;
	m.req.pipe.type = MACH_MSG_PORT_DESCRIPTOR;
	kr = mach_msg(&m.req.header, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof(m.req), sizeof(m.in),
		      reply, 10000, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		DIE("request: %s", mach_error_string(kr));
	if (m.in.rep.header.msgh_id != PIPE_REPLY_ID || m.in.rep.header.msgh_size != sizeof(m.in.rep))
		DIE("unexpected reply %d", m.in.rep.header.msgh_id);

	while (got < (ssize_t)sizeof(text) - 1 && (n = read(p[0], text + got, sizeof(text) - 1 - got)) > 0)
		got += n;
	if (n < 0)
		DIE("read: %m");
	text[got] = '\0';
	printf("client: the service wrote %u bytes; the pipe says: %s", m.in.rep.written, text);
	return got == (ssize_t)m.in.rep.written ? 0 : 1;
}
