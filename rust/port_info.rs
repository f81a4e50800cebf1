// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Debugging introspection of a space's names (XNU's `mach_debug`):
//! `mach_port_kobject`, which kernel object a port stands for.

use crate::error::*;
use crate::right::Deferred;
use crate::rights::{MACH_PORT_TYPE_RECEIVE, MACH_PORT_TYPE_SEND};
use crate::space::{Object, Space};

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
