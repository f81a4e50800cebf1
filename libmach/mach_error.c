/* SPDX-License-Identifier: MIT */
/*
 * machipc libmach: mach_error_string(), mach_error_type() and mach_error().
 *
 * A mach_error_t is split into system / subsystem / code (see
 * <mach/error.h>) and looked up in the tables below, which hold the messages
 * Darwin's libsystem_kernel prints for kernel (KERN_*), Mach IPC
 * (MACH_SEND_* / MACH_RCV_* / MIG_*) and old IPC errors. Other systems
 * (UNIX, servers, VM, IOKit, ...) only get their "unknown" texts.
 */
#include <stddef.h>
#include <stdio.h>

#include <mach/error.h>
#include <mach/mach_error.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char unknown_code[] = "unknown error code";

/* system 0, subsystem 0: KERN_* */
static const char *const kern_msgs[] = {
	"(os/kern) successful",
	"(os/kern) invalid address",
	"(os/kern) protection failure",
	"(os/kern) no space available",
	"(os/kern) invalid argument",
	"(os/kern) failure",
	"(os/kern) resource shortage",
	"(os/kern) not receiver",
	"(os/kern) no access",
	"(os/kern) memory failure",
	"(os/kern) memory error",
	"(os/kern) already in set",
	"(os/kern) not in set",
	"(os/kern) name exists",
	"(os/kern) aborted",
	"(os/kern) invalid name",
	"(os/kern) invalid task",
	"(os/kern) invalid right",
	"(os/kern) invalid value",
	"(os/kern) urefs overflow",
	"(os/kern) invalid capability",
	"(os/kern) right exists",
	"(os/kern) invalid host",
	"(os/kern) memory present",
	"(os/kern) memory data moved",
	"(os/kern) memory restart copy",
	"(os/kern) invalid processor set",
	"(os/kern) policy limit",
	"(os/kern) invalid policy",
	"(os/kern) invalid object",
	"(os/kern) already waiting",
	"(os/kern) default set",
	"(os/kern) exception protected",
	"(os/kern) invalid ledger",
	"(os/kern) invalid memory control",
	"(os/kern) invalid security",
	"(os/kern) not depressed",
	"(os/kern) object terminated",
	"(os/kern) lock set destroyed",
	"(os/kern) lock unstable",
	"(os/kern) lock owned by another",
	"(os/kern) lock owned by self",
	"(os/kern) semaphore destroyed",
	"(os/kern) RPC terminated",
	"(os/kern) terminate orphan",
	"(os/kern) let orphan continue",
	"(os/kern) service not supported",
	"(os/kern) remote node down",
	"(os/kern) thread not waiting",
	"(os/kern) operation timed out",
	"(os/kern) code signing error",
	"(os/kern) policy is static",
	"(os/kern) insufficient input buffer size",
	"(os/kern) denied by security policy",
	"(os/kern) missing kernel collection",
	"(os/kern) invalid kernel collection",
	"(os/kern) result not found",
};

/* system 4, subsystem 0: MACH_SEND_*, indexed by the low bits */
static const char *const mach_send_msgs[] = {
	"(ipc/send) no error",
	"(ipc/send) send in progress",
	"(ipc/send) invalid data",
	"(ipc/send) invalid destination port",
	"(ipc/send) timed out",
	"(ipc/send) invalid voucher",
	"(ipc/send) unused error",
	"(ipc/send) interrupted",
	"(ipc/send) msg too small",
	"(ipc/send) invalid reply port",
	"(ipc/send) invalid port right",
	"(ipc/send) invalid notify port",
	"(ipc/send) invalid memory",
	"(ipc/send) no msg buffer",
	"(ipc/send) msg too large",
	"(ipc/send) invalid msg-type",
	"(ipc/send) invalid msg-header",
	"(ipc/send) invalid msg-trailer",
	"(ipc/send) invalid context for reply",
	"(ipc/send) unused error",
	"(ipc/send) unused error",
	"(ipc/send) out-of-line buffer too large",
	"(ipc/send) destination does not accept OOL ports",
};

/* system 4, subsystem 1: MACH_RCV_* */
static const char *const mach_rcv_msgs[] = {
	"(ipc/rcv) no error",
	"(ipc/rcv) receive in progress",
	"(ipc/rcv) invalid name",
	"(ipc/rcv) timed out",
	"(ipc/rcv) msg too large",
	"(ipc/rcv) interrupted",
	"(ipc/rcv) port changed",
	"(ipc/rcv) invalid notify port",
	"(ipc/rcv) invalid data",
	"(ipc/rcv) port died",
	"(ipc/rcv) port in set",
	"(ipc/rcv) header error",
	"(ipc/rcv) body error",
	"(ipc/rcv) invalid scatter list entry",
	"(ipc/rcv) overwrite region too small",
	"(ipc/rcv) invalid msg-trailer",
	"(ipc/rcv) DIPC transport error",
};

/* system 4, subsystem 2: MIG_* (-300 - n is mapped here as code n) */
static const char *const mach_mig_msgs[] = {
	"(ipc/mig) client type check failure",
	"(ipc/mig) wrong reply message ID",
	"(ipc/mig) server detected error",
	"(ipc/mig) bad request message ID",
	"(ipc/mig) server type check failure",
	"(ipc/mig) no reply should be sent",
	"(ipc/mig) server raised exception",
	"(ipc/mig) array not large enough",
	"(ipc/mig) server died",
	"(ipc/mig) unknown trailer format",
};

/* system 3: historical IPC errors (-100.., -200.. are mapped here) */
static const char *const ipc_send_msgs[] = {
	"(ipc/send) unknown error",
	"(ipc/send) invalid memory",
	"(ipc/send) invalid port",
	"(ipc/send) timed out",
	"(ipc/send) unused error",
	"(ipc/send) will notify",
	"(ipc/send) notify in progress",
	"(ipc/send) kernel refused message",
	"(ipc/send) send interrupted",
	"(ipc/send) send message too large",
	"(ipc/send) send message too small",
	"(ipc/send) message size changed while being copied",
};

static const char *const ipc_rcv_msgs[] = {
	"(ipc/rcv) unknown error",
	"(ipc/rcv) invalid memory",
	"(ipc/rcv) invalid port",
	"(ipc/rcv) receive timed out",
	"(ipc/rcv) message too large",
	"(ipc/rcv) no space for message data",
	"(ipc/rcv) only sender remaining",
	"(ipc/rcv) receive interrupted",
	"(ipc/rcv) port receiver changed or port became enabled",
};

static const char *const ipc_mig_msgs[] = {
	"(ipc/mig) type check failure in message interface",
	"(ipc/mig) wrong return message ID",
	"(ipc/mig) server detected error",
	"(ipc/mig) bad message ID",
	"(ipc/mig) server found wrong arguments",
	"(ipc/mig) no reply should be sent",
	"(ipc/mig) server raised exception",
	"(ipc/mig) user specified array not large enough for return info",
};

struct err_subsys {
	const char *name;               /* e.g. "(os/kern)" */
	const char *const *msgs;        /* indexed by code */
	unsigned int nmsgs;
};

struct err_sys {
	const char *bad_sub;            /* text for an unknown subsystem */
	const struct err_subsys *subs;  /* indexed by subsystem */
	unsigned int nsubs;
};

#define SUBSYS(n, table) { n, table, COUNT_OF(table) }
#define NO_CODES(n) { n, NULL, 0 }

static const struct err_subsys os_subs[] = {
	SUBSYS("(os/kern)", kern_msgs),
	NO_CODES("(os/?)"),
	NO_CODES("(os/?)"),
	NO_CODES("(os/unix)"),          /* UNIX texts are not provided */
};

/* Darwin lists one unnamed, empty subsystem for user-space errors. */
static const struct err_subsys us_subs[] = {
	NO_CODES(NULL),
};

static const struct err_subsys ipc_subs[] = {
	SUBSYS("(ipc/send)", ipc_send_msgs),
	SUBSYS("(ipc/rcv)", ipc_rcv_msgs),
	SUBSYS("(ipc/mig)", ipc_mig_msgs),
};

static const struct err_subsys mach_ipc_subs[] = {
	SUBSYS("(ipc/send)", mach_send_msgs),
	SUBSYS("(ipc/rcv)", mach_rcv_msgs),
	SUBSYS("(ipc/mig)", mach_mig_msgs),
};

/*
 * Indexed by err_get_system(). Systems with subsystems whose messages are
 * not provided keep their "unknown subsystem" text. Index 7 is where
 * Darwin's table keeps its VM errors.
 */
static const struct err_sys systems[err_max_system + 1] = {
	[0x00] = { "(operating system/?) unknown subsystem error",
		   os_subs, COUNT_OF(os_subs) },
	[0x01] = { "(user space/?) unknown subsystem error",
		   us_subs, COUNT_OF(us_subs) },
	[0x02] = { "(server/?) unknown subsystem error", NULL, 0 },
	[0x03] = { "(ipc/?) unknown subsystem error",
		   ipc_subs, COUNT_OF(ipc_subs) },
	[0x04] = { "(ipc/?) unknown subsystem error",
		   mach_ipc_subs, COUNT_OF(mach_ipc_subs) },
	[0x07] = { "(vm/?) unknown subsystem error", NULL, 0 },
	[0x37] = { "(libkern/?) unknown subsystem error", NULL, 0 },
	[0x38] = { "(iokit/?) unknown subsystem error", NULL, 0 },
};

static const char unknown_system[] = "(?/?) unknown error system";
static const char unknown_type[] = "(?/?)";

/*
 * Old-style negative IPC codes and old server codes are first rewritten
 * into the system/subsystem/code form.
 */
static mach_error_t normalize(mach_error_t err)
{
	if (err <= -100 && err > -200)
		return -(err + 100) | err_ipc | err_sub(0);
	if (err <= -200 && err > -300)
		return -(err + 200) | err_ipc | err_sub(1);
	if (err <= -300 && err > -400)
		return -(err + 300) | err_mach_ipc | err_sub(2);
	if (err >= 1000 && err < 1100)
		return (err - 1000) | err_server | err_sub(0);
	if (err >= 1600 && err < 1700)
		return (err - 1600) | err_server | err_sub(1);
	if (err >= 27600 && err < 27700)
		return (err - 27600) | err_server | err_sub(2);
	return err;
}

/*
 * Message for err. *exact is set when the code itself was found; otherwise
 * the returned text only says what part was unknown.
 */
static const char *lookup(mach_error_t err, int *exact)
{
	unsigned int system, sub, code;
	const struct err_sys *sys;
	const struct err_subsys *ss;

	err = normalize(err);
	system = (unsigned int)err_get_system(err);
	sub = (unsigned int)err_get_sub(err);
	code = (unsigned int)err_get_code(err);
	*exact = 0;

	sys = &systems[system];
	if (sys->bad_sub == NULL)
		return unknown_system;
	if (sub >= sys->nsubs)
		return sys->bad_sub;
	ss = &sys->subs[sub];
	if (code >= ss->nmsgs)
		return unknown_code;
	*exact = 1;
	return ss->msgs[code];
}

char *mach_error_string(mach_error_t error_value)
{
	int exact;

	return (char *)lookup(error_value, &exact);
}

char *mach_error_type(mach_error_t error_value)
{
	mach_error_t err = normalize(error_value);
	unsigned int system = (unsigned int)err_get_system(err);
	unsigned int sub = (unsigned int)err_get_sub(err);
	const struct err_sys *sys = &systems[system];

	if (sub >= sys->nsubs || sys->subs[sub].name == NULL)
		return (char *)unknown_type;
	return (char *)sys->subs[sub].name;
}

void mach_error(const char *str, mach_error_t error_value)
{
	int exact;
	const char *msg = lookup(error_value, &exact);

	if (exact)
		fprintf(stderr, "%s %s\n", str, msg);
	else
		fprintf(stderr, "%s %s %s (%x)\n", str,
			mach_error_type(error_value), msg,
			(unsigned int)error_value);
}
