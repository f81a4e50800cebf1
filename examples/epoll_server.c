/* SPDX-License-Identifier: MIT */
/*
 * epoll_server: one thread serves Mach requests arriving on many ports
 * through one port set, next to a timerfd and a UNIX socket, all in a
 * single epoll loop -- the Linux counterpart of a kqueue loop with an
 * EVFILT_MACHPORT filter on a port set.
 *
 * The port set's descriptor comes from machipc_port_fd(); read(2) on it
 * receives one Mach message. Each request carries a send-once reply right
 * (MACH_MSG_TYPE_MAKE_SEND_ONCE), which the server consumes by replying.
 *
 * A client thread sends NREQ requests to random ports and waits for each
 * reply, writes to the socket (the server echoes), and the timer ticks.
 * Exits 0 once every reply, every echo and at least one tick arrived,
 * printing a one-line summary; exits 1 on any error or after 20 seconds.
 */
#include <mach/mach.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* libmach exports this without declaring it in a header. */

#define NPORTS 16
#define NREQ 400
#define PING_EVERY 20 /* one socket ping per this many requests */
#define NPING (NREQ / PING_EVERY)
#define REQ_ID 4242
#define REPLY_ID (REQ_ID + 100)

typedef struct {
	mach_msg_header_t h;
	uint32_t value;
	uint32_t port_index;
} msg_t;

/* Receive buffer: the message plus room for any trailer. */
typedef struct {
	msg_t m;
	char trailer[128];
} rcv_buf_t;

static mach_port_t ports[NPORTS];
static int sock[2];

#define DIE(...)                                                   \
	do {                                                       \
		fprintf(stderr, "epoll_server: " __VA_ARGS__);     \
		fputc('\n', stderr);                               \
		exit(1);                                           \
	} while (0)

#define CHECK_KR(call)                                                            \
	do {                                                                      \
		kern_return_t _kr = (call);                                       \
		if (_kr != KERN_SUCCESS)                                          \
			DIE("%s: %s (0x%x)", #call, mach_error_string(_kr), _kr); \
	} while (0)

static void *client(void *arg)
{
	mach_port_t reply_port;
	unsigned seed = 12345;
	long ok = 0;

	(void)arg;
	CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port));
	for (uint32_t i = 0; i < NREQ; i++) {
		uint32_t idx = (uint32_t)rand_r(&seed) % NPORTS;
		rcv_buf_t rb = { .m = {
			.h = {
				.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
							    MACH_MSG_TYPE_MAKE_SEND_ONCE),
				.msgh_size = sizeof(msg_t),
				.msgh_remote_port = ports[idx],
				.msgh_local_port = reply_port,
				.msgh_id = REQ_ID,
			},
			.value = i,
			.port_index = idx,
		} };

		/* Send and receive the reply in one call, as MIG clients do. */
		CHECK_KR(mach_msg(&rb.m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
				  sizeof(msg_t), sizeof(rb), reply_port, 5000, MACH_PORT_NULL));
		if (rb.m.h.msgh_id != REPLY_ID || rb.m.value != i * 2 + 1 || rb.m.port_index != idx)
			DIE("bad reply %u: id %d value %u port %u", i, rb.m.h.msgh_id, rb.m.value,
			    rb.m.port_index);
		ok++;

		if (i % PING_EVERY == PING_EVERY - 1) {
			char out[16], in[16];
			int n = snprintf(out, sizeof(out), "ping%04u", i);

			if (write(sock[1], out, (size_t)n) != n)
				DIE("socket write: %s", strerror(errno));
			for (int got = 0; got < n;) {
				ssize_t r = read(sock[1], in + got, (size_t)(n - got));

				if (r <= 0)
					DIE("socket read: %s", r ? strerror(errno) : "EOF");
				got += (int)r;
			}
			if (memcmp(in, out, (size_t)n) != 0)
				DIE("bad echo for %.*s", n, out);
		}
	}
	CHECK_KR(mach_port_mod_refs(mach_task_self(), reply_port, MACH_PORT_RIGHT_RECEIVE, -1));
	return (void *)ok;
}

/* Serves every request queued on the set; returns how many. */
static int serve_mach(int set_fd, long per_port[NPORTS])
{
	int served = 0;

	for (;;) {
		rcv_buf_t rb;
		ssize_t n = read(set_fd, &rb, sizeof(rb));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return served;
		if (n <= 0)
			DIE("read(set fd): %s", n ? strerror(errno) : "port set gone");
		if ((size_t)n < sizeof(msg_t) || rb.m.h.msgh_id != REQ_ID ||
		    rb.m.h.msgh_size != sizeof(msg_t))
			DIE("unexpected message: %zd bytes, id %d", n, rb.m.h.msgh_id);
		uint32_t idx = rb.m.port_index;

		if (idx >= NPORTS || rb.m.h.msgh_local_port != ports[idx])
			DIE("request for port %u arrived on 0x%x", idx, rb.m.h.msgh_local_port);
		if (MACH_MSGH_BITS_REMOTE(rb.m.h.msgh_bits) != MACH_MSG_TYPE_MOVE_SEND_ONCE)
			DIE("request without a send-once reply right");
		per_port[idx]++;

		msg_t reply = {
			.h = {
				.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
				.msgh_size = sizeof(msg_t),
				.msgh_remote_port = rb.m.h.msgh_remote_port,
				.msgh_id = REPLY_ID,
			},
			.value = rb.m.value * 2 + 1,
			.port_index = idx,
		};
		CHECK_KR(mach_msg(&reply.h, MACH_SEND_MSG, sizeof(reply), 0, MACH_PORT_NULL,
				  MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL));
		served++;
	}
}

int main(void)
{
	mach_port_t set;
	long per_port[NPORTS] = { 0 };
	long served = 0, echoes = 0, ticks = 0, busiest = 0;
	struct timespec t0, t1;
	pthread_t th;
	void *client_ok;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
	for (int i = 0; i < NPORTS; i++) {
		CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &ports[i]));
		CHECK_KR(mach_port_insert_right(mach_task_self(), ports[i], ports[i],
						MACH_MSG_TYPE_MAKE_SEND));
		CHECK_KR(mach_port_insert_member(mach_task_self(), ports[i], set));
	}

	int set_fd = machipc_port_fd(set, 0);

	if (set_fd < 0)
		DIE("machipc_port_fd: %s", strerror(errno));
	if (fcntl(set_fd, F_SETFL, fcntl(set_fd, F_GETFL) | O_NONBLOCK) < 0)
		DIE("fcntl: %s", strerror(errno));

	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = { .it_value = { 0, 10000000 }, .it_interval = { 0, 10000000 } };

	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
		DIE("timerfd: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0)
		DIE("socketpair: %s", strerror(errno));
	if (fcntl(sock[0], F_SETFL, O_NONBLOCK) < 0)
		DIE("fcntl: %s", strerror(errno));

	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };

	if (ep < 0)
		DIE("epoll_create1: %s", strerror(errno));
	ev.data.fd = set_fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, set_fd, &ev) < 0)
		DIE("epoll_ctl(set): %s", strerror(errno));
	ev.data.fd = tfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0)
		DIE("epoll_ctl(timer): %s", strerror(errno));
	ev.data.fd = sock[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sock[0], &ev) < 0)
		DIE("epoll_ctl(socket): %s", strerror(errno));

	if (pthread_create(&th, NULL, client, NULL) != 0)
		DIE("pthread_create");

	/* Ping bytes the client sends: 8 per ping ("ping%04u"). */
	const long want_echo_bytes = NPING * 8L;

	while (served < NREQ || echoes < want_echo_bytes || ticks < 1) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, 20000);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			DIE("epoll_wait: %s (served %ld, echoed %ld, ticks %ld)",
			    n ? strerror(errno) : "timed out", served, echoes, ticks);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == set_fd) {
				if (evs[i].events & (EPOLLHUP | EPOLLERR))
					DIE("port set descriptor hung up");
				served += serve_mach(set_fd, per_port);
			} else if (fd == tfd) {
				uint64_t t;

				if (read(tfd, &t, sizeof(t)) == sizeof(t))
					ticks += (long)t;
			} else if (fd == sock[0]) {
				char buf[256];
				ssize_t r;

				while ((r = read(sock[0], buf, sizeof(buf))) > 0) {
					if (write(sock[0], buf, (size_t)r) != r)
						DIE("socket echo: %s", strerror(errno));
					echoes += r;
				}
				if (r == 0)
					DIE("socket closed");
			}
		}
	}

	if (pthread_join(th, &client_ok) != 0 || (long)client_ok != NREQ)
		DIE("client finished %ld of %d requests", (long)client_ok, NREQ);
	long used = 0;

	for (int i = 0; i < NPORTS; i++) {
		used += per_port[i] > 0;
		if (per_port[i] > busiest)
			busiest = per_port[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("epoll_server: %ld requests on %ld/%d ports (busiest %ld), %ld replies, "
	       "%d socket echoes, %ld timer ticks, %.0f ms\n",
	       served, used, NPORTS, busiest, (long)client_ok, NPING, ticks,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);

	close(ep);
	close(tfd);
	close(sock[0]);
	close(sock[1]);
	close(set_fd);
	for (int i = 0; i < NPORTS; i++)
		CHECK_KR(mach_port_mod_refs(mach_task_self(), ports[i], MACH_PORT_RIGHT_RECEIVE, -1));
	CHECK_KR(mach_port_mod_refs(mach_task_self(), set, MACH_PORT_RIGHT_PORT_SET, -1));
	return 0;
}
