// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! A Mach port (XNU's `ipc_port`): its message queue, its right counts and
//! notification requests, and the waiting of receivers and of senders
//! blocked by the queue limit.
//!
//! # Lock order
//!
//! `Space::inner` → [`TRANSIT`] → `Port::inner` → `PortSet::inner`. No
//! path holds two port locks or two space locks at once; rights and
//! messages that may run destructors are released after `Port::inner` (and
//! `TRANSIT`) is dropped. `reap::REAPERS` is a leaf.

use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, CondVarTimeoutResult, Mutex};
use kernel::time::Jiffies;
use kernel::{new_condvar, new_mutex};

use crate::error::*;
use crate::kmsg::Kmsg;
use crate::limits::{Charge, Quota};
use crate::mqueue::MsgQueue;
use crate::notify;
use crate::port_fd::{wake_pollers, Poller};
use crate::port_set::PortSet;
use crate::rights::{Kind, Right};
use crate::stats;

kernel::sync::global_lock! {
    // SAFETY: `init` is called in the module initializer, before any port
    // exists.
    /// Serializes sends of messages that carry receive rights: see
    /// [`Port::enqueue_from`]. Taken before any `Port::inner`, never with
    /// a space lock held by the same path that then serves a kernel object.
    pub(crate) unsafe(uninit) static TRANSIT: Mutex<()> = ();
}

pub(crate) const MACH_PORT_QLIMIT_DEFAULT: u32 = 5;
/// How far the circularity check follows ports in transit.
const MAX_TRANSIT_CHAIN: usize = 4096;
pub(crate) const MACH_PORT_QLIMIT_MAX: u32 = 1024;
pub(crate) const MACH_PORT_STATUS_FLAG_GUARDED: u32 = 0x02;
pub(crate) const MACH_PORT_STATUS_FLAG_STRICT_GUARD: u32 = 0x04;
/// What a port costs its space's quota: the port and the ring its queue
/// keeps when empty (`mqueue.rs`).
const PORT_BYTES: usize = core::mem::size_of::<Port>()
    + crate::mqueue::RING_MIN * core::mem::size_of::<Option<KBox<Kmsg>>>();

/// A dead-name request registered by a holder of a send or send-once right.
pub(crate) struct DeadNameRequest {
    /// The space and name the request was made on.
    pub(crate) space: u64,
    pub(crate) name: u32,
    /// Where the notification goes, with its reserved buffer.
    pub(crate) notify: notify::Request,
    /// An armed send-possible request: it also fires when the queue has
    /// room again (a dead-name notification if the port dies first).
    pub(crate) send_possible: bool,
}

/// The state of a port protected by its lock.
pub(crate) struct PortInner {
    /// False once the receive right is destroyed (the port is dead).
    pub(crate) active: bool,
    /// The space id and name of the receive right; `None` in transit.
    pub(crate) receiver: Option<(u64, u32)>,
    pub(crate) queue: MsgQueue,
    /// Queue slots promised to senders that passed the limit check.
    pub(crate) reserved: u32,
    pub(crate) qlimit: u32,
    pub(crate) seqno: u32,
    pub(crate) mscount: u32,
    pub(crate) srights: u32,
    pub(crate) sorights: u32,
    pub(crate) context: u64,
    pub(crate) flags: u32,
    pub(crate) nsrequest: Option<notify::Request>,
    pub(crate) pdrequest: Option<notify::Request>,
    pub(crate) dnrequests: KVec<DeadNameRequest>,
    /// The port sets this port is a member of.
    pub(crate) sets: KVec<Arc<PortSet>>,
    /// Bumped when the port joins a set, so blocked receivers learn of it.
    pub(crate) change_gen: u32,
    /// Descriptors polling this port (`machipc_port_fd`).
    pub(crate) pollers: KVec<Arc<Poller>>,
    /// Some request in `dnrequests` is an armed send-possible request.
    pub(crate) sp_armed: bool,
    /// While the receive right is in transit: the port whose queue holds
    /// the message carrying it (for the circularity check).
    pub(crate) in_transit_at: Option<Arc<Port>>,
    /// For a task port: the space it names. Messages to such a port are
    /// served by the kernel (`kobject.rs`). Cleared when the port dies,
    /// which breaks the space → port → space cycle.
    pub(crate) kobject: Option<Arc<crate::space::Space>>,
    /// The next port on the list of the reaper destroying this one.
    reap_next: Option<Arc<Port>>,
}

impl PortInner {
    /// Counts one more send right. The count cannot overflow: past
    /// `u32::MAX` (XNU panics there) the right is refused with
    /// `KERN_RESOURCE_SHORTAGE`.
    pub(crate) fn count_send(&mut self) -> MachResult {
        self.srights = self.srights.checked_add(1).ok_or(KERN_RESOURCE_SHORTAGE)?;
        Ok(())
    }

    /// Counts one more send-once right, as [`PortInner::count_send`].
    pub(crate) fn count_send_once(&mut self) -> MachResult {
        self.sorights = self.sorights.checked_add(1).ok_or(KERN_RESOURCE_SHORTAGE)?;
        Ok(())
    }

    /// The receive right arrived in space `space` under `name`.
    pub(crate) fn set_receiver(&mut self, space: u64, name: u32) {
        self.receiver = Some((space, name));
        self.in_transit_at = None;
    }

    /// Whether the port is alive and space `space` holds its receive right
    /// now. Every dequeue checks this under the port lock: a receiver that
    /// found the port through a name or a descriptor before the right moved
    /// to another task must not take that task's messages.
    pub(crate) fn held_by(&self, space: u64) -> bool {
        self.active && matches!(self.receiver, Some((s, _)) if s == space)
    }
}

/// A Mach port.
#[pin_data(PinnedDrop)]
pub(crate) struct Port {
    #[pin]
    pub(crate) inner: Mutex<PortInner>,
    /// Receivers blocked on this port.
    #[pin]
    rcv_wait: CondVar,
    /// Senders blocked by the queue limit, woken in FIFO order.
    #[pin]
    snd_wait: CondVar,
    /// The port on the account of the space that made it (its memory and
    /// one port on the user's count), given back when the port is freed.
    charge: Charge,
}

/// What a receive attempt found.
pub(crate) enum Received {
    /// A message, its sequence number and the port's context.
    Msg(KBox<Kmsg>, u32, u64),
    /// With `MACH_RCV_LARGE`: the first message needs this many bytes
    /// (without trailer); it stays queued.
    TooLarge(u32),
    /// Without `MACH_RCV_LARGE`: the message was too large and is
    /// dequeued; the caller reports it and destroys it.
    TooLargeTaken(KBox<Kmsg>, u32, u64),
}

/// The time a caller may wait: `None` for ever.
pub(crate) type Timeout = Option<Jiffies>;

/// Sleeps once on `cv` (releasing `guard`'s lock meanwhile) and accounts
/// the time slept against `timeout`. A signal gives `interrupted`; an
/// expired timeout leaves `Some(0)`, so the caller's next check fails.
pub(crate) fn wait_step<T, B: kernel::sync::lock::Backend>(
    cv: &CondVar,
    guard: &mut kernel::sync::lock::Guard<'_, T, B>,
    timeout: &mut Timeout,
    interrupted: MachError,
) -> MachResult {
    match cv.wait_interruptible_timeout(guard, timeout.unwrap_or(Jiffies::MAX)) {
        CondVarTimeoutResult::Signal { .. } => Err(interrupted),
        CondVarTimeoutResult::Timeout => {
            *timeout = Some(0);
            Ok(())
        }
        CondVarTimeoutResult::Woken { jiffies } => {
            if timeout.is_some() {
                *timeout = Some(jiffies);
            }
            Ok(())
        }
    }
}

impl Port {
    /// A new live port whose receive right the caller is about to name,
    /// charged to `quota`: `KERN_RESOURCE_SHORTAGE` if the space or its
    /// user is at its limit (or memory is short).
    pub(crate) fn new(quota: &Arc<Quota>) -> MachResult<Arc<Port>> {
        let mut charge = Charge::empty(quota);
        if !charge.add_port() || !charge.add(PORT_BYTES) {
            return Err(KERN_RESOURCE_SHORTAGE);
        }
        let p = Arc::pin_init(
            pin_init!(Port {
                inner <- new_mutex!(PortInner {
                    active: true,
                    receiver: None,
                    queue: MsgQueue::new(),
                    reserved: 0,
                    qlimit: MACH_PORT_QLIMIT_DEFAULT,
                    seqno: 0,
                    mscount: 0,
                    srights: 0,
                    sorights: 0,
                    context: 0,
                    flags: 0,
                    nsrequest: None,
                    pdrequest: None,
                    dnrequests: KVec::new(),
                    sets: KVec::new(),
                    change_gen: 0,
                    pollers: KVec::new(),
                    kobject: None,
                    sp_armed: false,
                    in_transit_at: None,
                    reap_next: None,
                }, "Port::inner"),
                rcv_wait <- new_condvar!("Port::rcv_wait"),
                snd_wait <- new_condvar!("Port::snd_wait"),
                charge,
            }),
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        stats::PORTS.inc();
        Ok(p)
    }

    /// The account the port is charged to (kernel-made messages to it are
    /// charged there too).
    pub(crate) fn quota(&self) -> &Arc<Quota> {
        self.charge.quota()
    }

    /// A new send right to this port (`KERN_RESOURCE_SHORTAGE` if the
    /// count would overflow).
    pub(crate) fn new_send(self: &Arc<Self>) -> MachResult<Right> {
        self.inner.lock().count_send()?;
        Ok(Right::from_counted(Kind::Send, self.clone()))
    }

    /// Releases one right of `kind` that the kernel held on this port.
    /// With `notify`, a send-once right destroyed unused sends a send-once
    /// notification through itself, as Mach does.
    pub(crate) fn release(self: Arc<Self>, kind: Kind, notify: bool) {
        match kind {
            Kind::Send => {
                let mut g = self.inner.lock();
                g.srights -= 1;
                let ns = if g.srights == 0 && g.active {
                    g.nsrequest.take().map(|r| (r, g.mscount))
                } else {
                    None
                };
                drop(g);
                if let Some((r, mscount)) = ns {
                    r.no_senders(mscount);
                }
            }
            Kind::SendOnce => {
                if notify && self.inner.lock().active {
                    // The notification message consumes this very right.
                    notify::send_once(Right::from_counted(Kind::SendOnce, self));
                } else {
                    self.inner.lock().sorights -= 1;
                }
            }
            Kind::Receive => self.destroy(),
        }
    }

    /// The receive right is gone: the port dies (or, with a port-destroyed
    /// request, travels to the requester in a notification). Ports whose
    /// receive rights die as a consequence are destroyed by the same
    /// task's reaper (`reap.rs`), never by recursion.
    fn destroy(self: Arc<Self>) {
        crate::reap::destroy(self);
    }

    /// Links this port into a reaper's list; returns the previous link.
    pub(crate) fn set_reap_next(&self, next: Option<Arc<Port>>) -> Option<Arc<Port>> {
        core::mem::replace(&mut self.inner.lock().reap_next, next)
    }

    /// Destroys this port alone and the messages that were queued on it;
    /// receive rights they carry go to the reaper (`reap.rs`).
    pub(crate) fn destroy_one(self: Arc<Self>) {
        let mut g = self.inner.lock();
        g.receiver = None;
        if let Some(pd) = g.pdrequest.take() {
            // The receive right travels on; it arrives as if new
            // (XNU's ipc_port_clear_receiver): out of its sets, counters
            // and context cleared, unguarded.
            g.change_gen = g.change_gen.wrapping_add(1);
            g.mscount = 0;
            g.seqno = 0;
            g.context = 0;
            g.flags &= !(MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
            let sets = core::mem::take(&mut g.sets);
            wake_pollers(&g.pollers);
            drop(g);
            for s in sets.iter() {
                s.forget_member(&self);
            }
            drop(sets);
            self.rcv_wait.notify_all();
            pd.port_destroyed(Right::from_counted(Kind::Receive, self));
            return;
        }
        g.active = false;
        let transit = g.in_transit_at.take();
        let kobject = g.kobject.take();
        let msgs = g.queue.take_all();
        let ns = g.nsrequest.take();
        let dn = core::mem::take(&mut g.dnrequests);
        let sets = core::mem::take(&mut g.sets);
        wake_pollers(&g.pollers);
        drop(g);
        self.rcv_wait.notify_all();
        self.snd_wait.notify_all();
        for s in sets.iter() {
            s.forget_member(&self);
        }
        drop(sets);
        for req in dn {
            req.notify.dead_name(req.name);
        }
        drop(ns);
        drop(kobject);
        drop(transit);
        drop(msgs);
    }

    /// Waits until the queue has room for a message that counts against
    /// the queue limit, and reserves it. A dead port needs no room.
    pub(crate) fn reserve_slot(&self, mut timeout: Timeout) -> MachResult<bool> {
        let mut g = self.inner.lock();
        loop {
            if !g.active {
                return Ok(false);
            }
            if (g.queue.len() as u32) + g.reserved < g.qlimit {
                g.reserved += 1;
                return Ok(true);
            }
            if timeout == Some(0) {
                return Err(self.leave_send_wait(&g, MACH_SEND_TIMED_OUT));
            }
            if let Err(e) = wait_step(&self.snd_wait, &mut g, &mut timeout, MACH_SEND_INTERRUPTED) {
                return Err(self.leave_send_wait(&g, e));
            }
        }
    }

    /// A blocked sender gives up (timeout, signal). If a wakeup meant for
    /// it made room it will not use, the next blocked sender gets it, as
    /// XNU hands a wakeup on to the next waiter.
    fn leave_send_wait(&self, g: &PortInner, e: MachError) -> MachError {
        if (g.queue.len() as u32) + g.reserved < g.qlimit {
            self.snd_wait.notify_one();
        }
        e
    }

    /// A blocked receiver gives up without a message (timeout, signal, the
    /// port changed): a message it was woken for goes to the next receiver.
    fn leave_receive_wait(&self, g: &PortInner, e: MachError) -> MachError {
        if !g.queue.is_empty() {
            self.rcv_wait.notify_one();
        }
        e
    }

    /// Reserves a queue slot if one is free: `Some(true)` reserved,
    /// `Some(false)` the port is dead (no slot needed), `None` full.
    pub(crate) fn try_reserve_slot(&self) -> Option<bool> {
        let mut g = self.inner.lock();
        if !g.active {
            return Some(false);
        }
        if (g.queue.len() as u32) + g.reserved < g.qlimit {
            g.reserved += 1;
            return Some(true);
        }
        None
    }

    /// Gives back a reservation that will not be used.
    pub(crate) fn unreserve_slot(&self) {
        let mut g = self.inner.lock();
        g.reserved -= 1;
        drop(g);
        self.snd_wait.notify_one();
    }

    /// Whether queueing `kmsg` here would make a cycle of ports in transit
    /// (XNU's `ipc_port_check_circularity`): the message carries the
    /// receive right of this port, or of a port that this port is (through
    /// a chain of messages) in transit to.
    fn is_circular(self: &Arc<Self>, kmsg: &Kmsg) -> bool {
        let mut cur = self.clone();
        for _ in 0..MAX_TRANSIT_CHAIN {
            if kmsg.carries_receive_of(&cur) {
                return true;
            }
            let next = {
                let g = cur.inner.lock();
                if g.receiver.is_some() || !g.active {
                    return false;
                }
                g.in_transit_at.clone()
            };
            match next {
                Some(n) => cur = n,
                None => return false,
            }
        }
        // A chain this long is treated as circular rather than walked on.
        true
    }

    /// Records, for each receive right `kmsg` carries, that it is in
    /// transit at this port.
    fn note_in_transit(self: &Arc<Self>, kmsg: &Kmsg) {
        kmsg.for_each_receive(|p| {
            let mut g = p.inner.lock();
            if g.receiver.is_none() {
                g.in_transit_at = Some(self.clone());
            }
        });
    }

    /// Queues a message. On a dead port the message is destroyed (Mach
    /// reports success to a sender whose destination died in flight).
    pub(crate) fn enqueue(self: &Arc<Self>, kmsg: KBox<Kmsg>, reserved: bool) {
        self.enqueue_from(kmsg, reserved, false)
    }

    /// [`Port::enqueue`] for a sender that is about to block in a receive
    /// itself when `handoff` is set (`mach_msg` with both `MACH_SEND_MSG`
    /// and `MACH_RCV_MSG`, the RPC path): the woken receiver is hinted to
    /// run on this CPU, as pipes and binder wake their readers, instead of
    /// being sent to another CPU that must first wake up.
    pub(crate) fn enqueue_from(
        self: &Arc<Self>,
        mut kmsg: KBox<Kmsg>,
        reserved: bool,
        handoff: bool,
    ) {
        let carries = kmsg.has_receive_rights();
        // The circularity check, the in-transit marks and the enqueue are
        // one step for messages that carry receive rights (XNU's
        // `ipc_port_multiple_lock`): two such sends racing could otherwise
        // each pass the check and queue two ports in each other, a cycle
        // no one could ever receive or destroy.
        let transit = if carries { Some(TRANSIT.lock()) } else { None };
        if carries && self.is_circular(&kmsg) {
            // A receive right queued on its own port, or on a port that is
            // in transit to it, could never be received: such a circular
            // message is destroyed (its ports with it), as XNU does, and
            // the sender sees success. This also covers a port-destroyed
            // notification sent to the dying port itself.
            if reserved {
                self.unreserve_slot();
            }
            drop(transit);
            drop(kmsg);
            return;
        }
        if carries {
            // Before the message can be received (which clears it), and
            // without holding this port's lock (one port lock at a time).
            self.note_in_transit(&kmsg);
        }
        let mut g = self.inner.lock();
        if reserved {
            g.reserved -= 1;
        }
        if !g.active {
            drop(g);
            drop(transit);
            drop(kmsg);
            return;
        }
        if let Some(space) = g.kobject.clone() {
            drop(g);
            drop(transit);
            crate::kobject::serve(&space, kmsg);
            return;
        }
        if g.queue.reserve_one().is_err() {
            drop(g);
            drop(transit);
            // Out of memory: the message is lost, but a send-once
            // destination must not bounce back here for ever.
            if let Some(d) = kmsg.dest.take() {
                d.consume_delivered();
            }
            drop(kmsg);
            return;
        }
        let was_empty = g.queue.is_empty();
        if let Err(k) = g.queue.push(kmsg) {
            drop(g);
            drop(transit);
            drop(k);
            return;
        }
        let mut sets = KVec::new();
        if was_empty {
            for s in g.sets.iter() {
                if sets.push(s.clone(), GFP_KERNEL).is_err() {
                    // Out of memory: this set hears of it now, under the
                    // port lock (the lock order allows it).
                    s.member_ready(self, false);
                }
            }
        }
        wake_pollers(&g.pollers);
        drop(g);
        drop(transit);
        if handoff {
            self.rcv_wait.notify_sync();
        } else {
            self.rcv_wait.notify_one();
        }
        for s in sets.iter() {
            s.member_ready(self, handoff);
        }
    }

    /// Takes out the armed send-possible requests if the queue has room,
    /// for firing once the lock is dropped.
    pub(crate) fn take_send_possible(g: &mut PortInner) -> KVec<DeadNameRequest> {
        let mut out = KVec::new();
        if !g.sp_armed || (g.queue.len() as u32) + g.reserved >= g.qlimit {
            return out;
        }
        let mut i = 0;
        while i < g.dnrequests.len() {
            if g.dnrequests[i].send_possible && out.reserve(1, GFP_KERNEL_ACCOUNT).is_ok() {
                if let Ok(r) = g.dnrequests.remove(i) {
                    let _ = out.push_within_capacity(r);
                }
            } else {
                i += 1;
            }
        }
        g.sp_armed = g.dnrequests.iter().any(|r| r.send_possible);
        out
    }

    /// Fires send-possible requests taken out by `take_send_possible`; the
    /// names lose their request marker.
    pub(crate) fn fire_send_possible(self: &Arc<Self>, reqs: KVec<DeadNameRequest>) {
        for r in reqs.into_iter() {
            crate::task::request_fired(r.space, r.name, self);
            r.notify.send_possible(r.name);
        }
    }

    /// Takes the first message if there is one and space `space` holds the
    /// receive right, applying the receive size rules. `None`: the queue
    /// is empty or the right is not `space`'s.
    pub(crate) fn try_receive(
        &self,
        g: &mut PortInner,
        space: u64,
        rcv_size: usize,
        trailer: usize,
        large: bool,
    ) -> Option<Received> {
        if !g.held_by(space) {
            return None;
        }
        let needed = g.queue.front()?.size as usize + trailer;
        if rcv_size < needed && large {
            return Some(Received::TooLarge(g.queue.front()?.size));
        }
        let m = g.queue.pop()?;
        let seqno = g.seqno;
        g.seqno = g.seqno.wrapping_add(1);
        let ctx = g.context;
        self.snd_wait.notify_one();
        if rcv_size < needed {
            Some(Received::TooLargeTaken(m, seqno, ctx))
        } else {
            Some(Received::Msg(m, seqno, ctx))
        }
    }

    /// Receives from this port on behalf of space `space`, waiting up to
    /// `timeout`. `MACH_RCV_PORT_CHANGED` once `space` no longer holds the
    /// receive right.
    pub(crate) fn receive(
        self: &Arc<Self>,
        space: u64,
        rcv_size: usize,
        trailer: usize,
        large: bool,
        mut timeout: Timeout,
    ) -> MachResult<Received> {
        let mut g = self.inner.lock();
        let gen = g.change_gen;
        loop {
            // XNU wakes receivers of a port that dies or leaves the space
            // with THREAD_RESTART, which mach_msg reports as PORT_CHANGED.
            // The right may also have moved on to another space before
            // this receiver got here, so the holder is checked, not just
            // whether the right is in transit.
            if !g.held_by(space) || g.change_gen != gen {
                return Err(self.leave_receive_wait(&g, MACH_RCV_PORT_CHANGED));
            }
            if let Some(r) = self.try_receive(&mut g, space, rcv_size, trailer, large) {
                let sp = Self::take_send_possible(&mut g);
                drop(g);
                if !sp.is_empty() {
                    self.fire_send_possible(sp);
                }
                return Ok(r);
            }
            if timeout == Some(0) {
                return Err(self.leave_receive_wait(&g, MACH_RCV_TIMED_OUT));
            }
            if let Err(e) = wait_step(&self.rcv_wait, &mut g, &mut timeout, MACH_RCV_INTERRUPTED) {
                return Err(self.leave_receive_wait(&g, e));
            }
        }
    }

    /// Wakes receivers blocked on this port so they notice a change (the
    /// port joined a set).
    pub(crate) fn wake_receivers(&self) {
        self.rcv_wait.notify_all();
    }

    /// Wakes senders blocked by the queue limit (the limit was raised).
    pub(crate) fn wake_senders(&self) {
        self.snd_wait.notify_all();
    }

    /// Whether a receive would find a message (for poll).
    pub(crate) fn has_message(&self) -> bool {
        !self.inner.lock().queue.is_empty()
    }
}

#[pinned_drop]
impl PinnedDrop for Port {
    fn drop(self: Pin<&mut Self>) {
        stats::PORTS.dec();
    }
}
