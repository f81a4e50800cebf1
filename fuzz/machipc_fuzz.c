/* SPDX-License-Identifier: MIT */
/*
 * machipc-fuzz: a reproducible fuzzer for /dev/machipc (`make fuzz`).
 *
 *   machipc-fuzz [-s SECONDS] [-S SEED] [-p PROCS] [-t THREADS] [-o OPS] [-K]
 *
 * -o takes a comma-separated list of operation kinds to run (default: all;
 * names as in the "by kind" line), -K turns the supervisor's kills off:
 * both narrow a violation down.
 *
 * PROCS worker processes of THREADS threads each make random calls for
 * SECONDS: every ioctl (mach_port_*, mach_msg, port descriptors, task
 * ports, exception ports and raising, unknown commands), read, poll and
 * io_uring reads on port descriptors, MIG requests to their own and to
 * other workers' task ports, and real faults raised as Mach exceptions.
 * Arguments are names that are valid, stale (freed), dead, foreign (valid
 * in another space) or random, and pointers and sizes at the edges of the
 * address space and across the end of a mapping. The supervisor kills a
 * random worker with SIGKILL now and then, in the middle of its calls, and
 * starts a new one. A worker whose own space fills up (64 MiB of queued
 * messages, then a port it has no room for) is killed by the kernel with
 * SIGKILL, as XNU kills such a task: counted apart, not a violation.
 *
 * Every answer is checked against a table of the answers XNU could give
 * for that call (mach_port.defs and the mach_msg man page; ioctl errnos
 * only where the ioctl itself cannot run), and a few valid calls are made
 * and checked now and then (they must succeed). Worker i of generation g
 * draws from a generator seeded by (SEED, i, g), thread t by (SEED, i, g,
 * t): the calls a thread makes are a function of the seed (their
 * interleaving is the scheduler's). At the end every space is gone and the
 * live counters in /sys/kernel/debug/machipc/stats must be zero. The last
 * line is "operations N, violations N"; the exit status is nonzero on any
 * violation.
 *
 * Not done, on purpose: deep chains of receive rights in transit (each
 * destroyed recursively; see the issue on port-destroyed chains). Only a
 * fresh, empty port's receive right is ever moved in a message.
 */
#include <mach/mach.h>
#include <sys/fileport.h>
#include <mach/exc.h>
#include <mach/mach_exc.h>
#include <mach/mk_timer.h>
#include <servers/bootstrap.h>
#include <linux/io_uring.h>
#include <linux/machipc.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int machipc_device_fd(void);
int machipc_port_fd(mach_port_name_t name, uint32_t trailer);

#define MAX_PROCS 16
#define MAX_THREADS 8
#define POOL 12

/* Shared by the supervisor and every worker (MAP_SHARED). */
struct shared {
	volatile int stop;
	volatile pid_t pids[MAX_PROCS];
	unsigned long ops[MAX_PROCS][MAX_THREADS + 1];
	unsigned long violations;
	unsigned long kills;
	unsigned long faults_raised;
	unsigned long ops_by_kind[32];
	volatile int last_op[MAX_PROCS][MAX_THREADS + 1];
	unsigned long quota_full;
	unsigned long space_full_kills;
};
static struct shared *sh;

static unsigned long long opt_seed = 1;
static int opt_seconds = 30, opt_procs = 4, opt_threads = 3, opt_nokill;
static unsigned opt_ops = ~0u;

/* ---- the generator ------------------------------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(next(r) % n) : 0;
}

static int chance(struct rng *r, int pct)
{
	return (int)below(r, 100) < pct;
}

/* ---- violations ---------------------------------------------------------- */

static int my_proc, my_gen;
static __thread int my_thread;
static __thread unsigned long my_op;

static void violation(const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "VIOLATION seed=%llu proc=%d gen=%d thread=%d op=%lu: ", opt_seed, my_proc,
		     my_gen, my_thread, my_op);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", buf);
	__atomic_add_fetch(&sh->violations, 1, __ATOMIC_RELAXED);
}

/* ---- allowed answers ----------------------------------------------------- */

#define K(x) (1ull << (x))
/* Bits 0..31: kern_return_t 0..31; bit 46 KERN_NOT_SUPPORTED -> bit 32. */
#define K_NOT_SUPPORTED (1ull << 32)
#define K_SEND_INVALID_RIGHT (1ull << 33) /* MIG-level: the port argument could not be copied in */
#define K_INSUFFICIENT_BUFFER (1ull << 34)

static const uint64_t common = K(KERN_SUCCESS) | K(KERN_INVALID_TASK) | K(KERN_INVALID_NAME) |
			       K(KERN_INVALID_RIGHT) | K(KERN_INVALID_ARGUMENT) | K(KERN_INVALID_VALUE);

/* XNU's answers per mach_port_* call (nr of MACHIPC_PORT_IOC). Calls with a
 * user buffer may also say KERN_INVALID_ADDRESS (MIG would fail the copy). */
static uint64_t allowed_port(unsigned nr)
{
	switch (nr) {
	case 0: /* names; KERN_INSUFFICIENT_BUFFER_SIZE: the direct ABI's "count too small" */
		return K(0) | K(KERN_INVALID_TASK) | K(KERN_RESOURCE_SHORTAGE) | K(KERN_INVALID_ADDRESS) |
		       K(KERN_INVALID_ARGUMENT) | K_INSUFFICIENT_BUFFER;
	case 1: /* type */
		return K(0) | K(KERN_INVALID_TASK) | K(KERN_INVALID_NAME);
	case 2: /* allocate */
	case 20: /* allocate_name (KERN_FAILURE: index 0, or in use under another generation) */
		return K(0) | K(KERN_INVALID_TASK) | K(KERN_INVALID_VALUE) | K(KERN_RESOURCE_SHORTAGE) |
		       K(KERN_NO_SPACE) | K(KERN_NAME_EXISTS) | K(KERN_INVALID_NAME) | K(KERN_FAILURE);
	case 3: /* destroy */
	case 4: /* deallocate */
		return common | K(KERN_INVALID_CAPABILITY);
	case 5: /* get_refs */
		return common;
	case 6: /* mod_refs */
		return common | K(KERN_UREFS_OVERFLOW) | K(KERN_INVALID_CAPABILITY);
	case 7: /* insert_right (KERN_FAILURE as allocate_name) */
		return common | K(KERN_NAME_EXISTS) | K(KERN_INVALID_CAPABILITY) | K(KERN_RIGHT_EXISTS) |
		       K(KERN_UREFS_OVERFLOW) | K(KERN_RESOURCE_SHORTAGE) | K(KERN_NO_SPACE) | K(KERN_FAILURE);
	case 8: /* extract_right */
		return common | K(KERN_INVALID_CAPABILITY) | K(KERN_NO_SPACE) | K(KERN_RESOURCE_SHORTAGE);
	case 9: /* get_attributes */
	case 10: /* set_attributes */
		return common | K(KERN_INVALID_ADDRESS) | K(KERN_FAILURE) | K_NOT_SUPPORTED;
	case 11: /* get_context */
	case 12: /* set_context */
	case 21: /* get_srights */
	case 22: /* set_mscount */
	case 23: /* set_seqno */
		return common;
	case 13: /* construct */
		return common | K(KERN_RESOURCE_SHORTAGE) | K(KERN_NO_SPACE) | K(KERN_NAME_EXISTS) |
		       K(KERN_INVALID_ADDRESS) | K(KERN_FAILURE);
	case 14: /* destruct */
		return common | K(KERN_INVALID_CAPABILITY) | K(KERN_UREFS_OVERFLOW);
	case 15: /* move_member */
	case 16: /* insert_member */
	case 17: /* extract_member */
		return common | K(KERN_NOT_IN_SET) | K(KERN_ALREADY_IN_SET) | K(KERN_RESOURCE_SHORTAGE);
	case 18: /* get_set_status */
		return common | K(KERN_INVALID_ADDRESS) | K(KERN_RESOURCE_SHORTAGE) | K_INSUFFICIENT_BUFFER;
	case 19: /* request_notification (also MIG_TYPE_ERROR, checked apart) */
		return common | K(KERN_INVALID_CAPABILITY) | K(KERN_UREFS_OVERFLOW) | K(KERN_RESOURCE_SHORTAGE) |
		       K(KERN_FAILURE);
	case 25: /* guard */
	case 26: /* unguard */
		return common;
	case 27: /* peek */
		return common | K(KERN_FAILURE) | K(KERN_INVALID_ADDRESS);
	case 30: /* task_for_pid */
		return K(0) | K(KERN_FAILURE) | K(KERN_INVALID_ARGUMENT) | K(KERN_PROTECTION_FAILURE) |
		       K(KERN_NO_SPACE) | K(KERN_RESOURCE_SHORTAGE);
	case 50: /* task_read/inspect/name_for_pid */
		return K(0) | K(KERN_FAILURE) | K(KERN_INVALID_ARGUMENT) | K(KERN_PROTECTION_FAILURE) |
		       K(KERN_NO_SPACE) | K(KERN_RESOURCE_SHORTAGE) | K(KERN_INVALID_TASK);
	case 31: /* pid_for_task */
		return K(0) | K(KERN_FAILURE) | K(KERN_INVALID_ARGUMENT) | K(KERN_INVALID_NAME) |
		       K(KERN_INVALID_RIGHT);
	case 32: /* task_get_special_port */
		return K(0) | K(KERN_INVALID_ARGUMENT) | K(KERN_FAILURE) | K(KERN_NO_SPACE) |
		       K(KERN_RESOURCE_SHORTAGE) | K(KERN_UREFS_OVERFLOW);
	case 33: /* task_set_special_port (KERN_NO_ACCESS: control, host, a set access port) */
		return K(0) | K(KERN_INVALID_ARGUMENT) | K(KERN_FAILURE) | K_SEND_INVALID_RIGHT | K(KERN_NO_ACCESS) |
		       K(KERN_INVALID_RIGHT) | K(KERN_INVALID_NAME) | K(KERN_INVALID_CAPABILITY);
	case 40: /* task_set_exception_ports */
		return K(0) | K(KERN_INVALID_ARGUMENT) | K_SEND_INVALID_RIGHT | K(KERN_INVALID_RIGHT) |
		       K(KERN_INVALID_NAME) | K(KERN_FAILURE);
	case 41: /* task_get_exception_ports */
		return K(0) | K(KERN_INVALID_ARGUMENT) | K(KERN_INVALID_ADDRESS) | K(KERN_FAILURE);
	case 55: /* mach_thread_self */
		return K(0) | K(KERN_INVALID_TASK) | K(KERN_RESOURCE_SHORTAGE) | K(KERN_NO_SPACE) |
		       K(KERN_UREFS_OVERFLOW);
	case 60: /* mk_timer_create: a name, or MACH_PORT_NULL */
		return K(0);
	case 61: /* mk_timer_destroy */
		return common | K(KERN_INVALID_ARGUMENT);
	case 62: /* mk_timer_arm */
	case 63: /* mk_timer_arm_leeway */
		return K(0) | K(KERN_INVALID_TASK) | K(KERN_INVALID_NAME) | K(KERN_INVALID_RIGHT) |
		       K(KERN_INVALID_ARGUMENT);
	case 64: /* mk_timer_cancel (KERN_FAILURE: result address unwritable) */
		return K(0) | K(KERN_INVALID_TASK) | K(KERN_INVALID_NAME) | K(KERN_INVALID_RIGHT) |
		       K(KERN_INVALID_ARGUMENT) | K(KERN_FAILURE);
	default:
		return 0; /* no such call: the ioctl fails with ENOTTY */
	}
}

static int kr_allowed(uint64_t set, int kr)
{
	if (kr >= 0 && kr < 32)
		return (set & K(kr)) != 0;
	if (kr == KERN_NOT_SUPPORTED)
		return (set & K_NOT_SUPPORTED) != 0;
	if (kr == MACH_SEND_INVALID_RIGHT)
		return (set & K_SEND_INVALID_RIGHT) != 0;
	if (kr == KERN_INSUFFICIENT_BUFFER_SIZE)
		return (set & K_INSUFFICIENT_BUFFER) != 0;
	return 0;
}

/* mach_msg: XNU's send and receive codes; receive header and body errors
 * come with MACH_MSG_IPC_SPACE / MACH_MSG_VM_SPACE / _KERNEL bits. */
static int msg_allowed(int mr, int sending, int receiving)
{
	unsigned u = (unsigned)mr;

	if (mr == MACH_MSG_SUCCESS)
		return 1;
	if (sending && u >= MACH_SEND_INVALID_DATA && u <= MACH_SEND_INVALID_OPTIONS && u != 0x10000006)
		return 1;
	if (!receiving)
		return 0;
	switch (u & ~0x3c00u) {
	case MACH_RCV_HEADER_ERROR:
	case MACH_RCV_BODY_ERROR:
		return 1;
	}
	if (u & 0x3c00u)
		return 0;
	switch (u) {
	case MACH_RCV_INVALID_NAME:
	case MACH_RCV_TIMED_OUT:
	case MACH_RCV_TOO_LARGE:
	case MACH_RCV_INTERRUPTED:
	case MACH_RCV_PORT_CHANGED:
	case MACH_RCV_INVALID_DATA:
	case MACH_RCV_PORT_DIED:
	case MACH_RCV_INVALID_TRAILER:
	case MACH_RCV_INVALID_NOTIFY:
	case MACH_RCV_INVALID_ARGUMENTS:
		return 1;
	}
	return 0;
}

/* ---- hostile pointers and sizes ---------------------------------------- */

/* Two read-write pages, then a page that is not mapped (PROT_NONE), then a
 * read-only page: `edge` is the end of the writable part. */
static char *arena, *edge, *ro_page;

static void arena_init(void)
{
	arena = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED) {
		perror("mmap");
		_exit(2);
	}
	edge = arena + 2 * 4096;
	mprotect(edge, 4096, PROT_NONE);
	ro_page = edge + 4096;
	mprotect(ro_page, 4096, PROT_READ);
}

static const uint64_t edge_ptrs[] = {
	0, 1, 0xfff, 0x1000, 0x7ffffffff000ull, 0x7fffffffeffcull, 0x7fffffffffffull, 0x800000000000ull,
	0xffff800000000000ull, 0xffffffff81000000ull, 0xfffffffffffff000ull, 0xfffffffffffffffcull,
	0xffffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffffff0ull, 0xffffffffffffffe8ull,
};
#define N_EDGE_PTRS (sizeof(edge_ptrs) / sizeof(edge_ptrs[0]))
static const uint32_t edge_sizes[] = {
	0, 1, 3, 4, 8, 12, 16, 20, 23, 24, 28, 32, 36, 44, 52, 68, 4096, 8192, 0x7ffffffc, 0x80000000u,
	0xfffffffcu, 0xffffffffu, 64u << 20, (64u << 20) + 4,
};
#define N_EDGE_SIZES (sizeof(edge_sizes) / sizeof(edge_sizes[0]))

static uint64_t hostile_ptr(struct rng *r, void *good)
{
	switch (below(r, 8)) {
	case 0:
		return edge_ptrs[below(r, N_EDGE_PTRS)];
	case 1:
		/* Across the end of the writable mapping. */
		return (uint64_t)(uintptr_t)(edge - below(r, 64));
	case 2:
		return (uint64_t)(uintptr_t)ro_page + below(r, 4096);
	case 3:
		return next(r);
	default:
		return (uint64_t)(uintptr_t)good;
	}
}

static uint32_t hostile_size(struct rng *r, uint32_t good)
{
	switch (below(r, 6)) {
	case 0:
		return edge_sizes[below(r, N_EDGE_SIZES)];
	case 1:
		return (uint32_t)next(r);
	default:
		return good;
	}
}

/* ---- names --------------------------------------------------------------- */

/* Names a thread plays with: its pool (receive rights with send rights,
 * sets, dead names), names it freed (stale), names of other spaces, and
 * random ones. Protected names (exception port, reply ports) are never
 * handed to a random call on purpose. */
struct names {
	mach_port_t pool[POOL];
	mach_port_t stale[8];
	int nstale;
};

static mach_port_t hub;		/* send right to the supervisor's port */
static mach_port_t protected_names[4 + 2 * MAX_THREADS];
static int nprotected;
static pthread_mutex_t protect_lock = PTHREAD_MUTEX_INITIALIZER;

/* The worker's plumbing: the task port, the hub, the exception port and
 * each thread's reply and thread ports. */
static void protect(mach_port_t n)
{
	pthread_mutex_lock(&protect_lock);
	if (nprotected < (int)(sizeof(protected_names) / sizeof(protected_names[0])))
		protected_names[nprotected++] = n;
	pthread_mutex_unlock(&protect_lock);
}

/* The name each thread's `valid` operation is using: siblings keep off it,
 * or their random destroys and receives would fail a check that is about
 * the kernel, not about the race between threads of one task. */
static volatile mach_port_t valid_names[MAX_THREADS + 1];

static int is_protected(mach_port_t n)
{
	int found = 0;

	for (int i = 0; i <= MAX_THREADS; i++)
		if (n != MACH_PORT_NULL && valid_names[i] == n)
			return 1;
	pthread_mutex_lock(&protect_lock);
	for (int i = 0; i < nprotected; i++)
		if (protected_names[i] == n)
			found = 1;
	pthread_mutex_unlock(&protect_lock);
	return found;
}

static void new_pool_name(struct rng *r, struct names *nm, int i)
{
	mach_port_t task = mach_task_self(), n = MACH_PORT_NULL;

	switch (below(r, 6)) {
	case 0:
		mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &n);
		break;
	case 1:
		/* A dead name. */
		if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &n) == KERN_SUCCESS) {
			mach_port_insert_right(task, n, n, MACH_MSG_TYPE_MAKE_SEND);
			mach_port_mod_refs(task, n, MACH_PORT_RIGHT_RECEIVE, -1);
		}
		break;
	default:
		if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &n) == KERN_SUCCESS)
			mach_port_insert_right(task, n, n, MACH_MSG_TYPE_MAKE_SEND);
		break;
	}
	nm->pool[i] = n;
}

static mach_port_t some_name(struct rng *r, struct names *nm)
{
	mach_port_t n;

	switch (below(r, 10)) {
	case 0:
		return MACH_PORT_NULL;
	case 1:
		return MACH_PORT_DEAD;
	case 2:
		n = nm->nstale ? nm->stale[below(r, nm->nstale)] : (mach_port_t)next(r);
		break;
	case 3:
		/* Foreign: a plausible name of another space (index, generation). */
		n = (below(r, 64) << 8) | (3 + 4 * below(r, 4));
		break;
	case 4:
		n = (mach_port_t)next(r);
		break;
	default:
		return nm->pool[below(r, POOL)];
	}
	return is_protected(n) ? MACH_PORT_NULL : n;
}

/* Replaces pool names that no longer denote anything, and empties the
 * pool's queues (each space may have 64 MiB queued, then sends fail). */
static void refresh_pool(struct rng *r, struct names *nm)
{
	for (int i = 0; i < POOL; i++) {
		static __thread union {
			mach_msg_header_t h;
			char b[16384];
		} m;
		mach_port_type_t t;

		while (mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof(m), nm->pool[i], 0,
				0) == MACH_MSG_SUCCESS)
			mach_msg_destroy(&m.h);

		if (mach_port_type(mach_task_self(), nm->pool[i], &t) != KERN_SUCCESS) {
			if (nm->nstale < 8)
				nm->stale[nm->nstale++] = nm->pool[i];
			else
				nm->stale[below(r, 8)] = nm->pool[i];
			new_pool_name(r, nm, i);
		}
	}
}

/* ---- operations ---------------------------------------------------------- */

enum {
	OP_PORT_CALL,
	OP_MSG,
	OP_MSG_RIGHTS,
	OP_RAW_IOCTL,
	OP_PORT_FD,
	OP_URING,
	OP_MIG_SELF,
	OP_MIG_FOREIGN,
	OP_EXC_PORTS,
	OP_EXC_RAISE,
	OP_FAULT,
	OP_VALID,
	OP_EDGES,
	OP_MIG_HOST,
	OP_FILEPORT,
	OP_MIG_BOOTSTRAP,
	OP_CREDS,
	OP_KINDS
};

static const char *op_names[OP_KINDS] = {
	"port_call", "mach_msg", "msg_rights", "raw_ioctl", "port_fd", "io_uring",
	"mig_self", "mig_foreign", "exc_ports", "exc_raise", "fault", "valid", "edges",
	"mig_host",
	"fileport",
	"mig_bootstrap",
	"creds",
};

static int dev(void)
{
	return machipc_device_fd();
}

static void op_port_call(struct rng *r, struct names *nm)
{
	static const unsigned nrs[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
					18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30, 31, 32, 33, 40, 41, 50,
					59, 60, 61, 62, 63, 64 };
	static __thread uint32_t buf[16384];
	unsigned nr = nrs[below(r, sizeof(nrs) / sizeof(nrs[0]))];
	struct machipc_port_call c = {
		.name = some_name(r, nm),
		.right = chance(r, 80) ? below(r, 24) : (uint32_t)next(r),
		.delta = chance(r, 80) ? (int32_t)below(r, 5) - 2 : (int32_t)next(r),
		.poly = chance(r, 50) ? some_name(r, nm) : below(r, 24),
		.flavor = chance(r, 80) ? below(r, 0x50) : (uint32_t)next(r),
		.count = hostile_size(r, below(r, 64)),
		.value = chance(r, 70) ? below(r, 4) : next(r),
		.notify = some_name(r, nm),
		.notify_type = chance(r, 80) ? 18 + below(r, 4) : below(r, 32),
	};
	int bad_arg = chance(r, 3);
	uint64_t argp;
	int ret;

	for (unsigned i = 0; i < 256; i++)
		buf[i] = chance(r, 50) ? below(r, 64) : (uint32_t)next(r);
	c.data = hostile_ptr(r, buf);
	/* Our own buffer is never overrun (names: two arrays of count). */
	if (c.data == (uintptr_t)buf && c.count > sizeof(buf) / 8)
		c.count = sizeof(buf) / 8;
	if (is_protected(c.name) && nr != 1 && nr != 5 && nr != 11 && nr != 21)
		c.name = MACH_PORT_NULL; /* keep the plumbing alive */
	if (nr == 25 && chance(r, 30))
		c.flavor = 1; /* mach_port_swap_guard: data (old guard) -> value */
	if (nr == 30 || nr == 50)
		c.flavor = chance(r, 50) ? (uint32_t)sh->pids[below(r, opt_procs)] : below(r, 100000);
	if (nr == 50 && chance(r, 80))
		c.right = below(r, 5); /* the flavor: 1 read, 2 inspect, 3 name */
	if (nr == 33 || nr == 40) {
		/* Keep libmach's bootstrap port and our exception handling intact. */
		if (nr == 33 && c.flavor == TASK_BOOTSTRAP_PORT)
			c.flavor = 1;
		if (nr == 40)
			c.flavor &= ~(uint32_t)EXC_MASK_BAD_ACCESS;
	}
	argp = bad_arg ? hostile_ptr(r, &c) : (uint64_t)(uintptr_t)&c;
	if (argp == (uint64_t)(uintptr_t)&c)
		bad_arg = 0;
	ret = ioctl(dev(), MACHIPC_PORT_IOC(nr), (void *)(uintptr_t)argp);
	if (ret != 0) {
		if (errno == ENOTTY && !allowed_port(nr))
			return;
		if (errno == EFAULT && bad_arg)
			return;
		violation("port call %u: ioctl failed with errno %d", nr, errno);
		return;
	}
	if (bad_arg)
		return; /* it read garbage somewhere valid: any answer */
	if (!allowed_port(nr)) {
		/* An unknown call number: ENOTTY, or refused as a bad argument
		 * (there is no such routine on XNU either: MIG_BAD_ID). */
		if (c.ret != KERN_INVALID_ARGUMENT && c.ret != MIG_BAD_ID)
			violation("port call %u: unknown call answered 0x%x", nr, c.ret);
		return;
	}
	if (nr == 19 && c.ret == MIG_TYPE_ERROR)
		return;
	if (!kr_allowed(allowed_port(nr), c.ret))
		violation("port call %u (name 0x%x right %u flavor 0x%x count %u): ret 0x%x not an XNU answer", nr,
			  c.name, c.right, c.flavor, c.count, c.ret);
	if (c.ret == KERN_SUCCESS) {
		/* Do not let rights pile up. */
		if ((nr == 2 || nr == 13 || nr == 20) && !is_protected(c.name))
			mach_port_destroy(mach_task_self(), c.name);
		if (nr == 30 && MACH_PORT_VALID(c.name) && c.name != mach_task_self())
			mach_port_deallocate(mach_task_self(), c.name);
		/* A new timer: armed at once, soon or never; most are destroyed,
		 * armed or fired, the rest die with the worker. */
		if (nr == 60 && MACH_PORT_VALID(c.name)) {
			if (chance(r, 70))
				mk_timer_arm(c.name, chance(r, 50) ? 0 : mach_absolute_time() + below(r, 2000000));
			if (chance(r, 90))
				mk_timer_destroy(c.name);
		}
	}
}

union msgbuf {
	mach_msg_header_t h;
	uint32_t w[2048];
};

static void op_msg(struct rng *r, struct names *nm)
{
	static __thread union msgbuf buf;
	unsigned words = 6 + below(r, 40);
	mach_msg_header_t *h = &buf.h;
	struct machipc_msg m = { 0 };
	int ret;

	for (unsigned i = 0; i < words; i++)
		buf.w[i] = chance(r, 75) ? below(r, 64) : (uint32_t)next(r);
	h->msgh_bits = below(r, 32) | (below(r, 32) << 8) | (chance(r, 10) ? (uint32_t)next(r) : 0) |
		       (chance(r, 50) ? MACH_MSGH_BITS_COMPLEX : 0);
	h->msgh_remote_port = some_name(r, nm);
	h->msgh_local_port = some_name(r, nm);
	h->msgh_voucher_port = chance(r, 90) ? 0 : some_name(r, nm);
	if (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
		buf.w[6] = below(r, 6);
		for (unsigned d = 0; d < 6 && 7 + d * 4 + 3 < 2048; d++) {
			uint32_t *desc = &buf.w[7 + d * 3];
			unsigned disp = below(r, 24);

			/* No receive rights of pool ports in transit (see the top). */
			if (disp == MACH_MSG_TYPE_MOVE_RECEIVE)
				disp = MACH_MSG_TYPE_MAKE_SEND;
			desc[0] = some_name(r, nm);
			desc[2] = below(r, 6) << 24 | disp << 16;
			if (chance(r, 20)) {
				/* Out-of-line with a hostile address and size. */
				uint64_t a = hostile_ptr(r, arena);

				/* Never the deallocate flag: it would unmap our own memory. */
				memcpy(&desc[0], &a, 8);
				desc[2] = (uint32_t)MACH_MSG_OOL_DESCRIPTOR << 24 | below(r, 3) << 8;
				desc[3] = hostile_size(r, below(r, 8192));
			}
		}
	}
	m.send_msg = (uintptr_t)h;
	m.send_size = chance(r, 70) ? words * 4 : hostile_size(r, words * 4);
	m.option = MACH_SEND_MSG | MACH_SEND_TIMEOUT;
	if (chance(r, 10))
		m.send_msg = hostile_ptr(r, h);
	if (chance(r, 50)) {
		m.option |= MACH_RCV_MSG | MACH_RCV_TIMEOUT | (chance(r, 50) ? MACH_RCV_LARGE : 0) |
			    (chance(r, 10) ? MACH_RCV_LARGE_IDENTITY : 0) |
			    MACH_RCV_TRAILER_ELEMENTS(below(r, 9)) | (chance(r, 5) ? MACH_RCV_TRAILER_TYPE(1) : 0);
		m.rcv_msg = chance(r, 80) ? (uintptr_t)h : hostile_ptr(r, h);
		m.rcv_size = chance(r, 70) ? below(r, sizeof(buf)) : hostile_size(r, 512);
		if (m.rcv_msg == (uintptr_t)h && m.rcv_size > sizeof(buf))
			m.rcv_size = sizeof(buf);
		m.rcv_name = some_name(r, nm);
	}
	if (chance(r, 10))
		m.option &= ~MACH_SEND_MSG;
	m.timeout = below(r, 3);
	ret = ioctl(dev(), MACHIPC_IOC_MSG, &m);
	if (ret != 0) {
		violation("mach_msg ioctl failed with errno %d", errno);
		return;
	}
	if (!msg_allowed(m.ret, !!(m.option & MACH_SEND_MSG), !!(m.option & MACH_RCV_MSG)))
		violation("mach_msg option 0x%x send_size %u rcv_size %u: ret 0x%x not an XNU answer", m.option,
			  m.send_size, m.rcv_size, m.ret);
	if (m.ret == MACH_MSG_SUCCESS && (m.option & MACH_RCV_MSG) && m.rcv_msg == (uintptr_t)h)
		mach_msg_destroy(h);
}

/* A message carrying real rights (send, send-once, a fresh port's receive
 * right, out-of-line ports and memory) to a pool port or the supervisor. */
struct rights_msg {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_port_descriptor_t p[2];
	mach_msg_ool_ports_descriptor_t op;
	mach_msg_ool_descriptor_t ool;
	uint32_t data[4];
};

static void op_msg_rights(struct rng *r, struct names *nm)
{
	mach_port_t task = mach_task_self(), fresh = MACH_PORT_NULL, ports[4];
	struct rights_msg m;
	union msgbuf rcv;
	mach_msg_return_t mr;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, chance(r, 50) ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0) |
			MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_remote_port = chance(r, 30) ? hub : nm->pool[below(r, POOL)];
	m.h.msgh_local_port = MACH_MSGH_BITS_LOCAL(m.h.msgh_bits) ? nm->pool[below(r, POOL)] : 0;
	m.h.msgh_size = sizeof(m);
	m.h.msgh_id = (int)below(r, 1000);
	m.b.msgh_descriptor_count = 4;
	m.p[0].name = nm->pool[below(r, POOL)];
	m.p[0].disposition = chance(r, 50) ? MACH_MSG_TYPE_MAKE_SEND : MACH_MSG_TYPE_MAKE_SEND_ONCE;
	m.p[0].type = MACH_MSG_PORT_DESCRIPTOR;
	if (chance(r, 30) && mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &fresh) == KERN_SUCCESS) {
		m.p[1].name = fresh;
		m.p[1].disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	} else {
		m.p[1].name = nm->pool[below(r, POOL)];
		m.p[1].disposition = MACH_MSG_TYPE_COPY_SEND;
	}
	m.p[1].type = MACH_MSG_PORT_DESCRIPTOR;
	for (int i = 0; i < 4; i++)
		ports[i] = nm->pool[below(r, POOL)];
	m.op.address = ports;
	m.op.count = 4;
	m.op.disposition = MACH_MSG_TYPE_COPY_SEND;
	m.op.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	m.ool.address = arena + below(r, 4096);
	m.ool.size = below(r, 2 * 4096 - 4096);
	m.ool.copy = MACH_MSG_VIRTUAL_COPY;
	m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
	mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, 0, 1, 0);
	if (!msg_allowed(mr, 1, 0))
		violation("rights message: send ret 0x%x", mr);
	if (mr != MACH_MSG_SUCCESS && fresh)
		mach_port_mod_refs(task, fresh, MACH_PORT_RIGHT_RECEIVE, -1);
	/* Receive something from a pool port and drop it. */
	mr = mach_msg(&rcv.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof(rcv),
		      nm->pool[below(r, POOL)], 0, 0);
	if (!msg_allowed(mr, 0, 1))
		violation("rights message: receive ret 0x%x", mr);
	if (mr == MACH_MSG_SUCCESS)
		mach_msg_destroy(&rcv.h);
}

static void op_raw_ioctl(struct rng *r, struct names *nm)
{
	static const unsigned long known[] = { MACHIPC_IOC_VERSION, MACHIPC_IOC_MSG, MACHIPC_IOC_PORT_FD,
					       MACHIPC_IOC_INHERIT, MACHIPC_IOC_EXC_RAISE };
	unsigned long cmd;
	char buf[256];
	uint64_t p;
	int ret, k = -1;

	memset(buf, 0, sizeof(buf));
	if (chance(r, 50)) {
		k = (int)below(r, sizeof(known) / sizeof(known[0]));
		cmd = known[k];
		if (cmd == MACHIPC_IOC_INHERIT)
			return; /* only meaningful right after fork */
	} else {
		/* Right magic, unknown number or wrong size. */
		cmd = _IOC(below(r, 4), MACHIPC_IOC_MAGIC, below(r, 0x60), below(r, 128));
		for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (cmd == known[i])
				k = (int)i;
		if ((cmd & 0xff) >= 0x10 && cmd == MACHIPC_PORT_IOC((cmd & 0xff) - 0x10))
			return; /* a port call: op_port_call's business */
	}
	p = hostile_ptr(r, buf);
	if (cmd == MACHIPC_IOC_PORT_FD && p == (uint64_t)(uintptr_t)buf) {
		struct machipc_port_fd *f = (void *)buf;

		f->name = some_name(r, nm);
		f->trailer = chance(r, 80) ? 0 : (uint32_t)next(r);
	}
	ret = ioctl(dev(), cmd, (void *)(uintptr_t)p);
	if (k < 0) {
		if (ret == 0 || errno != ENOTTY)
			violation("unknown ioctl 0x%lx: ret %d errno %d, want ENOTTY", cmd, ret, errno);
		return;
	}
	if (ret == 0) {
		if (cmd == MACHIPC_IOC_PORT_FD)
			close(((struct machipc_port_fd *)buf)->fd);
		return;
	}
	if (errno == EFAULT || (cmd == MACHIPC_IOC_PORT_FD && (errno == ENOENT || errno == EINVAL)) ||
	    (cmd == MACHIPC_IOC_INHERIT && errno == EBADF))
		return;
	violation("ioctl 0x%lx: errno %d", cmd, errno);
}

static void check_read(const char *what, long n, int err)
{
	if (n >= 0)
		return;
	switch (err) {
	case EAGAIN:
	case EMSGSIZE:
	case EFAULT:
	case EINTR:
	case EINVAL:
		return;
	}
	violation("%s: errno %d not expected", what, err);
}

static void op_port_fd(struct rng *r, struct names *nm)
{
	mach_port_t n = chance(r, 80) ? nm->pool[below(r, POOL)] : some_name(r, nm);
	struct machipc_port_fd f = { .name = n, .trailer = chance(r, 80) ? MACH_RCV_TRAILER_ELEMENTS(below(r, 5)) : 0 };
	char buf[512];
	struct pollfd pfd;
	int ret;

	ret = ioctl(dev(), MACHIPC_IOC_PORT_FD, &f);
	if (ret != 0) {
		if (errno != ENOENT && errno != EINVAL)
			violation("port_fd 0x%x: errno %d", n, errno);
		return;
	}
	fcntl(f.fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 3; i++) {
		pfd.fd = f.fd;
		pfd.events = POLLIN;
		ret = poll(&pfd, 1, 0);
		if (ret < 0 || (pfd.revents & ~(POLLIN | POLLRDNORM | POLLHUP)))
			violation("poll on port fd: ret %d revents 0x%x", ret, pfd.revents);
		uint64_t p = hostile_ptr(r, buf);
		size_t len = p == (uintptr_t)buf ? below(r, sizeof(buf)) : hostile_size(r, 64);
		long got = read(f.fd, (void *)(uintptr_t)p, len);

		check_read("read on port fd", got, errno);
		if (got > 0 && p == (uintptr_t)buf)
			mach_msg_destroy((mach_msg_header_t *)buf);
	}
	close(f.fd);
}

/* A per-thread ring; each read is linked to a 5 ms timeout. */
struct ring {
	int fd;
	struct io_uring_params p;
	char *sq, *cq;
	struct io_uring_sqe *sqes;
};
static __thread struct ring ring = { .fd = -1 };

static int ring_init(void)
{
	memset(&ring, 0, sizeof(ring));
	ring.fd = (int)syscall(__NR_io_uring_setup, 8, &ring.p);
	if (ring.fd < 0)
		return -1;
	ring.sq = mmap(NULL, ring.p.sq_off.array + ring.p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, ring.fd, IORING_OFF_SQ_RING);
	ring.cq = mmap(NULL, ring.p.cq_off.cqes + ring.p.cq_entries * sizeof(struct io_uring_cqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.fd, IORING_OFF_CQ_RING);
	ring.sqes = mmap(NULL, ring.p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, ring.fd, IORING_OFF_SQES);
	if (ring.sq == MAP_FAILED || ring.cq == MAP_FAILED || ring.sqes == MAP_FAILED) {
		close(ring.fd);
		ring.fd = -1;
		return -1;
	}
	return 0;
}

static void op_uring(struct rng *r, struct names *nm)
{
	static const struct __kernel_timespec ts = { .tv_nsec = 5000000 };
	mach_port_t n = nm->pool[below(r, POOL)];
	struct machipc_port_fd f = { .name = n };
	char buf[512];
	unsigned *tail, *mask, *array, *head, *cmask, t;
	struct io_uring_cqe *cqes;

	if (ring.fd == -1 && ring_init() < 0) {
		ring.fd = -2;
		return;
	}
	if (ring.fd < 0)
		return;
	if (ioctl(dev(), MACHIPC_IOC_PORT_FD, &f) != 0)
		return;
	tail = (unsigned *)(ring.sq + ring.p.sq_off.tail);
	mask = (unsigned *)(ring.sq + ring.p.sq_off.ring_mask);
	array = (unsigned *)(ring.sq + ring.p.sq_off.array);
	t = *tail;
	for (int i = 0; i < 2; i++) {
		unsigned idx = (t + i) & *mask;
		struct io_uring_sqe *sqe = &ring.sqes[idx];

		memset(sqe, 0, sizeof(*sqe));
		if (i == 0) {
			uint64_t p = hostile_ptr(r, buf);

			sqe->opcode = IORING_OP_READ;
			sqe->fd = f.fd;
			sqe->addr = p;
			sqe->len = p == (uintptr_t)buf ? below(r, sizeof(buf)) : hostile_size(r, 64);
			sqe->off = (__u64)-1;
			sqe->flags = IOSQE_IO_LINK;
		} else {
			sqe->opcode = IORING_OP_LINK_TIMEOUT;
			sqe->addr = (uintptr_t)&ts;
			sqe->len = 1;
		}
		array[idx] = idx;
	}
	__atomic_store_n(tail, t + 2, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring.fd, 2, 2, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR)
		violation("io_uring_enter: errno %d", errno);
	head = (unsigned *)(ring.cq + ring.p.cq_off.head);
	cmask = (unsigned *)(ring.cq + ring.p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(ring.cq + ring.p.cq_off.cqes);
	/* Both completions, whatever came first (wait for stragglers). */
	for (int spins = 0; spins < 1000; spins++) {
		unsigned h = __atomic_load_n(head, __ATOMIC_ACQUIRE);
		unsigned ct = __atomic_load_n((unsigned *)(ring.cq + ring.p.cq_off.tail), __ATOMIC_ACQUIRE);

		while (h != ct) {
			struct io_uring_cqe *c = &cqes[h & *cmask];

			/* A message's rights stay in the space (gone at exit). */
			if (c->res < 0 && c->res != -ECANCELED && c->res != -ETIME && c->res != -ENOENT &&
			    c->res != -EALREADY)
				check_read("io_uring read", -1, -c->res);
			h++;
		}
		__atomic_store_n(head, h, __ATOMIC_RELEASE);
		if (ct - t >= 2 || spins > 10)
			break;
		usleep(1000);
	}
	close(f.fd);
}

/* A MIG request to a task port: a known routine id (or not), a random body. */
static const int mig_ids[] = { 3200, 3201, 3203, 3204, 3205, 3206, 3207, 3208, 3210, 3211, 3212, 3213,
			       3214, 3215, 3216, 3217, 3218, 3222, 3223, 3226, 3227, 3228, 3229, 3231, 3232,
			       3230, 3233, 3234, 3237, 3238, 3402, 3405, 3409, 3410, 3413, 3414, 3415, 3452, 3453, 3455, 3457, 3458, 3460, 3630, 3299, 3400, 2401, 0, -1 };
/* Routines that only read, for other workers' task ports. */
static const int mig_read_ids[] = { 3200, 3201, 3207, 3211, 3217, 3222, 3223, 3228, 3230, 3402, 3405, 3409, 3414, 3452, 3455, 3458, 3460, 3299, 77 };

/*
 * A request that failed in its body destroyed the send-once right made for
 * the reply: its notification (71) waits on the reply port, as on XNU
 * (where MIG takes a new reply port after an error). libmach's exception
 * handler waits on the same port, so none may stay there.
 */
static void drain_reply_port(mach_port_t reply)
{
	union msgbuf m;

	while (mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof(m), reply, 0, 0) ==
	       MACH_MSG_SUCCESS) {
		if (m.h.msgh_id != MACH_NOTIFY_SEND_ONCE)
			violation("MIG: stray message %d on the reply port", m.h.msgh_id);
		mach_msg_destroy(&m.h);
	}
}

static void mig_request(struct rng *r, struct names *nm, mach_port_t task, int id)
{
	static __thread union msgbuf req, rep;
	mach_port_t reply = mig_get_reply_port();
	unsigned words = 8 + below(r, 24);
	mach_msg_return_t mr;

	drain_reply_port(reply);
	for (unsigned i = 6; i < words; i++)
		req.w[i] = chance(r, 60) ? below(r, 32) : (chance(r, 50) ? some_name(r, nm) : (uint32_t)next(r));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	if (chance(r, 30)) {
		/* Complex with one or two port descriptors. */
		req.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
		req.w[6] = 1 + below(r, 2);
		for (unsigned d = 0; d < req.w[6]; d++) {
			req.w[7 + d * 3] = some_name(r, nm);
			req.w[9 + d * 3] = MACH_MSG_PORT_DESCRIPTOR << 24 | MACH_MSG_TYPE_COPY_SEND << 16;
		}
		if (is_protected(req.w[7]) || is_protected(req.w[10]))
			req.w[6] = 0;
	}
	req.h.msgh_remote_port = task;
	req.h.msgh_local_port = reply;
	req.h.msgh_id = id;
	req.h.msgh_voucher_port = 0;
	/* A NDR record where MIG expects one. */
	req.w[6 + (req.h.msgh_bits & MACH_MSGH_BITS_COMPLEX ? 1 + 3 * req.w[6] : 0)] = 0;
	mr = mach_msg_overwrite(&req.h,
				MACH_SEND_MSG | MACH_RCV_MSG | MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT | MACH_RCV_LARGE,
				words * 4, sizeof(rep), reply, 1000, 0, &rep.h, sizeof(rep));
	if (mr != MACH_MSG_SUCCESS)
		drain_reply_port(reply);
	if (mr == MACH_RCV_TOO_LARGE) {
		violation("MIG %d: reply larger than %zu bytes", id, sizeof(rep));
		return;
	}
	if (mr == MACH_SEND_INVALID_DEST || mr == MACH_SEND_INVALID_RIGHT || mr == MACH_SEND_TIMED_OUT ||
	    mr == MACH_SEND_INVALID_REPLY || mr == MACH_SEND_NO_BUFFER)
		return;
	if (mr == MACH_RCV_TIMED_OUT || mr == MACH_RCV_INTERRUPTED) {
		/* A kernel-served request always answers at once. */
		violation("MIG %d to 0x%x: no reply (0x%x)", id, task, mr);
		return;
	}
	if (!msg_allowed(mr, 1, 1)) {
		violation("MIG %d: mach_msg ret 0x%x", id, mr);
		return;
	}
	if (mr != MACH_MSG_SUCCESS)
		return;
	if (rep.h.msgh_id == MACH_NOTIFY_SEND_ONCE) {
		/* The task port died under us (its worker was killed). */
		return;
	}
	if (rep.h.msgh_id != id + 100)
		violation("MIG %d: reply id %d", id, rep.h.msgh_id);
	else if (!(rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX)) {
		int ret = (int)rep.w[8];

		/* The bootstrap registry answers launchd's codes. */
		int bootstrap = id >= 400 && id < 500 && ret >= BOOTSTRAP_NOT_PRIVILEGED && ret <= BOOTSTRAP_NO_MEMORY &&
				ret != BOOTSTRAP_NAME_IN_USE && ret != BOOTSTRAP_BAD_COUNT;

		if (ret != 0 && ret != MIG_BAD_ID && ret != MIG_BAD_ARGUMENTS && ret != MIG_TYPE_ERROR &&
		    ret != MIG_ARRAY_TOO_LARGE && !(ret > 0 && ret < 64) && (unsigned)ret != MACH_SEND_INVALID_RIGHT &&
		    !bootstrap)
			violation("MIG %d: RetCode 0x%x", id, ret);
	}
	mach_msg_destroy(&rep.h);
}

/* Routines of a thread port (thread_act.defs), served or not. */
static const int mig_thread_ids[] = { 3610, 3612, 3600, 3603, 3613, 3614, 3699, 3402, 0 };

static void op_mig_self(struct rng *r, struct names *nm)
{
	static const int flavored[] = { TASK_READ_PORT, TASK_INSPECT_PORT, TASK_NAME_PORT };
	int id = mig_ids[below(r, sizeof(mig_ids) / sizeof(mig_ids[0]))];
	mach_port_t port;

	if (chance(r, 25)) {
		/* This thread's kernel port. */
		mach_port_t th = mach_thread_self();

		if (th == MACH_PORT_NULL) {
			violation("mach_thread_self failed");
			return;
		}
		/* Or its read or inspect port, which refuse what their
		 * flavor may not do. */
		if (chance(r, 50)) {
			mach_port_t fl = MACH_PORT_NULL;

			/* It fails only when the task's limits are reached. */
			if (thread_get_special_port(th, chance(r, 50) ? THREAD_READ_PORT : THREAD_INSPECT_PORT, &fl) ==
			    KERN_SUCCESS) {
				mig_request(r, nm, fl,
					    mig_thread_ids[below(r, sizeof(mig_thread_ids) / sizeof(mig_thread_ids[0]))]);
				mach_port_deallocate(mach_task_self(), fl);
			}
			mach_port_deallocate(mach_task_self(), th);
			return;
		}
		mig_request(r, nm, th, mig_thread_ids[below(r, sizeof(mig_thread_ids) / sizeof(mig_thread_ids[0]))]);
		mach_port_deallocate(mach_task_self(), th);
		return;
	}

	/* An identity token of this task: its one routine (with a random
	 * flavor), and ids it does not serve. */
	if (chance(r, 10)) {
		static const int token_ids[] = { 3458, 3457, 3405, 0 };
		task_id_token_t tok;

		/* It fails only when the task's limits are reached. */
		if (task_create_identity_token(mach_task_self(), &tok) != KERN_SUCCESS)
			return;
		mig_request(r, nm, tok, token_ids[below(r, sizeof(token_ids) / sizeof(token_ids[0]))]);
		mach_port_deallocate(mach_task_self(), tok);
		return;
	}

	/* Our read, inspect or name port: any routine, as those that would
	 * change the task are refused there. */
	if (chance(r, 25) &&
	    task_get_special_port(mach_task_self(), flavored[below(r, 3)], &port) == KERN_SUCCESS) {
		mig_request(r, nm, port, id);
		mach_port_deallocate(mach_task_self(), port);
		return;
	}
	/* Routines that destroy names or change special or exception ports
	 * would break the worker's own plumbing; keep those off protected
	 * names by drawing the body from some_name (which avoids them). */
	if (id == 3410 || id == 3413 || id == 3415)
		id = 3414;
	mig_request(r, nm, mach_task_self(), id);
}

static void op_mig_foreign(struct rng *r, struct names *nm)
{
	pid_t pid = sh->pids[below(r, opt_procs)];
	struct machipc_port_call c = { .flavor = (uint32_t)pid };

	/* The control port, or the read, inspect or name port (which refuse
	 * what their flavor may not do). */
	unsigned long cmd = chance(r, 50) ? MACHIPC_IOC_TASK_FOR_PID : MACHIPC_IOC_TASK_FLAVOR_FOR_PID;

	c.right = 1 + below(r, 3);
	if (pid <= 0 || ioctl(dev(), cmd, &c) != 0 || c.ret != KERN_SUCCESS || c.name == MACH_PORT_NULL)
		return;
	mig_request(r, nm, c.name, mig_read_ids[below(r, sizeof(mig_read_ids) / sizeof(mig_read_ids[0]))]);
	if (c.name != mach_task_self())
		mach_port_deallocate(mach_task_self(), c.name);
}

/*
 * A MIG request to the host port, or to the plain host port a privileged
 * worker reads from it: the routines served (mach_host.defs 200-202,
 * host_priv.defs 412-413, which set host special ports to random rights),
 * their neighbours, and ids of other subsystems (400 is bootstrap's too,
 * 3405 a task routine), which a host port answers with MIG_BAD_ID.
 */
static const int mig_host_ids[] = { 200, 201, 202, 219, 400, 411, 412, 413, 414, 3405, 3409, 0, -1 };

static void op_mig_host(struct rng *r, struct names *nm)
{
	mach_port_t host = mach_host_self(), plain = MACH_PORT_NULL;
	int id = mig_host_ids[below(r, sizeof(mig_host_ids) / sizeof(mig_host_ids[0]))];

	if (host == MACH_PORT_NULL)
		return;
	if (chance(r, 30) && host_get_special_port(host, HOST_LOCAL_NODE, HOST_PORT, &plain) == KERN_SUCCESS &&
	    plain != MACH_PORT_NULL) {
		mig_request(r, nm, plain, id);
		mach_port_deallocate(mach_task_self(), plain);
	} else {
		mig_request(r, nm, host, id);
	}
	mach_port_deallocate(mach_task_self(), host);
}

/*
 * Requests to the namespace's bootstrap registry (the supervisor hands it
 * to workers in its TASK_ACCESS_PORT slot): launchd's ids and neighbours
 * with random bodies, and well-formed check-ins, lookups and registrations
 * of a few names shared by all workers, with names cut short of their NUL.
 */
static mach_port_t registry;
static const int bootstrap_ids[] = { 400, 401, 402, 403, 404, 405, 406, 407, 410, 3409, 502 };

static void op_mig_bootstrap(struct rng *r, struct names *nm)
{
	int id = bootstrap_ids[below(r, sizeof(bootstrap_ids) / sizeof(bootstrap_ids[0]))];
	name_t name;
	mach_port_t p = MACH_PORT_NULL;
	kern_return_t kr;

	if (registry == MACH_PORT_NULL)
		return;
	if (chance(r, 40)) {
		mig_request(r, nm, registry, id);
		return;
	}
	/* libmach's calls take the first message on the thread's reply port:
	 * a send-once notification left by an earlier failed request must go
	 * first (mig_request drains it the same way), and the one a failed
	 * call here leaves, after. */
	drain_reply_port(mig_get_reply_port());
	snprintf(name, sizeof(name), "fuzz.%u", (unsigned)below(r, 8));
	if (chance(r, 5))
		memset(name, 'x', sizeof(name) - 1);
	switch (below(r, 4)) {
	case 0:
		kr = bootstrap_check_in(registry, name, &p);
		/* Or kept, for random calls, or until the worker is killed. */
		if (kr == KERN_SUCCESS && chance(r, 70))
			mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
		break;
	case 1:
		kr = bootstrap_look_up(registry, name, &p);
		if (kr == KERN_SUCCESS)
			mach_port_deallocate(mach_task_self(), p);
		break;
	case 2:
		p = nm->pool[below(r, POOL)];
		kr = bootstrap_register(registry, name, p);
		break;
	default:
		kr = bootstrap_parent(registry, &p);
		if (kr == KERN_SUCCESS && p != registry)
			violation("bootstrap_parent: 0x%x, not the registry 0x%x", p, registry);
		if (kr == KERN_SUCCESS)
			mach_port_deallocate(mach_task_self(), p);
		break;
	}
	drain_reply_port(mig_get_reply_port());
	if (kr != KERN_SUCCESS && kr != BOOTSTRAP_NOT_PRIVILEGED && kr != BOOTSTRAP_UNKNOWN_SERVICE &&
	    kr != BOOTSTRAP_SERVICE_ACTIVE && kr != BOOTSTRAP_NO_MEMORY && !msg_allowed(kr, 1, 1))
		violation("bootstrap: 0x%x", kr);
}

static void op_exc_ports(struct rng *r, struct names *nm)
{
	struct machipc_exc_entry e[16];
	struct machipc_port_call c = {
		.flavor = (chance(r, 80) ? below(r, 1 << 14) : (uint32_t)next(r)) & ~(uint32_t)EXC_MASK_BAD_ACCESS,
		.name = some_name(r, nm),
		.right = chance(r, 70) ? (below(r, 6) | (chance(r, 50) ? MACH_EXCEPTION_CODES : 0)) : (uint32_t)next(r),
		.value = chance(r, 80) ? below(r, 30) : next(r),
		.count = below(r, 16),
		.data = hostile_ptr(r, e),
	};
	unsigned nr = chance(r, 50) ? 40 : 41;

	if (ioctl(dev(), MACHIPC_PORT_IOC(nr), &c) != 0) {
		violation("exception ports %u: errno %d", nr, errno);
		return;
	}
	if (!kr_allowed(allowed_port(nr), c.ret))
		violation("exception ports %u (mask 0x%x behavior 0x%x): ret 0x%x", nr, c.flavor, c.right, c.ret);
	if (nr == 41 && c.ret == KERN_SUCCESS && c.data == (uintptr_t)e)
		for (unsigned i = 0; i < c.count && i < 16; i++)
			if (MACH_PORT_VALID(e[i].port))
				mach_port_deallocate(mach_task_self(), e[i].port);
}

/* Raising outside a fault must always be refused. */
static void op_exc_raise(struct rng *r, struct names *nm)
{
	x86_thread_state64_t st;
	struct machipc_exc_raise x = {
		.signo = chance(r, 80) ? (int)below(r, 16) : (int)next(r),
		.port = some_name(r, nm),
		.behavior = (uint32_t)next(r),
		.flavor = below(r, 30),
		.thread = some_name(r, nm),
		.reply = chance(r, 50) ? mig_get_reply_port() : some_name(r, nm),
		.state = hostile_ptr(r, &st),
	};
	int bad = chance(r, 5);
	uint64_t p = bad ? hostile_ptr(r, &x) : (uintptr_t)&x;
	int ret = ioctl(dev(), MACHIPC_IOC_EXC_RAISE, (void *)(uintptr_t)p);

	if (ret != 0) {
		if (!(errno == EFAULT && p != (uintptr_t)&x))
			violation("exc_raise: errno %d", errno);
		return;
	}
	if (p == (uintptr_t)&x && x.ret != KERN_FAILURE)
		violation("exc_raise outside a fault: ret 0x%x, want KERN_FAILURE", x.ret);
}

/* A real fault, raised to this thread's own exception port, served by the
 * worker's exception server thread, which checks the message came from
 * the kernel and maps the page. */
static mach_port_t exc_port;
static char *fault_pages;
static unsigned long my_faults_raised;

#pragma pack(push, 4)
struct exc_req {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_port_descriptor_t thread, task;
	NDR_record_t ndr;
	exception_type_t exception;
	mach_msg_type_number_t codeCnt;
	int64_t code[2];
	char rest[1024];
};
struct state_req {
	mach_msg_header_t h;
	NDR_record_t ndr;
	exception_type_t exception;
	mach_msg_type_number_t codeCnt;
	int64_t code[2];
	int flavor;
	mach_msg_type_number_t count;
	x86_thread_state64_t state;
	char rest[1024];
};
struct state_rep {
	mach_msg_header_t h;
	NDR_record_t ndr;
	kern_return_t ret;
	int flavor;
	mach_msg_type_number_t count;
	x86_thread_state64_t state;
};
#pragma pack(pop)

static void *exc_server(void *arg)
{
	(void)arg;
	my_thread = MAX_THREADS;
	for (;;) {
		union {
			struct exc_req d;
			struct state_req s;
		} q;
		struct state_rep rep;
		mach_msg_return_t mr;
		mach_msg_audit_trailer_t *tr;
		int64_t addr;

		mr = mach_msg(&q.d.h, MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
					     MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
			      0, sizeof(q), exc_port, 0, 0);
		if (mr != MACH_MSG_SUCCESS) {
			if (mr != MACH_RCV_INTERRUPTED)
				violation("exception server: receive 0x%x", mr);
			continue;
		}
		tr = (mach_msg_audit_trailer_t *)((char *)&q + round_msg(q.d.h.msgh_size));
		if (tr->msgh_audit.val[5] != 0 || tr->msgh_sender.val[0] != 0 || tr->msgh_sender.val[1] != 1) {
			/* Another worker that got a send right to this port
			 * (task_get_exception_ports over MIG) sent junk: the
			 * trailer tells, which is the point. A real fault's
			 * request that came this way would leave its thread
			 * waiting, and the worker hung at the end. */
			mach_msg_destroy(&q.d.h);
			continue;
		}
		addr = q.d.h.msgh_id == 2406 ? q.s.code[1] : q.d.code[1];
		if (addr < (int64_t)(uintptr_t)fault_pages ||
		    addr >= (int64_t)(uintptr_t)fault_pages + MAX_THREADS * 4096)
			violation("exception %d: address 0x%llx is not the fault's", q.d.h.msgh_id,
				  (unsigned long long)addr);
		else
			mprotect((void *)((uintptr_t)addr & ~4095ull), 4096, PROT_READ | PROT_WRITE);
		__atomic_add_fetch(&sh->faults_raised, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&my_faults_raised, 1, __ATOMIC_RELAXED);
		memset(&rep, 0, sizeof(rep));
		rep.h.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(q.d.h.msgh_bits), 0);
		rep.h.msgh_remote_port = q.d.h.msgh_remote_port;
		rep.h.msgh_id = q.d.h.msgh_id + 100;
		rep.ndr = NDR_record;
		rep.ret = KERN_SUCCESS;
		rep.h.msgh_size = offsetof(struct state_rep, flavor);
		if (q.d.h.msgh_id == 2406 || q.d.h.msgh_id == 2407) {
			const x86_thread_state64_t *st =
				q.d.h.msgh_id == 2406 ? &q.s.state : (const x86_thread_state64_t *)
					((const char *)&q.d.code[2] + 8);

			rep.flavor = x86_THREAD_STATE64;
			rep.count = x86_THREAD_STATE64_COUNT;
			rep.state = *st;
			rep.h.msgh_size = sizeof(rep);
		}
		mach_msg(&rep.h, MACH_SEND_MSG, rep.h.msgh_size, 0, 0, 0, 0);
		if (q.d.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
			mach_port_deallocate(mach_task_self(), q.d.thread.name);
			mach_port_deallocate(mach_task_self(), q.d.task.name);
		}
	}
	return NULL;
}

static void op_fault(struct rng *r, struct names *nm)
{
	static const int behaviors[] = { EXCEPTION_DEFAULT, EXCEPTION_STATE, EXCEPTION_STATE_IDENTITY };
	volatile char *p = fault_pages + my_thread * 4096 + below(r, 4096);
	int b = behaviors[below(r, 3)] | MACH_EXCEPTION_CODES;
	unsigned long before = __atomic_load_n(&my_faults_raised, __ATOMIC_RELAXED);

	(void)nm;
	if (thread_set_exception_ports(mach_thread_self(), EXC_MASK_BAD_ACCESS, exc_port, b, x86_THREAD_STATE64) !=
	    KERN_SUCCESS) {
		violation("thread_set_exception_ports failed");
		return;
	}
	mach_port_deallocate(mach_task_self(), mach_thread_self());
	mprotect((void *)((uintptr_t)p & ~4095ull), 4096, PROT_NONE);
	*p = 42; /* faults; the server maps the page and we go on */
	if (*p != 42)
		violation("after the exception the write is lost");
	if (__atomic_load_n(&my_faults_raised, __ATOMIC_RELAXED) == before)
		violation("a fault went by without an exception");
}

/* Valid calls must still work: a port, a message with a right, its
 * trailer, a descriptor, and the name gone afterwards. */
static void op_valid(struct rng *r, struct names *nm)
{
	mach_port_t task = mach_task_self(), p = MACH_PORT_NULL;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t b;
		mach_msg_port_descriptor_t d;
		uint32_t v;
	} s;
	union msgbuf rcv;
	mach_msg_audit_trailer_t *tr;
	mach_port_type_t t;
	kern_return_t kr;
	int fd;

	(void)nm;
	kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &p);
	if (kr != KERN_SUCCESS) {
		violation("valid: allocate 0x%x", kr);
		return;
	}
	valid_names[my_thread] = p;
	if ((kr = mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND)) != KERN_SUCCESS)
		violation("valid: insert_right 0x%x", kr);
	memset(&s, 0, sizeof(s));
	s.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	s.h.msgh_size = sizeof(s);
	s.h.msgh_remote_port = p;
	s.h.msgh_id = 1234;
	s.b.msgh_descriptor_count = 1;
	s.d.name = p;
	s.d.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
	s.d.type = MACH_MSG_PORT_DESCRIPTOR;
	s.v = (uint32_t)next(r);
	kr = mach_msg(&s.h, MACH_SEND_MSG, sizeof(s), 0, 0, 0, 0);
	if (kr == MACH_SEND_NO_BUFFER) {
		/* The space has its 64 MiB queued elsewhere: a valid answer. */
		__atomic_add_fetch(&sh->quota_full, 1, __ATOMIC_RELAXED);
		mach_port_destroy(task, p);
		valid_names[my_thread] = MACH_PORT_NULL;
		return;
	}
	if (kr != KERN_SUCCESS)
		violation("valid: send 0x%x", kr);
	fd = machipc_port_fd(p, 0);
	if (fd < 0) {
		violation("valid: port fd %d", errno);
	} else {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
			violation("valid: port fd not readable with a message queued");
		close(fd);
	}
	kr = mach_msg(&rcv.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
				      MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
		      0, sizeof(rcv), p, 0, 0);
	if (kr != KERN_SUCCESS) {
		violation("valid: receive 0x%x", kr);
	} else {
		uint32_t v;

		memcpy(&v, (char *)&rcv + offsetof(typeof(s), v), 4);
		tr = (mach_msg_audit_trailer_t *)((char *)&rcv + round_msg(rcv.h.msgh_size));
		if (rcv.h.msgh_id != 1234 || v != s.v || rcv.h.msgh_size != sizeof(s))
			violation("valid: message changed (id %d size %u)", rcv.h.msgh_id, rcv.h.msgh_size);
		if (tr->msgh_audit.val[5] != (unsigned)getpid())
			violation("valid: trailer pid %u, want %d", tr->msgh_audit.val[5], getpid());
		mach_msg_destroy(&rcv.h);
	}
	if ((kr = mach_port_destroy(task, p)) != KERN_SUCCESS)
		violation("valid: destroy 0x%x", kr);
	if ((kr = mach_port_type(task, p, &t)) != KERN_INVALID_NAME)
		violation("valid: destroyed name still answers 0x%x", kr);
	valid_names[my_thread] = MACH_PORT_NULL;
}

/*
 * A space follows its caller's credentials (rust/security_token.rs). This
 * thread alone (the raw system call: glibc's setresuid would change every
 * thread) takes another effective uid, makes valid calls as that user and
 * takes root back, while the worker's other threads go on as root: the
 * space is rekeyed, its host port swapped and its name table's charge
 * moved to and fro under their calls, and valid calls must still work.
 * (Which host port a thread then finds is a race between the threads, as
 * the task's host port is one per task on XNU too: not checked here; the
 * C tests check it with one thread.)
 */
static void op_creds(struct rng *r, struct names *nm)
{
	uid_t as = 1000 + (uid_t)below(r, 3);
	int dumpable = prctl(PR_GET_DUMPABLE);

	if (geteuid() != 0 || syscall(SYS_setresuid, -1, as, -1) != 0)
		return;
	op_valid(r, nm);
	if (syscall(SYS_setresuid, -1, 0, -1) != 0) {
		violation("creds: cannot take euid 0 back (errno %d)", errno);
		_exit(1);
	}
	/* A change of ids made the process non-dumpable; the other
	 * operations expect it as it was. */
	if (dumpable == 1)
		prctl(PR_SET_DUMPABLE, 1);
}

/*
 * The edges, directed: a message is queued on a pool port, then received
 * into a pointer and size from the edge tables (every pair comes up about
 * once in N_EDGE_PTRS * N_EDGE_SIZES calls), with the large-message
 * options, or read through a descriptor, or sent from there.
 */
static void op_edges(struct rng *r, struct names *nm)
{
	mach_port_t p = nm->pool[below(r, POOL)];
	uint64_t ptr = chance(r, 70) ? edge_ptrs[below(r, N_EDGE_PTRS)] : (uint64_t)(uintptr_t)(edge - below(r, 80));
	uint32_t size = edge_sizes[below(r, N_EDGE_SIZES)];
	struct {
		mach_msg_header_t h;
		uint32_t body[24];
	} s;
	struct machipc_msg m = { 0 };

	memset(&s, 0, sizeof(s));
	s.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	s.h.msgh_size = sizeof(mach_msg_header_t) + 4 * below(r, 25);
	s.h.msgh_remote_port = p;
	s.h.msgh_id = 7;
	if (mach_msg(&s.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, s.h.msgh_size, 0, 0, 0, 0) != MACH_MSG_SUCCESS)
		return; /* a set, a dead name, a full queue */
	int kind = (int)below(r, 4), sending = kind == 3;

	if (kind == 2) {
		struct machipc_port_fd f = { .name = p, .trailer = MACH_RCV_TRAILER_ELEMENTS(below(r, 5)) };

		if (ioctl(dev(), MACHIPC_IOC_PORT_FD, &f) == 0) {
			fcntl(f.fd, F_SETFL, O_NONBLOCK);
			long got = read(f.fd, (void *)(uintptr_t)ptr, size);

			check_read("edges: read", got, errno);
			close(f.fd);
		}
		return;
	}
	if (sending) {
		m.option = MACH_SEND_MSG | MACH_SEND_TIMEOUT;
		m.send_msg = ptr;
		m.send_size = size;
	} else {
		m.option = MACH_RCV_MSG | MACH_RCV_TIMEOUT | (chance(r, 70) ? MACH_RCV_LARGE : 0) |
			   (chance(r, 30) ? MACH_RCV_LARGE_IDENTITY : 0) | MACH_RCV_TRAILER_ELEMENTS(below(r, 9));
		m.rcv_msg = ptr;
		m.rcv_size = size;
		m.rcv_name = p;
	}
	if (ioctl(dev(), MACHIPC_IOC_MSG, &m) != 0)
		violation("edges: mach_msg ioctl errno %d", errno);
	else if (!msg_allowed(m.ret, sending, !sending))
		violation("edges: %s 0x%llx size %u: 0x%x", sending ? "send from" : "receive into",
			  (unsigned long long)ptr, size, m.ret);
}

/* A descriptor of some kind for fileport_makeport and machipc_fd_to_port:
 * a pipe end, /dev/machipc, a port descriptor, a right descriptor (of a
 * pool port or of a fileport), an AF_UNIX socket, or garbage. *own says
 * whether the caller closes it. */
static int some_fd(struct rng *r, struct names *nm, int *own)
{
	int p[2], fd = -1;
	struct machipc_port_fd f = { .name = nm->pool[below(r, POOL)] };

	*own = 1;
	switch (below(r, 7)) {
	case 0:
		if (pipe2(p, O_CLOEXEC) != 0)
			break;
		fd = chance(r, 50);
		close(p[!fd]);
		return p[fd];
	case 1:
		*own = 0;
		return dev();
	case 2:
		if (ioctl(dev(), MACHIPC_IOC_PORT_FD, &f) == 0)
			return f.fd;
		break;
	case 3:
		if (machipc_port_to_fd(some_name(r, nm), &fd) == KERN_SUCCESS)
			return fd;
		break;
	case 4:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0)
			break;
		close(p[1]);
		return p[0];
	}
	*own = 0;
	return chance(r, 50) ? -1 : (int)below(r, 4096);
}

/* A copy of `len` bytes of `arg` on this thread's read-only page, or NULL:
 * the kernel can read an argument there but cannot write the answer back. */
static void *readonly_copy(const void *arg, size_t len)
{
	static __thread char *page;

	if (!page) {
		page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			page = NULL;
			return NULL;
		}
	}
	if (mprotect(page, 4096, PROT_READ | PROT_WRITE) != 0)
		return NULL;
	memcpy(page, arg, len);
	if (mprotect(page, 4096, PROT_READ) != 0)
		return NULL;
	return page;
}

/* A call that makes a descriptor or a name, with a valid argument whose
 * answer cannot be written back: it must fail, with EFAULT or the error it
 * answers before making anything, having installed no descriptor and taken
 * no right (fileport.c's readonly_arg tests count both). `name` is a
 * fileport or any name, `fd` any descriptor. */
static void readonly_answer(struct rng *r, struct names *nm, mach_port_t name, int fd)
{
	struct machipc_port_call c = { 0 };
	struct machipc_port_fd f = { 0 };
	fileport_t out = FILEPORT_NULL;
	unsigned long cmd;
	void *arg;
	int ret, e;

	switch (below(r, 4)) {
	case 0:
		cmd = MACHIPC_IOC_FILEPORT_MAKEFD;
		c.name = name;
		break;
	case 1:
		cmd = MACHIPC_IOC_PORT_TO_FD;
		c.name = chance(r, 50) ? name : some_name(r, nm);
		break;
	case 2:
		cmd = MACHIPC_IOC_FILEPORT_MAKEPORT;
		c.delta = fd;
		c.data = (uint64_t)(uintptr_t)&out;
		break;
	default:
		cmd = MACHIPC_IOC_PORT_FD;
		f.name = chance(r, 80) ? nm->pool[below(r, POOL)] : name;
		break;
	}
	arg = cmd == MACHIPC_IOC_PORT_FD ? readonly_copy(&f, sizeof(f)) : readonly_copy(&c, sizeof(c));
	if (!arg)
		return;
	ret = ioctl(dev(), cmd, arg);
	e = errno;
	if (ret == 0) {
		violation("ioctl 0x%lx with a read-only argument succeeded", cmd);
		return;
	}
	if (e == EFAULT || (cmd == MACHIPC_IOC_FILEPORT_MAKEFD && (e == EINVAL || e == EMFILE)) ||
	    (cmd == MACHIPC_IOC_FILEPORT_MAKEPORT && (e == EBADF || e == EINVAL || e == EAGAIN)) ||
	    (cmd == MACHIPC_IOC_PORT_FD && (e == ENOENT || e == EINVAL || e == EMFILE)))
		return;
	violation("ioctl 0x%lx with a read-only argument: errno %d", cmd, e);
}

/* Fileports and right descriptors: makeport on descriptors of every kind
 * (with hostile result pointers), the fileport through a message and
 * back to a descriptor, makefd and port_to_fd on any name, fd_to_port on
 * any descriptor, and these calls with answers that cannot be written
 * back; each answer must be one XNU (or machipc.h) gives. */
static void op_fileport(struct rng *r, struct names *nm)
{
	struct machipc_port_call c;
	fileport_t fp = 0;
	mach_port_t name = 0;
	int own, fd = some_fd(r, nm, &own), got, ret;
	uint64_t p = hostile_ptr(r, &fp);

	memset(&c, 0, sizeof(c));
	c.delta = fd;
	c.data = p;
	ret = ioctl(dev(), MACHIPC_IOC_FILEPORT_MAKEPORT, &c);
	if (ret != 0 && errno != EBADF && errno != EINVAL && errno != EAGAIN && errno != EFAULT)
		violation("fileport_makeport(%d): errno %d", fd, errno);
	if (ret == 0) {
		if (p == (uintptr_t)&fp && fp != c.name)
			violation("fileport_makeport: wrote 0x%x, answered 0x%x", fp, c.name);
		if (chance(r, 50)) {
			struct {
				mach_msg_header_t h;
				mach_msg_body_t b;
				mach_msg_port_descriptor_t d;
			} m = { 0 };
			m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
			m.h.msgh_size = sizeof(m);
			m.h.msgh_remote_port = nm->pool[below(r, POOL)];
			m.b.msgh_descriptor_count = 1;
			m.d.name = c.name;
			m.d.disposition = MACH_MSG_TYPE_COPY_SEND;
			m.d.type = MACH_MSG_PORT_DESCRIPTOR;
			mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, 0, 0, 0);
		}
		if (chance(r, 30))
			readonly_answer(r, nm, c.name, fd);
		got = fileport_makefd(c.name);
		if (got < 0 && errno != EMFILE)
			violation("fileport_makefd of a fileport: errno %d", errno);
		if (got >= 0)
			close(got);
		if (chance(r, 30) && machipc_port_to_fd(c.name, &got) == KERN_SUCCESS) {
			if (fileport_makeport(got, &fp) != -1 || errno != EINVAL)
				violation("fileport_makeport of a fileport's right descriptor: not EINVAL");
			close(got);
		}
		mach_port_deallocate(mach_task_self(), c.name);
	}
	if (chance(r, 10))
		readonly_answer(r, nm, some_name(r, nm), fd);
	got = fileport_makefd(some_name(r, nm));
	if (got < 0 && errno != EINVAL && errno != EMFILE)
		violation("fileport_makefd: errno %d", errno);
	if (got >= 0)
		close(got);
	/* A right descriptor of any name, and any descriptor back to a name. */
	memset(&c, 0, sizeof(c));
	c.name = some_name(r, nm);
	if (ioctl(dev(), MACHIPC_IOC_PORT_TO_FD, &c) != 0)
		violation("port_to_fd: errno %d", errno);
	else if (c.ret == KERN_SUCCESS)
		close(c.delta);
	else if (c.ret != KERN_INVALID_NAME && c.ret != KERN_INVALID_RIGHT && c.ret != KERN_RESOURCE_SHORTAGE &&
		 c.ret != KERN_INVALID_TASK)
		violation("port_to_fd 0x%x: ret 0x%x", c.name, c.ret);
	ret = machipc_fd_to_port(fd, &name);
	if (ret == KERN_SUCCESS) {
		if (MACH_PORT_VALID(name))
			mach_port_deallocate(mach_task_self(), name);
	} else if (ret != KERN_INVALID_ARGUMENT && ret != KERN_INVALID_RIGHT && ret != KERN_NO_SPACE &&
		   ret != KERN_RESOURCE_SHORTAGE && ret != KERN_INVALID_TASK) {
		violation("fd_to_port(%d): ret 0x%x", fd, ret);
	}
	if (own)
		close(fd);
}

static void (*const ops[OP_KINDS])(struct rng *, struct names *) = {
	op_port_call, op_msg, op_msg_rights, op_raw_ioctl, op_port_fd, op_uring,
	op_mig_self, op_mig_foreign, op_exc_ports, op_exc_raise, op_fault, op_valid, op_edges,
	op_mig_host, op_fileport, op_mig_bootstrap, op_creds,
};
static const int weights[OP_KINDS] = { 30, 25, 12, 5, 6, 3, 8, 4, 4, 3, 2, 3, 8, 3, 5, 4, 2 };

/* ---- workers ------------------------------------------------------------- */

struct thread_arg {
	int index;
};

static void *worker_thread(void *argp)
{
	struct thread_arg *a = argp;
	struct rng r = { splitmix(opt_seed ^ splitmix(((uint64_t)my_proc << 40) | ((uint64_t)my_gen << 8) | a->index)) };
	struct names nm = { 0 };
	int total = 0;

	my_thread = a->index;
	if (!r.s)
		r.s = 1;
	for (int i = 0; i < OP_KINDS; i++)
		total += (opt_ops & (1u << i)) ? weights[i] : 0;
	for (int i = 0; i < POOL; i++)
		new_pool_name(&r, &nm, i);
	/* Reserve the thread's reply port and port before anything random. */
	protect(mig_get_reply_port());
	protect(mach_thread_self());
	mach_port_deallocate(mach_task_self(), mach_thread_self());
	while (!sh->stop) {
		int k = (int)below(&r, total), op = 0;

		while (!(opt_ops & (1u << op)) || k >= weights[op]) {
			if (opt_ops & (1u << op))
				k -= weights[op];
			op++;
		}
		my_op++;
		sh->last_op[my_proc][my_thread] = op;
		ops[op](&r, &nm);
		__atomic_add_fetch(&sh->ops[my_proc][my_thread], 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->ops_by_kind[op], 1, __ATOMIC_RELAXED);
		if (my_op % 64 == 0)
			refresh_pool(&r, &nm);
	}
	return NULL;
}

static void worker(int proc, int gen)
{
	pthread_t t[MAX_THREADS], srv;
	struct thread_arg a[MAX_THREADS];
	mach_port_t task = mach_task_self();

	my_proc = proc;
	my_gen = gen;
	arena_init();
	fault_pages = mmap(NULL, MAX_THREADS * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hub = bootstrap_port;
	if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &exc_port) != KERN_SUCCESS ||
	    mach_port_insert_right(task, exc_port, exc_port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) {
		violation("worker setup failed");
		_exit(3);
	}
	protect(exc_port);
	protect(hub);
	protect(task);
	{
		/* The registry, from the supervisor's TASK_ACCESS_PORT slot. */
		struct machipc_port_call c = { .flavor = (uint32_t)getppid() };

		if (ioctl(dev(), MACHIPC_IOC_TASK_FOR_PID, &c) == 0 && c.ret == KERN_SUCCESS) {
			if (task_get_special_port(c.name, TASK_ACCESS_PORT, &registry) != KERN_SUCCESS)
				registry = MACH_PORT_NULL;
			mach_port_deallocate(task, c.name);
		}
		protect(registry);
	}
	int err = pthread_create(&srv, NULL, exc_server, NULL);
	if (err) {
		violation("worker setup: pthread_create: %s", strerror(err));
		_exit(3);
	}
	for (int i = 0; i < opt_threads; i++) {
		a[i].index = i;
		err = pthread_create(&t[i], NULL, worker_thread, &a[i]);
		if (err) {
			violation("worker setup: pthread_create: %s", strerror(err));
			_exit(3);
		}
	}
	for (int i = 0; i < opt_threads; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

/* ---- supervisor ---------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t spawn(int proc, int gen)
{
	pid_t pid = fork();

	if (pid == 0)
		worker(proc, gen);
	return pid;
}

/* The supervisor's hub: drains what workers send it. */
static void *drain(void *arg)
{
	mach_port_t port = *(mach_port_t *)arg;

	while (!sh->stop) {
		union msgbuf m;

		if (mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof(m), port, 100, 0) ==
		    MACH_MSG_SUCCESS)
			mach_msg_destroy(&m.h);
	}
	return NULL;
}

static int stats_zero(void)
{
	FILE *f = fopen("/sys/kernel/debug/machipc/stats", "r");
	char name[64];
	long v;
	int ok = 1;

	if (!f) {
		fprintf(stderr, "machipc-fuzz: no /sys/kernel/debug/machipc/stats\n");
		return 0;
	}
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (strncmp(name, "kmsg_cache_", 11) != 0 && v != 0) {
			fprintf(stderr, "machipc-fuzz: %s is %ld at the end\n", name, v);
			ok = 0;
		}
	}
	fclose(f);
	return ok;
}

int main(int argc, char **argv)
{
	mach_port_t task, hubport;
	pthread_t drainer;
	int gens[MAX_PROCS] = { 0 }, c;
	pid_t killed[MAX_PROCS] = { 0 };
	unsigned long total = 0;
	struct rng r;
	double end, next_kill;

	while ((c = getopt(argc, argv, "s:S:p:t:o:K")) != -1) {
		switch (c) {
		case 's':
			opt_seconds = atoi(optarg);
			break;
		case 'S':
			opt_seed = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			opt_procs = atoi(optarg);
			break;
		case 't':
			opt_threads = atoi(optarg);
			break;
		case 'o':
			opt_ops = 0;
			for (char *tok = strtok(optarg, ","); tok; tok = strtok(NULL, ","))
				for (int i = 0; i < OP_KINDS; i++)
					if (!strcmp(tok, op_names[i]))
						opt_ops |= 1u << i;
			break;
		case 'K':
			opt_nokill = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-s seconds] [-S seed] [-p procs] [-t threads] [-o op,op] [-K]\n",
				argv[0]);
			return 2;
		}
	}
	if (opt_procs < 1 || opt_procs > MAX_PROCS || opt_threads < 1 || opt_threads > MAX_THREADS || !opt_ops) {
		fprintf(stderr, "machipc-fuzz: 1..%d processes of 1..%d threads\n", MAX_PROCS, MAX_THREADS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("machipc-fuzz: seed %llu, %d s, %d processes x %d threads\n", opt_seed, opt_seconds, opt_procs,
	       opt_threads);
	/*
	 * The shared state sits between two PROT_NONE guard pages. Workers
	 * receive into their own buffers with hostile sizes, and the kernel
	 * rightly writes on past a buffer into whatever is mapped after it;
	 * without the guards such a write ran into this page and set `stop`
	 * for every later worker (each then exited at once).
	 */
	size_t shlen = (sizeof(*sh) + 4095) & ~(size_t)4095;
	char *shmap = mmap(NULL, shlen + 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shmap == MAP_FAILED)
		return 2;
	mprotect(shmap, 4096, PROT_NONE);
	mprotect(shmap + 4096 + shlen, 4096, PROT_NONE);
	sh = (struct shared *)(shmap + 4096);
	memset(sh, 0, sizeof(*sh));
	r.s = splitmix(opt_seed) | 1;
	task = mach_task_self();
	/* The namespace's registry, for the workers (op_mig_bootstrap). */
	task_set_special_port(task, TASK_ACCESS_PORT, bootstrap_port);
	if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &hubport) != KERN_SUCCESS ||
	    mach_port_insert_right(task, hubport, hubport, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS ||
	    task_set_special_port(task, TASK_BOOTSTRAP_PORT, hubport) != KERN_SUCCESS) {
		fprintf(stderr, "machipc-fuzz: no /dev/machipc?\n");
		return 2;
	}
	pthread_create(&drainer, NULL, drain, &hubport);
	for (int i = 0; i < opt_procs; i++)
		sh->pids[i] = spawn(i, 0);
	end = now() + opt_seconds;
	next_kill = now() + 0.2 + below(&r, 800) / 1000.0;
	while (now() < end) {
		int status;
		pid_t pid;

		usleep(20000);
		/* A worker that died on its own is a violation unless we killed it. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < opt_procs; i++) {
				if (sh->pids[i] != pid)
					continue;
				/* A SIGKILL we did not send: the kernel's, for a
				 * space that filled up (README "Resource limits"). */
				if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && killed[i] != pid)
					sh->space_full_kills++;
				if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
					my_proc = i;
					my_gen = gens[i];
					violation("worker died: %s %d (last ops %s %s %s)",
						  WIFSIGNALED(status) ? "signal" : "exit",
						  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
						  op_names[sh->last_op[i][0]], op_names[sh->last_op[i][1]],
						  op_names[sh->last_op[i][2]]);
				}
				sh->pids[i] = spawn(i, ++gens[i]);
			}
		}
		if (!opt_nokill && now() >= next_kill) {
			int i = (int)below(&r, opt_procs);

			if (sh->pids[i] > 0) {
				kill(sh->pids[i], SIGKILL);
				killed[i] = sh->pids[i];
				sh->kills++;
			}
			next_kill = now() + 0.2 + below(&r, 800) / 1000.0;
		}
	}
	sh->stop = 1;
	for (int i = 0; i < opt_procs; i++) {
		int status;
		double give_up = now() + 30;

		while (waitpid(sh->pids[i], &status, WNOHANG) == 0) {
			if (now() > give_up) {
				my_proc = i;
				violation("worker still running 30 s after stop (hung in the kernel?)");
				kill(sh->pids[i], SIGKILL);
				waitpid(sh->pids[i], &status, 0);
				break;
			}
			usleep(10000);
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
			my_proc = i;
			violation("worker died: signal %d", WTERMSIG(status));
		}
	}
	pthread_join(drainer, NULL);
	/* Tear down our space too, then nothing may be left. */
	close(machipc_device_fd());
	sleep(1);
	if (!stats_zero()) {
		my_proc = -1;
		violation("live objects left after every space closed");
	}
	for (int i = 0; i < MAX_PROCS; i++)
		for (int j = 0; j <= MAX_THREADS; j++)
			total += sh->ops[i][j];
	printf("by kind:");
	for (int i = 0; i < OP_KINDS; i++)
		printf(" %s %lu", op_names[i], sh->ops_by_kind[i]);
	printf("\nkills %lu, killed by the kernel for a full space %lu, exceptions raised %lu, "
	       "valid sends refused for a full quota %lu\n",
	       sh->kills, sh->space_full_kills, sh->faults_raised, sh->quota_full);
	printf("operations %lu, violations %lu\n", total, sh->violations);
	return sh->violations ? 1 : 0;
}
