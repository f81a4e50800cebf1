/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * machipc: the ioctl ABI of /dev/machipc.
 *
 * Each open file of /dev/machipc is one Mach IPC space. Every Mach call is
 * one ioctl with a fixed-size argument struct; Mach results (kern_return_t,
 * mach_msg_return_t) come back in the struct's `ret` field and the ioctl
 * itself returns 0. A negative errno from the ioctl means the call could not
 * be made at all (bad argument pointer, unknown ioctl).
 *
 * All structs have explicit padding and the same layout on every 64-bit
 * architecture. This header is the ABI's one source of truth: the Rust
 * module (rust/uapi.rs) and the Rust crate (crates/machipc/src/sys.rs)
 * both build uapi/machipc_layout.rs, assertions of every struct's size,
 * every field's offset and size and every command that
 * scripts/gen-uapi-layout.py generates from it (`make check` fails when it
 * is stale).
 */
#ifndef _UAPI_LINUX_MACHIPC_H
#define _UAPI_LINUX_MACHIPC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MACHIPC_DEVICE "/dev/machipc"
#define MACHIPC_ABI_VERSION 1
#define MACHIPC_IOC_MAGIC 0xB7

struct machipc_version {
	__u32 version;
	__u32 reserved;
};

/*
 * Arguments of the mach_port_* calls. One struct serves them all; each call
 * documents which fields it reads and writes.
 */
struct machipc_port_call {
	__u32 name;      /* in: the name operated on; out: a new name */
	__u32 right;     /* in: mach_port_right_t or mach_msg_type_name_t */
	__s32 delta;     /* in: mod_refs delta; out: get_refs urefs */
	__u32 poly;      /* in: insert_right's right; out: type, extracted name */
	__u32 flavor;    /* in: attribute flavor, notification id */
	__u32 count;     /* in/out: element count of `data` */
	__u64 data;      /* in: user pointer to flavor-specific data */
	__u64 value;     /* in/out: context, make-send count, sync, ... */
	__u32 notify;    /* in: notify port; out: previous notify port */
	__u32 notify_type; /* in: notify disposition; out: its type */
	__s32 ret;       /* out: kern_return_t */
	__u32 reserved;
};

/* mach_msg: the same fields as mach_msg_overwrite(). */
struct machipc_msg {
	__u64 send_msg;  /* user pointer of the message to send */
	__u64 rcv_msg;   /* user pointer of the receive buffer */
	__u32 option;    /* mach_msg_option_t */
	__u32 send_size;
	__u32 rcv_size;
	__u32 rcv_name;
	__u32 timeout;   /* milliseconds, with MACH_SEND/RCV_TIMEOUT */
	__u32 notify;
	__s32 ret;       /* out: mach_msg_return_t */
	__u32 reserved;
};

/* machipc_port_fd(): a pollable descriptor for a receive right or set. */
struct machipc_port_fd {
	__u32 name;
	__u32 trailer;   /* MACH_RCV_TRAILER_* bits for read(2) */
	__s32 fd;        /* out */
	__u32 reserved;
};

/*
 * After fork(): make this (new, empty) space the child of the space open
 * on `fd`, inheriting its bootstrap special port as XNU does.
 */
struct machipc_inherit {
	__s32 fd;
	__s32 ret;       /* out: kern_return_t */
};

/*
 * Raises the Mach exception for the fault the calling thread is handling
 * (libmach's signal handler). The module sends the request itself, as the
 * kernel (security token KERNEL_SECURITY_TOKEN, audit pid 0), and only for
 * a fault the kernel saw this thread take: a hardware trap whose signal is
 * still unraised, not a signal some process sent (see README.md). The
 * exception type and codes come from the kernel's record of the fault.
 * The reply comes to `reply` with msgh_id `id` + 100; the caller waits for
 * it with mach_msg. ret: KERN_SUCCESS (sent), KERN_FAILURE (no fault to
 * raise), KERN_INVALID_ARGUMENT (signo is not the fault's signal),
 * MACH_SEND_INVALID_DEST (no handler), MACH_SEND_INVALID_REPLY (reply is
 * not a receive right), KERN_INVALID_ADDRESS (state unreadable),
 * KERN_NOT_SUPPORTED (a protected behavior).
 */
struct machipc_exc_raise {
	__s32 signo;     /* in: the signal being handled */
	__u32 port;      /* in: handler (COPY_SEND), or MACH_PORT_NULL: the task's */
	__u32 behavior;  /* in: with port: the handler's behavior */
	__u32 flavor;    /* in: ignored: state goes as x86_THREAD_STATE64 */
	__u32 thread;    /* in: ignored: the request names the calling thread's kernel port */
	__u32 reply;     /* in: receive right the reply comes to (MAKE_SEND_ONCE) */
	__u64 state;     /* in: user pointer to x86_thread_state64_t (state behaviors) */
	__u32 exception; /* out: exception_type_t raised */
	__s32 id;        /* out: msgh_id of the request */
	__s64 code[2];   /* out: the codes sent */
	__u32 out_behavior; /* out: the behavior used */
	__s32 ret;       /* out: kern_return_t */
};

#define MACHIPC_IOC_VERSION _IOR(MACHIPC_IOC_MAGIC, 0x00, struct machipc_version)
#define MACHIPC_IOC_MSG _IOWR(MACHIPC_IOC_MAGIC, 0x01, struct machipc_msg)
#define MACHIPC_IOC_PORT_FD _IOWR(MACHIPC_IOC_MAGIC, 0x02, struct machipc_port_fd)
#define MACHIPC_IOC_INHERIT _IOWR(MACHIPC_IOC_MAGIC, 0x03, struct machipc_inherit)
#define MACHIPC_IOC_EXC_RAISE _IOWR(MACHIPC_IOC_MAGIC, 0x04, struct machipc_exc_raise)

/* mach_port_* calls, in the order of mach_port.defs. */
#define MACHIPC_PORT_IOC(nr) _IOWR(MACHIPC_IOC_MAGIC, 0x10 + (nr), struct machipc_port_call)
#define MACHIPC_IOC_PORT_NAMES           MACHIPC_PORT_IOC(0)  /* data: u32[count] names, u32[count] types (value = types ptr) */
#define MACHIPC_IOC_PORT_TYPE            MACHIPC_PORT_IOC(1)  /* name -> poly */
#define MACHIPC_IOC_PORT_ALLOCATE        MACHIPC_PORT_IOC(2)  /* right -> name */
#define MACHIPC_IOC_PORT_DESTROY         MACHIPC_PORT_IOC(3)  /* name */
#define MACHIPC_IOC_PORT_DEALLOCATE      MACHIPC_PORT_IOC(4)  /* name */
#define MACHIPC_IOC_PORT_GET_REFS        MACHIPC_PORT_IOC(5)  /* name, right -> delta */
#define MACHIPC_IOC_PORT_MOD_REFS        MACHIPC_PORT_IOC(6)  /* name, right, delta */
#define MACHIPC_IOC_PORT_INSERT_RIGHT    MACHIPC_PORT_IOC(7)  /* name, poly, right(msgt) */
#define MACHIPC_IOC_PORT_EXTRACT_RIGHT   MACHIPC_PORT_IOC(8)  /* name, right(msgt) -> poly, notify_type */
#define MACHIPC_IOC_PORT_GET_ATTRIBUTES  MACHIPC_PORT_IOC(9)  /* name, flavor, data, count */
#define MACHIPC_IOC_PORT_SET_ATTRIBUTES  MACHIPC_PORT_IOC(10) /* name, flavor, data, count */
#define MACHIPC_IOC_PORT_GET_CONTEXT     MACHIPC_PORT_IOC(11) /* name -> value */
#define MACHIPC_IOC_PORT_SET_CONTEXT     MACHIPC_PORT_IOC(12) /* name, value */
#define MACHIPC_IOC_PORT_CONSTRUCT       MACHIPC_PORT_IOC(13) /* data: mach_port_options_t, value: context -> name */
#define MACHIPC_IOC_PORT_DESTRUCT        MACHIPC_PORT_IOC(14) /* name, delta (srdelta), value: guard */
#define MACHIPC_IOC_PORT_MOVE_MEMBER     MACHIPC_PORT_IOC(15) /* name (member), poly (set or NULL) */
#define MACHIPC_IOC_PORT_INSERT_MEMBER   MACHIPC_PORT_IOC(16) /* name (member), poly (set) */
#define MACHIPC_IOC_PORT_EXTRACT_MEMBER  MACHIPC_PORT_IOC(17) /* name (member), poly (set) */
#define MACHIPC_IOC_PORT_GET_SET_STATUS  MACHIPC_PORT_IOC(18) /* name, data: u32[count] -> count */
#define MACHIPC_IOC_PORT_REQUEST_NOTIFY  MACHIPC_PORT_IOC(19) /* name, flavor(id), value(sync), notify, notify_type */
#define MACHIPC_IOC_PORT_ALLOCATE_NAME   MACHIPC_PORT_IOC(20) /* right, name */
#define MACHIPC_IOC_PORT_GET_SRIGHTS     MACHIPC_PORT_IOC(21) /* name -> value */
#define MACHIPC_IOC_PORT_SET_MSCOUNT     MACHIPC_PORT_IOC(22) /* name, value */
#define MACHIPC_IOC_PORT_SET_SEQNO       MACHIPC_PORT_IOC(23) /* name, value */
#define MACHIPC_IOC_PORT_GUARD           MACHIPC_PORT_IOC(25) /* name, value (guard), poly (MPG_* flags);
								* flavor 1: swap_guard, data (old) -> value (new) */
#define MACHIPC_IOC_PORT_UNGUARD         MACHIPC_PORT_IOC(26) /* name, value (guard) */
#define MACHIPC_IOC_PORT_PEEK            MACHIPC_PORT_IOC(27) /* name, flavor(trailer type), value(seqno in/out), count(trailer bytes), data -> poly(size), delta(id) */

/*
 * Exception ports (task_set/get_exception_ports): flavor = mask;
 * set: name = port, right = behavior, value = thread-state flavor;
 * get: data = struct machipc_exc_entry[count] out, count in/out.
 */
struct machipc_exc_entry {
	__u32 mask;
	__u32 port;
	__u32 behavior;
	__u32 flavor;
};
#define MACHIPC_IOC_SET_EXCEPTION_PORTS  MACHIPC_PORT_IOC(40)
#define MACHIPC_IOC_GET_EXCEPTION_PORTS  MACHIPC_PORT_IOC(41)

/* Tasks (task_for_pid, pid_for_task). */
#define MACHIPC_IOC_TASK_FOR_PID         MACHIPC_PORT_IOC(30) /* flavor(pid) -> name */
#define MACHIPC_IOC_PID_FOR_TASK         MACHIPC_PORT_IOC(31) /* name -> value(pid) */
/*
 * task_read_for_pid, task_inspect_for_pid, task_name_for_pid: flavor(pid),
 * right (the port's flavor: 1 read, 2 inspect, 3 name) -> name, which is
 * MACH_PORT_NULL for a process without a space. ret: KERN_FAILURE (no such
 * process), KERN_PROTECTION_FAILURE (not permitted), KERN_INVALID_ARGUMENT
 * (another flavor).
 */
#define MACHIPC_IOC_TASK_FLAVOR_FOR_PID  MACHIPC_PORT_IOC(50)

/* Special ports of the space (task_get/set_special_port). */
#define MACHIPC_IOC_GET_SPECIAL_PORT     MACHIPC_PORT_IOC(32) /* flavor(which) -> name */
#define MACHIPC_IOC_SET_SPECIAL_PORT     MACHIPC_PORT_IOC(33) /* flavor(which), name */

/* Threads: mach_thread_self -> name (a new user reference to the calling
 * thread's kernel port, made on first use). */
#define MACHIPC_IOC_THREAD_SELF          MACHIPC_PORT_IOC(55)

/*
 * Timers as ports (the mk_timer_* traps of XNU's mach/mk_timer.h):
 * create -> name (MACH_PORT_NULL on failure; ret KERN_SUCCESS);
 * destroy: name; arm: name, value (deadline, mach_absolute_time units);
 * arm_leeway: name, flavor (MK_TIMER_* flags), value (deadline), data (leeway);
 * cancel: name, data (user pointer the armed deadline is written to, or 0)
 * -> value (the armed deadline).
 */
#define MACHIPC_IOC_TIMER_CREATE         MACHIPC_PORT_IOC(60)
#define MACHIPC_IOC_TIMER_DESTROY        MACHIPC_PORT_IOC(61)
#define MACHIPC_IOC_TIMER_ARM            MACHIPC_PORT_IOC(62)
#define MACHIPC_IOC_TIMER_ARM_LEEWAY     MACHIPC_PORT_IOC(63)
#define MACHIPC_IOC_TIMER_CANCEL         MACHIPC_PORT_IOC(64)

/*
 * Open files as ports (XNU's fileport_makeport/fileport_makefd) and rights
 * as descriptors (machipc_port_to_fd/machipc_fd_to_port).
 * makeport: delta = fd, data = user pointer the name is written to -> name;
 *   the ioctl fails with XNU's errno (EBADF, EINVAL, EAGAIN, EFAULT).
 * makefd: name -> delta (new O_CLOEXEC descriptor); fails with EINVAL
 *   (not a send right to a fileport), EMFILE or EFAULT.
 * port_to_fd: name -> delta (new O_CLOEXEC descriptor owning a copy of the
 *   send right, or the send-once right, moved); ret: kern_return_t.
 * A call that fails with EFAULT (its answer could not be written) installs
 * no descriptor and leaves the caller's rights as they were; so does
 * MACHIPC_IOC_PORT_FD.
 * fd_to_port: delta = descriptor -> name; ret: kern_return_t.
 */
#define MACHIPC_IOC_FILEPORT_MAKEPORT    MACHIPC_PORT_IOC(70)
#define MACHIPC_IOC_FILEPORT_MAKEFD      MACHIPC_PORT_IOC(71)
#define MACHIPC_IOC_PORT_TO_FD           MACHIPC_PORT_IOC(72)
#define MACHIPC_IOC_FD_TO_PORT           MACHIPC_PORT_IOC(73)

#ifdef __cplusplus
#define MACHIPC_STATIC_ASSERT static_assert
#else
#define MACHIPC_STATIC_ASSERT _Static_assert
#endif
MACHIPC_STATIC_ASSERT(sizeof(struct machipc_version) == 8, "machipc_version layout");
MACHIPC_STATIC_ASSERT(sizeof(struct machipc_port_call) == 56, "machipc_port_call layout");
MACHIPC_STATIC_ASSERT(sizeof(struct machipc_msg) == 48, "machipc_msg layout");
MACHIPC_STATIC_ASSERT(sizeof(struct machipc_port_fd) == 16, "machipc_port_fd layout");
MACHIPC_STATIC_ASSERT(sizeof(struct machipc_inherit) == 8, "machipc_inherit layout");
MACHIPC_STATIC_ASSERT(sizeof(struct machipc_exc_raise) == 64, "machipc_exc_raise layout");
#undef MACHIPC_STATIC_ASSERT

#endif /* _UAPI_LINUX_MACHIPC_H */
