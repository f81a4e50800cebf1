/* SPDX-License-Identifier: MIT */
/*
 * machipc benchmarks: each row against a Linux baseline measured in the
 * same run. Prints a table and writes JSON (argv[1], default bench.json).
 * `--quick` runs a few iterations only (a smoke test for `make check`).
 * `--mode icount` says the guest runs under QEMU's `-icount` on one vCPU
 * (scripts/bench.sh): the clock then counts instructions, and rows that
 * need two CPUs are reported as not applicable.
 */
#include <mach/mach.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int iters = 20000, warm = 2000;
/* "wall" or "icount" (see the top of this file). */
static const char *mode = "wall";
static int icount;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fail(const char *what, kern_return_t kr)
{
	fprintf(stderr, "%s: %s (0x%x)\n", what, mach_error_string(kr), kr);
	exit(1);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat2 {
	double median, p99;
};

static struct stat2 stats(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return (struct stat2){ v[n / 2], v[(int)(n * 0.99)] };
}

/* ---- Mach RPC ------------------------------------------------------- */

struct rpc_msg {
	mach_msg_header_t h;
	char data[64 - sizeof(mach_msg_header_t)];
	mach_msg_max_trailer_t t;
};

struct server_arg {
	mach_port_t rcv;	/* port or set to serve */
	int count;
};

static void *rpc_server(void *p)
{
	struct server_arg *a = p;
	struct rpc_msg m;
	kern_return_t kr;

	kr = mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), a->rcv, 0, 0);
	for (int i = 0; kr == KERN_SUCCESS && i < a->count - 1; i++) {
		/* Reply through the send-once right and wait for the next. */
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_local_port = MACH_PORT_NULL;
		m.h.msgh_size = 64;
		kr = mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, 64, sizeof(m), a->rcv, 0, 0);
	}
	if (kr == KERN_SUCCESS) {
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_local_port = MACH_PORT_NULL;
		mach_msg(&m.h, MACH_SEND_MSG, 64, 0, 0, 0, 0);
	}
	return NULL;
}

/* Round trips from a client thread to a server thread serving `serve`
 * (the port itself or a set holding it). Fills v[] with RTTs in ns. */
static void mach_rpc(mach_port_t port, mach_port_t serve, double *v, int n)
{
	mach_port_t reply;
	pthread_t t;
	struct server_arg a = { serve, n + warm };
	struct rpc_msg m;

	mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply);
	pthread_create(&t, NULL, rpc_server, &a);
	for (int i = 0; i < n + warm; i++) {
		double t0 = now_ns();

		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_size = 64;
		m.h.msgh_remote_port = port;
		m.h.msgh_local_port = reply;
		m.h.msgh_id = i;
		if (mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, 64, sizeof(m), reply, 0, 0) != KERN_SUCCESS) {
			fprintf(stderr, "rpc failed\n");
			exit(1);
		}
		if (i >= warm)
			v[i - warm] = now_ns() - t0;
	}
	pthread_join(t, NULL);
	mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
}

static mach_port_t new_port(void)
{
	mach_port_t p;

	mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p);
	mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND);
	return p;
}

/* ---- baselines ------------------------------------------------------ */

/* A ping-pong over file descriptors: the client writes `cw` and reads
 * `cr`; the echo thread reads `sr` and writes `sw`. */
struct echo {
	int sr, sw, n;
};

static void *echo_server(void *p)
{
	struct echo *e = p;
	char buf[64];

	for (int i = 0; i < e->n; i++)
		if (read(e->sr, buf, 64) != 64 || write(e->sw, buf, 64) != 64)
			break;
	return NULL;
}

static void fd_rtt(int cw, int cr, int sr, int sw, double *v, int n)
{
	pthread_t t;
	struct echo e = { sr, sw, n + warm };
	char buf[64] = { 0 };

	pthread_create(&t, NULL, echo_server, &e);
	for (int i = 0; i < n + warm; i++) {
		double t0 = now_ns();

		if (write(cw, buf, 64) != 64 || read(cr, buf, 64) != 64)
			exit(1);
		if (i >= warm)
			v[i - warm] = now_ns() - t0;
	}
	pthread_join(t, NULL);
}

static void pipe_rtt(double *v, int n)
{
	int to[2], from[2];

	if (pipe(to) || pipe(from))
		exit(1);
	fd_rtt(to[1], from[0], to[0], from[1], v, n);
	close(to[0]);
	close(to[1]);
	close(from[0]);
	close(from[1]);
}

static void socket_rtt(double *v, int n)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		exit(1);
	fd_rtt(sv[0], sv[0], sv[1], sv[1], v, n);
	close(sv[0]);
	close(sv[1]);
}

static int futex_word[2];

static void futex_wait(int *w, int val)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == val)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(int *w)
{
	__atomic_add_fetch(w, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_server(void *p)
{
	int n = *(int *)p;

	for (int i = 0; i < n; i++) {
		futex_wait(&futex_word[0], i);
		futex_wake(&futex_word[1]);
	}
	return NULL;
}

static void futex_rtt(double *v, int n)
{
	pthread_t t;
	int total = n + warm;

	futex_word[0] = futex_word[1] = 0;
	pthread_create(&t, NULL, futex_server, &total);
	for (int i = 0; i < total; i++) {
		double t0 = now_ns();

		futex_wake(&futex_word[0]);
		futex_wait(&futex_word[1], i);
		if (i >= warm)
			v[i - warm] = now_ns() - t0;
	}
	pthread_join(t, NULL);
}

/* ---- fan-in --------------------------------------------------------- */

struct fan {
	mach_port_t port;
	int fd;
	int n;
};

static void *mach_sender(void *p)
{
	struct fan *f = p;
	struct rpc_msg m;

	for (int i = 0; i < f->n; i++) {
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.h.msgh_size = 64;
		m.h.msgh_remote_port = f->port;
		m.h.msgh_local_port = MACH_PORT_NULL;
		if (mach_msg(&m.h, MACH_SEND_MSG, 64, 0, 0, 0, 0) != KERN_SUCCESS)
			exit(1);
	}
	return NULL;
}

static void *sock_sender(void *p)
{
	struct fan *f = p;
	char buf[64] = { 0 };

	for (int i = 0; i < f->n; i++)
		if (write(f->fd, buf, 64) != 64)
			exit(1);
	return NULL;
}

/* Times the receiver of the last fan_in was preempted, per message: each
 * wakeup of a blocked sender lets it take the CPU. */
static double fan_preempted;

static double fan_in(int mach, int per_sender)
{
	pthread_t t[4];
	struct fan f;
	int sv[2] = { -1, -1 };
	double t0;

	f.n = per_sender;
	if (mach) {
		f.port = new_port();
		mach_port_limits_t l = { .mpl_qlimit = MACH_PORT_QLIMIT_MAX };
		mach_port_set_attributes(mach_task_self(), f.port, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&l, 1);
	} else {
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
		f.fd = sv[0];
	}
	struct rusage r0, r1;

	getrusage(RUSAGE_THREAD, &r0);
	t0 = now_ns();
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, mach ? mach_sender : sock_sender, &f);
	for (int i = 0; i < 4 * per_sender; i++) {
		if (mach) {
			struct rpc_msg m;

			if (mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), f.port, 0, 0) != KERN_SUCCESS)
				exit(1);
		} else {
			char buf[64];

			if (read(sv[1], buf, 64) != 64)
				exit(1);
		}
	}
	double secs = (now_ns() - t0) / 1e9;
	getrusage(RUSAGE_THREAD, &r1);
	fan_preempted = (double)(r1.ru_nivcsw - r0.ru_nivcsw) / (4.0 * per_sender);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	if (!mach) {
		close(sv[0]);
		close(sv[1]);
	}
	return 4.0 * per_sender / secs;
}

/* ---- the work of an RPC, without wakeups ----------------------------- */

/* ns per RPC done by one thread to itself: a request to `port` carrying a
 * send-once right to a reply port, received, answered and the answer
 * received (two mach_msg calls, each a send and a receive, no sleep); and
 * its baseline, the four syscalls of a pipe round trip in one thread. */
static double self_rpc_ns(int mach, int n)
{
	mach_port_t p = new_port(), r;
	struct rpc_msg m;
	int a[2], b[2];
	char buf[64] = { 0 };
	double t0;

	mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &r);
	if (pipe(a) || pipe(b))
		exit(1);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if (!mach) {
			if (write(a[1], buf, 64) != 64 || read(a[0], buf, 64) != 64 || write(b[1], buf, 64) != 64 ||
			    read(b[0], buf, 64) != 64)
				exit(1);
			continue;
		}
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_size = 64;
		m.h.msgh_remote_port = p;
		m.h.msgh_local_port = r;
		if (mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, 64, sizeof(m), p, 0, 0) != KERN_SUCCESS)
			exit(1);
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_local_port = MACH_PORT_NULL;
		m.h.msgh_size = 64;
		if (mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, 64, sizeof(m), r, 0, 0) != KERN_SUCCESS)
			exit(1);
	}
	double ns = (now_ns() - t0) / n;
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	mach_port_mod_refs(mach_task_self(), r, MACH_PORT_RIGHT_RECEIVE, -1);
	mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
	return ns;
}

/* ---- OOL vs inline -------------------------------------------------- */

struct big_inline {
	mach_msg_header_t h;
	char data[1 << 20];
	mach_msg_max_trailer_t t;
};

struct ool1 {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_ool_descriptor_t d;
	mach_msg_max_trailer_t t;
};

/* One OOL send and receive of `size` bytes at `src` through `p`; the
 * receiver reads every page of the region (inline data is read by the copy
 * out) and deallocates it. */
static void ool_once(mach_port_t p, char *src, size_t size)
{
	struct ool1 m = { 0 };

	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_size = sizeof(m) - sizeof(m.t);
	m.h.msgh_remote_port = p;
	m.b.msgh_descriptor_count = 1;
	m.d.address = src;
	m.d.size = (mach_msg_size_t)size;
	m.d.copy = MACH_MSG_VIRTUAL_COPY;
	m.d.type = MACH_MSG_OOL_DESCRIPTOR;
	kern_return_t kr = mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, 0, 0, 0);

	if (kr == KERN_SUCCESS)
		kr = mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), p, 0, 0);
	if (kr != KERN_SUCCESS)
		fail("OOL send/receive", kr);
	volatile char sink = 0;
	for (size_t off = 0; off < size; off += 4096)
		sink += ((char *)m.d.address)[off];
	(void)sink;
	vm_deallocate(mach_task_self(), (vm_address_t)m.d.address, m.d.size);
}

static double mb_per_s(int ool, int n)
{
	mach_port_t p = new_port();
	static struct big_inline big;
	char *src = malloc(1 << 20);
	double t0;

	memset(src, 1, 1 << 20);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if (ool) {
			ool_once(p, src, 1 << 20);
		} else {
			big.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
			big.h.msgh_size = sizeof(big) - sizeof(big.t);
			big.h.msgh_remote_port = p;
			big.h.msgh_local_port = MACH_PORT_NULL;
			memcpy(big.data, src, 1 << 20);
			kern_return_t kr = mach_msg(&big.h, MACH_SEND_MSG, big.h.msgh_size, 0, 0, 0, 0);

			if (kr == KERN_SUCCESS)
				kr = mach_msg(&big.h, MACH_RCV_MSG, 0, sizeof(big), p, 0, 0);
			if (kr != KERN_SUCCESS)
				fail("inline send/receive", kr);
		}
	}
	free(src);
	return n * 1.0 / ((now_ns() - t0) / 1e9);
}

/* Median ns for one OOL send + receive + vm_deallocate of `size` bytes. */
static struct stat2 ool_ns(size_t size, double *v, int n)
{
	mach_port_t p = new_port();
	char *src = malloc(size);

	memset(src, 7, size);
	for (int i = -n / 10; i < n; i++) {
		double t0 = now_ns();

		ool_once(p, src, size);
		if (i >= 0)
			v[i] = now_ns() - t0;
	}
	free(src);
	mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
	return stats(v, n);
}

#define OOL_MAP_MIN "/sys/module/machipc/parameters/ool_map_min"

static long read_map_min(void)
{
	FILE *f = fopen(OOL_MAP_MIN, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int set_map_min(long v)
{
	FILE *f = fopen(OOL_MAP_MIN, "w");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", v);
	return fclose(f);
}

/* ---- independent pairs ---------------------------------------------- */

/* One pair (client and server thread) in its own process, so it has its
 * own space: Mach RPC, or the pipe ping-pong baseline. Writes its elapsed
 * seconds to `fd`. */
static void pair_process(int n, int mach, int fd)
{
	double *v = malloc(sizeof(double) * n);
	double t0, secs;

	t0 = now_ns();
	if (mach) {
		mach_port_t port = new_port();

		mach_rpc(port, port, v, n);
	} else {
		pipe_rtt(v, n);
	}
	secs = (now_ns() - t0) / 1e9;
	if (write(fd, &secs, sizeof(secs)) != sizeof(secs))
		_exit(1);
	_exit(0);
}

/* Aggregate round trips per second of `npairs` independent pairs. */
static double pairs(int npairs, int n, int mach)
{
	int fds[2];
	double worst = 0;

	if (pipe(fds))
		exit(1);
	for (int i = 0; i < npairs; i++)
		if (fork() == 0)
			pair_process(n, mach, fds[1]);
	for (int i = 0; i < npairs; i++) {
		double secs;

		if (read(fds[0], &secs, sizeof(secs)) != sizeof(secs))
			exit(1);
		if (secs > worst)
			worst = secs;
	}
	while (wait(NULL) > 0)
		;
	close(fds[0]);
	close(fds[1]);
	return npairs * (n + warm) / worst;
}

/* ---- many clients, one server ---------------------------------------- */

struct rpc_client {
	mach_port_t port;
	int n;
};

/* One client thread of one process: `n` RPCs to `port` through its own
 * reply port. */
static void *rpc_client_thread(void *p)
{
	struct rpc_client *c = p;
	mach_port_t reply;
	struct rpc_msg m;

	if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS)
		exit(1);
	for (int i = 0; i < c->n; i++) {
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_size = 64;
		m.h.msgh_remote_port = c->port;
		m.h.msgh_local_port = reply;
		m.h.msgh_id = i;
		if (mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, 64, sizeof(m), reply, 0, 0) != KERN_SUCCESS) {
			fprintf(stderr, "rpc (4 clients) failed\n");
			exit(1);
		}
	}
	mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
	return NULL;
}

/* ns per RPC when 4 client threads of this process call one server thread
 * on one port, `per_client` RPCs each. */
static double rpc_4to1(int per_client)
{
	mach_port_t port = new_port();
	struct server_arg a = { port, 4 * per_client };
	struct rpc_client c = { port, per_client };
	pthread_t srv, t[4];
	double t0 = now_ns();

	pthread_create(&srv, NULL, rpc_server, &a);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, rpc_client_thread, &c);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pthread_join(srv, NULL);
	double ns = (now_ns() - t0) / (4.0 * per_client);
	mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
	return ns;
}

struct pipe_pair {
	int to[2], from[2], n;
};

static void *pipe_client_thread(void *p)
{
	struct pipe_pair *pp = p;
	char buf[64] = { 0 };

	for (int i = 0; i < pp->n; i++)
		if (write(pp->to[1], buf, 64) != 64 || read(pp->from[0], buf, 64) != 64)
			exit(1);
	return NULL;
}

/* ns per round trip of 4 independent pipe ping-pong pairs in this process
 * (8 threads), `per_pair` round trips each: the baseline of rpc_4to1. */
static double pipes_4(int per_pair)
{
	struct pipe_pair pp[4];
	struct echo e[4];
	pthread_t c[4], s[4];
	double t0;

	for (int i = 0; i < 4; i++) {
		if (pipe(pp[i].to) || pipe(pp[i].from))
			exit(1);
		pp[i].n = per_pair;
		e[i] = (struct echo){ pp[i].to[0], pp[i].from[1], per_pair };
	}
	t0 = now_ns();
	for (int i = 0; i < 4; i++) {
		pthread_create(&s[i], NULL, echo_server, &e[i]);
		pthread_create(&c[i], NULL, pipe_client_thread, &pp[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(c[i], NULL);
		pthread_join(s[i], NULL);
	}
	double ns = (now_ns() - t0) / (4.0 * per_pair);
	for (int i = 0; i < 4; i++) {
		close(pp[i].to[0]);
		close(pp[i].to[1]);
		close(pp[i].from[0]);
		close(pp[i].from[1]);
	}
	return ns;
}

/* ---- costs that must stay flat as the work grows --------------------- */

/* ns per port to destroy (drop the receive right of) each of `n` ports
 * that are all members of one set. */
static double destroy_members_ns(int n)
{
	mach_port_t set, *p = malloc(sizeof(*p) * n);
	kern_return_t kr;

	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set);
	for (int i = 0; kr == KERN_SUCCESS && i < n; i++) {
		kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p[i]);
		if (kr == KERN_SUCCESS)
			kr = mach_port_move_member(mach_task_self(), p[i], set);
	}
	if (kr != KERN_SUCCESS)
		fail("set members", kr);
	double t0 = now_ns();
	for (int i = 0; i < n; i++)
		if ((kr = mach_port_mod_refs(mach_task_self(), p[i], MACH_PORT_RIGHT_RECEIVE, -1)) != KERN_SUCCESS)
			fail("destroy member", kr);
	double ns = (now_ns() - t0) / n;
	mach_port_mod_refs(mach_task_self(), set, MACH_PORT_RIGHT_PORT_SET, -1);
	free(p);
	return ns;
}

/* Fills this task's space with dead names until it holds `total` names,
 * then times `k` receive-right allocations; gives ns per allocation (the
 * new ports are destroyed afterwards, untimed). */
static double allocate_at(int total, int k, int *held)
{
	mach_port_t x, *p = malloc(sizeof(*p) * k);
	kern_return_t kr;

	for (; *held < total; (*held)++)
		if ((kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &x)) != KERN_SUCCESS)
			fail("fill the space with dead names", kr);
	double t0 = now_ns();
	for (int i = 0; i < k; i++)
		if ((kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p[i])) != KERN_SUCCESS)
			fail("mach_port_allocate", kr);
	double ns = (now_ns() - t0) / k;
	for (int i = 0; i < k; i++)
		mach_port_mod_refs(mach_task_self(), p[i], MACH_PORT_RIGHT_RECEIVE, -1);
	free(p);
	return ns;
}

/* mach_port_allocate's cost in a space of `few` names and of `many`, in a
 * child process so that its own space holds the names and goes with it. */
static void allocate_flat(int few, int many, int k, double *ns_few, double *ns_many)
{
	int fds[2];
	double r[2];

	if (pipe(fds))
		exit(1);
	if (fork() == 0) {
		int held = 0;

		r[0] = allocate_at(few, k, &held);
		r[1] = allocate_at(many, k, &held);
		if (write(fds[1], r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	if (read(fds[0], r, sizeof(r)) != sizeof(r))
		exit(1);
	while (wait(NULL) > 0)
		;
	close(fds[0]);
	close(fds[1]);
	*ns_few = r[0];
	*ns_many = r[1];
}

/* ---- debugfs -------------------------------------------------------- */

static long stat_value(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/machipc/stats", "r");
	char key[64];
	long v, r = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			r = v;
	fclose(f);
	return r;
}

#define COUNTING "/sys/kernel/debug/machipc/counting"
#define COUNTERS "/sys/kernel/debug/machipc/counters"

/* Turns the module's operation counters on (zeroing them) or off. */
static int set_counting(int on)
{
	FILE *f = fopen(COUNTING, "w");

	if (!f)
		return -1;
	fprintf(f, "%d\n", on);
	return fclose(f);
}

static long counter_value(const char *name)
{
	FILE *f = fopen(COUNTERS, "r");
	char key[64];
	long v, r = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			r = v;
	fclose(f);
	return r;
}

/* ---- report --------------------------------------------------------- */

static FILE *json;
static int first = 1;

static void row(const char *name, const char *unit, double m_med, double m_p99, double b_med, double b_p99,
		const char *baseline, double ratio, const char *target, int met)
{
	printf("| %-40s | %10.1f | %10.1f | %10.1f | %10.1f | %-22s | %6.2f | %-8s | %s |\n", name, m_med, m_p99,
	       b_med, b_p99, baseline, ratio, target, met ? "met" : "MISSED");
	fprintf(json,
		"%s\n  {\"row\": \"%s\", \"unit\": \"%s\", \"machipc_median\": %.1f, \"machipc_p99\": %.1f, "
		"\"baseline\": \"%s\", \"baseline_median\": %.1f, \"baseline_p99\": %.1f, \"ratio\": %.3f, "
		"\"target\": \"%s\", \"met\": %s}",
		first ? "" : ",", name, unit, m_med, m_p99, baseline, b_med, b_p99, ratio, target, met ? "true" : "false");
	first = 0;
}

/* A row this mode cannot measure meaningfully (`why`, e.g. one vCPU). */
static void row_na(const char *name, const char *unit, const char *baseline, const char *target, const char *why)
{
	printf("| %-40s | %10s | %10s | %10s | %10s | %-22s | %6s | %-8s | %s |\n", name, "-", "-", "-", "-", baseline,
	       "-", target, why);
	fprintf(json,
		"%s\n  {\"row\": \"%s\", \"unit\": \"%s\", \"baseline\": \"%s\", \"target\": \"%s\", "
		"\"met\": null, \"note\": \"%s\"}",
		first ? "" : ",", name, unit, baseline, target, why);
	first = 0;
}

/* Lock acquisitions by class and message-path allocations per RPC (client
 * and server side together), from the module's counters over `n` RPCs. */
static void per_rpc_counts(int n)
{
	static const char *const names[] = { "lock_space", "lock_transit", "lock_port", "lock_port_set", "allocs",
					       "waits" };
	double *t = malloc(sizeof(double) * n);
	mach_port_t p = new_port();
	long h0 = stat_value("kmsg_cache_hits"), m0 = stat_value("kmsg_cache_misses");
	int total = n + warm;

	if (set_counting(1)) {
		printf("(per-RPC counters skipped: %s not writable)\n", COUNTING);
		free(t);
		return;
	}
	mach_rpc(p, p, t, n);
	set_counting(0);
	long h1 = stat_value("kmsg_cache_hits"), m1 = stat_value("kmsg_cache_misses");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char name[64];
		double x = (double)counter_value(names[i]) / total;

		snprintf(name, sizeof(name), "  per RPC: %s (count)", names[i]);
		row(name, "count", x, x, 0, 0, "-", x, "info", 1);
	}
	double hm = (double)(h1 - h0) / total, mm = (double)(m1 - m0) / total;
	row("  per RPC: kmsg cache hits (count)", "count", hm, hm, 0, 0, "-", hm, "info", 1);
	row("  per RPC: kmsg cache misses (count)", "count", mm, mm, 0, 0, "-", mm, "info", 1);
	mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
	free(t);
}

int main(int argc, char **argv)
{
	const char *out = "bench.json";
	int quick = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			mode = argv[++i];
			icount = !strcmp(mode, "icount");
		}
		else if (!strcmp(argv[i], "--rpc-only") && i + 1 < argc) {
			/* The RPC loop alone, for a profiler (scripts/profile.sh). */
			int n = atoi(argv[++i]);
			double *t = malloc(sizeof(double) * n);
			mach_port_t p = new_port();

			mach_rpc(p, p, t, n);
			struct stat2 s = stats(t, n);
			printf("RPC round trip: median %.0f ns, p99 %.0f ns over %d\n", s.median, s.p99, n);
			return 0;
		} else if (!strcmp(argv[i], "--fanin-only") && i + 1 < argc) {
			/* Fan-in alone, Mach then the socket, for a profiler. */
			int n = atoi(argv[++i]);

			const char *which = i + 1 < argc ? argv[i + 1] : "both";

			if (strcmp(which, "sock"))
				printf("fan-in: machipc %.0f msgs/s\n", fan_in(1, n));
			if (strcmp(which, "mach"))
				printf("fan-in: SOCK_SEQPACKET %.0f msgs/s\n", fan_in(0, n));
			return 0;
		} else if (!strcmp(argv[i], "--rpc4-only") && i + 1 < argc) {
			/* 4 clients -> 1 server, then its 4 pipe pairs (ns per RPC). */
			int n = atoi(argv[++i]);
			double r4 = rpc_4to1(n), q4 = pipes_4(n);

			printf("4 clients -> 1 server: %.0f ns per RPC, 4 pipe pairs %.0f ns (%.2fx)\n", r4, q4,
			       r4 / q4);
			return 0;
		} else if (!strcmp(argv[i], "--pipe-only") && i + 1 < argc) {
			int n = atoi(argv[++i]);
			double *t = malloc(sizeof(double) * n);

			pipe_rtt(t, n);
			struct stat2 s = stats(t, n);
			printf("pipe round trip: median %.0f ns, p99 %.0f ns over %d\n", s.median, s.p99, n);
			return 0;
		} else
			out = argv[i];
	}
	if (quick) {
		iters = 200;
		warm = 20;
	}
	json = fopen(out, "w");
	if (!json) {
		perror(out);
		return 1;
	}
	fprintf(json, "{\"mode\": \"%s\", \"clock\": \"%s\", \"iterations\": %d, \"rows\": [", mode,
		icount ? "guest ns = instructions (QEMU -icount shift=0, 1 vCPU)" : "wall", iters);
	if (icount)
		printf("icount mode: 1 guest ns = 1 instruction, so ns below are instructions per operation\n");
	double *v = malloc(sizeof(double) * iters), *b = malloc(sizeof(double) * iters);
	struct stat2 sm, sp, ss, sf;

	printf("| %-40s | %10s | %10s | %10s | %10s | %-22s | %6s | %-8s | %s |\n", "row (ns or per s)",
	       "machipc", "p99", "baseline", "p99", "baseline is", "ratio", "target", "");
	long h0 = stat_value("kmsg_cache_hits"), m0 = stat_value("kmsg_cache_misses");
	mach_port_t p = new_port();
	mach_rpc(p, p, v, iters);
	long h1 = stat_value("kmsg_cache_hits"), m1 = stat_value("kmsg_cache_misses");
	sm = stats(v, iters);
	pipe_rtt(b, iters);
	sp = stats(b, iters);
	row("RPC round trip 64 B (ns)", "ns", sm.median, sm.p99, sp.median, sp.p99, "pipe ping-pong",
	    sm.median / sp.median, "<= 0.6", sm.median <= 0.6 * sp.median);
	if (!icount)
		per_rpc_counts(quick ? 100 : 2000);
	socket_rtt(b, iters);
	ss = stats(b, iters);
	row("  vs UNIX SOCK_SEQPACKET (ns)", "ns", sm.median, sm.p99, ss.median, ss.p99, "socketpair ping-pong",
	    sm.median / ss.median, "info", 1);
	futex_rtt(b, iters);
	sf = stats(b, iters);
	row("  vs futex (ns)", "ns", sm.median, sm.p99, sf.median, sf.p99, "futex ping-pong", sm.median / sf.median,
	    "info", 1);

	double wm = self_rpc_ns(1, iters), wp = self_rpc_ns(0, iters);
	row("  RPC work in one thread, no sleep (ns)", "ns", wm, wm, wp, wp, "pipe, 4 syscalls", wm / wp, "info", 1);

	double fm = fan_in(1, iters / 4), pm = fan_preempted;
	double fs = fan_in(0, iters / 4), ps = fan_preempted;
	row("fan-in 4 -> 1, 64 B (msgs/s)", "msgs/s", fm, fm, fs, fs, "SOCK_SEQPACKET", fm / fs, ">= 2", fm >= 2 * fs);
	row("  receiver preemptions per message", "per msg", pm, pm, ps, ps, "SOCK_SEQPACKET", ps > 0 ? pm / ps : 0,
	    "info", 1);

	/* A set of 10,000 members vs 1: the server receives on the set. */
	mach_port_t set1, setbig, q = new_port(), q2 = new_port();
	int nbig = quick ? 1000 : 10000;
	mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set1);
	mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &setbig);
	mach_port_insert_member(mach_task_self(), q, set1);
	for (int i = 0; i < nbig - 1; i++) {
		mach_port_t x;

		mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &x);
		mach_port_insert_member(mach_task_self(), x, setbig);
	}
	mach_port_insert_member(mach_task_self(), q2, setbig);
	mach_rpc(q, set1, b, iters);
	struct stat2 s1 = stats(b, iters);
	mach_rpc(q2, setbig, v, iters);
	struct stat2 sbig = stats(v, iters);
	row(quick ? "set of 1,000 vs 1 member (ns)" : "set of 10,000 vs 1 member (ns)", "ns", sbig.median, sbig.p99,
	    s1.median, s1.p99, "same, 1 member", sbig.median / s1.median, "<= 1.2", sbig.median <= 1.2 * s1.median);

	int nmb = quick ? 4 : 64;
	double ool = mb_per_s(1, nmb), inl = mb_per_s(0, nmb);
	row("1 MiB OOL send+receive (MB/s)", "MB/s", ool, ool, inl, inl, "1 MiB inline (copied)", ool / inl, ">= 2",
	    ool >= 2 * inl);

	/* Where copying stops paying: each size sent as bytes (the module's
	 * ool_map_min above it) and as mapped pages (ool_map_min 1). */
	long map_min = read_map_min();
	if (map_min >= 0 && set_map_min(map_min) == 0) {
		static const size_t sizes[] = { 64, 512, 4096, 16384, 65536, 1 << 20 };
		int n = quick ? 20 : 400;

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			char name[64];

			set_map_min(1L << 30);
			struct stat2 c = ool_ns(sizes[i], b, n);
			set_map_min(1);
			struct stat2 mp = ool_ns(sizes[i], v, n);
			snprintf(name, sizeof(name), "  OOL %zu B: pages vs copy (ns)", sizes[i]);
			row(name, "ns", mp.median, mp.p99, c.median, c.p99, "same, copied out", mp.median / c.median,
			    "info", 1);
		}
		set_map_min(map_min);
		printf("(ool_map_min is %ld bytes: regions this large travel as pages)\n", map_min);
	} else {
		printf("(OOL size sweep skipped: %s not writable)\n", OOL_MAP_MIN);
	}

	if (icount) {
		row_na("2 pairs (2 processes) vs 1 (RPC/s)", "msgs/s", "1 pair", ">= 1.8", "n/a (1 vCPU)");
		row_na("  same for pipe pairs (RTT/s)", "msgs/s", "1 pipe pair", "info", "n/a (1 vCPU)");
	} else {
		double p1 = pairs(1, iters / 2, 1), p2 = pairs(2, iters / 2, 1);
		double pp1 = pairs(1, iters / 2, 0), pp2 = pairs(2, iters / 2, 0);

		row("2 pairs (2 processes) vs 1 (RPC/s)", "msgs/s", p2, p2, p1, p1, "1 pair", p2 / p1, ">= 1.8",
		    p2 >= 1.8 * p1);
		row("  same for pipe pairs (RTT/s)", "msgs/s", pp2, pp2, pp1, pp1, "1 pipe pair", pp2 / pp1, "info", 1);
	}

	double r4 = rpc_4to1(iters / 4), q4 = pipes_4(iters / 4);
	row("4 client threads -> 1 server, RPC (ns)", "ns", r4, r4, q4, q4, "4 pipe pairs, 8 threads", r4 / q4, "<= 1.0",
	    r4 <= 1.0 * q4);

	int dbig = quick ? 1000 : 16000, dsmall = quick ? 100 : 1000;
	double dl = destroy_members_ns(dsmall), db = destroy_members_ns(dbig);
	row(quick ? "destroy member, set of 1,000 (ns/port)" : "destroy member, set of 16,000 (ns/port)", "ns", db, db,
	    dl, dl, quick ? "same, set of 100" : "same, set of 1,000", db / dl, "<= 1.5", db <= 1.5 * dl);

	int many = quick ? 5000 : 1000000;
	double af, am;
	allocate_flat(1000, many, quick ? 200 : 2000, &af, &am);
	row(quick ? "mach_port_allocate, 5,000 names (ns)" : "mach_port_allocate, 1,000,000 names (ns)", "ns", am, am,
	    af, af, "same, 1,000 names", am / af, "<= 1.5", am <= 1.5 * af);

	double hits = h1 - h0, misses = m1 - m0, rate = (h0 < 0 || hits + misses == 0) ? 0 : 100.0 * hits / (hits + misses);
	row("kmsg cache hit rate, RPC loop (%)", "%", rate, rate, 0, 0, "-", rate / 100, ">= 99", rate >= 99);
	fprintf(json, "\n]}\n");
	fclose(json);
	printf("JSON written to %s\n", out);
	return 0;
}
