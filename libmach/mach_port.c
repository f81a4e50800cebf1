/* SPDX-License-Identifier: MIT */
/*
 * The mach_port_* calls under XNU's names and signatures. On the caller's
 * own task each is one ioctl (the fast path, like XNU's _kernelrpc traps).
 * On another task's port each is the MIG request of mach_port.defs, which
 * the kernel serves on that task's port (rust/kobject.rs); mach_port_peek
 * has no MIG path and fails there as a send to an invalid destination.
 */
#include "internal.h"
#include "mig_ids.h"
#include <mach/machipc.h>

#include <stdlib.h>
#include <string.h>
#include <mach/mig_errors.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

/* The arguments of a MIG request of 32-bit words, and their size. */
#define WORDS(...) (const uint32_t[]){ __VA_ARGS__ }, sizeof((const uint32_t[]){ __VA_ARGS__ })

/*
 * A routine whose MIG request is `nargs` bytes of arguments after the NDR
 * record and whose reply is `size` bytes after the return code, copied to
 * `out`: on the caller's own task the ioctl `cmd` with `c`, whose `field`
 * holds the result; on another task's port the MIG request `id`.
 */
static kern_return_t routine_out(ipc_space_t task, int id, const void *args, size_t nargs, unsigned long cmd,
				 struct machipc_port_call *c, const void *field, void *out, size_t size)
{
	kern_return_t kr;

	if (!machipc_is_self(task))
		return machipc_mig_simple(task, id, args, nargs, out, size);
	kr = machipc_port_call(cmd, c);
	if (kr == KERN_SUCCESS && out)
		memcpy(out, field, size);
	return kr;
}

/* A routine whose reply is only the return code. */
static kern_return_t routine(ipc_space_t task, int id, const void *args, size_t nargs, unsigned long cmd,
			     struct machipc_port_call *c)
{
	return routine_out(task, id, args, nargs, cmd, c, NULL, NULL, 0);
}

/* Memory for arrays returned "out of line", freed with vm_deallocate. */
static void *ool_alloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
			      mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
			      mach_msg_type_number_t *typesCnt)
{
	uint32_t count = 64;
	kern_return_t kr;

	if (!machipc_is_self(task)) {
		void *arrays[2];
		mach_msg_type_number_t counts[2];

		kr = machipc_mig_ool_out(task, MIG_MACH_PORT_NAMES, NULL, 0, arrays, counts, 2);
		if (kr == KERN_SUCCESS) {
			*names = arrays[0];
			*types = arrays[1];
			*namesCnt = counts[0];
			*typesCnt = counts[1];
		}
		return kr;
	}
	for (;;) {
		mach_port_name_t *n = ool_alloc(count * sizeof(*n));
		mach_port_type_t *t = ool_alloc(count * sizeof(*t));
		struct machipc_port_call c = { .count = count, .data = (uintptr_t)n, .value = (uintptr_t)t };

		if (!n || !t) {
			if (n)
				munmap(n, count * sizeof(*n));
			if (t)
				munmap(t, count * sizeof(*t));
			return KERN_RESOURCE_SHORTAGE;
		}
		kr = machipc_port_call(MACHIPC_IOC_PORT_NAMES, &c);
		if (kr == KERN_SUCCESS) {
			*names = n;
			*types = t;
			*namesCnt = *typesCnt = c.count;
			return kr;
		}
		munmap(n, count * sizeof(*n));
		munmap(t, count * sizeof(*t));
		if (kr != KERN_INSUFFICIENT_BUFFER_SIZE)
			return kr;
		count = c.count + 16;
	}
}

kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype)
{
	struct machipc_port_call c = { .name = name };

	return routine_out(task, MIG_MACH_PORT_TYPE, WORDS(name), MACHIPC_IOC_PORT_TYPE, &c, &c.poly, ptype,
			   sizeof(*ptype));
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_type_trap, mach_port_type);

kern_return_t mach_port_rename(ipc_space_t task, mach_port_name_t old_name, mach_port_name_t new_name)
{
	/* XNU no longer serves this routine. */
	(void)task;
	(void)old_name;
	(void)new_name;
	return MIG_BAD_ID;
}

kern_return_t mach_port_guard(ipc_space_t task, mach_port_name_t name, mach_port_context_t guard, boolean_t strict)
{
	struct machipc_port_call c = { .name = name, .value = guard, .poly = strict ? 1 : 0 };

	return routine(task, MIG_MACH_PORT_GUARD, WORDS(name, (uint32_t)guard, (uint32_t)(guard >> 32), strict ? 1 : 0),
		       MACHIPC_IOC_PORT_GUARD, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_guard_trap, mach_port_guard);

kern_return_t mach_port_unguard(ipc_space_t task, mach_port_name_t name, mach_port_context_t guard)
{
	struct machipc_port_call c = { .name = name, .value = guard };

	return routine(task, MIG_MACH_PORT_UNGUARD, WORDS(name, (uint32_t)guard, (uint32_t)(guard >> 32)),
		       MACHIPC_IOC_PORT_UNGUARD, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_unguard_trap, mach_port_unguard);

kern_return_t mach_port_allocate_name(ipc_space_t task, mach_port_right_t right, mach_port_name_t name)
{
	struct machipc_port_call c = { .right = right, .name = name };

	return routine(task, MIG_MACH_PORT_ALLOCATE_NAME, WORDS(right, name), MACHIPC_IOC_PORT_ALLOCATE_NAME, &c);
}

kern_return_t mach_port_allocate(ipc_space_t task, mach_port_right_t right, mach_port_name_t *name)
{
	struct machipc_port_call c = { .right = right };

	return routine_out(task, MIG_MACH_PORT_ALLOCATE, WORDS(right), MACHIPC_IOC_PORT_ALLOCATE, &c, &c.name, name,
			   sizeof(*name));
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_allocate_trap, mach_port_allocate);

kern_return_t mach_port_destroy(ipc_space_t task, mach_port_name_t name)
{
	struct machipc_port_call c = { .name = name };

	return routine(task, MIG_MACH_PORT_DESTROY, WORDS(name), MACHIPC_IOC_PORT_DESTROY, &c);
}

kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name)
{
	struct machipc_port_call c = { .name = name };

	return routine(task, MIG_MACH_PORT_DEALLOCATE, WORDS(name), MACHIPC_IOC_PORT_DEALLOCATE, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_deallocate_trap, mach_port_deallocate);

kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
				 mach_port_urefs_t *refs)
{
	struct machipc_port_call c = { .name = name, .right = right };

	return routine_out(task, MIG_MACH_PORT_GET_REFS, WORDS(name, right), MACHIPC_IOC_PORT_GET_REFS, &c,
			   &c.delta, refs, sizeof(*refs));
}

kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
				 mach_port_delta_t delta)
{
	struct machipc_port_call c = { .name = name, .right = right, .delta = delta };

	return routine(task, MIG_MACH_PORT_MOD_REFS, WORDS(name, right, (uint32_t)delta),
		       MACHIPC_IOC_PORT_MOD_REFS, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_mod_refs_trap, mach_port_mod_refs);

kern_return_t mach_port_set_mscount(ipc_space_t task, mach_port_name_t name, mach_port_mscount_t mscount)
{
	struct machipc_port_call c = { .name = name, .value = mscount };

	return routine(task, MIG_MACH_PORT_SET_MSCOUNT, WORDS(name, mscount), MACHIPC_IOC_PORT_SET_MSCOUNT, &c);
}

kern_return_t mach_port_get_set_status(ipc_space_read_t task, mach_port_name_t name,
				       mach_port_name_array_t *members, mach_msg_type_number_t *membersCnt)
{
	uint32_t count = 64;
	kern_return_t kr;

	if (!machipc_is_self(task)) {
		void *arrays[1];
		mach_msg_type_number_t counts[1];
		uint32_t a[] = { name };

		kr = machipc_mig_ool_out(task, MIG_MACH_PORT_GET_SET_STATUS, a, sizeof(a), arrays, counts, 1);
		if (kr == KERN_SUCCESS) {
			*members = arrays[0];
			*membersCnt = counts[0];
		}
		return kr;
	}
	for (;;) {
		mach_port_name_t *m = ool_alloc(count * sizeof(*m));
		struct machipc_port_call c = { .name = name, .count = count, .data = (uintptr_t)m };

		if (!m)
			return KERN_RESOURCE_SHORTAGE;
		kr = machipc_port_call(MACHIPC_IOC_PORT_GET_SET_STATUS, &c);
		if (kr == KERN_SUCCESS) {
			*members = m;
			*membersCnt = c.count;
			return kr;
		}
		munmap(m, count * sizeof(*m));
		if (kr != KERN_INSUFFICIENT_BUFFER_SIZE)
			return kr;
		count = c.count + 16;
	}
}

kern_return_t mach_port_move_member(ipc_space_t task, mach_port_name_t member, mach_port_name_t after)
{
	struct machipc_port_call c = { .name = member, .poly = after };

	return routine(task, MIG_MACH_PORT_MOVE_MEMBER, WORDS(member, after), MACHIPC_IOC_PORT_MOVE_MEMBER, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_move_member_trap, mach_port_move_member);

kern_return_t mach_port_request_notification(ipc_space_t task, mach_port_name_t name, mach_msg_id_t msgid,
					     mach_port_mscount_t sync, mach_port_t notify,
					     mach_msg_type_name_t notifyPoly, mach_port_t *previous)
{
	struct machipc_port_call c = { .name = name, .flavor = (uint32_t)msgid, .value = sync, .notify = notify,
				       .notify_type = notifyPoly };
	kern_return_t kr;

	if (!machipc_is_self(task)) {
		uint32_t a[] = { name, (uint32_t)msgid, sync };

		c.notify = MACH_PORT_NULL;
		kr = machipc_mig_port_in_out(task, MIG_MACH_PORT_REQUEST_NOTIFICATION, notify, notifyPoly, a, sizeof(a),
					     &c.notify);
	} else {
		kr = machipc_port_call(MACHIPC_IOC_PORT_REQUEST_NOTIFY, &c);
	}
	if (previous)
		*previous = c.notify;
	return kr;
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_request_notification_trap, mach_port_request_notification);

kern_return_t mach_port_insert_right(ipc_space_t task, mach_port_name_t name, mach_port_t poly,
				     mach_msg_type_name_t polyPoly)
{
	struct machipc_port_call c = { .name = name, .poly = poly, .right = polyPoly };
	uint32_t a[] = { name };

	if (!machipc_is_self(task))
		return machipc_mig_port_in(task, MIG_MACH_PORT_INSERT_RIGHT, poly, polyPoly, a, sizeof(a));
	return machipc_port_call(MACHIPC_IOC_PORT_INSERT_RIGHT, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_insert_right_trap, mach_port_insert_right);

kern_return_t mach_port_extract_right(ipc_space_t task, mach_port_name_t name, mach_msg_type_name_t msgt_name,
				      mach_port_t *poly, mach_msg_type_name_t *polyPoly)
{
	struct machipc_port_call c = { .name = name, .right = msgt_name };
	uint32_t a[] = { name, msgt_name };
	kern_return_t kr;

	if (!machipc_is_self(task))
		return machipc_mig_port_out(task, MIG_MACH_PORT_EXTRACT_RIGHT, a, sizeof(a), poly, polyPoly);
	kr = machipc_port_call(MACHIPC_IOC_PORT_EXTRACT_RIGHT, &c);
	if (kr == KERN_SUCCESS) {
		*poly = c.poly;
		*polyPoly = c.notify_type;
	}
	return kr;
}

kern_return_t mach_port_set_seqno(ipc_space_t task, mach_port_name_t name, mach_port_seqno_t seqno)
{
	struct machipc_port_call c = { .name = name, .value = seqno };

	return routine(task, MIG_MACH_PORT_SET_SEQNO, WORDS(name, seqno), MACHIPC_IOC_PORT_SET_SEQNO, &c);
}

kern_return_t mach_port_get_attributes(ipc_space_read_t task, mach_port_name_t name, mach_port_flavor_t flavor,
				       mach_port_info_t port_info_out, mach_msg_type_number_t *port_info_outCnt)
{
	struct machipc_port_call c = { .name = name, .flavor = (uint32_t)flavor, .count = *port_info_outCnt,
				       .data = (uintptr_t)port_info_out };
	kern_return_t kr;

	if (!machipc_is_self(task)) {
		uint32_t a[] = { name, (uint32_t)flavor, *port_info_outCnt < 17 ? *port_info_outCnt : 17 };
		uint32_t out[18];

		kr = machipc_mig_simple(task, MIG_MACH_PORT_GET_ATTRIBUTES, a, sizeof(a), out, sizeof(out));
		if (kr == KERN_SUCCESS) {
			if (out[0] > *port_info_outCnt)
				return MIG_ARRAY_TOO_LARGE;
			memcpy(port_info_out, &out[1], out[0] * sizeof(uint32_t));
			*port_info_outCnt = out[0];
		}
		return kr;
	}
	kr = machipc_port_call(MACHIPC_IOC_PORT_GET_ATTRIBUTES, &c);
	if (kr == KERN_SUCCESS)
		*port_info_outCnt = c.count;
	return kr;
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_get_attributes_trap, mach_port_get_attributes);

kern_return_t mach_port_set_attributes(ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
				       mach_port_info_t port_info, mach_msg_type_number_t port_infoCnt)
{
	struct machipc_port_call c = { .name = name, .flavor = (uint32_t)flavor, .count = port_infoCnt,
				       .data = (uintptr_t)port_info };
	uint32_t a[3 + 17] = { name, (uint32_t)flavor, port_infoCnt };

	if (machipc_is_self(task))
		return machipc_port_call(MACHIPC_IOC_PORT_SET_ATTRIBUTES, &c);
	if (port_infoCnt > 17)
		return MIG_ARRAY_TOO_LARGE;
	memcpy(&a[3], port_info, port_infoCnt * sizeof(uint32_t));
	return machipc_mig_simple(task, MIG_MACH_PORT_SET_ATTRIBUTES, a, (3 + port_infoCnt) * sizeof(uint32_t), NULL,
				  0);
}

kern_return_t mach_port_allocate_qos(ipc_space_t task, mach_port_right_t right, mach_port_qos_t *qos,
				     mach_port_name_t *name)
{
	if (qos && qos->name)
		return mach_port_allocate_name(task, right, *name);
	return mach_port_allocate(task, right, name);
}

kern_return_t mach_port_allocate_full(ipc_space_t task, mach_port_right_t right, mach_port_t proto,
				      mach_port_qos_t *qos, mach_port_name_t *name)
{
	if (proto != MACH_PORT_NULL)
		return KERN_INVALID_VALUE;
	return mach_port_allocate_qos(task, right, qos, name);
}

kern_return_t mach_port_get_srights(ipc_space_t task, mach_port_name_t name, mach_port_rights_t *srights)
{
	struct machipc_port_call c = { .name = name };
	kern_return_t kr;

	if (!machipc_is_self(task))
		return machipc_mig_simple(task, MIG_MACH_PORT_GET_SRIGHTS, WORDS(name), srights, sizeof(*srights));
	kr = machipc_port_call(MACHIPC_IOC_PORT_GET_SRIGHTS, &c);
	if (kr == KERN_SUCCESS)
		*srights = (mach_port_rights_t)c.value;
	return kr;
}

kern_return_t mach_port_insert_member(ipc_space_t task, mach_port_name_t name, mach_port_name_t pset)
{
	struct machipc_port_call c = { .name = name, .poly = pset };

	return routine(task, MIG_MACH_PORT_INSERT_MEMBER, WORDS(name, pset), MACHIPC_IOC_PORT_INSERT_MEMBER, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_insert_member_trap, mach_port_insert_member);

kern_return_t mach_port_extract_member(ipc_space_t task, mach_port_name_t name, mach_port_name_t pset)
{
	struct machipc_port_call c = { .name = name, .poly = pset };

	return routine(task, MIG_MACH_PORT_EXTRACT_MEMBER, WORDS(name, pset), MACHIPC_IOC_PORT_EXTRACT_MEMBER, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_extract_member_trap, mach_port_extract_member);

kern_return_t mach_port_get_context(ipc_space_read_t task, mach_port_name_t name, mach_port_context_t *context)
{
	struct machipc_port_call c = { .name = name };

	return routine_out(task, MIG_MACH_PORT_GET_CONTEXT, WORDS(name), MACHIPC_IOC_PORT_GET_CONTEXT, &c,
			   &c.value, context, sizeof(*context));
}

kern_return_t mach_port_set_context(ipc_space_t task, mach_port_name_t name, mach_port_context_t context)
{
	struct machipc_port_call c = { .name = name, .value = context };

	return routine(task, MIG_MACH_PORT_SET_CONTEXT, WORDS(name, (uint32_t)context, (uint32_t)(context >> 32)),
		       MACHIPC_IOC_PORT_SET_CONTEXT, &c);
}

kern_return_t mach_port_construct(ipc_space_t task, mach_port_options_ptr_t options, mach_port_context_t context,
				  mach_port_name_t *name)
{
	struct machipc_port_call c = { .data = (uintptr_t)options, .value = context };
	kern_return_t kr;

	if (!machipc_is_self(task)) {
		char a[32];

		memcpy(a, options, 24);
		memcpy(a + 24, &context, 8);
		return machipc_mig_simple(task, MIG_MACH_PORT_CONSTRUCT, a, sizeof(a), name, sizeof(*name));
	}
	kr = machipc_port_call(MACHIPC_IOC_PORT_CONSTRUCT, &c);
	if (kr == KERN_SUCCESS)
		*name = c.name;
	return kr;
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_construct_trap, mach_port_construct);

kern_return_t mach_port_destruct(ipc_space_t task, mach_port_name_t name, mach_port_delta_t srdelta,
				 mach_port_context_t guard)
{
	struct machipc_port_call c = { .name = name, .delta = srdelta, .value = guard };

	return routine(task, MIG_MACH_PORT_DESTRUCT,
		       WORDS(name, (uint32_t)srdelta, (uint32_t)guard, (uint32_t)(guard >> 32)),
		       MACHIPC_IOC_PORT_DESTRUCT, &c);
}
MACHIPC_TRAP_ALIAS(_kernelrpc_mach_port_destruct_trap, mach_port_destruct);

int machipc_port_fd(mach_port_name_t name, uint32_t trailer)
{
	struct machipc_port_fd p = { .name = name, .trailer = trailer };
	int fd = machipc_device_fd();

	if (fd < 0)
		return -1;
	if (ioctl(fd, MACHIPC_IOC_PORT_FD, &p) != 0)
		return -1;
	return p.fd;
}

/* XNU looks at MPG_STRICT and MPG_IMMOVABLE_RECEIVE only: the ioctl takes
 * the low word. */
kern_return_t mach_port_guard_with_flags(ipc_space_t task, mach_port_name_t name, mach_port_context_t guard,
					 uint64_t flags)
{
	struct machipc_port_call c = { .name = name, .value = guard,
				       .poly = (uint32_t)(flags & (MPG_STRICT | MPG_IMMOVABLE_RECEIVE)) };

	return routine(task, MIG_MACH_PORT_GUARD_WITH_FLAGS,
		       WORDS(name, (uint32_t)guard, (uint32_t)(guard >> 32), (uint32_t)flags, (uint32_t)(flags >> 32)),
		       MACHIPC_IOC_PORT_GUARD, &c);
}

kern_return_t mach_port_swap_guard(ipc_space_t task, mach_port_name_t name, mach_port_context_t old_guard,
				   mach_port_context_t new_guard)
{
	struct machipc_port_call c = { .name = name, .flavor = 1, .data = old_guard, .value = new_guard };

	return routine(task, MIG_MACH_PORT_SWAP_GUARD,
		       WORDS(name, (uint32_t)old_guard, (uint32_t)(old_guard >> 32), (uint32_t)new_guard,
			     (uint32_t)(new_guard >> 32)),
		       MACHIPC_IOC_PORT_GUARD, &c);
}

kern_return_t mach_port_peek(ipc_space_t task, mach_port_name_t name, mach_msg_trailer_type_t trailer_type,
			     mach_port_seqno_t *request_seqnop, mach_msg_size_t *msg_sizep, mach_msg_id_t *msg_idp,
			     mach_msg_trailer_info_t trailer_infop, mach_msg_type_number_t *trailer_infopCnt)
{
	struct machipc_port_call c = {
		.name = name,
		.flavor = (uint32_t)trailer_type,
		.value = *request_seqnop,
		.count = *trailer_infopCnt,
		.data = (uintptr_t)trailer_infop,
	};
	kern_return_t kr;

	if (!machipc_is_self(task))
		return MACH_SEND_INVALID_DEST;
	kr = machipc_port_call(MACHIPC_IOC_PORT_PEEK, &c);
	if (kr == KERN_SUCCESS) {
		*request_seqnop = (mach_port_seqno_t)c.value;
		*msg_sizep = c.poly;
		*msg_idp = c.delta;
		*trailer_infopCnt = c.count;
	}
	return kr;
}

kern_return_t mach_port_dnrequest_info(ipc_space_t task, mach_port_name_t name, unsigned int *dnr_total,
				       unsigned int *dnr_used)
{
	return machipc_not_supported(4, task, name, dnr_total, dnr_used);
}

kern_return_t mach_port_assert_attributes(ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
					  mach_port_info_t info, mach_msg_type_number_t infoCnt)
{
	return machipc_not_supported(5, task, name, flavor, info, infoCnt);
}

kern_return_t mach_port_is_connection_for_service(ipc_space_t task, mach_port_name_t connection_port,
						  mach_port_name_t service_port, uint64_t *filter_policy_id)
{
	return machipc_not_supported(4, task, connection_port, service_port, filter_policy_id);
}

/* The kernel-object type behind a port (IKOT_TASK_CONTROL for a task port,
 * IKOT_TIMER, IKOT_NONE for a plain port); the address is always 0. */
kern_return_t mach_port_kobject(ipc_space_read_t task, mach_port_name_t name, natural_t *object_type,
				mach_vm_address_t *object_addr)
{
	struct __attribute__((packed, aligned(4))) {
		natural_t type;
		mach_vm_address_t addr;
	} out;
	kern_return_t kr = machipc_mig_simple(task, MIG_MACH_PORT_KOBJECT, &name, sizeof(name), &out, sizeof(out));

	if (kr != KERN_SUCCESS)
		return kr;
	*object_type = out.type;
	*object_addr = out.addr;
	return KERN_SUCCESS;
}

kern_return_t mach_port_kernel_object(ipc_space_read_t task, mach_port_name_t name, unsigned *object_type,
				      unsigned *object_addr)
{
	mach_vm_address_t addr;
	kern_return_t kr = mach_port_kobject(task, name, object_type, &addr);

	if (kr == KERN_SUCCESS && object_addr)
		*object_addr = (unsigned)addr;
	return kr;
}

/* The space's whole name table, out of line (a fresh region for
 * vm_deallocate), and an always empty tree. */
kern_return_t mach_port_space_info(ipc_space_read_t space, ipc_info_space_t *space_info,
				   ipc_info_name_array_t *table_info, mach_msg_type_number_t *table_infoCnt,
				   ipc_info_tree_name_array_t *tree_info, mach_msg_type_number_t *tree_infoCnt)
{
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
	} req;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t table;
		mach_msg_ool_descriptor_t tree;
		NDR_record_t ndr;
		ipc_info_space_t info;
		mach_msg_type_number_t table_count;
		mach_msg_type_number_t tree_count;
		mach_msg_max_trailer_t trailer;
	} rep;
	kern_return_t kr;

	memset(&req, 0, sizeof(req));
	req.ndr = NDR_record;
	kr = machipc_mig_rpc(space, &req.h, sizeof(req), MIG_MACH_PORT_SPACE_INFO, &rep.h, sizeof(rep));
	if (kr != KERN_SUCCESS)
		return kr;
	if (!(rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX))
		return ((mig_reply_error_t *)&rep)->RetCode;
	if (rep.body.msgh_descriptor_count != 2 ||
	    rep.table.size != rep.table_count * sizeof(ipc_info_name_t) || rep.tree_count != 0) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	*space_info = rep.info;
	*table_info = rep.table.address;
	*table_infoCnt = rep.table_count;
	*tree_info = rep.tree.address;
	*tree_infoCnt = 0;
	return KERN_SUCCESS;
}
