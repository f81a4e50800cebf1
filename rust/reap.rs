// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Port destruction without recursion (XNU's delayed kmsg destruction).
//!
//! Destroying a port destroys the messages queued on it, which may carry
//! receive rights of further ports, whose queues may carry more, and a
//! port-destroyed notification that cannot be delivered destroys the very
//! receive right it carries. Done by recursion, a chain of such ports as
//! long as a user cares to build would overrun the kernel stack.
//!
//! So the first port destruction on a task makes that task a *reaper*: it
//! registers a [`Reaper`] that lives in its own stack frame, and every
//! receive right that dies while it runs, however deep in the call chain,
//! is pushed on the reaper's list instead of being destroyed on the spot.
//! The outermost frame then destroys the listed ports one after another.
//! The list is linked through the ports themselves
//! (`PortInner::reap_next`), so deferring a destruction never allocates
//! and cannot fail.
//!
//! `REAPERS` (a leaf in the crate root's lock order) only maps tasks to
//! their reaper; a reaper's list is touched by its own task alone.

use core::cell::UnsafeCell;
use core::ptr;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::port::Port;

/// One task's list of ports waiting to be destroyed.
///
/// # Invariants
///
/// Lives in the stack frame of [`destroy`] on task `task` and is linked on
/// `REAPERS` for exactly as long as that frame runs; only `task` reads or
/// writes `head`.
struct Reaper {
    task: *const core::ffi::c_void,
    head: UnsafeCell<Option<Arc<Port>>>,
    next: *mut Reaper,
}

/// The registered reapers, linked through their `next` fields.
pub(crate) struct Reapers {
    first: *mut Reaper,
}

// SAFETY: The raw pointers are only followed under the `REAPERS` lock, and
// each points to a `Reaper` that stays registered (and so alive) until its
// owner unlinks it under that lock.
unsafe impl Send for Reapers {}

kernel::sync::global_lock! {
    // SAFETY: `init` is called in the module initializer, before any port
    // exists.
    pub(crate) unsafe(uninit) static REAPERS: SpinLock<Reapers> = Reapers { first: ptr::null_mut() };
}

fn current_task() -> *const core::ffi::c_void {
    kernel::task::Task::current_raw().cast_const().cast()
}

impl Reapers {
    fn find(&self, task: *const core::ffi::c_void) -> *mut Reaper {
        let mut cur = self.first;
        while !cur.is_null() {
            // SAFETY: Registered reapers are alive (see `Reapers`).
            let r = unsafe { &*cur };
            if r.task == task {
                return cur;
            }
            cur = r.next;
        }
        ptr::null_mut()
    }

    fn unlink(&mut self, me: *mut Reaper) {
        let mut link: *mut *mut Reaper = &mut self.first;
        // SAFETY: `link` points at `first` or at the `next` field of a
        // registered (so live) reaper, and we hold the lock.
        unsafe {
            while !(*link).is_null() {
                if *link == me {
                    *link = (*me).next;
                    return;
                }
                link = &mut (**link).next;
            }
        }
    }
}

impl Reaper {
    /// Adds `port` to the list (called by the owning task only).
    fn push(&self, port: Arc<Port>) {
        // SAFETY: Only the owning task touches `head` (type invariant), and
        // no reference into it outlives this statement.
        let head = unsafe { &mut *self.head.get() };
        port.set_reap_next(head.take());
        *head = Some(port);
    }

    /// Takes the next port off the list (owning task only).
    fn pop(&self) -> Option<Arc<Port>> {
        // SAFETY: As in `push`.
        let head = unsafe { &mut *self.head.get() };
        let p = head.take()?;
        *head = p.set_reap_next(None);
        Some(p)
    }
}

/// Destroys `port` (its receive right is gone) and every port whose
/// destruction follows from it, iteratively. Called from inside a
/// destruction on the same task, it only queues `port` for the outer call.
pub(crate) fn destroy(port: Arc<Port>) {
    let task = current_task();
    let me = Reaper {
        task,
        head: UnsafeCell::new(None),
        next: ptr::null_mut(),
    };
    let me_ptr = ptr::from_ref(&me).cast_mut();
    {
        let mut g = REAPERS.lock();
        let outer = g.find(task);
        if !outer.is_null() {
            drop(g);
            // SAFETY: `outer` is this task's registered reaper; its frame
            // is further up this very call chain, so it is alive, and only
            // this task uses it.
            unsafe { &*outer }.push(port);
            return;
        }
        // INVARIANT: `me` stays in this frame until it is unlinked below.
        // SAFETY: Nothing else refers to `me` yet.
        unsafe { (*me_ptr).next = g.first };
        g.first = me_ptr;
    }
    let mut next = Some(port);
    while let Some(p) = next.take().or_else(|| me.pop()) {
        // Whatever this releases pushes further ports on `me`.
        p.destroy_one();
    }
    REAPERS.lock().unlink(me_ptr);
}

#[kunit_tests(machipc_reap)]
mod tests {
    use super::*;
    use crate::kmsg::{Desc, DescPayload, Kmsg, Sender};
    use crate::limits::Quota;
    use crate::notify;
    use crate::rights::{Carried, Kind, Right};
    use crate::stats;

    /// A chain of ports, each with a port-destroyed request to a dead
    /// notification port and a queued message carrying the receive right
    /// of the next: destroying the first destroys all without recursion.
    #[test]
    fn long_chain_of_ports_in_transit() -> Result {
        // 100,000 links where the kernel runs at speed; 10,000 under
        // KASAN in the emulated test VM (about 4 ms a link there), still
        // three times the depth at which recursion overran the stack.
        const N: usize = if cfg!(CONFIG_KASAN) { 10_000 } else { 100_000 };
        let live_before = stats::PORTS.get();
        // One account per 10,000 ports, as if that many spaces made them
        // (a space's quota is 64 MiB).
        let mut quotas = KVec::new();
        let (q, open) = Quota::open()?;
        let notify_port = Port::new(&q).map_err(|_| ENOMEM)?;
        quotas.push((q, open), GFP_KERNEL)?;
        let mut ports = KVec::with_capacity(N, GFP_KERNEL)?;
        for i in 0..N {
            if i % 10_000 == 0 {
                quotas.push(Quota::open()?, GFP_KERNEL)?;
            }
            let q = &quotas[quotas.len() - 1].0;
            let p = Port::new(q).map_err(|_| ENOMEM)?;
            let so = notify_port.make_send_once().map_err(|_| ENOMEM)?;
            let req = notify::Request::new(so, q).map_err(|_| ENOMEM)?;
            p.request_port_destroyed(Some(req)).map_err(|_| EINVAL)?;
            ports.push(p, GFP_KERNEL)?;
        }
        // The notification port dies: every port-destroyed notification
        // will be refused, destroying the receive right it carries.
        drop(Right::from_counted(Kind::Receive, notify_port));
        // ports[i] holds a message carrying ports[i + 1]'s receive right,
        // built from the tail so each message queues on a port with a
        // receiver (no circularity walk).
        for i in (0..N - 1).rev() {
            let next = ports[i + 1].clone();
            let mut k = Kmsg::new(16, Sender::kernel())?;
            k.descs.push(
                Desc {
                    offset: 4,
                    payload: DescPayload::Port(Carried::Right(Right::from_counted(
                        Kind::Receive,
                        next,
                    ))),
                },
                GFP_KERNEL,
            )?;
            ports[i].enqueue(k);
        }
        let first = ports[0].clone();
        drop(ports);
        drop(Right::from_counted(Kind::Receive, first));
        assert_eq!(stats::PORTS.get(), live_before);
        drop(quotas);
        Ok(())
    }
}
