// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Port sets (XNU's `ipc_pset`): a receive on a set takes a message from
//! any member that has one. The set keeps a FIFO of members that became
//! ready, so a receive costs the same with one member or ten thousand, and
//! a member that still has messages after a receive goes to the back of the
//! FIFO, so a busy port cannot starve the others.
//!
//! Membership is recorded on both sides: the port lists its sets (under
//! `Port::inner`) and the set keeps a [`Member`] per port (under
//! `PortSet::inner`); both sides are updated one lock at a time. The lock
//! order is in the crate root (`machipc_main.rs`).
//!
//! A member leaves in O(log n) of the set's size, so that tearing down a
//! set of n ports costs O(n log n), not O(n²): the set finds the member in
//! a tree keyed by the port's address, and takes it off the ready FIFO, an
//! intrusive list through the member (XNU's waitq link), in O(1). Listing
//! a member as ready never allocates and so cannot fail; the memory of a
//! membership is allocated before any lock is taken, when the port joins.

use kernel::list::{AtomicTracker, List, ListArc, ListLinks, TryNewListArc};
use kernel::prelude::*;
use kernel::rbtree::{Entry, RBTree, RBTreeNodeReservation};
use kernel::sync::{Arc, CondVar};
use kernel::{new_condvar, new_spinlock};

use crate::error::*;
use crate::limits::{Charge, Quota};
use crate::lock_count::{Counted, CountedSpinLock};
use crate::port::{push_unlocked, wait_step, PollWaiter, PollWaiters, Port, Received, Timeout};
use crate::stats::{self, LockClass};

/// A port's membership in one set, as the set records it (XNU's waitq
/// link): in the set's tree of members, and on its ready FIFO while the
/// port may have a message.
///
/// # Invariants
///
/// `links` is only ever used with the `ready` list of the one set whose
/// `members` tree holds this member (or with that list once
/// [`PortSet::destroy`] has taken it, together with the tree).
#[pin_data]
struct Member {
    port: Arc<Port>,
    #[pin]
    links: ListLinks,
    /// Whether the member is on the ready FIFO (a [`ListArc`] exists).
    #[pin]
    listed: AtomicTracker,
}

kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Member { tracked_by listed: AtomicTracker; }
}
kernel::list::impl_list_item! {
    impl ListItem<0> for Member { using ListLinks { self.links }; }
}

/// The key of `port` in a set's tree of members: its address, which
/// stays unique while the member holds the port.
fn key(port: &Port) -> usize {
    core::ptr::from_ref(port) as usize
}

/// The state of a port set protected by its lock.
///
/// # Invariants
///
/// - `active` goes from true to false once, when the set's receive right
///   dies; then `members` and `ready` are empty.
/// - `members` maps [`key`]`(p)` to the one [`Member`] of each member
///   port `p`; `count` is its size. Each such port lists this set among its
///   sets (`Port::join_set`), or is about to leave (`forget_member`), which
///   takes it off `members` and `ready` under the lock at once.
/// - `ready` holds members of `members` only, each at most once, oldest
///   first. A member with a queued message is on it, or a receive on the
///   set took it off and relists it if messages remain, or the message's
///   sender is about to list it (`member_ready`). A member on it may have
///   no message any more (received through the port): receivers skip it.
/// - `charge` holds `SET_BYTES` and `MEMBER_BYTES` per member and per
///   port `add_member` is adding.
struct PortSetInner {
    active: bool,
    members: RBTree<usize, Arc<Member>>,
    count: usize,
    /// Members that may have a message, oldest first.
    ready: List<Member>,
    /// Descriptors polling this set.
    pollers: PollWaiters,
    /// The set and its memberships on the account of the space that made
    /// it.
    charge: Charge,
}

/// What a port set costs its space's quota.
const SET_BYTES: usize = core::mem::size_of::<PortSet>();
/// What one membership costs: the [`Member`] and its reference count, its
/// node in the set's tree (three words of links, the key and the value),
/// and its entry in the port's list of sets, with room for the list's
/// doubling.
const MEMBER_BYTES: usize = core::mem::size_of::<Member>()
    + core::mem::size_of::<usize>()
    + 5 * core::mem::size_of::<usize>()
    + 2 * core::mem::size_of::<Arc<PortSet>>();

/// A port set.
///
/// # Invariants
///
/// Receivers on the set sleep on `wait` with `inner` held; a member listed
/// as ready, or the set's death, notifies `wait` after the change is made
/// under `inner`.
///
/// `inner` is a spinlock: nothing under it allocates or sleeps (a
/// membership's memory is allocated before it is taken, what a leave frees
/// is freed after it, and the member charges it gives back never empty the
/// user's account, which holds the set itself), so it nests under
/// `Port::inner` whatever kind of lock that is (`Port::enqueue` lists a
/// member under the port lock when memory is short).
#[pin_data(PinnedDrop)]
pub(crate) struct PortSet {
    #[pin]
    inner: CountedSpinLock<PortSetInner>,
    #[pin]
    wait: CondVar,
}

impl PortSet {
    /// A new port set charged to `quota`: `KERN_NO_SPACE` if the space is
    /// full, `KERN_RESOURCE_SHORTAGE` if its user is at a limit (or memory
    /// is short); see [`Charge::add_object`].
    pub(crate) fn new(quota: &Arc<Quota>) -> MachResult<Arc<PortSet>> {
        let mut charge = Charge::empty(quota);
        charge.add_object(SET_BYTES)?;
        let s = Arc::pin_init(
            pin_init!(PortSet {
                inner <- Counted::new(LockClass::PortSet, new_spinlock!(PortSetInner {
                    active: true,
                    members: RBTree::new(),
                    count: 0,
                    ready: List::new(),
                    pollers: PollWaiters::new(),
                    charge,
                }, "PortSet::inner")),
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
        // The membership's memory, allocated before any lock (as XNU
        // reserves the waitq link first).
        let member = Arc::pin_init(
            pin_init!(Member {
                port: port.clone(),
                links <- ListLinks::new(),
                listed <- AtomicTracker::new(),
            }),
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let reservation =
            RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
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
        if let Err(e) = port.join_set(self) {
            self.inner.lock().charge.release(MEMBER_BYTES);
            return Err(e);
        }
        let mut g = self.inner.lock();
        if !g.active {
            // Destroyed meanwhile, without this member: undo the port's
            // side.
            g.charge.release(MEMBER_BYTES);
            drop(g);
            port.leave_set(self);
            return Err(KERN_INVALID_RIGHT);
        }
        match g.members.entry(key(port)) {
            Entry::Vacant(v) => {
                v.insert(member, reservation);
                g.count += 1;
            }
            Entry::Occupied(_) => {
                // Cannot happen while the caller holds the space lock: the
                // port was in no set of this name (`join_set` checks).
                g.charge.release(MEMBER_BYTES);
                return Ok(());
            }
        }
        drop(g);
        match port.in_set(self) {
            // A message queued since the port joined found no member to
            // list: it is listed now (listing twice is harmless).
            Some(true) => self.member_ready(port, false),
            Some(false) => {}
            // The port left meanwhile and its `forget_member` found nothing
            // to drop: the member goes now.
            None => self.forget_member(port),
        }
        Ok(())
    }

    /// Removes `port` from this set. `KERN_NOT_IN_SET` if it was not in it.
    pub(crate) fn remove_member(self: &Arc<Self>, port: &Arc<Port>) -> MachResult {
        if !port.leave_set(self) {
            return Err(KERN_NOT_IN_SET);
        }
        self.forget_member(port);
        Ok(())
    }

    /// Drops `port`'s member from the set's tree and ready list (the port
    /// side is done), in O(log n).
    pub(crate) fn forget_member(&self, port: &Port) {
        let mut g = self.inner.lock();
        let inner = &mut *g;
        let Some(entry) = inner.members.find_mut(&key(port)) else {
            // Never joined on this side, or the set died.
            return;
        };
        // SAFETY: The member is only ever on this set's ready list (type
        // invariant of `Member`), if on any.
        let listed = unsafe { inner.ready.remove(entry.get()) };
        let node = entry.remove_node();
        inner.count -= 1;
        inner.charge.release(MEMBER_BYTES);
        drop(g);
        // Freed after the lock (the member may hold the last reference to
        // the port).
        drop(listed);
        drop(node);
    }

    /// Called when `port`, a member, got its first queued message: lists
    /// it as ready unless it is already. Never allocates.
    pub(crate) fn member_ready(&self, port: &Port, handoff: bool) {
        let mut g = self.inner.lock();
        let inner = &mut *g;
        if !inner.active {
            return;
        }
        // Not found: the port is joining (`add_member` looks at its queue
        // once the member is in) or leaving.
        let Some(m) = inner.members.get(&key(port)) else {
            return;
        };
        // `None` if it is listed already: it keeps its place in the FIFO.
        if let Some(m) = ListArc::try_from_arc_borrow(m.as_arc_borrow()) {
            inner.ready.push_back(m);
        }
        inner.pollers.wake();
        drop(g);
        crate::port::wake_receiver(&self.wait, handoff);
    }

    /// The set's receive right is gone: members leave it, receivers wake.
    pub(crate) fn destroy(self: &Arc<Self>) {
        let mut g = self.inner.lock();
        g.active = false;
        // INVARIANT: Both emptied under the lock at once, so no member of
        // the taken tree can be found (and unlinked from the taken list) by
        // `forget_member`.
        let members = core::mem::take(&mut g.members);
        let ready = core::mem::take(&mut g.ready);
        let n = core::mem::take(&mut g.count);
        g.charge.release(n * MEMBER_BYTES);
        g.pollers.wake();
        drop(g);
        self.wait.notify_all();
        drop(ready);
        for (i, m) in members.values().enumerate() {
            crate::ffi::resched_every(i);
            m.port.leave_set(self);
        }
        drop(members);
    }

    /// Names of the members, as the caller's space sees them (for
    /// `mach_port_get_set_status`): the member ports.
    pub(crate) fn members(&self) -> Result<KVec<Arc<Port>>> {
        // Allocated with the lock dropped, again if members joined
        // meanwhile.
        let mut v = KVec::new();
        loop {
            let g = self.inner.lock();
            if g.count <= v.capacity() {
                for m in g.members.values() {
                    v.push_within_capacity(m.port.clone()).map_err(|_| ENOMEM)?;
                }
                return Ok(v);
            }
            let n = g.count;
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
            while let Some(m) = g.ready.pop_front() {
                // The tree still holds the member: this drops no member.
                let p = m.port.clone();
                drop(m);
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

#[pinned_drop]
impl PinnedDrop for PortSet {
    fn drop(self: Pin<&mut Self>) {
        stats::PORT_SETS.dec();
    }
}

#[kunit_tests(machipc_port_set)]
mod tests {
    use super::*;
    use crate::rights::{Kind, Right};

    /// The ports on `set`'s ready FIFO (of at most 64), oldest first, by
    /// key.
    fn ready_keys(set: &PortSet) -> Result<KVec<usize>> {
        // Allocated before the (spin)lock.
        let mut v = KVec::with_capacity(64, GFP_KERNEL)?;
        let g = set.inner.lock();
        for m in g.ready.iter() {
            v.push_within_capacity(key(&m.port)).map_err(|_| ENOMEM)?;
        }
        Ok(v)
    }

    fn is_member(set: &PortSet, port: &Port) -> bool {
        set.inner.lock().members.get(&key(port)).is_some()
    }

    /// A member is listed once however often it becomes ready (its
    /// messages received through the port, the set never takes the
    /// entries), and keeps its first place in the FIFO.
    #[test]
    fn a_member_is_listed_ready_once() -> Result {
        let s = crate::space::Space::new()?;
        let set = PortSet::new(&s.quota).map_err(|_| ENOMEM)?;
        let a = Port::new(&s.quota).map_err(|_| ENOMEM)?;
        let b = Port::new(&s.quota).map_err(|_| ENOMEM)?;
        set.add_member(&a).map_err(|_| EINVAL)?;
        set.add_member(&b).map_err(|_| EINVAL)?;
        for _ in 0..1000 {
            set.member_ready(&a, false);
            set.member_ready(&b, false);
        }
        assert_eq!(&ready_keys(&set)?[..], &[key(&a), key(&b)]);
        set.destroy();
        assert!(ready_keys(&set)?.is_empty());
        drop((a, b));
        s.destroy();
        Ok(())
    }

    /// Members leave in any order, each taken off the tree and the ready
    /// FIFO at once (the others keep their order) and its charge given
    /// back; they can join again afterwards.
    #[test]
    fn members_leave_in_any_order_and_rejoin() -> Result {
        const N: usize = 32;
        let s = crate::space::Space::new()?;
        let set = PortSet::new(&s.quota).map_err(|_| ENOMEM)?;
        let mut ports = KVec::with_capacity(N, GFP_KERNEL)?;
        for _ in 0..N {
            ports.push(Port::new(&s.quota).map_err(|_| ENOMEM)?, GFP_KERNEL)?;
        }
        for p in ports.iter() {
            set.add_member(p).map_err(|_| EINVAL)?;
        }
        assert_eq!(set.add_member(&ports[3]), Err(KERN_ALREADY_IN_SET));
        // Every third port ready, last first.
        let mut listed = KVec::new();
        for p in ports.iter().rev().step_by(3) {
            set.member_ready(p, false);
            listed.push(key(p), GFP_KERNEL)?;
        }
        assert_eq!(&ready_keys(&set)?[..], &listed[..]);
        // 7 is prime to N: every port leaves once, scattered.
        for j in 0..N {
            let p = &ports[(j * 7) % N];
            set.remove_member(p).map_err(|_| EINVAL)?;
            assert!(!is_member(&set, p));
            assert_eq!(p.in_set(&set), None);
            listed.retain(|k| *k != key(p));
            assert_eq!(&ready_keys(&set)?[..], &listed[..]);
            let g = set.inner.lock();
            assert_eq!(g.count, N - j - 1);
            assert_eq!(
                g.charge.bytes(),
                (SET_BYTES + (N - j - 1) * MEMBER_BYTES) as i64
            );
        }
        assert_eq!(set.remove_member(&ports[0]), Err(KERN_NOT_IN_SET));
        for p in ports.iter().rev() {
            set.add_member(p).map_err(|_| EINVAL)?;
            assert!(is_member(&set, p));
        }
        assert_eq!(set.inner.lock().count, N);
        assert_eq!(set.members()?.len(), N);
        set.destroy();
        for p in ports.iter() {
            assert_eq!(p.in_set(&set), None);
        }
        assert_eq!(set.inner.lock().charge.bytes(), SET_BYTES as i64);
        drop(ports);
        s.destroy();
        Ok(())
    }

    /// The ready FIFO tolerates members whose messages went another way: a
    /// receive on the set skips them (and unlists them); a member that
    /// leaves is unlisted at once, so the set never keeps a port alive.
    #[test]
    fn receivers_skip_stale_ready_members() -> Result {
        let s = crate::space::Space::new()?;
        let set = PortSet::new(&s.quota).map_err(|_| ENOMEM)?;
        let p = Port::new(&s.quota).map_err(|_| ENOMEM)?;
        p.set_receiver(s.id, 0x1003);
        // Joining with a message queued lists the port.
        p.enqueue(crate::kmsg::Kmsg::new(0, crate::kmsg::Sender::kernel())?);
        set.add_member(&p).map_err(|_| EINVAL)?;
        assert_eq!(&ready_keys(&set)?[..], &[key(&p)]);
        // Received through the port: the entry is stale.
        let got = p.receive(s.id, 4096, 0, false, Some(0));
        assert!(matches!(got, Ok(Received::Msg(..))));
        drop(got);
        assert_eq!(&ready_keys(&set)?[..], &[key(&p)]);
        let got = set.receive(s.id, 4096, 0, false, Some(0));
        assert!(matches!(got, Err(MACH_RCV_TIMED_OUT)));
        assert!(ready_keys(&set)?.is_empty());
        // Two messages: the receive relists the port for the second.
        for _ in 0..2 {
            p.enqueue(crate::kmsg::Kmsg::new(0, crate::kmsg::Sender::kernel())?);
        }
        let got = set.receive(s.id, 4096, 0, false, Some(0));
        assert!(matches!(got, Ok((_, Received::Msg(..)))));
        drop(got);
        assert_eq!(&ready_keys(&set)?[..], &[key(&p)]);
        // Leaving unlists it.
        set.remove_member(&p).map_err(|_| EINVAL)?;
        assert!(ready_keys(&set)?.is_empty());
        let got = set.receive(s.id, 4096, 0, false, Some(0));
        assert!(matches!(got, Err(MACH_RCV_TIMED_OUT)));
        set.destroy();
        drop(Right::from_counted(Kind::Receive, p));
        s.destroy();
        Ok(())
    }
}
