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
use crate::limits::{Charge, Quota};
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
    /// The set and its memberships on the account of the space that made
    /// it.
    charge: Charge,
}

/// What a port set costs its space's quota.
const SET_BYTES: usize = core::mem::size_of::<PortSet>();
/// What one membership costs: an entry in the set's list and the port's
/// list of sets, and two in the ready list (see `member_ready`), with room
/// for the lists' doubling.
const MEMBER_BYTES: usize = 8 * core::mem::size_of::<Arc<Port>>();

#[pin_data(PinnedDrop)]
pub(crate) struct PortSet {
    #[pin]
    pub(crate) inner: Mutex<PortSetInner>,
    #[pin]
    wait: CondVar,
}

impl PortSet {
    /// A new port set charged to `quota`: `KERN_RESOURCE_SHORTAGE` if the
    /// space or its user is at its limit (or memory is short).
    pub(crate) fn new(quota: &Arc<Quota>) -> MachResult<Arc<PortSet>> {
        let charge = Charge::new(quota, SET_BYTES).ok_or(KERN_RESOURCE_SHORTAGE)?;
        let s = Arc::pin_init(
            pin_init!(PortSet {
                inner <- new_mutex!(PortSetInner {
                    active: true,
                    members: KVec::new(),
                    ready: KVec::new(),
                    pollers: KVec::new(),
                    charge,
                }, "PortSet::inner"),
                wait <- new_condvar!("PortSet::wait"),
            }),
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        stats::PORT_SETS.inc();
        Ok(s)
    }

    /// Adds `port` (whose receive right the caller's space holds).
    pub(crate) fn add_member(self: &Arc<Self>, port: &Arc<Port>) -> MachResult {
        {
            let mut g = self.inner.lock();
            if !g.active {
                return Err(KERN_INVALID_RIGHT);
            }
            // The membership is charged first; given back if it fails.
            if !g.charge.add(MEMBER_BYTES) {
                return Err(KERN_RESOURCE_SHORTAGE);
            }
        }
        let mut pg = port.inner.lock();
        let joined = if pg.sets.iter().any(|s| Arc::ptr_eq(s, self)) {
            Err(KERN_ALREADY_IN_SET)
        } else {
            pg.sets
                .push(self.clone(), GFP_KERNEL_ACCOUNT)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)
        };
        let has_msg = !pg.queue.is_empty();
        drop(pg);
        let mut g = self.inner.lock();
        if let Err(e) = joined {
            g.charge.release(MEMBER_BYTES);
            return Err(e);
        }
        let room = g
            .members
            .reserve(1, GFP_KERNEL_ACCOUNT)
            .and_then(|()| g.ready.reserve(1, GFP_KERNEL_ACCOUNT));
        if room.is_err() {
            g.charge.release(MEMBER_BYTES);
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
        let before = g.members.len();
        g.members.retain(|p| !Arc::ptr_eq(p, port));
        let left = before - g.members.len();
        g.charge.release(left * MEMBER_BYTES);
        g.ready.retain(|p| !Arc::ptr_eq(p, port));
    }

    /// Called when `port`, a member, got its first queued message.
    pub(crate) fn member_ready(&self, port: &Arc<Port>, handoff: bool) {
        // Declared before the guard: released after it.
        let mut gone = KVec::new();
        let mut g = self.inner.lock();
        if !g.active {
            return;
        }
        // A member is listed again each time it becomes ready, also when
        // its messages are received through the port itself and the set
        // never takes the entries; compacting at twice the members keeps
        // the list (charged per membership) bounded.
        if g.ready.len() >= 2 * g.members.len() + 8 {
            dedup_ready(&mut g, &mut gone);
        }
        if g.ready.push(port.clone(), GFP_KERNEL_ACCOUNT).is_err() {
            return;
        }
        wake_pollers(&g.pollers);
        drop(g);
        drop(gone);
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
        let n = members.len();
        g.charge.release(n * MEMBER_BYTES);
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
        let mut v = KVec::with_capacity(g.members.len(), GFP_KERNEL_ACCOUNT)?;
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

/// Drops repeated entries of the ready list, keeping each port's oldest,
/// in order; the dropped references go to `gone`, for release after the
/// lock. Left as it is if memory is short.
fn dedup_ready(g: &mut PortSetInner, gone: &mut KVec<Arc<Port>>) {
    let n = g.ready.len();
    let (Ok(mut keys), Ok(mut keep), Ok(mut kept)) = (
        KVec::with_capacity(n, GFP_KERNEL_ACCOUNT),
        KVec::from_elem(false, n, GFP_KERNEL_ACCOUNT),
        KVec::with_capacity(n, GFP_KERNEL_ACCOUNT),
    ) else {
        return;
    };
    if gone.reserve(n, GFP_KERNEL_ACCOUNT).is_err() {
        return;
    }
    for (i, p) in g.ready.iter().enumerate() {
        // Cannot fail: the capacity is `n`.
        let _ = keys.push_within_capacity((Arc::as_ptr(p) as usize, i));
    }
    // By port, then by position: the first of each run is the oldest.
    keys.sort_unstable();
    for (j, &(port, i)) in keys.iter().enumerate() {
        if j == 0 || keys[j - 1].0 != port {
            keep[i] = true;
        }
    }
    for (i, p) in core::mem::take(&mut g.ready).into_iter().enumerate() {
        // Neither can fail: both have capacity `n`.
        let out = if keep[i] { &mut kept } else { &mut *gone };
        let _ = out.push_within_capacity(p);
    }
    g.ready = kept;
}

#[pinned_drop]
impl PinnedDrop for PortSet {
    fn drop(self: Pin<&mut Self>) {
        stats::PORT_SETS.dec();
    }
}

#[kunit_tests(machipc_port_set)]
mod tests {
    use super::*;

    #[test]
    fn ready_list_stays_bounded() -> Result {
        let s = crate::space::Space::new()?;
        let set = PortSet::new(&s.quota).map_err(|_| ENOMEM)?;
        let a = Port::new(&s.quota).map_err(|_| ENOMEM)?;
        let b = Port::new(&s.quota).map_err(|_| ENOMEM)?;
        set.add_member(&a).map_err(|_| EINVAL)?;
        set.add_member(&b).map_err(|_| EINVAL)?;
        // As when both ports' messages are received through the ports.
        for _ in 0..1000 {
            set.member_ready(&a, false);
            set.member_ready(&b, false);
        }
        {
            let g = set.inner.lock();
            assert!(g.ready.len() <= 2 * g.members.len() + 8);
            // Each port's oldest entry kept, in order.
            assert!(Arc::ptr_eq(&g.ready[0], &a));
            assert!(Arc::ptr_eq(&g.ready[1], &b));
        }
        set.destroy();
        drop((a, b));
        s.destroy();
        Ok(())
    }
}
