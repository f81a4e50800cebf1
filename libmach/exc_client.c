/* SPDX-License-Identifier: MIT */
/*
 * The client side of exc.defs and mach_exc.defs: exception_raise and its
 * state variants as MIG would generate them, sent to an exception port.
 */
#include "internal.h"
#include "mig_ids.h"

#include <mach/exc.h>
#include <mach/mach_exc.h>
#include <string.h>

union exc_request {
	mach_msg_header_t h;
	__Request__exception_raise_state_identity_t narrow;
	__Request__mach_exception_raise_state_identity_t wide;
};

union exc_reply {
	mach_msg_header_t h;
	mig_reply_error_t err;
	__Reply__mach_exception_raise_state_t state;
	char bytes[sizeof(__Reply__mach_exception_raise_state_t) + sizeof(mach_msg_max_trailer_t)];
};

#define EXC_STATE_REPLY_MIN offsetof(__Reply__mach_exception_raise_state_t, new_state)

/*
 * Builds the request packed as MIG sends it (the code and state arrays
 * hold only their counts' worth), sends it and checks the reply.
 * `identity` adds the thread and task ports; a non-NULL `flavor` makes it
 * a state request and receives the new state.
 */
static kern_return_t exc_call(mach_port_t exception_port, mach_msg_id_t id, int identity, mach_port_t thread,
			      mach_port_t task, exception_type_t exception, const void *code, size_t code_size,
			      mach_msg_type_number_t codeCnt, int *flavor, const natural_t *old_state,
			      mach_msg_type_number_t old_stateCnt, natural_t *new_state,
			      mach_msg_type_number_t *new_stateCnt)
{
	union exc_request req;
	union exc_reply rep;
	char *p = (char *)(&req.h + 1);
	mach_port_t reply = mig_get_reply_port();
	mach_msg_return_t mr;
	kern_return_t ret;
	mach_msg_type_number_t cnt;

	if (codeCnt > 2 || (flavor && old_stateCnt > THREAD_STATE_MAX))
		return MIG_ARRAY_TOO_LARGE;
	memset(&req.h, 0, sizeof(req.h));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	if (identity) {
		mach_msg_body_t body = { .msgh_descriptor_count = 2 };
		mach_msg_port_descriptor_t d[2];

		memset(d, 0, sizeof(d));
		d[0].name = thread;
		d[0].disposition = MACH_MSG_TYPE_COPY_SEND;
		d[0].type = MACH_MSG_PORT_DESCRIPTOR;
		d[1].name = task;
		d[1].disposition = MACH_MSG_TYPE_COPY_SEND;
		d[1].type = MACH_MSG_PORT_DESCRIPTOR;
		req.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
		memcpy(p, &body, sizeof(body));
		p += sizeof(body);
		memcpy(p, d, sizeof(d));
		p += sizeof(d);
	}
	memcpy(p, &NDR_record, sizeof(NDR_record));
	p += sizeof(NDR_record);
	memcpy(p, &exception, sizeof(exception));
	p += sizeof(exception);
	memcpy(p, &codeCnt, sizeof(codeCnt));
	p += sizeof(codeCnt);
	if (codeCnt) {
		memcpy(p, code, code_size * codeCnt);
		p += code_size * codeCnt;
	}
	if (flavor) {
		memcpy(p, flavor, sizeof(*flavor));
		p += sizeof(*flavor);
		memcpy(p, &old_stateCnt, sizeof(old_stateCnt));
		p += sizeof(old_stateCnt);
		if (old_stateCnt) {
			memcpy(p, old_state, sizeof(natural_t) * old_stateCnt);
			p += sizeof(natural_t) * old_stateCnt;
		}
	}
	req.h.msgh_size = (mach_msg_size_t)(p - (char *)&req.h);
	req.h.msgh_remote_port = exception_port;
	req.h.msgh_local_port = reply;
	req.h.msgh_voucher_port = MACH_PORT_NULL;
	req.h.msgh_id = id;

	mr = mach_msg_overwrite(&req.h, MACH_SEND_MSG | MACH_RCV_MSG, req.h.msgh_size, sizeof(rep), reply,
				MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL, &rep.h, sizeof(rep));
	if (mr != MACH_MSG_SUCCESS) {
		if (mr == MACH_SEND_INVALID_REPLY || mr == MACH_RCV_PORT_DIED || mr == MACH_RCV_PORT_CHANGED)
			mig_dealloc_reply_port(reply);
		return mr;
	}
	if (rep.h.msgh_id == MACH_NOTIFY_SEND_ONCE)
		return MIG_SERVER_DIED;
	if (rep.h.msgh_id != id + 100) {
		mach_msg_destroy(&rep.h);
		return MIG_REPLY_MISMATCH;
	}
	if ((rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) || rep.h.msgh_size < sizeof(mig_reply_error_t)) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	ret = rep.err.RetCode;
	if (!flavor) {
		if (rep.h.msgh_size != sizeof(mig_reply_error_t))
			return MIG_TYPE_ERROR;
		return ret;
	}
	if (rep.h.msgh_size == sizeof(mig_reply_error_t) && ret != KERN_SUCCESS)
		return ret;
	if (rep.h.msgh_size < EXC_STATE_REPLY_MIN)
		return MIG_TYPE_ERROR;
	cnt = rep.state.new_stateCnt;
	if (cnt > THREAD_STATE_MAX || rep.h.msgh_size != EXC_STATE_REPLY_MIN + sizeof(natural_t) * cnt)
		return MIG_TYPE_ERROR;
	if (ret != KERN_SUCCESS)
		return ret;
	*flavor = rep.state.flavor;
	if (cnt > *new_stateCnt) {
		memcpy(new_state, rep.state.new_state, sizeof(natural_t) * *new_stateCnt);
		*new_stateCnt = cnt;
		return MIG_ARRAY_TOO_LARGE;
	}
	memcpy(new_state, rep.state.new_state, sizeof(natural_t) * cnt);
	*new_stateCnt = cnt;
	return KERN_SUCCESS;
}

kern_return_t exception_raise(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
			      exception_type_t exception, exception_data_t code, mach_msg_type_number_t codeCnt)
{
	return exc_call(exception_port, MIG_EXCEPTION_RAISE, 1, thread, task, exception, code, sizeof(integer_t),
			codeCnt, NULL, NULL, 0, NULL, NULL);
}

kern_return_t exception_raise_state(mach_port_t exception_port, exception_type_t exception,
				    const exception_data_t code, mach_msg_type_number_t codeCnt, int *flavor,
				    const thread_state_t old_state, mach_msg_type_number_t old_stateCnt,
				    thread_state_t new_state, mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, MIG_EXCEPTION_RAISE_STATE, 0, MACH_PORT_NULL, MACH_PORT_NULL, exception, code,
			sizeof(integer_t), codeCnt, flavor, old_state, old_stateCnt, new_state, new_stateCnt);
}

kern_return_t exception_raise_state_identity(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
					     exception_type_t exception, exception_data_t code,
					     mach_msg_type_number_t codeCnt, int *flavor, thread_state_t old_state,
					     mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
					     mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, MIG_EXCEPTION_RAISE_STATE_IDENTITY, 1, thread, task, exception, code,
			sizeof(integer_t), codeCnt, flavor, old_state, old_stateCnt, new_state, new_stateCnt);
}

kern_return_t mach_exception_raise(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
				   exception_type_t exception, mach_exception_data_t code,
				   mach_msg_type_number_t codeCnt)
{
	return exc_call(exception_port, MIG_MACH_EXCEPTION_RAISE, 1, thread, task, exception, code, sizeof(int64_t),
			codeCnt, NULL, NULL, 0, NULL, NULL);
}

kern_return_t mach_exception_raise_state(mach_port_t exception_port, exception_type_t exception,
					 const mach_exception_data_t code, mach_msg_type_number_t codeCnt,
					 int *flavor, const thread_state_t old_state,
					 mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
					 mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, MIG_MACH_EXCEPTION_RAISE_STATE, 0, MACH_PORT_NULL, MACH_PORT_NULL, exception,
			code, sizeof(int64_t), codeCnt, flavor, old_state, old_stateCnt, new_state, new_stateCnt);
}

kern_return_t mach_exception_raise_state_identity(mach_port_t exception_port, mach_port_t thread,
						  mach_port_t task, exception_type_t exception,
						  mach_exception_data_t code, mach_msg_type_number_t codeCnt,
						  int *flavor, thread_state_t old_state,
						  mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
						  mach_msg_type_number_t *new_stateCnt)
{
	return exc_call(exception_port, MIG_MACH_EXCEPTION_RAISE_STATE_IDENTITY, 1, thread, task, exception, code,
			sizeof(int64_t), codeCnt, flavor, old_state, old_stateCnt, new_state, new_stateCnt);
}
