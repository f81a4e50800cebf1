/* SPDX-License-Identifier: MIT */
/*
 * Notifications as Mach messages (XNU's osfmk/ipc/ipc_notify.c, mach_port.c
 * mach_port_request_notification, layouts of <mach/notify.h>).
 */
#include <mach/mach.h>
#include <mach/notify.h>
#include <sys/wait.h>
#include "harness.h"

/* Received notifications have a send-once right as their local port. */
#define NOTIFY_BITS MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE)

typedef struct {
	mach_msg_header_t h;
	char body[512];
} rbuf_t;

static mach_port_t new_port(void)
{
	mach_port_t p = MACH_PORT_NULL;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	return p;
}

static mach_msg_return_t rcv(mach_port_t port, rbuf_t *b, mach_msg_timeout_t ms)
{
	memset(b, 0xa5, sizeof(*b));
	return mach_msg(&b->h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*b), port, ms, MACH_PORT_NULL);
}

static mach_msg_return_t send_plain(mach_port_t dest, mach_msg_type_name_t disp, mach_msg_id_t id)
{
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(disp, 0),
		.msgh_size = sizeof(h),
		.msgh_remote_port = dest,
		.msgh_id = id,
	};

	return mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/* Header of a received kernel notification. */
static void check_header(const mach_msg_header_t *h, mach_msg_id_t id, mach_msg_size_t size,
			 mach_port_t local, mach_msg_bits_t bits)
{
	const mach_msg_trailer_t *t = (const void *)((const char *)h + h->msgh_size);

	EXPECT_EQ(h->msgh_id, id);
	EXPECT_EQ(h->msgh_size, size);
	EXPECT_EQ(h->msgh_bits, bits);
	EXPECT_EQ(h->msgh_local_port, local);
	EXPECT_EQ(h->msgh_remote_port, MACH_PORT_NULL);
	EXPECT_EQ(h->msgh_voucher_port, MACH_PORT_NULL);
	EXPECT_EQ(t->msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	EXPECT_EQ(t->msgh_trailer_size, sizeof(mach_msg_trailer_t));
}

static void check_ndr(const NDR_record_t *ndr)
{
	EXPECT_TRUE(memcmp(ndr, &NDR_record, sizeof(*ndr)) == 0);
}

/* Receives one notification with the given id and checks its header. */
static void expect_name_notif(mach_port_t n, mach_msg_id_t id, mach_port_name_t name)
{
	rbuf_t b;
	mach_dead_name_notification_t *m = (void *)&b;

	KR_OK(rcv(n, &b, 10000));
	check_header(&m->not_header, id, sizeof(*m) - sizeof(m->trailer), n, NOTIFY_BITS);
	check_ndr(&m->NDR);
	EXPECT_EQ(m->not_port, name);
}

static void expect_send_once_notif(mach_port_t n)
{
	rbuf_t b;

	KR_OK(rcv(n, &b, 10000));
	check_header(&b.h, MACH_NOTIFY_SEND_ONCE, sizeof(mach_msg_header_t), n, NOTIFY_BITS);
}

static void expect_no_senders(mach_port_t n, mach_port_mscount_t count)
{
	rbuf_t b;
	mach_no_senders_notification_t *m = (void *)&b;

	KR_OK(rcv(n, &b, 10000));
	check_header(&m->not_header, MACH_NOTIFY_NO_SENDERS, sizeof(*m) - sizeof(m->trailer), n, NOTIFY_BITS);
	check_ndr(&m->NDR);
	EXPECT_EQ(m->not_count, count);
}

static void expect_empty(mach_port_t n)
{
	rbuf_t b;

	KR(rcv(n, &b, 0), MACH_RCV_TIMED_OUT);
}

static mach_port_status_t status_of(mach_port_t p)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	KR_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	return st;
}

/*
 * A send right to a port whose receive right lives in a forked child, so
 * the name is not also a receive right here. The child sends it (as the
 * reply port) to our bootstrap port and exits, destroying the port, when
 * `wfd` is closed.
 */
struct remote {
	mach_port_t send;
	pid_t pid;
	int wfd;
};

static struct remote remote_port(void)
{
	mach_port_t task = mach_task_self(), boot = new_port();
	struct remote r;
	int fds[2];
	rbuf_t b;

	KR_OK(mach_port_insert_right(task, boot, boot, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_special_port(task, TASK_BOOTSTRAP_PORT, boot));
	EXPECT_EQ(pipe(fds), 0);
	r.pid = fork();
	EXPECT_TRUE(r.pid >= 0);
	if (r.pid == 0) {
		mach_port_t bp = MACH_PORT_NULL, p;
		char c;

		close(fds[1]);
		if (task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &bp) != KERN_SUCCESS ||
		    !MACH_PORT_VALID(bp) ||
		    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
			_exit(2);
		mach_msg_header_t h = {
			.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND),
			.msgh_size = sizeof(h),
			.msgh_remote_port = bp,
			.msgh_local_port = p,
			.msgh_id = 1234,
		};
		if (mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
			_exit(3);
		while (read(fds[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(fds[0]);
	r.wfd = fds[1];
	KR_OK(rcv(boot, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, 1234);
	EXPECT_EQ(MACH_MSGH_BITS_LOCAL(b.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND);
	EXPECT_TRUE(MACH_PORT_VALID(b.h.msgh_remote_port));
	EXPECT_NE(b.h.msgh_remote_port, boot);
	r.send = b.h.msgh_remote_port;
	return r;
}

/* Lets the child exit, which destroys its receive right. */
static void kill_remote(struct remote *r)
{
	int status;

	close(r->wfd);
	EXPECT_EQ(waitpid(r->pid, &status, 0), r->pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(no_senders_when_last_send_right_goes)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), prev = 1;

	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, 1));
	EXPECT_EQ(status_of(p).mps_mscount, 1);
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 1, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	EXPECT_EQ(status_of(p).mps_nsrequest, 1);
	KR_OK(mach_port_deallocate(task, p));
	expect_empty(n);
	KR_OK(mach_port_deallocate(task, p));
	expect_no_senders(n, 1);
	EXPECT_EQ(status_of(p).mps_nsrequest, 0);
	expect_empty(n);
}

TEST(no_senders_mscount_reported)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), prev;

	KR_OK(mach_port_set_mscount(task, p, 41));
	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 42, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, -1));
	expect_no_senders(n, 42);
}

TEST(no_senders_fires_at_once_without_senders)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), n2 = new_port(), prev = 1;
	mach_port_type_t t;

	/* mscount 1, no send rights left. */
	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_deallocate(task, p));
	/* sync > mscount: registered, nothing sent. */
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 2, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	expect_empty(n);
	EXPECT_EQ(status_of(p).mps_nsrequest, 1);
	/* sync <= mscount: fires at once on the new notify port; the old
	 * request's send-once right comes back under a new name. */
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 1, n2,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	expect_no_senders(n2, 1);
	EXPECT_EQ(status_of(p).mps_nsrequest, 0);
	EXPECT_TRUE(MACH_PORT_VALID(prev));
	KR_OK(mach_port_type(task, prev, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
	expect_empty(n);
	KR_OK(mach_port_deallocate(task, prev));
	expect_send_once_notif(n);
	/* sync 0 fires whenever there are no senders. */
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	expect_no_senders(n, 1);
}

TEST(no_senders_previous_and_cancel)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), n2 = new_port(), prev;
	mach_port_type_t t;

	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 1, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 1, n2,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_TRUE(MACH_PORT_VALID(prev));
	KR_OK(mach_port_type(task, prev, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
	/* The previous right is returned, not notified. */
	expect_empty(n);
	/* Using the returned send-once right reaches n. */
	KR_OK(send_plain(prev, MACH_MSG_TYPE_MOVE_SEND_ONCE, 777));
	{
		rbuf_t b;

		KR_OK(rcv(n, &b, 1000));
		EXPECT_EQ(b.h.msgh_id, 777);
	}
	/* Cancel: MACH_PORT_NULL returns the current request's right. */
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_NULL,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_TRUE(MACH_PORT_VALID(prev));
	EXPECT_EQ(status_of(p).mps_nsrequest, 0);
	KR_OK(mach_port_deallocate(task, p));
	expect_empty(n2);
	KR_OK(mach_port_deallocate(task, prev));
	expect_send_once_notif(n2);
	expect_empty(n2);
	/* Cancelling with nothing registered returns NULL. */
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_NULL,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
}

TEST(dead_name_when_port_dies)
{
	mach_port_t task = mach_task_self(), n = new_port(), prev = 1;
	struct remote r = remote_port();
	mach_port_type_t t;
	mach_port_urefs_t refs;

	KR_OK(mach_port_type(task, r.send, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND);
	KR_OK(mach_port_request_notification(task, r.send, MACH_NOTIFY_DEAD_NAME, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	KR_OK(mach_port_type(task, r.send, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	KR_OK(mach_port_get_refs(task, r.send, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	expect_empty(n);
	kill_remote(&r);
	expect_name_notif(n, MACH_NOTIFY_DEAD_NAME, r.send);
	/* The name is now a dead name holding the notification's uref too. */
	KR_OK(mach_port_type(task, r.send, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mach_port_get_refs(task, r.send, MACH_PORT_RIGHT_DEAD_NAME, &refs));
	EXPECT_EQ(refs, 2);
	/* Current XNU: a dead-name request on a dead name is refused (sync is
	 * ignored); the trap then destroys the notify send-once right. */
	KR(mach_port_request_notification(task, r.send, MACH_NOTIFY_DEAD_NAME, 1, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_ARGUMENT);
	expect_send_once_notif(n);
	expect_empty(n);
	KR_OK(mach_port_mod_refs(task, r.send, MACH_PORT_RIGHT_DEAD_NAME, -2));
	KR(mach_port_type(task, r.send, &t), KERN_INVALID_NAME);
}

TEST(dead_name_request_replaced_returns_previous)
{
	mach_port_t task = mach_task_self(), n = new_port(), n2 = new_port(), prev;
	struct remote r = remote_port();
	mach_port_type_t t;

	KR_OK(mach_port_request_notification(task, r.send, MACH_NOTIFY_DEAD_NAME, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	KR_OK(mach_port_request_notification(task, r.send, MACH_NOTIFY_DEAD_NAME, 0, n2,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_TRUE(MACH_PORT_VALID(prev));
	KR_OK(mach_port_type(task, prev, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
	KR_OK(mach_port_deallocate(task, prev));
	expect_send_once_notif(n);
	kill_remote(&r);
	expect_name_notif(n2, MACH_NOTIFY_DEAD_NAME, r.send);
	expect_empty(n);
}

TEST(port_deleted_when_send_right_goes)
{
	mach_port_t task = mach_task_self(), n = new_port(), prev;
	struct remote r = remote_port();
	mach_port_type_t t;

	KR_OK(mach_port_request_notification(task, r.send, MACH_NOTIFY_DEAD_NAME, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_deallocate(task, r.send));
	expect_name_notif(n, MACH_NOTIFY_PORT_DELETED, r.send);
	KR(mach_port_type(task, r.send, &t), KERN_INVALID_NAME);
	kill_remote(&r);
	expect_empty(n);
}

TEST(port_deleted_for_send_once_right)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), so, prev;
	mach_msg_type_name_t tn;

	KR_OK(mach_port_extract_right(task, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &tn));
	EXPECT_EQ(tn, MACH_MSG_TYPE_PORT_SEND_ONCE);
	KR_OK(mach_port_request_notification(task, so, MACH_NOTIFY_DEAD_NAME, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_deallocate(task, so));
	expect_name_notif(n, MACH_NOTIFY_PORT_DELETED, so);
	expect_send_once_notif(p);
}

TEST(send_once_notification_for_unused_right)
{
	mach_port_t task = mach_task_self(), p = new_port(), so;
	mach_msg_type_name_t tn;
	mach_port_type_t t;

	KR_OK(mach_port_extract_right(task, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &tn));
	EXPECT_NE(so, p);
	KR_OK(mach_port_type(task, so, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
	expect_empty(p);
	KR_OK(mach_port_deallocate(task, so));
	expect_send_once_notif(p);
	expect_empty(p);
}

TEST(port_destroyed_returns_receive_right)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), prev = 1, p2;
	mach_port_type_t t;
	rbuf_t b;
	mach_port_destroyed_notification_t *m = (void *)&b;

	KR(mach_port_request_notification(task, p, MACH_NOTIFY_PORT_DESTROYED, 1, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_VALUE);
	expect_send_once_notif(n);
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_PORT_DESTROYED, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	EXPECT_EQ(status_of(p).mps_pdrequest, 1);
	KR_OK(send_plain(p, MACH_MSG_TYPE_MAKE_SEND, 501));
	KR_OK(send_plain(p, MACH_MSG_TYPE_MAKE_SEND, 502));
	KR_OK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR(mach_port_type(task, p, &t), KERN_INVALID_NAME);

	KR_OK(rcv(n, &b, 10000));
	check_header(&m->not_header, MACH_NOTIFY_PORT_DESTROYED, sizeof(*m) - sizeof(m->trailer), n,
		     NOTIFY_BITS | MACH_MSGH_BITS_COMPLEX);
	EXPECT_EQ(m->not_body.msgh_descriptor_count, 1);
	EXPECT_EQ(m->not_port.type, MACH_MSG_PORT_DESCRIPTOR);
	EXPECT_EQ(m->not_port.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	p2 = m->not_port.name;
	EXPECT_TRUE(MACH_PORT_VALID(p2));
	KR_OK(mach_port_type(task, p2, &t));
	EXPECT_EQ(t, MACH_PORT_TYPE_RECEIVE);

	/* Messages survive; the request is used up. */
	mach_port_status_t st = status_of(p2);
	EXPECT_EQ(st.mps_msgcount, 2);
	EXPECT_EQ(st.mps_pdrequest, 0);
	KR_OK(rcv(p2, &b, 0));
	EXPECT_EQ(b.h.msgh_id, 501);
	EXPECT_EQ(b.h.msgh_local_port, p2);
	KR_OK(rcv(p2, &b, 0));
	EXPECT_EQ(b.h.msgh_id, 502);

	/* Registering again works; a second registration fails. */
	KR_OK(mach_port_request_notification(task, p2, MACH_NOTIFY_PORT_DESTROYED, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	KR(mach_port_request_notification(task, p2, MACH_NOTIFY_PORT_DESTROYED, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_FAILURE);
	expect_send_once_notif(n);
	expect_empty(n);
	EXPECT_EQ(status_of(p2).mps_pdrequest, 1);
}

TEST(notifications_ignore_queue_limit)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), prev;
	mach_port_limits_t lim = { .mpl_qlimit = 1 };
	rbuf_t b;

	KR_OK(mach_port_set_attributes(task, n, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
				       MACH_PORT_LIMITS_INFO_COUNT));
	KR_OK(send_plain(n, MACH_MSG_TYPE_MAKE_SEND, 900));
	KR(send_plain(n, MACH_MSG_TYPE_MAKE_SEND, 901), MACH_SEND_TIMED_OUT);
	KR_OK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 1, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_deallocate(task, p));
	EXPECT_EQ(status_of(n).mps_msgcount, 2);
	KR_OK(rcv(n, &b, 0));
	EXPECT_EQ(b.h.msgh_id, 900);
	expect_no_senders(n, 1);
}

TEST(request_errors)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), set, so, dead, prev;
	mach_msg_type_name_t tn;

	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &set));
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	KR_OK(mach_port_extract_right(task, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &tn));

	/* Unknown id: KERN_INVALID_VALUE; the trap destroys the notify right. */
	KR(mach_port_request_notification(task, p, MACH_NOTIFY_SEND_ONCE, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_VALUE);
	expect_send_once_notif(n);
	KR(mach_port_request_notification(task, p, 0x12345, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_VALUE);
	expect_send_once_notif(n);
	/* A notify disposition that is not send-once goes to MIG, whose
	 * server rejects the argument type. */
	KR(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, n, MACH_MSG_TYPE_MAKE_SEND, &prev),
	   MIG_TYPE_ERROR);
	KR(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_NULL, 0, &prev),
	   MIG_TYPE_ERROR);
	EXPECT_EQ(status_of(p).mps_nsrequest, 0);
	expect_empty(n);
	/* No-senders needs a receive right. */
	KR(mach_port_request_notification(task, set, MACH_NOTIFY_NO_SENDERS, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_RIGHT);
	expect_send_once_notif(n);
	KR(mach_port_request_notification(task, so, MACH_NOTIFY_NO_SENDERS, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_RIGHT);
	expect_send_once_notif(n);
	KR(mach_port_request_notification(task, MACH_PORT_NULL, MACH_NOTIFY_NO_SENDERS, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_RIGHT);
	expect_send_once_notif(n);
	KR(mach_port_request_notification(task, dead, MACH_NOTIFY_NO_SENDERS, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_NAME);
	expect_send_once_notif(n);
	/* Dead-name requests: a NULL name is an invalid argument, a set an
	 * invalid right. */
	KR(mach_port_request_notification(task, MACH_PORT_NULL, MACH_NOTIFY_DEAD_NAME, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_ARGUMENT);
	expect_send_once_notif(n);
	KR(mach_port_request_notification(task, set, MACH_NOTIFY_DEAD_NAME, 0, n,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_RIGHT);
	expect_send_once_notif(n);
	/* A dead notify port. */
	KR(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_DEAD,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_CAPABILITY);
	/* MAKE_SEND_ONCE needs the receive right of the notify name. */
	KR(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, so,
					  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	   KERN_INVALID_RIGHT);
	expect_empty(n);
}

/* ipc_port_destroy with a pd request calls ipc_port_clear_receiver, which
 * leaves all sets and zeroes mscount, seqno and context (XNU asserts
 * ip_mscount == 0 right after). Mismatches are listed together. */
TEST(port_destroyed_clears_receiver_state)
{
	mach_port_t task = mach_task_self(), p = new_port(), n = new_port(), set, prev, p2;
	mach_port_context_t ctx = 1;
	int bad = 0;
	rbuf_t b;
	mach_port_destroyed_notification_t *m = (void *)&b;

#define SOFT_EQ(a, c)                                                                   \
	do {                                                                            \
		long long _x = (long long)(a), _y = (long long)(c);                     \
		if (_x != _y) {                                                         \
			fprintf(stderr, "  %s: got %lld, want %lld\n", #a, _x, _y);     \
			bad++;                                                          \
		}                                                                       \
	} while (0)
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &set));
	KR_OK(mach_port_insert_member(task, p, set));
	KR_OK(mach_port_set_context(task, p, 0x1234));
	KR_OK(mach_port_set_seqno(task, p, 5));
	KR_OK(send_plain(p, MACH_MSG_TYPE_MAKE_SEND, 600));
	KR_OK(mach_port_request_notification(task, p, MACH_NOTIFY_PORT_DESTROYED, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_destroy(task, p));
	KR_OK(rcv(n, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
	p2 = m->not_port.name;
	mach_port_status_t st = status_of(p2);
	SOFT_EQ(st.mps_mscount, 0);
	SOFT_EQ(st.mps_seqno, 0);
	SOFT_EQ(st.mps_pset, 0);
	SOFT_EQ(st.mps_msgcount, 1);
	KR_OK(mach_port_get_context(task, p2, &ctx));
	SOFT_EQ(ctx, 0);
	mach_port_name_array_t names;
	mach_msg_type_number_t cnt = 99;
	KR_OK(mach_port_get_set_status(task, set, &names, &cnt));
	SOFT_EQ(cnt, 0);
	EXPECT_EQ(bad, 0);
#undef SOFT_EQ
}

TEST(send_possible_fires_at_once_when_there_is_room)
{
	mach_port_t p = new_port(), n = new_port(), prev;
	mach_port_type_t t;

	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_request_notification(mach_task_self(), p, MACH_NOTIFY_SEND_POSSIBLE, 1, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	EXPECT_EQ(prev, MACH_PORT_NULL);
	expect_name_notif(n, MACH_NOTIFY_SEND_POSSIBLE, p);
	KR_OK(mach_port_type(mach_task_self(), p, &t));
	EXPECT_EQ(t & MACH_PORT_TYPE_DNREQUEST, 0);
}

TEST(send_possible_fires_when_the_queue_drains)
{
	mach_port_t p = new_port(), n = new_port(), prev;
	mach_port_limits_t l = { .mpl_qlimit = 1 };
	mach_port_type_t t;
	rbuf_t b;

	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&l, 1));
	KR_OK(send_plain(p, MACH_MSG_TYPE_COPY_SEND, 1));
	KR_OK(mach_port_request_notification(mach_task_self(), p, MACH_NOTIFY_SEND_POSSIBLE, 1, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_type(mach_task_self(), p, &t));
	EXPECT_TRUE(t & MACH_PORT_TYPE_DNREQUEST);
	expect_empty(n);
	KR_OK(rcv(p, &b, 1000));
	expect_name_notif(n, MACH_NOTIFY_SEND_POSSIBLE, p);
	KR_OK(mach_port_type(mach_task_self(), p, &t));
	EXPECT_EQ(t & MACH_PORT_TYPE_DNREQUEST, 0);
}

/* A port-destroyed notification addressed to the dying port itself would
 * queue the port's receive right on itself; the message is destroyed and
 * the port dies (the leak check at the end of the run watches this). */
TEST(port_destroyed_notification_to_itself)
{
	mach_port_t p = new_port(), prev;
	mach_port_type_t t;

	KR_OK(mach_port_request_notification(mach_task_self(), p, MACH_NOTIFY_PORT_DESTROYED, 0, p,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(send_plain(p, MACH_MSG_TYPE_MAKE_SEND, 1));
	KR_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR(mach_port_type(mach_task_self(), p, &t), KERN_INVALID_NAME);
}
