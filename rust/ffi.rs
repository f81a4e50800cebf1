// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The one place where machipc touches raw kernel bindings and its C shim
//! (`rust/shim.c`). Everything else in the crate uses the safe wrappers here.

use kernel::prelude::*;

mod c {
    use core::ffi::{c_int, c_void};

    extern "C" {
        pub(super) fn machipc_shim_register() -> c_int;
        pub(super) fn machipc_shim_deregister();
        pub(super) fn machipc_shim_port_fd(portfd: *mut c_void) -> c_int;
        pub(super) fn machipc_shim_current_ids(
            euid: *mut u32,
            egid: *mut u32,
            ruid: *mut u32,
            rgid: *mut u32,
        );
        pub(super) fn machipc_shim_get_tgid() -> *mut c_void;
        pub(super) fn machipc_shim_put_pid(pid: *mut c_void);
        pub(super) fn machipc_shim_pid_vnr(pid: *mut c_void) -> c_int;
        pub(super) fn machipc_shim_map_copy(data: *const c_void, len: usize) -> core::ffi::c_long;
        pub(super) fn machipc_shim_ool_map_min() -> usize;
        pub(super) fn machipc_shim_map_pages(
            pages: *mut *mut c_void,
            count: core::ffi::c_ulong,
        ) -> core::ffi::c_long;
        pub(super) fn machipc_shim_unmap(addr: usize, len: usize) -> c_int;
        pub(super) fn machipc_shim_space_of_fd(fd: c_int) -> *mut c_void;
        pub(super) fn machipc_shim_find_pid(nr: c_int) -> *mut c_void;
        pub(super) fn machipc_shim_may_attach(pid: *mut c_void) -> bool;
        pub(super) fn machipc_shim_pin_to_cpu(cpu: core::ffi::c_uint) -> c_int;
        pub(super) fn machipc_shim_unpin();
        pub(super) fn machipc_shim_set_cpu_online(cpu: core::ffi::c_uint, online: bool) -> c_int;
        pub(super) fn machipc_shim_debugfs_init();
        pub(super) fn machipc_shim_debugfs_exit();
        pub(super) fn machipc_shim_faults_init() -> c_int;
        pub(super) fn machipc_shim_faults_exit();
        pub(super) fn machipc_shim_take_fault(
            sig: *mut c_int,
            code: *mut c_int,
            addr: *mut usize,
        ) -> bool;
    }
}

/// The kernel's `struct file`, as the shim's poll callback passes it.
pub(crate) type RawFile = kernel::bindings::file;
/// The kernel's `poll_table`, as the shim's poll callback passes it.
pub(crate) type RawPollTable = kernel::bindings::poll_table_struct;

/// Registers `/dev/machipc` (mode 0666) with the shim's file operations.
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

/// Installs a new `O_CLOEXEC` anonymous-inode descriptor whose
/// `private_data` is `data`; on success the file owns `data`.
///
/// # Safety
///
/// `data` must come from `PortFd::into_foreign` and stay valid until the
/// shim calls `machipc_rust_port_release` with it.
pub(crate) unsafe fn install_port_fd(data: *mut core::ffi::c_void) -> Result<i32> {
    // SAFETY: The caller guarantees `data`'s validity.
    let fd = unsafe { c::machipc_shim_port_fd(data) };
    if fd < 0 {
        return Err(Error::from_errno(fd));
    }
    Ok(fd)
}

/// The calling task's user and group ids, as its user namespace sees them:
/// `(euid, egid, ruid, rgid)`.
pub(crate) fn current_ids() -> (u32, u32, u32, u32) {
    let (mut a, mut b, mut c, mut d) = (0u32, 0u32, 0u32, 0u32);
    // SAFETY: The shim only writes the four pointed-to integers.
    unsafe { c::machipc_shim_current_ids(&mut a, &mut b, &mut c, &mut d) };
    (a, b, c, d)
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

    /// Whether both name the same `struct pid`.
    pub(crate) fn same(&self, other: &PidRef) -> bool {
        self.0 == other.0
    }

    /// Whether the caller may ptrace this process
    /// (`PTRACE_MODE_ATTACH_REALCREDS`).
    pub(crate) fn may_attach(&self) -> bool {
        // SAFETY: By the type invariant the pid is valid.
        unsafe { c::machipc_shim_may_attach(self.0) }
    }

    /// The pid number as the *calling* task's pid namespace sees it.
    pub(crate) fn nr_in_current_ns(&self) -> i32 {
        // SAFETY: By the type invariant the pid is valid.
        unsafe { c::machipc_shim_pid_vnr(self.0) }
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

/// Maps `pages` at a fresh address of the calling process, private and
/// read-write; returns the address. The mapping takes its own reference
/// to every page, so the caller's [`Page`]s may be dropped afterwards.
pub(crate) fn map_user_pages(pages: &[kernel::page::Page]) -> Result<usize> {
    let mut raw = KVec::with_capacity(pages.len(), GFP_KERNEL)?;
    for p in pages {
        let _ = raw.push_within_capacity(p.as_ptr().cast::<core::ffi::c_void>());
    }
    // SAFETY: `raw` holds `pages.len()` valid pages that stay allocated
    // for the call (we borrow them); the shim maps them in the current
    // process, each mapped page taking its own reference.
    let r = unsafe { c::machipc_shim_map_pages(raw.as_mut_ptr(), raw.len() as core::ffi::c_ulong) };
    if r < 0 && r > -4096 {
        return Err(Error::from_errno(r as i32));
    }
    Ok(r as usize)
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

/// The space of another open `/dev/machipc` descriptor of the caller, as a
/// raw pointer from `Arc::into_raw` (null if `fd` is not one).
pub(crate) fn space_of_fd(fd: i32) -> *mut core::ffi::c_void {
    // SAFETY: The shim takes and drops its own file reference; a non-null
    // result carries a reference made by `machipc_rust_space_clone`.
    unsafe { c::machipc_shim_space_of_fd(fd) }
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

/// Creates `machipc/stats` in debugfs.
pub(crate) fn debugfs_init() {
    // SAFETY: Called once at module init.
    unsafe { c::machipc_shim_debugfs_init() };
}

/// Removes the debugfs directory.
pub(crate) fn debugfs_exit() {
    // SAFETY: Called once at module exit, after `debugfs_init`.
    unsafe { c::machipc_shim_debugfs_exit() };
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
