// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The `mach_port_*` routines (`mach/mach_port.defs`) and the task
//! routines served on a space (`task_get/set_special_port`,
//! `task_get/set/swap_exception_ports`): one typed function per routine.
//!
//! Two front-ends call them: the ioctls (`device.rs`), and MIG requests
//! sent to a task port (`kobject.rs`). A routine takes the locks it needs,
//! normally one space-lock section, and never touches user memory: the
//! front-end reads the arguments before and writes the results after, so
//! a copy that faults and sleeps holds no lock another thread may want.
//! Rights and messages a routine gives up are released once the space
//! lock is dropped (`Deferred`).

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::defs::*;
use crate::error::*;
use crate::exception::{self, Handler};
use crate::kmsg::Kmsg;
use crate::notify::*;
use crate::port::{
    Port, MACH_PORT_QLIMIT_MAX, MACH_PORT_STATUS_FLAG_IMP_DONATION,
    MACH_PORT_STATUS_FLAG_TEMPOWNER, MPG_IMMOVABLE_RECEIVE, MPG_STRICT,
};
use crate::port_set::PortSet;
use crate::right::Deferred;
use crate::rights::*;
use crate::space::{Object, Space, SpaceInner};

// mach_port_flavor_t
const MACH_PORT_LIMITS_INFO: u32 = 1;
const MACH_PORT_RECEIVE_STATUS: u32 = 2;
const MACH_PORT_DNREQUESTS_SIZE: u32 = 3;
const MACH_PORT_TEMPOWNER: u32 = 4;
const MACH_PORT_IMPORTANCE_RECEIVER: u32 = 5;
const MACH_PORT_DENAP_RECEIVER: u32 = 6;
const MACH_PORT_INFO_EXT: u32 = 7;
const MACH_PORT_RECEIVE_STATUS_COUNT: u32 = 10;
const MACH_PORT_INFO_EXT_COUNT: u32 = 17;

// mach_port_options_t flags
const MPO_CONTEXT_AS_GUARD: u32 = 0x01;
const MPO_QLIMIT: u32 = 0x02;
const MPO_TEMPOWNER: u32 = 0x04;
const MPO_IMPORTANCE_RECEIVER: u32 = 0x08;
const MPO_INSERT_SEND_RIGHT: u32 = 0x10;
const MPO_STRICT: u32 = 0x20;
const MPO_DENAP_RECEIVER: u32 = 0x40;
const MPO_IMMOVABLE_RECEIVE: u32 = 0x80;

/// Runs `f` on the locked space, then releases what it deferred. This is
/// the one space-lock section of a routine; `KERN_INVALID_TASK` once the
/// space is torn down.
pub(crate) fn locked<T>(
    space: &Space,
    f: impl FnOnce(&mut SpaceInner, u64, &mut Deferred) -> MachResult<T>,
) -> MachResult<T> {
    let mut d = Deferred::new();
    let r = {
        // A call makes at most one name here; the table grows unlocked.
        let mut g = space.lock_with_free(1);
        if !g.active {
            return Err(KERN_INVALID_TASK);
        }
        f(&mut g, space.id, &mut d)
    };
    d.release();
    r
}

/// A receive right for routines that first reject null and dead names
/// with `KERN_INVALID_RIGHT` (context, mscount, seqno, attributes).
fn receive_port_valid(g: &mut SpaceInner, name: u32, d: &mut Deferred) -> MachResult<Arc<Port>> {
    if !name_valid(name) {
        return Err(KERN_INVALID_RIGHT);
    }
    g.receive_port(name, d)
}

/// Receive rights for routines that reject null and dead names with
/// `KERN_INVALID_NAME` (guard, unguard).
fn receive_port_named(g: &mut SpaceInner, name: u32, d: &mut Deferred) -> MachResult<Arc<Port>> {
    if !name_valid(name) {
        return Err(KERN_INVALID_NAME);
    }
    g.receive_port(name, d)
}

// ---- Names and rights ----

/// mach_port_names: every name and its type, in name order (a dead
/// port's send rights show as dead names, as after a lookup).
pub(crate) fn names(space: &Space) -> MachResult<(KVVec<u32>, KVVec<u32>)> {
    locked(space, |g, _, d| names_locked(g, d))
}

fn names_locked(g: &mut SpaceInner, d: &mut Deferred) -> MachResult<(KVVec<u32>, KVVec<u32>)> {
    // Up to a million names: vmalloc-backed arrays, a scheduling point now
    // and then.
    let n = g.names().count();
    let alloc = || KVVec::with_capacity(n, GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE);
    let (mut names, mut types, mut live) = (alloc()?, alloc()?, alloc()?);
    for (i, (name, _)) in g.names().enumerate() {
        crate::ffi::resched_every(i);
        live.push_within_capacity(name)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    }
    for (i, name) in live.iter().enumerate() {
        crate::ffi::resched_every(i);
        // The lookup turns a dead port's rights into a dead name.
        if let Ok(e) = g.lookup(*name, d) {
            names
                .push_within_capacity(*name)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            types
                .push_within_capacity(g.table[e].bits)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        }
    }
    Ok((names, types))
}

/// mach_port_type.
pub(crate) fn port_type(space: &Space, name: u32) -> MachResult<u32> {
    locked(space, |g, _, d| {
        if name == MACH_PORT_NULL {
            return Err(KERN_INVALID_NAME);
        }
        if name == MACH_PORT_DEAD {
            return Ok(MACH_PORT_TYPE_DEAD_NAME);
        }
        let i = g.lookup(name, d)?;
        Ok(g.table[i].bits)
    })
}

/// mach_port_allocate.
pub(crate) fn allocate(space: &Space, right: u32) -> MachResult<u32> {
    locked(space, |g, sid, _| allocate_locked(g, sid, right, None))
}

/// mach_port_allocate_name.
pub(crate) fn allocate_name(space: &Space, right: u32, name: u32) -> MachResult {
    if !name_valid(name) {
        return Err(KERN_INVALID_VALUE);
    }
    // XNU ignores the name for a dead name (it picks its own).
    let want = (right != MACH_PORT_RIGHT_DEAD_NAME).then_some(name);
    locked(space, |g, sid, _| {
        allocate_locked(g, sid, right, want).map(|_| ())
    })
}

/// mach_port_destroy.
pub(crate) fn destroy(space: &Space, name: u32) -> MachResult {
    if !name_valid(name) {
        return Ok(());
    }
    locked(space, |g, sid, d| {
        if let Ok(p) = g.receive_port(name, d) {
            if p.has_guard_value() {
                return Err(KERN_INVALID_RIGHT);
            }
        }
        g.destroy_name(sid, name, d)
    })
}

/// mach_port_deallocate.
pub(crate) fn deallocate(space: &Space, name: u32) -> MachResult {
    if !name_valid(name) {
        return Ok(());
    }
    locked(space, |g, sid, d| g.dealloc(sid, name, d))
}

/// mach_port_get_refs.
pub(crate) fn get_refs(space: &Space, name: u32, right: u32) -> MachResult<u32> {
    if right >= MACH_PORT_RIGHT_NUMBER {
        return Err(KERN_INVALID_VALUE);
    }
    if !name_valid(name) {
        if right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_SEND_ONCE {
            return Ok(1);
        }
        return Err(KERN_INVALID_NAME);
    }
    locked(space, |g, _, d| {
        let i = g.lookup(name, d)?;
        let e = &g.table[i];
        Ok(if e.bits & (1u32 << (right + 16)) == 0 {
            0
        } else if right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_DEAD_NAME {
            e.urefs
        } else {
            1
        })
    })
}

/// mach_port_mod_refs.
pub(crate) fn mod_refs(space: &Space, name: u32, right: u32, delta: i32) -> MachResult {
    if right >= MACH_PORT_RIGHT_NUMBER {
        return Err(KERN_INVALID_VALUE);
    }
    if !name_valid(name) {
        if right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_SEND_ONCE {
            return Ok(());
        }
        return Err(KERN_INVALID_NAME);
    }
    locked(space, |g, sid, d| g.delta(sid, name, right, delta, d))
}

/// mach_port_insert_right (the trap): the right `poly` names in this same
/// space, with disposition `msgt`, goes to `name`.
pub(crate) fn insert_right(space: &Space, name: u32, poly: u32, msgt: u32) -> MachResult {
    locked(space, |g, sid, d| {
        if name == poly && (msgt == MACH_MSG_TYPE_MAKE_SEND || msgt == MACH_MSG_TYPE_COPY_SEND) {
            return insert_send_same_name(g, name, msgt);
        }
        if !is_any_right(msgt) {
            // Like the copyin of an impossible disposition.
            g.lookup(poly, d)?;
            return Err(KERN_INVALID_RIGHT);
        }
        let carried = g.copyin(sid, poly, msgt, d)?;
        insert_carried_locked(g, sid, name, carried, d)
    })
}

/// mach_port_insert_right as MIG serves it: the right came in a port
/// descriptor.
pub(crate) fn insert_carried(space: &Space, name: u32, carried: Carried) -> MachResult {
    locked(space, |g, sid, d| {
        insert_carried_locked(g, sid, name, carried, d)
    })
}

fn insert_carried_locked(
    g: &mut SpaceInner,
    sid: u64,
    name: u32,
    carried: Carried,
    d: &mut Deferred,
) -> MachResult {
    if !name_valid(name) {
        d.carried(carried);
        return Err(KERN_INVALID_VALUE);
    }
    match carried {
        Carried::Right(r) => g.copyout_named(sid, r, name, d),
        _ => Err(KERN_INVALID_CAPABILITY),
    }
}

/// The insert_right trap's fast path: a send right made or copied onto
/// its own name.
fn insert_send_same_name(g: &mut SpaceInner, name: u32, disp: u32) -> MachResult {
    let i = g.index_of(name).ok_or(KERN_INVALID_NAME)?;
    let e = &g.table[i];
    let p = match &e.obj {
        Object::Port(p) => p.clone(),
        Object::Dead => return Err(KERN_INVALID_CAPABILITY),
        _ => return Err(KERN_INVALID_RIGHT),
    };
    if !p.is_active() {
        return Err(KERN_INVALID_CAPABILITY);
    }
    let e = &mut g.table[i];
    if disp == MACH_MSG_TYPE_MAKE_SEND {
        if e.bits & MACH_PORT_TYPE_RECEIVE == 0 {
            return Err(KERN_INVALID_RIGHT);
        }
        // Counted first: a refused right makes no send count.
        let r = p.make_send()?;
        if e.bits & MACH_PORT_TYPE_SEND == 0 {
            e.bits |= MACH_PORT_TYPE_SEND;
            e.urefs = 1;
            // The entry takes over the right's count.
            let _ = r.into_counted();
            return Ok(());
        }
        // The entry holds a send right already, so this one is not the
        // last: it goes without a notification, one more user reference.
        drop(r);
    } else if e.bits & MACH_PORT_TYPE_SEND == 0 {
        return Err(KERN_INVALID_RIGHT);
    }
    if e.urefs < MACH_PORT_UREFS_MAX {
        e.urefs += 1;
    }
    Ok(())
}

/// mach_port_extract_right as MIG serves it: the right leaves the space,
/// to be carried in the reply.
pub(crate) fn extract_carried(space: &Space, name: u32, msgt: u32) -> MachResult<Carried> {
    if !is_any_right(msgt) {
        return Err(KERN_INVALID_VALUE);
    }
    if !name_valid(name) {
        return Err(KERN_INVALID_RIGHT);
    }
    locked(space, |g, sid, d| g.copyin(sid, name, msgt, d))
}

/// mach_port_extract_right (the trap), within one space: the right is
/// copied in and out again; the new name and the right's message type.
pub(crate) fn extract_right(space: &Space, name: u32, msgt: u32) -> MachResult<(u32, u32)> {
    if !is_any_right(msgt) {
        return Err(KERN_INVALID_VALUE);
    }
    if !name_valid(name) {
        return Err(KERN_INVALID_RIGHT);
    }
    locked(space, |g, sid, d| match g.copyin(sid, name, msgt, d)? {
        Carried::Right(r) => {
            let t = r.kind().msg_type();
            Ok((g.copyout(sid, r, d)?, t))
        }
        Carried::Dead => Ok((MACH_PORT_DEAD, copyin_type(msgt))),
        Carried::Null => Ok((MACH_PORT_NULL, copyin_type(msgt))),
    })
}

/// mach_port_allocate / allocate_name with the space locked.
fn allocate_locked(g: &mut SpaceInner, sid: u64, right: u32, name: Option<u32>) -> MachResult<u32> {
    let (bits, urefs, obj) = match right {
        MACH_PORT_RIGHT_RECEIVE => {
            let p = Port::new(g.quota())?;
            (MACH_PORT_TYPE_RECEIVE, 0, Object::Port(p))
        }
        MACH_PORT_RIGHT_PORT_SET => {
            let s = PortSet::new(g.quota())?;
            (MACH_PORT_TYPE_PORT_SET, 0, Object::Set(s))
        }
        MACH_PORT_RIGHT_DEAD_NAME => (MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead),
        _ => return Err(KERN_INVALID_VALUE),
    };
    let port = match &obj {
        Object::Port(p) => Some(p.clone()),
        _ => None,
    };
    let set = match &obj {
        Object::Set(s) => Some(s.clone()),
        _ => None,
    };
    let n = match name {
        Some(n) => g.alloc_named(n, bits, urefs, obj).map(|()| n),
        None => g.alloc(bits, urefs, obj),
    };
    let n = match n {
        Ok(n) => n,
        Err(e) => {
            if let Some(s) = set {
                s.destroy();
            }
            if let Some(p) = port {
                // Never named: kill it quietly.
                drop(Right::from_counted(Kind::Receive, p));
            }
            return Err(e);
        }
    };
    if let Some(p) = port {
        if let Err(e) = g.set_port_name(&p, n) {
            let i = crate::space::name_index(n) as usize;
            // The slot held the port just made; the right is dropped below.
            drop(g.free_index(i));
            drop(Right::from_counted(Kind::Receive, p));
            return Err(e);
        }
        p.set_receiver(sid, n);
    }
    Ok(n)
}

/// Names `receive`, the receive right of a port the kernel just made for
/// the caller (`mk_timer_create`). On failure the right is dropped, which
/// destroys the port.
pub(crate) fn name_receive(space: &Space, receive: Right) -> MachResult<u32> {
    locked(space, |g, sid, d| {
        let (_, p) = receive.into_counted();
        let n = match g.alloc(MACH_PORT_TYPE_RECEIVE, 0, Object::Port(p.clone())) {
            Ok(n) => n,
            Err(e) => {
                d.right(Right::from_counted(Kind::Receive, p));
                return Err(e);
            }
        };
        if let Err(e) = g.set_port_name(&p, n) {
            let i = crate::space::name_index(n) as usize;
            // The slot held the port just made; the right goes below.
            drop(g.free_index(i));
            d.right(Right::from_counted(Kind::Receive, p));
            return Err(e);
        }
        p.set_receiver(sid, n);
        Ok(n)
    })
}

// ---- Port state: attributes, context, guards, counters ----

/// Attribute words of a port (`port_info` of mach_port_get_attributes).
pub(crate) type Info = [u32; 17];

/// mach_port_get_attributes on `name`: the words and the count the caller
/// gets back. `count` is the caller's capacity, in words.
pub(crate) fn get_attributes(
    space: &Space,
    name: u32,
    flavor: u32,
    count: u32,
) -> MachResult<(Info, u32)> {
    let mut w = [0u32; 17];
    // XNU's trap and MIG server both clamp the caller's count to the size
    // of `mach_port_info_t` before the routine sets the flavor's count; a
    // flavor that sets none (a dead-name-request size of a null name)
    // answers that many zeroed words.
    let count = count.min(w.len() as u32);
    let need = match flavor {
        MACH_PORT_LIMITS_INFO | MACH_PORT_DNREQUESTS_SIZE => 1,
        MACH_PORT_RECEIVE_STATUS => MACH_PORT_RECEIVE_STATUS_COUNT,
        MACH_PORT_INFO_EXT => MACH_PORT_INFO_EXT_COUNT,
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    if count < need {
        return Err(KERN_FAILURE);
    }
    if !name_valid(name) {
        return match flavor {
            MACH_PORT_LIMITS_INFO => Ok((w, 0)),
            MACH_PORT_DNREQUESTS_SIZE => Ok((w, count)),
            _ => Err(KERN_INVALID_RIGHT),
        };
    }
    locked(space, |g, _, d| {
        let p = g.receive_port(name, d)?;
        let st = p.status();
        match flavor {
            MACH_PORT_LIMITS_INFO => w[0] = st.qlimit,
            MACH_PORT_DNREQUESTS_SIZE => w[0] = st.dnrequests,
            _ => {
                w[0] = u32::from(st.in_set);
                w[1] = st.seqno;
                w[2] = st.mscount;
                w[3] = st.qlimit;
                w[4] = st.msgcount;
                w[5] = st.sorights;
                w[6] = u32::from(st.srights);
                w[7] = u32::from(st.pdrequest);
                w[8] = u32::from(st.nsrequest);
                w[9] = st.flags;
            }
        }
        Ok((w, need))
    })
}

/// mach_port_set_attributes on `name` with `info` (the words passed).
pub(crate) fn set_attributes(space: &Space, name: u32, flavor: u32, info: &[u32]) -> MachResult {
    match flavor {
        MACH_PORT_LIMITS_INFO => {
            let q = *info.first().ok_or(KERN_FAILURE)?;
            if q > MACH_PORT_QLIMIT_MAX {
                return Err(KERN_INVALID_VALUE);
            }
            locked(space, |g, _, d| {
                let p = receive_port_valid(g, name, d)?;
                // A larger limit lets blocked senders in.
                p.set_qlimit(q);
                Ok(())
            })
        }
        MACH_PORT_DNREQUESTS_SIZE
        | MACH_PORT_TEMPOWNER
        | MACH_PORT_IMPORTANCE_RECEIVER
        | MACH_PORT_DENAP_RECEIVER => {
            if flavor == MACH_PORT_DNREQUESTS_SIZE && info.is_empty() {
                return Err(KERN_FAILURE);
            }
            locked(space, |g, _, d| receive_port_valid(g, name, d)).map(|_| ())
        }
        _ => Err(KERN_INVALID_ARGUMENT),
    }
}

/// mach_port_get_context: a strict guard reads as zero.
pub(crate) fn get_context(space: &Space, name: u32) -> MachResult<u64> {
    locked(space, |g, _, d| {
        let p = receive_port_valid(g, name, d)?;
        Ok(p.user_context())
    })
}

/// mach_port_set_context: refused on a strictly guarded port.
pub(crate) fn set_context(space: &Space, name: u32, context: u64) -> MachResult {
    locked(space, |g, _, d| {
        let p = receive_port_valid(g, name, d)?;
        p.set_context(context)
    })
}

/// mach_port_guard_with_flags (`MPG_*`; mach_port_guard is `MPG_STRICT`
/// or nothing).
pub(crate) fn guard(space: &Space, name: u32, guard: u64, flags: u64) -> MachResult {
    locked(space, |g, _, d| {
        let p = receive_port_named(g, name, d)?;
        p.guard(guard, flags)
    })
}

/// mach_port_swap_guard.
pub(crate) fn swap_guard(space: &Space, name: u32, old: u64, new: u64) -> MachResult {
    locked(space, |g, _, d| {
        let p = receive_port_named(g, name, d)?;
        p.swap_guard(old, new)
    })
}

/// mach_port_unguard.
pub(crate) fn unguard(space: &Space, name: u32, guard: u64) -> MachResult {
    locked(space, |g, _, d| {
        let p = receive_port_named(g, name, d)?;
        p.unguard(guard)
    })
}

/// mach_port_get_srights.
pub(crate) fn get_srights(space: &Space, name: u32) -> MachResult<u32> {
    locked(space, |g, _, d| {
        let p = g.receive_port(name, d)?;
        Ok(p.send_rights())
    })
}

/// mach_port_set_mscount.
pub(crate) fn set_mscount(space: &Space, name: u32, mscount: u32) -> MachResult {
    locked(space, |g, _, d| {
        let p = receive_port_valid(g, name, d)?;
        p.set_mscount(mscount);
        Ok(())
    })
}

/// mach_port_set_seqno.
pub(crate) fn set_seqno(space: &Space, name: u32, seqno: u32) -> MachResult {
    locked(space, |g, _, d| {
        let p = receive_port_valid(g, name, d)?;
        p.set_seqno(seqno);
        Ok(())
    })
}

/// What mach_port_peek answers: the message's size, id and sequence
/// number, and its trailer.
pub(crate) struct Peeked {
    pub(crate) size: u32,
    pub(crate) id: i32,
    pub(crate) seqno: u32,
    pub(crate) trailer: [u8; MAX_TRAILER_SIZE],
    /// How many bytes of `trailer` the caller gets.
    pub(crate) len: usize,
}

/// The size XNU's `mach_port_peek` reports for `k`: its `msgh_size` in
/// the kernel's layout, whose header is 8 bytes longer than the user's
/// (`USER_HEADER_SIZE_DELTA`) and whose descriptors are all 16 bytes, so a
/// port descriptor (12 bytes to the user) counts 4 more.
fn kernel_size(k: &Kmsg) -> u32 {
    let ports = k
        .descs
        .iter()
        .filter(|d| matches!(Descriptor::read(&k.body, d.offset), Ok(Descriptor::Port(_))))
        .count();
    // At most MAX_MSG_RIGHTS port descriptors: no overflow.
    k.size + 8 + 4 * ports as u32
}

/// mach_port_peek: the message `seqno` (or the first, for 0) of `name`'s
/// queue, with a trailer of type `trailer_type` and at most `room` bytes.
pub(crate) fn peek(
    space: &Space,
    name: u32,
    trailer_type: u32,
    seqno: u32,
    room: u32,
) -> MachResult<Peeked> {
    if !name_valid(name) {
        return Err(KERN_INVALID_RIGHT);
    }
    // Elements up to the audit token, and room for them.
    if rcv_trailer_elements(trailer_type) > 3 {
        return Err(KERN_INVALID_VALUE);
    }
    let tsize = crate::mach_msg::trailer_size(trailer_type & MACH_RCV_TRAILER_MASK)
        .map_err(|_| KERN_INVALID_VALUE)?;
    if tsize > room as usize {
        return Err(KERN_INVALID_VALUE);
    }
    locked(space, |g, _, d| {
        let p = g.receive_port(name, d)?;
        let len = (room as usize).min(MAX_TRAILER_SIZE);
        p.peek(seqno, |k, seqno, context| {
            let mut trailer = [0u8; MAX_TRAILER_SIZE];
            crate::mach_msg::fill_trailer(&mut trailer, tsize, len, seqno, context, &k.sender);
            Peeked {
                size: kernel_size(k),
                id: k.id,
                seqno,
                trailer,
                len,
            }
        })
        .ok_or(KERN_FAILURE)
    })
}

/// mach_port_construct with `opts` and `context`.
pub(crate) fn construct(space: &Space, opts: &PortOptions, context: u64) -> MachResult<u32> {
    let (flags, qlimit) = (opts.flags, opts.qlimit);
    // At most one of service/connection/tg-block-tracking, and one
    // reply-port kind (XNU's mach_port_construct).
    if (flags & 0xe00).count_ones() > 1 || (flags & 0xf000).count_ones() > 1 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    if flags & MPO_QLIMIT != 0 && qlimit > MACH_PORT_QLIMIT_MAX {
        return Err(KERN_INVALID_VALUE);
    }
    locked(space, |g, sid, d| {
        let name = allocate_locked(g, sid, MACH_PORT_RIGHT_RECEIVE, None)?;
        let p = g.receive_port(name, d)?;
        if flags & MPO_QLIMIT != 0 {
            p.set_qlimit(qlimit);
        }
        // Importance is not modelled, but the port says what it was
        // made with, as XNU's status does.
        if flags & (MPO_IMPORTANCE_RECEIVER | MPO_DENAP_RECEIVER | MPO_TEMPOWNER) != 0 {
            let mut f = MACH_PORT_STATUS_FLAG_IMP_DONATION;
            if flags & MPO_TEMPOWNER != 0 {
                f |= MACH_PORT_STATUS_FLAG_TEMPOWNER;
            }
            p.set_importance(f);
        }
        // A new port: no context or guard yet, so neither call fails.
        // Immovability comes only with a guard, as on XNU.
        if flags & MPO_CONTEXT_AS_GUARD != 0 {
            let mut g = 0;
            if flags & MPO_STRICT != 0 {
                g |= MPG_STRICT;
            }
            if flags & MPO_IMMOVABLE_RECEIVE != 0 {
                g |= MPG_IMMOVABLE_RECEIVE;
            }
            p.guard(context, g)?;
        } else {
            p.set_context(context)?;
        }
        if flags & MPO_INSERT_SEND_RIGHT != 0 {
            if let Carried::Right(r) = g.copyin(sid, name, MACH_MSG_TYPE_MAKE_SEND, d)? {
                g.copyout_named(sid, r, name, d)?;
            }
        }
        Ok(name)
    })
}

/// mach_port_destruct: the receive right goes, with `-srdelta` send
/// rights, if `guard` matches a guarded port's.
pub(crate) fn destruct(space: &Space, name: u32, srdelta: i32, guard: u64) -> MachResult {
    if !name_valid(name) {
        return Err(KERN_INVALID_NAME);
    }
    locked(space, |g, sid, d| {
        let i = g.lookup(name, d)?;
        let (bits, urefs) = (g.table[i].bits, g.table[i].urefs);
        if bits & MACH_PORT_TYPE_RECEIVE == 0 {
            return Err(KERN_INVALID_RIGHT);
        }
        if srdelta != 0 && bits & MACH_PORT_TYPE_SEND == 0 {
            return Err(KERN_INVALID_RIGHT);
        }
        if srdelta > 0 {
            return Err(KERN_INVALID_VALUE);
        }
        let p = g.receive_port(name, d)?;
        // A satisfied guard lets the receive right go.
        p.satisfy_guard(guard)?;
        if srdelta != 0 && urefs != MACH_PORT_UREFS_MAX && -i64::from(srdelta) > i64::from(urefs) {
            return Err(KERN_INVALID_VALUE);
        }
        if srdelta != 0 {
            g.delta(sid, name, MACH_PORT_RIGHT_SEND, srdelta, d)?;
        }
        g.delta(sid, name, MACH_PORT_RIGHT_RECEIVE, -1, d)
    })
}

// ---- Port sets ----

/// XNU's `ipc_object_translate_port_pset`: the port name is checked first.
fn port_and_set(
    g: &mut SpaceInner,
    port: u32,
    set: u32,
    d: &mut Deferred,
) -> MachResult<(Arc<Port>, Arc<PortSet>)> {
    let pi = g.lookup(port, d)?;
    let si = g.lookup(set, d)?;
    let p = match &g.table[pi].obj {
        Object::Port(p) if g.table[pi].bits & MACH_PORT_TYPE_RECEIVE != 0 => p.clone(),
        _ => return Err(KERN_INVALID_RIGHT),
    };
    let s = match &g.table[si].obj {
        Object::Set(s) => s.clone(),
        _ => return Err(KERN_INVALID_RIGHT),
    };
    Ok((p, s))
}

/// mach_port_insert_member.
pub(crate) fn insert_member(space: &Space, name: u32, pset: u32) -> MachResult {
    on_member(space, name, pset, |s, p| s.add_member(p))
}

/// mach_port_extract_member.
pub(crate) fn extract_member(space: &Space, name: u32, pset: u32) -> MachResult {
    on_member(space, name, pset, |s, p| s.remove_member(p))
}

/// Runs `f` on the set `pset` and the port of receive right `name`.
fn on_member(
    space: &Space,
    name: u32,
    pset: u32,
    f: impl FnOnce(&Arc<PortSet>, &Arc<Port>) -> MachResult,
) -> MachResult {
    if !name_valid(name) || !name_valid(pset) {
        return Err(KERN_INVALID_RIGHT);
    }
    locked(space, |g, _, d| {
        let (p, s) = port_and_set(g, name, pset, d)?;
        f(&s, &p)
    })
}

/// mach_port_move_member: `member` leaves every set but `after` (none
/// for `MACH_PORT_NULL`), joining it if need be.
pub(crate) fn move_member(space: &Space, member: u32, after: u32) -> MachResult {
    if !name_valid(member) || after == MACH_PORT_DEAD {
        return Err(KERN_INVALID_RIGHT);
    }
    locked(space, |g, _, d| {
        let (p, set) = if after == MACH_PORT_NULL {
            (g.receive_port(member, d)?, None)
        } else {
            let (p, s) = port_and_set(g, member, after, d)?;
            (p, Some(s))
        };
        if let Some(s) = &set {
            match s.add_member(&p) {
                Ok(()) | Err(KERN_ALREADY_IN_SET) => {}
                Err(e) => return Err(e),
            }
        }
        leave_other_sets(&p, set.as_ref())
    })
}

/// Takes `p` out of every set but `keep`; `KERN_NOT_IN_SET` if it was in
/// none and joins none.
fn leave_other_sets(p: &Arc<Port>, keep: Option<&Arc<PortSet>>) -> MachResult {
    let others = p.leave_sets_except(keep)?;
    let was_in_none = keep.is_none() && others.is_empty();
    for s in others.iter() {
        s.forget_member(p);
    }
    if was_in_none {
        return Err(KERN_NOT_IN_SET);
    }
    Ok(())
}

/// mach_port_get_set_status: the members' receive names, ascending.
pub(crate) fn get_set_status(space: &Space, name: u32) -> MachResult<KVec<u32>> {
    if !name_valid(name) {
        return Err(KERN_INVALID_RIGHT);
    }
    locked(space, |g, sid, d| {
        let s = g.port_set(name, d)?;
        let members = s.members().map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let mut names = KVec::with_capacity(members.len(), GFP_KERNEL_ACCOUNT)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        for p in members.iter() {
            if let Some(n) = p.name_in(sid) {
                names
                    .push_within_capacity(n)
                    .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            }
        }
        names.sort_unstable();
        Ok(names)
    })
}

// ---- Notification requests ----

/// A previous request handed back by mach_port_request_notification: its
/// send-once right's new name and type (`MACH_PORT_NULL` and 0 if none).
#[derive(Default)]
pub(crate) struct Previous {
    pub(crate) name: u32,
    pub(crate) msgt: u32,
}

/// mach_port_request_notification (the trap): `notify` names a right in
/// this space with disposition `disp`; the previous request's right is
/// copied out to the space. The previous request comes back even when
/// the routine fails, as in XNU.
pub(crate) fn request_notification(
    space: &Space,
    name: u32,
    id: i32,
    sync: u64,
    notify: u32,
    disp: u32,
) -> (MachResult, Previous) {
    let mut prev = Previous::default();
    // The trap takes only send-once dispositions; anything else goes the
    // MIG way, whose server insists on a send-once right.
    if copyin_type(disp) != MACH_MSG_TYPE_PORT_SEND_ONCE {
        return (Err(MachError(MIG_TYPE_ERROR)), prev);
    }
    if notify == MACH_PORT_DEAD {
        return (Err(KERN_INVALID_CAPABILITY), prev);
    }
    let r = locked(space, |g, sid, d| {
        let right = if notify == MACH_PORT_NULL {
            None
        } else {
            match g.copyin(sid, notify, disp, d)? {
                Carried::Right(r) => Some(r),
                _ => return Err(KERN_INVALID_CAPABILITY),
            }
        };
        let (r, old) = register_right(g, sid, name, id, sync, right, d);
        if let Some(old) = old {
            prev.msgt = MACH_MSG_TYPE_PORT_SEND_ONCE;
            prev.name = g.copyout(sid, old, d).unwrap_or(MACH_PORT_DEAD);
        }
        r
    });
    (r, prev)
}

/// mach_port_request_notification as MIG serves it: the send-once right
/// came in the request; the previous request's right goes in the reply.
pub(crate) fn request_notification_right(
    space: &Space,
    name: u32,
    id: i32,
    sync: u64,
    notify: Option<Right>,
) -> (MachResult, Option<Right>) {
    let mut prev = None;
    let r = locked(space, |g, sid, d| {
        let (r, old) = register_right(g, sid, name, id, sync, notify, d);
        prev = old;
        r
    });
    (r, prev)
}

/// Registers a request for notification `id` on `name` to `notify` (or
/// cancels with `None`), reserving the notification's buffer now, not
/// when it fires. Returns the result and the previous request's right.
/// On error `notify` is released, so its port gets a send-once
/// notification, as in XNU.
fn register_right(
    g: &mut SpaceInner,
    sid: u64,
    name: u32,
    id: i32,
    sync: u64,
    notify: Option<Right>,
    d: &mut Deferred,
) -> (MachResult, Option<Right>) {
    let notify = match notify.map(|r| Request::new(r, g.quota())) {
        None => None,
        Some(Ok(q)) => Some(q),
        Some(Err(right)) => {
            d.right(right);
            return (Err(KERN_RESOURCE_SHORTAGE), None);
        }
    };
    let mut prev = None;
    let r = match id {
        MACH_NOTIFY_PORT_DESTROYED => register_port_destroyed(g, name, sync, notify, d),
        MACH_NOTIFY_NO_SENDERS => register_no_senders(g, name, sync, notify, &mut prev, d),
        MACH_NOTIFY_DEAD_NAME | MACH_NOTIFY_SEND_POSSIBLE => {
            register_dead_name(g, sid, name, id, sync, notify, &mut prev, d)
        }
        _ => {
            drop(notify);
            Err(KERN_INVALID_VALUE)
        }
    };
    (r, prev.map(Request::into_right))
}

/// A port-destroyed request: one per port, no sync value.
fn register_port_destroyed(
    g: &mut SpaceInner,
    name: u32,
    sync: u64,
    notify: Option<Request>,
    d: &mut Deferred,
) -> MachResult {
    if sync != 0 {
        drop(notify);
        return Err(KERN_INVALID_VALUE);
    }
    // On error `notify` is dropped on return, and so released.
    let p = receive_port_valid(g, name, d)?;
    // A kernel object's receive right (a timer's) is not handed back
    // through a port-destroyed notification: the object dies with it.
    if p.kobject().is_some() {
        return Err(KERN_INVALID_RIGHT);
    }
    p.request_port_destroyed(notify)
}

/// A no-senders request replaces the previous one; it fires at once if
/// there are no senders and `sync` is at or below the make-send count.
fn register_no_senders(
    g: &mut SpaceInner,
    name: u32,
    sync: u64,
    notify: Option<Request>,
    prev: &mut Option<Request>,
    d: &mut Deferred,
) -> MachResult {
    // On error `notify` is dropped on return, and so released.
    let p = receive_port_valid(g, name, d)?;
    *prev = p.request_no_senders(notify, sync as u32);
    Ok(())
}

/// A dead-name or send-possible request on a send, send-once or dead
/// name; replaces the name's previous request.
#[allow(clippy::too_many_arguments)]
fn register_dead_name(
    g: &mut SpaceInner,
    sid: u64,
    name: u32,
    id: i32,
    sync: u64,
    notify: Option<Request>,
    prev: &mut Option<Request>,
    d: &mut Deferred,
) -> MachResult {
    let send_possible = id == MACH_NOTIFY_SEND_POSSIBLE;
    if !name_valid(name) {
        drop(notify);
        return Err(KERN_INVALID_ARGUMENT);
    }
    let i = match g.lookup(name, d) {
        Ok(i) => i,
        Err(e) => {
            drop(notify);
            return Err(e);
        }
    };
    let bits = g.table[i].bits;
    if notify.is_none() && bits & MACH_PORT_TYPE_DNREQUEST == 0 {
        return Ok(());
    }
    let port = match &g.table[i].obj {
        Object::Port(p) => p.clone(),
        Object::Set(_) => {
            drop(notify);
            return Err(KERN_INVALID_RIGHT);
        }
        _ => {
            // Already a dead name: a send-possible request gets the
            // dead-name notification at once (with the uref it carries);
            // a dead-name request is refused.
            if let (true, Some(n)) = (send_possible, notify) {
                let e = &mut g.table[i];
                if e.urefs < MACH_PORT_UREFS_MAX {
                    e.urefs += 1;
                }
                n.dead_name(name);
                return Ok(());
            }
            return Err(KERN_INVALID_ARGUMENT);
        }
    };
    *prev = crate::right::cancel_dnrequest(&port, sid, name);
    g.table[i].bits &= !MACH_PORT_TYPE_DNREQUEST;
    let n = match notify {
        Some(n) => n,
        None => return Ok(()),
    };
    let owner = g.request_owner();
    let never_blocks = bits & MACH_PORT_TYPE_SEND_ONCE != 0;
    if port.request_dead_name(owner, name, n, send_possible && sync != 0, never_blocks)? {
        g.table[i].bits |= MACH_PORT_TYPE_DNREQUEST;
    }
    Ok(())
}

// ---- Task routines: special ports and exception ports ----

/// The port in special-port slot `which` (the task port for
/// `TASK_KERNEL_PORT`, the flavored task ports for `TASK_READ_PORT`,
/// `TASK_INSPECT_PORT` and `TASK_NAME_PORT`), if any.
fn special_slot(g: &mut SpaceInner, which: u32) -> MachResult<Option<Arc<Port>>> {
    if let Some(flavor) = crate::task_port::flavor_of_special(which) {
        return crate::task_port::flavor_port(g, flavor).map(Some);
    }
    let which = which as usize;
    if which >= g.special.len() {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let r = if which == crate::space::TASK_KERNEL_PORT {
        g.task_port.as_ref()
    } else {
        g.special[which].as_ref()
    };
    Ok(r.map(|r| r.port().clone()))
}

/// task_get_special_port (the trap): a new send right, named in the space.
pub(crate) fn get_special_port(space: &Space, which: u32) -> MachResult<u32> {
    locked(space, |g, sid, d| match special_slot(g, which)? {
        None => Ok(MACH_PORT_NULL),
        Some(p) => {
            let r = p.copy_send()?;
            g.copyout(sid, r, d)
        }
    })
}

/// task_get_special_port as MIG serves it on a task port of `flavor`
/// (control, read or inspect): a new send right to carry in the reply.
pub(crate) fn special_port(space: &Space, which: u32, flavor: u32) -> MachResult<Option<Right>> {
    crate::task_port::special_allowed(flavor, which)?;
    let port = locked(space, |g, _, _| special_slot(g, which))?;
    port.map(|p| p.copy_send()).transpose()
}

/// Puts `new` in special-port slot `which` (never the task port's).
fn set_special_locked(g: &mut SpaceInner, which: usize, new: Option<Right>, d: &mut Deferred) {
    if let Some(old) = core::mem::replace(&mut g.special[which], new) {
        d.right(old);
    }
}

/// The slots `task_set_special_port` may set, as XNU's: the control and
/// host ports are not settable from user space (`KERN_NO_ACCESS`), nor
/// the access port once set; the name, inspect and read ports and
/// unknown ids are `KERN_INVALID_ARGUMENT`.
fn special_settable(g: &SpaceInner, which: u32) -> MachResult<usize> {
    use crate::space::{TASK_BOOTSTRAP_PORT, TASK_HOST_PORT, TASK_KERNEL_PORT};
    /// `TASK_ACCESS_PORT`, `TASK_DEBUG_CONTROL_PORT`,
    /// `TASK_RESOURCE_NOTIFY_PORT`.
    const ACCESS: usize = 9;
    const DEBUG_CONTROL: usize = 10;
    const RESOURCE_NOTIFY: usize = 11;
    match which as usize {
        TASK_KERNEL_PORT | TASK_HOST_PORT => Err(KERN_NO_ACCESS),
        ACCESS if g.special[ACCESS].is_some() => Err(KERN_NO_ACCESS),
        w @ (TASK_BOOTSTRAP_PORT | ACCESS | DEBUG_CONTROL | RESOURCE_NOTIFY) => Ok(w),
        _ => Err(KERN_INVALID_ARGUMENT),
    }
}

/// task_set_special_port (the trap): `name` is copied in as COPY_SEND
/// (null and dead names clear the slot).
pub(crate) fn set_special_port(space: &Space, which: u32, name: u32) -> MachResult {
    locked(space, |g, sid, d| {
        let which = special_settable(g, which)?;
        let new = if name_valid(name) {
            copyin_send(g, sid, name, d)?
        } else {
            None
        };
        set_special_locked(g, which, new, d);
        Ok(())
    })
}

/// task_set_special_port as MIG serves it, with the send right the
/// request carried (see [`send_right`]).
pub(crate) fn set_special_right(space: &Space, which: u32, new: Option<Right>) -> MachResult {
    locked(space, |g, _, d| match special_settable(g, which) {
        Ok(which) => {
            set_special_locked(g, which, new, d);
            Ok(())
        }
        Err(e) => {
            if let Some(r) = new {
                d.right(r);
            }
            Err(e)
        }
    })
}

/// A send right named `name` for a handler slot, as COPY_SEND.
fn copyin_send(
    g: &mut SpaceInner,
    sid: u64,
    name: u32,
    d: &mut Deferred,
) -> MachResult<Option<Right>> {
    match g
        .copyin(sid, name, MACH_MSG_TYPE_COPY_SEND, d)
        .map_err(|_| MACH_SEND_INVALID_RIGHT)?
    {
        Carried::Right(r) => Ok(Some(r)),
        _ => Ok(None),
    }
}

/// The send right a MIG request carried for a special or exception
/// port; any other right is released (call it with no lock held).
pub(crate) fn send_right(c: Carried) -> Option<Right> {
    match c {
        Carried::Right(r) if r.kind() == Kind::Send => Some(r),
        other => {
            drop(other);
            None
        }
    }
}

/// task_set_exception_ports (the trap): `name` is copied in as COPY_SEND.
pub(crate) fn set_exception_ports(
    space: &Space,
    mask: u32,
    name: u32,
    behavior: u32,
    flavor: u32,
) -> MachResult {
    exception::validate(mask, behavior, flavor, name_valid(name))?;
    locked(space, |g, sid, d| {
        let port = if name_valid(name) {
            copyin_send(g, sid, name, d)?
        } else {
            None
        };
        exception::install(g, mask, port, behavior, flavor, d);
        Ok(())
    })
}

/// task_set_exception_ports and task_swap_exception_ports as MIG serves
/// them: `port` came in the request. With `swap`, the old handlers of
/// `mask` come back, with new send rights.
pub(crate) fn swap_exception_ports(
    space: &Space,
    mask: u32,
    port: Option<Right>,
    behavior: u32,
    flavor: u32,
    swap: bool,
) -> MachResult<Option<KVec<Handler>>> {
    if let Err(e) = exception::validate(mask, behavior, flavor, port.is_some()) {
        drop(port);
        return Err(e);
    }
    locked(space, |g, _, d| {
        let old = if swap {
            match exception::collect(g, mask, exception::EXC_TYPES_COUNT) {
                Ok(h) => Some(h),
                Err(e) => {
                    if let Some(r) = port {
                        d.right(r);
                    }
                    return Err(e);
                }
            }
        } else {
            None
        };
        exception::install(g, mask, port, behavior, flavor, d);
        Ok(old)
    })
}

/// task_get_exception_ports as MIG serves it: the handlers of `mask`,
/// coalesced, with new send rights.
pub(crate) fn exception_handlers(space: &Space, mask: u32) -> MachResult<KVec<Handler>> {
    exception::validate(mask, 1, 1, false)?;
    locked(space, |g, _, _| {
        exception::collect(g, mask, exception::EXC_TYPES_COUNT)
    })
}

/// task_get_exception_ports (the trap): at most `max` handlers of `mask`
/// as `{mask, name, behavior, flavor}` words, the send rights named in
/// the space.
pub(crate) fn get_exception_ports(space: &Space, mask: u32, max: u32) -> MachResult<KVec<u32>> {
    if mask & !exception::EXC_MASK_VALID != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    locked(space, |g, sid, d| {
        let handlers = exception::collect(g, mask, max as usize)?;
        let mut out = KVec::with_capacity(handlers.len() * 4, GFP_KERNEL_ACCOUNT)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        for h in handlers.into_iter() {
            let name = match h.port {
                Some(r) => g.copyout(sid, r, d).unwrap_or(MACH_PORT_NULL),
                None => MACH_PORT_NULL,
            };
            out.extend_from_slice(&[h.mask, name, h.behavior, h.flavor], GFP_KERNEL_ACCOUNT)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        }
        Ok(out)
    })
}
