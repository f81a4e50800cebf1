// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Rights in a name space (XNU's `ipc_right`): moving rights between a
//! space's entries and [`Right`]s (copyin for sending, copyout for
//! receiving), user-reference changes, deallocation and destruction, and
//! the lazy conversion of rights to dead ports into dead names.
//!
//! All functions here run with the space's lock held; what they release is
//! collected in a [`Deferred`] and released after that lock is dropped.

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::error::*;
use crate::lazy_vec::LazyVec;
use crate::notify;
use crate::port::Port;
use crate::port_set::PortSet;
use crate::rights::*;
use crate::space::{release_entry, Entry, Object, SpaceInner};

/// Rights, objects and notifications to release once the space lock is
/// dropped. Dropping it releases everything, in order.
///
/// The common case (a few rights, one freed entry, no sets) needs no
/// allocation: the first rights, objects and entry are kept inline.
/// Most space-locked sections defer nothing: until something is deferred
/// the lists are not even initialized, so making an unused `Deferred`
/// costs a word and releasing it ([`Deferred::release`], in place) a test.
pub(crate) struct Deferred {
    lists: Option<Lists>,
}

/// What a [`Deferred`] holds once something is deferred.
struct Lists {
    inline: [Option<Right>; INLINE],
    rights: LazyVec<Right>,
    deleted: LazyVec<(notify::Request, u32)>,
    inline_objects: [Option<Object>; INLINE],
    objects: LazyVec<Object>,
    inline_entry: Option<(u64, u32, Entry)>,
    entries: LazyVec<(u64, u32, Entry)>,
    sets: LazyVec<Arc<PortSet>>,
}

const INLINE: usize = 4;

impl Deferred {
    pub(crate) const fn new() -> Self {
        Deferred { lists: None }
    }

    /// Releases everything deferred so far. Callers use this once the
    /// lock is dropped rather than `drop(d)`: a `Deferred` is some 300
    /// bytes, which a move into `drop` copies even when nothing was
    /// deferred; released in place, the common empty case costs a test.
    pub(crate) fn release(&mut self) {
        if self.lists.is_some() {
            self.lists = None;
        }
    }

    fn lists(&mut self) -> &mut Lists {
        self.lists.get_or_insert_with(Lists::new)
    }

    pub(crate) fn right(&mut self, r: Right) {
        self.lists().right(r)
    }

    pub(crate) fn carried(&mut self, c: Carried) {
        if let Carried::Right(r) = c {
            self.right(r);
        }
    }

    fn deleted(&mut self, r: notify::Request, name: u32) {
        self.lists().deleted(r, name)
    }

    fn object(&mut self, o: Object) {
        self.lists().object(o)
    }

    fn entry(&mut self, space: u64, name: u32, e: Entry) {
        self.lists().entry(space, name, e)
    }
}

impl Lists {
    fn new() -> Self {
        Lists {
            inline: [const { None }; INLINE],
            rights: LazyVec::new(),
            deleted: LazyVec::new(),
            inline_objects: [const { None }; INLINE],
            objects: LazyVec::new(),
            inline_entry: None,
            entries: LazyVec::new(),
            sets: LazyVec::new(),
        }
    }

    fn right(&mut self, r: Right) {
        if let Some(slot) = self.inline.iter_mut().find(|s| s.is_none()) {
            *slot = Some(r);
            return;
        }
        if let Err(r) = keep(&mut self.rights, r) {
            released_on_the_spot(r);
        }
    }

    fn deleted(&mut self, r: notify::Request, name: u32) {
        if let Err((r, name)) = keep(&mut self.deleted, (r, name)) {
            r.port_deleted(name);
        }
    }

    fn object(&mut self, o: Object) {
        if let Object::Set(s) = o {
            if let Err(s) = keep(&mut self.sets, s) {
                // Its members must still leave it, or port and set keep
                // each other alive.
                s.destroy();
            }
        } else if let Some(slot) = self.inline_objects.iter_mut().find(|s| s.is_none()) {
            *slot = Some(o);
        } else if let Err(o) = keep(&mut self.objects, o) {
            released_on_the_spot(o);
        }
    }

    fn entry(&mut self, space: u64, name: u32, e: Entry) {
        if self.inline_entry.is_none() {
            self.inline_entry = Some((space, name, e));
        } else if let Err((space, name, e)) = keep(&mut self.entries, (space, name, e)) {
            release_entry(space, name, e);
        }
    }
}

/// Pushes `x` on `v`, or hands it back if `v` cannot grow.
fn keep<T>(v: &mut KVec<T>, x: T) -> core::result::Result<(), T> {
    if v.reserve(1, GFP_KERNEL).is_err() {
        return Err(x);
    }
    v.push_within_capacity(x).map_err(|e| e.0)
}

/// Out of memory for the deferred list: `x` is released where it is, with
/// the space lock held. That is safe if less tidy: a release never takes a
/// space lock (its notifications go to send-once rights, and no task can
/// hold one for a kernel-served port).
fn released_on_the_spot<T>(x: T) {
    drop(x);
}

impl Drop for Lists {
    fn drop(&mut self) {
        for (r, name) in self.deleted.drain_all() {
            r.port_deleted(name);
        }
        for s in self.sets.drain_all() {
            s.destroy();
        }
        if let Some((space, name, e)) = self.inline_entry.take() {
            release_entry(space, name, e);
        }
        for (space, name, e) in self.entries.drain_all() {
            release_entry(space, name, e);
        }
        for r in self.inline.iter_mut() {
            drop(r.take());
        }
        self.rights.clear();
        for o in self.inline_objects.iter_mut() {
            drop(o.take());
        }
        self.objects.clear();
    }
}

/// Removes the dead-name request `space`/`name` registered on `port` and
/// returns its send-once right.
pub(crate) fn cancel_dnrequest(port: &Arc<Port>, space: u64, name: u32) -> Option<notify::Request> {
    port.cancel_dead_name(space, name)
}

fn entry_port(e: &Entry) -> Option<Arc<Port>> {
    match &e.obj {
        Object::Port(p) => Some(p.clone()),
        _ => None,
    }
}

/// `MACH_PORT_UREFS_OVERFLOW`/`UNDERFLOW` with XNU's saturation: urefs at
/// the maximum stay pegged; an overflow pegs them.
fn apply_delta(urefs: u32, delta: i32) -> MachResult<u32> {
    let max = i64::from(MACH_PORT_UREFS_MAX);
    let delta = i64::from(delta);
    if delta > max || delta < -max {
        return Err(KERN_INVALID_VALUE);
    }
    if urefs == MACH_PORT_UREFS_MAX {
        return Ok(if delta == -max { 0 } else { urefs });
    }
    let n = i64::from(urefs) + delta;
    if n < 0 {
        return Err(KERN_INVALID_VALUE);
    }
    Ok(n.min(max) as u32)
}

impl SpaceInner {
    /// Turns entry `i`'s send or send-once right into a dead name if its
    /// port died (XNU's `ipc_right_check`). A pending dead-name request
    /// adds the user reference its notification carries.
    ///
    /// Inlined for the common case, a live port or no send right: every
    /// name a message uses is checked.
    #[inline]
    pub(crate) fn check_dead(&mut self, i: usize, d: &mut Deferred) -> bool {
        let e = &self.table[i];
        if e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE) == 0
            || e.bits & MACH_PORT_TYPE_RECEIVE != 0
        {
            return false;
        }
        match &e.obj {
            Object::Port(p) if !p.is_active() => self.convert_dead(i, d),
            _ => false,
        }
    }

    /// [`SpaceInner::check_dead`] for a send or send-once entry whose port
    /// died.
    #[cold]
    #[inline(never)]
    fn convert_dead(&mut self, i: usize, d: &mut Deferred) -> bool {
        let e = &self.table[i];
        let kind = if e.bits & MACH_PORT_TYPE_SEND != 0 {
            Kind::Send
        } else {
            Kind::SendOnce
        };
        let port = match &e.obj {
            Object::Port(p) if p.release_if_dead(kind) => p.clone(),
            _ => return false,
        };
        let e = &mut self.table[i];
        if kind == Kind::SendOnce {
            e.urefs = 1;
        }
        if e.bits & MACH_PORT_TYPE_DNREQUEST != 0 && e.urefs < MACH_PORT_UREFS_MAX {
            e.urefs += 1;
        }
        e.bits = MACH_PORT_TYPE_DEAD_NAME;
        let old = core::mem::replace(&mut e.obj, Object::Dead);
        let name = crate::space::make_name(i as u32, e.gen);
        if self.name_of_port(&port) == Some(name) {
            self.forget_port_name(&port);
        }
        d.object(old);
        true
    }

    /// Frees entry `i` (which named `port`); a dead-name request it held is
    /// cancelled with a port-deleted notification, as when a name loses its
    /// last right while the port lives.
    fn free_with_request(
        &mut self,
        space: u64,
        name: u32,
        i: usize,
        port: &Arc<Port>,
        d: &mut Deferred,
    ) {
        let had_request = self.table[i].bits & MACH_PORT_TYPE_DNREQUEST != 0;
        match self.free_index(i) {
            // The caller holds `port`: the entry's reference is not the
            // last, so it goes now, under the lock, and the common RPC
            // reply (a send-once right moved out) defers nothing.
            Object::Port(p) if Arc::ptr_eq(&p, port) => drop(p),
            old => d.object(old),
        }
        if had_request {
            if let Some(r) = cancel_dnrequest(port, space, name) {
                d.deleted(r, name);
            }
        }
    }

    /// Whether `port` is this space's own task port, whose send right is
    /// pinned (XNU: its last user reference cannot be given up).
    pub(crate) fn is_pinned(&self, port: &Arc<Port>) -> bool {
        self.task_port
            .as_ref()
            .is_some_and(|r| Arc::ptr_eq(r.port(), port))
    }

    /// Looks `name` up, converting it to a dead name if its port died.
    pub(crate) fn lookup(&mut self, name: u32, d: &mut Deferred) -> MachResult<usize> {
        let i = self.index_of(name).ok_or(KERN_INVALID_NAME)?;
        self.check_dead(i, d);
        Ok(i)
    }

    /// Whether `name` can be copied in with `disp` (a dead name counts
    /// only with `allow_dead`), without changing anything but dead-name
    /// conversion; returns the entry's index.
    pub(crate) fn copyin_check(
        &mut self,
        name: u32,
        disp: u32,
        allow_dead: bool,
        d: &mut Deferred,
    ) -> MachResult<usize> {
        let i = self.lookup(name, d)?;
        let b = self.table[i].bits;
        let ok = match disp {
            MACH_MSG_TYPE_MAKE_SEND | MACH_MSG_TYPE_MAKE_SEND_ONCE | MACH_MSG_TYPE_MOVE_RECEIVE => {
                b & MACH_PORT_TYPE_RECEIVE != 0
            }
            MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_MOVE_SEND => {
                b & MACH_PORT_TYPE_SEND != 0 || (allow_dead && b & MACH_PORT_TYPE_DEAD_NAME != 0)
            }
            MACH_MSG_TYPE_MOVE_SEND_ONCE => {
                b & MACH_PORT_TYPE_SEND_ONCE != 0
                    || (allow_dead && b & MACH_PORT_TYPE_DEAD_NAME != 0)
            }
            _ => false,
        };
        if !ok {
            return Err(KERN_INVALID_RIGHT);
        }
        // The pinned task port keeps its last reference: a header copyin
        // must learn that before it moves anything.
        let e = &self.table[i];
        if disp == MACH_MSG_TYPE_MOVE_SEND && e.urefs == 1 && b & MACH_PORT_TYPE_SEND != 0 {
            if let Object::Port(p) = &e.obj {
                if self.is_pinned(p) {
                    return Err(KERN_INVALID_CAPABILITY);
                }
            }
        }
        Ok(i)
    }

    /// Whether `name` denotes a send, send-once or receive right, before
    /// any lazy conversion to a dead name (`MACH_PORT_TYPE_PORT_RIGHTS`).
    pub(crate) fn holds_port_right(&self, name: u32) -> bool {
        self.index_of(name).is_some_and(|i| {
            self.table[i].bits
                & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_RECEIVE)
                != 0
        })
    }

    /// Whether entry `i` can give both header rights when destination and
    /// reply share its name (XNU's joint copyin): each move-send needs
    /// its own user reference, and the pinned task port keeps its last.
    /// Dispositions that make a right need the receive right, which
    /// `copyin_check` already saw.
    pub(crate) fn joint_copyin_ok(&self, i: usize, dest: u32, reply: u32) -> bool {
        let makes = |t| t == MACH_MSG_TYPE_MAKE_SEND || t == MACH_MSG_TYPE_MAKE_SEND_ONCE;
        if makes(dest) || makes(reply) {
            return true;
        }
        let e = &self.table[i];
        if e.bits & MACH_PORT_TYPE_SEND == 0 {
            return false;
        }
        let moves = u32::from(dest == MACH_MSG_TYPE_MOVE_SEND)
            + u32::from(reply == MACH_MSG_TYPE_MOVE_SEND);
        if e.urefs < moves {
            return false;
        }
        let pinned = match &e.obj {
            Object::Port(p) => self.is_pinned(p),
            _ => false,
        };
        !(pinned && moves > 0 && e.urefs == moves)
    }

    /// Takes a right out of the space as `disp` says (XNU's
    /// `ipc_right_copyin`). A dead name yields `Carried::Dead`.
    pub(crate) fn copyin(
        &mut self,
        space: u64,
        name: u32,
        disp: u32,
        d: &mut Deferred,
    ) -> MachResult<Carried> {
        let i = self.lookup(name, d)?;
        let e = &mut self.table[i];
        match disp {
            MACH_MSG_TYPE_MAKE_SEND | MACH_MSG_TYPE_MAKE_SEND_ONCE => {
                if e.bits & MACH_PORT_TYPE_RECEIVE == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                // Borrowed from the entry: the new right takes its own
                // reference.
                let Object::Port(port) = &e.obj else {
                    return Err(KERN_INVALID_RIGHT);
                };
                let r = if disp == MACH_MSG_TYPE_MAKE_SEND {
                    port.make_send()?
                } else {
                    port.make_send_once()?
                };
                Ok(Carried::Right(r))
            }
            MACH_MSG_TYPE_MOVE_RECEIVE => {
                if e.bits & MACH_PORT_TYPE_RECEIVE == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                let port = entry_port(e).ok_or(KERN_INVALID_RIGHT)?;
                // Guarded immovable (XNU's ip_immovable_receive).
                if port.is_immovable_receive() {
                    return Err(KERN_INVALID_CAPABILITY);
                }
                if e.bits & MACH_PORT_TYPE_SEND != 0 {
                    e.bits &= !MACH_PORT_TYPE_RECEIVE;
                } else {
                    let old = self.free_index(i);
                    d.object(old);
                }
                port.leave_space();
                Ok(Carried::Right(Right::from_counted(Kind::Receive, port)))
            }
            MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_MOVE_SEND_ONCE => {
                if e.bits & MACH_PORT_TYPE_DEAD_NAME != 0 {
                    if disp != MACH_MSG_TYPE_COPY_SEND {
                        if e.urefs == 1 {
                            let old = self.free_index(i);
                            d.object(old);
                        } else if e.urefs < MACH_PORT_UREFS_MAX {
                            e.urefs -= 1;
                        }
                    }
                    return Ok(Carried::Dead);
                }
                let want = if disp == MACH_MSG_TYPE_MOVE_SEND_ONCE {
                    MACH_PORT_TYPE_SEND_ONCE
                } else {
                    MACH_PORT_TYPE_SEND
                };
                if e.bits & want == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                // A copy borrows the entry's port: the new right takes
                // its own reference.
                if disp == MACH_MSG_TYPE_COPY_SEND
                    || (disp == MACH_MSG_TYPE_MOVE_SEND && e.urefs > 1)
                {
                    let Object::Port(port) = &e.obj else {
                        return Err(KERN_INVALID_RIGHT);
                    };
                    let r = port.copy_send()?;
                    if disp == MACH_MSG_TYPE_MOVE_SEND && e.urefs < MACH_PORT_UREFS_MAX {
                        e.urefs -= 1;
                    }
                    return Ok(Carried::Right(r));
                }
                let port = entry_port(e).ok_or(KERN_INVALID_RIGHT)?;
                // The entry's last reference: its count moves to the Right
                // (not for the pinned task port).
                if disp == MACH_MSG_TYPE_MOVE_SEND && self.is_pinned(&port) {
                    return Err(KERN_INVALID_CAPABILITY);
                }
                let e = &mut self.table[i];
                let kind = if disp == MACH_MSG_TYPE_MOVE_SEND {
                    Kind::Send
                } else {
                    Kind::SendOnce
                };
                if e.bits & MACH_PORT_TYPE_RECEIVE != 0 {
                    e.bits &= !MACH_PORT_TYPE_SEND;
                    e.urefs = 0;
                } else {
                    self.free_with_request(space, name, i, &port, d);
                }
                Ok(Carried::Right(Right::from_counted(kind, port)))
            }
            _ => Err(KERN_INVALID_VALUE),
        }
    }

    /// Puts a right into the space under a fresh or merged name (XNU's
    /// `ipc_object_copyout`). A right to a dead port yields
    /// `MACH_PORT_DEAD`. On failure the right is released via `d`.
    pub(crate) fn copyout(
        &mut self,
        space: u64,
        right: Right,
        d: &mut Deferred,
    ) -> MachResult<u32> {
        let kind = right.kind();
        // The port is borrowed from `right` while it lasts: each reference
        // count taken here is two calls out of the module.
        if kind != Kind::Receive && !right.port().is_active() {
            d.right(right);
            return Ok(MACH_PORT_DEAD);
        }
        if kind != Kind::SendOnce {
            if let Some(name) = self.name_of_port(right.port()) {
                if let Some(i) = self.index_of(name) {
                    if kind == Kind::Receive {
                        right.port().set_receiver(space, name);
                    }
                    self.merge(i, right);
                    return Ok(name);
                }
            }
        }
        let (bits, urefs) = entry_bits(kind);
        let name = match self.alloc(bits, urefs, Object::Port(right.port().clone())) {
            Ok(n) => n,
            Err(e) => {
                d.right(right);
                return Err(e);
            }
        };
        self.settle_new_entry(space, name, right, d)?;
        Ok(name)
    }

    /// Finishes an entry just made for `right` under `name`: the port
    /// learns its name in this space (send and receive rights) and its
    /// receiver, and the entry keeps the right's count. On failure the
    /// entry is freed and the right released through `d`.
    fn settle_new_entry(
        &mut self,
        space: u64,
        name: u32,
        right: Right,
        d: &mut Deferred,
    ) -> MachResult {
        let kind = right.kind();
        let port = right.port();
        if kind != Kind::SendOnce {
            if let Err(e) = self.set_port_name(port, name) {
                let old = self.free_index(crate::space::name_index(name) as usize);
                d.object(old);
                d.right(right);
                return Err(e);
            }
        }
        if kind == Kind::Receive {
            port.set_receiver(space, name);
        }
        // The entry now owns the right's count.
        let _ = right.into_counted();
        Ok(())
    }

    /// Merges a send or receive right into entry `i`, which holds another
    /// right to the same port.
    fn merge(&mut self, i: usize, right: Right) {
        let e = &mut self.table[i];
        match right.kind() {
            Kind::Send => {
                if e.bits & MACH_PORT_TYPE_SEND != 0 {
                    if e.urefs < MACH_PORT_UREFS_MAX {
                        e.urefs += 1;
                    }
                    // The entry already accounts for one send right, so
                    // releasing this one cannot be the last.
                    drop(right);
                    return;
                }
                e.bits |= MACH_PORT_TYPE_SEND;
                e.urefs = 1;
            }
            Kind::Receive => e.bits |= MACH_PORT_TYPE_RECEIVE,
            Kind::SendOnce => {}
        }
        // The entry takes over the count the right stood for.
        let _ = right.into_counted();
    }

    /// Puts a right under a name the caller chose (mach_port_insert_right).
    pub(crate) fn copyout_named(
        &mut self,
        space: u64,
        right: Right,
        name: u32,
        d: &mut Deferred,
    ) -> MachResult {
        let kind = right.kind();
        let port = right.port().clone();
        // The name is judged before the right, as on XNU.
        if let Err(e) = self.check_chosen_name(name) {
            d.right(right);
            return Err(e);
        }
        if let Some(i) = self.index_of(name) {
            self.check_dead(i, d);
            let e = &self.table[i];
            let same = matches!(&e.obj, Object::Port(p) if Arc::ptr_eq(p, &port));
            // XNU looks for the port's own entry first (send-once rights
            // have none): the port named elsewhere is `KERN_RIGHT_EXISTS`,
            // any other right under this name `KERN_NAME_EXISTS`.
            let ok = same
                && match kind {
                    Kind::Send => e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE) != 0,
                    Kind::Receive => {
                        e.bits & MACH_PORT_TYPE_SEND != 0 && e.bits & MACH_PORT_TYPE_RECEIVE == 0
                    }
                    Kind::SendOnce => false,
                };
            if !ok {
                let elsewhere =
                    kind != Kind::SendOnce && self.name_of_port(&port).is_some_and(|n| n != name);
                d.right(right);
                return Err(if elsewhere {
                    KERN_RIGHT_EXISTS
                } else {
                    KERN_NAME_EXISTS
                });
            }
            self.merge(i, right);
            if kind == Kind::Receive {
                port.set_receiver(space, name);
            }
            return Ok(());
        }
        if kind != Kind::SendOnce && self.name_of_port(&port).is_some() {
            d.right(right);
            return Err(KERN_RIGHT_EXISTS);
        }
        let (bits, urefs) = entry_bits(kind);
        if let Err(e) = self.alloc_named(name, bits, urefs, Object::Port(port.clone())) {
            d.right(right);
            return Err(e);
        }
        self.settle_new_entry(space, name, right, d)
    }

    /// mach_port_deallocate (XNU's `ipc_right_dealloc`).
    pub(crate) fn dealloc(&mut self, space: u64, name: u32, d: &mut Deferred) -> MachResult {
        let i = self.lookup(name, d)?;
        let e = &mut self.table[i];
        let b = e.bits & !MACH_PORT_TYPE_DNREQUEST;
        if b == MACH_PORT_TYPE_PORT_SET {
            let old = self.free_index(i);
            d.object(old);
            return Ok(());
        }
        if b == MACH_PORT_TYPE_DEAD_NAME {
            if e.urefs == 1 {
                let old = self.free_index(i);
                d.object(old);
            } else if e.urefs < MACH_PORT_UREFS_MAX {
                e.urefs -= 1;
            }
            return Ok(());
        }
        if b & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE) == 0 {
            return Err(KERN_INVALID_RIGHT);
        }
        let port = entry_port(e).ok_or(KERN_INVALID_RIGHT)?;
        if b == MACH_PORT_TYPE_SEND_ONCE || (b & MACH_PORT_TYPE_SEND != 0 && e.urefs == 1) {
            if b == MACH_PORT_TYPE_SEND && self.is_pinned(&port) {
                return Err(KERN_INVALID_CAPABILITY);
            }
            let e = &mut self.table[i];
            let kind = if b == MACH_PORT_TYPE_SEND_ONCE {
                Kind::SendOnce
            } else {
                Kind::Send
            };
            if b & MACH_PORT_TYPE_RECEIVE != 0 {
                e.bits &= !MACH_PORT_TYPE_SEND;
                e.urefs = 0;
            } else {
                self.free_with_request(space, name, i, &port, d);
            }
            d.right(Right::from_counted(kind, port));
        } else if e.urefs < MACH_PORT_UREFS_MAX {
            e.urefs -= 1;
        }
        Ok(())
    }

    /// mach_port_mod_refs (XNU's `ipc_right_delta`).
    pub(crate) fn delta(
        &mut self,
        space: u64,
        name: u32,
        right: u32,
        delta: i32,
        d: &mut Deferred,
    ) -> MachResult {
        let i = self.lookup(name, d)?;
        let e = &mut self.table[i];
        match right {
            MACH_PORT_RIGHT_PORT_SET => {
                if e.bits & MACH_PORT_TYPE_PORT_SET == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                match delta {
                    0 => Ok(()),
                    -1 => {
                        let old = self.free_index(i);
                        d.object(old);
                        Ok(())
                    }
                    _ => Err(KERN_INVALID_VALUE),
                }
            }
            MACH_PORT_RIGHT_RECEIVE => {
                if e.bits & MACH_PORT_TYPE_RECEIVE == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                match delta {
                    0 => return Ok(()),
                    -1 => {}
                    _ => return Err(KERN_INVALID_VALUE),
                }
                let port = entry_port(e).ok_or(KERN_INVALID_RIGHT)?;
                if port.is_guarded() {
                    return Err(KERN_INVALID_RIGHT);
                }
                if e.bits & MACH_PORT_TYPE_SEND != 0 {
                    // The send right outlives the port as a dead name.
                    self.destroy_receive_keep_send(space, i, &port, d);
                } else {
                    self.free_with_request(space, name, i, &port, d);
                }
                d.right(Right::from_counted(Kind::Receive, port));
                Ok(())
            }
            MACH_PORT_RIGHT_SEND_ONCE => {
                if e.bits & MACH_PORT_TYPE_SEND_ONCE == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                match delta {
                    0 => Ok(()),
                    -1 => self.dealloc(space, name, d),
                    _ => Err(KERN_INVALID_VALUE),
                }
            }
            MACH_PORT_RIGHT_DEAD_NAME => {
                if e.bits & MACH_PORT_TYPE_DEAD_NAME == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                let n = apply_delta(e.urefs, delta)?;
                if n == 0 {
                    let old = self.free_index(i);
                    d.object(old);
                } else {
                    e.urefs = n;
                }
                Ok(())
            }
            MACH_PORT_RIGHT_SEND => {
                if e.bits & MACH_PORT_TYPE_SEND == 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
                let n = apply_delta(e.urefs, delta)?;
                if n == 0 {
                    let port = entry_port(e).ok_or(KERN_INVALID_RIGHT)?;
                    if self.is_pinned(&port) {
                        return Err(KERN_INVALID_CAPABILITY);
                    }
                    let e = &mut self.table[i];
                    if e.bits & MACH_PORT_TYPE_RECEIVE != 0 {
                        e.bits &= !MACH_PORT_TYPE_SEND;
                        e.urefs = 0;
                    } else {
                        self.free_with_request(space, name, i, &port, d);
                    }
                    d.right(Right::from_counted(Kind::Send, port));
                } else {
                    e.urefs = n;
                }
                Ok(())
            }
            MACH_PORT_RIGHT_LABELH => Err(KERN_INVALID_RIGHT),
            _ => Err(KERN_INVALID_VALUE),
        }
    }

    /// Entry `i` holds receive and send rights; the receive right is being
    /// destroyed: the entry becomes a dead name keeping the send urefs.
    fn destroy_receive_keep_send(
        &mut self,
        _space: u64,
        i: usize,
        port: &Arc<Port>,
        d: &mut Deferred,
    ) {
        let e = &mut self.table[i];
        port.release_send_of_dying();
        if e.bits & MACH_PORT_TYPE_DNREQUEST != 0 && e.urefs < MACH_PORT_UREFS_MAX {
            e.urefs += 1;
        }
        e.bits = MACH_PORT_TYPE_DEAD_NAME;
        let old = core::mem::replace(&mut e.obj, Object::Dead);
        self.forget_port_name(port);
        d.object(old);
    }

    /// mach_port_destroy: every right under `name` goes.
    pub(crate) fn destroy_name(&mut self, space: u64, name: u32, d: &mut Deferred) -> MachResult {
        let i = self.lookup(name, d)?;
        if let Object::Port(p) = &self.table[i].obj {
            if self.table[i].bits & MACH_PORT_TYPE_SEND != 0 && self.is_pinned(p) {
                return Err(KERN_INVALID_CAPABILITY);
            }
        }
        let gen = self.table[i].gen;
        let bits = self.table[i].bits;
        let urefs = self.table[i].urefs;
        let obj = self.free_index(i);
        d.entry(
            space,
            name,
            Entry {
                gen,
                bits,
                urefs,
                obj,
            },
        );
        Ok(())
    }

    /// The port of a receive right (for calls that need one).
    pub(crate) fn receive_port(&mut self, name: u32, d: &mut Deferred) -> MachResult<Arc<Port>> {
        let i = self.lookup(name, d)?;
        let e = &self.table[i];
        if e.bits & MACH_PORT_TYPE_DEAD_NAME != 0 {
            return Err(KERN_INVALID_NAME);
        }
        if e.bits & MACH_PORT_TYPE_RECEIVE == 0 {
            return Err(KERN_INVALID_RIGHT);
        }
        entry_port(e).ok_or(KERN_INVALID_RIGHT)
    }

    /// The set named by `name`.
    pub(crate) fn port_set(&mut self, name: u32, d: &mut Deferred) -> MachResult<Arc<PortSet>> {
        let i = self.lookup(name, d)?;
        match &self.table[i].obj {
            Object::Set(s) => Ok(s.clone()),
            Object::Dead => Err(KERN_INVALID_NAME),
            _ => Err(KERN_INVALID_RIGHT),
        }
    }
}

/// The type bits and user references of a new entry for a right of `kind`.
fn entry_bits(kind: Kind) -> (u32, u32) {
    match kind {
        Kind::Send => (MACH_PORT_TYPE_SEND, 1),
        Kind::SendOnce => (MACH_PORT_TYPE_SEND_ONCE, 1),
        Kind::Receive => (MACH_PORT_TYPE_RECEIVE, 0),
    }
}

#[kunit_tests(machipc_rights)]
mod tests {
    use super::*;

    #[test]
    fn urefs_saturate_like_xnu() {
        assert_eq!(apply_delta(1, 1), Ok(2));
        assert_eq!(apply_delta(1, -1), Ok(0));
        assert_eq!(apply_delta(1, -2), Err(KERN_INVALID_VALUE));
        assert_eq!(
            apply_delta(MACH_PORT_UREFS_MAX - 1, 5),
            Ok(MACH_PORT_UREFS_MAX)
        );
        assert_eq!(
            apply_delta(MACH_PORT_UREFS_MAX, -1),
            Ok(MACH_PORT_UREFS_MAX)
        );
        assert_eq!(
            apply_delta(MACH_PORT_UREFS_MAX, -(MACH_PORT_UREFS_MAX as i32)),
            Ok(0)
        );
        assert_eq!(apply_delta(3, 0x10000), Err(KERN_INVALID_VALUE));
    }

    /// A new space and a port whose receive right it names.
    fn space_and_port() -> Result<(Arc<crate::space::Space>, Arc<Port>, u32)> {
        let s = crate::space::Space::new()?;
        let p = Port::new(&s.quota).map_err(|_| ENOMEM)?;
        let mut d = Deferred::new();
        let name = s
            .inner
            .lock()
            .copyout(s.id, Right::from_counted(Kind::Receive, p.clone()), &mut d)
            .map_err(|_| ENOMEM)?;
        Ok((s, p, name))
    }

    #[test]
    fn make_send_counts_on_the_port() -> Result {
        let (s, p, name) = space_and_port()?;
        let mut d = Deferred::new();
        let mut g = s.inner.lock();
        let c = g
            .copyin(s.id, name, MACH_MSG_TYPE_MAKE_SEND, &mut d)
            .map_err(|_| EINVAL)?;
        assert_eq!(p.send_rights(), 1);
        assert_eq!(p.status().mscount, 1);
        let r = match c {
            Carried::Right(r) => r,
            _ => return Err(EINVAL),
        };
        // Merged back under the receive right's name.
        assert_eq!(g.copyout(s.id, r, &mut d), Ok(name));
        let i = g.index_of(name).ok_or(EINVAL)?;
        assert_eq!(
            g.table[i].bits,
            MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE
        );
        assert_eq!(g.table[i].urefs, 1);
        assert_eq!(g.dealloc(s.id, name, &mut d), Ok(()));
        drop(g);
        d.release();
        assert_eq!(p.send_rights(), 0);
        s.destroy();
        assert!(!p.is_active());
        Ok(())
    }

    #[test]
    fn right_counts_refuse_to_overflow() -> Result {
        let (s, p, name) = space_and_port()?;
        let mut d = Deferred::new();
        let mut g = s.inner.lock();
        // Unreachable by memory, but a `+= 1` there would be a kernel BUG.
        p.set_counts_for_test(u32::MAX, 0);
        assert!(matches!(
            g.copyin(s.id, name, MACH_MSG_TYPE_MAKE_SEND, &mut d),
            Err(KERN_RESOURCE_SHORTAGE)
        ));
        assert!(p.copy_send().is_err());
        p.set_counts_for_test(u32::MAX, u32::MAX);
        assert!(matches!(
            g.copyin(s.id, name, MACH_MSG_TYPE_MAKE_SEND_ONCE, &mut d),
            Err(KERN_RESOURCE_SHORTAGE)
        ));
        assert_eq!(p.send_rights(), u32::MAX);
        assert_eq!(p.status().sorights, u32::MAX);
        p.set_counts_for_test(0, 0);
        drop(g);
        d.release();
        s.destroy();
        Ok(())
    }
}
