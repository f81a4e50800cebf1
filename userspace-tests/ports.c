/* SPDX-License-Identifier: MIT */
/* mach_port_* calls on the caller's own space, with XNU's results. */
#include <mach/mach.h>
#include "harness.h"

static mach_port_t task;

static mach_port_t new_receive(void)
{
	mach_port_t p = MACH_PORT_NULL;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	EXPECT_TRUE(MACH_PORT_VALID(p));
	return p;
}

TEST(task_self_is_a_send_right)
{
	mach_port_type_t t;

	KR_OK(mach_port_type(mach_task_self(), mach_task_self(), &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND);
}

TEST(allocate_receive_port_set_dead_name)
{
	mach_port_t r, s, d;
	mach_port_type_t t;
	mach_port_urefs_t refs;

	task = mach_task_self();
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &r));
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &s));
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &d));
	EXPECT_NE(r, s);
	EXPECT_EQ(r & 3, 3);
	KR_OK(mach_port_type(task, r, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	KR_OK(mach_port_type(task, s, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_PORT_SET);
	KR_OK(mach_port_type(task, d, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mach_port_get_refs(task, d, MACH_PORT_RIGHT_DEAD_NAME, &refs));
	EXPECT_EQ(refs, 1);
	KR(mach_port_allocate(task, MACH_PORT_RIGHT_SEND, &r), KERN_INVALID_VALUE);
	KR(mach_port_allocate(task, MACH_PORT_RIGHT_SEND_ONCE, &r), KERN_INVALID_VALUE);
	KR(mach_port_allocate(task, 77, &r), KERN_INVALID_VALUE);
}

TEST(freed_name_comes_back_with_new_generation)
{
	mach_port_t a = new_receive(), b;

	KR_OK(mach_port_mod_refs(mach_task_self(), a, MACH_PORT_RIGHT_RECEIVE, -1));
	b = new_receive();
	EXPECT_EQ(MACH_PORT_INDEX(a), MACH_PORT_INDEX(b));
	EXPECT_NE(a, b);
	mach_port_type_t t;
	KR(mach_port_type(mach_task_self(), a, &t), KERN_INVALID_NAME);
}

TEST(insert_send_right_and_refs)
{
	task = mach_task_self();
	mach_port_t p = new_receive();
	mach_port_type_t t;
	mach_port_urefs_t refs;

	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_type(task, p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_RECEIVE);
	KR_OK(mach_port_get_refs(task, p, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, 5));
	KR_OK(mach_port_get_refs(task, p, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 6);
	KR(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, -7), KERN_INVALID_VALUE);
	KR_OK(mach_port_get_refs(task, p, MACH_PORT_RIGHT_RECEIVE, &refs));
	EXPECT_EQ(refs, 1);
	KR_OK(mach_port_get_refs(task, p, MACH_PORT_RIGHT_SEND_ONCE, &refs));
	EXPECT_EQ(refs, 0);
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, -6));
	KR_OK(mach_port_type(task, p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	/* A second name for the same port's send right is refused. */
	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR(mach_port_insert_right(task, 0x7f003, p, MACH_MSG_TYPE_MAKE_SEND), KERN_RIGHT_EXISTS);
}

/*
 * XNU's ipc_entry_alloc_name judges a chosen name before the right (Apple's
 * tests/mach_port_insert_right.c): past the table's limit KERN_NO_SPACE, a
 * generation the kernel never makes KERN_INVALID_VALUE, index 0 or a slot
 * in use under another generation KERN_FAILURE; then the right: the port
 * named elsewhere KERN_RIGHT_EXISTS, another right here KERN_NAME_EXISTS.
 */
TEST(insert_right_name_checks)
{
	task = mach_task_self();
	mach_port_t p = new_receive(), q = new_receive();
	mach_port_type_t t;

	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR(mach_port_insert_right(task, 123, p, MACH_MSG_TYPE_MAKE_SEND), KERN_FAILURE);
	KR(mach_port_insert_right(task, 122, p, MACH_MSG_TYPE_MAKE_SEND), KERN_INVALID_VALUE);
	KR(mach_port_insert_right(task, 0x7f002, q, MACH_MSG_TYPE_MAKE_SEND), KERN_INVALID_VALUE);
	KR(mach_port_insert_right(task, 0x12345603, p, MACH_MSG_TYPE_MAKE_SEND), KERN_NO_SPACE);
	KR(mach_port_insert_right(task, p + 4, q, MACH_MSG_TYPE_MAKE_SEND), KERN_FAILURE);
	KR(mach_port_insert_right(task, p, q, MACH_MSG_TYPE_MAKE_SEND), KERN_RIGHT_EXISTS);
	KR(mach_port_insert_right(task, p, q, MACH_MSG_TYPE_MAKE_SEND_ONCE), KERN_NAME_EXISTS);
	KR(mach_port_insert_right(task, MACH_PORT_NULL, q, MACH_MSG_TYPE_MAKE_SEND), KERN_INVALID_VALUE);
	KR(mach_port_insert_right(task, MACH_PORT_DEAD, q, MACH_MSG_TYPE_MAKE_SEND), KERN_INVALID_VALUE);
	/* None of them touched the names involved. */
	KR_OK(mach_port_type(task, p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_RECEIVE);
	KR_OK(mach_port_type(task, q, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	/* A free index under a chosen generation works. */
	KR_OK(mach_port_insert_right(task, 0x7f0ff, q, MACH_MSG_TYPE_MAKE_SEND_ONCE));
	KR(mach_port_insert_right(task, 0x7f0fb, q, MACH_MSG_TYPE_MAKE_SEND_ONCE), KERN_FAILURE);
	KR_OK(mach_port_type(task, 0x7f0ff, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
}

TEST(urefs_saturate_at_max)
{
	task = mach_task_self();
	mach_port_t p = new_receive();
	mach_port_urefs_t refs;

	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, 0xffff - 1));
	KR_OK(mach_port_get_refs(task, p, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 0xffff);
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, 10));
	KR_OK(mach_port_deallocate(task, p));
	KR_OK(mach_port_get_refs(task, p, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 0xffff);
}

TEST(bad_names_and_wrong_rights)
{
	task = mach_task_self();
	mach_port_t p = new_receive();
	mach_port_type_t t;

	KR(mach_port_type(task, 0x7777703, &t), KERN_INVALID_NAME);
	KR(mach_port_type(task, MACH_PORT_NULL, &t), KERN_INVALID_NAME);
	KR_OK(mach_port_type(task, MACH_PORT_DEAD, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_DEAD_NAME);
	KR(mach_port_deallocate(task, p), KERN_INVALID_RIGHT);
	KR(mach_port_deallocate(task, 0x7777703), KERN_INVALID_NAME);
	KR_OK(mach_port_deallocate(task, MACH_PORT_NULL));
	KR(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -2), KERN_INVALID_VALUE);
	KR(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, 1), KERN_INVALID_RIGHT);
	KR(mach_port_mod_refs(task, p, 9, 1), KERN_INVALID_VALUE);
	KR(mach_port_insert_right(task, p, 0x7777703, MACH_MSG_TYPE_MOVE_SEND), KERN_INVALID_NAME);
	KR(mach_port_insert_right(task, 0x7777703, p, 99), KERN_INVALID_RIGHT);
}

TEST(destroying_receive_turns_send_into_dead_name)
{
	task = mach_task_self();
	mach_port_t p = new_receive(), s;
	mach_msg_type_name_t tn;
	mach_port_type_t t;
	mach_port_urefs_t refs;

	/* A send right under another name than the receive right: extract
	 * a send-once... use a second space-free trick: move the receive
	 * right out and back under a new name. */
	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, 2));
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_type(task, p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mach_port_get_refs(task, p, MACH_PORT_RIGHT_DEAD_NAME, &refs));
	EXPECT_EQ(refs, 3);
	KR_OK(mach_port_extract_right(task, p, MACH_MSG_TYPE_COPY_SEND, &s, &tn));
	EXPECT_EQ(s, MACH_PORT_DEAD);
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_DEAD_NAME, -3));
	KR(mach_port_type(task, p, &t), KERN_INVALID_NAME);
}

TEST(attributes_and_context)
{
	task = mach_task_self();
	mach_port_t p = new_receive();
	mach_port_limits_t lim = { .mpl_qlimit = 0 };
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;
	mach_port_status_t st;
	mach_port_context_t ctx;

	KR_OK(mach_port_get_attributes(task, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, &cnt));
	EXPECT_EQ(lim.mpl_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	lim.mpl_qlimit = MACH_PORT_QLIMIT_MAX + 1;
	KR(mach_port_set_attributes(task, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1), KERN_INVALID_VALUE);
	lim.mpl_qlimit = 17;
	KR_OK(mach_port_set_attributes(task, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	KR_OK(mach_port_get_attributes(task, p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(cnt, MACH_PORT_RECEIVE_STATUS_COUNT);
	EXPECT_EQ(st.mps_qlimit, 17);
	EXPECT_EQ(st.mps_msgcount, 0);
	EXPECT_EQ(st.mps_srights, 0);
	cnt = 3;
	KR(mach_port_get_attributes(task, p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt), KERN_FAILURE);
	KR(mach_port_get_attributes(task, p, 99, (mach_port_info_t)&st, &cnt), KERN_INVALID_ARGUMENT);
	KR_OK(mach_port_set_context(task, p, 0xfeedface12345678ull));
	KR_OK(mach_port_get_context(task, p, &ctx));
	EXPECT_EQ(ctx, 0xfeedface12345678ull);
}

TEST(construct_and_destruct)
{
	task = mach_task_self();
	mach_port_options_t o = { .flags = MPO_INSERT_SEND_RIGHT | MPO_QLIMIT, .mpl = { .mpl_qlimit = 9 } };
	mach_port_t p;
	mach_port_type_t t;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	KR_OK(mach_port_construct(task, &o, 0x55, &p));
	KR_OK(mach_port_type(task, p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_RECEIVE);
	KR_OK(mach_port_get_attributes(task, p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	EXPECT_EQ(st.mps_qlimit, 9);
	EXPECT_EQ(st.mps_mscount, 1);
	KR_OK(mach_port_destruct(task, p, -1, 0x55));
	KR(mach_port_type(task, p, &t), KERN_INVALID_NAME);
}

TEST(names_lists_everything)
{
	task = mach_task_self();
	mach_port_t p = new_receive();
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n, nt;
	int found = 0;

	KR_OK(mach_port_names(task, &names, &n, &types, &nt));
	EXPECT_EQ(n, nt);
	for (unsigned i = 0; i < n; i++)
		if (names[i] == p && types[i] == MACH_PORT_TYPE_RECEIVE)
			found = 1;
	EXPECT_TRUE(found);
	KR_OK(vm_deallocate(task, (vm_address_t)names, n * sizeof(*names)));
	KR_OK(vm_deallocate(task, (vm_address_t)types, n * sizeof(*types)));
}

TEST(many_names_grow_the_table)
{
	task = mach_task_self();
	for (int i = 0; i < 5000; i++) {
		mach_port_t p;

		KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &p));
	}
}

#include <stdlib.h>
#include <sys/wait.h>

/* The module cannot be unloaded while a space is open; it keeps working. */
TEST(unload_refused_while_files_are_open)
{
	mach_port_t p = new_receive();
	mach_port_type_t t;
	int st = system("rmmod machipc 2>/dev/null");

	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	KR_OK(mach_port_type(mach_task_self(), p, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
}

/* The task's own send right is pinned: its last reference stays. */
TEST(task_self_is_pinned)
{
	mach_port_t self = mach_task_self();
	mach_port_urefs_t refs;
	mach_port_type_t t;

	KR_OK(mach_port_get_refs(self, self, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	KR(mach_port_deallocate(self, self), KERN_INVALID_CAPABILITY);
	KR(mach_port_mod_refs(self, self, MACH_PORT_RIGHT_SEND, -1), KERN_INVALID_CAPABILITY);
	KR(mach_port_destroy(self, self), KERN_INVALID_CAPABILITY);
	KR_OK(mach_port_mod_refs(self, self, MACH_PORT_RIGHT_SEND, 1));
	KR_OK(mach_port_deallocate(self, self));
	KR_OK(mach_port_type(self, self, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND);
}

/* mach_port_get_attributes answers the flavor's count whatever capacity
 * the caller offers; a flavor that sets none (the dead-name-request size
 * of a null name) answers the capacity clamped to mach_port_info_t, as
 * XNU's trap does. Too small a capacity is KERN_FAILURE. */
TEST(get_attributes_returns_the_flavor_count)
{
	mach_port_t p = new_receive();
	integer_t info[17];
	mach_msg_type_number_t cnt;

	task = mach_task_self();
	cnt = 0xffffffff;
	KR_OK(mach_port_get_attributes(task, p, MACH_PORT_LIMITS_INFO, info, &cnt));
	EXPECT_EQ(cnt, MACH_PORT_LIMITS_INFO_COUNT);
	EXPECT_EQ(info[0], MACH_PORT_QLIMIT_DEFAULT);
	cnt = 0xffffffff;
	KR_OK(mach_port_get_attributes(task, p, MACH_PORT_RECEIVE_STATUS, info, &cnt));
	EXPECT_EQ(cnt, MACH_PORT_RECEIVE_STATUS_COUNT);
	cnt = 0xffffffff;
	KR_OK(mach_port_get_attributes(task, p, MACH_PORT_INFO_EXT, info, &cnt));
	EXPECT_EQ(cnt, MACH_PORT_INFO_EXT_COUNT);
	cnt = 0xffffffff;
	KR_OK(mach_port_get_attributes(task, p, MACH_PORT_DNREQUESTS_SIZE, info, &cnt));
	EXPECT_EQ(cnt, MACH_PORT_DNREQUESTS_SIZE_COUNT);
	EXPECT_EQ(info[0], 0);
	cnt = 0xffffffff;
	memset(info, 0x5a, sizeof(info));
	KR_OK(mach_port_get_attributes(task, MACH_PORT_NULL, MACH_PORT_DNREQUESTS_SIZE, info, &cnt));
	EXPECT_EQ(cnt, 17);
	for (int i = 0; i < 17; i++)
		EXPECT_EQ(info[i], 0);
	cnt = 0xffffffff;
	KR_OK(mach_port_get_attributes(task, MACH_PORT_NULL, MACH_PORT_LIMITS_INFO, info, &cnt));
	EXPECT_EQ(cnt, 0);
	cnt = 0;
	KR(mach_port_get_attributes(task, p, MACH_PORT_LIMITS_INFO, info, &cnt), KERN_FAILURE);
	EXPECT_EQ(cnt, 0);
}

/* A name far up makes the table grow past what kmalloc can give in one
 * piece (KMALLOC_MAX_SIZE, 4 MiB here): no warning, and the table keeps
 * working on both sides of the jump. */
TEST(name_table_grows_past_the_kmalloc_limit)
{
	mach_port_t far = (400000 << 8) | 3, p;
	mach_port_type_t t;
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n, nt;

	task = mach_task_self();
	KR_OK(mach_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, far));
	KR_OK(mach_port_type(task, far, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);
	/* Names below and above fill in from the free list, each once. */
	KR_OK(mach_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, (399999 << 8) | 3));
	KR_OK(mach_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, (77 << 8) | 3));
	for (int i = 0; i < 2000; i++) {
		KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &p));
		EXPECT_NE(p, far);
		EXPECT_NE(p, (77 << 8) | 3);
	}
	KR_OK(mach_port_names(task, &names, &n, &types, &nt));
	/* The task port, the bootstrap port libmach names, and ours. */
	EXPECT_EQ(n, 2 + 3 + 2000);
	KR_OK(vm_deallocate(task, (vm_address_t)names, n * sizeof(*names)));
	KR_OK(vm_deallocate(task, (vm_address_t)types, nt * sizeof(*types)));
	KR_OK(mach_port_mod_refs(task, far, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &p));
}

/* mach_port_allocate_name takes its slot off the free list in constant
 * time: in a table of a million slots, names far down the free list cost
 * no more than names at its head (before, each walked the list from the
 * head, a million steps under the space lock). */
TEST(allocate_name_in_a_full_size_table_is_constant_time)
{
	mach_port_t last = (((1 << 20) - 1) << 8) | 3;

	task = mach_task_self();
	KR_OK(mach_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, last));
	for (int i = 1; i <= 3000; i++)
		KR_OK(mach_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, last - (i << 8)));
	KR_OK(mach_port_mod_refs(task, last, MACH_PORT_RIGHT_RECEIVE, -1));
}

#include <linux/machipc.h>
#include <sys/mman.h>

kern_return_t machipc_port_call(unsigned long cmd, struct machipc_port_call *c);

static mach_msg_type_number_t name_count(void)
{
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n, nt;

	KR_OK(mach_port_names(mach_task_self(), &names, &n, &types, &nt));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof(*names)));
	KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)types, nt * sizeof(*types)));
	return n;
}

/* Every call that reads or writes user memory beside its argument
 * (mach_port_names, get/set_attributes, get_set_status, peek, construct,
 * task_get_exception_ports) fails with KERN_INVALID_ADDRESS on memory it
 * cannot use, makes nothing it could not report, and leaves the space
 * usable. (These copies now run without the space lock held; a copy that
 * stalls holds up no other thread of the space.) */
TEST(bad_user_memory_gives_invalid_address_and_leaves_the_space_usable)
{
	mach_port_t s, p = new_receive(), q;
	uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static uint32_t ok[1024];
	struct machipc_port_call c;
	mach_msg_type_number_t before;
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0),
		.msgh_size = sizeof(h),
		.msgh_id = 5,
	};
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} r;

	task = mach_task_self();
	EXPECT_TRUE(ro != MAP_FAILED && none != MAP_FAILED);
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &s));
	KR_OK(mach_port_insert_member(task, p, s));
	h.msgh_remote_port = p;
	KR_OK(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, 0, 0, 0));
	before = name_count();

	c = (struct machipc_port_call){ .count = 1024, .data = (uintptr_t)ro, .value = (uintptr_t)ok };
	KR(machipc_port_call(MACHIPC_IOC_PORT_NAMES, &c), KERN_INVALID_ADDRESS);
	c = (struct machipc_port_call){ .count = 1024, .data = (uintptr_t)ok, .value = (uintptr_t)none };
	KR(machipc_port_call(MACHIPC_IOC_PORT_NAMES, &c), KERN_INVALID_ADDRESS);
	c = (struct machipc_port_call){ .name = p, .flavor = MACH_PORT_RECEIVE_STATUS, .count = 10,
					.data = (uintptr_t)ro };
	KR(machipc_port_call(MACHIPC_IOC_PORT_GET_ATTRIBUTES, &c), KERN_INVALID_ADDRESS);
	c = (struct machipc_port_call){ .name = p, .flavor = MACH_PORT_LIMITS_INFO, .count = 1,
					.data = (uintptr_t)none };
	KR(machipc_port_call(MACHIPC_IOC_PORT_SET_ATTRIBUTES, &c), KERN_INVALID_ADDRESS);
	c = (struct machipc_port_call){ .name = s, .count = 16, .data = (uintptr_t)ro };
	KR(machipc_port_call(MACHIPC_IOC_PORT_GET_SET_STATUS, &c), KERN_INVALID_ADDRESS);
	c = (struct machipc_port_call){ .name = p, .count = 8, .data = (uintptr_t)ro };
	KR(machipc_port_call(MACHIPC_IOC_PORT_PEEK, &c), KERN_INVALID_ADDRESS);
	c = (struct machipc_port_call){ .flavor = EXC_MASK_BAD_ACCESS, .count = 14, .data = (uintptr_t)ro };
	KR(machipc_port_call(MACHIPC_IOC_GET_EXCEPTION_PORTS, &c), KERN_INVALID_ADDRESS);
	c = (struct machipc_port_call){ .data = (uintptr_t)none };
	KR(machipc_port_call(MACHIPC_IOC_PORT_CONSTRUCT, &c), KERN_INVALID_ADDRESS);
	EXPECT_EQ(name_count(), before);

	/* The space works as before. */
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &q));
	EXPECT_EQ(name_count(), before + 1);
	KR_OK(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), s, 0, 0));
	EXPECT_EQ(r.h.msgh_id, 5);
	EXPECT_EQ(r.h.msgh_local_port, p);
}

static natural_t status_flags(mach_port_t p)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	memset(&st, 0, sizeof(st));
	KR_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	return st.mps_flags;
}

/*
 * mach_port_guard_with_flags and mach_port_swap_guard as XNU's: an
 * immovable receive right cannot leave the space (KERN_INVALID_CAPABILITY),
 * immovability is sticky across unguard but reported only with a guard;
 * swap needs the current, non-strict guard.
 */
TEST(guard_with_flags_swap_guard_and_immovable_receive)
{
	task = mach_task_self();
	mach_port_t p = new_receive(), q = new_receive(), r = new_receive(), n;
	mach_msg_type_name_t t;
	mach_port_context_t ctx;

	KR_OK(mach_port_guard_with_flags(task, p, 0x1234, MPG_IMMOVABLE_RECEIVE));
	EXPECT_EQ(status_flags(p), MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	KR(mach_port_guard_with_flags(task, p, 0x99, 0), KERN_INVALID_ARGUMENT);
	KR(mach_port_swap_guard(task, p, 0x1, 0x99), KERN_INVALID_ARGUMENT);
	KR_OK(mach_port_swap_guard(task, p, 0x1234, 0x5678));
	KR_OK(mach_port_get_context(task, p, &ctx));
	EXPECT_EQ(ctx, 0x5678);
	KR(mach_port_extract_right(task, p, MACH_MSG_TYPE_MOVE_RECEIVE, &n, &t), KERN_INVALID_CAPABILITY);
	KR(mach_port_insert_right(task, 0x7f103, p, MACH_MSG_TYPE_MOVE_RECEIVE), KERN_INVALID_CAPABILITY);
	KR(mach_port_unguard(task, p, 0x1234), KERN_INVALID_ARGUMENT);
	KR_OK(mach_port_unguard(task, p, 0x5678));
	EXPECT_EQ(status_flags(p), 0);
	/* Sticky: still immovable. */
	KR(mach_port_extract_right(task, p, MACH_MSG_TYPE_MOVE_RECEIVE, &n, &t), KERN_INVALID_CAPABILITY);
	KR(mach_port_swap_guard(task, p, 0, 1), KERN_INVALID_ARGUMENT);

	KR_OK(mach_port_guard_with_flags(task, q, 7, MPG_STRICT));
	EXPECT_EQ(status_flags(q), MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
	KR(mach_port_swap_guard(task, q, 7, 8), KERN_INVALID_ARGUMENT);
	KR_OK(mach_port_unguard(task, q, 7));
	/* Not immovable: it moves. */
	KR_OK(mach_port_extract_right(task, q, MACH_MSG_TYPE_MOVE_RECEIVE, &n, &t));
	EXPECT_EQ(t, MACH_MSG_TYPE_PORT_RECEIVE);

	KR(mach_port_guard_with_flags(task, 0x7f203, 1, 0), KERN_INVALID_NAME);
	KR_OK(mach_port_insert_right(task, r, r, MACH_MSG_TYPE_MAKE_SEND));
	KR(mach_port_guard_with_flags(task, MACH_PORT_NULL, 1, 0), KERN_INVALID_NAME);
	mach_port_guard(task, r, 3, TRUE);
	EXPECT_EQ(status_flags(r), MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
}

/* mach_port_construct's flags in the receive status, as XNU reports them. */
TEST(construct_flags_show_in_receive_status)
{
	task = mach_task_self();
	mach_port_options_t o;
	mach_port_t p;
	mach_port_name_t n;
	mach_msg_type_name_t t;

	memset(&o, 0, sizeof(o));
	o.flags = MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE;
	KR_OK(mach_port_construct(task, &o, 0x10, &p));
	EXPECT_EQ(status_flags(p), MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	KR(mach_port_extract_right(task, p, MACH_MSG_TYPE_MOVE_RECEIVE, &n, &t), KERN_INVALID_CAPABILITY);
	KR_OK(mach_port_destruct(task, p, 0, 0x10));

	/* Without a guard, MPO_IMMOVABLE_RECEIVE does nothing. */
	o.flags = MPO_IMMOVABLE_RECEIVE;
	KR_OK(mach_port_construct(task, &o, 0, &p));
	EXPECT_EQ(status_flags(p), 0);
	KR_OK(mach_port_extract_right(task, p, MACH_MSG_TYPE_MOVE_RECEIVE, &n, &t));

	o.flags = MPO_CONTEXT_AS_GUARD | MPO_STRICT;
	KR_OK(mach_port_construct(task, &o, 0x20, &p));
	EXPECT_EQ(status_flags(p), MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
	o.flags = MPO_IMPORTANCE_RECEIVER;
	KR_OK(mach_port_construct(task, &o, 0, &p));
	EXPECT_EQ(status_flags(p), MACH_PORT_STATUS_FLAG_IMP_DONATION);
	o.flags = MPO_TEMPOWNER;
	KR_OK(mach_port_construct(task, &o, 0, &p));
	EXPECT_EQ(status_flags(p), MACH_PORT_STATUS_FLAG_IMP_DONATION | MACH_PORT_STATUS_FLAG_TEMPOWNER);
}
