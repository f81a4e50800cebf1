/* SPDX-License-Identifier: MIT */
/* Mach exceptions: a fault becomes an exception_raise RPC to the exception port. */
#include <mach/mach.h>
#include <mach/exc.h>
#include <mach/mach_exc.h>
#include <mach_debug/ipc_info.h>
#include <linux/machipc.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "harness.h"


static mach_port_t exc_port;
static char *page;
static volatile int raised;
static kern_return_t answer = KERN_SUCCESS;

#pragma pack(push, 4)
struct exc_req {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_port_descriptor_t thread, task;
	NDR_record_t ndr;
	exception_type_t exception;
	mach_msg_type_number_t codeCnt;
	int64_t code[2];
	char rest[2048];
};
#pragma pack(pop)

/* Answers the exception request `req` with `ret`. */
static void reply(const mach_msg_header_t *req, kern_return_t ret)
{
	mig_reply_error_t rep;

	memset(&rep, 0, sizeof(rep));
	rep.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(req->msgh_bits), 0);
	rep.Head.msgh_size = sizeof(rep);
	rep.Head.msgh_remote_port = req->msgh_remote_port;
	rep.Head.msgh_id = req->msgh_id + 100;
	rep.NDR = NDR_record;
	rep.RetCode = ret;
	mach_msg(&rep.Head, MACH_SEND_MSG, sizeof(rep), 0, 0, 0, 0);
}

/* Serves one exception with 64-bit codes: maps the page and answers. */
static void *server(void *arg)
{
	struct exc_req r;
	mach_port_type_t t;

	(void)arg;
	if (mach_msg(&r.h, MACH_RCV_MSG, 0, sizeof(r), exc_port, 0, 0) != KERN_SUCCESS)
		return NULL;
	if (r.h.msgh_id != 2405 || r.exception != EXC_BAD_ACCESS || r.codeCnt != 2 ||
	    r.code[1] < (int64_t)(uintptr_t)page || r.code[1] >= (int64_t)(uintptr_t)page + 4096 || !(r.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
	    mach_port_type(mach_task_self(), r.task.name, &t) != KERN_SUCCESS)
		answer = KERN_INVALID_ARGUMENT;
	raised++;
	if (answer == KERN_SUCCESS)
		mprotect(page, 4096, PROT_READ | PROT_WRITE);
	reply(&r.h, answer);
	return NULL;
}

static void setup(void)
{
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &exc_port));
	KR_OK(mach_port_insert_right(mach_task_self(), exc_port, exc_port, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, exc_port,
				       EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, x86_THREAD_STATE64));
}

TEST(fault_is_resumed_after_the_handler_fixes_it)
{
	pthread_t t;

	setup();
	pthread_create(&t, NULL, server, NULL);
	page[10] = 42; /* faults: the server maps the page and says KERN_SUCCESS */
	EXPECT_EQ(page[10], 42);
	pthread_join(t, NULL);
	EXPECT_EQ(raised, 1);
	EXPECT_EQ(answer, KERN_SUCCESS);
}

TEST(get_exception_ports_coalesces)
{
	exception_mask_t masks[EXC_TYPES_COUNT];
	mach_port_t ports[EXC_TYPES_COUNT];
	exception_behavior_t behaviors[EXC_TYPES_COUNT];
	thread_state_flavor_t flavors[EXC_TYPES_COUNT];
	mach_msg_type_number_t n = EXC_TYPES_COUNT;

	setup();
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_ARITHMETIC, exc_port,
				       EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, x86_THREAD_STATE64));
	KR_OK(task_get_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS | EXC_MASK_ARITHMETIC, masks, &n, ports,
				       behaviors, flavors));
	EXPECT_EQ(n, 1);
	EXPECT_EQ(masks[0], EXC_MASK_BAD_ACCESS | EXC_MASK_ARITHMETIC);
	EXPECT_EQ(ports[0], exc_port);
	EXPECT_EQ((unsigned)behaviors[0], EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES);
	EXPECT_EQ(flavors[0], x86_THREAD_STATE64);
	KR(task_set_exception_ports(mach_task_self(), 1u << 20, exc_port, EXCEPTION_DEFAULT, x86_THREAD_STATE64),
	   KERN_INVALID_ARGUMENT);
	KR(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, exc_port, 77, x86_THREAD_STATE64),
	   KERN_INVALID_ARGUMENT);
}

TEST(failure_reply_lets_the_signal_kill)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		pthread_t t;

		answer = KERN_FAILURE;
		setup();
		pthread_create(&t, NULL, server, NULL);
		page[0] = 1;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

/*
 * An unhandled exception becomes a signal, as on XNU: the handler the
 * program had installed for it before setting the exception port runs.
 * The server answers `unhandled_kind` times: 0 a failure RetCode, 1 a
 * reply with the complex bit and a port descriptor (which MIG refuses),
 * 2 a reply one word too long.
 */
static sigjmp_buf own_jb;
static volatile int own_ran, unhandled_kind;

static void own_segv(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	own_ran = sig;
	siglongjmp(own_jb, 1);
}

static void *unhandled_server(void *arg)
{
	struct exc_req r;
	struct {
		mach_msg_header_t h;
		mach_msg_body_t b;
		mach_msg_port_descriptor_t d;
		NDR_record_t ndr;
		kern_return_t ret;
		int extra;
	} bad;

	(void)arg;
	for (;;) {
		if (mach_msg(&r.h, MACH_RCV_MSG, 0, sizeof(r), exc_port, 0, 0) != KERN_SUCCESS)
			return NULL;
		raised++;
		if (unhandled_kind == 0 || raised > 3) {
			reply(&r.h, KERN_FAILURE);
			continue;
		}
		memset(&bad, 0, sizeof(bad));
		bad.h.msgh_remote_port = r.h.msgh_remote_port;
		bad.h.msgh_id = r.h.msgh_id + 100;
		if (unhandled_kind == 1) {
			/* RetCode 0 where a plain reply has it, but complex. */
			bad.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
			bad.h.msgh_size = sizeof(bad) - sizeof(int);
			bad.b.msgh_descriptor_count = 1;
			bad.d.name = mach_task_self();
			bad.d.disposition = MACH_MSG_TYPE_COPY_SEND;
			bad.d.type = MACH_MSG_PORT_DESCRIPTOR;
		} else {
			/* A success reply with a word too many. */
			mig_reply_error_t *m = (mig_reply_error_t *)&bad;

			bad.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
			bad.h.msgh_size = sizeof(mig_reply_error_t) + 4;
			m->NDR = NDR_record;
			m->RetCode = KERN_SUCCESS;
		}
		mach_msg(&bad.h, MACH_SEND_MSG, bad.h.msgh_size, 0, 0, 0, 0);
	}
}

static void unhandled_goes_to_own_handler(int kind)
{
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = own_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	EXPECT_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	unhandled_kind = kind;
	setup(); /* libmach's handler replaces the program's here */
	pthread_create(&t, NULL, unhandled_server, NULL);
	if (sigsetjmp(own_jb, 1) == 0) {
		page[0] = 1;
		FAILF("the fault returned");
	}
	EXPECT_EQ(own_ran, SIGSEGV);
	/* Refused once, then no more requests: the signal took over. */
	EXPECT_EQ(raised, 1);
}

TEST(failure_reply_runs_the_programs_own_signal_handler)
{
	unhandled_goes_to_own_handler(0);
}

TEST(complex_reply_is_refused_as_mig_does)
{
	unhandled_goes_to_own_handler(1);
}

TEST(reply_of_the_wrong_size_is_refused_as_mig_does)
{
	unhandled_goes_to_own_handler(2);
}

TEST(dead_exception_port_lets_the_signal_kill)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		setup();
		mach_port_mod_refs(mach_task_self(), exc_port, MACH_PORT_RIGHT_RECEIVE, -1);
		page[0] = 1;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

#pragma pack(push, 4)
struct state_req {
	mach_msg_header_t h;
	NDR_record_t ndr;
	exception_type_t exception;
	mach_msg_type_number_t codeCnt;
	int64_t code[2];
	int flavor;
	mach_msg_type_number_t old_stateCnt;
	x86_thread_state64_t state;
	char rest[1024];
};
struct state_rep {
	mach_msg_header_t h;
	NDR_record_t ndr;
	kern_return_t ret;
	int flavor;
	mach_msg_type_number_t new_stateCnt;
	x86_thread_state64_t state;
};
#pragma pack(pop)

/* Faults at a known instruction; the handler moves rip to `landing`. */
static volatile int landed;
static void landing(void)
{
	landed = 1;
	/* Leave through exit: the stack frame we jumped into is not ours. */
	_exit(landed == 1 ? 42 : 1);
}

static void *state_server(void *arg)
{
	struct state_req r;
	struct state_rep rep;

	(void)arg;
	if (mach_msg(&r.h, MACH_RCV_MSG, 0, sizeof(r), exc_port, 0, 0) != KERN_SUCCESS)
		return NULL;
	memset(&rep, 0, sizeof(rep));
	rep.h.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(r.h.msgh_bits), 0);
	rep.h.msgh_size = sizeof(rep);
	rep.h.msgh_remote_port = r.h.msgh_remote_port;
	rep.h.msgh_id = r.h.msgh_id + 100;
	rep.ndr = NDR_record;
	rep.ret = (r.h.msgh_id == 2406 && r.flavor == x86_THREAD_STATE64 &&
		   r.old_stateCnt == x86_THREAD_STATE64_COUNT) ? KERN_SUCCESS : KERN_FAILURE;
	rep.flavor = x86_THREAD_STATE64;
	rep.new_stateCnt = x86_THREAD_STATE64_COUNT;
	rep.state = r.state;
	rep.state.__rip = (uint64_t)(uintptr_t)landing;
	/* Keep the stack 16-byte aligned minus a return address, as at a call. */
	rep.state.__rsp = (rep.state.__rsp & ~15ull) - 8;
	mach_msg(&rep.h, MACH_SEND_MSG, sizeof(rep), 0, 0, 0, 0);
	return NULL;
}

TEST(state_behavior_sets_registers_the_thread_then_runs_with)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		pthread_t t;

		page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &exc_port);
		mach_port_insert_right(mach_task_self(), exc_port, exc_port, MACH_MSG_TYPE_MAKE_SEND);
		if (task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, exc_port,
					     EXCEPTION_STATE | MACH_EXCEPTION_CODES, x86_THREAD_STATE64))
			_exit(3);
		pthread_create(&t, NULL, state_server, NULL);
		page[0] = 1;
		_exit(4); /* not reached: the handler sent us to landing() */
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 42);
}

static char *pages;
/* Each faulter's mach_thread_self(), and the thread each fault's request
 * named, by page. */
static mach_port_t faulter_port[4], named_thread[4];

static void *many_server(void *arg)
{
	int n = *(int *)arg;

	for (int i = 0; i < n; i++) {
		struct exc_req r;
		uintptr_t at;

		if (mach_msg(&r.h, MACH_RCV_MSG, 0, sizeof(r), exc_port, 0, 0) != KERN_SUCCESS)
			return NULL;
		at = (uintptr_t)r.code[1] & ~4095ull;
		if (at >= (uintptr_t)pages && at < (uintptr_t)pages + 4 * 4096)
			named_thread[(at - (uintptr_t)pages) / 4096] = r.thread.name;
		/* Map the faulting page (the second code) and resume. */
		mprotect((void *)at, 4096, PROT_READ | PROT_WRITE);
		reply(&r.h, KERN_SUCCESS);
		mach_port_deallocate(mach_task_self(), r.thread.name);
		mach_port_deallocate(mach_task_self(), r.task.name);
	}
	return NULL;
}

static void *faulter(void *arg)
{
	int i = (int)(intptr_t)arg;

	/* Kept (a user reference) until the test checks the names. */
	faulter_port[i] = mach_thread_self();
	pages[i * 4096] = (char)(i + 1);
	return NULL;
}

TEST(exceptions_from_several_threads_at_once)
{
	pthread_t srv, th[4];
	int n = 4;

	pages = mmap(NULL, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &exc_port));
	KR_OK(mach_port_insert_right(mach_task_self(), exc_port, exc_port, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, exc_port,
				       EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, x86_THREAD_STATE64));
	pthread_create(&srv, NULL, many_server, &n);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, faulter, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pthread_join(srv, NULL);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(pages[i * 4096], i + 1);
	/* Each request named the kernel port of the thread that faulted. */
	for (int i = 0; i < 4; i++) {
		EXPECT_TRUE(MACH_PORT_VALID(faulter_port[i]));
		EXPECT_EQ(named_thread[i], faulter_port[i]);
		for (int j = 0; j < i; j++)
			EXPECT_NE(faulter_port[j], faulter_port[i]);
	}
}

/* EXCEPTION_DEFAULT: the handler reads and changes the stopped thread's
 * registers through its thread port, as debuggers do on macOS. */
static void *get_set_state_server(void *arg)
{
	struct exc_req r;
	x86_thread_state64_t st;
	mach_msg_type_number_t cnt = x86_THREAD_STATE64_COUNT;
	kern_return_t kr;

	(void)arg;
	if (mach_msg(&r.h, MACH_RCV_MSG, 0, sizeof(r), exc_port, 0, 0) != KERN_SUCCESS)
		return NULL;
	kr = thread_get_state(r.thread.name, x86_THREAD_STATE64, (thread_state_t)&st, &cnt);
	if (kr == KERN_SUCCESS && cnt == x86_THREAD_STATE64_COUNT && st.__rip != 0) {
		st.__rip = (uint64_t)(uintptr_t)landing;
		st.__rsp = (st.__rsp & ~15ull) - 8;
		kr = thread_set_state(r.thread.name, x86_THREAD_STATE64, (thread_state_t)&st, cnt);
	} else {
		kr = KERN_FAILURE;
	}
	reply(&r.h, kr);
	return NULL;
}

TEST(handler_uses_thread_get_and_set_state)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		pthread_t t;

		page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &exc_port);
		mach_port_insert_right(mach_task_self(), exc_port, exc_port, MACH_MSG_TYPE_MAKE_SEND);
		if (task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, exc_port,
					     EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, x86_THREAD_STATE64))
			_exit(3);
		pthread_create(&t, NULL, get_set_state_server, NULL);
		page[0] = 1;
		_exit(4);
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 42);
}

/* The audit trailer of a received message. */
static const mach_msg_audit_trailer_t *audit_of(const mach_msg_header_t *h)
{
	return (const mach_msg_audit_trailer_t *)((const char *)h + round_msg(h->msgh_size));
}

static mach_msg_audit_trailer_t seen;

/* Serves one exception like server(), keeping the request's audit trailer. */
static void *audit_server(void *arg)
{
	struct exc_req r;

	(void)arg;
	if (mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
				   MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
		     0, sizeof(r), exc_port, 0, 0) != KERN_SUCCESS)
		return NULL;
	seen = *audit_of(&r.h);
	raised++;
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	reply(&r.h, KERN_SUCCESS);
	mach_port_deallocate(mach_task_self(), r.thread.name);
	mach_port_deallocate(mach_task_self(), r.task.name);
	return NULL;
}

/* A real fault's exception is sent by the kernel: audit pid 0 and
 * KERNEL_SECURITY_TOKEN, as on XNU, whoever holds the exception port. */
TEST(exception_message_comes_from_the_kernel)
{
	pthread_t t;

	setup();
	pthread_create(&t, NULL, audit_server, NULL);
	page[20] = 7;
	pthread_join(t, NULL);
	EXPECT_EQ(raised, 1);
	EXPECT_EQ(page[20], 7);
	EXPECT_EQ(seen.msgh_trailer_size, sizeof(mach_msg_audit_trailer_t));
	EXPECT_EQ(seen.msgh_audit.val[5], 0); /* pid */
	EXPECT_EQ(seen.msgh_sender.val[0], 0);
	EXPECT_EQ(seen.msgh_sender.val[1], 1);
}

/* Anyone with a send right can still send an exception_raise lookalike,
 * but its trailer names the sender, so the receiver can tell. */
TEST(forged_exception_raise_carries_the_senders_pid)
{
	struct exc_req req, r;

	setup();
	memset(&req, 0, sizeof(req));
	req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	req.h.msgh_size = offsetof(struct exc_req, rest);
	req.h.msgh_remote_port = exc_port;
	req.h.msgh_id = 2405;
	req.b.msgh_descriptor_count = 2;
	req.thread.disposition = MACH_MSG_TYPE_COPY_SEND;
	req.thread.type = MACH_MSG_PORT_DESCRIPTOR;
	req.task.name = mach_task_self();
	req.task.disposition = MACH_MSG_TYPE_COPY_SEND;
	req.task.type = MACH_MSG_PORT_DESCRIPTOR;
	req.ndr = NDR_record;
	req.exception = EXC_BAD_ACCESS;
	req.codeCnt = 2;
	req.code[0] = KERN_INVALID_ADDRESS;
	req.code[1] = 0xdead000;
	KR_OK(mach_msg(&req.h, MACH_SEND_MSG, req.h.msgh_size, 0, 0, 0, 0));
	KR_OK(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
				     MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
		       0, sizeof(r), exc_port, 0, 0));
	EXPECT_EQ(r.h.msgh_id, 2405);
	EXPECT_EQ(audit_of(&r.h)->msgh_audit.val[5], getpid());
	EXPECT_EQ(audit_of(&r.h)->msgh_sender.val[0], geteuid());
	EXPECT_EQ(audit_of(&r.h)->msgh_sender.val[1], getegid());
	mach_msg_destroy(&r.h);
}

/* What the module answers in a handler of our own. */
static volatile int raise_ret[2];

static int raise_once(int sig)
{
	struct machipc_exc_raise r = { .signo = sig, .reply = mig_get_reply_port() };

	if (ioctl(machipc_device_fd(), MACHIPC_IOC_EXC_RAISE, &r) != 0)
		return -1;
	return r.ret;
}

static void own_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	raise_ret[0] = raise_once(sig);
	raise_ret[1] = raise_once(sig); /* a fault is raised at most once */
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

/* The module raises only a fault the calling thread took: not a signal
 * sent with kill or sigqueue (even with a fault's si_code), and not
 * outside a handler. */
TEST(only_a_real_fault_can_be_raised)
{
	struct sigaction sa;
	siginfo_t si;
	mach_msg_header_t h;

	setup();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = own_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	EXPECT_EQ(raise_once(SIGSEGV), KERN_FAILURE);

	raise(SIGSEGV);
	EXPECT_EQ(raise_ret[0], KERN_FAILURE);

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSEGV;
	si.si_code = SEGV_MAPERR;
	si.si_addr = page;
	EXPECT_EQ(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGSEGV, &si), 0);
	EXPECT_EQ(raise_ret[0], KERN_FAILURE);

	mprotect(page, 4096, PROT_NONE);
	*(volatile char *)&page[1] = 1; /* a real fault: raised (no one answers), once */
	EXPECT_EQ(raise_ret[0], KERN_SUCCESS);
	EXPECT_EQ(raise_ret[1], KERN_FAILURE);
	/* The one request is queued. */
	KR(mach_msg(&h, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0, sizeof(h), exc_port, 0, 0),
	   MACH_RCV_TOO_LARGE);
}

/* Serves one EXC_BREAKPOINT request (64-bit codes) and resumes the thread. */
static void *breakpoint_server(void *arg)
{
	struct exc_req r;

	(void)arg;
	if (mach_msg(&r.h, MACH_RCV_MSG, 0, sizeof(r), exc_port, 0, 0) != KERN_SUCCESS)
		return NULL;
	if (r.h.msgh_id == 2405 && r.exception == EXC_BREAKPOINT && r.codeCnt == 2 && r.code[0] == EXC_I386_BPT)
		raised++;
	reply(&r.h, KERN_SUCCESS);
	return NULL;
}

static void debugtrap(void)
{
#if defined(__has_builtin) && __has_builtin(__builtin_debugtrap)
	__builtin_debugtrap();
#else
	__asm__ volatile("int3");
#endif
}

/*
 * XNU takes flavor 0 (and THREAD_STATE_NONE) with EXCEPTION_DEFAULT; int3
 * raises EXC_BREAKPOINT with EXC_I386_BPT, and a KERN_SUCCESS reply
 * resumes after it. The protected identity needs 64-bit codes.
 */
TEST(breakpoint_raises_exc_breakpoint_with_flavor_none)
{
	exception_mask_t masks[EXC_TYPES_COUNT];
	mach_port_t ports[EXC_TYPES_COUNT];
	exception_behavior_t behaviors[EXC_TYPES_COUNT];
	thread_state_flavor_t flavors[EXC_TYPES_COUNT];
	mach_msg_type_number_t n = EXC_TYPES_COUNT;
	pthread_t t;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &exc_port));
	KR_OK(mach_port_insert_right(mach_task_self(), exc_port, exc_port, MACH_MSG_TYPE_MAKE_SEND));
	KR(task_set_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, exc_port,
				    EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, 14),
	   KERN_INVALID_ARGUMENT);
	KR(task_set_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, exc_port, EXCEPTION_IDENTITY_PROTECTED, 0),
	   KERN_INVALID_ARGUMENT);
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, exc_port,
				       EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, THREAD_STATE_NONE));
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, exc_port,
				       EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, 0));
	KR_OK(task_get_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, masks, &n, ports, behaviors, flavors));
	EXPECT_EQ(n, 1);
	EXPECT_EQ(flavors[0], 0);
	pthread_create(&t, NULL, breakpoint_server, NULL);
	debugtrap();
	pthread_join(t, NULL);
	EXPECT_EQ(raised, 1);
}

/*
 * thread_get_exception_ports lists the thread's own ports only: none until
 * the thread sets one (the task's do not show), then every type asked for,
 * unset ones coalesced under MACH_PORT_NULL, in type order.
 */
TEST(thread_exception_ports_are_the_threads_own)
{
	exception_mask_t masks[EXC_TYPES_COUNT];
	mach_port_t ports[EXC_TYPES_COUNT];
	exception_behavior_t behaviors[EXC_TYPES_COUNT];
	thread_state_flavor_t flavors[EXC_TYPES_COUNT];
	mach_msg_type_number_t n = EXC_TYPES_COUNT;
	thread_act_t th = mach_thread_self();

	setup();
	KR_OK(thread_get_exception_ports(th, EXC_MASK_ALL, masks, &n, ports, behaviors, flavors));
	EXPECT_EQ(n, 0);
	KR(thread_set_exception_ports(th, EXC_MASK_ARITHMETIC, exc_port, EXCEPTION_DEFAULT, 14), KERN_INVALID_ARGUMENT);
	KR(thread_set_exception_ports(th, EXC_MASK_ARITHMETIC, exc_port, 77, 0), KERN_INVALID_ARGUMENT);
	n = EXC_TYPES_COUNT;
	KR_OK(thread_get_exception_ports(th, EXC_MASK_ALL, masks, &n, ports, behaviors, flavors));
	EXPECT_EQ(n, 0);
	KR_OK(thread_set_exception_ports(th, EXC_MASK_ARITHMETIC, exc_port, EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES,
					 0));
	n = EXC_TYPES_COUNT;
	KR_OK(thread_get_exception_ports(th, EXC_MASK_BAD_ACCESS | EXC_MASK_ARITHMETIC, masks, &n, ports, behaviors,
					 flavors));
	EXPECT_EQ(n, 2);
	EXPECT_EQ(masks[0], EXC_MASK_BAD_ACCESS);
	EXPECT_EQ(ports[0], MACH_PORT_NULL);
	EXPECT_EQ(masks[1], EXC_MASK_ARITHMETIC);
	EXPECT_EQ(ports[1], exc_port);
	EXPECT_EQ((unsigned)behaviors[1], EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES);
	EXPECT_EQ(flavors[1], 0);
}

/* The kernel's hash of `name`'s port, as mach_port_space_info shows it. */
static natural_t port_object(mach_port_t name)
{
	ipc_info_space_t info;
	ipc_info_name_array_t table;
	ipc_info_tree_name_array_t tree;
	mach_msg_type_number_t tblcnt = 0, treecnt = 0;
	natural_t object = 0;

	KR_OK(mach_port_space_info(mach_task_self(), &info, &table, &tblcnt, &tree, &treecnt));
	for (mach_msg_type_number_t i = 0; i < tblcnt; i++)
		if (table[i].iin_name == name)
			object = table[i].iin_object;
	vm_deallocate(mach_task_self(), (vm_address_t)table, tblcnt * sizeof(*table));
	vm_deallocate(mach_task_self(), (vm_address_t)tree, treecnt * sizeof(*tree));
	return object;
}

/* XNU's tests/exception_ports_info.c: three handlers on the task, coalesced
 * as task_get_exception_ports does, each port shown by its hashed object
 * (nonzero, as mach_port_space_info's) and its receiver's; the thread has
 * none of its own. */
TEST(exception_ports_info_as_xnu)
{
	exception_mask_t masks[EXC_TYPES_COUNT], masks2[EXC_TYPES_COUNT];
	ipc_info_port_t info[EXC_TYPES_COUNT];
	mach_port_t ports[EXC_TYPES_COUNT], p[3];
	exception_behavior_t behaviors[EXC_TYPES_COUNT], behaviors2[EXC_TYPES_COUNT];
	thread_state_flavor_t flavors[EXC_TYPES_COUNT], flavors2[EXC_TYPES_COUNT];
	const exception_mask_t set[3] = { EXC_MASK_GUARD, EXC_MASK_RPC_ALERT,
					  EXC_MASK_RESOURCE | EXC_MASK_BREAKPOINT | EXC_MASK_SYSCALL };
	const exception_behavior_t b = EXCEPTION_STATE_IDENTITY | MACH_EXCEPTION_CODES;
	mach_msg_type_number_t n = EXC_TYPES_COUNT, n2 = EXC_TYPES_COUNT;
	thread_act_t th = mach_thread_self();
	natural_t receiver = 0;
	int found = 0;

	setup();
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_ALL, MACH_PORT_NULL, EXCEPTION_DEFAULT, 0));
	for (int i = 0; i < 3; i++) {
		KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p[i]));
		KR_OK(mach_port_insert_right(mach_task_self(), p[i], p[i], MACH_MSG_TYPE_MAKE_SEND));
		KR_OK(task_set_exception_ports(mach_task_self(), set[i], p[i], b, THREAD_STATE_NONE));
	}
	KR_OK(thread_get_exception_ports_info(th, EXC_MASK_ALL, masks, &n, info, behaviors, flavors));
	EXPECT_EQ(n, 0);
	n = EXC_TYPES_COUNT;
	KR_OK(task_get_exception_ports_info(mach_task_self(), EXC_MASK_ALL, masks, &n, info, behaviors, flavors));
	EXPECT_EQ(n, 4);
	KR_OK(task_get_exception_ports(mach_task_self(), EXC_MASK_ALL, masks2, &n2, ports, behaviors2, flavors2));
	EXPECT_EQ(n2, n);
	EXPECT_EQ(memcmp(masks, masks2, n * sizeof(*masks)), 0);
	EXPECT_EQ(memcmp(behaviors, behaviors2, n * sizeof(*behaviors)), 0);
	EXPECT_EQ(memcmp(flavors, flavors2, n * sizeof(*flavors)), 0);
	for (mach_msg_type_number_t j = 0; j < n; j++) {
		if (ports[j] == MACH_PORT_NULL) {
			EXPECT_EQ(info[j].iip_port_object, 0);
			EXPECT_EQ(info[j].iip_receiver_object, 0);
			continue;
		}
		for (int i = 0; i < 3; i++) {
			if (info[j].iip_port_object != port_object(p[i]))
				continue;
			found |= 1 << i;
			EXPECT_NE(info[j].iip_port_object, 0);
			EXPECT_EQ(masks[j], set[i]);
			EXPECT_EQ((unsigned)behaviors[j], (unsigned)b);
			/* All three are received by this task. */
			EXPECT_NE(info[j].iip_receiver_object, 0);
			if (!receiver)
				receiver = info[j].iip_receiver_object;
			EXPECT_EQ(info[j].iip_receiver_object, receiver);
		}
		mach_port_deallocate(mach_task_self(), ports[j]);
	}
	EXPECT_EQ(found, 7);
	/* The receiver is named as mach_port_kernel_object names this task. */
	{
		unsigned kotype = 0, kobject = 0;

		KR_OK(mach_port_kernel_object(mach_task_self(), mach_task_self(), &kotype, &kobject));
		EXPECT_EQ(kobject, receiver);
	}
	/* A bad mask is KERN_INVALID_ARGUMENT for both. */
	n = EXC_TYPES_COUNT;
	KR(task_get_exception_ports_info(mach_task_self(), 1u << 20, masks, &n, info, behaviors, flavors),
	   KERN_INVALID_ARGUMENT);
	KR(thread_get_exception_ports_info(th, 1u << 20, masks, &n, info, behaviors, flavors), KERN_INVALID_ARGUMENT);
	/* The thread's own handler shows the same port object as the task's. */
	KR_OK(thread_set_exception_ports(th, EXC_MASK_GUARD, p[0], b, THREAD_STATE_NONE));
	n = EXC_TYPES_COUNT;
	KR_OK(thread_get_exception_ports_info(th, EXC_MASK_GUARD, masks, &n, info, behaviors, flavors));
	EXPECT_EQ(n, 1);
	EXPECT_EQ(masks[0], EXC_MASK_GUARD);
	EXPECT_EQ(info[0].iip_port_object, port_object(p[0]));
	EXPECT_NE(info[0].iip_port_object, 0);
	KR_OK(thread_set_exception_ports(th, EXC_MASK_GUARD, MACH_PORT_NULL, EXCEPTION_DEFAULT, 0));
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_ALL, MACH_PORT_NULL, EXCEPTION_DEFAULT, 0));
}

/*
 * A forked child takes its parent's exception ports with their behavior
 * and flavor (XNU's ipc_task_init): its int3 reaches the port the parent
 * set, in the parent's space, and the parent's reply resumes the child.
 * The child makes no Mach call before its trap.
 */
TEST(forked_child_inherits_the_task_exception_ports)
{
	exception_mask_t masks[EXC_TYPES_COUNT];
	mach_port_t ports[EXC_TYPES_COUNT];
	exception_behavior_t behaviors[EXC_TYPES_COUNT];
	thread_state_flavor_t flavors[EXC_TYPES_COUNT];
	mach_msg_type_number_t n = EXC_TYPES_COUNT;
	int fds[2], status = -1;
	struct exc_req r;
	pid_t child;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &exc_port));
	KR_OK(mach_port_insert_right(mach_task_self(), exc_port, exc_port, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, exc_port,
				       EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES, THREAD_STATE_NONE));
	if (pipe(fds) != 0) {
		FAILF("pipe");
		return;
	}
	child = fork();
	if (child < 0) {
		FAILF("fork");
		return;
	}
	if (child == 0) {
		char c;

		if (read(fds[0], &c, 1) != 1)
			_exit(10);
		debugtrap();
		/* Resumed by the parent's reply: now look at what was inherited. */
		if (task_get_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, masks, &n, ports, behaviors,
					     flavors) != KERN_SUCCESS)
			_exit(11);
		if (n != 1 || !MACH_PORT_VALID(ports[0]) || behaviors[0] != (exception_behavior_t)(EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES) ||
		    flavors[0] != THREAD_STATE_NONE)
			_exit(12);
		_exit(0);
	}
	EXPECT_EQ(write(fds[1], "x", 1), 1);
	/* Without the inherited port the child dies of SIGTRAP: no request. */
	KR_OK(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), exc_port, 20000, 0));
	EXPECT_EQ(r.h.msgh_id, 2405);
	EXPECT_EQ(r.exception, EXC_BREAKPOINT);
	EXPECT_EQ(r.code[0], EXC_I386_BPT);
	reply(&r.h, KERN_SUCCESS);
	EXPECT_EQ(waitpid(child, &status, 0), child);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	close(fds[0]);
	close(fds[1]);
	KR_OK(task_set_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT, MACH_PORT_NULL, EXCEPTION_DEFAULT, 0));
	KR_OK(mach_port_mod_refs(mach_task_self(), exc_port, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_deallocate(mach_task_self(), exc_port));
}
