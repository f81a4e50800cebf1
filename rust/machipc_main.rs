// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! machipc: XNU's Mach IPC for Linux.
//!
//! The crate root only wires the module: it registers `/dev/machipc` and
//! names the files that own each Mach concept.
//!
//! - [`device`]: the file operations of `/dev/machipc` and the ioctl switch.
//! - [`uapi`]: the ioctl ABI (`uapi/include/linux/machipc.h`).
//! - [`defs`]: Mach message wire layouts and XNU constants.
//! - [`space`]: an IPC space and its name table; [`right`]: rights in it.
//! - [`rights`]: right and disposition constants, rights held by the kernel.
//! - [`port`]: ports; [`port_set`]: port sets; [`mqueue`]: message queues;
//!   [`reap`]: destruction of ports without recursion.
//! - [`kmsg`]: kernel messages; [`mach_msg`]: send and receive.
//! - [`mach_port`]: the `mach_port_*` calls; [`mk_timer`]: timers as ports.
//! - [`host`]: the host port and host special ports of an IPC namespace.
//! - [`task`]: tasks across spaces; [`thread`]: threads and their ports;
//!   [`task_port`]: a task's read, inspect and name ports.
//! - [`notify`]: notifications; [`port_fd`]: pollable port descriptors.
//! - [`fileport`]: open files as ports; [`right_fd`]: rights as
//!   descriptors.
//! - [`bootstrap`]: the bootstrap registry of each IPC namespace.
//! - [`limits`]: per-space and per-user resource accounting;
//!   [`security_token`]: a space brought up to date with its caller's
//!   credentials.
//! - [`error`]: Mach return codes; [`stats`]: live-object and operation
//!   counters; [`lock_count`]: locks that count their acquisitions.
//! - [`ffi`]: raw kernel bindings and the C shim, nowhere else;
//!   [`callbacks`]: the functions the C shim calls into Rust.
//!
//! # Lock order
//!
//! Written here once; the files that declare the locks point here. A path
//! takes locks only in this order, outermost first, and never two locks of
//! one kind at once (two spaces, two ports, two sets):
//!
//! 1. `task::TASKS`, the space registry: taken alone. `host::HOSTS`, the
//!    host registry, is taken alone too, but for the `Port::inner` of the
//!    two ports a new host makes under it. `bootstrap::REGISTRIES`, the
//!    bootstrap registries, is taken alone.
//! 2. `Space::inner`.
//! 3. `port::TRANSIT`, which serializes sends of messages that carry
//!    receive rights; never held by a path that then serves a kernel
//!    object with a space lock.
//! 4. `Port::inner`, a spinlock (the message queue's lock, as XNU's
//!    `imq_lock`): nothing under it sleeps, allocates or frees a port.
//!    Waiters sleep on the port's condition variables with it released.
//! 5. `PortSet::inner`, a spinlock likewise.
//!
//! `mk_timer::Timer::inner`, `host::Host::inner` and
//! `fileport::FilePort::receive` are taken alone: no other of these is
//! held when they are taken, and none is taken under them.
//! `right_fd::RightFd::right` comes after `Space::inner` and before
//! `Port::inner`.
//! `thread::Thread::receive` is a leaf, held only to take the right out.
//!
//! `bootstrap::Table::inner`, a spinlock, is taken with no other lock
//! held; only `Port::inner` is taken under it.
//!
//! `limits::Quota::accounts` is taken after `Space::inner` (a space's
//! quota is rekeyed under its lock, `security_token.rs`) and takes only
//! `limits::USERS` under it.
//!
//! Leaves, which may be taken under any of these but take nothing
//! themselves: `SpaceLink::space`, `reap::REAPERS` and `limits::USERS`
//! (the kmsg caches' per-CPU stacks take no lock). Rights and messages
//! whose release may run destructors (notifications, port destruction)
//! are released after `Port::inner` and `TRANSIT` are dropped; what a
//! space-locked path releases waits in a `right::Deferred` until the
//! space lock is dropped.

#![allow(clippy::new_ret_no_self)]

use kernel::prelude::*;

mod bootstrap;
mod callbacks;
mod defs;
mod device;
mod error;
mod exc_guard;
mod exception;
mod ffi;
mod fileport;
mod host;
mod kmsg;
mod kmsg_cache;
mod kobject;
mod lazy_vec;
mod limits;
mod lock_count;
mod mach_msg;
mod mach_port;
mod mk_timer;
mod mqueue;
mod notify;
mod ool;
mod port;
mod port_fd;
mod port_info;
mod port_set;
mod reap;
mod right;
mod right_fd;
mod rights;
mod security_token;
mod space;
mod stats;
mod task;
mod task_ident;
mod task_info;
mod task_port;
mod thread;
mod thread_info;
mod uapi;
mod uapi_layout;

module! {
    type: MachIpcModule,
    name: "machipc",
    authors: ["The machipc authors"],
    description: "Mach ports and mach_msg with XNU semantics",
    license: "GPL",
}

/// The module's state. Dropped at module exit, after `Drop::drop` removed
/// the device, in field order: the teardown queue first, which waits for
/// the spaces still being torn down, so that the kmsg cache and the stats
/// outlive every space.
struct MachIpcModule {
    _teardown: ffi::TeardownQueue,
    _kmsg_cache: kmsg_cache::KmsgCache,
    _debugfs: stats::DebugFs,
}

impl kernel::Module for MachIpcModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, before any space (and so any user of the
        // registry) exists.
        unsafe { task::TASKS.init() };
        // SAFETY: As above.
        unsafe { reap::REAPERS.init() };
        // SAFETY: As above, before any space (and so any registry) exists.
        unsafe { bootstrap::REGISTRIES.init() };
        // SAFETY: As above.
        unsafe { port::TRANSIT.init() };
        // SAFETY: As above, before any space (or user account) exists.
        unsafe { limits::USERS.init() };
        // SAFETY: As above, before any space (and so any host) exists.
        unsafe { host::HOSTS.init() };
        let cache = kmsg_cache::KmsgCache::new();
        let teardown = ffi::TeardownQueue::new()?;
        let debugfs = stats::DebugFs::new()?;
        if let Err(e) = ffi::faults_init() {
            // Exceptions cannot be raised then (exception.rs), the rest works.
            pr_warn!(
                "machipc: no fault tracepoint ({:?}): exceptions disabled\n",
                e
            );
        }
        if let Err(e) = ffi::register_device() {
            ffi::faults_exit();
            return Err(e);
        }
        pr_info!(
            "machipc: /dev/machipc ready (ABI {})\n",
            uapi::MACHIPC_ABI_VERSION
        );
        Ok(MachIpcModule {
            _teardown: teardown,
            _kmsg_cache: cache,
            _debugfs: debugfs,
        })
    }
}

impl Drop for MachIpcModule {
    fn drop(&mut self) {
        ffi::deregister_device();
        ffi::faults_exit();
    }
}
