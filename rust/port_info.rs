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
const IKOT_TASK_CONTROL: u32 = 2;
const IKOT_TIMER: u32 = 8;

/// `mach_port_kobject`: the kernel-object type of the port `name` holds a
/// send or receive right to, and its address, which is always 0 (as on
/// XNU's release kernels). A name not in use or a dead name is
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
    drop(d);
    let kind = match port.kobject() {
        None => IKOT_NONE,
        Some(o) => {
            let any = o.as_any();
            if any.is::<Space>() {
                IKOT_TASK_CONTROL
            } else if any.is::<crate::mk_timer::Timer>() {
                IKOT_TIMER
            } else {
                IKOT_NONE
            }
        }
    };
    Ok((kind, 0))
}

/// Words in one `ipc_info_name_t`: name, collision, type, urefs, object,
/// next, hash.
pub(crate) const INFO_NAME_WORDS: usize = 7;

/// `mach_port_space_info`: one `ipc_info_name_t` per slot of the name
/// table (slot 0 and free slots included, as XNU lists its whole table),
/// and the table's size. Dead ports' rights read as dead names. The object
/// field, which XNU fills with a hash of the kernel address, is 0.
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
            for w in [make_name(i as u32, gen), 0, bits, urefs, 0, 0, 0] {
                out.push_within_capacity(w)
                    .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            }
        }
        Ok((out, n as u32))
    };
    drop(d);
    r
}
