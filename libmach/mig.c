/* SPDX-License-Identifier: MIT */
/*
 * The MIG client side: requests to another task's port (kernel-served by
 * machipc), with XNU's message layouts, and the per-thread reply port MIG
 * code uses (mig_get_reply_port).
 */
#include "internal.h"

#include <string.h>

static __thread mach_port_t reply_port;

mach_port_t mig_get_reply_port(void)
{
	if (reply_port == MACH_PORT_NULL)
		reply_port = mach_reply_port();
	return reply_port;
}

void mig_dealloc_reply_port(mach_port_t port)
{
	(void)port;
	if (reply_port != MACH_PORT_NULL)
		mach_port_mod_refs(mach_task_self(), reply_port, MACH_PORT_RIGHT_RECEIVE, -1);
	reply_port = MACH_PORT_NULL;
}

void mig_put_reply_port(mach_port_t port)
{
	(void)port;
}

void machipc_mig_forget_reply_port(void)
{
	/* After fork the name belongs to the parent's space. */
	reply_port = MACH_PORT_NULL;
}

struct mig_reply {
	mach_msg_header_t h;
	union {
		struct {
			NDR_record_t ndr;
			kern_return_t ret;
			char outs[128];
		} simple;
		struct {
			mach_msg_body_t body;
			mach_msg_port_descriptor_t port;
		} port;
	};
	mach_msg_max_trailer_t trailer;
};

kern_return_t machipc_mig_rpc(mach_port_t task, mach_msg_header_t *req, mach_msg_size_t size, int id,
			      mach_msg_header_t *rep, mach_msg_size_t rep_size)
{
	mach_port_t reply = mig_get_reply_port();
	mach_msg_return_t mr;

	req->msgh_bits |= MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	req->msgh_remote_port = task;
	req->msgh_local_port = reply;
	req->msgh_voucher_port = MACH_PORT_NULL;
	req->msgh_id = id;
	req->msgh_size = size;
	memcpy(rep, req, size < rep_size ? size : rep_size);
	mr = mach_msg_overwrite(req, MACH_SEND_MSG | MACH_RCV_MSG, size, rep_size, reply, MACH_MSG_TIMEOUT_NONE,
				MACH_PORT_NULL, rep, rep_size);
	if (mr != MACH_MSG_SUCCESS) {
		if (mr == MACH_SEND_INVALID_REPLY || mr == MACH_RCV_PORT_DIED || mr == MACH_RCV_PORT_CHANGED)
			mig_dealloc_reply_port(reply);
		return mr;
	}
	if (rep->msgh_id != id + 100) {
		mach_msg_destroy(rep);
		return MIG_REPLY_MISMATCH;
	}
	return KERN_SUCCESS;
}

/* Sends a request of NDR + `nargs` bytes of arguments and receives its
 * reply into `rep`. */
static kern_return_t plain_request(mach_port_t task, int id, const void *args, size_t nargs, struct mig_reply *rep)
{
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		char args[128]; /* a name_t fits */
	} req;

	memset(&req, 0, sizeof(req));
	req.ndr = NDR_record;
	memcpy(req.args, args, nargs);
	return machipc_mig_rpc(task, &req.h, offsetof(typeof(req), args) + nargs, id, &rep->h, sizeof(*rep));
}

/* A routine whose request is NDR + `nargs` bytes and whose reply is
 * NDR + RetCode + `nouts` bytes. */
kern_return_t machipc_mig_simple(mach_port_t task, int id, const void *args, size_t nargs, void *outs, size_t nouts)
{
	struct mig_reply rep;
	kern_return_t kr = plain_request(task, id, args, nargs, &rep);

	if (kr != KERN_SUCCESS)
		return kr;
	if (rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	if (rep.simple.ret != KERN_SUCCESS)
		return rep.simple.ret;
	if (outs)
		memcpy(outs, rep.simple.outs, nouts);
	return KERN_SUCCESS;
}

/*
 * The answer of a reply that carries one port (or a mig_reply_error_t), as
 * MIG's client checks it: a complex reply must be exactly one port
 * descriptor, or it is MIG_TYPE_ERROR and destroyed with whatever it
 * brought (a server may be any task: a supervisor's bootstrap port).
 */
static kern_return_t port_reply(struct mig_reply *rep, mach_port_t *port, mach_msg_type_name_t *type)
{
	if (!(rep->h.msgh_bits & MACH_MSGH_BITS_COMPLEX))
		return rep->simple.ret != KERN_SUCCESS ? rep->simple.ret : MIG_TYPE_ERROR;
	if (rep->h.msgh_size != sizeof(rep->h) + sizeof(rep->port) || rep->port.body.msgh_descriptor_count != 1 ||
	    rep->port.port.type != MACH_MSG_PORT_DESCRIPTOR) {
		mach_msg_destroy(&rep->h);
		return MIG_TYPE_ERROR;
	}
	*port = rep->port.port.name;
	if (type)
		*type = rep->port.port.disposition;
	return KERN_SUCCESS;
}

/* A routine whose reply carries one port (or a mig_reply_error_t). */
kern_return_t machipc_mig_port_out(mach_port_t task, int id, const void *args, size_t nargs, mach_port_t *port,
				   mach_msg_type_name_t *type)
{
	struct mig_reply rep;
	kern_return_t kr = plain_request(task, id, args, nargs, &rep);

	if (kr != KERN_SUCCESS)
		return kr;
	return port_reply(&rep, port, type);
}

/* Sends a request carrying one port descriptor, then NDR + `nargs` bytes of
 * arguments, and receives its reply into `rep`. */
static kern_return_t port_request(mach_port_t task, int id, mach_port_t port, mach_msg_type_name_t disp,
				  const void *args, size_t nargs, struct mig_reply *rep)
{
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_port_descriptor_t port;
		NDR_record_t ndr;
		char args[128]; /* a name_t fits */
	} req;

	memset(&req, 0, sizeof(req));
	req.h.msgh_bits = MACH_MSGH_BITS_COMPLEX;
	req.body.msgh_descriptor_count = 1;
	req.port.name = port;
	req.port.disposition = disp;
	req.port.type = MACH_MSG_PORT_DESCRIPTOR;
	req.ndr = NDR_record;
	memcpy(req.args, args, nargs);
	return machipc_mig_rpc(task, &req.h, offsetof(typeof(req), args) + nargs, id, &rep->h, sizeof(*rep));
}

/* A routine whose request carries one port, then NDR + `nargs` bytes. */
kern_return_t machipc_mig_port_in(mach_port_t task, int id, mach_port_t port, mach_msg_type_name_t disp,
				  const void *args, size_t nargs)
{
	struct mig_reply rep;
	kern_return_t kr = port_request(task, id, port, disp, args, nargs, &rep);

	if (kr != KERN_SUCCESS)
		return kr;
	/* A return code alone: a reply that brings anything is malformed. */
	if (rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	return rep.simple.ret;
}

/* A routine whose request carries one port (then NDR and args) and whose
 * reply carries one port back (or a mig_reply_error_t). */
kern_return_t machipc_mig_port_in_out(mach_port_t task, int id, mach_port_t port, mach_msg_type_name_t disp,
				      const void *args, size_t nargs, mach_port_t *out)
{
	struct mig_reply rep;
	kern_return_t kr = port_request(task, id, port, disp, args, nargs, &rep);

	if (kr != KERN_SUCCESS)
		return kr;
	return port_reply(&rep, out, NULL);
}

/* A *_info routine (task_info, thread_info, host_info): the request carries the
 * flavor and how many words the caller takes, the reply a count and that
 * many words. MIG's client checks: a count above the caller's copies what
 * fits and is MIG_ARRAY_TOO_LARGE. */
kern_return_t machipc_mig_info(mach_port_t port, int id, uint32_t flavor, integer_t *out,
			       mach_msg_type_number_t *cnt)
{
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		uint32_t args[2];
	} req;
	/* Or a mig_reply_error_t: the same up to `ret`. */
	struct {
		struct {
			mach_msg_header_t h;
			NDR_record_t ndr;
			kern_return_t ret;
			mach_msg_type_number_t count;
			integer_t words[MACHIPC_MIG_INFO_MAX];
		} ok;
		mach_msg_max_trailer_t trailer;
	} rep;
	kern_return_t kr;

	memset(&req, 0, sizeof(req));
	req.ndr = NDR_record;
	req.args[0] = flavor;
	req.args[1] = *cnt;
	kr = machipc_mig_rpc(port, &req.h, sizeof(req), id, &rep.ok.h, sizeof(rep));
	if (kr != KERN_SUCCESS)
		return kr;
	if (rep.ok.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
		mach_msg_destroy(&rep.ok.h);
		return MIG_TYPE_ERROR;
	}
	if (rep.ok.ret != KERN_SUCCESS)
		return rep.ok.ret;
	if (rep.ok.count > MACHIPC_MIG_INFO_MAX)
		return MIG_TYPE_ERROR;
	if (rep.ok.count > *cnt) {
		memcpy(out, rep.ok.words, *cnt * sizeof(integer_t));
		*cnt = rep.ok.count;
		return MIG_ARRAY_TOO_LARGE;
	}
	memcpy(out, rep.ok.words, rep.ok.count * sizeof(integer_t));
	*cnt = rep.ok.count;
	return KERN_SUCCESS;
}

/* A routine whose reply carries `n` out-of-line arrays (then NDR and
 * their counts): the arrays are fresh regions for vm_deallocate. */
kern_return_t machipc_mig_ool_out(mach_port_t task, int id, const void *args, size_t nargs, void **arrays,
				  mach_msg_type_number_t *counts, int n)
{
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		char args[32];
	} req;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t ool[2];
		NDR_record_t ndr;
		mach_msg_type_number_t counts[2];
		mach_msg_max_trailer_t trailer;
	} rep;
	kern_return_t kr;

	memset(&req, 0, sizeof(req));
	req.ndr = NDR_record;
	memcpy(req.args, args, nargs);
	kr = machipc_mig_rpc(task, &req.h, sizeof(req.h) + sizeof(req.ndr) + nargs, id, &rep.h, sizeof(rep));
	if (kr != KERN_SUCCESS)
		return kr;
	if (!(rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX))
		return ((mig_reply_error_t *)&rep)->RetCode;
	if (rep.body.msgh_descriptor_count != (mach_msg_size_t)n) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	/* The inline part follows the n descriptors actually sent. */
	char *after = (char *)&rep.ool[n];
	mach_msg_type_number_t cnt[2];

	memcpy(cnt, after + sizeof(NDR_record_t), n * sizeof(cnt[0]));
	for (int i = 0; i < n; i++) {
		arrays[i] = rep.ool[i].address;
		counts[i] = cnt[i];
	}
	return KERN_SUCCESS;
}
