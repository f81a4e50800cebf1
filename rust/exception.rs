// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Exception ports of a task (`task_set/get/swap_exception_ports`): for
//! each exception type, a send right, a behavior and a thread-state
//! flavor, with XNU's validation and XNU's coalescing on get.
//!
//! Raising happens in libmach: Linux offers a module no hook into fault
//! delivery, so libmach's signal handler asks for the port here and sends
//! the `exception_raise` RPC itself (see README.md).

use kernel::prelude::*;

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

/// XNU's checks of `task_set_exception_ports` arguments.
pub(crate) fn validate(mask: u32, behavior: u32, flavor: u32, has_port: bool) -> MachResult {
    if mask & !EXC_MASK_VALID != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    if has_port {
        let b = behavior & !MACH_EXCEPTION_MASK;
        if !(EXCEPTION_DEFAULT..=EXCEPTION_STATE_IDENTITY_PROTECTED).contains(&b) {
            return Err(KERN_INVALID_ARGUMENT);
        }
    }
    if !valid_flavor(flavor) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    Ok(())
}

/// Makes `port` (a send right, or none) the handler of every type in
/// `mask`; each slot holds its own send right.
pub(crate) fn install(
    g: &mut SpaceInner,
    mask: u32,
    port: Option<Right>,
    behavior: u32,
    flavor: u32,
    d: &mut Deferred,
) {
    for i in FIRST_EXCEPTION..EXC_TYPES_COUNT {
        if mask & (1 << i) == 0 {
            continue;
        }
        // A send right count at its maximum leaves the slot empty.
        let new = port.as_ref().and_then(|r| r.port().new_send().ok());
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
}

/// One coalesced handler: the types it serves, a new send right to its
/// port (if any), behavior and flavor.
pub(crate) struct Handler {
    pub(crate) mask: u32,
    pub(crate) port: Option<Right>,
    pub(crate) behavior: u32,
    pub(crate) flavor: u32,
}

/// The handlers of the types in `mask`, types with the same handler
/// coalesced into one entry as XNU does; at most `max` entries.
pub(crate) fn collect(g: &SpaceInner, mask: u32, max: usize) -> MachResult<KVec<Handler>> {
    // Room for every type up front: a handler is never dropped half way.
    let mut out: KVec<Handler> =
        KVec::with_capacity(EXC_TYPES_COUNT, GFP_KERNEL).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    // Type index of each entry's first member, to compare handlers.
    let mut first = [0usize; EXC_TYPES_COUNT];
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
        match (0..out.len()).find(|&k| same(first[k])) {
            Some(k) => out[k].mask |= 1 << i,
            None => {
                if out.len() == max.min(EXC_TYPES_COUNT) {
                    break;
                }
                // A send right count at its maximum reports no port.
                let port = e.port.as_ref().and_then(|r| r.port().new_send().ok());
                first[out.len()] = i;
                let h = Handler {
                    mask: 1 << i,
                    port,
                    behavior: e.behavior,
                    flavor: e.flavor,
                };
                if let Err(h) = out.push_within_capacity(h) {
                    // Cannot happen: one entry per type at most.
                    drop(h);
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// `task_set_exception_ports`: `c.flavor` = mask, `c.name` = port (COPY_SEND),
/// `c.right` = behavior, `c.value` = thread-state flavor.
pub(crate) fn set(g: &mut SpaceInner, sid: u64, c: &PortCall, d: &mut Deferred) -> MachResult {
    let (mask, behavior, flavor) = (c.flavor, c.right, c.value as u32);
    validate(mask, behavior, flavor, name_valid(c.name))?;
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
    install(g, mask, port, behavior, flavor, d);
    Ok(())
}

/// `task_get_exception_ports`: up to `c.count` entries of
/// `{mask, port, behavior, flavor}`, four words each, for the caller to
/// copy to `c.data` once the space lock is dropped; sets `c.count`.
pub(crate) fn get(
    g: &mut SpaceInner,
    sid: u64,
    c: &mut PortCall,
    d: &mut Deferred,
) -> MachResult<KVec<u32>> {
    if c.flavor & !EXC_MASK_VALID != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let handlers = collect(g, c.flavor, c.count as usize)?;
    let n = handlers.len();
    let mut out =
        KVec::with_capacity(n * 4, GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    for h in handlers.into_iter() {
        let name = match h.port {
            Some(r) => g.copyout(sid, r, d).unwrap_or(MACH_PORT_NULL),
            None => MACH_PORT_NULL,
        };
        out.extend_from_slice(&[h.mask, name, h.behavior, h.flavor], GFP_KERNEL_ACCOUNT)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    }
    c.count = n as u32;
    Ok(out)
}
