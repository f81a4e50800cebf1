// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The machipc authors.
 *
 * machipc's C shim: the few kernel facilities the Rust kernel crate of this
 * kernel does not wrap. It owns no Mach logic; every file operation calls
 * straight into the Rust side (rust/callbacks.rs). shim.h has the
 * prototypes of both directions.
 *
 * - the /dev/machipc misc device, registered with the dev_mode parameter's
 *   mode (0666 by default), an optional dev_gid group gate at open, and the
 *   poll/read operations MiscDevice lacks;
 * - anonymous-inode files for the per-port descriptors (machipc_port_fd) and
 *   for rights as descriptors (machipc_port_to_fd), and what kind of file a
 *   descriptor handed to fileport_makeport is;
 * - CPU affinity and hotplug for the kmsg cache's KUnit tests (the cache
 *   itself is Rust, rust/kmsg_cache.rs);
 * - mappings of out-of-line memory pages in a receiver (vm_insert_pages
 *   from an mmap handler of a private anonymous-inode file);
 * - the credentials, pids and program images of processes, for the
 *   trailer's tokens and task_for_pid (ptrace's rules, which are not
 *   exported to modules);
 * - the module parameters (device access, limits, ool_map_min,
 *   task_for_pid_scope);
 * - a workqueue of the module's own for space teardown;
 * - verified user faults, from the signal_generate tracepoint, for the
 *   exceptions the module raises (rust/exception.rs).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/cpu.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/capability.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/cputime.h>
#include <linux/sched/mm.h>
#include <linux/sched/exec_state.h>
#include <linux/pid.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/magic.h>
#include <linux/socket.h>
#include <linux/highmem.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/topology.h>
#include <linux/percpu.h>

#include "shim.h"

/*
 * Who may open /dev/machipc. dev_mode is the node's mode as devtmpfs creates
 * it (a udev rule may change it later: contrib/60-machipc.rules); dev_gid,
 * when not -1, also admits at open only members of that group (or holders of
 * CAP_DAC_OVERRIDE, as for a 0660 node), whatever the node's owner, so the
 * restriction holds on systems without udev. Read at load time only.
 */
static ushort dev_mode = 0666;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Mode of /dev/machipc as created by devtmpfs (default 0666)");

static int dev_gid = -1;
module_param(dev_gid, int, 0444);
MODULE_PARM_DESC(dev_gid, "If not -1, only members of this group (or CAP_DAC_OVERRIDE) may open /dev/machipc (default -1)");

static kgid_t machipc_dev_kgid;

static int machipc_open(struct inode *inode, struct file *file)
{
	void *space;

	if (gid_valid(machipc_dev_kgid) && !in_group_p(machipc_dev_kgid) &&
	    !capable(CAP_DAC_OVERRIDE))
		return -EACCES;
	space = machipc_rust_open();

	if (IS_ERR(space))
		return PTR_ERR(space);
	file->private_data = space;
	return 0;
}

static int machipc_release(struct inode *inode, struct file *file)
{
	machipc_rust_release(file->private_data);
	return 0;
}

static long machipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return machipc_rust_ioctl(file->private_data, cmd, arg);
}

static const struct file_operations machipc_fops = {
	.owner = THIS_MODULE,
	.open = machipc_open,
	.release = machipc_release,
	.unlocked_ioctl = machipc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice machipc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "machipc",
	.fops = &machipc_fops,
};

int machipc_shim_register(void)
{
	if (dev_mode & ~0666) {
		pr_err("machipc: dev_mode %#o has bits outside 0666\n", dev_mode);
		return -EINVAL;
	}
	/* 0 would mean the misc class's default, 0600. */
	machipc_misc.mode = dev_mode ? dev_mode : 0600;
	machipc_dev_kgid = INVALID_GID;
	if (dev_gid != -1) {
		machipc_dev_kgid = make_kgid(&init_user_ns, dev_gid);
		if (!gid_valid(machipc_dev_kgid)) {
			pr_err("machipc: dev_gid %d is not a valid group id\n", dev_gid);
			return -EINVAL;
		}
	}
	return misc_register(&machipc_misc);
}

void machipc_shim_deregister(void)
{
	misc_deregister(&machipc_misc);
}

/*
 * The space behind descriptor `fd` if it is an open /dev/machipc, with a
 * new reference (machipc_rust_space_clone); NULL otherwise.
 */
void *machipc_shim_space_of_fd(int fd)
{
	struct file *f = fget(fd);
	void *space = NULL;

	if (!f)
		return NULL;
	if (f->f_op == &machipc_fops)
		space = machipc_rust_space_clone(f->private_data);
	fput(f);
	return space;
}

/* Per-port descriptors. */
static __poll_t machipc_port_poll(struct file *file, poll_table *wait)
{
	return machipc_rust_port_poll(file->private_data, file, wait);
}

static ssize_t machipc_port_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	return machipc_rust_port_read(file->private_data, buf, len, !!(file->f_flags & O_NONBLOCK));
}

static int machipc_port_release(struct inode *inode, struct file *file)
{
	machipc_rust_port_release(file->private_data);
	return 0;
}

static const struct file_operations machipc_port_fops = {
	.owner = THIS_MODULE,
	.poll = machipc_port_poll,
	.read = machipc_port_read,
	.release = machipc_port_release,
	.llseek = noop_llseek,
};

/* A scheduling point for loops over thousands of rights or names. */
void machipc_shim_cond_resched(void)
{
	cond_resched();
}

/*
 * A new, not yet installed port descriptor file owning `portfd` (given back
 * through machipc_rust_port_release at its last close), or an ERR_PTR.
 */
struct file *machipc_shim_port_file(void *portfd)
{
	return anon_inode_getfile("[machipc-port]", &machipc_port_fops, portfd, O_RDONLY);
}

/* Descriptors that own a send or send-once right (rust/right_fd.rs). */
static int machipc_right_release(struct inode *inode, struct file *file)
{
	machipc_rust_right_release(file->private_data);
	return 0;
}

static const struct file_operations machipc_right_fops = {
	.owner = THIS_MODULE,
	.release = machipc_right_release,
	.llseek = noop_llseek,
};

/*
 * A new, not yet installed file owning `rightfd` (given back through
 * machipc_rust_right_release at its last close), or an ERR_PTR.
 */
struct file *machipc_shim_right_file(void *rightfd)
{
	return anon_inode_getfile("[machipc-right]", &machipc_right_fops, rightfd, O_RDONLY);
}

/*
 * What `file` is, for fileport_makeport's refusals (rust/fileport.rs):
 * 0 any other file, 1 /dev/machipc, 2 a port descriptor, 3 a right
 * descriptor (its private data in *rightfd), 4 an io_uring instance, 5 an
 * AF_UNIX socket. io_uring's own test (io_is_uring_fops) is not exported:
 * its files are the anonymous inodes named "[io_uring]".
 */
int machipc_shim_file_kind(struct file *file, void **rightfd)
{
	struct socket *sock;

	*rightfd = NULL;
	if (file->f_op == &machipc_fops)
		return 1;
	if (file->f_op == &machipc_port_fops)
		return 2;
	if (file->f_op == &machipc_right_fops) {
		*rightfd = file->private_data;
		return 3;
	}
	if (file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[io_uring]"))
		return 4;
	sock = sock_from_file(file);
	if (sock && sock->ops && sock->ops->family == PF_UNIX)
		return 5;
	return 0;
}

/*
 * The caller's ids as kernel ids (kuid_t/kgid_t values, the same in every
 * user namespace): euid, egid, ruid, rgid. A message keeps them and they
 * are translated into the *receiver's* user namespace at copyout, as
 * SCM_CREDENTIALS does, so a sender in a user namespace of its own cannot
 * pass for root (its namespace's uid 0) to a receiver outside it.
 */
void machipc_shim_current_kids(u32 *euid, u32 *egid, u32 *ruid, u32 *rgid)
{
	const struct cred *cred = current_cred();

	*euid = __kuid_val(cred->euid);
	*egid = __kgid_val(cred->egid);
	*ruid = __kuid_val(cred->uid);
	*rgid = __kgid_val(cred->gid);
}

/*
 * The credentials the caller acts with, without a reference: only the
 * caller replaces its own, so they stay valid while it runs.
 */
const void *machipc_shim_current_cred(void)
{
	return current_cred();
}

/* A kernel uid as the caller's user namespace sees it (overflowuid if unmapped). */
u32 machipc_shim_uid_in_current_ns(u32 kuid)
{
	return from_kuid_munged(current_user_ns(), KUIDT_INIT(kuid));
}

/* A kernel gid as the caller's user namespace sees it (overflowgid if unmapped). */
u32 machipc_shim_gid_in_current_ns(u32 kgid)
{
	return from_kgid_munged(current_user_ns(), KGIDT_INIT(kgid));
}

/* A reference to the caller's thread-group pid. */
void *machipc_shim_get_tgid(void)
{
	return get_pid(task_tgid(current));
}

void machipc_shim_put_pid(void *pid)
{
	put_pid(pid);
}

/*
 * The per-CPU stacks of free kernel messages (kmsg_cache.rs). Only
 * pointers move here, with interrupts off on this CPU for the few
 * instructions it takes, so no lock is needed and any context may use
 * them; nothing is allocated or freed. A task that migrates between two
 * calls simply uses the other CPU's stack.
 */
#define MACHIPC_KCACHE_DEPTH 32

struct machipc_kcache {
	unsigned int n;
	void *msgs[MACHIPC_KCACHE_DEPTH];
};

static DEFINE_PER_CPU(struct machipc_kcache, machipc_kcache);

/* Keeps `kmsg` on this CPU's stack; false if it is full. */
bool machipc_shim_kcache_push(void *kmsg)
{
	struct machipc_kcache *c;
	unsigned long flags;
	bool kept = false;

	local_irq_save(flags);
	c = this_cpu_ptr(&machipc_kcache);
	if (c->n < MACHIPC_KCACHE_DEPTH) {
		c->msgs[c->n++] = kmsg;
		kept = true;
	}
	local_irq_restore(flags);
	return kept;
}

/* A message from this CPU's stack, or NULL. */
void *machipc_shim_kcache_pop(void)
{
	struct machipc_kcache *c;
	unsigned long flags;
	void *kmsg = NULL;

	local_irq_save(flags);
	c = this_cpu_ptr(&machipc_kcache);
	if (c->n)
		kmsg = c->msgs[--c->n];
	local_irq_restore(flags);
	return kmsg;
}

/*
 * A message from `cpu`'s stack, or NULL: for the module's exit, once no
 * task can use the stacks any more, and for tests that own `cpu`.
 */
void *machipc_shim_kcache_take(u32 cpu)
{
	struct machipc_kcache *c;
	unsigned long flags;
	void *kmsg = NULL;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return NULL;
	/* Off for a test on `cpu` itself, which other tasks there share. */
	local_irq_save(flags);
	c = per_cpu_ptr(&machipc_kcache, cpu);
	if (c->n)
		kmsg = c->msgs[--c->n];
	local_irq_restore(flags);
	return kmsg;
}

/* How many messages `cpu`'s stack holds (for tests). */
u32 machipc_shim_kcache_len(u32 cpu)
{
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return 0;
	return READ_ONCE(per_cpu_ptr(&machipc_kcache, cpu)->n);
}

/* Whether `pid` is the caller's thread-group pid. */
bool machipc_shim_pid_is_current(void *pid)
{
	return pid == task_tgid(current);
}

/*
 * Whether the thread group `leader` leads has exited: a zombie leader
 * whose other threads are gone too. Its pid number is about to be freed
 * and reused. Called under rcu_read_lock().
 */
static bool machipc_group_exited(struct task_struct *leader)
{
	return READ_ONCE(leader->exit_state) && thread_group_empty(leader);
}

/* Whether the task behind `pid` (held under RCU) has begun to exit. */
static bool machipc_thread_exiting(struct task_struct *t)
{
	return (READ_ONCE(t->flags) & PF_EXITING) || READ_ONCE(t->exit_state);
}

/* The leader of the process `pid`, referenced; NULL once the process has exited. */
static struct task_struct *machipc_live_task(struct pid *pid)
{
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	if (t && machipc_group_exited(t))
		t = NULL;
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	return t;
}

/*
 * The process `pid` as the current task's pid namespace sees it; 0 if it
 * is invisible there or has exited (its number may already name another
 * process). The number is read before the liveness check: if the process
 * is still there after the read, the number was still its own.
 */
int machipc_shim_pid_vnr(void *pid)
{
	int nr = pid_vnr(pid);
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	if (!t || machipc_group_exited(t))
		nr = 0;
	rcu_read_unlock();
	return nr;
}

/*
 * The audit token's pidversion for the process `pid`: the low 32 bits of
 * its pidfs inode number (what fstat() on a pidfd of it reports as
 * st_ino). pidfs numbers every struct pid from one 64-bit counter and never
 * reuses a number, so two processes that had the same pid get different
 * versions unless 2^32 pids were allocated in between.
 */
u32 machipc_shim_pid_version(void *pid)
{
	return lower_32_bits(((struct pid *)pid)->ino);
}

/*
 * Which program image the caller runs: its self_exec_id, which every
 * execve() increments (threads share the value; only the exec'ing thread
 * survives an exec). A space records it when opened.
 */
u64 machipc_shim_current_exec_id(void)
{
	return READ_ONCE(current->self_exec_id);
}

/* The image the live process `pid` runs now; false if it has exited. */
bool machipc_shim_exec_id(void *pid, u64 *id)
{
	struct task_struct *t = machipc_live_task(pid);

	if (!t)
		return false;
	*id = READ_ONCE(t->self_exec_id);
	put_task_struct(t);
	return true;
}

/*
 * Takes the exec_update_lock of `t`'s process for reading and checks under
 * it that the task `pid` names (as `type`: the process, or one thread) is
 * alive and still runs image `exec_id`. The task is looked up again under
 * the lock: a non-leader thread's exec swaps its pid with the leader's
 * (de_thread), within one thread group, one signal struct. Returns `t`,
 * whose reference the caller gave, or NULL with the reference dropped.
 */
static void *machipc_image_hold(struct task_struct *t, struct pid *pid, enum pid_type type, u64 exec_id)
{
	struct task_struct *now;
	bool same;

	if (down_read_killable(&t->signal->exec_update_lock)) {
		put_task_struct(t);
		return NULL;
	}
	rcu_read_lock();
	now = pid_task(pid, type);
	same = now && !(type == PIDTYPE_TGID ? machipc_group_exited(now) : machipc_thread_exiting(now)) &&
	       READ_ONCE(now->self_exec_id) == exec_id;
	rcu_read_unlock();
	if (!same) {
		up_read(&t->signal->exec_update_lock);
		put_task_struct(t);
		return NULL;
	}
	return t;
}

/*
 * Holds the process `pid` at image `exec_id`: takes its exec_update_lock
 * for reading (as mm_access() does) and checks, under it, that the process
 * is alive and has not exec'd since. execve() increments self_exec_id and
 * commits the new credentials with that lock held for writing, so until
 * machipc_shim_image_unlock() the process cannot start another program.
 * Returns the task to unlock, or NULL (gone, exec'd, or a fatal signal
 * pending for the caller).
 */
void *machipc_shim_image_lock(void *pid, u64 exec_id)
{
	struct task_struct *t = machipc_live_task(pid);

	return t ? machipc_image_hold(t, pid, PIDTYPE_TGID, exec_id) : NULL;
}

void machipc_shim_image_unlock(void *task)
{
	struct task_struct *t = task;

	up_read(&t->signal->exec_update_lock);
	put_task_struct(t);
}

/* Maps a fresh anonymous region in the caller and copies `len` bytes in. */
long machipc_shim_map_copy(const void *data, size_t len)
{
	unsigned long size = PAGE_ALIGN(len);
	unsigned long addr = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, 0);

	if (IS_ERR_VALUE(addr))
		return (long)addr;
	if (copy_to_user((void __user *)addr, data, len)) {
		vm_munmap(addr, size);
		return -EFAULT;
	}
	return (long)addr;
}

/*
 * Out-of-line regions of at least this many bytes travel as pages mapped
 * into the receiver; smaller ones are copied (rust/ool.rs). Writable so that
 * `make bench` can sweep it in one boot.
 */
static unsigned int ool_map_min = 4096;
module_param(ool_map_min, uint, 0644);
MODULE_PARM_DESC(ool_map_min, "Smallest out-of-line region mapped as pages instead of copied (bytes)");

size_t machipc_shim_ool_map_min(void)
{
	return READ_ONCE(ool_map_min);
}

/*
 * Per-user limits (rust/limits.rs): what all the spaces opened by one user
 * (keyed by effective kuid) may hold together. Writable at run time; a
 * lowered limit refuses new allocations, it frees nothing. 0 means no
 * limit. Openers with CAP_SYS_RESOURCE are counted but not limited.
 */
static unsigned int max_user_spaces = 4096;
module_param(max_user_spaces, uint, 0644);
MODULE_PARM_DESC(max_user_spaces,
		 "Open /dev/machipc spaces per user; beyond, open() fails with EMFILE (0: no limit; default 4096)");

static unsigned int max_user_ports = 262144;
module_param(max_user_ports, uint, 0644);
MODULE_PARM_DESC(max_user_ports,
		 "Live ports per user, in transit included; beyond, KERN_RESOURCE_SHORTAGE (0: no limit; default 262144)");

static unsigned long max_user_bytes = 256UL << 20;
module_param(max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Kernel memory per user for queued messages, ports, sets, requests and name tables; beyond, MACH_SEND_NO_BUFFER (0: no limit; default 256 MiB)");

void machipc_shim_user_limits(u64 *spaces, u64 *ports, u64 *bytes)
{
	*spaces = READ_ONCE(max_user_spaces);
	*ports = READ_ONCE(max_user_ports);
	*bytes = READ_ONCE(max_user_bytes);
}

static unsigned int max_user_bootstrap_names = 1024;
module_param(max_user_bootstrap_names, uint, 0644);
MODULE_PARM_DESC(max_user_bootstrap_names,
		 "Names one user may hold in one bootstrap registry; beyond, BOOTSTRAP_NO_MEMORY (0: no limit; default 1024)");

unsigned int machipc_shim_max_bootstrap_names(void)
{
	return READ_ONCE(max_user_bootstrap_names);
}

/* Whether the caller is exempt from the per-user limits. */
bool machipc_shim_capable_resource(void)
{
	return capable(CAP_SYS_RESOURCE);
}

/*
 * The caller's own IPC space is full: the process dies of SIGKILL when
 * the call returns, as XNU's task_port_space_ast ends a task that filled
 * its own space. The global init process and kernel threads are spared
 * (XNU: launchd and the kernel task); a container's init is not, as it
 * is an ordinary process to the host. SEND_SIG_PRIV: a signal from the
 * kernel, which an unkillable (namespace init) task does not ignore.
 */
void machipc_shim_kill_current_for_full_space(void)
{
	/* Once is enough: a receive may go on to fail on each further name
	 * of its message. */
	if (is_global_init(current) || (current->flags & PF_KTHREAD) || fatal_signal_pending(current))
		return;
	pr_notice_ratelimited("machipc: %s[%d] killed: its Mach port name space is full\n", current->comm,
			      task_tgid_nr(current));
	send_sig(SIGKILL, current, 1);
}

struct machipc_ool_pages {
	struct page **pages;
	unsigned long count;
};

/*
 * Called by vm_mmap() below with the mmap lock held for writing: inserts
 * the region's pages (each gains a reference held by the mapping).
 * VM_DONTEXPAND keeps mremap from growing the mapping past them.
 *
 * The pages are inserted writable although the mapping is private: the
 * message gives them up, so this mapping is their only user and the
 * receiver's first write to each need not fault and copy it (the
 * private protection, vm_page_prot, would map them read-only). From
 * then on they are ordinary private pages: fork write-protects them in
 * both processes (copy_present_ptes), and mprotect makes them writable
 * again only through a copy, since they are not anonymous.
 */
static int machipc_ool_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct machipc_ool_pages *p = file->private_data;
	pgprot_t cow = vma->vm_page_prot;
	unsigned long n;
	int err;

	if (!p || vma_pages(vma) != p->count || vma->vm_pgoff)
		return -EINVAL;
	n = p->count;
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags | VM_SHARED);
	err = vm_insert_pages(vma, vma->vm_start, p->pages, &n);
	vma->vm_page_prot = cow;
	return err;
}

static const struct file_operations machipc_ool_fops = {
	.owner = THIS_MODULE,
	.mmap = machipc_ool_mmap,
	.llseek = noop_llseek,
};

/*
 * Maps `count` pages at a fresh address of the caller, private and
 * read-write (a write copies the page first). The file exists only to carry
 * the mmap handler; it is never installed as a descriptor, and the mapping
 * keeps the only reference left once this returns.
 */
long machipc_shim_map_pages(struct page **pages, unsigned long count)
{
	struct machipc_ool_pages p = { .pages = pages, .count = count };
	struct file *f;
	unsigned long addr;

	f = anon_inode_getfile("[machipc-ool]", &machipc_ool_fops, &p, O_RDWR);
	if (IS_ERR(f))
		return PTR_ERR(f);
	addr = vm_mmap(f, 0, count << PAGE_SHIFT, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	f->private_data = NULL;
	fput(f);
	return (long)addr;
}

/*
 * The order of the runs machipc_shim_alloc_pages takes: 8 pages, the
 * largest order the per-CPU free lists keep (PAGE_ALLOC_COSTLY_ORDER).
 */
#define MACHIPC_RUN_ORDER PAGE_ALLOC_COSTLY_ORDER

/*
 * Allocates `n` pages into `pages`, charged to the caller's memory cgroup
 * (GFP_KERNEL_ACCOUNT): in runs of 2^MACHIPC_RUN_ORDER pages, each one
 * allocation split into single pages (mapped and freed one by one), when
 * such a run is free without reclaim (as networking's page fragments);
 * a page at a time otherwise. Returns how many were allocated: fewer than
 * `n` only when memory ran out.
 */
unsigned long machipc_shim_alloc_pages(struct page **pages, unsigned long n)
{
	const gfp_t run_gfp = (GFP_KERNEL_ACCOUNT & ~__GFP_DIRECT_RECLAIM) | __GFP_NORETRY | __GFP_NOWARN;
	unsigned int order = MACHIPC_RUN_ORDER;
	unsigned long i = 0, k;

	while (i < n) {
		struct page *page = NULL;

		if (order && n - i >= 1UL << order) {
			page = alloc_pages(run_gfp, order);
			if (page)
				split_page(page, order);
			else
				order = 0;
		}
		if (!page) {
			page = alloc_page(GFP_KERNEL_ACCOUNT);
			if (!page)
				break;
			pages[i++] = page;
			continue;
		}
		for (k = 0; k < 1UL << order; k++)
			pages[i++] = page + k;
	}
	return i;
}

/* Drops one reference to each of `n` pages (machipc_shim_alloc_pages'). */
void machipc_shim_put_pages(struct page **pages, unsigned long n)
{
	release_pages(pages, n);
}

/* Source pages pinned at a time by machipc_shim_copy_in. */
#define MACHIPC_COPY_BATCH 32

/*
 * Copies what is left of [uaddr + done, uaddr + len) with copy_from_user,
 * a destination page at a time: memory that pinning refuses (VM_IO or
 * VM_PFNMAP mappings) and the errors, which are copy_from_user's.
 */
static int machipc_copy_in_user(struct page **dst, unsigned long uaddr, size_t done, size_t len)
{
	while (done < len) {
		size_t off = done & ~PAGE_MASK;
		size_t chunk = min_t(size_t, PAGE_SIZE - off, len - done);
		void *d = kmap_local_page(dst[done >> PAGE_SHIFT]);
		unsigned long left = copy_from_user(d + off, (const void __user *)(uaddr + done), chunk);

		kunmap_local(d);
		if (left)
			return -EFAULT;
		done += chunk;
		cond_resched();
	}
	return 0;
}

/*
 * Copies `len` bytes at the caller's address `uaddr` into the pages `dst`
 * (byte 0 at the start of dst[0]), and zeroes the rest of the last page.
 * The source pages are pinned for reading a batch at a time and copied
 * kernel to kernel: no user access per byte, and the architecture's
 * memcpy rather than its user-copy routine. What cannot be pinned is
 * copied with copy_from_user, which also decides the error (-EFAULT).
 * The caller owns `dst` alone; `len` is at most `ndst` pages.
 */
int machipc_shim_copy_in(struct page **dst, unsigned long ndst, unsigned long uaddr, size_t len)
{
	struct page *src[MACHIPC_COPY_BATCH];
	size_t done = 0;

	if (len > ndst << PAGE_SHIFT)
		return -EINVAL;
	while (done < len) {
		unsigned long from = uaddr + done;
		unsigned long first = from & PAGE_MASK;
		unsigned long want = min_t(unsigned long, MACHIPC_COPY_BATCH,
					   (PAGE_ALIGN(uaddr + len) - first) >> PAGE_SHIFT);
		size_t end;
		int got = pin_user_pages_fast(first, want, 0, src);

		if (got <= 0)
			break;
		end = min_t(size_t, len, first + ((unsigned long)got << PAGE_SHIFT) - uaddr);
		while (done < end) {
			size_t doff = done & ~PAGE_MASK;
			size_t soff = (uaddr + done) & ~PAGE_MASK;
			size_t chunk = min3(PAGE_SIZE - doff, PAGE_SIZE - soff, end - done);
			struct page *sp = src[(uaddr + done - first) >> PAGE_SHIFT];
			void *d = kmap_local_page(dst[done >> PAGE_SHIFT]);
			void *s = kmap_local_page(sp);

			memcpy(d + doff, s + soff, chunk);
			kunmap_local(s);
			kunmap_local(d);
			done += chunk;
		}
		unpin_user_pages(src, got);
		cond_resched();
	}
	if (done < len && machipc_copy_in_user(dst, uaddr, done, len))
		return -EFAULT;
	if (len & ~PAGE_MASK) {
		void *d = kmap_local_page(dst[len >> PAGE_SHIFT]);

		memset(d + (len & ~PAGE_MASK), 0, PAGE_SIZE - (len & ~PAGE_MASK));
		kunmap_local(d);
	}
	return 0;
}

/* Unmaps [addr, addr + len) of the caller, rounded out to pages. */
int machipc_shim_unmap(unsigned long addr, size_t len)
{
	unsigned long start = addr & PAGE_MASK;
	unsigned long end = PAGE_ALIGN(addr + len);

	if (end < start)
		return -EINVAL;
	return vm_munmap(start, end - start);
}

/*
 * KUnit support: binds the calling thread to `cpu` (it runs there when
 * this returns), or gives it every CPU back.
 */
int machipc_shim_pin_to_cpu(unsigned int cpu)
{
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	return set_cpus_allowed_ptr(current, cpumask_of(cpu));
}

void machipc_shim_unpin(void)
{
	set_cpus_allowed_ptr(current, cpu_possible_mask);
}

/* KUnit support: CPU hotplug (the cache must survive a CPU going away). */
int machipc_shim_set_cpu_online(unsigned int cpu, bool online)
{
	return online ? add_cpu(cpu) : remove_cpu(cpu);
}

/*
 * The workqueue that tears down large spaces after their file is closed
 * (rust/space.rs, Space::release). The module's own, so that module exit
 * can wait for every teardown still queued (destroy_workqueue() drains it)
 * before the code those work items run goes away. Unbound: a teardown may
 * run for a long time (cond_resched() every 1024 names) and need not stay
 * on the CPU that queued it.
 */
static struct workqueue_struct *machipc_teardown_wq;

int machipc_shim_teardown_wq_init(void)
{
	machipc_teardown_wq = alloc_workqueue("machipc_teardown", WQ_UNBOUND, 0);
	return machipc_teardown_wq ? 0 : -ENOMEM;
}

/* Waits for every queued teardown to finish, then frees the workqueue. */
void machipc_shim_teardown_wq_exit(void)
{
	destroy_workqueue(machipc_teardown_wq);
	machipc_teardown_wq = NULL;
}

struct workqueue_struct *machipc_shim_teardown_wq(void)
{
	return machipc_teardown_wq;
}

/* The pid numbered `nr` in the caller's pid namespace, referenced; NULL if none. */
void *machipc_shim_find_pid(int nr)
{
	return find_get_pid(nr);
}

/*
 * Yama's ptrace_scope, which a module cannot read: 0 classic ptrace rules,
 * 1 (default) the target must also be a descendant of the caller, 2 only
 * CAP_SYS_PTRACE holders, 3 nobody (but a process itself).
 */
static unsigned int task_for_pid_scope = 1;
module_param(task_for_pid_scope, uint, 0644);
MODULE_PARM_DESC(task_for_pid_scope,
		 "task_for_pid restriction as Yama's ptrace_scope: 0 classic, 1 descendants (default), 2 CAP_SYS_PTRACE, 3 none");

/* Yama's task_is_descendant(): `child` is `parent`'s process or below it. Under RCU. */
static bool machipc_is_descendant(struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *walker = child;

	if (!thread_group_leader(parent))
		parent = rcu_dereference(parent->group_leader);
	while (walker->pid > 0) {
		if (!thread_group_leader(walker))
			walker = rcu_dereference(walker->group_leader);
		if (walker == parent)
			return true;
		walker = rcu_dereference(walker->real_parent);
	}
	return false;
}

/*
 * Whether the caller may attach to (ptrace) the process `pid`, as
 * ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS) followed by Yama would
 * answer; neither is exported to modules, so their rules are repeated:
 * - a process may always attach to itself;
 * - the caller's real uid and gid match all of the target's ids, or it has
 *   CAP_SYS_PTRACE in the target's user namespace;
 * - a target that is not dumpable (it changed credentials, or exec'd a
 *   setuid program) needs CAP_SYS_PTRACE in the user namespace of its
 *   image, read after its credentials as ptrace does (commit_creds() makes
 *   a process non-dumpable before it publishes the new credentials);
 * - then task_for_pid_scope as Yama's ptrace_scope, without Yama's
 *   PR_SET_PTRACER exceptions (stricter: they are not visible to a module).
 * LSMs other than Yama are not consulted.
 */
/*
 * What task_info reports of the process `pid`, from Linux's accounting.
 * kids[4]: euid, egid, ruid, rgid as kernel ids. usage[7]: the address
 * space's size, its resident size and the high-water mark of that (bytes;
 * 0 without an mm), then the user and system time of exited threads and of
 * live threads (ns), as task_info splits them. False once it has exited.
 */
bool machipc_shim_task_usage(void *pid, u32 *kids, u64 *usage)
{
	struct task_struct *task = machipc_live_task(pid), *t;
	const struct cred *cred;
	struct mm_struct *mm;
	u64 ut, st, live_ut = 0, live_st = 0;

	if (!task)
		return false;
	rcu_read_lock();
	cred = __task_cred(task);
	kids[0] = __kuid_val(cred->euid);
	kids[1] = __kgid_val(cred->egid);
	kids[2] = __kuid_val(cred->uid);
	kids[3] = __kgid_val(cred->gid);
	rcu_read_unlock();

	usage[0] = usage[1] = usage[2] = 0;
	mm = get_task_mm(task);
	if (mm) {
		unsigned long rss = get_mm_rss(mm);

		usage[0] = (u64)READ_ONCE(mm->total_vm) << PAGE_SHIFT;
		usage[1] = (u64)rss << PAGE_SHIFT;
		usage[2] = (u64)max(READ_ONCE(mm->hiwater_rss), rss) << PAGE_SHIFT;
		mmput(mm);
	}

	/*
	 * Exited threads' times are folded into the signal struct (under
	 * siglock, which a module cannot take: a thread exiting meanwhile may
	 * be counted twice or not at all, as in /proc/PID/stat's racier reads).
	 */
	rcu_read_lock();
	usage[3] = READ_ONCE(task->signal->utime);
	usage[4] = READ_ONCE(task->signal->stime);
	for_each_thread(task, t) {
		task_cputime_adjusted(t, &ut, &st);
		live_ut += ut;
		live_st += st;
	}
	rcu_read_unlock();
	usage[5] = live_ut;
	usage[6] = live_st;
	put_task_struct(task);
	return true;
}

/*
 * Threads (rust/thread.rs). A thread is named by its own struct pid
 * (PIDTYPE_PID), whose reference the thread port keeps: the pid number may
 * be reused, the struct pid is not while referenced.
 */

/* The calling thread's struct pid, referenced. */
void *machipc_shim_get_thread_pid(void)
{
	return get_pid(task_pid(current));
}

/*
 * The program image the thread `pid` runs (its self_exec_id); false once it
 * has begun to exit. A thread port keeps it from when it was made.
 */
bool machipc_shim_thread_exec_id(void *pid, u64 *id)
{
	struct task_struct *t;
	bool live;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_PID);
	live = t && !machipc_thread_exiting(t);
	if (live)
		*id = READ_ONCE(t->self_exec_id);
	rcu_read_unlock();
	return live;
}

/*
 * Holds the thread `pid` at image `exec_id`, as machipc_shim_image_lock
 * holds a process (machipc_image_hold). Returns the task for
 * machipc_shim_image_unlock(), or NULL (gone, exec'd, or a fatal signal
 * pending for the caller).
 */
void *machipc_shim_thread_image_lock(void *pid, u64 exec_id)
{
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_PID);
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	return t ? machipc_image_hold(t, pid, PIDTYPE_PID, exec_id) : NULL;
}

/* Whether the thread `pid` belongs to the process `tgid`. */
bool machipc_shim_thread_in(void *pid, void *tgid)
{
	struct task_struct *t;
	bool in;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_PID);
	in = t && task_tgid(t) == tgid;
	rcu_read_unlock();
	return in;
}

/*
 * The live threads of the process `tgid`, in the order of its thread list
 * (the leader, then by creation): the first `max` go to `out` as new
 * references. Returns how many there are (more than `max` means the caller
 * must try again with more room, after putting the ones it got), or -1 if
 * the process has exited. Threads that have begun to exit are left out.
 */
long machipc_shim_threads(void *tgid, void **out, unsigned long max)
{
	struct task_struct *leader, *t;
	long n = 0;

	rcu_read_lock();
	leader = pid_task(tgid, PIDTYPE_TGID);
	if (!leader || machipc_group_exited(leader)) {
		rcu_read_unlock();
		return -1;
	}
	for_each_thread(leader, t) {
		if (machipc_thread_exiting(t))
			continue;
		if (n < max)
			out[n] = get_pid(task_pid(t));
		n++;
	}
	rcu_read_unlock();
	return n;
}

/* XNU's run states (mach/thread_info.h). */
#define MACHIPC_TH_STATE_RUNNING 1
#define MACHIPC_TH_STATE_STOPPED 2
#define MACHIPC_TH_STATE_WAITING 3
#define MACHIPC_TH_STATE_UNINTERRUPTIBLE 4
#define MACHIPC_TH_STATE_HALTED 5

/*
 * What thread_info reports of the thread `pid`; false once it has begun to
 * exit. info[]: user ns, system ns, run state, Linux policy, scaled cpu
 * usage (0..1000), nice, rt priority, 64-bit thread id, thread pointer
 * (the TLS base: pthread_self() with glibc on x86-64); `name` gets the
 * thread's comm, NUL-terminated.
 */
bool machipc_shim_thread_info(void *pid, u64 *info, char *name)
{
	struct task_struct *t;
	unsigned int state;
	u64 ut, st;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_PID);
	if (!t || machipc_thread_exiting(t)) {
		rcu_read_unlock();
		return false;
	}
	task_cputime_adjusted(t, &ut, &st);
	info[0] = ut;
	info[1] = st;
	state = READ_ONCE(t->__state);
	if (state == TASK_RUNNING)
		info[2] = MACHIPC_TH_STATE_RUNNING;
	else if (state & (__TASK_STOPPED | __TASK_TRACED))
		info[2] = MACHIPC_TH_STATE_STOPPED;
	else if (state & TASK_UNINTERRUPTIBLE)
		info[2] = MACHIPC_TH_STATE_UNINTERRUPTIBLE;
	else
		info[2] = MACHIPC_TH_STATE_WAITING;
	info[3] = READ_ONCE(t->policy);
#ifdef CONFIG_SMP
	info[4] = min_t(u64, READ_ONCE(t->se.avg.util_avg) * 1000 / SCHED_CAPACITY_SCALE, 1000);
#else
	info[4] = 0;
#endif
	info[5] = (u64)(s64)task_nice(t);
	info[6] = READ_ONCE(t->rt_priority);
	info[7] = ((struct pid *)pid)->ino;
#ifdef CONFIG_X86_64
	info[8] = READ_ONCE(t->thread.fsbase);
#else
	info[8] = 0;
#endif
	/* comm may change under us (prctl): a torn name is still a string. */
	memcpy(name, t->comm, TASK_COMM_LEN);
	name[TASK_COMM_LEN - 1] = '\0';
	rcu_read_unlock();
	return true;
}

/*
 * The live leader of `pid` for a permission check, referenced; NULL when it
 * has exited, or when it is the caller's own process (`*self` then set),
 * which every check allows.
 */
static struct task_struct *machipc_checked_task(void *pid, bool *self)
{
	struct task_struct *task = machipc_live_task(pid);

	*self = task && same_thread_group(task, current);
	if (*self) {
		put_task_struct(task);
		return NULL;
	}
	return task;
}

bool machipc_shim_may_attach(void *pid)
{
	const struct cred *me = current_cred(), *tcred;
	const struct task_exec_state *image;
	unsigned int scope = READ_ONCE(task_for_pid_scope);
	bool ok, cap, self;
	struct task_struct *task = machipc_checked_task(pid, &self);

	if (!task)
		return self;
	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(me->uid, tcred->euid) && uid_eq(me->uid, tcred->suid) && uid_eq(me->uid, tcred->uid) &&
	     gid_eq(me->gid, tcred->egid) && gid_eq(me->gid, tcred->sgid) && gid_eq(me->gid, tcred->gid);
	cap = (!ok || scope != 0) && ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	ok = ok || cap;
	/* Pairs with the write barrier in commit_creds(), as in ptrace. */
	smp_rmb();
	image = rcu_dereference(task->exec_state);
	if (ok && (!image || (READ_ONCE(image->dumpable) != TASK_DUMPABLE_OWNER &&
			      !ns_capable(image->user_ns, CAP_SYS_PTRACE))))
		ok = false;
	if (ok && scope == 1 && !cap && !machipc_is_descendant(current, task))
		ok = false;
	if (ok && scope == 2 && !cap)
		ok = false;
	if (scope >= 3)
		ok = false;
	rcu_read_unlock();
	put_task_struct(task);
	return ok;
}

/*
 * Verified faults, for exceptions the module raises itself (rust/exception.rs).
 *
 * A module gets no hook in fault delivery, but the kernel's signal_generate
 * tracepoint fires wherever a signal is queued, in the context of whoever
 * sends it. A hardware fault of a user thread sends its signal to itself
 * from the trap handler: then the target is current, the siginfo has a
 * kernel-only si_code (> 0), and current's user-entry frame is an exception
 * frame, not a system call (syscall_get_nr() is -1). kill, tgkill and
 * rt_[tg]sigqueueinfo, the only ways a process can send itself SIGSEGV with
 * any si_code it likes, all run in a system call, so they never pass.
 *
 * Such a fault is remembered here (signal, si_code, si_addr) for its thread,
 * if the thread has a handler for the signal (otherwise it dies of it), and
 * handed out once, to that thread only (machipc_shim_take_fault). The table
 * is small and fixed because the probe runs under the target's siglock with
 * interrupts off: no allocation. When full, the oldest entry goes.
 */
#include <linux/tracepoint.h>
#include <linux/sched/task_stack.h>
#include <asm/syscall.h>

#define MACHIPC_FAULT_SLOTS 128

struct machipc_fault_slot {
	struct task_struct *task; /* compared, never dereferenced */
	u64 start_time;           /* tells a reused task_struct apart */
	u64 seq;
	int sig;
	int code;
	unsigned long addr;
};

static struct machipc_fault_slot machipc_faults[MACHIPC_FAULT_SLOTS];
static u64 machipc_fault_seq;
static DEFINE_SPINLOCK(machipc_faults_lock);
static struct tracepoint *machipc_signal_generate_tp;

static bool machipc_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* signal_generate's TP_PROTO, with the probe's data pointer first.
 * result: TRACE_SIGNAL_DELIVERED 0, TRACE_SIGNAL_ALREADY_PENDING 2. */
static void __maybe_unused machipc_signal_generate(void *data, int sig, struct kernel_siginfo *info, struct task_struct *task,
				    int group, int result)
{
	struct machipc_fault_slot *s, *victim = NULL;
	__sighandler_t h;
	unsigned long flags;
	int i;

	if (task != current || !machipc_fault_signal(sig) || info == SEND_SIG_NOINFO || info == SEND_SIG_PRIV ||
	    info->si_code <= 0 || (result != 0 && result != 2))
		return;
	if ((current->flags & PF_KTHREAD) || syscall_get_nr(current, task_pt_regs(current)) != -1)
		return;
	/* The caller (__send_signal_locked) holds task->sighand->siglock. */
	h = task->sighand->action[sig - 1].sa.sa_handler;
	if (h == SIG_DFL || h == SIG_IGN)
		return;
	spin_lock_irqsave(&machipc_faults_lock, flags);
	for (i = 0; i < MACHIPC_FAULT_SLOTS; i++) {
		s = &machipc_faults[i];
		if (s->task == task && s->start_time == task->start_time) {
			victim = s;
			break;
		}
		if (!victim || s->seq < victim->seq)
			victim = s;
	}
	victim->task = task;
	victim->start_time = task->start_time;
	victim->seq = ++machipc_fault_seq;
	victim->sig = sig;
	victim->code = info->si_code;
	victim->addr = (unsigned long)info->si_addr;
	spin_unlock_irqrestore(&machipc_faults_lock, flags);
}

/*
 * Takes the calling thread's verified fault, if it has one: its signal,
 * si_code and si_addr. Returns false if there is none (no fault since the
 * last take, or it was pushed out of the table).
 */
bool machipc_shim_take_fault(int *sig, int *code, unsigned long *addr)
{
	unsigned long flags;
	bool found = false;
	int i;

	spin_lock_irqsave(&machipc_faults_lock, flags);
	for (i = 0; i < MACHIPC_FAULT_SLOTS; i++) {
		struct machipc_fault_slot *s = &machipc_faults[i];

		if (s->task == current && s->start_time == current->start_time && s->seq) {
			*sig = s->sig;
			*code = s->code;
			*addr = s->addr;
			memset(s, 0, sizeof(*s));
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&machipc_faults_lock, flags);
	return found;
}

static void __maybe_unused machipc_find_signal_generate(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "signal_generate"))
		machipc_signal_generate_tp = tp;
}

/* Starts recording faults; without tracepoints no fault is ever verified. */
int machipc_shim_faults_init(void)
{
#ifndef CONFIG_TRACEPOINTS
	return -ENOENT;
#else
	int ret;

	for_each_kernel_tracepoint(machipc_find_signal_generate, NULL);
	if (!machipc_signal_generate_tp)
		return -ENOENT;
	ret = tracepoint_probe_register(machipc_signal_generate_tp, machipc_signal_generate, NULL);
	if (ret)
		machipc_signal_generate_tp = NULL;
	return ret;
#endif
}

void machipc_shim_faults_exit(void)
{
#ifdef CONFIG_TRACEPOINTS
	if (!machipc_signal_generate_tp)
		return;
	tracepoint_probe_unregister(machipc_signal_generate_tp, machipc_signal_generate, NULL);
	tracepoint_synchronize_unregister();
	machipc_signal_generate_tp = NULL;
#endif
}

/*
 * The host (host.rs): one per IPC namespace. The caller's IPC namespace,
 * referenced; NULL on a kernel built without System V IPC and POSIX
 * message queues, where there is none and every process shares one host.
 */
void *machipc_shim_ipc_ns_get(void)
{
	struct nsproxy *nsp = current->nsproxy;

	return nsp ? get_ipc_ns(nsp->ipc_ns) : NULL;
}

void machipc_shim_ipc_ns_put(void *ns)
{
	if (ns)
		put_ipc_ns(ns);
}

/* Whether `ns` is the caller's IPC namespace. */
bool machipc_shim_ipc_ns_is_current(void *ns)
{
	struct nsproxy *nsp = current->nsproxy;

	return nsp && nsp->ipc_ns == ns;
}

/*
 * Whether the caller has CAP_SYS_ADMIN in the user namespace that owns the
 * IPC namespace `ns` (the initial one when there is none).
 */
bool machipc_shim_ipc_ns_admin(void *ns)
{
	struct ipc_namespace *ipc = ns;

	return ns_capable(ipc ? ipc->user_ns : &init_user_ns, CAP_SYS_ADMIN);
}

/* Cores among `mask`: CPUs that are the first of their SMT siblings. */
static u64 machipc_cores(const struct cpumask *mask)
{
	unsigned int cpu;
	u64 n = 0;

	for_each_cpu(cpu, mask)
		if (cpu == cpumask_first(topology_sibling_cpumask(cpu)))
			n++;
	return n;
}

/*
 * What host_info(HOST_BASIC_INFO) reports: CPUs possible and online,
 * cores online and present, RAM in bytes, and the tick length in
 * microseconds (HOST_SCHED_INFO).
 */
void machipc_shim_host_counts(u64 *v)
{
	u64 present;

	cpus_read_lock();
	v[0] = num_possible_cpus();
	v[1] = num_online_cpus();
	v[2] = machipc_cores(cpu_online_mask);
	present = machipc_cores(cpu_present_mask);
	cpus_read_unlock();
	v[3] = max(present, v[2]);
	v[4] = (u64)totalram_pages() << PAGE_SHIFT;
	v[5] = jiffies_to_usecs(1);
}

/*
 * task_name_for_pid's rule, XNU's for a name port: the caller itself, a
 * process with the caller's effective and real uid, or any process the
 * caller could ptrace by capability (CAP_SYS_PTRACE over its user
 * namespace, XNU's superuser). The caller's pid namespace must see it
 * (find_pid). An exited process has no name port.
 */
bool machipc_shim_may_name(void *pid)
{
	const struct cred *me = current_cred(), *tcred;
	bool ok, self;
	struct task_struct *task = machipc_checked_task(pid, &self);

	if (!task)
		return self;
	rcu_read_lock();
	tcred = __task_cred(task);
	ok = (uid_eq(me->euid, tcred->euid) && uid_eq(me->uid, tcred->uid)) ||
	     ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	put_task_struct(task);
	return ok;
}
