/* SPDX-License-Identifier: MIT */
/*
 * The bootstrap name service's client calls (<servers/bootstrap.h>): MIG
 * requests with the ids and layouts of launchd's classic bootstrap.defs
 * (subsystem 400), sent to whatever bootstrap port the caller names. The
 * kernel serves each IPC namespace's registry (rust/bootstrap.rs); a
 * launchd-like supervisor can serve the same messages.
 */
#include "internal.h"
#include "mig_ids.h"

#include <servers/bootstrap.h>
#include <stddef.h>
#include <string.h>

#pragma pack(push, 4)
/* bootstrap_parent: no inline arguments, so no NDR either. */
typedef struct {
	mach_msg_header_t Head;
} parent_request_t;

/* Its reply: one port, or a mig_reply_error_t. */
typedef union {
	struct {
		mach_msg_header_t Head;
		mach_msg_body_t msgh_body;
		mach_msg_port_descriptor_t port;
		mach_msg_max_trailer_t trailer;
	} port;
	struct {
		mig_reply_error_t error;
		mach_msg_max_trailer_t trailer;
	} simple;
} parent_reply_t;
#pragma pack(pop)

/* A name as MIG's client sends it: at most 127 bytes, a NUL, zeroes. */
static void name_arg(name_t out, const char *name)
{
	mig_strncpy_zerofill(out, name, BOOTSTRAP_MAX_NAME_LEN);
}

/* A name routine whose reply carries one right of type `want`. */
static kern_return_t name_rpc(mach_port_t bp, int id, const char *name, mach_msg_type_name_t want, mach_port_t *sp)
{
	name_t arg;
	mach_msg_type_name_t type;
	mach_port_t p;
	kern_return_t kr;

	name_arg(arg, name);
	kr = machipc_mig_port_out(bp, id, arg, sizeof(arg), &p, &type);
	if (kr != KERN_SUCCESS)
		return kr;
	if (type != want) {
		/* Released whatever it is: a receive right, too. */
		if (type == MACH_MSG_TYPE_PORT_RECEIVE)
			mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
		else
			mach_port_deallocate(mach_task_self(), p);
		return MIG_TYPE_ERROR;
	}
	*sp = p;
	return KERN_SUCCESS;
}

kern_return_t bootstrap_check_in(mach_port_t bp, const char *service_name, mach_port_t *sp)
{
	return name_rpc(bp, MIG_BOOTSTRAP_CHECK_IN, service_name, MACH_MSG_TYPE_PORT_RECEIVE, sp);
}

kern_return_t bootstrap_look_up(mach_port_t bp, const char *service_name, mach_port_t *sp)
{
	return name_rpc(bp, MIG_BOOTSTRAP_LOOK_UP, service_name, MACH_MSG_TYPE_PORT_SEND, sp);
}

/* The port travels as a send right (COPY_SEND), then NDR and the name. */
kern_return_t bootstrap_register(mach_port_t bp, const char *service_name, mach_port_t sp)
{
	name_t arg;

	name_arg(arg, service_name);
	return machipc_mig_port_in(bp, MIG_BOOTSTRAP_REGISTER, sp, MACH_MSG_TYPE_COPY_SEND, arg, sizeof(arg));
}

kern_return_t bootstrap_parent(mach_port_t bp, mach_port_t *parent_port)
{
	parent_request_t req;
	parent_reply_t rep;
	kern_return_t kr;

	memset(&req, 0, sizeof(req));
	kr = machipc_mig_rpc(bp, &req.Head, sizeof(req), MIG_BOOTSTRAP_PARENT, &rep.port.Head, sizeof(rep));
	if (kr != KERN_SUCCESS)
		return kr;
	if (!(rep.port.Head.msgh_bits & MACH_MSGH_BITS_COMPLEX))
		return rep.simple.error.RetCode != KERN_SUCCESS ? rep.simple.error.RetCode : MIG_TYPE_ERROR;
	if (rep.port.msgh_body.msgh_descriptor_count != 1 || rep.port.port.type != MACH_MSG_PORT_DESCRIPTOR) {
		mach_msg_destroy(&rep.port.Head);
		return MIG_TYPE_ERROR;
	}
	*parent_port = rep.port.port.name;
	return KERN_SUCCESS;
}

/* launchd's texts. */
const char *bootstrap_strerror(kern_return_t r)
{
	switch (r) {
	case BOOTSTRAP_SUCCESS:
		return "Success";
	case BOOTSTRAP_NOT_PRIVILEGED:
		return "Permission denied";
	case BOOTSTRAP_NAME_IN_USE:
	case BOOTSTRAP_SERVICE_ACTIVE:
		return "Service name already exists";
	case BOOTSTRAP_UNKNOWN_SERVICE:
		return "Unknown service name";
	case BOOTSTRAP_BAD_COUNT:
		return "Too many lookups were requested in one request";
	case BOOTSTRAP_NO_MEMORY:
		return "Out of memory";
	default:
		return mach_error_string(r);
	}
}
