// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The host (XNU's `realhost`, `ipc_host.c` and the host routines of
//! `host.c`), one per IPC namespace: made when the first space of the
//! namespace opens, torn down when the last one is freed. It has two
//! kernel-served ports, the host port (`IKOT_HOST`, MIG's `host_t`) and
//! the privileged host port (`IKOT_HOST_PRIV`, `host_priv_t`), and the
//! host special ports that `host_set_special_port` sets, which are so
//! per IPC namespace.
//!
//! Every space holds a send right to one of the two in its
//! `TASK_HOST_PORT` slot, which `mach_host_self()` returns: the
//! privileged port if its opener had `CAP_SYS_ADMIN` in the user
//! namespace that owns its IPC namespace (XNU gives it to root's tasks),
//! the host port otherwise.
//!
//! A `host_priv_t` routine accepts only a privileged host port of the
//! caller's own IPC namespace (XNU accepts only the caller's own host
//! port); anything else is the routine's `HOST_PRIV_NULL` answer,
//! `KERN_INVALID_ARGUMENT`.
//!
//! `HOSTS` is taken alone, but for the locks of the two ports a new host
//! makes under it; `Host::inner` is taken alone (see the lock order in
//! `machipc_main.rs`).

use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::transmute::AsBytes;

use crate::defs::*;
use crate::error::*;
use crate::ffi::IpcNs;
use crate::kmsg::KmsgBox;
use crate::kobject::{
    bytes_reply, carried, dispatch, done, error, port_reply, routine, serve_request, words, Reply,
    ReplyLayout, Routine, NONE,
};
use crate::limits::{OpenSpace, Quota};
use crate::port::{KernelObject, Port};
use crate::rights::*;

/// XNU's host special port ids (`mach/host_special_ports.h`).
const HOST_SECURITY_PORT: i32 = 0;
const HOST_PORT: i32 = 1;
const HOST_PRIV_PORT: i32 = 2;
const HOST_MAX_SPECIAL_KERNEL_PORT: i32 = 7;
const HOST_NODE_PORT: i32 = 19 + HOST_MAX_SPECIAL_KERNEL_PORT;
const HOST_MAX_SPECIAL_PORT: i32 = 28 + HOST_MAX_SPECIAL_KERNEL_PORT;
/// Slots for every id up to `HOST_MAX_SPECIAL_PORT`.
const SPECIAL_SLOTS: usize = HOST_MAX_SPECIAL_PORT as usize + 1;

/// Which of the host's two ports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    /// The host port (`IKOT_HOST`).
    Host,
    /// The privileged host port (`IKOT_HOST_PRIV`).
    Priv,
}

/// The host of one IPC namespace.
#[pin_data]
pub(crate) struct Host {
    /// The namespace (a reference on it, so that its address, the
    /// registry's key, is not reused while the host lives).
    ns: IpcNs,
    #[pin]
    inner: Mutex<HostInner>,
    /// The account the host's two ports are charged to: the kernel's, not
    /// that of the user who happened to open the namespace's first space.
    quota: Arc<Quota>,
    _account: OpenSpace,
}

/// What `Host::inner` protects.
///
/// # Invariants
///
/// `ports` holds the receive rights of the host port and the privileged
/// host port until the host is torn down; `special` holds send rights.
struct HostInner {
    ports: Option<(Right, Right)>,
    special: [Option<Right>; SPECIAL_SLOTS],
}

/// The kernel object behind either host port (XNU's `ip_kobject` of an
/// `IKOT_HOST` or `IKOT_HOST_PRIV` port).
pub(crate) struct HostPort {
    host: Arc<Host>,
    pub(crate) kind: HostKind,
}

impl KernelObject for HostPort {
    fn serve(&self, request: KmsgBox) {
        serve_request(request, |req| {
            dispatch(self, ROUTINES, req, 0, |_, _| Ok(()))
        });
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

kernel::sync::global_lock! {
    // SAFETY: `init` is called in the module initializer, before any space
    // (and so any host) exists.
    pub(crate) unsafe(uninit) static HOSTS: Mutex<HostList> = HostList { hosts: KVec::new() };
}

/// Every live host, with how many spaces hold it. There are as many as
/// IPC namespaces with a space open: a short list.
pub(crate) struct HostList {
    hosts: KVec<(Arc<Host>, usize)>,
}

/// A space's hold on the host of its IPC namespace; when the last one is
/// dropped the host is torn down.
pub(crate) struct HostRef(Arc<Host>);

impl HostRef {
    /// The host of the caller's IPC namespace, made if there is none.
    pub(crate) fn attach() -> Result<HostRef> {
        let ns = IpcNs::current();
        let mut g = HOSTS.lock();
        if let Some(e) = g.hosts.iter_mut().find(|e| e.0.ns.key() == ns.key()) {
            e.1 += 1;
            let host = e.0.clone();
            drop(g);
            drop(ns);
            return Ok(HostRef(host));
        }
        g.hosts.reserve(1, GFP_KERNEL_ACCOUNT)?;
        let host = Host::new(ns)?;
        g.hosts
            .push_within_capacity((host.clone(), 1))
            .map_err(|_| ENOMEM)?;
        Ok(HostRef(host))
    }

    /// A send right for a new task's `TASK_HOST_PORT` slot: the privileged
    /// host port if the caller has `CAP_SYS_ADMIN` in the user namespace
    /// owning the IPC namespace, the host port otherwise.
    pub(crate) fn task_host_port(&self) -> MachResult<Option<Right>> {
        let kind = if self.0.ns.caller_is_admin() {
            HostKind::Priv
        } else {
            HostKind::Host
        };
        self.0.port(kind).map(|p| p.copy_send()).transpose()
    }
}

impl Drop for HostRef {
    fn drop(&mut self) {
        let mut g = HOSTS.lock();
        let mut gone = None;
        if let Some(i) = g.hosts.iter().position(|e| Arc::ptr_eq(&e.0, &self.0)) {
            g.hosts[i].1 -= 1;
            if g.hosts[i].1 == 0 {
                gone = g.hosts.remove(i).ok();
            }
        }
        drop(g);
        if let Some((host, _)) = gone {
            host.tear_down();
        }
    }
}

impl Host {
    /// A host for `ns`, with its two ports.
    fn new(ns: IpcNs) -> Result<Arc<Host>> {
        let (quota, account) = Quota::kernel()?;
        let host = Arc::pin_init(
            pin_init!(Host {
                ns,
                inner <- kernel::new_mutex!(HostInner {
                    ports: None,
                    special: [const { None }; SPECIAL_SLOTS],
                }, "Host::inner"),
                quota,
                _account: account,
            }),
            GFP_KERNEL_ACCOUNT,
        )?;
        let plain = host.make_port(HostKind::Host)?;
        // On failure `plain` is released, and its port dies with it.
        let privileged = host.make_port(HostKind::Priv)?;
        host.inner.lock().ports = Some((plain, privileged));
        Ok(host)
    }

    /// One of the host's ports: its receive right, the port serving
    /// `kind`'s routines.
    fn make_port(self: &Arc<Self>, kind: HostKind) -> Result<Right> {
        let obj = Arc::new(
            HostPort {
                host: self.clone(),
                kind,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        let port = Port::new(&self.quota).map_err(|_| ENOMEM)?;
        port.set_kobject(obj);
        Ok(Right::from_counted(Kind::Receive, port))
    }

    /// The port of `kind`, while the host lives.
    fn port(&self, kind: HostKind) -> Option<Arc<Port>> {
        let g = self.inner.lock();
        let (plain, privileged) = g.ports.as_ref()?;
        Some(match kind {
            HostKind::Host => plain.port().clone(),
            HostKind::Priv => privileged.port().clone(),
        })
    }

    /// The last space of the namespace is gone: the ports die (which
    /// breaks the host → port → host cycle) and the special ports are
    /// released.
    fn tear_down(&self) {
        let mut g = self.inner.lock();
        let ports = g.ports.take();
        let special = core::mem::replace(&mut g.special, [const { None }; SPECIAL_SLOTS]);
        drop(g);
        drop(special);
        drop(ports);
    }
}

/// MIG's `convert_port_to_host_priv`: the host behind a privileged host
/// port of the caller's IPC namespace; `KERN_INVALID_ARGUMENT` (the
/// routines' answer to `HOST_PRIV_NULL`) for anything else.
fn host_priv(h: &HostPort) -> MachResult<&Host> {
    if h.kind != HostKind::Priv || !h.host.ns.is_current() {
        return Err(KERN_INVALID_ARGUMENT);
    }
    Ok(&h.host)
}

/// `host_get_special_port`: a send right to the special port `which`
/// (null if unset; `HOST_PORT` and `HOST_PRIV_PORT` are the host's own).
fn get_special(h: &HostPort, which: i32) -> MachResult<Option<Right>> {
    let host = host_priv(h)?;
    if which == HOST_SECURITY_PORT || !(0..=HOST_MAX_SPECIAL_PORT).contains(&which) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let port = match which {
        HOST_PORT => host.port(HostKind::Host),
        HOST_PRIV_PORT => host.port(HostKind::Priv),
        _ => host.inner.lock().special[which as usize]
            .as_ref()
            .map(|r| r.port().clone()),
    };
    port.map(|p| p.copy_send()).transpose()
}

/// `host_set_special_port`: only the ids past the kernel's own, and only
/// for a caller with `CAP_SYS_ADMIN` in the user namespace owning its IPC
/// namespace (XNU allows launchd alone); `port` replaces the old right.
fn set_special(h: &HostPort, which: i32, port: Option<Right>) -> MachResult {
    let host = host_priv(h)?;
    if which <= HOST_MAX_SPECIAL_KERNEL_PORT || which > HOST_MAX_SPECIAL_PORT {
        return Err(KERN_INVALID_ARGUMENT);
    }
    if !host.ns.caller_is_admin() {
        return Err(KERN_NO_ACCESS);
    }
    // XNU is built without the node port's MACH_FLIPC.
    if which == HOST_NODE_PORT {
        return Err(KERN_NOT_SUPPORTED);
    }
    let mut g = host.inner.lock();
    // A host torn down meanwhile keeps nothing.
    let old = if g.ports.is_some() {
        core::mem::replace(&mut g.special[which as usize], port)
    } else {
        port
    };
    drop(g);
    drop(old);
    Ok(())
}

// ---- host_info ----

/// `host_info` flavors (`mach/host_info.h`).
const HOST_BASIC_INFO: i32 = 1;
const HOST_SCHED_INFO: i32 = 3;
const HOST_RESOURCE_SIZES: i32 = 4;
const HOST_PRIORITY_INFO: i32 = 5;
const HOST_SEMAPHORE_TRAPS: i32 = 7;
const HOST_MACH_MSG_TRAP: i32 = 8;
const HOST_DEBUG_INFO_INTERNAL: i32 = 10;
const HOST_CAN_HAS_DEBUGGER: i32 = 11;
const HOST_PREFERRED_USER_ARCH: i32 = 12;
/// The flavors' counts, in `integer_t`s.
const HOST_BASIC_INFO_OLD_COUNT: u32 = 5;
const HOST_BASIC_INFO_COUNT: u32 = 12;
const HOST_SCHED_INFO_COUNT: u32 = 2;
const HOST_RESOURCE_SIZES_COUNT: u32 = 5;
const HOST_PRIORITY_INFO_COUNT: u32 = 8;
const HOST_CAN_HAS_DEBUGGER_COUNT: u32 = 1;
const HOST_PREFERRED_USER_ARCH_COUNT: u32 = 2;
/// MIG's bound on a `host_info_t` (`HOST_INFO_MAX`).
const HOST_INFO_MAX: u32 = 1024;

/// The CPU type and subtype XNU reports for this architecture
/// (`mach/machine.h`).
#[cfg(target_arch = "x86_64")]
const CPU: (u32, u32) = (0x0100_0007, 3); // CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL
#[cfg(not(target_arch = "x86_64"))]
const CPU: (u32, u32) = (0x0100_000c, 0); // CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL

/// XNU's priority bands (`kern/sched.h`): kernel, system, server, user,
/// depress, idle, minimum, maximum.
const PRIORITIES: [u32; 8] = [80, 80, 64, 31, 0, 0, 0, 79];

/// `host_info`: the words of `flavor` and their count, for a caller that
/// takes `count` words, with XNU's checks (a count below the flavor's is
/// `KERN_FAILURE`, an unknown flavor `KERN_INVALID_ARGUMENT`).
fn info(flavor: i32, count: u32) -> MachResult<(u32, [u32; 12])> {
    // MIG's server clamps the caller's count to the array's bound.
    let count = count.min(HOST_INFO_MAX);
    let mut w = [0u32; 12];
    let need = |n: u32| if count < n { Err(KERN_FAILURE) } else { Ok(()) };
    let n = match flavor {
        HOST_BASIC_INFO => {
            need(HOST_BASIC_INFO_OLD_COUNT)?;
            let c = crate::ffi::host_counts();
            let int = |v: u64| u32::try_from(v).unwrap_or(i32::MAX as u32);
            w[0] = int(c.cpus_possible);
            w[1] = int(c.cpus_online);
            // "Size of memory in bytes, capped at 2 GB."
            w[2] = c.memory.min(1 << 31) as u32;
            w[3] = CPU.0;
            w[4] = CPU.1;
            if count >= HOST_BASIC_INFO_COUNT {
                // CPU_THREADTYPE_INTEL_HTT when SMT siblings are online.
                w[5] = u32::from(cfg!(target_arch = "x86_64") && c.cpus_online > c.cores_online);
                w[6] = int(c.cores_online);
                w[7] = int(c.cores_present);
                // On x86_64 XNU reports the available CPUs as logical.
                w[8] = int(c.cpus_online);
                w[9] = int(c.cpus_possible);
                w[10] = c.memory as u32;
                w[11] = (c.memory >> 32) as u32;
                HOST_BASIC_INFO_COUNT
            } else {
                HOST_BASIC_INFO_OLD_COUNT
            }
        }
        HOST_SCHED_INFO => {
            need(HOST_SCHED_INFO_COUNT)?;
            // The shortest timeout and quantum: Linux's tick.
            let ms = (crate::ffi::host_counts().tick_us / 1000).max(1) as u32;
            w[0] = ms;
            w[1] = ms;
            HOST_SCHED_INFO_COUNT
        }
        HOST_RESOURCE_SIZES => {
            need(HOST_RESOURCE_SIZES_COUNT)?;
            return Err(KERN_INVALID_ARGUMENT);
        }
        HOST_PRIORITY_INFO => {
            need(HOST_PRIORITY_INFO_COUNT)?;
            for (d, p) in w.iter_mut().zip(PRIORITIES) {
                *d = p;
            }
            HOST_PRIORITY_INFO_COUNT
        }
        HOST_SEMAPHORE_TRAPS | HOST_MACH_MSG_TRAP => 0,
        // A release kernel's answer.
        HOST_DEBUG_INFO_INTERNAL => return Err(KERN_NOT_SUPPORTED),
        HOST_CAN_HAS_DEBUGGER => {
            need(HOST_CAN_HAS_DEBUGGER_COUNT)?;
            // A release kernel without the debug boot argument.
            HOST_CAN_HAS_DEBUGGER_COUNT
        }
        HOST_PREFERRED_USER_ARCH => {
            need(HOST_PREFERRED_USER_ARCH_COUNT)?;
            w[0] = CPU.0;
            w[1] = CPU.1;
            HOST_PREFERRED_USER_ARCH_COUNT
        }
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    Ok((n, w))
}

fn info_reply(r: MigTaskInfoRequest) -> Reply {
    match info(r.flavor as i32, r.count) {
        Ok((count, info)) => {
            let reply = MigTaskInfoReply { count, info };
            // Only `count` words of `info` are sent.
            let n = core::mem::size_of::<u32>() * (1 + count as usize);
            bytes_reply(&AsBytes::as_bytes(&reply)[..n])
        }
        Err(e) => error(e),
    }
}

/// The routines served on the host ports (`mach_host.defs` and
/// `host_priv.defs`): `host_t` routines on either, `host_priv_t` ones
/// checked by [`host_priv`].
#[rustfmt::skip]
const ROUTINES: &[Routine<HostPort>] = &[
    routine!(<HostPort> MIG_HOST_INFO, Simple(MigTaskInfoRequest), words::<MigTaskInfoReply>(),
        |_h, r, _| info_reply(r)),
    routine!(<HostPort> MIG_HOST_PAGE_SIZE, Simple(MigNoArgs), words::<MigPageSizeReply>(),
        |_h, _, _| bytes_reply(AsBytes::as_bytes(&MigPageSizeReply {
            size: kernel::page::PAGE_SIZE as u64,
        }))),
    routine!(<HostPort> MIG_HOST_GET_SPECIAL_PORT, Simple(MigHostSpecialPortRequest), ReplyLayout::Port,
        |h, r, _| port_reply(get_special(h, r.which).map(carried))),
    routine!(<HostPort> MIG_HOST_SET_SPECIAL_PORT, OnePort(MigSpecialPortRequest), NONE,
        |h, r, a| set_special_reply(h, r.which as i32, a.port, a.disposition)),
];

fn set_special_reply(h: &HostPort, which: i32, port: Carried, disposition: u8) -> Reply {
    // MIG's server checks the right's type: a send right (or null).
    if u32::from(disposition) != MACH_MSG_TYPE_PORT_SEND {
        drop(port);
        return error(MachError(MIG_TYPE_ERROR));
    }
    done(set_special(h, which, crate::mach_port::send_right(port)))
}
