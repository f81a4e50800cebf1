// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Exception ports of a task (`task_set/get/swap_exception_ports`): for
//! each exception type, a send right, a behavior and a thread-state
//! flavor, with XNU's validation and XNU's coalescing on get.
//!
//! Raising happens in libmach: Linux offers a module no hook into fault
//! delivery, so libmach's signal handler asks for the port here and sends
//! the `exception_raise` RPC itself (see README.md).

use kernel::uaccess::{UserPtr, UserSlice};

use crate::error::*;
use crate::right::Deferred;
use crate::rights::*;
use crate::space::SpaceInner;
use crate::uapi::PortCall;

/// `EXC_TYPES_COUNT`.
pub(crate) const EXC_TYPES_COUNT: usize = 14;
const FIRST_EXCEPTION: usize = 1;
/// `EXC_MASK_VALID`: every type but 0.
const EXC_MASK_VALID: u32 = ((1 << EXC_TYPES_COUNT) - 1) & !1;
const EXCEPTION_DEFAULT: u32 = 1;
const EXCEPTION_STATE_IDENTITY_PROTECTED: u32 = 5;
/// `MACH_EXCEPTION_CODES | MACH_EXCEPTION_ERRORS | ..._BACKTRACE_PREFERRED`.
const MACH_EXCEPTION_MASK: u32 = 0x8000_0000 | 0x4000_0000 | 0x2000_0000;
/// Most entries `get` returns (`EXC_TYPES_COUNT`).
const MAX_ENTRIES: usize = EXC_TYPES_COUNT;

/// One exception type's handler.
#[derive(Default)]
pub(crate) struct ExcPort {
    pub(crate) port: Option<Right>,
    pub(crate) behavior: u32,
    pub(crate) flavor: u32,
}

fn valid_flavor(f: u32) -> bool {
    // x86's thread-state flavors (mach/i386/thread_status.h), and
    // THREAD_STATE_NONE.
    (1..=25).contains(&f)
}

/// `task_set_exception_ports`: `c.flavor` = mask, `c.name` = port (COPY_SEND),
/// `c.right` = behavior, `c.value` = thread-state flavor.
pub(crate) fn set(g: &mut SpaceInner, sid: u64, c: &PortCall, d: &mut Deferred) -> MachResult {
    let mask = c.flavor;
    if mask & !EXC_MASK_VALID != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let behavior = c.right;
    let flavor = c.value as u32;
    if name_valid(c.name) {
        let b = behavior & !MACH_EXCEPTION_MASK;
        if !(EXCEPTION_DEFAULT..=EXCEPTION_STATE_IDENTITY_PROTECTED).contains(&b) {
            return Err(KERN_INVALID_ARGUMENT);
        }
    }
    if !valid_flavor(flavor) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let port = if name_valid(c.name) {
        match g
            .copyin(sid, c.name, MACH_MSG_TYPE_COPY_SEND, d)
            .map_err(|_| MACH_SEND_INVALID_RIGHT)?
        {
            Carried::Right(r) => Some(r),
            _ => None,
        }
    } else {
        None
    };
    for i in FIRST_EXCEPTION..EXC_TYPES_COUNT {
        if mask & (1 << i) == 0 {
            continue;
        }
        let new = port.as_ref().map(|r| {
            let p = r.port().clone();
            p.inner.lock().srights += 1;
            Right::from_counted(Kind::Send, p)
        });
        let old = core::mem::replace(
            &mut g.exc[i],
            ExcPort {
                port: new,
                behavior,
                flavor,
            },
        );
        if let Some(r) = old.port {
            d.right(r);
        }
    }
    if let Some(r) = port {
        d.right(r);
    }
    Ok(())
}

/// `task_get_exception_ports`: writes up to `c.count` entries of
/// `{mask, port, behavior, flavor}` (u32 each) to `c.data`, coalescing
/// types with the same handler as XNU does; sets `c.count`.
pub(crate) fn get(g: &mut SpaceInner, sid: u64, c: &mut PortCall, d: &mut Deferred) -> MachResult {
    let mask = c.flavor;
    if mask & !EXC_MASK_VALID != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    // (mask, type index of the first member) per distinct handler.
    let mut entries: [(u32, usize); MAX_ENTRIES] = [(0, 0); MAX_ENTRIES];
    let mut n = 0;
    for i in FIRST_EXCEPTION..EXC_TYPES_COUNT {
        if mask & (1 << i) == 0 {
            continue;
        }
        let e = &g.exc[i];
        let same = |j: usize| {
            let o = &g.exc[j];
            let ports_eq = match (&o.port, &e.port) {
                (None, None) => true,
                (Some(a), Some(b)) => kernel::sync::Arc::ptr_eq(a.port(), b.port()),
                _ => false,
            };
            ports_eq && o.behavior == e.behavior && o.flavor == e.flavor
        };
        match entries[..n].iter().position(|&(_, j)| same(j)) {
            Some(k) => entries[k].0 |= 1 << i,
            None => {
                if n == (c.count as usize).min(MAX_ENTRIES) {
                    break;
                }
                entries[n] = (1 << i, i);
                n += 1;
            }
        }
    }
    let mut out = [0u8; MAX_ENTRIES * 16];
    for (k, &(m, i)) in entries[..n].iter().enumerate() {
        let port = g.exc[i].port.as_ref().map(|r| r.port().clone());
        let (behavior, flavor) = (g.exc[i].behavior, g.exc[i].flavor);
        let name = match port {
            Some(p) => {
                p.inner.lock().srights += 1;
                g.copyout(sid, Right::from_counted(Kind::Send, p), d)
                    .unwrap_or(MACH_PORT_NULL)
            }
            None => MACH_PORT_NULL,
        };
        for (w, v) in [m, name, behavior, flavor].iter().enumerate() {
            out[k * 16 + w * 4..k * 16 + w * 4 + 4].copy_from_slice(&v.to_ne_bytes());
        }
    }
    UserSlice::new(UserPtr::from_addr(c.data as usize), n * 16)
        .writer()
        .write_slice(&out[..n * 16])
        .map_err(|_| KERN_INVALID_ADDRESS)?;
    c.count = n as u32;
    Ok(())
}
