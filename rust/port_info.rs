// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Debugging introspection of a space's names (XNU's `mach_debug`):
//! `mach_port_kobject`, which kernel object a port stands for.

use crate::error::*;
use crate::right::Deferred;
use crate::rights::{MACH_PORT_TYPE_RECEIVE, MACH_PORT_TYPE_SEND};
use kernel::prelude::*;

use crate::space::{make_name, Object, Space};

/// XNU's kernel-object types (`ipc_kobject_type_t`) of the objects
/// machipc serves.
const IKOT_NONE: u32 = 0;
const IKOT_THREAD_CONTROL: u32 = 1;
const IKOT_TASK_CONTROL: u32 = 2;
const IKOT_HOST: u32 = 3;
const IKOT_HOST_PRIV: u32 = 4;
const IKOT_TIMER: u32 = 8;
const IKOT_TASK_NAME: u32 = 20;
const IKOT_FILEPORT: u32 = 34;
const IKOT_TASK_INSPECT: u32 = 44;
const IKOT_TASK_READ: u32 = 45;
const IKOT_THREAD_INSPECT: u32 = 46;
const IKOT_THREAD_READ: u32 = 47;
const IKOT_TASK_ID_TOKEN: u32 = 50;

/// `mach_port_kobject`: the kernel-object type of the port `name` holds a
/// send or receive right to, and its address as XNU's development kernels
/// show it (`VM_KERNEL_ADDRHASH`, the hash of [`addr_hash`]): for a task's
/// ports the task's, the same value `task_get_exception_ports_info` gives
/// as the receiver of a port that task holds the receive right to; 0 for a
/// port that is no kernel object. A name not in use or a dead name is
/// `KERN_INVALID_NAME`; a send-once right or a port set
/// `KERN_INVALID_RIGHT`.
pub(crate) fn kobject(space: &Space, name: u32) -> MachResult<(u32, u64)> {
    let mut d = Deferred::new();
    let port = {
        let mut g = space.inner.lock();
        let i = g.lookup(name, &mut d)?;
        let e = &g.table[i];
        match &e.obj {
            Object::Port(p) if e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE) != 0 => {
                p.clone()
            }
            Object::Port(_) | Object::Set(_) => return Err(KERN_INVALID_RIGHT),
            _ => return Err(KERN_INVALID_NAME),
        }
    };
    d.release();
    let mut addr = 0;
    let kind = match port.kobject() {
        None => IKOT_NONE,
        Some(o) => {
            let any = o.as_any();
            // A task's ports all stand for the task: its space's identity,
            // which `PortInner::receiver` records too. A thread's ports all
            // stand for the thread.
            let thread = crate::thread::thread_of_object(&*o);
            addr = match (crate::task_port::task_of(&*o), thread) {
                (Some((space, _)), _) => addr_hash(space.id),
                (None, Some((t, _))) => addr_hash(core::ptr::from_ref(t).cast::<u8>() as u64),
                (None, None) => addr_hash(kernel::sync::Arc::as_ptr(&o).cast::<u8>() as u64),
            };
            if let Some((_, flavor)) = crate::task_port::task_of(&*o) {
                use crate::task_port::*;
                match flavor {
                    TASK_FLAVOR_CONTROL => IKOT_TASK_CONTROL,
                    TASK_FLAVOR_READ => IKOT_TASK_READ,
                    TASK_FLAVOR_INSPECT => IKOT_TASK_INSPECT,
                    _ => IKOT_TASK_NAME,
                }
            } else if let Some((_, flavor)) = thread {
                use crate::thread::*;
                match flavor {
                    THREAD_FLAVOR_CONTROL => IKOT_THREAD_CONTROL,
                    THREAD_FLAVOR_READ => IKOT_THREAD_READ,
                    _ => IKOT_THREAD_INSPECT,
                }
            } else if any.is::<crate::mk_timer::Timer>() {
                IKOT_TIMER
            } else if let Some(h) = any.downcast_ref::<crate::host::HostPort>() {
                match h.kind {
                    crate::host::HostKind::Host => IKOT_HOST,
                    crate::host::HostKind::Priv => IKOT_HOST_PRIV,
                }
            } else if any.is::<crate::fileport::FilePort>() {
                IKOT_FILEPORT
            } else if any.is::<crate::task_ident::IdentityToken>() {
                IKOT_TASK_ID_TOKEN
            } else if crate::bootstrap::is_registry(any) {
                // On XNU the bootstrap port is launchd's ordinary port: a
                // program that asks sees no kernel object, here as there.
                addr = 0;
                IKOT_NONE
            } else {
                addr = 0;
                IKOT_NONE
            }
        }
    };
    Ok((kind, u64::from(addr)))
}

/// Words in one `ipc_info_name_t`: name, collision, type, urefs, object,
/// next, hash.
pub(crate) const INFO_NAME_WORDS: usize = 7;

/// `mach_port_space_info`: one `ipc_info_name_t` per slot of the name
/// table (slot 0 and free slots included, as XNU lists its whole table),
/// and the table's size. Dead ports' rights read as dead names. A port's
/// object field is its hashed address, as XNU's (the same hash as
/// `task_get_exception_ports_info`'s); other entries' is 0.
pub(crate) fn space_info(space: &Space) -> MachResult<(KVVec<u32>, u32)> {
    let mut d = Deferred::new();
    let r = {
        let mut g = space.inner.lock();
        if !g.active {
            return Err(KERN_INVALID_TASK);
        }
        let n = g.table.len();
        let words = n
            .checked_mul(INFO_NAME_WORDS)
            .ok_or(KERN_RESOURCE_SHORTAGE)?;
        let mut out =
            KVVec::with_capacity(words, GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        for i in 1..n {
            crate::ffi::resched_every(i);
            let e = &g.table[i];
            if !matches!(e.obj, Object::Free { .. }) {
                let name = make_name(i as u32, e.gen);
                // Turns a dead port's rights into a dead name.
                let _ = g.lookup(name, &mut d);
            }
        }
        for (i, e) in g.table.iter().enumerate() {
            crate::ffi::resched_every(i);
            let (gen, bits, urefs) = match (i, &e.obj) {
                (0, _) => (0xff, 0, 0),
                (_, Object::Free { .. }) => (e.gen, 0, 0),
                _ => (e.gen, e.bits, e.urefs),
            };
            let object = match (i, &e.obj) {
                (0, _) => 0,
                (_, Object::Port(p)) => addr_hash(kernel::sync::Arc::as_ptr(p) as u64),
                _ => 0,
            };
            for w in [make_name(i as u32, gen), 0, bits, urefs, object, 0, 0] {
                out.push_within_capacity(w)
                    .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            }
        }
        Ok((out, n as u32))
    };
    d.release();
    r
}

/// Words in one `ipc_info_port_t`: port object, receiver object.
const INFO_PORT_WORDS: usize = 2;

/// The most words of a `task_get_exception_ports_info` reply after
/// `RetCode`: the count, then per handler a mask, an `ipc_info_port_t`, a
/// behavior and a flavor.
pub(crate) const EXC_INFO_MAX_WORDS: usize =
    1 + (3 + INFO_PORT_WORDS) * crate::exception::EXC_TYPES_COUNT;

/// The salt of [`addr_hash`], drawn on first use (0: not drawn yet).
static SALT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// An object's address as XNU's release kernels show it
/// (`VM_KERNEL_ADDRHASH`): 0 for none, else a salted hash, stable for the
/// object's life and never 0, that does not reveal the address.
fn addr_hash(addr: u64) -> u32 {
    use core::sync::atomic::Ordering::Relaxed;
    if addr == 0 {
        return 0;
    }
    let mut salt = SALT.load(Relaxed);
    if salt == 0 {
        let fresh = crate::ffi::random_u64() | 1;
        salt = match SALT.compare_exchange(0, fresh, Relaxed, Relaxed) {
            Ok(_) => fresh,
            Err(cur) => cur,
        };
    }
    // splitmix64's finalizer over the salted address.
    let mut x = addr ^ salt;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x as u32).max(1)
}

/// `task_get_exception_ports_info`: the task's handlers of `mask`,
/// coalesced as `task_get_exception_ports` does, as MIG's reply words
/// after `RetCode`: the count, then the masks, an `ipc_info_port_t` each
/// (the hashed port and the hashed space holding its receive right, 0 for
/// none), the behaviors and the flavors. No right is given out.
pub(crate) fn exception_ports_info(space: &Space, mask: u32) -> MachResult<KVec<u32>> {
    let handlers = crate::mach_port::exception_handlers(space, mask)?;
    let n = handlers.len();
    let mut w = KVec::with_capacity(EXC_INFO_MAX_WORDS, GFP_KERNEL_ACCOUNT)
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    w.resize(1 + (3 + INFO_PORT_WORDS) * n, 0, GFP_KERNEL_ACCOUNT)
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    w[0] = n as u32;
    let info = 1 + n;
    let behaviors = info + INFO_PORT_WORDS * n;
    let flavors = behaviors + n;
    for (i, h) in handlers.into_iter().enumerate() {
        w[1 + i] = h.mask;
        if let Some(r) = &h.port {
            let port = r.port();
            w[info + INFO_PORT_WORDS * i] = addr_hash(kernel::sync::Arc::as_ptr(port) as u64);
            w[info + INFO_PORT_WORDS * i + 1] = port.receiver_space().map_or(0, addr_hash);
        }
        w[behaviors + i] = h.behavior;
        w[flavors + i] = h.flavor;
        // The send right `collect` made is released here.
    }
    Ok(w)
}
