/* SPDX-License-Identifier: MIT */
/*
 * mach_msg() and the message utilities: mach_msg_send/receive,
 * mach_msg_destroy, mach_msg_server and mach_msg_server_once.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

mach_msg_return_t machipc_msg_trap(mach_msg_header_t *msg, mach_msg_option_t option,
				  mach_msg_size_t send_size, mach_msg_size_t rcv_size,
				  mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
				  mach_msg_header_t *rcv_msg)
{
	struct machipc_msg m = {
		.send_msg = (uintptr_t)msg,
		.rcv_msg = (uintptr_t)(rcv_msg ? rcv_msg : msg),
		.option = (uint32_t)option,
		.send_size = send_size,
		.rcv_size = rcv_size,
		.rcv_name = rcv_name,
		.timeout = timeout,
	};
	int fd = machipc_device_fd();

	if (fd < 0)
		return (option & MACH_SEND_MSG) ? MACH_SEND_INVALID_DEST : MACH_RCV_INVALID_NAME;
	if (ioctl(fd, MACHIPC_IOC_MSG, &m) != 0) {
		if (errno == EINTR)
			return (option & MACH_SEND_MSG) ? MACH_SEND_INTERRUPTED : MACH_RCV_INTERRUPTED;
		return (option & MACH_SEND_MSG) ? MACH_SEND_INVALID_DATA : MACH_RCV_INVALID_DATA;
	}
	return m.ret;
}

mach_msg_return_t mach_msg_overwrite(mach_msg_header_t *msg, mach_msg_option_t option,
				     mach_msg_size_t send_size, mach_msg_size_t rcv_size,
				     mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
				     mach_port_name_t notify, mach_msg_header_t *rcv_msg,
				     mach_msg_size_t rcv_limit)
{
	mach_msg_return_t mr;

	(void)notify;
	(void)rcv_limit;
	mr = machipc_msg_trap(msg, option, send_size, rcv_size, rcv_name, timeout, rcv_msg);
	if (mr == MACH_MSG_SUCCESS)
		return mr;
	/* As libsyscall: retry what a signal interrupted unless asked not to. */
	if ((option & MACH_SEND_INTERRUPT) == 0)
		while (mr == MACH_SEND_INTERRUPTED)
			mr = machipc_msg_trap(msg, option, send_size, rcv_size, rcv_name, timeout, rcv_msg);
	if ((option & MACH_RCV_INTERRUPT) == 0)
		while (mr == MACH_RCV_INTERRUPTED)
			mr = machipc_msg_trap(msg, option & ~MACH_SEND_MSG, 0, rcv_size, rcv_name, timeout, rcv_msg);
	return mr;
}

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
			   mach_msg_size_t send_size, mach_msg_size_t rcv_size,
			   mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
			   mach_port_name_t notify)
{
	return mach_msg_overwrite(msg, option, send_size, rcv_size, rcv_name, timeout, notify,
				  NULL, 0);
}

mach_msg_return_t mach_msg_send(mach_msg_header_t *msg)
{
	return mach_msg(msg, MACH_SEND_MSG, msg->msgh_size, 0, MACH_PORT_NULL,
			MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg)
{
	return mach_msg(msg, MACH_RCV_MSG, 0, msg->msgh_size, msg->msgh_local_port,
			MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* Releases one right a received message carried, by its received type. */
static void destroy_right(mach_port_t port, mach_msg_type_name_t type)
{
	if (!MACH_PORT_VALID(port))
		return;
	switch (type) {
	case MACH_MSG_TYPE_MOVE_SEND:
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		mach_port_deallocate(mach_task_self(), port);
		break;
	case MACH_MSG_TYPE_MOVE_RECEIVE:
		mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
		break;
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		/* Nothing was made yet: nothing to release. */
		break;
	default:
		break;
	}
}

void mach_msg_destroy(mach_msg_header_t *msg)
{
	mach_msg_bits_t bits = msg->msgh_bits;

	/* The local port is the one the message arrived on: not ours to free. */
	destroy_right(msg->msgh_remote_port, MACH_MSGH_BITS_REMOTE(bits));
	if (MACH_MSGH_BITS_VOUCHER(bits))
		destroy_right(msg->msgh_voucher_port, MACH_MSGH_BITS_VOUCHER(bits));
	if (bits & MACH_MSGH_BITS_COMPLEX) {
		mach_msg_body_t *body = (mach_msg_body_t *)(msg + 1);
		char *p = (char *)(body + 1);

		for (mach_msg_size_t i = 0; i < body->msgh_descriptor_count; i++) {
			mach_msg_type_descriptor_t *t = (mach_msg_type_descriptor_t *)p;

			switch (t->type) {
			case MACH_MSG_PORT_DESCRIPTOR: {
				mach_msg_port_descriptor_t *d = (mach_msg_port_descriptor_t *)p;

				destroy_right(d->name, d->disposition);
				p += sizeof(*d);
				break;
			}
			case MACH_MSG_OOL_DESCRIPTOR:
			case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
				mach_msg_ool_descriptor_t *d = (mach_msg_ool_descriptor_t *)p;

				if (d->address && d->size)
					vm_deallocate(mach_task_self(), (vm_address_t)d->address, d->size);
				p += sizeof(*d);
				break;
			}
			case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
				mach_msg_ool_ports_descriptor_t *d = (mach_msg_ool_ports_descriptor_t *)p;
				mach_port_t *ports = d->address;

				for (mach_msg_size_t j = 0; ports && j < d->count; j++)
					destroy_right(ports[j], d->disposition);
				if (ports && d->count)
					vm_deallocate(mach_task_self(), (vm_address_t)ports,
						      d->count * sizeof(mach_port_t));
				p += sizeof(*d);
				break;
			}
			case MACH_MSG_GUARDED_PORT_DESCRIPTOR: {
				mach_msg_guarded_port_descriptor_t *d = (mach_msg_guarded_port_descriptor_t *)p;

				destroy_right(d->name, d->disposition);
				p += sizeof(*d);
				break;
			}
			default:
				return;
			}
		}
	}
}

static mach_msg_return_t serve(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
			       mach_msg_size_t max_size, mach_port_t rcv_name,
			       mach_msg_options_t options, int once)
{
	mach_msg_size_t size = max_size + MAX_TRAILER_SIZE;
	mig_reply_error_t *req = malloc(size), *rep = malloc(size);
	mach_msg_return_t mr;

	if (!req || !rep) {
		free(req);
		free(rep);
		return KERN_RESOURCE_SHORTAGE;
	}
	for (;;) {
		mr = mach_msg(&req->Head, MACH_RCV_MSG | (options & ~MACH_SEND_MSG), 0, size,
			      rcv_name, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (mr != MACH_MSG_SUCCESS)
			break;
		memset(rep, 0, sizeof(*rep));
		(void)demux(&req->Head, &rep->Head);
		if (!(rep->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) && rep->RetCode != KERN_SUCCESS) {
			/* An error reply: the request's resources are ours to free. */
			if (rep->RetCode == MIG_NO_REPLY)
				rep->Head.msgh_remote_port = MACH_PORT_NULL;
			req->Head.msgh_remote_port = MACH_PORT_NULL;
			mach_msg_destroy(&req->Head);
		}
		if (MACH_PORT_VALID(rep->Head.msgh_remote_port)) {
			mr = mach_msg(&rep->Head, MACH_SEND_MSG | (options & MACH_SEND_TIMEOUT),
				      rep->Head.msgh_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
				      MACH_PORT_NULL);
			if (mr == MACH_SEND_INVALID_DEST || mr == MACH_SEND_TIMED_OUT)
				mach_msg_destroy(&rep->Head);
		}
		if (once)
			break;
	}
	free(req);
	free(rep);
	return mr;
}

mach_msg_return_t mach_msg_server_once(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
				       mach_msg_size_t max_size, mach_port_t rcv_name,
				       mach_msg_options_t options)
{
	return serve(demux, max_size, rcv_name, options, 1);
}

mach_msg_return_t mach_msg_server(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
				  mach_msg_size_t max_size, mach_port_t rcv_name,
				  mach_msg_options_t options)
{
	return serve(demux, max_size, rcv_name, options, 0);
}

mach_msg_return_t mach_msg_server_importance(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
					     mach_msg_size_t max_size, mach_port_t rcv_name,
					     mach_msg_options_t options)
{
	/* No importance donation here: the plain server loop. */
	return mach_msg_server(demux, max_size, rcv_name, options);
}
