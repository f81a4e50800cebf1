// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Port sets (XNU's `ipc_pset`): a receive on a set takes a message from
//! any member that has one. The set keeps a FIFO of members that became
//! ready, so a receive costs the same with one member or ten thousand, and
//! a member that still has messages after a receive goes to the back of the
//! FIFO, so a busy port cannot starve the others.
//!
//! Membership is recorded on both sides: the port lists its sets (under
//! `Port::inner`) and the set lists its members (under `PortSet::inner`).
//! Lock order: `Port::inner` before `PortSet::inner`, never nested the
//! other way; both lists are updated one lock at a time.

use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex};
use kernel::{new_condvar, new_mutex};

use crate::error::*;
use crate::port::{wait_step, Port, Received, Timeout};
use crate::port_fd::{wake_pollers, Poller};
use crate::stats;

pub(crate) struct PortSetInner {
    pub(crate) active: bool,
    pub(crate) members: KVec<Arc<Port>>,
    /// Members that may have a message, oldest first (may hold stale or
    /// repeated entries; receivers skip those).
    ready: KVec<Arc<Port>>,
    /// Descriptors polling this set.
    pub(crate) pollers: KVec<Arc<Poller>>,
}

#[pin_data(PinnedDrop)]
pub(crate) struct PortSet {
    #[pin]
    pub(crate) inner: Mutex<PortSetInner>,
    #[pin]
    wait: CondVar,
}

impl PortSet {
    pub(crate) fn new() -> Result<Arc<PortSet>> {
        let s = Arc::pin_init(
            pin_init!(PortSet {
                inner <- new_mutex!(PortSetInner {
                    active: true,
                    members: KVec::new(),
                    ready: KVec::new(),
                    pollers: KVec::new(),
                }, "PortSet::inner"),
                wait <- new_condvar!("PortSet::wait"),
            }),
            GFP_KERNEL,
        )?;
        stats::PORT_SETS.inc();
        Ok(s)
    }

    /// Adds `port` (whose receive right the caller's space holds).
    pub(crate) fn add_member(self: &Arc<Self>, port: &Arc<Port>) -> MachResult {
        if !self.inner.lock().active {
            return Err(KERN_INVALID_RIGHT);
        }
        let mut pg = port.inner.lock();
        if pg.sets.iter().any(|s| Arc::ptr_eq(s, self)) {
            return Err(KERN_ALREADY_IN_SET);
        }
        pg.sets
            .push(self.clone(), GFP_KERNEL)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let has_msg = !pg.queue.is_empty();
        drop(pg);
        let mut g = self.inner.lock();
        let room = g
            .members
            .reserve(1, GFP_KERNEL)
            .and_then(|()| g.ready.reserve(1, GFP_KERNEL));
        if room.is_err() {
            // Undo the port's side: the port is not a member after all.
            // The set removed is a clone of `self`: dropping it here never
            // frees the set.
            drop(g);
            let mut pg = port.inner.lock();
            pg.sets.retain(|s| !Arc::ptr_eq(s, self));
            return Err(KERN_RESOURCE_SHORTAGE);
        }
        // Room was reserved just above.
        let added = g.members.push_within_capacity(port.clone()).is_ok()
            && (!has_msg || g.ready.push_within_capacity(port.clone()).is_ok());
        if has_msg {
            wake_pollers(&g.pollers);
        }
        drop(g);
        if !added {
            return Err(KERN_RESOURCE_SHORTAGE);
        }
        if has_msg {
            self.wait.notify_one();
        }
        Ok(())
    }

    /// Removes `port` from this set. `KERN_NOT_IN_SET` if it was not in it.
    pub(crate) fn remove_member(self: &Arc<Self>, port: &Arc<Port>) -> MachResult {
        let mut pg = port.inner.lock();
        let pos = pg
            .sets
            .iter()
            .position(|s| Arc::ptr_eq(s, self))
            .ok_or(KERN_NOT_IN_SET)?;
        let s = pg.sets.remove(pos);
        drop(pg);
        drop(s);
        self.forget_member(port);
        Ok(())
    }

    /// Drops `port` from the set's own lists (the port side is done).
    pub(crate) fn forget_member(&self, port: &Arc<Port>) {
        let mut g = self.inner.lock();
        // The entries removed are clones of `port`, which the caller holds:
        // dropping them under the lock never frees the port.
        g.members.retain(|p| !Arc::ptr_eq(p, port));
        g.ready.retain(|p| !Arc::ptr_eq(p, port));
    }

    /// Called when `port`, a member, got its first queued message.
    pub(crate) fn member_ready(&self, port: &Arc<Port>, handoff: bool) {
        let mut g = self.inner.lock();
        if !g.active {
            return;
        }
        if g.ready.push(port.clone(), GFP_KERNEL).is_err() {
            return;
        }
        wake_pollers(&g.pollers);
        drop(g);
        if handoff {
            self.wait.notify_sync();
        } else {
            self.wait.notify_one();
        }
    }

    /// The set's receive right is gone: members leave it, receivers wake.
    pub(crate) fn destroy(self: &Arc<Self>) {
        let mut g = self.inner.lock();
        g.active = false;
        let members = core::mem::take(&mut g.members);
        let ready = core::mem::take(&mut g.ready);
        wake_pollers(&g.pollers);
        drop(g);
        self.wait.notify_all();
        for (i, p) in members.iter().enumerate() {
            crate::ffi::resched_every(i);
            // The entry removed is a clone of `self`: dropping it under the
            // port lock never frees the set.
            p.inner.lock().sets.retain(|s| !Arc::ptr_eq(s, self));
        }
        drop(members);
        drop(ready);
    }

    /// Names of the members, as the caller's space sees them (for
    /// `mach_port_get_set_status`): the member ports.
    pub(crate) fn members(&self) -> Result<KVec<Arc<Port>>> {
        let g = self.inner.lock();
        let mut v = KVec::with_capacity(g.members.len(), GFP_KERNEL)?;
        for p in g.members.iter() {
            v.push_within_capacity(p.clone()).map_err(|_| ENOMEM)?;
        }
        Ok(v)
    }

    /// Receives from any member whose receive right space `space` holds,
    /// waiting up to `timeout`.
    pub(crate) fn receive(
        self: &Arc<Self>,
        space: u64,
        rcv_size: usize,
        trailer: usize,
        large: bool,
        mut timeout: Timeout,
    ) -> MachResult<(Arc<Port>, Received)> {
        let mut g = self.inner.lock();
        loop {
            if !g.active {
                return Err(MACH_RCV_PORT_CHANGED);
            }
            while !g.ready.is_empty() {
                let p = match g.ready.remove(0) {
                    Ok(p) => p,
                    Err(_) => break,
                };
                drop(g);
                let mut pg = p.inner.lock();
                // A member whose right left `space` leaves the set, but the
                // ready list may still name it: the holder is checked here,
                // under the port lock, as on a port receive.
                let member = pg.held_by(space) && pg.sets.iter().any(|s| Arc::ptr_eq(s, self));
                let got = if member {
                    p.try_receive(&mut pg, space, rcv_size, trailer, large)
                } else {
                    None
                };
                let more = member && !pg.queue.is_empty();
                let sp = Port::take_send_possible(&mut pg);
                drop(pg);
                if !sp.is_empty() {
                    p.fire_send_possible(sp);
                }
                if more {
                    // Round robin: back of the line.
                    self.member_ready(&p, false);
                }
                if let Some(r) = got {
                    return Ok((p, r));
                }
                g = self.inner.lock();
                if !g.active {
                    return Err(MACH_RCV_PORT_CHANGED);
                }
            }
            if timeout == Some(0) {
                return Err(MACH_RCV_TIMED_OUT);
            }
            if let Err(e) = wait_step(&self.wait, &mut g, &mut timeout, MACH_RCV_INTERRUPTED) {
                // A member that became ready while this receiver gives up
                // goes to the next receiver waiting on the set.
                if !g.ready.is_empty() {
                    self.wait.notify_one();
                }
                return Err(e);
            }
        }
    }

    /// Whether some member has a message (for poll).
    pub(crate) fn has_message(&self) -> bool {
        let members = match self.members() {
            Ok(m) => m,
            Err(_) => return false,
        };
        let ready = members.iter().any(|p| p.has_message());
        ready
    }
}

#[pinned_drop]
impl PinnedDrop for PortSet {
    fn drop(self: Pin<&mut Self>) {
        stats::PORT_SETS.dec();
    }
}
