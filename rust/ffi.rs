// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The one place where machipc touches raw kernel bindings and calls its C
//! shim (`rust/shim.c`). Everything else in the crate uses the safe
//! wrappers here. The shim's functions are declared once, in `mod c`
//! below, after their C prototypes in `rust/shim.h`; the calls the other
//! way, from the shim into Rust, are all in `callbacks.rs`.

use kernel::fs::File;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, ArcBorrow};
use kernel::uaccess::UserPtr;

mod c {
    use core::ffi::{c_int, c_void};

    extern "C" {
        pub(super) fn machipc_shim_register() -> c_int;
        pub(super) fn machipc_shim_deregister();
        pub(super) fn machipc_shim_port_file(portfd: *mut c_void) -> *mut c_void;
        pub(super) fn machipc_shim_file_kind(file: *mut c_void, rightfd: *mut *mut c_void)
            -> c_int;
        pub(super) fn machipc_shim_right_file(rightfd: *mut c_void) -> *mut c_void;
        pub(super) fn machipc_shim_cond_resched();
        pub(super) fn machipc_shim_current_kids(
            euid: *mut u32,
            egid: *mut u32,
            ruid: *mut u32,
            rgid: *mut u32,
        );
        pub(super) fn machipc_shim_current_cred() -> *const c_void;
        pub(super) fn machipc_shim_uid_in_current_ns(kuid: u32) -> u32;
        pub(super) fn machipc_shim_gid_in_current_ns(kgid: u32) -> u32;
        pub(super) fn machipc_shim_get_tgid() -> *mut c_void;
        pub(super) fn machipc_shim_put_pid(pid: *mut c_void);
        pub(super) fn machipc_shim_kcache_push(kmsg: *mut c_void) -> bool;
        pub(super) fn machipc_shim_kcache_pop() -> *mut c_void;
        pub(super) fn machipc_shim_kcache_take(cpu: u32) -> *mut c_void;
        pub(super) fn machipc_shim_kcache_len(cpu: u32) -> u32;
        pub(super) fn machipc_shim_pid_is_current(pid: *mut c_void) -> bool;
        pub(super) fn machipc_shim_pid_vnr(pid: *mut c_void) -> c_int;
        pub(super) fn machipc_shim_pid_version(pid: *mut c_void) -> u32;
        pub(super) fn machipc_shim_current_exec_id() -> u64;
        pub(super) fn machipc_shim_exec_id(pid: *mut c_void, id: *mut u64) -> bool;
        pub(super) fn machipc_shim_image_lock(pid: *mut c_void, exec_id: u64) -> *mut c_void;
        pub(super) fn machipc_shim_image_unlock(task: *mut c_void);
        pub(super) fn machipc_shim_map_copy(data: *const c_void, len: usize) -> core::ffi::c_long;
        pub(super) fn machipc_shim_ool_map_min() -> usize;
        pub(super) fn machipc_shim_user_limits(spaces: *mut u64, ports: *mut u64, bytes: *mut u64);
        pub(super) fn machipc_shim_capable_resource() -> bool;
        pub(super) fn machipc_shim_kill_current_for_full_space();
        pub(super) fn machipc_shim_max_bootstrap_names() -> core::ffi::c_uint;
        pub(super) fn machipc_shim_map_pages(
            pages: *mut *mut c_void,
            count: core::ffi::c_ulong,
        ) -> core::ffi::c_long;
        pub(super) fn machipc_shim_unmap(addr: usize, len: usize) -> c_int;
        pub(super) fn machipc_shim_alloc_pages(
            pages: *mut *mut c_void,
            n: core::ffi::c_ulong,
        ) -> core::ffi::c_ulong;
        pub(super) fn machipc_shim_put_pages(pages: *mut *mut c_void, n: core::ffi::c_ulong);
        pub(super) fn machipc_shim_copy_in(
            dst: *mut *mut c_void,
            ndst: core::ffi::c_ulong,
            uaddr: core::ffi::c_ulong,
            len: usize,
        ) -> c_int;
        pub(super) fn machipc_shim_space_of_fd(fd: c_int) -> *mut c_void;
        pub(super) fn machipc_shim_find_pid(nr: c_int) -> *mut c_void;
        pub(super) fn machipc_shim_may_attach(pid: *mut c_void) -> bool;
        pub(super) fn machipc_shim_task_usage(
            pid: *mut c_void,
            kids: *mut u32,
            usage: *mut u64,
        ) -> bool;
        pub(super) fn machipc_shim_get_thread_pid() -> *mut c_void;
        pub(super) fn machipc_shim_thread_exec_id(pid: *mut c_void, id: *mut u64) -> bool;
        pub(super) fn machipc_shim_thread_image_lock(pid: *mut c_void, exec_id: u64)
            -> *mut c_void;
        pub(super) fn machipc_shim_thread_in(pid: *mut c_void, tgid: *mut c_void) -> bool;
        pub(super) fn machipc_shim_threads(
            tgid: *mut c_void,
            out: *mut *mut c_void,
            max: core::ffi::c_ulong,
        ) -> core::ffi::c_long;
        pub(super) fn machipc_shim_thread_info(
            pid: *mut c_void,
            info: *mut u64,
            name: *mut u8,
        ) -> bool;
        pub(super) fn machipc_shim_pin_to_cpu(cpu: core::ffi::c_uint) -> c_int;
        pub(super) fn machipc_shim_unpin();
        pub(super) fn machipc_shim_set_cpu_online(cpu: core::ffi::c_uint, online: bool) -> c_int;
        pub(super) fn machipc_shim_faults_init() -> c_int;
        pub(super) fn machipc_shim_faults_exit();
        pub(super) fn machipc_shim_take_fault(
            sig: *mut c_int,
            code: *mut c_int,
            addr: *mut usize,
        ) -> bool;
        pub(super) fn machipc_shim_teardown_wq_init() -> c_int;
        pub(super) fn machipc_shim_teardown_wq_exit();
        pub(super) fn machipc_shim_teardown_wq() -> *mut kernel::bindings::workqueue_struct;
        pub(super) fn machipc_shim_ipc_ns_get() -> *mut c_void;
        pub(super) fn machipc_shim_ipc_ns_put(ns: *mut c_void);
        pub(super) fn machipc_shim_ipc_ns_is_current(ns: *mut c_void) -> bool;
        pub(super) fn machipc_shim_ipc_ns_admin(ns: *mut c_void) -> bool;
        pub(super) fn machipc_shim_host_counts(v: *mut u64);
        pub(super) fn machipc_shim_may_name(pid: *mut c_void) -> bool;
    }
}

/// The kernel's `struct file`, as the shim's poll callback passes it.
pub(crate) type RawFile = kernel::bindings::file;
/// The kernel's `poll_table`, as the shim's poll callback passes it.
pub(crate) type RawPollTable = kernel::bindings::poll_table_struct;

/// Registers `/dev/machipc` (mode and group gate: the `dev_mode` and `dev_gid`
/// parameters of `shim.c`) with the shim's file operations.
pub(crate) fn register_device() -> Result {
    // SAFETY: Called once from module init; the shim's miscdevice is static.
    let ret = unsafe { c::machipc_shim_register() };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// Removes `/dev/machipc`; open files keep the module loaded until closed.
pub(crate) fn deregister_device() {
    // SAFETY: Called once from module exit, after a successful register.
    unsafe { c::machipc_shim_deregister() };
}

/// A new port descriptor's file (not yet installed) whose `private_data` is
/// `data`; on success the file owns `data`, on failure the caller still
/// does.
///
/// # Safety
///
/// `data` must come from `KBox::<PortFd>::into_raw` and stay valid until
/// the shim calls `machipc_rust_port_release` with it.
pub(crate) unsafe fn port_file(data: *mut core::ffi::c_void) -> Result<ARef<File>> {
    // SAFETY: The caller guarantees `data`'s validity.
    let f = kernel::error::from_err_ptr(unsafe { c::machipc_shim_port_file(data) })?;
    match core::ptr::NonNull::new(f.cast::<File>()) {
        // SAFETY: A new file comes with one reference, which the `ARef`
        // takes over.
        Some(p) => Ok(unsafe { ARef::from_raw(p) }),
        None => Err(ENOMEM),
    }
}

/// What a descriptor handed to `fileport_makeport` is (`shim.c`'s
/// `machipc_shim_file_kind`).
pub(crate) enum FileKind<'a> {
    /// Any file machipc has no rule for.
    Other,
    /// `/dev/machipc`: a space.
    Device,
    /// A port descriptor (`machipc_port_fd`).
    PortFd,
    /// A right descriptor (`machipc_port_to_fd`), borrowed for as long as
    /// the file is.
    RightFd(ArcBorrow<'a, crate::right_fd::RightFd>),
    /// An io_uring instance.
    IoUring,
    /// An `AF_UNIX` socket.
    UnixSocket,
}

/// The descriptor `fd` of the calling process, with a reference of its
/// own; `EBADF` if none is open.
pub(crate) fn fget(fd: i32) -> Result<ARef<File>> {
    let fd = u32::try_from(fd).map_err(|_| EBADF)?;
    let f = kernel::fs::LocalFile::fget(fd)?;
    // SAFETY: The reference is never used for `fdget_pos`-style position
    // access: machipc only classifies the file, holds it and installs it
    // as a descriptor again.
    Ok(unsafe { kernel::fs::LocalFile::assume_no_fdget_pos(f) })
}

/// What `file` is.
pub(crate) fn file_kind(file: &File) -> FileKind<'_> {
    let mut data: *mut core::ffi::c_void = core::ptr::null_mut();
    // SAFETY: `file` is a live file (the caller holds a reference); the
    // shim only reads its operations, inode, dentry and socket.
    let kind = unsafe { c::machipc_shim_file_kind(file.as_ptr().cast(), &mut data) };
    match kind {
        1 => FileKind::Device,
        2 => FileKind::PortFd,
        // SAFETY: A right descriptor's `private_data` is an
        // `Arc<RightFd>` reference that lives until the file's release,
        // which cannot come while `file` is borrowed (the borrow holds a
        // file reference).
        3 => FileKind::RightFd(unsafe { ArcBorrow::from_raw(data.cast()) }),
        4 => FileKind::IoUring,
        5 => FileKind::UnixSocket,
        _ => FileKind::Other,
    }
}

/// A new right descriptor's file (not yet installed) owning the reference
/// `rfd`; on failure `rfd` is handed back.
pub(crate) fn right_file(
    rfd: Arc<crate::right_fd::RightFd>,
) -> core::result::Result<ARef<File>, Arc<crate::right_fd::RightFd>> {
    let raw = Arc::into_raw(rfd);
    // SAFETY: `raw` is one reference; on success the file owns it and the
    // shim hands it to `machipc_rust_right_release` once.
    let f = unsafe { c::machipc_shim_right_file(raw.cast_mut().cast()) };
    match kernel::error::from_err_ptr(f) {
        Ok(f) => match core::ptr::NonNull::new(f.cast::<File>()) {
            // SAFETY: A new file comes with one reference, which the
            // `ARef` takes over.
            Some(p) => Ok(unsafe { ARef::from_raw(p) }),
            // SAFETY: Not made: the reference is still ours.
            None => Err(unsafe { Arc::from_raw(raw) }),
        },
        // SAFETY: As above.
        Err(_) => Err(unsafe { Arc::from_raw(raw) }),
    }
}

/// Installs `file` as a new `O_CLOEXEC` descriptor of the calling process,
/// as a file received over `SCM_RIGHTS` is (`receive_fd`: the LSM's
/// `file_receive` check, and a socket's cgroup data set for the receiver);
/// returns the descriptor. Its number is written to the user address `ufd`
/// first: if that faults, nothing is installed and the call fails with
/// `EFAULT`, so a caller is never left with a descriptor it was not told of.
pub(crate) fn receive_file(file: &File, ufd: UserPtr) -> Result<i32> {
    // SAFETY: `file` is live for the call (the caller holds a reference);
    // `receive_fd` takes a reference of its own for the descriptor. `ufd`
    // is a user address, which `put_user` checks and may fault on.
    let fd = unsafe {
        kernel::bindings::receive_fd(
            file.as_ptr(),
            ufd.as_mut_ptr().cast(),
            kernel::bindings::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Error::from_errno(fd));
    }
    Ok(fd)
}

/// A descriptor number reserved in the calling process, to be installed
/// with `O_CLOEXEC`; given back if dropped unused.
pub(crate) struct FdSlot(kernel::fs::file::FileDescriptorReservation);

impl FdSlot {
    /// Reserves the lowest free descriptor (`EMFILE` past `RLIMIT_NOFILE`).
    pub(crate) fn cloexec() -> Result<FdSlot> {
        kernel::fs::file::FileDescriptorReservation::get_unused_fd_flags(
            kernel::bindings::O_CLOEXEC,
        )
        .map(FdSlot)
    }

    /// The reserved descriptor number, to be reported before
    /// [`FdSlot::install`] makes it usable.
    pub(crate) fn fd(&self) -> i32 {
        // Descriptor numbers are below `RLIMIT_NOFILE`, which `INT_MAX`
        // bounds.
        self.0.reserved_fd() as i32
    }

    /// Installs `file` as the reserved descriptor.
    pub(crate) fn install(self, file: ARef<File>) {
        self.0.fd_install(file);
    }
}

/// Lets other tasks run if this one has had the CPU long enough: called
/// every [`RESCHED_EVERY`] steps of loops a user can make long (tens of
/// thousands of rights in one message, a million names in a space).
/// Sleeping context only; a mutex may be held.
pub(crate) fn cond_resched() {
    // SAFETY: `cond_resched` has no precondition beyond sleeping context,
    // which every caller is in.
    unsafe { c::machipc_shim_cond_resched() };
}

/// `CLOCK_MONOTONIC` now, in nanoseconds: libmach's `mach_absolute_time`
/// (timebase 1/1), the clock of `mk_timer` deadlines.
pub(crate) fn monotonic_ns() -> u64 {
    // SAFETY: `ktime_get` has no preconditions; it may be called from any
    // context.
    let t = unsafe { kernel::bindings::ktime_get() };
    // The monotonic clock is never negative.
    t.max(0) as u64
}

/// 64 random bits from the kernel's generator.
pub(crate) fn random_u64() -> u64 {
    let mut v = 0u64;
    // SAFETY: `get_random_bytes` writes exactly `len` bytes to `buf`, which
    // points to `v`, valid for 8 bytes; it may be called from any context.
    unsafe { kernel::bindings::get_random_bytes((&raw mut v).cast(), core::mem::size_of::<u64>()) };
    v
}

/// How many steps of a long loop run between [`cond_resched`] calls.
pub(crate) const RESCHED_EVERY: usize = 1024;

/// Calls [`cond_resched`] every [`RESCHED_EVERY`] values of `i`.
pub(crate) fn resched_every(i: usize) {
    if i % RESCHED_EVERY == RESCHED_EVERY - 1 {
        cond_resched();
    }
}

/// A task's user and group ids as kernel ids (`kuid_t`/`kgid_t` values),
/// which mean the same in every user namespace.
#[derive(Clone, Copy)]
pub(crate) struct KernelIds {
    euid: u32,
    egid: u32,
    ruid: u32,
    rgid: u32,
}

impl KernelIds {
    /// The calling task's.
    pub(crate) fn current() -> Self {
        let mut k = Self::root();
        // SAFETY: The shim only writes the four pointed-to integers.
        unsafe { c::machipc_shim_current_kids(&mut k.euid, &mut k.egid, &mut k.ruid, &mut k.rgid) };
        k
    }

    /// The effective uid (a `kuid_t` value).
    pub(crate) fn euid(&self) -> u32 {
        self.euid
    }

    /// All ids 0 (the kernel's, which are never translated).
    pub(crate) fn root() -> Self {
        KernelIds {
            euid: 0,
            egid: 0,
            ruid: 0,
            rgid: 0,
        }
    }

    /// `(euid, egid, ruid, rgid)` as the *calling* task's user namespace
    /// sees them; ids it does not map read as the overflow ids (65534), as
    /// `SCM_CREDENTIALS` reports them.
    pub(crate) fn in_current_ns(&self) -> (u32, u32, u32, u32) {
        // SAFETY: Pure translations through the current task's user
        // namespace; any value is a valid kernel id to translate.
        unsafe {
            (
                c::machipc_shim_uid_in_current_ns(self.euid),
                c::machipc_shim_gid_in_current_ns(self.egid),
                c::machipc_shim_uid_in_current_ns(self.ruid),
                c::machipc_shim_gid_in_current_ns(self.rgid),
            )
        }
    }
}

/// The program image the calling task runs (its `self_exec_id`, which
/// every `execve` advances).
pub(crate) fn current_exec_id() -> u64 {
    // SAFETY: Reads a field of the current task; no precondition.
    unsafe { c::machipc_shim_current_exec_id() }
}

/// A counted reference to a thread group's `struct pid`.
///
/// # Invariants
///
/// `0` is a pointer returned by `get_pid` whose reference this owns.
pub(crate) struct PidRef(*mut core::ffi::c_void);

// SAFETY: A `struct pid` reference may be used and dropped from any thread.
unsafe impl Send for PidRef {}
// SAFETY: `PidRef` offers only `&self` reads that are thread-safe.
unsafe impl Sync for PidRef {}

impl PidRef {
    /// The caller's thread-group id.
    pub(crate) fn current_tgid() -> Self {
        // SAFETY: Takes a new reference on the current task's tgid.
        // INVARIANT: The reference is owned by the new `PidRef`.
        PidRef(unsafe { c::machipc_shim_get_tgid() })
    }

    /// The process numbered `nr` in the caller's pid namespace.
    pub(crate) fn find(nr: i32) -> Option<Self> {
        // SAFETY: `find_get_pid` returns a new reference or null.
        let p = unsafe { c::machipc_shim_find_pid(nr) };
        if p.is_null() {
            None
        } else {
            // INVARIANT: We own the reference `find_get_pid` took.
            Some(PidRef(p))
        }
    }

    /// A key that is equal for `PidRef`s of the same process and stable
    /// while this reference lives: the `struct pid`'s address.
    pub(crate) fn key(&self) -> usize {
        self.0 as usize
    }

    /// Whether this is the calling process.
    pub(crate) fn is_current(&self) -> bool {
        // SAFETY: By the type invariant the pid is valid; only compared.
        unsafe { c::machipc_shim_pid_is_current(self.0) }
    }

    /// Whether the caller may ptrace this process: the rules of
    /// `PTRACE_MODE_ATTACH_REALCREDS` (credentials, dumpability) and of
    /// Yama's `ptrace_scope` (`shim.c` has them).
    pub(crate) fn may_attach(&self) -> bool {
        // SAFETY: By the type invariant the pid is valid.
        unsafe { c::machipc_shim_may_attach(self.0) }
    }

    /// Whether the caller may have this process's name port
    /// (`task_name_for_pid`): XNU's rule, in `shim.c`.
    pub(crate) fn may_name(&self) -> bool {
        // SAFETY: By the type invariant the pid is valid.
        unsafe { c::machipc_shim_may_name(self.0) }
    }

    /// The pid number as the *calling* task's pid namespace sees it; 0 if
    /// it is not visible there or the process has exited.
    pub(crate) fn nr_in_current_ns(&self) -> i32 {
        // SAFETY: By the type invariant the pid is valid.
        unsafe { c::machipc_shim_pid_vnr(self.0) }
    }

    /// The audit token's pidversion: the low 32 bits of the pid's pidfs
    /// inode number, never the same for two processes that had one pid
    /// number (`shim.c`).
    pub(crate) fn version(&self) -> u32 {
        // SAFETY: By the type invariant the pid is valid.
        unsafe { c::machipc_shim_pid_version(self.0) }
    }

    /// The process's credentials and resource use, as `task_info`
    /// reports them; `None` once it has exited.
    pub(crate) fn usage(&self) -> Option<TaskUsage> {
        let mut kids = [0u32; 4];
        let mut u = [0u64; 7];
        // SAFETY: By the type invariant the pid is valid; the shim writes
        // four and seven integers.
        if !unsafe { c::machipc_shim_task_usage(self.0, kids.as_mut_ptr(), u.as_mut_ptr()) } {
            return None;
        }
        Some(TaskUsage {
            ids: KernelIds {
                euid: kids[0],
                egid: kids[1],
                ruid: kids[2],
                rgid: kids[3],
            },
            virtual_size: u[0],
            resident_size: u[1],
            resident_max: u[2],
            dead_times_ns: (u[3], u[4]),
            live_times_ns: (u[5], u[6]),
        })
    }

    /// The program image the process runs now (its `self_exec_id`);
    /// `None` once it has exited.
    pub(crate) fn exec_id(&self) -> Option<u64> {
        let mut id = 0u64;
        // SAFETY: By the type invariant the pid is valid; the shim writes
        // `id` only.
        unsafe { c::machipc_shim_exec_id(self.0, &mut id) }.then_some(id)
    }

    /// Holds the process at image `exec_id` (no `execve` can start while
    /// the returned lock lives); `None` if it has exited or exec'd since.
    /// Sleeps; the caller must hold no spinlock.
    pub(crate) fn lock_image(&self, exec_id: u64) -> Option<ImageLock> {
        // SAFETY: By the type invariant the pid is valid.
        ImageLock::of(unsafe { c::machipc_shim_image_lock(self.0, exec_id) })
    }
}

impl PidRef {
    /// The live threads of this process, in the order of its thread list
    /// (the leader first, then by creation), at most `max`: `Ok(None)`
    /// when it has more, `Err` when it has exited or memory is short. The
    /// list is allocated on the caller's memory cgroup.
    pub(crate) fn threads(&self, max: usize) -> Result<Option<KVec<ThreadPid>>> {
        // Room for the threads there are now and a few that may start
        // meanwhile; tried again if more started.
        let mut room = 8usize;
        loop {
            let mut out: KVec<ThreadPid> = KVec::with_capacity(room, GFP_KERNEL_ACCOUNT)?;
            // SAFETY: By the type invariant the pid is valid; the shim
            // writes at most `room` pointers into the vector's capacity
            // (`ThreadPid` is a transparent pointer).
            let n = unsafe {
                c::machipc_shim_threads(self.0, out.as_mut_ptr().cast(), room as core::ffi::c_ulong)
            };
            if n < 0 {
                return Err(ESRCH);
            }
            let n = n as usize;
            // SAFETY: The shim initialized the first `min(n, room)` slots,
            // each with a reference `get_pid` took for us (the
            // `ThreadPid` invariant).
            unsafe { out.inc_len(n.min(room)) };
            if n <= room {
                return Ok(Some(out));
            }
            drop(out);
            if n > max {
                return Ok(None);
            }
            room = n.saturating_add(8).min(max);
        }
    }
}

/// A counted reference to one thread's `struct pid` (`PIDTYPE_PID`): it
/// names that thread for as long as it lives, whatever its number becomes.
///
/// # Invariants
///
/// `0` is a pointer returned by `get_pid` whose reference this owns.
#[repr(transparent)]
pub(crate) struct ThreadPid(*mut core::ffi::c_void);

// SAFETY: A `struct pid` reference may be used and dropped from any thread.
unsafe impl Send for ThreadPid {}
// SAFETY: `ThreadPid` offers only `&self` reads that are thread-safe.
unsafe impl Sync for ThreadPid {}

/// What [`ThreadPid::info`] reads of a thread.
pub(crate) struct ThreadUsage {
    pub(crate) user_ns: u64,
    pub(crate) system_ns: u64,
    /// XNU's `TH_STATE_*`.
    pub(crate) run_state: i32,
    /// Linux's scheduling policy (`SCHED_*`).
    pub(crate) policy: u32,
    /// Recent CPU use scaled to 0..=1000 (`TH_USAGE_SCALE`).
    pub(crate) cpu_usage: i32,
    pub(crate) nice: i32,
    /// Unique among the threads since boot (the pid's pidfs inode number).
    pub(crate) thread_id: u64,
    /// The thread pointer (TLS base): `pthread_self()`.
    pub(crate) handle: u64,
    pub(crate) name: [u8; 16],
}

impl ThreadPid {
    /// The calling thread.
    pub(crate) fn current() -> Self {
        // SAFETY: Takes a new reference on the current task's pid.
        // INVARIANT: The reference is owned by the new `ThreadPid`.
        ThreadPid(unsafe { c::machipc_shim_get_thread_pid() })
    }

    /// Equal for references to one thread, stable while this lives.
    pub(crate) fn key(&self) -> usize {
        self.0 as usize
    }

    /// The program image the thread runs (its `self_exec_id`); `None` once
    /// it has begun to exit.
    pub(crate) fn exec_id(&self) -> Option<u64> {
        let mut id = 0u64;
        // SAFETY: By the type invariant the pid is valid; the shim writes
        // `id` only.
        unsafe { c::machipc_shim_thread_exec_id(self.0, &mut id) }.then_some(id)
    }

    /// Holds the thread at image `exec_id` (its process can start no
    /// `execve` while the returned lock lives); `None` if it has begun to
    /// exit or exec'd since. Sleeps; the caller must hold no spinlock.
    pub(crate) fn lock_image(&self, exec_id: u64) -> Option<ImageLock> {
        // SAFETY: By the type invariant the pid is valid.
        ImageLock::of(unsafe { c::machipc_shim_thread_image_lock(self.0, exec_id) })
    }

    /// Whether the thread belongs to the process `tgid`.
    pub(crate) fn is_in(&self, tgid: &PidRef) -> bool {
        // SAFETY: By the type invariants both pids are valid.
        unsafe { c::machipc_shim_thread_in(self.0, tgid.0) }
    }

    /// The thread's times, state and identity; `None` once it has begun
    /// to exit.
    pub(crate) fn info(&self) -> Option<ThreadUsage> {
        let mut i = [0u64; 9];
        let mut name = [0u8; 16];
        // SAFETY: By the type invariant the pid is valid; the shim writes
        // nine integers and `TASK_COMM_LEN` (16) bytes.
        if !unsafe { c::machipc_shim_thread_info(self.0, i.as_mut_ptr(), name.as_mut_ptr()) } {
            return None;
        }
        Some(ThreadUsage {
            user_ns: i[0],
            system_ns: i[1],
            run_state: i[2] as i32,
            policy: i[3] as u32,
            cpu_usage: i[4] as i32,
            nice: i[5] as i32,
            thread_id: i[7],
            handle: i[8],
            name,
        })
    }
}

impl Drop for ThreadPid {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own one reference.
        unsafe { c::machipc_shim_put_pid(self.0) };
    }
}

/// What [`PidRef::usage`] reads of a process.
pub(crate) struct TaskUsage {
    pub(crate) ids: KernelIds,
    /// Bytes mapped, resident, and the most ever resident.
    pub(crate) virtual_size: u64,
    pub(crate) resident_size: u64,
    pub(crate) resident_max: u64,
    /// (user, system) time of the threads that have exited.
    pub(crate) dead_times_ns: (u64, u64),
    /// (user, system) time of the live threads.
    pub(crate) live_times_ns: (u64, u64),
}

/// A process held at one program image: its `exec_update_lock`, read.
///
/// # Invariants
///
/// `0` is a task returned by `machipc_shim_image_lock` or
/// `machipc_shim_thread_image_lock`, whose lock and reference this owns.
pub(crate) struct ImageLock(*mut core::ffi::c_void);

impl ImageLock {
    /// The lock a shim call returned: `None` for null, else it holds the
    /// lock and a task reference.
    fn of(t: *mut core::ffi::c_void) -> Option<ImageLock> {
        // No `then_some`: it would make (and drop, unlocking) an
        // `ImageLock` of null too.
        if t.is_null() {
            return None;
        }
        // INVARIANT: A non-null result of either image-lock call holds the
        // lock and a task reference, which the new `ImageLock` owns.
        Some(ImageLock(t))
    }
}

impl Drop for ImageLock {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold the lock and the reference.
        unsafe { c::machipc_shim_image_unlock(self.0) };
    }
}

impl Drop for PidRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own one reference.
        unsafe { c::machipc_shim_put_pid(self.0) };
    }
}

/// Maps a fresh anonymous read-write region in the calling process holding
/// a copy of `data`; returns its address.
pub(crate) fn map_user_copy(data: &[u8]) -> Result<usize> {
    // SAFETY: `data` is valid for `data.len()` bytes; the shim maps memory
    // in the current process and copies into it with `copy_to_user`.
    let r = unsafe { c::machipc_shim_map_copy(data.as_ptr().cast(), data.len()) };
    if r < 0 && r > -4096 {
        return Err(Error::from_errno(r as i32));
    }
    Ok(r as usize)
}

/// The `ool_map_min` module parameter (see [`crate::ool`]).
pub(crate) fn ool_map_min() -> usize {
    // SAFETY: Reads a module parameter; no precondition.
    unsafe { c::machipc_shim_ool_map_min() }
}

/// The per-user limits (module parameters `max_user_spaces`,
/// `max_user_ports`, `max_user_bytes`; see [`crate::limits`]), 0 for none.
pub(crate) fn user_limits() -> (u64, u64, u64) {
    let (mut s, mut p, mut b) = (0u64, 0u64, 0u64);
    // SAFETY: The shim only writes the three pointed-to integers.
    unsafe { c::machipc_shim_user_limits(&mut s, &mut p, &mut b) };
    (s, p, b)
}

/// Whether the caller has `CAP_SYS_RESOURCE` (exempt from per-user limits).
pub(crate) fn capable_resource() -> bool {
    // SAFETY: `capable` checks the current task; no precondition.
    unsafe { c::machipc_shim_capable_resource() }
}

/// Kills the calling process (SIGKILL) because its own IPC space is full
/// (`crate::limits::Quota::space_full`); it dies on its way back to user
/// space. Spares the init process and kernel threads, as XNU spares
/// launchd and the kernel task.
pub(crate) fn kill_current_for_full_space() {
    // SAFETY: Signals the current task; no precondition.
    unsafe { c::machipc_shim_kill_current_for_full_space() }
}

/// The most names one user may hold in one bootstrap registry (module
/// parameter `max_user_bootstrap_names`), 0 for no limit.
pub(crate) fn max_bootstrap_names() -> u32 {
    // SAFETY: Reads a module parameter; no precondition.
    unsafe { c::machipc_shim_max_bootstrap_names() }
}

/// The caller's effective uid as the kernel keys users (`kuid_t`, the
/// initial user namespace's view).
pub(crate) fn current_euid_key() -> u32 {
    kernel::task::Kuid::current_euid().into_raw().val
}

/// The address of the credentials the calling thread acts with
/// (`current_cred()`), only to compare: while a [`Creds`] holds one, no
/// other credentials can have its address.
pub(crate) fn current_cred_addr() -> usize {
    // SAFETY: No precondition; the shim only reads the caller's pointer.
    unsafe { c::machipc_shim_current_cred() as usize }
}

/// A counted reference on credentials, kept so that their address is not
/// reused while a space compares callers' credentials with it.
pub(crate) struct Creds(ARef<kernel::cred::Credential>);

impl Creds {
    /// The calling thread's credentials.
    pub(crate) fn current() -> Creds {
        // SAFETY: The caller's own credentials are valid while it runs
        // (only it replaces them); `ARef::from` takes a reference of its
        // own before the borrow ends.
        let c =
            unsafe { kernel::cred::Credential::from_ptr(c::machipc_shim_current_cred().cast()) };
        Creds(ARef::from(c))
    }

    /// Their address, as [`current_cred_addr`] gives it.
    pub(crate) fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// The pages of a large out-of-line region, in order, the first byte of
/// the region at the start of the first.
///
/// # Invariants
///
/// Every entry is a valid `struct page` of which this owns one reference
/// (from `machipc_shim_alloc_pages`), released on drop.
pub(crate) struct RegionPages(KVec<*mut core::ffi::c_void>);

// SAFETY: The entries are reference-counted kernel pages, which any thread
// may use and release.
unsafe impl Send for RegionPages {}
// SAFETY: `&RegionPages` only reads the pointers.
unsafe impl Sync for RegionPages {}

impl RegionPages {
    /// Allocates the pages for `len` (non-zero) bytes at the caller's
    /// address `addr`, charged to the caller, and copies the bytes in; the
    /// rest of the last page is zeroed. `ENOMEM` when memory runs out,
    /// `EFAULT` if the caller cannot read the range.
    pub(crate) fn copy_in(addr: usize, len: usize) -> Result<Self> {
        let n = len.div_ceil(kernel::page::PAGE_SIZE);
        let mut v = KVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?;
        // SAFETY: The spare capacity holds at least `n` entries, of which
        // the shim writes the first it returns (at most `n`).
        let got = unsafe {
            c::machipc_shim_alloc_pages(
                v.spare_capacity_mut().as_mut_ptr().cast(),
                n as core::ffi::c_ulong,
            )
        } as usize;
        // SAFETY: The shim initialised the first `got` entries, within the
        // capacity.
        unsafe { v.inc_len(got) };
        // INVARIANT: Each entry is a page the shim allocated for us.
        let mut pages = RegionPages(v);
        if got < n {
            return Err(ENOMEM);
        }
        // SAFETY: `pages` holds `n` valid pages nobody else has seen; the
        // shim pins the source pages itself and checks `len` against `n`.
        let r = unsafe {
            c::machipc_shim_copy_in(
                pages.0.as_mut_ptr(),
                n as core::ffi::c_ulong,
                addr as core::ffi::c_ulong,
                len,
            )
        };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(pages)
    }

    /// Maps the pages at a fresh address of the calling process, private
    /// and read-write; returns the address. The mapping takes its own
    /// reference to every page, and is to be their only user once `self`
    /// is dropped (it maps them writable).
    pub(crate) fn map_user(mut self) -> Result<usize> {
        // SAFETY: `self.0` holds valid pages that stay allocated for the
        // call; the shim maps them in the current process, each mapped
        // page taking its own reference.
        let r = unsafe {
            c::machipc_shim_map_pages(self.0.as_mut_ptr(), self.0.len() as core::ffi::c_ulong)
        };
        if r < 0 && r > -4096 {
            return Err(Error::from_errno(r as i32));
        }
        Ok(r as usize)
    }
}

impl Drop for RegionPages {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own one reference to each page.
        unsafe {
            c::machipc_shim_put_pages(self.0.as_mut_ptr(), self.0.len() as core::ffi::c_ulong)
        };
    }
}

/// Unmaps the caller's pages covering `[addr, addr + len)`.
pub(crate) fn unmap_user(addr: usize, len: usize) -> Result {
    // SAFETY: `vm_munmap` validates the range against the current mm.
    let r = unsafe { c::machipc_shim_unmap(addr, len) };
    if r < 0 {
        return Err(Error::from_errno(r));
    }
    Ok(())
}

/// The space of another open `/dev/machipc` descriptor of the caller;
/// `None` if `fd` is not one.
pub(crate) fn space_of_fd(fd: i32) -> Option<kernel::sync::Arc<crate::space::Space>> {
    // SAFETY: The shim takes and drops its own file reference.
    let raw = unsafe { c::machipc_shim_space_of_fd(fd) };
    if raw.is_null() {
        return None;
    }
    // SAFETY: A non-null result is an `Arc::into_raw` reference made by
    // `machipc_rust_space_clone`, which we now own.
    Some(unsafe { kernel::sync::Arc::from_raw(raw.cast::<crate::space::Space>().cast_const()) })
}

/// Binds the calling thread to CPU `cpu` (tests: migration between a
/// cache get and put); it runs there once this returns.
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) fn pin_current_to_cpu(cpu: u32) -> Result {
    // SAFETY: Changes the current task's affinity; no precondition.
    let r = unsafe { c::machipc_shim_pin_to_cpu(cpu) };
    if r < 0 {
        return Err(Error::from_errno(r));
    }
    Ok(())
}

/// Undoes [`pin_current_to_cpu`].
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) fn unpin_current() {
    // SAFETY: Changes the current task's affinity; no precondition.
    unsafe { c::machipc_shim_unpin() };
}

/// Takes CPU `cpu` offline or brings it back (tests: the cache across
/// CPU hotplug).
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) fn set_cpu_online(cpu: u32, online: bool) -> Result {
    // SAFETY: `add_cpu`/`remove_cpu` validate `cpu` and serialise with
    // other hotplug operations; the caller holds no lock.
    let r = unsafe { c::machipc_shim_set_cpu_online(cpu, online) };
    if r < 0 {
        return Err(Error::from_errno(r));
    }
    Ok(())
}

/// A hardware fault the calling thread took, as the kernel's trap handler
/// reported it (see `machipc_shim_take_fault` in `shim.c`).
pub(crate) struct Fault {
    /// The signal the trap handler sent (`SIGSEGV`, `SIGBUS`, ...).
    pub(crate) sig: i32,
    /// Its `si_code`, always a kernel-only (positive) code.
    pub(crate) code: i32,
    /// Its `si_addr`.
    pub(crate) addr: usize,
}

/// Starts recording the faults of user threads (the `signal_generate`
/// tracepoint). Without it no fault is ever verified.
pub(crate) fn faults_init() -> Result {
    // SAFETY: Called once at module init; the shim registers its probe.
    let r = unsafe { c::machipc_shim_faults_init() };
    if r < 0 {
        return Err(Error::from_errno(r));
    }
    Ok(())
}

/// Stops recording faults and waits for running probes to finish.
pub(crate) fn faults_exit() {
    // SAFETY: Called once at module exit; harmless if init failed.
    unsafe { c::machipc_shim_faults_exit() };
}

/// Takes the fault the calling thread took and has not yet raised, if any:
/// each fault is handed out once, to the thread that took it.
pub(crate) fn take_fault() -> Option<Fault> {
    let (mut sig, mut code, mut addr) = (0, 0, 0);
    // SAFETY: The shim only writes the three pointed-to integers
    // (`unsigned long` is `usize` on every Linux architecture).
    if unsafe { c::machipc_shim_take_fault(&mut sig, &mut code, &mut addr) } {
        Some(Fault { sig, code, addr })
    } else {
        None
    }
}

/// The module's workqueue for space teardown (`shim.c`), alive from module
/// init until this guard is dropped at module exit.
///
/// The kernel crate of 7.3 wraps the system workqueues only; an owned one
/// lets module exit wait for the teardowns still queued.
///
/// # Invariants
///
/// While a `TeardownQueue` exists, `machipc_shim_teardown_wq()` is a valid
/// workqueue; there is at most one.
pub(crate) struct TeardownQueue(());

impl TeardownQueue {
    /// Allocates the workqueue. Called once, at module init.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Called once at module init, before any space exists.
        let r = unsafe { c::machipc_shim_teardown_wq_init() };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        // INVARIANT: The workqueue was just allocated.
        Ok(TeardownQueue(()))
    }
}

impl Drop for TeardownQueue {
    /// Waits for every queued teardown to finish, then frees the queue.
    fn drop(&mut self) {
        // SAFETY: By the type invariant the queue exists; it is dropped at
        // module exit, after the device is gone, so no file release can
        // queue more work (each open file holds a module reference until
        // its release returned).
        unsafe { c::machipc_shim_teardown_wq_exit() };
    }
}

/// The teardown workqueue.
///
/// Callable from a file release (or a work item on the queue itself), or
/// from the callback of an armed `mk_timer` (whose port, and so some open
/// space, lives until the timer is cancelled) only: those run while the
/// module, and so its [`TeardownQueue`], lives.
pub(crate) fn teardown_queue() -> &'static kernel::workqueue::Queue {
    // SAFETY: The module's `TeardownQueue` lives from init to exit, and
    // file releases, the only callers, run in between (an open file holds
    // a module reference until its release returned); `destroy_workqueue`
    // at exit waits for the work items, so the queue outlives every use.
    unsafe { kernel::workqueue::Queue::from_raw(c::machipc_shim_teardown_wq()) }
}

/// A reference on an IPC namespace (`struct ipc_namespace`); null on a
/// kernel without IPC namespaces, where every process shares one.
///
/// # Invariants
///
/// A non-null pointer is a namespace this owns one reference on.
pub(crate) struct IpcNs(*mut core::ffi::c_void);

// SAFETY: A namespace reference may be used and dropped from any thread.
unsafe impl Send for IpcNs {}
// SAFETY: `IpcNs` offers only `&self` comparisons and capability checks.
unsafe impl Sync for IpcNs {}

impl IpcNs {
    /// The caller's IPC namespace.
    pub(crate) fn current() -> Self {
        // SAFETY: Reads the caller's own nsproxy, which only the caller
        // changes, and takes a reference on its IPC namespace.
        // INVARIANT: The reference is owned by the new `IpcNs`.
        IpcNs(unsafe { c::machipc_shim_ipc_ns_get() })
    }

    /// Equal for references to the same namespace while they live.
    pub(crate) fn key(&self) -> usize {
        self.0 as usize
    }

    /// Whether this is the caller's IPC namespace.
    pub(crate) fn is_current(&self) -> bool {
        // SAFETY: Only compares the pointer with the caller's namespace.
        unsafe { c::machipc_shim_ipc_ns_is_current(self.0) }
    }

    /// Whether the caller has `CAP_SYS_ADMIN` in the user namespace that
    /// owns this IPC namespace.
    pub(crate) fn caller_is_admin(&self) -> bool {
        // SAFETY: By the type invariant the namespace is alive (or null,
        // which the shim takes as the initial user namespace).
        unsafe { c::machipc_shim_ipc_ns_admin(self.0) }
    }
}

impl Drop for IpcNs {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the reference (or null).
        unsafe { c::machipc_shim_ipc_ns_put(self.0) };
    }
}

/// The machine as `host_info` describes it.
pub(crate) struct HostCounts {
    pub(crate) cpus_possible: u64,
    pub(crate) cpus_online: u64,
    pub(crate) cores_online: u64,
    pub(crate) cores_present: u64,
    /// RAM in bytes.
    pub(crate) memory: u64,
    /// The scheduler tick in microseconds.
    pub(crate) tick_us: u64,
}

/// Reads [`HostCounts`] (sleeps: takes the CPU hotplug lock).
pub(crate) fn host_counts() -> HostCounts {
    let mut v = [0u64; 6];
    // SAFETY: The shim writes exactly six words to `v`.
    unsafe { c::machipc_shim_host_counts(v.as_mut_ptr()) };
    HostCounts {
        cpus_possible: v[0],
        cpus_online: v[1],
        cores_online: v[2],
        cores_present: v[3],
        memory: v[4],
        tick_us: v[5],
    }
}

/// Keeps a free kernel message on this CPU's stack (`kmsg_cache.rs`);
/// gives it back if the stack is full.
pub(crate) fn kcache_push(k: KBox<crate::kmsg::Kmsg>) -> Option<KBox<crate::kmsg::Kmsg>> {
    let p = KBox::into_raw(k);
    // SAFETY: The shim only stores the pointer; ownership passes to the
    // stack if it is kept.
    if unsafe { c::machipc_shim_kcache_push(p.cast()) } {
        None
    } else {
        // SAFETY: Not kept: `p` is still the `KBox` given up above.
        Some(unsafe { KBox::from_raw(p) })
    }
}

/// Turns a pointer the kmsg stacks gave out into the message it owns.
fn kcache_owned(p: *mut core::ffi::c_void) -> Option<KBox<crate::kmsg::Kmsg>> {
    if p.is_null() {
        None
    } else {
        // SAFETY: Every pointer on the stacks came from `KBox::into_raw`
        // in `kcache_push`, and the shim hands each out once.
        Some(unsafe { KBox::from_raw(p.cast()) })
    }
}

/// A free kernel message from this CPU's stack, if it holds one.
pub(crate) fn kcache_pop() -> Option<KBox<crate::kmsg::Kmsg>> {
    // SAFETY: No precondition.
    kcache_owned(unsafe { c::machipc_shim_kcache_pop() })
}

/// A message from `cpu`'s stack: only once no task can use the stacks (the
/// module's exit), or from a test bound to `cpu`.
pub(crate) fn kcache_take(cpu: u32) -> Option<KBox<crate::kmsg::Kmsg>> {
    // SAFETY: See above; the caller keeps other users away.
    kcache_owned(unsafe { c::machipc_shim_kcache_take(cpu) })
}

/// How many messages `cpu`'s stack holds.
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) fn kcache_len(cpu: u32) -> usize {
    // SAFETY: Reads a counter; no precondition.
    unsafe { c::machipc_shim_kcache_len(cpu) as usize }
}
