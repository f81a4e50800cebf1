// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Port sets (XNU's `ipc_pset`): a receive on a set takes a message from
//! any member that has one. The set keeps a FIFO of members that became
//! ready, so a receive costs the same with one member or ten thousand, and
//! a member that still has messages after a receive goes to the back of the
//! FIFO, so a busy port cannot starve the others.
//!
//! Membership is recorded on both sides: the port lists its sets (under
//! `Port::inner`) and the set lists its members (under `PortSet::inner`);
//! both lists are updated one lock at a time. The lock order is in the
//! crate root (`machipc_main.rs`).

use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex, MutexGuard};
use kernel::{new_condvar, new_mutex};

use crate::error::*;
use crate::limits::{Charge, Quota};
use crate::port::{
    grown, make_room, push_unlocked, room_for, wait_step, PollWaiter, PollWaiters, Port, Received,
    Timeout,
};
use crate::stats;

/// The state of a port set protected by its lock.
///
/// # Invariants
///
/// - `active` goes from true to false once, when the set's receive right
///   dies; then `members` and `ready` are empty.
/// - Each port in `members` is there once and lists this set among its
///   sets (`Port::join_set`), or is about to leave (`forget_member`).
/// - `ready` holds only members or ports on their way out, which receivers
///   skip; its capacity is at least `members.len()`, so that
///   [`PortSet::member_ready`] can refill it without allocating when
///   `rescan` is set.
/// - `rescan` is set when a member became ready but could not be listed
///   (memory was short): the next receive lists every member again.
/// - `charge` holds `SET_BYTES` and `MEMBER_BYTES` per member.
struct PortSetInner {
    active: bool,
    members: KVec<Arc<Port>>,
    /// Members that may have a message, oldest first (may hold stale or
    /// repeated entries; receivers skip those).
    ready: KVec<Arc<Port>>,
    /// A member became ready while `ready` could not grow.
    rescan: bool,
    /// Descriptors polling this set.
    pollers: PollWaiters,
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

/// A port set.
///
/// # Invariants
///
/// Receivers on the set sleep on `wait` with `inner` held; a member listed
/// as ready, or the set's death, notifies `wait` after the change is made
/// under `inner`.
#[pin_data(PinnedDrop)]
pub(crate) struct PortSet {
    #[pin]
    inner: Mutex<PortSetInner>,
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
                    rescan: false,
                    pollers: PollWaiters::new(),
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
        let has_msg = match port.join_set(self) {
            Ok(m) => m,
            Err(e) => {
                self.inner.lock().charge.release(MEMBER_BYTES);
                return Err(e);
            }
        };
        // Declared before the guard: the lists swapped out are freed after
        // it.
        let (mut members, mut ready) = (KVec::new(), KVec::new());
        let Some(mut g) = self.lock_with_room(&mut members, &mut ready) else {
            self.inner.lock().charge.release(MEMBER_BYTES);
            // Undo the port's side: the port is not a member after all.
            port.leave_set(self);
            return Err(KERN_RESOURCE_SHORTAGE);
        };
        // Room was made just above.
        let added = g.members.push_within_capacity(port.clone()).is_ok()
            && (!has_msg || g.ready.push_within_capacity(port.clone()).is_ok());
        if has_msg {
            g.pollers.wake();
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

    /// Locks the set with room for one more member, and in the ready list
    /// for every member (type invariant) and this one. Full lists grow
    /// with the lock dropped, into `members` and `ready`, and are swapped
    /// in under it (the old ones left there); `None` if memory is short.
    fn lock_with_room(
        &self,
        members: &mut KVec<Arc<Port>>,
        ready: &mut KVec<Arc<Port>>,
    ) -> Option<MutexGuard<'_, PortSetInner>> {
        loop {
            let mut g = self.inner.lock();
            let total = (g.members.len() + 1).max(g.ready.len() + 1);
            let m = make_room(&mut g.members, members);
            let r = room_for(&mut g.ready, ready, total);
            if m && r {
                return Some(g);
            }
            let (want_m, want_r) = (grown(&g.members), total.max(grown(&g.ready)));
            drop(g);
            if !m {
                *members = KVec::with_capacity(want_m, GFP_KERNEL_ACCOUNT).ok()?;
            }
            if !r {
                *ready = KVec::with_capacity(want_r, GFP_KERNEL_ACCOUNT).ok()?;
            }
        }
    }

    /// Removes `port` from this set. `KERN_NOT_IN_SET` if it was not in it.
    pub(crate) fn remove_member(self: &Arc<Self>, port: &Arc<Port>) -> MachResult {
        if !port.leave_set(self) {
            return Err(KERN_NOT_IN_SET);
        }
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
        let mut spare = KVec::new();
        let mut dedup = Dedup::default();
        let (mut deduped, mut dedup_failed) = (false, false);
        let g = loop {
            let mut g = self.inner.lock();
            if !g.active {
                return;
            }
            // A member is listed again each time it becomes ready, also
            // when its messages are received through the port itself and
            // the set never takes the entries; compacting at twice the
            // members keeps the list (charged per membership) bounded.
            let n = g.ready.len();
            if n >= 2 * g.members.len() + 8 && !deduped {
                if dedup.fits(n) {
                    dedup_ready(&mut g, &mut dedup);
                    deduped = true;
                } else if !dedup_failed {
                    drop(g);
                    match Dedup::new(n) {
                        Ok(d) => dedup = d,
                        Err(_) => dedup_failed = true,
                    }
                    continue;
                }
            }
            if make_room(&mut g.ready, &mut spare) {
                // Cannot fail: room was made just above.
                if g.ready.push_within_capacity(port.clone()).is_err() {
                    g.rescan = true;
                }
                break g;
            }
            let want = grown(&g.ready);
            drop(g);
            match KVec::with_capacity(want, GFP_KERNEL_ACCOUNT) {
                Ok(v) => spare = v,
                Err(_) => {
                    let mut g = self.inner.lock();
                    if !g.active {
                        return;
                    }
                    if g.ready.push_within_capacity(port.clone()).is_err() {
                        // Memory is short: the next receive looks at every
                        // member, so this message is not lost to receivers
                        // on the set.
                        g.rescan = true;
                    }
                    break g;
                }
            }
        };
        g.pollers.wake();
        drop(g);
        drop(dedup);
        drop(spare);
        crate::port::wake_receiver(&self.wait, handoff);
    }

    /// The set's receive right is gone: members leave it, receivers wake.
    pub(crate) fn destroy(self: &Arc<Self>) {
        let mut g = self.inner.lock();
        g.active = false;
        let members = core::mem::take(&mut g.members);
        let ready = core::mem::take(&mut g.ready);
        let n = members.len();
        g.charge.release(n * MEMBER_BYTES);
        g.pollers.wake();
        drop(g);
        self.wait.notify_all();
        for (i, p) in members.iter().enumerate() {
            crate::ffi::resched_every(i);
            p.leave_set(self);
        }
        drop(members);
        drop(ready);
    }

    /// Names of the members, as the caller's space sees them (for
    /// `mach_port_get_set_status`): the member ports.
    pub(crate) fn members(&self) -> Result<KVec<Arc<Port>>> {
        // Allocated with the lock dropped, again if members joined
        // meanwhile.
        let mut v = KVec::new();
        loop {
            let g = self.inner.lock();
            let n = g.members.len();
            if n <= v.capacity() {
                for p in g.members.iter() {
                    v.push_within_capacity(p.clone()).map_err(|_| ENOMEM)?;
                }
                return Ok(v);
            }
            drop(g);
            v = KVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?;
        }
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
            if g.ready.is_empty() && g.rescan {
                relist_members(&mut g);
            }
            while !g.ready.is_empty() {
                let p = match g.ready.remove(0) {
                    Ok(p) => p,
                    Err(_) => break,
                };
                drop(g);
                let (got, more) = p.receive_for_set(self, space, rcv_size, trailer, large);
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

    /// Whether the set's receive right is gone.
    pub(crate) fn is_dead(&self) -> bool {
        !self.inner.lock().active
    }

    /// Adds a descriptor's waiter.
    pub(crate) fn add_poller(&self, w: Arc<PollWaiter>) -> Result {
        push_unlocked(&self.inner, |g| g.pollers.list(), w).map_err(|_| ENOMEM)
    }

    /// Removes a descriptor's waiter.
    pub(crate) fn remove_poller(&self, w: &Arc<PollWaiter>) {
        self.inner.lock().pollers.remove(w);
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

/// Lists every member as ready, after a member could not be listed. The
/// ready list has room for every member (type invariant), so this does not
/// allocate; it is empty when called, so nothing is listed twice.
fn relist_members(g: &mut PortSetInner) {
    let PortSetInner {
        members,
        ready,
        rescan,
        ..
    } = g;
    *rescan = false;
    for p in members.iter() {
        // Cannot fail: the capacity is at least the number of members.
        if ready.push_within_capacity(p.clone()).is_err() {
            *rescan = true;
            return;
        }
    }
}

/// The lists [`dedup_ready`] works in, allocated with the set unlocked;
/// released after the lock (with the dropped references in `gone`).
#[derive(Default)]
struct Dedup {
    keys: KVec<(usize, usize)>,
    keep: KVec<bool>,
    kept: KVec<Arc<Port>>,
    gone: KVec<Arc<Port>>,
}

impl Dedup {
    /// Lists for a ready list of `n` entries.
    fn new(n: usize) -> Result<Self> {
        Ok(Dedup {
            keys: KVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?,
            keep: KVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?,
            kept: KVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?,
            gone: KVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?,
        })
    }

    /// Whether these unused lists hold a ready list of `n` entries.
    fn fits(&self, n: usize) -> bool {
        let lists = [
            (self.keys.len(), self.keys.capacity()),
            (self.keep.len(), self.keep.capacity()),
            (self.kept.len(), self.kept.capacity()),
            (self.gone.len(), self.gone.capacity()),
        ];
        lists.iter().all(|&(len, cap)| len == 0 && cap >= n)
    }
}

/// Drops repeated entries of the ready list, keeping each port's oldest,
/// in order, using the lists of `d`, which fit the ready list
/// ([`Dedup::fits`]): never allocates. The dropped references and the old
/// list go to `d`, for release after the lock.
fn dedup_ready(g: &mut PortSetInner, d: &mut Dedup) {
    for (i, p) in g.ready.iter().enumerate() {
        // Cannot fail: the capacities are at least the ready list's length.
        let _ = d.keys.push_within_capacity((Arc::as_ptr(p) as usize, i));
        let _ = d.keep.push_within_capacity(false);
    }
    // By port, then by position: the first of each run is the oldest.
    d.keys.sort_unstable();
    for (j, &(port, i)) in d.keys.iter().enumerate() {
        if j == 0 || d.keys[j - 1].0 != port {
            d.keep[i] = true;
        }
    }
    for (i, p) in g.ready.drain_all().enumerate() {
        // Neither can fail: as above.
        let out = if d.keep[i] { &mut d.kept } else { &mut d.gone };
        let _ = out.push_within_capacity(p);
    }
    core::mem::swap(&mut g.ready, &mut d.kept);
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

    /// A member that became ready while the ready list could not grow is
    /// not lost: the next receive on the set lists every member again.
    /// (Without the rescan, this receive timed out with the message queued.)
    #[test]
    fn a_member_left_off_the_ready_list_is_found_by_a_rescan() -> Result {
        let s = crate::space::Space::new()?;
        let set = PortSet::new(&s.quota).map_err(|_| ENOMEM)?;
        let p = Port::new(&s.quota).map_err(|_| ENOMEM)?;
        p.set_receiver(s.id, 0x1003);
        set.add_member(&p).map_err(|_| EINVAL)?;
        let k = crate::kmsg::Kmsg::new(0, crate::kmsg::Sender::kernel())?;
        p.enqueue(k, false);
        // As `member_ready` leaves it when memory is short. The entries
        // dropped are clones of `p`, which the test holds.
        {
            let mut g = set.inner.lock();
            g.rescan = true;
            g.ready.clear();
        }
        let got = set.receive(s.id, 4096, 0, false, Some(0));
        assert!(matches!(got, Ok((_, Received::Msg(..)))));
        drop(got);
        assert!(!set.inner.lock().rescan);
        set.destroy();
        drop(crate::rights::Right::from_counted(
            crate::rights::Kind::Receive,
            p,
        ));
        s.destroy();
        Ok(())
    }
}
