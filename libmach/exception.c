/* SPDX-License-Identifier: MIT */
/*
 * Mach exceptions on Linux. The kernel keeps each task's exception ports;
 * a fault reaches libmach as a signal (Linux has no hook a module could use
 * in fault delivery), and libmach's handler asks the module to raise it
 * (MACHIPC_IOC_EXC_RAISE). The module checks that the thread really took
 * that fault, builds XNU's exception_raise request from its own record of
 * it, and sends it as the kernel (audit pid 0, KERNEL_SECURITY_TOKEN):
 *
 *   SIGSEGV, SIGBUS -> EXC_BAD_ACCESS     (code: KERN_INVALID_ADDRESS or
 *                                          KERN_PROTECTION_FAILURE, address)
 *   SIGILL          -> EXC_BAD_INSTRUCTION (EXC_I386_INVOP)
 *   SIGFPE          -> EXC_ARITHMETIC     (EXC_I386_DIV, ...)
 *   SIGTRAP         -> EXC_BREAKPOINT     (EXC_I386_BPT or EXC_I386_SGL)
 *
 * task/thread_set_exception_ports install SA_SIGINFO|SA_ONSTACK handlers
 * for the signals of the masks they are given. A thread's own ports take
 * precedence over the task's (libmach passes them; the module knows the
 * task's). The request has the behavior registered (EXCEPTION_DEFAULT,
 * EXCEPTION_STATE, EXCEPTION_STATE_IDENTITY, optionally
 * MACH_EXCEPTION_CODES); the handler waits for the reply on the thread's
 * reply port, which is made when a port is set (so raising needs no
 * allocation): KERN_SUCCESS resumes the thread (with the new
 * x86_THREAD_STATE64 for the state behaviors). Any other reply (a reply
 * MIG would refuse, complex or of the wrong size, counts as
 * MIG_TYPE_ERROR), a dead exception port, or a signal that is no fault
 * (kill, sigqueue) leaves the exception unhandled, and then, as XNU turns
 * an unhandled exception into a signal, the handler the program had for
 * that signal before libmach's runs; with none, the default action
 * happens (the signal is let happen again), so the process dies of it. A
 * handler the program installs afterwards for the same signal replaces
 * libmach's: Mach exceptions are then not raised for it.
 */
#include "internal.h"
#include "mig_ids.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <ucontext.h>
#include <unistd.h>

#define EXC_SLOTS 14
#define EXC_MASK_VALID 0x3ffe

struct exc_slot {
	mach_port_t port;
	exception_behavior_t behavior;
	thread_state_flavor_t flavor;
};

/* Per-thread exception ports (thread_set_exception_ports on oneself). */
static __thread struct exc_slot thread_exc[EXC_SLOTS];
/* Whether the thread ever set a port (XNU's thread exc_actions table, made
 * by the first thread_set_exception_ports): until then it has none to list. */
static __thread int thread_exc_used;

mach_port_t mach_thread_self(void)
{
	/* The calling thread's kernel port (the same one every time, made by
	 * the module on first use); each call returns a new send right
	 * reference, as in XNU. */
	struct machipc_port_call c = { 0 };

	if (machipc_port_call(MACHIPC_IOC_THREAD_SELF, &c) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	return c.name;
}
MACHIPC_TRAP_ALIAS(thread_self_trap, mach_thread_self);

/* Whether `thread` is the caller's name for its own thread port. */
static int is_own_thread(thread_act_t thread)
{
	mach_port_t self = mach_thread_self();

	if (self == MACH_PORT_NULL)
		return 0;
	/* The caller holds `thread` if it is ours: the name outlives this. */
	mach_port_deallocate(mach_task_self(), self);
	return thread == self;
}

static int exc_signals(exception_mask_t mask, int *sigs)
{
	int n = 0;

	if (mask & EXC_MASK_BAD_ACCESS) {
		sigs[n++] = SIGSEGV;
		sigs[n++] = SIGBUS;
	}
	if (mask & EXC_MASK_BAD_INSTRUCTION)
		sigs[n++] = SIGILL;
	if (mask & EXC_MASK_ARITHMETIC)
		sigs[n++] = SIGFPE;
	if (mask & EXC_MASK_BREAKPOINT)
		sigs[n++] = SIGTRAP;
	return n;
}

/* The exception type a fault signal stands for (the module works out the
 * codes from its own record of the fault). */
static exception_type_t exc_of_signal(int sig)
{
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
		return EXC_BAD_ACCESS;
	case SIGILL:
		return EXC_BAD_INSTRUCTION;
	case SIGFPE:
		return EXC_ARITHMETIC;
	default:
		return EXC_BREAKPOINT;
	}
}

static void state_from_uc(x86_thread_state64_t *s, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	memset(s, 0, sizeof(*s));
	s->__rax = g[REG_RAX];
	s->__rbx = g[REG_RBX];
	s->__rcx = g[REG_RCX];
	s->__rdx = g[REG_RDX];
	s->__rdi = g[REG_RDI];
	s->__rsi = g[REG_RSI];
	s->__rbp = g[REG_RBP];
	s->__rsp = g[REG_RSP];
	s->__r8 = g[REG_R8];
	s->__r9 = g[REG_R9];
	s->__r10 = g[REG_R10];
	s->__r11 = g[REG_R11];
	s->__r12 = g[REG_R12];
	s->__r13 = g[REG_R13];
	s->__r14 = g[REG_R14];
	s->__r15 = g[REG_R15];
	s->__rip = g[REG_RIP];
	s->__rflags = g[REG_EFL];
	s->__cs = g[REG_CSGSFS] & 0xffff;
}

static void state_to_uc(const x86_thread_state64_t *s, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RAX] = s->__rax;
	g[REG_RBX] = s->__rbx;
	g[REG_RCX] = s->__rcx;
	g[REG_RDX] = s->__rdx;
	g[REG_RDI] = s->__rdi;
	g[REG_RSI] = s->__rsi;
	g[REG_RBP] = s->__rbp;
	g[REG_RSP] = s->__rsp;
	g[REG_R8] = s->__r8;
	g[REG_R9] = s->__r9;
	g[REG_R10] = s->__r10;
	g[REG_R11] = s->__r11;
	g[REG_R12] = s->__r12;
	g[REG_R13] = s->__r13;
	g[REG_R14] = s->__r14;
	g[REG_R15] = s->__r15;
	g[REG_RIP] = s->__rip;
	g[REG_EFL] = s->__rflags;
}

union exc_buf {
	mach_msg_header_t h;
	char bytes[sizeof(mach_msg_header_t) + 16 + THREAD_STATE_MAX * 4 + MAX_TRAILER_SIZE];
};

/* Has the module raise the exception of the fault behind signal `sig`
 * (to the thread's own handler `h` if it has one, else the task's) and
 * waits for the reply; returns its RetCode (or the raise's or mach_msg's
 * error); for the state behaviors updates *state and sets *new_state. */
static kern_return_t raise_rpc(int sig, const struct exc_slot *h, x86_thread_state64_t *state, int *new_state)
{
	union exc_buf rep;
	struct machipc_exc_raise r = {
		.signo = sig,
		.thread = MACH_PORT_NULL, /* the module names the calling thread */
		.reply = mig_get_reply_port(),
		.state = (uintptr_t)state,
	};
	mach_msg_return_t mr;
	int behavior;

	*new_state = 0;
	if (h) {
		r.port = h->port;
		r.behavior = (uint32_t)h->behavior;
		r.flavor = (uint32_t)h->flavor;
	}
	if (ioctl(machipc_device_fd(), MACHIPC_IOC_EXC_RAISE, &r) != 0)
		return KERN_FAILURE;
	if (r.ret != KERN_SUCCESS)
		return r.ret;
	behavior = (int)(r.out_behavior & ~MACH_EXCEPTION_MASK);
	do
		mr = machipc_msg_trap(&rep.h, MACH_RCV_MSG, 0, sizeof(rep), r.reply, MACH_MSG_TIMEOUT_NONE,
				      &rep.h);
	while (mr == MACH_RCV_INTERRUPTED);
	if (mr != MACH_MSG_SUCCESS)
		return mr;
	if (rep.h.msgh_id != r.id + 100) {
		mach_msg_destroy(&rep.h);
		return MIG_REPLY_MISMATCH;
	}
	/* A reply MIG's client stub would refuse: complex, or not of the
	 * routine's size (an error reply is a bare RetCode). */
	const mach_msg_size_t error_size = sizeof(mig_reply_error_t);
	int stateful = behavior == EXCEPTION_STATE || behavior == EXCEPTION_STATE_IDENTITY;

	if ((rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) || rep.h.msgh_size < error_size ||
	    (!stateful && rep.h.msgh_size != error_size)) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	/* Reply: NDR, RetCode, then for the state behaviors flavor, count, state. */
	const char *q = rep.bytes + sizeof(mach_msg_header_t) + sizeof(NDR_record_t);
	kern_return_t ret;

	memcpy(&ret, q, 4);
	q += 4;
	if (!stateful || (rep.h.msgh_size == error_size && ret != KERN_SUCCESS))
		return ret;
	mach_msg_type_number_t count;

	if (rep.h.msgh_size < error_size + 8)
		return MIG_TYPE_ERROR;
	memcpy(&count, q + 4, 4);
	if (count > THREAD_STATE_MAX || rep.h.msgh_size != error_size + 8 + count * 4)
		return MIG_TYPE_ERROR;
	if (ret == KERN_SUCCESS && count * 4 >= sizeof(*state)) {
		memcpy(state, q + 8, sizeof(*state));
		*new_state = 1;
	}
	return ret;
}

/*
 * The disposition each fault signal had before libmach's handler replaced
 * it: XNU delivers an exception nobody handled as a signal, so that
 * handler runs then. Written when a port is set, read in the handler.
 */
static struct sigaction prior_action[NSIG];
static volatile sig_atomic_t prior_saved[NSIG];

/*
 * Threads stopped in an exception, by thread port, so that the handler
 * can read and change their registers with thread_get_state and
 * thread_set_state while they wait for its reply (as on XNU, where a
 * thread raising an exception is suspended in the kernel).
 */
#define STOPPED_MAX 64
static struct {
	mach_port_t thread;
	ucontext_t *uc;
} stopped[STOPPED_MAX];
static pthread_mutex_t stopped_lock = PTHREAD_MUTEX_INITIALIZER;

static int stop_thread(mach_port_t thread, ucontext_t *uc)
{
	int slot = -1;

	pthread_mutex_lock(&stopped_lock);
	for (int i = 0; i < STOPPED_MAX; i++) {
		if (stopped[i].thread == MACH_PORT_NULL) {
			stopped[i].thread = thread;
			stopped[i].uc = uc;
			slot = i;
			break;
		}
	}
	pthread_mutex_unlock(&stopped_lock);
	return slot;
}

static void resume_thread(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&stopped_lock);
	stopped[slot].thread = MACH_PORT_NULL;
	stopped[slot].uc = NULL;
	pthread_mutex_unlock(&stopped_lock);
}

/* Runs `fn` on the saved context of the stopped thread `thread`. */
static kern_return_t with_stopped(mach_port_t thread, kern_return_t (*fn)(ucontext_t *, void *), void *arg)
{
	kern_return_t kr = KERN_INVALID_ARGUMENT;

	pthread_mutex_lock(&stopped_lock);
	for (int i = 0; i < STOPPED_MAX; i++) {
		if (stopped[i].thread == thread && thread != MACH_PORT_NULL) {
			kr = fn(stopped[i].uc, arg);
			break;
		}
	}
	pthread_mutex_unlock(&stopped_lock);
	return kr;
}

struct state_arg {
	thread_state_flavor_t flavor;
	thread_state_t state;
	mach_msg_type_number_t *count;
	mach_msg_type_number_t in_count;
};

static kern_return_t get_state(ucontext_t *uc, void *p)
{
	struct state_arg *a = p;

	if (a->flavor != x86_THREAD_STATE64)
		return KERN_INVALID_ARGUMENT;
	if (*a->count < x86_THREAD_STATE64_COUNT)
		return KERN_INVALID_ARGUMENT;
	state_from_uc((x86_thread_state64_t *)a->state, uc);
	*a->count = x86_THREAD_STATE64_COUNT;
	return KERN_SUCCESS;
}

static kern_return_t set_state(ucontext_t *uc, void *p)
{
	struct state_arg *a = p;

	if (a->flavor != x86_THREAD_STATE64 || a->in_count < x86_THREAD_STATE64_COUNT)
		return KERN_INVALID_ARGUMENT;
	state_to_uc((const x86_thread_state64_t *)a->state, uc);
	return KERN_SUCCESS;
}

/* Registers of a thread stopped in an exception (x86_THREAD_STATE64). Other
 * threads cannot be inspected: KERN_INVALID_ARGUMENT. */
kern_return_t thread_get_state(thread_read_t target_act, thread_state_flavor_t flavor, thread_state_t old_state,
			       mach_msg_type_number_t *old_stateCnt)
{
	struct state_arg a = { flavor, old_state, old_stateCnt, 0 };

	return with_stopped(target_act, get_state, &a);
}

kern_return_t thread_set_state(thread_act_t target_act, thread_state_flavor_t flavor, thread_state_t new_state,
			       mach_msg_type_number_t new_stateCnt)
{
	struct state_arg a = { flavor, new_state, NULL, new_stateCnt };

	return with_stopped(target_act, set_state, &a);
}

static void exc_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	exception_type_t exc = exc_of_signal(sig);
	struct exc_slot *own = thread_exc[exc].port != MACH_PORT_NULL ? &thread_exc[exc] : NULL;
	x86_thread_state64_t state;
	kern_return_t kr;
	int saved = errno;
	int slot, new_state;
	/* Held while the handler may name the thread (the request carries the
	 * same port: the handler, in this space, gets this name). */
	mach_port_t self = mach_thread_self();

	slot = stop_thread(self, uc);
	state_from_uc(&state, uc);
	kr = raise_rpc(sig, own, &state, &new_state);
	resume_thread(slot);
	if (self != MACH_PORT_NULL)
		mach_port_deallocate(mach_task_self(), self);
	if (kr == KERN_SUCCESS && new_state)
		state_to_uc(&state, uc);
	errno = saved;
	if (kr == KERN_SUCCESS)
		return;
	/* Not handled: the program's own handler, if it had one, runs as for
	 * the signal XNU sends (without its sa_mask: this handler's frame is
	 * the signal's). If it returns, the fault repeats and is raised again. */
	if (prior_saved[sig]) {
		const struct sigaction *p = &prior_action[sig];

		if (p->sa_flags & SA_SIGINFO) {
			p->sa_sigaction(sig, si, ucv);
			return;
		}
		if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
			p->sa_handler(sig);
			return;
		}
	}
	/* Else the default action happens when the fault repeats (or now, for
	 * a trap that does not repeat or a sent signal). */
	signal(sig, SIG_DFL);
	if (sig == SIGTRAP || si->si_code <= 0)
		raise(sig);
}

static void install(exception_mask_t mask)
{
	struct sigaction sa;
	int sigs[8], n = exc_signals(mask, sigs);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = exc_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < n; i++) {
		struct sigaction old;

		if (sigaction(sigs[i], &sa, &old) != 0)
			continue;
		/* Keep the program's disposition, not libmach's own. */
		if (!((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == exc_handler)) {
			prior_saved[sigs[i]] = 0;
			prior_action[sigs[i]] = old;
			prior_saved[sigs[i]] = 1;
		}
	}
	/* Reserve what raising needs now, not in the fault. */
	mig_get_reply_port();
	mach_port_deallocate(mach_task_self(), mach_thread_self());
}

/* MIG's reply of task_get/swap_exception_ports (EXC_TYPES_COUNT port
 * descriptors, then NDR and the packed arrays). */
struct exc_ports_reply {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t handlers[EXC_TYPES_COUNT];
	NDR_record_t ndr;
	mach_msg_type_number_t count;
	uint32_t arrays[3 * EXC_TYPES_COUNT];
	mach_msg_max_trailer_t trailer;
};

/* Sends a task_get or task_swap_exception_ports request and unpacks the
 * coalesced handlers. */
static kern_return_t mig_exc_ports(mach_port_t task, int id, exception_mask_t mask, mach_port_t new_port,
				   exception_behavior_t behavior, thread_state_flavor_t flavor,
				   exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
				   exception_handler_array_t handlers, exception_behavior_array_t behaviors,
				   exception_flavor_array_t flavors)
{
	union {
		struct {
			mach_msg_header_t h;
			NDR_record_t ndr;
			uint32_t mask;
		} get;
		struct {
			mach_msg_header_t h;
			mach_msg_body_t body;
			mach_msg_port_descriptor_t port;
			NDR_record_t ndr;
			uint32_t args[3];
		} swap;
	} req;
	struct exc_ports_reply rep;
	mach_msg_size_t size;
	kern_return_t kr;

	memset(&req, 0, sizeof(req));
	if (id == MIG_TASK_GET_EXCEPTION_PORTS) {
		req.get.ndr = NDR_record;
		req.get.mask = mask;
		size = sizeof(req.get);
	} else {
		req.swap.h.msgh_bits = MACH_MSGH_BITS_COMPLEX;
		req.swap.body.msgh_descriptor_count = 1;
		req.swap.port.name = new_port;
		req.swap.port.disposition = MACH_MSG_TYPE_COPY_SEND;
		req.swap.port.type = MACH_MSG_PORT_DESCRIPTOR;
		req.swap.ndr = NDR_record;
		req.swap.args[0] = mask;
		req.swap.args[1] = (uint32_t)behavior;
		req.swap.args[2] = (uint32_t)flavor;
		size = sizeof(req.swap);
	}
	kr = machipc_mig_rpc(task, &req.get.h, size, id, &rep.h, sizeof(rep));
	if (kr != KERN_SUCCESS)
		return kr;
	if (!(rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX))
		return ((mig_reply_error_t *)&rep)->RetCode;
	mach_msg_type_number_t n = rep.count;

	if (n > EXC_TYPES_COUNT || n > *masksCnt) {
		mach_msg_destroy(&rep.h);
		return MIG_ARRAY_TOO_LARGE;
	}
	for (mach_msg_type_number_t i = 0; i < n; i++) {
		masks[i] = rep.arrays[i];
		handlers[i] = rep.handlers[i].name;
		behaviors[i] = (exception_behavior_t)rep.arrays[n + i];
		flavors[i] = (thread_state_flavor_t)rep.arrays[2 * n + i];
	}
	*masksCnt = n;
	return KERN_SUCCESS;
}

/* task_get_exception_ports_info: the handlers as task_get_exception_ports
 * coalesces them, each port as an ipc_info_port_t (hashed addresses of the
 * port and of the task holding its receive right, 0 for none). */
kern_return_t task_get_exception_ports_info(mach_port_t port, exception_mask_t exception_mask,
					    exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
					    exception_handler_info_array_t old_handlers_info,
					    exception_behavior_array_t old_behaviors, exception_flavor_array_t old_flavors)
{
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		uint32_t mask;
	} req;
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		kern_return_t ret;
		mach_msg_type_number_t count;
		uint32_t arrays[5 * EXC_TYPES_COUNT];
		mach_msg_max_trailer_t trailer;
	} rep;
	kern_return_t kr;

	memset(&req, 0, sizeof(req));
	req.ndr = NDR_record;
	req.mask = exception_mask;
	kr = machipc_mig_rpc(port, &req.h, sizeof(req), MIG_TASK_GET_EXCEPTION_PORTS_INFO, &rep.h, sizeof(rep));
	if (kr != KERN_SUCCESS)
		return kr;
	if (rep.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
		mach_msg_destroy(&rep.h);
		return MIG_TYPE_ERROR;
	}
	if (rep.ret != KERN_SUCCESS)
		return rep.ret;
	mach_msg_type_number_t n = rep.count;

	if (n > EXC_TYPES_COUNT || n > *masksCnt)
		return MIG_ARRAY_TOO_LARGE;
	for (mach_msg_type_number_t i = 0; i < n; i++) {
		masks[i] = rep.arrays[i];
		old_handlers_info[i].iip_port_object = rep.arrays[n + 2 * i];
		old_handlers_info[i].iip_receiver_object = rep.arrays[n + 2 * i + 1];
		old_behaviors[i] = (exception_behavior_t)rep.arrays[3 * n + i];
		old_flavors[i] = (thread_state_flavor_t)rep.arrays[4 * n + i];
	}
	*masksCnt = n;
	return KERN_SUCCESS;
}

kern_return_t task_set_exception_ports(task_t task, exception_mask_t exception_mask, mach_port_t new_port,
				       exception_behavior_t behavior, thread_state_flavor_t new_flavor)
{
	struct machipc_port_call c = { .flavor = exception_mask, .name = new_port, .right = (uint32_t)behavior,
				       .value = (uint32_t)new_flavor };
	kern_return_t kr;

	if (!machipc_is_self(task)) {
		uint32_t a[] = { exception_mask, (uint32_t)behavior, (uint32_t)new_flavor };

		return machipc_mig_port_in(task, MIG_TASK_SET_EXCEPTION_PORTS, new_port, MACH_MSG_TYPE_COPY_SEND, a,
					   sizeof(a));
	}
	kr = machipc_port_call(MACHIPC_IOC_SET_EXCEPTION_PORTS, &c);
	if (kr == KERN_SUCCESS && MACH_PORT_VALID(new_port))
		install(exception_mask);
	return kr;
}

kern_return_t task_get_exception_ports(task_t task, exception_mask_t exception_mask, exception_mask_array_t masks,
				       mach_msg_type_number_t *masksCnt, exception_handler_array_t old_handlers,
				       exception_behavior_array_t old_behaviors, exception_flavor_array_t old_flavors)
{
	struct machipc_exc_entry e[EXC_SLOTS];
	struct machipc_port_call c = { .flavor = exception_mask, .count = *masksCnt < EXC_SLOTS ? *masksCnt : EXC_SLOTS,
				       .data = (uintptr_t)e };
	kern_return_t kr;

	if (!machipc_is_self(task))
		return mig_exc_ports(task, MIG_TASK_GET_EXCEPTION_PORTS, exception_mask, MACH_PORT_NULL, 0, 0, masks,
				     masksCnt, old_handlers, old_behaviors, old_flavors);
	kr = machipc_port_call(MACHIPC_IOC_GET_EXCEPTION_PORTS, &c);
	if (kr != KERN_SUCCESS)
		return kr;
	for (unsigned i = 0; i < c.count; i++) {
		masks[i] = e[i].mask;
		old_handlers[i] = e[i].port;
		old_behaviors[i] = (exception_behavior_t)e[i].behavior;
		old_flavors[i] = (thread_state_flavor_t)e[i].flavor;
	}
	*masksCnt = c.count;
	return KERN_SUCCESS;
}

kern_return_t task_swap_exception_ports(task_t task, exception_mask_t exception_mask, mach_port_t new_port,
					exception_behavior_t behavior, thread_state_flavor_t new_flavor,
					exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
					exception_handler_array_t old_handlers, exception_behavior_array_t old_behaviors,
					exception_flavor_array_t old_flavors)
{
	kern_return_t kr;

	if (!machipc_is_self(task))
		return mig_exc_ports(task, MIG_TASK_SWAP_EXCEPTION_PORTS, exception_mask, new_port, behavior, new_flavor,
				     masks, masksCnt, old_handlers, old_behaviors, old_flavors);
	kr = task_get_exception_ports(task, exception_mask, masks, masksCnt, old_handlers, old_behaviors, old_flavors);
	if (kr != KERN_SUCCESS)
		return kr;
	return task_set_exception_ports(task, exception_mask, new_port, behavior, new_flavor);
}

kern_return_t thread_swap_exception_ports(thread_act_t thread, exception_mask_t exception_mask, mach_port_t new_port,
					  exception_behavior_t behavior, thread_state_flavor_t new_flavor,
					  exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
					  exception_handler_array_t old_handlers, exception_behavior_array_t old_behaviors,
					  exception_flavor_array_t old_flavors)
{
	kern_return_t kr = thread_get_exception_ports(thread, exception_mask, masks, masksCnt, old_handlers,
						      old_behaviors, old_flavors);

	if (kr != KERN_SUCCESS)
		return kr;
	return thread_set_exception_ports(thread, exception_mask, new_port, behavior, new_flavor);
}

kern_return_t thread_set_exception_ports(thread_act_t thread, exception_mask_t exception_mask, mach_port_t new_port,
					 exception_behavior_t behavior, thread_state_flavor_t new_flavor)
{
	exception_behavior_t b = behavior & ~MACH_EXCEPTION_MASK;

	if (thread == MACH_PORT_NULL || !is_own_thread(thread))
		return KERN_INVALID_ARGUMENT;
	/* XNU's set_exception_ports_validation, as the module's for the task. */
	if (exception_mask & ~(exception_mask_t)EXC_MASK_VALID)
		return KERN_INVALID_ARGUMENT;
	if (MACH_PORT_VALID(new_port) && (b < EXCEPTION_DEFAULT || b > EXCEPTION_STATE_IDENTITY_PROTECTED))
		return KERN_INVALID_ARGUMENT;
	if (new_flavor != 0 && !VALID_THREAD_STATE_FLAVOR(new_flavor))
		return KERN_INVALID_ARGUMENT;
	if ((b == EXCEPTION_IDENTITY_PROTECTED || (behavior & MACH_EXCEPTION_BACKTRACE_PREFERRED)) &&
	    !(behavior & MACH_EXCEPTION_CODES))
		return KERN_INVALID_ARGUMENT;
	thread_exc_used = 1;
	for (int i = 1; i < EXC_SLOTS; i++) {
		if (!(exception_mask & (1u << i)))
			continue;
		if (thread_exc[i].port != MACH_PORT_NULL)
			mach_port_deallocate(mach_task_self(), thread_exc[i].port);
		thread_exc[i].port = new_port;
		thread_exc[i].behavior = behavior;
		thread_exc[i].flavor = new_flavor;
		if (MACH_PORT_VALID(new_port))
			mach_port_mod_refs(mach_task_self(), new_port, MACH_PORT_RIGHT_SEND, 1);
	}
	if (MACH_PORT_VALID(new_port))
		install(exception_mask);
	return KERN_SUCCESS;
}

/* The thread's own ports for the types in `mask`, coalesced as the task's. */
kern_return_t thread_get_exception_ports(thread_act_t thread, exception_mask_t exception_mask,
					 exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
					 exception_handler_array_t old_handlers, exception_behavior_array_t old_behaviors,
					 exception_flavor_array_t old_flavors)
{
	mach_msg_type_number_t n = 0;

	if (thread == MACH_PORT_NULL || !is_own_thread(thread))
		return KERN_INVALID_ARGUMENT;
	if (exception_mask & ~(exception_mask_t)EXC_MASK_VALID)
		return KERN_INVALID_ARGUMENT;
	for (int i = 1; i < EXC_SLOTS && thread_exc_used; i++) {
		mach_msg_type_number_t j;

		if (!(exception_mask & (1u << i)))
			continue;
		for (j = 0; j < n; j++)
			if (old_handlers[j] == thread_exc[i].port && old_behaviors[j] == thread_exc[i].behavior &&
			    old_flavors[j] == thread_exc[i].flavor)
				break;
		if (j < n) {
			masks[j] |= 1u << i;
			continue;
		}
		if (n == *masksCnt)
			break;
		masks[n] = 1u << i;
		old_handlers[n] = thread_exc[i].port;
		old_behaviors[n] = thread_exc[i].behavior;
		old_flavors[n] = thread_exc[i].flavor;
		n++;
	}
	/* Each returned port is a new send right reference for the caller. */
	for (mach_msg_type_number_t j = 0; j < n; j++)
		if (MACH_PORT_VALID(old_handlers[j]))
			mach_port_mod_refs(mach_task_self(), old_handlers[j], MACH_PORT_RIGHT_SEND, 1);
	*masksCnt = n;
	return KERN_SUCCESS;
}

/* thread_get_exception_ports_info: the thread's own handlers, as
 * thread_get_exception_ports reports them. A port's object is the hash the
 * kernel shows in mach_port_space_info; the receiver object is 0, the
 * receiver of a port being known to the kernel only. */
kern_return_t thread_get_exception_ports_info(mach_port_t port, exception_mask_t exception_mask,
					      exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
					      exception_handler_info_array_t old_handlers_info,
					      exception_behavior_array_t old_behaviors, exception_flavor_array_t old_flavors)
{
	mach_port_t handlers[EXC_TYPES_COUNT];
	mach_msg_type_number_t n = *masksCnt < EXC_TYPES_COUNT ? *masksCnt : EXC_TYPES_COUNT;
	kern_return_t kr = thread_get_exception_ports(port, exception_mask, masks, &n, handlers, old_behaviors,
						      old_flavors);
	ipc_info_space_t info;
	ipc_info_name_array_t table = NULL;
	ipc_info_tree_name_array_t tree = NULL;
	mach_msg_type_number_t tblcnt = 0, treecnt = 0;

	if (kr != KERN_SUCCESS)
		return kr;
	if (n > 0 && mach_port_space_info(mach_task_self(), &info, &table, &tblcnt, &tree, &treecnt) != KERN_SUCCESS)
		tblcnt = 0;
	for (mach_msg_type_number_t i = 0; i < n; i++) {
		old_handlers_info[i].iip_port_object = 0;
		old_handlers_info[i].iip_receiver_object = 0;
		if (!MACH_PORT_VALID(handlers[i]))
			continue;
		for (mach_msg_type_number_t j = 0; j < tblcnt; j++)
			if (table[j].iin_name == handlers[i])
				old_handlers_info[i].iip_port_object = table[j].iin_object;
		mach_port_deallocate(mach_task_self(), handlers[i]);
	}
	if (table)
		vm_deallocate(mach_task_self(), (vm_address_t)table, tblcnt * sizeof(*table));
	if (tree)
		vm_deallocate(mach_task_self(), (vm_address_t)tree, treecnt * sizeof(*tree));
	*masksCnt = n;
	return KERN_SUCCESS;
}
