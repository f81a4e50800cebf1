// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Timers as ports (XNU's `mk_timer`): `mk_timer_create` makes a port
//! whose receive right the caller holds and whose kernel object
//! (`IKOT_TIMER`) is a [`Timer`]. Arming the timer starts an hrtimer; at
//! expiry the kernel sends `mk_timer_expire_msg_t` (a header, `msgh_id`
//! 0, and three zeroed words) to the port, so a timer waits in a port
//! set or in epoll beside other ports. Messages sent to a timer port by
//! anyone else are queued as on any port.
//!
//! The hrtimer callback runs in interrupt context, where nothing may
//! allocate, sleep or take a port's lock: it only queues the timer's work
//! item on the module's workqueue, which sends the message. As XNU keeps
//! one message per timer alive (`IPC_KMSG_ALLOC_USE_KEEP_ALIVE`), a timer
//! has at most one expiry message in existence: it is made when the timer
//! is created or armed, in the caller's context, and charged to an
//! account of its own on the caller's user ([`Quota::sub_account`]);
//! while that message is still queued (or being received) a later expiry
//! sends nothing. Destroying the port (`mk_timer_destroy`, the receive
//! right's death, the task's exit) cancels the hrtimer and waits for its
//! callback; the module's workqueue is flushed at module exit.
//!
//! `Timer::inner` is taken alone, with no other machipc lock held and
//! none taken under it (see the lock order in `machipc_main.rs`).

use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow, Mutex};
use kernel::time::hrtimer::{
    ArcHrTimerHandle, HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer,
    HrTimerRestart, RelativeMode,
};
use kernel::time::{Delta, Monotonic};
use kernel::workqueue::{Work, WorkItem};
use kernel::{new_mutex, new_work};

use crate::error::*;
use crate::kmsg::{Kmsg, KmsgBox, Sender};
use crate::limits::{Charge, Quota};
use crate::port::{KernelObject, Port};
use crate::right::Deferred;
use crate::rights::*;
use crate::space::Space;

/// `mk_timer_expire_msg_t` after its header: `uint64_t unused[3]`.
const EXPIRE_BODY: usize = 3 * core::mem::size_of::<u64>();

/// What a timer costs its space's quota besides its port: the timer and
/// its one expiry message.
const TIMER_BYTES: usize = core::mem::size_of::<Timer>() + crate::kmsg::KMSG_BYTES + EXPIRE_BODY;

/// A timer's state, under [`Timer::inner`].
struct TimerInner {
    /// Armed and not yet expired or cancelled (XNU's `is_armed`).
    armed: bool,
    /// The port died; the timer does nothing more (XNU's `is_dead`).
    dead: bool,
    /// When it expires, in `mach_absolute_time` units (nanoseconds of
    /// `CLOCK_MONOTONIC`), and the leeway the caller allowed.
    deadline: u64,
    leeway: u64,
    /// The timer's own send right to its port (XNU's naked send right),
    /// until the port dies.
    port: Option<Right>,
    /// The running hrtimer, while one was started and not cancelled.
    handle: Option<ArcHrTimerHandle<Timer>>,
    /// The expiry message, made ahead of the expiry.
    msg: Option<KmsgBox>,
}

/// A timer port's kernel object.
#[pin_data(PinnedDrop)]
pub(crate) struct Timer {
    #[pin]
    inner: Mutex<TimerInner>,
    #[pin]
    hrtimer: HrTimer<Timer>,
    #[pin]
    work: Work<Timer>,
    /// The account of the expiry message: non-zero while it exists.
    msg_account: Arc<Quota>,
    /// The timer on its space's quota.
    _charge: Charge,
}

kernel::impl_has_hr_timer! {
    impl HasHrTimer<Self> for Timer {
        mode: RelativeMode<Monotonic>, field: self.hrtimer
    }
}

kernel::impl_has_work! {
    impl HasWork<Timer> for Timer { self.work }
}

#[pinned_drop]
impl PinnedDrop for Timer {
    fn drop(self: Pin<&mut Self>) {
        crate::stats::TIMERS.dec();
    }
}

impl HrTimerCallback for Timer {
    type Pointer<'a> = Arc<Self>;

    /// Interrupt context: hands the expiry to the work item.
    fn run(this: ArcBorrow<'_, Self>, _ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        let t: Arc<Timer> = this.into();
        // Already queued: that run sees this expiry too. The reference
        // dropped is not the last (the hrtimer's handle holds one while
        // the callback runs).
        if let Err(t) = crate::ffi::teardown_queue().enqueue(t) {
            drop(t);
        }
        HrTimerRestart::NoRestart
    }
}

impl WorkItem for Timer {
    type Pointer = Arc<Timer>;

    fn run(this: Arc<Timer>) {
        this.expire();
    }
}

impl KernelObject for Timer {
    fn serve(&self, request: KmsgBox) {
        // Never called: a timer port's messages are queued.
        drop(request);
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }

    /// XNU's `mk_timer_port_destroy`: the timer is cancelled for good and
    /// lets go of its port.
    fn destroyed(&self) {
        let (handle, port, msg) = {
            let mut g = self.inner.lock();
            g.dead = true;
            g.armed = false;
            (g.handle.take(), g.port.take(), g.msg.take())
        };
        // Cancels the hrtimer, waiting for a running callback; a work item
        // already queued finds the timer dead.
        drop(handle);
        drop(port);
        drop(msg);
    }
}

impl Timer {
    fn new(quota: &Arc<Quota>, port: Right) -> MachResult<Arc<Timer>> {
        let charge = Charge::new(quota, TIMER_BYTES).ok_or(KERN_RESOURCE_SHORTAGE)?;
        let msg_account = quota.sub_account().map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let msg = expire_message(&msg_account);
        let t = Arc::pin_init(
            pin_init!(Timer {
                inner <- new_mutex!(TimerInner {
                    armed: false,
                    dead: false,
                    deadline: 0,
                    leeway: 0,
                    port: Some(port),
                    handle: None,
                    msg,
                }, "Timer::inner"),
                hrtimer <- HrTimer::new(),
                work <- new_work!("Timer::work"),
                msg_account,
                _charge: charge,
            }),
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        crate::stats::TIMERS.inc();
        Ok(t)
    }

    /// Makes the expiry message ahead of time if there is none and the
    /// last one sent is gone (received or destroyed).
    fn provision(&self, g: &mut TimerInner) {
        if g.msg.is_none() && self.msg_account.held() == 0 {
            g.msg = expire_message(&self.msg_account);
        }
    }

    /// XNU's `mk_timer_arm_trap_internal` on a live timer: (re)starts the
    /// hrtimer for `deadline`; a deadline already past fires at once.
    fn arm(self: &Arc<Self>, deadline: u64, leeway: u64) {
        let mut g = self.inner.lock();
        if g.dead {
            return;
        }
        self.provision(&mut g);
        g.armed = true;
        g.deadline = deadline;
        g.leeway = leeway;
        // The old handle's drop cancels the hrtimer, so it goes before
        // the restart (its callback only queues work: no deadlock).
        drop(g.handle.take());
        let now = crate::ffi::monotonic_ns();
        let wait = i64::try_from(deadline.saturating_sub(now)).unwrap_or(i64::MAX);
        g.handle = Some(self.clone().start(Delta::from_nanos(wait)));
    }

    /// XNU's `mk_timer_cancel_trap`: the armed deadline (0 if not armed).
    fn cancel(&self) -> u64 {
        let (armed_time, handle) = {
            let mut g = self.inner.lock();
            if !g.armed {
                return 0;
            }
            g.armed = false;
            // XNU answers the call's hard deadline: the soft one plus the
            // slop, at least the leeway; Linux adds no slop of its own.
            (g.deadline.saturating_add(g.leeway), g.handle.take())
        };
        drop(handle);
        armed_time
    }

    /// The work item: sends the expiry message if the timer is still armed
    /// and its deadline has come (a re-arm for later, or a cancel, since
    /// the hrtimer fired makes it stale), and none is still queued.
    fn expire(&self) {
        let (msg, dest) = {
            let mut g = self.inner.lock();
            if !g.armed || g.dead || crate::ffi::monotonic_ns() < g.deadline {
                return;
            }
            g.armed = false;
            // A receive that took the last message since the arm: make one
            // now (in the worker's context, on the same account).
            self.provision(&mut g);
            let dest = match g.port.as_ref().map(|r| r.port().copy_send()) {
                Some(Ok(r)) => r,
                _ => return,
            };
            (g.msg.take(), dest)
        };
        // No message at hand: the last one is still queued, as XNU's
        // keep-alive message that cannot be reused yet.
        let Some(mut k) = msg else {
            return;
        };
        k.bits = dest.kind().msg_type();
        k.id = 0;
        k.body.fill(0);
        k.dest = Some(dest);
        crate::mach_msg::send_from_kernel(k);
    }
}

/// An expiry message charged to `account`; `None` if memory or the user's
/// account is short (the expiry is then lost, as XNU drops kernel
/// messages it cannot allocate).
fn expire_message(account: &Arc<Quota>) -> Option<KmsgBox> {
    Kmsg::new_charged(EXPIRE_BODY, Sender::kernel(), account)
}

// ---- The traps ----

/// The timer behind the receive right `name`: XNU's
/// `ipc_port_translate_receive` errors, `KERN_INVALID_ARGUMENT` for a
/// port that is not a timer.
fn timer_of(space: &Space, name: u32) -> MachResult<Arc<Timer>> {
    let port = receive_port(space, name)?;
    let obj = port.kobject().ok_or(KERN_INVALID_ARGUMENT)?;
    if obj.as_any().downcast_ref::<Timer>().is_none() {
        return Err(KERN_INVALID_ARGUMENT);
    }
    // SAFETY: The object is a `Timer` (checked just above), so the data
    // pointer of the `Arc<dyn KernelObject>` points to the `Timer` of an
    // `Arc<Timer>`, which is what `from_raw` takes back.
    Ok(unsafe { Arc::from_raw(Arc::into_raw(obj).cast::<Timer>()) })
}

fn receive_port(space: &Space, name: u32) -> MachResult<Arc<Port>> {
    let mut d = Deferred::new();
    let r = {
        let mut g = space.lock_with_free(0);
        if !g.active {
            return Err(KERN_INVALID_TASK);
        }
        g.receive_port(name, &mut d)
    };
    d.release();
    r
}

/// mk_timer_create: the name of a new timer port's receive right, or
/// `MACH_PORT_NULL` if it could not be made (XNU's answer to failure).
pub(crate) fn create(space: &Space) -> u32 {
    make(space).unwrap_or(MACH_PORT_NULL)
}

fn make(space: &Space) -> MachResult<u32> {
    let port = Port::new(&space.quota)?;
    // As XNU's: the timer's receive right stays in the space that made it.
    port.set_immovable_receive();
    let receive = Right::from_counted(Kind::Receive, port.clone());
    // Until it is named, dropping `receive` destroys the port and with it
    // the timer.
    let send = port.make_send()?;
    let timer = Timer::new(&space.quota, send)?;
    port.set_kobject_queued(timer);
    crate::mach_port::name_receive(space, receive)
}

/// mk_timer_destroy: destroys the timer's receive right (XNU's
/// `ipc_right_destroy`, so a guarded port is refused as by
/// `mach_port_destroy`).
pub(crate) fn destroy(space: &Space, name: u32) -> MachResult {
    timer_of(space, name)?;
    crate::mach_port::destroy(space, name)
}

/// mk_timer_arm and mk_timer_arm_leeway (`flags`: `MK_TIMER_NORMAL` or
/// `MK_TIMER_CRITICAL`, which changes nothing here).
pub(crate) fn arm(space: &Space, name: u32, deadline: u64, leeway: u64) -> MachResult {
    timer_of(space, name)?.arm(deadline, leeway);
    Ok(())
}

/// mk_timer_cancel: the deadline the timer was armed for, 0 if none.
pub(crate) fn cancel(space: &Space, name: u32) -> MachResult<u64> {
    Ok(timer_of(space, name)?.cancel())
}
