// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! A Mach port (XNU's `ipc_port`): its message queue, its right counts and
//! notification requests, and the waiting of receivers and of senders
//! blocked by the queue limit.
//!
//! The port is part of the object core: it knows nothing of spaces, tasks,
//! descriptors or `mach_msg`. What it must reach above it, it reaches
//! through neutral hooks: a request's [`RequestOwner`], the descriptors'
//! [`PollWaiters`]. The lock order is in the crate root (`machipc_main.rs`).

use core::sync::atomic::{
    AtomicBool, AtomicU32,
    Ordering::{Acquire, Relaxed, Release},
};
use kernel::prelude::*;
use kernel::sync::poll::PollCondVar;
use kernel::sync::{Arc, CondVar, CondVarTimeoutResult, SpinLockGuard};
use kernel::time::Jiffies;
use kernel::{new_condvar, new_poll_condvar, new_spinlock};

use crate::error::*;
use crate::kmsg::{Kmsg, KmsgBox};
use crate::lazy_vec::LazyVec;
use crate::limits::{Charge, Quota};
use crate::lock_count::{Counted, CountedSpinLock};
use crate::mqueue::MsgQueue;
use crate::notify;
use crate::port_set::PortSet;
use crate::rights::{Kind, Right};
use crate::stats::{self, LockClass};

kernel::sync::global_lock! {
    // SAFETY: `init` is called in the module initializer, before any port
    // exists.
    /// Serializes sends of messages that carry receive rights: see
    /// [`Port::enqueue_from`]. Taken before any `Port::inner` (see the lock
    /// order in the crate root).
    pub(crate) unsafe(uninit) static TRANSIT: Mutex<()> = ();
}

pub(crate) const MACH_PORT_QLIMIT_DEFAULT: u32 = 5;
/// How far the circularity check follows ports in transit.
const MAX_TRANSIT_CHAIN: usize = 4096;
pub(crate) const MACH_PORT_QLIMIT_MAX: u32 = 1024;
pub(crate) const MACH_PORT_STATUS_FLAG_GUARDED: u32 = 0x02;
pub(crate) const MACH_PORT_STATUS_FLAG_STRICT_GUARD: u32 = 0x04;
pub(crate) const MACH_PORT_STATUS_FLAG_TEMPOWNER: u32 = 0x01;
pub(crate) const MACH_PORT_STATUS_FLAG_IMP_DONATION: u32 = 0x08;
/// Kept in `PortInner::flags` whether or not the port is guarded (the bit
/// is sticky, as XNU's `ip_immovable_receive`); reported only with a guard.
pub(crate) const MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE: u32 = 0x40;
/// `mach_port_guard_with_flags` flags.
pub(crate) const MPG_STRICT: u64 = 0x01;
pub(crate) const MPG_IMMOVABLE_RECEIVE: u64 = 0x02;
/// What a port costs its space's quota: the port and the ring its queue
/// keeps when empty (`mqueue.rs`).
const PORT_BYTES: usize = core::mem::size_of::<Port>()
    + crate::mqueue::RING_MIN * core::mem::size_of::<Option<KmsgBox>>();

/// The space a dead-name or send-possible request was made from, as the
/// port layer sees it: a neutral hook that `space.rs` implements, so the
/// port reaches that space without knowing what a space is.
pub(crate) trait RequestOwner: Send + Sync {
    /// The id of the space (what [`Port::cancel_dead_name`] matches).
    fn id(&self) -> u64;
    /// A send-possible request made under `name` for `port` has fired:
    /// the name no longer shows a request. Called with no lock held.
    fn request_fired(&self, name: u32, port: &Arc<Port>);
}

/// A dead-name request registered by a holder of a send or send-once right.
pub(crate) struct DeadNameRequest {
    /// The space the request was made on.
    owner: Arc<dyn RequestOwner>,
    /// The name in that space.
    name: u32,
    /// Where the notification goes, with its reserved buffer.
    notify: notify::Request,
    /// An armed send-possible request: it also fires when the queue has
    /// room again (a dead-name notification if the port dies first).
    send_possible: bool,
}

/// Descriptors waiting on a port or set (`machipc_port_fd`), kept by the
/// port layer without knowing what a descriptor is: each waiter is a poll
/// wait queue woken when a message arrives or the right changes.
#[pin_data]
pub(crate) struct PollWaiter {
    #[pin]
    cv: PollCondVar,
}

impl PollWaiter {
    /// A new waiter, not yet on any list.
    pub(crate) fn new() -> Result<Arc<PollWaiter>> {
        Arc::pin_init(
            pin_init!(PollWaiter { cv <- new_poll_condvar!("PollWaiter::cv") }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The wait queue a `poll` registers on.
    pub(crate) fn cv(&self) -> &PollCondVar {
        &self.cv
    }
}

/// The waiters of one port or set, under that object's lock.
pub(crate) struct PollWaiters {
    list: KVec<Arc<PollWaiter>>,
}

impl PollWaiters {
    pub(crate) const fn new() -> Self {
        PollWaiters { list: KVec::new() }
    }

    /// Wakes every waiter.
    pub(crate) fn wake(&self) {
        for w in self.list.iter() {
            w.cv.notify_all();
        }
    }

    /// Removes `w`. The entry removed is a clone of `w`, which the caller
    /// holds: dropping it under the object's lock never frees the waiter.
    pub(crate) fn remove(&mut self, w: &Arc<PollWaiter>) {
        self.list.retain(|p| !Arc::ptr_eq(p, w));
    }

    pub(crate) fn list(&mut self) -> &mut KVec<Arc<PollWaiter>> {
        &mut self.list
    }
}

/// Pushes `x` on the vector `field` picks out of the data `lock` protects,
/// allocating only while the lock is not held: if the vector is full, a
/// larger one is allocated unlocked and swapped in under the lock (the old
/// one freed after it), and the attempt starts over if the vector changed
/// meanwhile. Gives `x` back if memory is short.
pub(crate) fn push_unlocked<T: Unpin, U, B: kernel::sync::lock::Backend>(
    lock: &Counted<T, B>,
    field: impl Fn(&mut T) -> &mut KVec<U>,
    x: U,
) -> core::result::Result<(), U> {
    let mut spare = KVec::new();
    loop {
        let mut g = lock.lock();
        let v = field(&mut g);
        if make_room(v, &mut spare) {
            let r = v.push_within_capacity(x).map_err(|e| e.0);
            drop(g);
            // The old (now empty) vector is freed after the lock.
            drop(spare);
            return r;
        }
        let want = grown(v);
        drop(g);
        spare = match KVec::with_capacity(want, GFP_KERNEL_ACCOUNT) {
            Ok(v) => v,
            Err(_) => return Err(x),
        };
    }
}

/// Whether `v` has room for one more element, after moving its elements
/// into `spare` (allocated unlocked by the caller) if `v` is full and
/// `spare` is larger; the two are then swapped. Never allocates.
pub(crate) fn make_room<U>(v: &mut KVec<U>, spare: &mut KVec<U>) -> bool {
    room_for(v, spare, v.len() + 1)
}

/// Whether `v` has a capacity of at least `total`, after moving its
/// elements into `spare` (allocated unlocked by the caller) if `v` is too
/// small and `spare` is large enough; the two are then swapped. Never
/// allocates.
pub(crate) fn room_for<U>(v: &mut KVec<U>, spare: &mut KVec<U>, total: usize) -> bool {
    if v.capacity() < total && spare.capacity() >= total.max(v.len()) && spare.is_empty() {
        for e in v.drain_all() {
            // Cannot fail: `spare` holds at least as much as `v` did.
            let _ = spare.push_within_capacity(e);
        }
        core::mem::swap(v, spare);
    }
    v.capacity() >= total
}

/// The capacity to allocate when `v` is full.
pub(crate) fn grown<U>(v: &KVec<U>) -> usize {
    (2 * v.len()).max(4)
}

/// What `mach_port_get_attributes(MACH_PORT_RECEIVE_STATUS)` reports.
pub(crate) struct Status {
    pub(crate) in_set: bool,
    pub(crate) seqno: u32,
    pub(crate) mscount: u32,
    pub(crate) qlimit: u32,
    pub(crate) msgcount: u32,
    pub(crate) sorights: u32,
    pub(crate) srights: bool,
    pub(crate) pdrequest: bool,
    pub(crate) nsrequest: bool,
    pub(crate) flags: u32,
    pub(crate) dnrequests: u32,
}

/// The state of a port protected by its lock.
///
/// # Invariants
///
/// - `active` goes from true to false once, when the receive right dies;
///   a dead port has no `receiver`, no `sets`, an empty queue, no
///   notification requests, no `kobject` and no `death_watch`.
/// - `receiver` is `Some` exactly while a space names the receive right;
///   `in_transit_at` is `Some` only while it is `None` (in a message).
/// - `queue.len()` may exceed `qlimit` only through messages that do not
///   count against the limit (send-once destinations, kernel messages).
/// - `sp_armed` is true iff some entry of `dnrequests` has `send_possible`.
/// - Every set in `sets` lists this port among its members, or is about to
///   list it (`PortSet::add_member` joins the port first) or to drop it
///   (`PortSet::forget_member` runs right after it leaves `sets`).
struct PortInner {
    /// False once the receive right is destroyed (the port is dead).
    active: bool,
    /// The space id and name of the receive right; `None` in transit.
    receiver: Option<(u64, u32)>,
    queue: MsgQueue,
    qlimit: u32,
    seqno: u32,
    mscount: u32,
    context: u64,
    flags: u32,
    nsrequest: Option<notify::Request>,
    pdrequest: Option<notify::Request>,
    dnrequests: KVec<DeadNameRequest>,
    /// The port sets this port is a member of.
    sets: KVec<Arc<PortSet>>,
    /// Bumped when the port joins a set, so blocked receivers learn of it.
    change_gen: u32,
    /// Descriptors polling this port (`machipc_port_fd`).
    pollers: PollWaiters,
    /// Some request in `dnrequests` is an armed send-possible request.
    sp_armed: bool,
    /// While the receive right is in transit: the port whose queue holds
    /// the message carrying it (for the circularity check).
    in_transit_at: Option<Arc<Port>>,
    /// For a kernel-owned port (a task port): the object it stands for.
    /// Messages to such a port are served by the kernel. Cleared when the
    /// port dies, which breaks the object → port → object cycle.
    kobject: Option<Arc<dyn KernelObject>>,
    /// Who learns that the port died (a bootstrap registry holding a name
    /// for it); taken when it dies, as `kobject`.
    death_watch: Option<Arc<dyn DeathWatch>>,
    /// The next port on the list of the reaper destroying this one.
    reap_next: Option<Arc<Port>>,
    /// Receivers asleep on `Port::rcv_wait` and senders asleep on
    /// `Port::snd_wait`: a wakeup that finds none is skipped (the message
    /// path would otherwise lock and walk an empty wait queue for each
    /// message). Counted up before the sleep and down after it, under
    /// this lock, which a sleeper holds until it is on the wait queue.
    rcv_waiters: u32,
    snd_waiters: u32,
}

/// Adds one to the right count `c` if it is at least `min` already:
/// `Ok(false)` if it is below (the caller counts under the port lock),
/// `KERN_RESOURCE_SHORTAGE` at `u32::MAX` (XNU panics there; the right is
/// refused).
fn count_up_from(c: &AtomicU32, min: u32) -> MachResult<bool> {
    let mut old = c.load(Relaxed);
    loop {
        if old < min {
            return Ok(false);
        }
        let new = old.checked_add(1).ok_or(KERN_RESOURCE_SHORTAGE)?;
        match c.compare_exchange(old, new, Relaxed, Relaxed) {
            Ok(_) => return Ok(true),
            Err(cur) => old = cur,
        }
    }
}

/// Takes one off the right count `c` unless that would leave it at zero:
/// `false` if it is 1 (the last right goes under the port lock, where
/// the no-senders request is looked at).
fn count_down_unless_last(c: &AtomicU32) -> bool {
    let mut old = c.load(Relaxed);
    while old > 1 {
        match c.compare_exchange(old, old - 1, Relaxed, Relaxed) {
            Ok(_) => return true,
            Err(cur) => old = cur,
        }
    }
    false
}

impl PortInner {
    /// The receive right arrived in space `space` under `name`.
    fn set_receiver(&mut self, space: u64, name: u32) {
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

    /// Whether a message that counts against the queue limit would fit now.
    fn has_room(&self) -> bool {
        (self.queue.len() as u32) < self.qlimit
    }
}

/// A Mach port.
///
/// `Port` holds what never changes after creation (its charge) and the wait
/// queues; [`PortInner`] holds what `inner` protects.
///
/// # Invariants
///
/// - `charge` holds the port's memory and one port on its user's count
///   for as long as the port exists, in a space or in transit.
/// - Receivers sleep on `rcv_wait` and senders blocked by the queue limit on
///   `snd_wait`, both with `inner` held: every change that may let one of
///   them on (a message queued, a slot freed, the limit raised, the port
///   dead or moved) notifies the matching queue after the change is made
///   under `inner`. A message queued or a slot freed notifies only if
///   `inner.rcv_waiters` or `inner.snd_waiters`, read under that lock,
///   says someone sleeps there.
/// - `dead` is `!inner.active`, stored under `inner` right after `active`
///   turns false: readers that need no lock (the dead-name check of every
///   name a message uses) read it instead.
/// - `srights` is the number of send rights to the port: the [`Right`]s of
///   kind `Send` and the space entries holding a send right (each entry
///   counts one, whatever its user references). `sorights` likewise for
///   send-once rights. Only this file changes them ([`Port::make_send`],
///   [`Port::copy_send`], [`Port::make_send_once`], the releases).
/// - `srights` goes from 0 to 1 and from 1 to 0 only under `inner` (where
///   `mscount` and the no-senders request are); between, a holder of a
///   send right counts more or fewer without the lock, since its own
///   right keeps the count above zero (XNU's `ip_srights`, here atomic).
///
/// The four atomics are `core` atomics: every message reads or updates a
/// few of them, each of the kernel's `Atomic` operations is two calls out
/// of the module, and a `core` one the single instruction the kernel's C
/// helper would run, with the same ordering.
#[pin_data(PinnedDrop)]
pub(crate) struct Port {
    #[pin]
    inner: CountedSpinLock<PortInner>,
    /// Receivers blocked on this port.
    #[pin]
    rcv_wait: CondVar,
    /// Senders blocked by the queue limit, woken in FIFO order.
    #[pin]
    snd_wait: CondVar,
    /// The port on the account of the space that made it (its memory and
    /// one port on the user's count), given back when the port is freed.
    charge: Charge,
    /// Set once, before the port is published, for a port the kernel
    /// serves ([`Port::set_kobject`]); never cleared, so senders read it
    /// without the lock.
    kernel_owned: AtomicBool,
    /// The port is dead (see the invariants).
    dead: AtomicBool,
    /// Send rights to the port (see the invariants).
    srights: AtomicU32,
    /// Send-once rights to the port.
    sorights: AtomicU32,
}

/// What a receive attempt found.
pub(crate) enum Received {
    /// A message, its sequence number and the port's context.
    Msg(KmsgBox, Dequeued),
    /// With `MACH_RCV_LARGE`: the first message needs this many bytes
    /// (without trailer); it stays queued. Also the receive right's name.
    TooLarge(u32, u32),
    /// Without `MACH_RCV_LARGE`: the message was too large and is
    /// dequeued; the caller reports it and destroys it.
    TooLargeTaken(KmsgBox, Dequeued),
}

/// What the port told of a message as it was dequeued, under the same
/// lock: the trailer's sequence number and context, and the name of the
/// receive right in the receiver's space (the receiver's
/// `msgh_local_port`).
#[derive(Clone, Copy)]
pub(crate) struct Dequeued {
    pub(crate) seqno: u32,
    pub(crate) context: u64,
    pub(crate) local: u32,
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
    stats::count_wait();
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

/// What a kernel-owned port stands for (XNU's `ip_kobject`). The layers
/// above the object core implement it (a task's space, in `kobject.rs`),
/// so a port never names them.
pub(crate) trait KernelObject: Send + Sync {
    /// Serves `request`, a message sent to the object's port, and releases
    /// it with every right it still carries.
    fn serve(&self, request: KmsgBox);
    /// The object itself, for a caller that knows its type.
    fn as_any(&self) -> &dyn core::any::Any;
    /// The port died (XNU's `iko_op_destroy`): called once, with no lock
    /// held, before the port lets go of the object.
    fn destroyed(&self) {}
    /// The last send right to the kernel-served port went (XNU's
    /// `iko_op_no_senders`): called with no lock held. A port no send
    /// right can ever reach again may destroy itself here.
    fn no_senders(&self) {}
}

/// A kernel service that keeps a send right to a port and must learn when
/// the port dies (the bootstrap registry frees the port's name): a neutral
/// hook, so the port never names what watches it.
pub(crate) trait DeathWatch: Send + Sync {
    /// The port died. Called once, with no lock held, possibly from a
    /// context that must not sleep.
    fn port_died(&self, port: &Port);
}

/// Wakes one receiver waiting on `cv`. With `handoff` (the sender receives
/// next) the woken receiver may take the waker's CPU (`wake_up_sync`).
pub(crate) fn wake_receiver(cv: &CondVar, handoff: bool) {
    if handoff {
        cv.notify_sync();
    } else {
        cv.notify_one();
    }
}

impl Port {
    /// A new live port whose receive right the caller is about to name,
    /// charged to `quota`: `KERN_NO_SPACE` if the space's quota has no
    /// room for it (the space is full: [`Quota::space_full`]),
    /// `KERN_RESOURCE_SHORTAGE` if its user is at a limit (or memory is
    /// short).
    pub(crate) fn new(quota: &Arc<Quota>) -> MachResult<Arc<Port>> {
        let mut charge = Charge::empty(quota);
        if !charge.add_port() {
            return Err(KERN_RESOURCE_SHORTAGE);
        }
        charge.add_object(PORT_BYTES)?;
        let p = Arc::pin_init(
            pin_init!(Port {
                inner <- Counted::new(LockClass::Port, new_spinlock!(PortInner {
                    active: true,
                    receiver: None,
                    queue: MsgQueue::new(),
                    qlimit: MACH_PORT_QLIMIT_DEFAULT,
                    seqno: 0,
                    mscount: 0,
                    context: 0,
                    flags: 0,
                    nsrequest: None,
                    pdrequest: None,
                    dnrequests: KVec::new(),
                    sets: KVec::new(),
                    change_gen: 0,
                    pollers: PollWaiters::new(),
                    kobject: None,
                    death_watch: None,
                    sp_armed: false,
                    in_transit_at: None,
                    reap_next: None,
                    rcv_waiters: 0,
                    snd_waiters: 0,
                }, "Port::inner")),
                rcv_wait <- new_condvar!("Port::rcv_wait"),
                snd_wait <- new_condvar!("Port::snd_wait"),
                charge,
                kernel_owned: AtomicBool::new(false),
                dead: AtomicBool::new(false),
                srights: AtomicU32::new(0),
                sorights: AtomicU32::new(0),
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

    /// A new send right made from the receive right (XNU's
    /// `ipc_port_make_send_any_locked`): the make-send count advances.
    /// `KERN_RESOURCE_SHORTAGE` if the send count would overflow.
    pub(crate) fn make_send(self: &Arc<Self>) -> MachResult<Right> {
        let mut g = self.inner.lock();
        self.count_send_locked(&g)?;
        g.mscount = g.mscount.wrapping_add(1);
        drop(g);
        Ok(Right::from_counted(Kind::Send, self.clone()))
    }

    /// Counts one more send right, with `inner` held (`_g`): the only way
    /// the count leaves zero.
    fn count_send_locked(&self, _g: &PortInner) -> MachResult {
        count_up_from(&self.srights, 0).map(|_| ())
    }

    /// Counts one more send right without the lock if one exists already
    /// (the caller's), else under it.
    fn count_send(&self) -> MachResult {
        if count_up_from(&self.srights, 1)? {
            return Ok(());
        }
        let g = self.inner.lock();
        self.count_send_locked(&g)
    }

    /// A new send-once right made from the receive right (XNU's
    /// `ipc_port_make_sonce_locked`). Send-once rights fire no
    /// notification when their count reaches zero: counted without the
    /// lock.
    pub(crate) fn make_send_once(self: &Arc<Self>) -> MachResult<Right> {
        count_up_from(&self.sorights, 0)?;
        Ok(Right::from_counted(Kind::SendOnce, self.clone()))
    }

    /// A copy of a send right the caller holds (XNU's
    /// `ipc_port_copy_send_any`); the make-send count stays.
    pub(crate) fn copy_send(self: &Arc<Self>) -> MachResult<Right> {
        self.count_send()?;
        Ok(Right::from_counted(Kind::Send, self.clone()))
    }

    /// [`Port::copy_send`] for a port that must be alive: `None` if it is
    /// dead.
    pub(crate) fn copy_send_live(self: &Arc<Self>) -> MachResult<Option<Right>> {
        if !self.is_active() {
            return Ok(None);
        }
        self.copy_send().map(Some)
    }

    /// The id of the space that holds the receive right now, if any.
    pub(crate) fn receiver_space(&self) -> Option<u64> {
        self.inner.lock().receiver.map(|(s, _)| s)
    }

    /// The number of send rights (`mach_port_get_srights`).
    pub(crate) fn send_rights(&self) -> u32 {
        self.srights.load(Relaxed)
    }

    /// Gives back a send right; the last one of a live port fires its
    /// no-senders request.
    fn release_send(&self) {
        if count_down_unless_last(&self.srights) {
            return;
        }
        let mut g = self.inner.lock();
        let left = self.srights.fetch_sub(1, Relaxed) - 1;
        let (ns, kobject) = if left == 0 && g.active {
            let kobject = if self.is_kernel_owned() {
                g.kobject.clone()
            } else {
                None
            };
            (g.nsrequest.take().map(|r| (r, g.mscount)), kobject)
        } else {
            (None, None)
        };
        drop(g);
        if let Some((r, mscount)) = ns {
            r.no_senders(mscount);
        }
        if let Some(k) = kobject {
            k.no_senders();
        }
    }

    /// Gives back one right of `kind` (called by [`Right`] alone, when it
    /// is dropped or consumed). With `notify`, a send-once right destroyed
    /// unused sends a send-once notification through itself, as Mach does;
    /// the last send right of a live port fires its no-senders request.
    pub(crate) fn release(self: Arc<Self>, kind: Kind, notify: bool) {
        match kind {
            Kind::Send => self.release_send(),
            Kind::SendOnce => {
                if notify && self.is_active() {
                    // The notification message consumes this very right.
                    notify::send_once(Right::from_counted(Kind::SendOnce, self));
                } else {
                    self.sorights.fetch_sub(1, Relaxed);
                }
            }
            Kind::Receive => self.destroy(),
        }
    }

    /// A space entry's send or send-once right (`kind`) to this port is
    /// given up because the port died (XNU's `ipc_right_check`): `false`,
    /// and nothing changes, if the port is alive.
    pub(crate) fn release_if_dead(&self, kind: Kind) -> bool {
        // A port seen alive here may die the next moment, as it may once
        // the check is done under a lock: the message then meets a dead
        // port and is destroyed. Only a dead port needs the lock.
        if !self.dead.load(Acquire) {
            return false;
        }
        let g = self.inner.lock();
        match kind {
            Kind::Send => self.srights.fetch_sub(1, Relaxed),
            Kind::SendOnce => self.sorights.fetch_sub(1, Relaxed),
            Kind::Receive => 0,
        };
        drop(g);
        true
    }

    /// A space entry's send right turns into a dead name because the
    /// receive right in the same entry is being destroyed: the count goes
    /// without a no-senders notification, the port dying first as in XNU.
    pub(crate) fn release_send_of_dying(&self) {
        let g = self.inner.lock();
        self.srights.fetch_sub(1, Relaxed);
        drop(g);
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
            g.flags &= !(MACH_PORT_STATUS_FLAG_GUARDED
                | MACH_PORT_STATUS_FLAG_STRICT_GUARD
                | MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
            let sets = core::mem::take(&mut g.sets);
            g.pollers.wake();
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
        self.dead.store(true, Release);
        let transit = g.in_transit_at.take();
        let kobject = g.kobject.take();
        let watch = g.death_watch.take();
        let msgs = g.queue.take_all();
        let ns = g.nsrequest.take();
        let dn = core::mem::take(&mut g.dnrequests);
        let sets = core::mem::take(&mut g.sets);
        g.pollers.wake();
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
        if let Some(k) = &kobject {
            k.destroyed();
        }
        drop(kobject);
        if let Some(w) = watch {
            w.port_died(&self);
        }
        drop(transit);
        drop(msgs);
    }

    /// A blocked sender gives up (timeout, signal). If a wakeup meant for
    /// it made room it will not use, the next blocked sender gets it, as
    /// XNU hands a wakeup on to the next waiter.
    fn leave_send_wait(&self, g: &PortInner, e: MachError) -> MachError {
        if g.has_room() && g.snd_waiters != 0 {
            self.snd_wait.notify_one();
        }
        e
    }

    /// A blocked receiver gives up without a message (timeout, signal, the
    /// port changed): a message it was woken for goes to the next receiver.
    fn leave_receive_wait(&self, g: &PortInner, e: MachError) -> MachError {
        if !g.queue.is_empty() && g.rcv_waiters != 0 {
            self.rcv_wait.notify_one();
        }
        e
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
                // A stale mark is released after the lock: nothing is
                // dropped under a port's spinlock that could free a port.
                let old = g.in_transit_at.replace(self.clone());
                drop(g);
                drop(old);
            }
        });
    }

    /// Queues a message the kernel sends (a notification, a reply): exempt
    /// from the queue limit, as XNU's `MACH_SEND_ALWAYS`. On a dead port
    /// the message is destroyed.
    pub(crate) fn enqueue(self: &Arc<Self>, kmsg: KmsgBox) {
        // Cannot fail: no limit, so no wait.
        if let Err((k, _)) = self.send(kmsg, None, false) {
            drop(k);
        }
    }

    /// Queues a message (XNU's `ipc_mqueue_send`). With `limit`, the
    /// message counts against the queue limit: if the queue is full the
    /// sender waits for room up to that long, and gets the message back
    /// with `MACH_SEND_TIMED_OUT` or `MACH_SEND_INTERRUPTED` (to hand it
    /// back as if received). Without, it goes in at once. On a dead port
    /// the message is destroyed (Mach reports success to a sender whose
    /// destination died in flight).
    ///
    /// With `handoff` the sender is about to block in a receive itself
    /// (`mach_msg` with both `MACH_SEND_MSG` and `MACH_RCV_MSG`, the RPC
    /// path): the woken receiver is hinted to run on this CPU, as pipes
    /// and binder wake their readers, instead of being sent to another
    /// CPU that must first wake up.
    pub(crate) fn send(
        self: &Arc<Self>,
        mut kmsg: KmsgBox,
        mut limit: Option<Timeout>,
        handoff: bool,
    ) -> core::result::Result<(), (KmsgBox, MachError)> {
        let carries = kmsg.has_receive_rights();
        loop {
            // The circularity check, the in-transit marks and the enqueue
            // are one step for messages that carry receive rights (XNU's
            // `ipc_port_multiple_lock`): two such sends racing could
            // otherwise each pass the check and queue two ports in each
            // other, a cycle no one could ever receive or destroy.
            let transit = if carries {
                stats::count_lock(LockClass::Transit);
                Some(TRANSIT.lock())
            } else {
                None
            };
            if carries && self.is_circular(&kmsg) {
                // A receive right queued on its own port, or on a port
                // that is in transit to it, could never be received: such
                // a circular message is destroyed (its ports with it), as
                // XNU does, and the sender sees success. This also covers
                // a port-destroyed notification sent to the dying port
                // itself.
                drop(transit);
                drop(kmsg);
                return Ok(());
            }
            if carries {
                // Before the message can be received (which clears it),
                // and without holding this port's lock (one port lock at
                // a time).
                self.note_in_transit(&kmsg);
            }
            let (mut g, room, mut sets) = self.lock_with_sets();
            if !g.active {
                drop(g);
                drop(transit);
                drop(kmsg);
                return Ok(());
            }
            if let Some(timeout) = limit.as_mut() {
                if !g.has_room() {
                    // Wait for room without holding TRANSIT; the checks
                    // above are made again once there is room.
                    drop(transit);
                    if *timeout == Some(0) {
                        return Err((kmsg, self.leave_send_wait(&g, MACH_SEND_TIMED_OUT)));
                    }
                    g.snd_waiters += 1;
                    let r = wait_step(&self.snd_wait, &mut g, timeout, MACH_SEND_INTERRUPTED);
                    g.snd_waiters -= 1;
                    if let Err(e) = r {
                        return Err((kmsg, self.leave_send_wait(&g, e)));
                    }
                    drop(g);
                    drop(sets);
                    continue;
                }
            }
            if !room {
                drop(g);
                drop(transit);
                // Out of memory: the message is lost, but a send-once
                // destination must not bounce back here for ever.
                if let Some(d) = kmsg.dest.take() {
                    d.consume_delivered();
                }
                drop(kmsg);
                return Ok(());
            }
            let was_empty = g.queue.is_empty();
            if let Err(k) = g.queue.push(kmsg) {
                drop(g);
                drop(transit);
                drop(k);
                return Ok(());
            }
            if was_empty {
                for s in g.sets.iter() {
                    if sets.push_within_capacity(s.clone()).is_err() {
                        // Out of memory (the list could not be reserved):
                        // this set hears of it now, under the port lock
                        // (the lock order allows it).
                        s.member_ready(self, false);
                    }
                }
            }
            g.pollers.wake();
            let receivers = g.rcv_waiters != 0;
            drop(g);
            drop(transit);
            if receivers {
                wake_receiver(&self.rcv_wait, handoff);
            }
            for s in sets.iter() {
                s.member_ready(self, handoff);
            }
            return Ok(());
        }
    }

    /// [`Port::lock_for_push`], with a list reserved, before locking, for
    /// the sets to tell if the queue is empty (they hear of the message
    /// after the lock). If the port joined more sets meanwhile, the lock
    /// is dropped and the list grown; if memory is short, the list is left
    /// short and the caller tells the sets it misses under the lock.
    fn lock_with_sets(&self) -> (SpinLockGuard<'_, PortInner>, bool, LazyVec<Arc<PortSet>>) {
        let mut sets = LazyVec::new();
        loop {
            let (g, room) = self.lock_for_push();
            let n = g.sets.len();
            if !room || !g.active || !g.queue.is_empty() || n <= sets.capacity() {
                return (g, room, sets);
            }
            drop(g);
            if sets.reserve(n, GFP_KERNEL_ACCOUNT).is_err() {
                let (g, room) = self.lock_for_push();
                return (g, room, sets);
            }
        }
    }

    /// Locks the port with room in its queue's ring for one more message
    /// (or dead, or a kernel object: no room needed). A full ring grows
    /// with the lock dropped, and the port is locked again; `false` if
    /// memory is short.
    fn lock_for_push(&self) -> (SpinLockGuard<'_, PortInner>, bool) {
        let mut spare = LazyVec::new();
        loop {
            let mut g = self.inner.lock();
            if !g.active || self.is_kernel_owned() || g.queue.make_room(&mut spare) {
                return (g, true);
            }
            let want = g.queue.grown_len();
            drop(g);
            spare = match KVec::with_capacity(want, GFP_KERNEL_ACCOUNT) {
                Ok(v) => v.into(),
                Err(_) => {
                    let mut g = self.inner.lock();
                    let room = g.queue.make_room(&mut LazyVec::new());
                    return (g, room);
                }
            };
        }
    }

    /// Gives back the ring of a queue a burst left mostly empty
    /// ([`MsgQueue::shrunk_len`]): the smaller ring is allocated with the
    /// lock dropped, and the port locked again; the old ring is returned,
    /// for release after the lock. If memory is short, or the queue
    /// changed meanwhile, the ring stays as it is (a later receive tries
    /// again).
    fn shrink_queue<'a>(
        &'a self,
        g: SpinLockGuard<'a, PortInner>,
    ) -> (SpinLockGuard<'a, PortInner>, LazyVec<Option<KmsgBox>>) {
        let Some(want) = g.queue.shrunk_len() else {
            return (g, LazyVec::new());
        };
        drop(g);
        let spare = KVec::with_capacity(want, GFP_KERNEL_ACCOUNT);
        let mut g = self.inner.lock();
        match spare {
            Ok(spare) => {
                let old = g.queue.shrink_into(spare);
                (g, old.into())
            }
            Err(_) => (g, LazyVec::new()),
        }
    }

    /// Takes out the armed send-possible requests if the queue has room,
    /// for firing once the lock is dropped. The list for them is allocated
    /// with the lock dropped (the port is locked again and looked at anew);
    /// if memory is short they stay armed.
    fn take_send_possible<'a>(
        &'a self,
        mut g: SpinLockGuard<'a, PortInner>,
    ) -> (SpinLockGuard<'a, PortInner>, LazyVec<DeadNameRequest>) {
        let mut out = LazyVec::new();
        loop {
            if !g.sp_armed || !g.has_room() {
                return (g, out);
            }
            let n = g.dnrequests.iter().filter(|r| r.send_possible).count();
            if out.capacity() - out.len() >= n {
                break;
            }
            drop(g);
            let more = out.reserve(n, GFP_KERNEL_ACCOUNT);
            g = self.inner.lock();
            if more.is_err() {
                return (g, out);
            }
        }
        let mut i = 0;
        while i < g.dnrequests.len() {
            if g.dnrequests[i].send_possible {
                if let Ok(r) = g.dnrequests.remove(i) {
                    // Cannot fail: room for every armed request was made.
                    if let Err(e) = out.push_within_capacity(r) {
                        drop(e);
                    }
                }
            } else {
                i += 1;
            }
        }
        g.sp_armed = false;
        (g, out)
    }

    /// Fires send-possible requests taken out by `take_send_possible`; the
    /// names lose their request marker.
    fn fire_send_possible(self: &Arc<Self>, mut reqs: LazyVec<DeadNameRequest>) {
        for r in reqs.take().into_iter() {
            r.owner.request_fired(r.name, self);
            r.notify.send_possible(r.name);
        }
    }

    /// Takes the first message if there is one and space `space` holds the
    /// receive right, applying the receive size rules. `None`: the queue
    /// is empty or the right is not `space`'s.
    fn try_receive(
        &self,
        g: &mut PortInner,
        space: u64,
        rcv_size: usize,
        trailer: usize,
        large: bool,
    ) -> Option<Received> {
        let local = match g.receiver {
            Some((s, name)) if g.active && s == space => name,
            _ => return None,
        };
        let needed = g.queue.front()?.size as usize + trailer;
        if rcv_size < needed && large {
            return Some(Received::TooLarge(g.queue.front()?.size, local));
        }
        let mut m = g.queue.pop()?;
        let d = Dequeued {
            seqno: g.seqno,
            context: g.context,
            local,
        };
        g.seqno = g.seqno.wrapping_add(1);
        self.consume_dest(&mut m);
        if g.snd_waiters != 0 {
            self.snd_wait.notify_one();
        }
        if rcv_size < needed {
            Some(Received::TooLargeTaken(m, d))
        } else {
            Some(Received::Msg(m, d))
        }
    }

    /// The destination right of a message just dequeued (with `inner`
    /// held) is used up by its delivery, as XNU's `ipc_object_copyout_dest`
    /// uses it: a send-once right goes without a notification, a send
    /// right that is not the port's last goes at once. The last send right
    /// stays in the message, for the caller to release after the lock
    /// (its no-senders notification needs no lock held).
    fn consume_dest(&self, k: &mut Kmsg) {
        let Some(dest) = k.dest.take() else {
            return;
        };
        if !core::ptr::eq(&**dest.port(), self) {
            // Not reached: a queued message's destination is its port.
            k.dest = Some(dest);
            return;
        }
        match dest.kind() {
            Kind::SendOnce => {
                let (_, port) = dest.into_counted();
                self.sorights.fetch_sub(1, Relaxed);
                // A clone: the caller holds the port.
                drop(port);
            }
            Kind::Send if count_down_unless_last(&self.srights) => {
                let (_, port) = dest.into_counted();
                drop(port);
            }
            _ => k.dest = Some(dest),
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
                if !g.sp_armed && g.queue.shrunk_len().is_none() {
                    // The common case: no ring to shrink, no request armed.
                    return Ok(r);
                }
                let (g, old) = self.shrink_queue(g);
                let (g, sp) = self.take_send_possible(g);
                drop(g);
                drop(old);
                if !sp.is_empty() {
                    self.fire_send_possible(sp);
                }
                return Ok(r);
            }
            if timeout == Some(0) {
                return Err(self.leave_receive_wait(&g, MACH_RCV_TIMED_OUT));
            }
            g.rcv_waiters += 1;
            let r = wait_step(&self.rcv_wait, &mut g, &mut timeout, MACH_RCV_INTERRUPTED);
            g.rcv_waiters -= 1;
            if let Err(e) = r {
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

/// The port's state as the layers above see it. Each method takes the
/// port lock once; none allocates under it.
impl Port {
    /// Whether the receive right still exists.
    pub(crate) fn is_active(&self) -> bool {
        !self.dead.load(Acquire)
    }

    /// The name of the receive right if space `space` holds it.
    pub(crate) fn name_in(&self, space: u64) -> Option<u32> {
        match self.inner.lock().receiver {
            Some((s, name)) if s == space => Some(name),
            _ => None,
        }
    }

    /// Whether the port is alive and space `space` holds its receive right.
    pub(crate) fn held_by(&self, space: u64) -> bool {
        self.inner.lock().held_by(space)
    }

    /// Whether a receive by space `space` would find a message (for poll).
    pub(crate) fn has_message_for(&self, space: u64) -> bool {
        let g = self.inner.lock();
        g.held_by(space) && !g.queue.is_empty()
    }

    /// The receive right arrived in space `space` under `name`.
    pub(crate) fn set_receiver(&self, space: u64, name: u32) {
        self.inner.lock().set_receiver(space, name);
    }

    /// The receive right left its space (into a message): the port leaves
    /// its sets, and its receivers and pollers learn of it.
    pub(crate) fn leave_space(self: &Arc<Self>) {
        let mut g = self.inner.lock();
        g.receiver = None;
        // It arrives as if new (XNU's ipc_port_clear_receiver): make-send
        // count and sequence number zero, unguarded and movable.
        g.mscount = 0;
        g.seqno = 0;
        g.context = 0;
        g.flags &= !(MACH_PORT_STATUS_FLAG_GUARDED
            | MACH_PORT_STATUS_FLAG_STRICT_GUARD
            | MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
        g.change_gen = g.change_gen.wrapping_add(1);
        let sets = core::mem::take(&mut g.sets);
        g.pollers.wake();
        drop(g);
        for s in sets.iter() {
            s.forget_member(self);
        }
        drop(sets);
        self.wake_receivers();
    }

    /// Makes this the port of the kernel object `obj` (a task): messages
    /// to it are served by the kernel.
    pub(crate) fn set_kobject(&self, obj: Arc<dyn KernelObject>) {
        self.kernel_owned.store(true, Relaxed);
        self.inner.lock().kobject = Some(obj);
    }

    /// Makes this the port of the kernel object `obj` whose messages are
    /// queued for the holder of its receive right, not served (XNU's
    /// `ipc_kobject_upgrade_mktimer_locked`: a timer port).
    pub(crate) fn set_kobject_queued(&self, obj: Arc<dyn KernelObject>) {
        self.inner.lock().kobject = Some(obj);
    }

    /// Has `watch` told when the port dies. `false` (and nothing
    /// changes) if the port is dead or another watch is set already.
    pub(crate) fn set_death_watch(&self, watch: Arc<dyn DeathWatch>) -> bool {
        let mut g = self.inner.lock();
        if !g.active || g.death_watch.is_some() {
            return false;
        }
        g.death_watch = Some(watch);
        true
    }

    /// Whether the kernel serves this port (a task port, alive or dead):
    /// `mach_msg` hands messages to it to `kobject.rs`, not to its queue.
    pub(crate) fn is_kernel_owned(&self) -> bool {
        self.kernel_owned.load(Relaxed)
    }

    /// The kernel object this port stands for, while the port lives.
    pub(crate) fn kobject(&self) -> Option<Arc<dyn KernelObject>> {
        self.inner.lock().kobject.clone()
    }

    /// The context a receiver reads (`mach_port_get_context`): hidden (0)
    /// under a strict guard.
    pub(crate) fn user_context(&self) -> u64 {
        let g = self.inner.lock();
        if g.flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD != 0 {
            0
        } else {
            g.context
        }
    }

    /// `mach_port_set_context`: refused under a strict guard.
    pub(crate) fn set_context(&self, context: u64) -> MachResult {
        let mut g = self.inner.lock();
        if g.flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD != 0 {
            return Err(KERN_INVALID_ARGUMENT);
        }
        g.context = context;
        Ok(())
    }

    /// `mach_port_guard_with_flags` (`MPG_*`): the context becomes the
    /// guard. Refused if the port has a context already. An immovable
    /// receive right stays immovable until it leaves the space.
    pub(crate) fn guard(&self, guard: u64, flags: u64) -> MachResult {
        let mut g = self.inner.lock();
        if g.context != 0 {
            return Err(KERN_INVALID_ARGUMENT);
        }
        g.context = guard;
        g.flags &= !MACH_PORT_STATUS_FLAG_STRICT_GUARD;
        g.flags |= MACH_PORT_STATUS_FLAG_GUARDED;
        if flags & MPG_STRICT != 0 {
            g.flags |= MACH_PORT_STATUS_FLAG_STRICT_GUARD;
        }
        if flags & MPG_IMMOVABLE_RECEIVE != 0 {
            g.flags |= MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE;
        }
        Ok(())
    }

    /// `mach_port_swap_guard`: a non-strict guard `old` becomes `new`.
    pub(crate) fn swap_guard(&self, old: u64, new: u64) -> MachResult {
        let mut g = self.inner.lock();
        if g.flags & MACH_PORT_STATUS_FLAG_GUARDED == 0
            || g.flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD != 0
            || g.context != old
        {
            return Err(KERN_INVALID_ARGUMENT);
        }
        g.context = new;
        Ok(())
    }

    /// Makes the receive right immovable without a guard (XNU's
    /// `ip_immovable_receive` on a timer port).
    pub(crate) fn set_immovable_receive(&self) {
        self.inner.lock().flags |= MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE;
    }

    /// Whether the receive right may not leave its space.
    pub(crate) fn is_immovable_receive(&self) -> bool {
        self.inner.lock().flags & MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE != 0
    }

    /// Whether the port is guarded with `context` (or, with
    /// `unguarded_ok`, unguarded while `context` is 0): the check of a
    /// guarded port descriptor's receive right (XNU's
    /// `ipc_right_copyin_check_guard_locked`).
    pub(crate) fn guard_matches(&self, context: u64, unguarded_ok: bool) -> bool {
        let g = self.inner.lock();
        let guarded = g.flags & MACH_PORT_STATUS_FLAG_GUARDED != 0;
        (unguarded_ok && !guarded && context == 0) || (guarded && g.context == context)
    }

    /// Marks the importance flags `mach_port_construct` asked for
    /// (`MACH_PORT_STATUS_FLAG_IMP_DONATION`, `..._TEMPOWNER`).
    pub(crate) fn set_importance(&self, flags: u32) {
        self.inner.lock().flags |= flags;
    }

    /// `mach_port_unguard` with the guard `guard`.
    pub(crate) fn unguard(&self, guard: u64) -> MachResult {
        let mut g = self.inner.lock();
        if g.flags & MACH_PORT_STATUS_FLAG_GUARDED == 0 || g.context != guard {
            return Err(KERN_INVALID_ARGUMENT);
        }
        g.context = 0;
        g.flags &= !(MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
        Ok(())
    }

    /// Whether the receive right is guarded.
    pub(crate) fn is_guarded(&self) -> bool {
        self.inner.lock().flags & MACH_PORT_STATUS_FLAG_GUARDED != 0
    }

    /// Whether the receive right is guarded with a nonzero guard (which
    /// `mach_port_destroy` may not override).
    pub(crate) fn has_guard_value(&self) -> bool {
        let g = self.inner.lock();
        g.flags & MACH_PORT_STATUS_FLAG_GUARDED != 0 && g.context != 0
    }

    /// `mach_port_destruct`'s guard check: a guarded port is unguarded if
    /// `guard` matches, refused otherwise; an unguarded port passes.
    pub(crate) fn satisfy_guard(&self, guard: u64) -> MachResult {
        let mut g = self.inner.lock();
        if g.flags & MACH_PORT_STATUS_FLAG_GUARDED != 0 {
            if g.context != guard {
                return Err(KERN_INVALID_ARGUMENT);
            }
            g.flags &= !(MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
        }
        Ok(())
    }

    /// Sets the queue limit; blocked senders look again.
    pub(crate) fn set_qlimit(&self, qlimit: u32) {
        self.inner.lock().qlimit = qlimit;
        self.wake_senders();
    }

    pub(crate) fn set_mscount(&self, mscount: u32) {
        self.inner.lock().mscount = mscount;
    }

    pub(crate) fn set_seqno(&self, seqno: u32) {
        self.inner.lock().seqno = seqno;
    }

    /// The receive status and limits (`mach_port_get_attributes`).
    pub(crate) fn status(&self) -> Status {
        let g = self.inner.lock();
        Status {
            in_set: !g.sets.is_empty(),
            seqno: g.seqno,
            mscount: g.mscount,
            qlimit: g.qlimit,
            msgcount: g.queue.len() as u32,
            sorights: self.sorights.load(Relaxed),
            srights: self.srights.load(Relaxed) > 0,
            pdrequest: g.pdrequest.is_some(),
            nsrequest: g.nsrequest.is_some(),
            // XNU reports immovability only with a guard.
            flags: if g.flags & MACH_PORT_STATUS_FLAG_GUARDED != 0 {
                g.flags
            } else {
                g.flags & !MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE
            },
            dnrequests: g.dnrequests.len() as u32,
        }
    }

    /// Runs `f` on the queued message with sequence number `seqno` (the
    /// first if 0), its sequence number and the port's context
    /// (`mach_port_peek`). `None` if there is no such message.
    pub(crate) fn peek<R>(&self, seqno: u32, f: impl FnOnce(&Kmsg, u32, u64) -> R) -> Option<R> {
        let g = self.inner.lock();
        let off = if seqno == 0 {
            0
        } else if seqno.wrapping_sub(g.seqno) < g.queue.len() as u32 {
            seqno.wrapping_sub(g.seqno) as usize
        } else {
            return None;
        };
        let k = g.queue.get(off)?;
        Some(f(k, g.seqno.wrapping_add(off as u32), g.context))
    }

    /// Registers a port-destroyed request (or none); `KERN_FAILURE`, and
    /// `notify` released, if one is registered already.
    pub(crate) fn request_port_destroyed(&self, notify: Option<notify::Request>) -> MachResult {
        let mut g = self.inner.lock();
        if g.pdrequest.is_some() {
            drop(g);
            drop(notify);
            return Err(KERN_FAILURE);
        }
        g.pdrequest = notify;
        Ok(())
    }

    /// Registers a no-senders request armed at make-send count `sync` (or
    /// cancels with `None`); returns the previous request. With no send
    /// rights and `sync` at or below the make-send count it fires at once.
    pub(crate) fn request_no_senders(
        &self,
        notify: Option<notify::Request>,
        sync: u32,
    ) -> Option<notify::Request> {
        let mut g = self.inner.lock();
        let prev = g.nsrequest.take();
        if let Some(n) = notify {
            if self.srights.load(Relaxed) == 0 && sync <= g.mscount {
                let mscount = g.mscount;
                drop(g);
                n.no_senders(mscount);
            } else {
                g.nsrequest = Some(n);
            }
        }
        prev
    }

    /// Registers a dead-name request made by `owner` under `name`; with
    /// `send_possible`, an armed send-possible request, which fires at once
    /// if a send would not block (`never_blocks`: the name holds a
    /// send-once right). `Ok(true)` registered, `Ok(false)` fired now;
    /// `KERN_RESOURCE_SHORTAGE` (and `notify` released) if memory is short.
    pub(crate) fn request_dead_name(
        &self,
        owner: Arc<dyn RequestOwner>,
        name: u32,
        notify: notify::Request,
        send_possible: bool,
        never_blocks: bool,
    ) -> MachResult<bool> {
        let mut spare = KVec::new();
        loop {
            let mut g = self.inner.lock();
            if send_possible && (never_blocks || self.is_kernel_owned() || g.has_room()) {
                drop(g);
                notify.send_possible(name);
                return Ok(false);
            }
            if make_room(&mut g.dnrequests, &mut spare) {
                let req = DeadNameRequest {
                    owner,
                    name,
                    notify,
                    send_possible,
                };
                if let Err(e) = g.dnrequests.push_within_capacity(req) {
                    // Cannot happen: there is room.
                    drop(g);
                    drop(e);
                    return Err(KERN_RESOURCE_SHORTAGE);
                }
                g.sp_armed |= send_possible;
                drop(g);
                drop(spare);
                return Ok(true);
            }
            let want = grown(&g.dnrequests);
            drop(g);
            spare = match KVec::with_capacity(want, GFP_KERNEL_ACCOUNT) {
                Ok(v) => v,
                Err(_) => {
                    drop(notify);
                    return Err(KERN_RESOURCE_SHORTAGE);
                }
            };
        }
    }

    /// Removes the dead-name request space `space` made under `name` and
    /// returns its notification request.
    pub(crate) fn cancel_dead_name(&self, space: u64, name: u32) -> Option<notify::Request> {
        let mut g = self.inner.lock();
        let pos = g
            .dnrequests
            .iter()
            .position(|r| r.owner.id() == space && r.name == name)?;
        let r = g.dnrequests.remove(pos).ok()?;
        g.sp_armed = g.dnrequests.iter().any(|r| r.send_possible);
        drop(g);
        Some(r.notify)
    }

    /// Adds `set` to the sets this port is in: `KERN_ALREADY_IN_SET` if it
    /// is, `KERN_RESOURCE_SHORTAGE` if memory is short. Returns whether the
    /// port has a message (so the set hears of it).
    pub(crate) fn join_set(&self, set: &Arc<PortSet>) -> MachResult<bool> {
        let mut spare = KVec::new();
        loop {
            let mut g = self.inner.lock();
            if g.sets.iter().any(|s| Arc::ptr_eq(s, set)) {
                return Err(KERN_ALREADY_IN_SET);
            }
            if make_room(&mut g.sets, &mut spare) {
                g.sets
                    .push_within_capacity(set.clone())
                    .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
                let has_msg = !g.queue.is_empty();
                drop(g);
                drop(spare);
                return Ok(has_msg);
            }
            let want = grown(&g.sets);
            drop(g);
            spare = KVec::with_capacity(want, GFP_KERNEL_ACCOUNT)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        }
    }

    /// Whether this port lists `set` among its sets and, if so, whether it
    /// has a message (for [`PortSet::add_member`], once the set's side is
    /// in).
    pub(crate) fn in_set(&self, set: &Arc<PortSet>) -> Option<bool> {
        let g = self.inner.lock();
        g.sets
            .iter()
            .any(|s| Arc::ptr_eq(s, set))
            .then(|| !g.queue.is_empty())
    }

    /// Takes `set` off the sets this port is in (the set's side is the
    /// caller's); whether it was there.
    pub(crate) fn leave_set(&self, set: &Arc<PortSet>) -> bool {
        let mut g = self.inner.lock();
        let pos = match g.sets.iter().position(|s| Arc::ptr_eq(s, set)) {
            Some(p) => p,
            None => return false,
        };
        let s = g.sets.remove(pos);
        drop(g);
        drop(s);
        true
    }

    /// Takes every set but `keep` off the sets this port is in and returns
    /// them (their side is the caller's).
    pub(crate) fn leave_sets_except(
        &self,
        keep: Option<&Arc<PortSet>>,
    ) -> MachResult<KVec<Arc<PortSet>>> {
        loop {
            let n = self.inner.lock().sets.len();
            let mut others =
                KVec::with_capacity(n, GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            let mut g = self.inner.lock();
            if g.sets.len() > n {
                continue;
            }
            let mut i = 0;
            while i < g.sets.len() {
                if keep.is_some_and(|k| Arc::ptr_eq(k, &g.sets[i])) {
                    i += 1;
                } else if let Ok(s) = g.sets.remove(i) {
                    if let Err(e) = others.push_within_capacity(s) {
                        // Cannot happen: room for every set. Put it back
                        // rather than lose the set's side of the link.
                        if g.sets.insert_within_capacity(i, e.0).is_err() {
                            return Err(KERN_RESOURCE_SHORTAGE);
                        }
                        i += 1;
                    }
                }
            }
            return Ok(others);
        }
    }

    /// A receive through `set` of which this port is a ready member: takes
    /// the first message if space `space` holds the receive right and the
    /// port is still in `set`. Also says whether messages remain (so the
    /// port goes to the back of the set's ready list).
    pub(crate) fn receive_for_set(
        self: &Arc<Self>,
        set: &Arc<PortSet>,
        space: u64,
        rcv_size: usize,
        trailer: usize,
        large: bool,
    ) -> (Option<Received>, bool) {
        let mut g = self.inner.lock();
        // A member whose right left `space` leaves the set, but the ready
        // list may still name it: the holder is checked here, under the
        // port lock, as on a port receive.
        let member = g.held_by(space) && g.sets.iter().any(|s| Arc::ptr_eq(s, set));
        let got = if member {
            self.try_receive(&mut g, space, rcv_size, trailer, large)
        } else {
            None
        };
        let (g, old) = self.shrink_queue(g);
        let more = member && !g.queue.is_empty();
        let (g, sp) = self.take_send_possible(g);
        drop(g);
        drop(old);
        if !sp.is_empty() {
            self.fire_send_possible(sp);
        }
        (got, more)
    }

    /// Sets the right counts, for tests of their limits only.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn set_counts_for_test(&self, srights: u32, sorights: u32) {
        let g = self.inner.lock();
        self.srights.store(srights, Relaxed);
        self.sorights.store(sorights, Relaxed);
        drop(g);
    }

    /// Adds a descriptor's waiter.
    pub(crate) fn add_poller(&self, w: Arc<PollWaiter>) -> Result {
        push_unlocked(&self.inner, |g| g.pollers.list(), w).map_err(|_| ENOMEM)
    }

    /// Removes a descriptor's waiter.
    pub(crate) fn remove_poller(&self, w: &Arc<PollWaiter>) {
        self.inner.lock().pollers.remove(w);
    }
}

#[pinned_drop]
impl PinnedDrop for Port {
    fn drop(self: Pin<&mut Self>) {
        stats::PORTS.dec();
    }
}
