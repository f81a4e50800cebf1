/* SPDX-License-Identifier: MIT */
/*
 * The protocol of the pipe_service / pipe_client examples, shared by the
 * C programs here and the Rust ones in crates/machipc/examples (any of the
 * four pairs talks to the other).
 *
 * The service checks PIPE_SERVICE_NAME in with the bootstrap server. The
 * client looks it up and sends PIPE_REQUEST_ID: a complex message with one
 * port descriptor, a fileport (MACH_MSG_TYPE_MOVE_SEND) for the write end
 * of a pipe, and a send-once reply right. The service writes a line into
 * the pipe, closes it, and answers PIPE_REPLY_ID with how many bytes it
 * wrote. The client then reads the pipe to its end.
 */
#ifndef PIPE_PROTOCOL_H
#define PIPE_PROTOCOL_H

#include <mach/mach.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Prints "<program>: <message>" to stderr and exits 1. */
#define DIE(...)                                                               \
	do {                                                                   \
		fprintf(stderr, "%s: ", program_invocation_short_name);        \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		exit(1);                                                       \
	} while (0)

#define PIPE_SERVICE_NAME "org.machipc.example.pipe"
#define PIPE_REQUEST_ID 1000
#define PIPE_REPLY_ID (PIPE_REQUEST_ID + 100)

typedef struct {
	mach_msg_header_t header;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t pipe; /* a fileport: the pipe's write end */
} pipe_request_t;

typedef struct {
	mach_msg_header_t header;
	uint32_t written; /* bytes the service wrote into the pipe */
} pipe_reply_t;

#endif
