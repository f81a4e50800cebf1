// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Threads and their ports (the thread half of XNU's `ipc_tt.c`): one
//! kernel port per Linux thread (`IKOT_THREAD_CONTROL`), made the first
//! time the thread is named (`mach_thread_self`, `task_threads`, an
//! exception it raises) and the same port every time after. The thread's
//! task holds it: the space keeps the threads it has made ports for
//! (`SpaceInner::threads`), each holding its port's receive right.
//!
//! As XNU's, a thread also has a read port (`IKOT_THREAD_READ`) and an
//! inspect port (`IKOT_THREAD_INSPECT`), made the first time they are asked
//! for (`task_threads` on a task read or inspect port,
//! `thread_get_special_port`) and the same port for the thread's life
//! after; the thread holds their receive rights with its control port's,
//! and they die with it. A request to one runs the thread routines whose
//! MIG type accepts that flavor (`kobject.rs`).
//!
//! A thread is named by its `struct pid` (a counted reference, so the
//! thread pid number may be reused but never confused with this thread).
//! Linux tells a module nothing when a thread exits, so a thread's port
//! dies (its send rights become dead names, as XNU's
//! `ipc_thread_terminate` makes them) the next time it is looked at after
//! the exit: a message to it (answered `KERN_TERMINATED`, as XNU's
//! `thread_info` answers for a thread that is no longer active), its task's
//! next `task_threads` or `mach_thread_self` of a new thread, and at the
//! latest when the task's space is torn down.
//!
//! A port stands for its thread in one program image: the one it ran when
//! the port was made. XNU gives a thread new ports at exec
//! (`ipc_thread_reset`), so a port handed out before an exec (of a setuid
//! program, say) never reads or names the thread in the new image; here a
//! thread that has exec'd since counts as gone, as one that has exited, and
//! each request is served with the image held (no exec can start
//! meanwhile).
//!
//! `Thread::receive` is a leaf lock (see the crate root): it is held only
//! to take a right out or put one in.

use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::rbtree::RBTreeNode;
use kernel::sync::{Arc, ArcBorrow, SpinLock};

use crate::error::*;
use crate::ffi::{ImageLock, ThreadPid};
use crate::kmsg::KmsgBox;
use crate::port::Port;
use crate::right::Deferred;
use crate::rights::*;
use crate::space::{Space, SpaceInner};

/// XNU's thread port flavors (`mach_thread_flavor_t`), strongest first:
/// also the index of each flavor's receive right in `Thread::receive`.
pub(crate) const THREAD_FLAVOR_CONTROL: u32 = 0;
pub(crate) const THREAD_FLAVOR_READ: u32 = 1;
pub(crate) const THREAD_FLAVOR_INSPECT: u32 = 2;
const FLAVORS: usize = 3;

/// Most threads `task_threads` lists: as many rights as one message may
/// carry (`mach_msg::MAX_MSG_RIGHTS`). A task with more gets
/// `KERN_RESOURCE_SHORTAGE`.
pub(crate) const MAX_TASK_THREADS: usize = crate::mach_msg::MAX_MSG_RIGHTS;

/// A thread with a port.
///
/// # Invariants
///
/// Every `Thread` lives in an [`Arc`] (made only by [`make`]).
/// `port`'s kernel object is this thread from [`make`] until the port
/// dies; `receive[THREAD_FLAVOR_CONTROL]` holds the port's receive right
/// until [`Thread::kill`] takes it, which destroys the port (and with it
/// the port's reference to this object). The other slots hold the
/// receive rights of the read and inspect ports once made, whose kernel
/// objects ([`ThreadFlavorPort`]) hold a reference to this thread; they
/// are filled only while the control slot is, and emptied with it.
#[pin_data]
pub(crate) struct Thread {
    pub(crate) pid: ThreadPid,
    /// The program image the thread ran when the port was made.
    exec_id: u64,
    pub(crate) port: Arc<Port>,
    #[pin]
    receive: SpinLock<[Option<Right>; FLAVORS]>,
}

impl Thread {
    /// Takes the receive rights of the thread's ports, to be dropped
    /// (which destroys the ports) once the caller holds no space lock.
    fn kill(&self, d: &mut Deferred) {
        let rights = core::mem::take(&mut *self.receive.lock());
        for r in rights.into_iter().flatten() {
            d.right(r);
        }
    }

    /// The thread's port of `flavor`: its control port, or its read or
    /// inspect port, made on first use and the same port from then on.
    /// A thread whose ports were killed (it is gone) answers its dead
    /// control port, which is carried as a dead name.
    pub(crate) fn port_of(&self, flavor: u32) -> MachResult<Arc<Port>> {
        let slot = match flavor {
            THREAD_FLAVOR_CONTROL => return Ok(self.port.clone()),
            THREAD_FLAVOR_READ | THREAD_FLAVOR_INSPECT => flavor as usize,
            _ => return Err(KERN_INVALID_ARGUMENT),
        };
        {
            let g = self.receive.lock();
            if g[THREAD_FLAVOR_CONTROL as usize].is_none() {
                return Ok(self.port.clone());
            }
            if let Some(r) = &g[slot] {
                return Ok(r.port().clone());
            }
        }
        // SAFETY: every `Thread` lives in an `Arc` (the type invariant),
        // which the caller's reference keeps alive for this call.
        let this: Arc<Thread> = unsafe { ArcBorrow::from_raw(self) }.into();
        // Made before the port, so that a failure drops only a reference
        // to the thread (never its last: the caller holds one).
        let obj = Arc::new(
            ThreadFlavorPort {
                thread: this,
                flavor,
            },
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let port = Port::new(self.port.quota())?;
        port.set_kobject(obj);
        let mine = Right::from_counted(Kind::Receive, port.clone());
        let mut d = Deferred::new();
        let got = {
            let mut g = self.receive.lock();
            if g[THREAD_FLAVOR_CONTROL as usize].is_none() {
                // Killed meanwhile: ours dies unused.
                d.right(mine);
                self.port.clone()
            } else if let Some(r) = &g[slot] {
                // Another call made one first: that one is the thread's.
                let p = r.port().clone();
                d.right(mine);
                p
            } else {
                // INVARIANT: filled while the control slot is; emptied
                // with it by `kill`, which breaks the thread -> port ->
                // thread cycle.
                g[slot] = Some(mine);
                port
            }
        };
        d.release();
        Ok(got)
    }

    /// Whether the thread has exited, or exec'd since the port was made.
    fn is_gone(&self) -> bool {
        self.pid.exec_id() != Some(self.exec_id)
    }

    /// Holds the thread at the port's image (see the module doc); `None`
    /// if it is gone. Sleeps.
    pub(crate) fn hold_image(&self) -> Option<ImageLock> {
        self.pid.lock_image(self.exec_id)
    }

    /// Kills the port if the thread is gone (exited, or exec'd since the
    /// port was made); whether it was.
    pub(crate) fn reap_if_gone(&self) -> bool {
        if !self.is_gone() {
            return false;
        }
        let mut d = Deferred::new();
        self.kill(&mut d);
        d.release();
        true
    }
}

/// A thread's port is a kernel object: messages to it are served by
/// `kobject.rs`'s thread routines.
impl crate::port::KernelObject for Thread {
    fn serve(&self, request: KmsgBox) {
        crate::kobject::serve_thread(self, THREAD_FLAVOR_CONTROL, request);
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// The kernel object behind a thread's read or inspect port.
pub(crate) struct ThreadFlavorPort {
    thread: Arc<Thread>,
    flavor: u32,
}

impl crate::port::KernelObject for ThreadFlavorPort {
    fn serve(&self, request: KmsgBox) {
        crate::kobject::serve_thread(&self.thread, self.flavor, request);
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// The thread a thread port of any flavor stands for, and the flavor;
/// `None` for any other kernel object.
pub(crate) fn thread_of_object(obj: &dyn crate::port::KernelObject) -> Option<(&Thread, u32)> {
    let any = obj.as_any();
    if let Some(t) = any.downcast_ref::<Thread>() {
        return Some((t, THREAD_FLAVOR_CONTROL));
    }
    any.downcast_ref::<ThreadFlavorPort>()
        .map(|f| (&*f.thread, f.flavor))
}

/// Makes a thread object and its port, charged to `space`; the caller
/// either installs it in the space or kills it.
fn make(space: &Space, pid: ThreadPid) -> MachResult<Arc<Thread>> {
    // A thread that began to exit meanwhile gets a port that is found gone
    // at its first use.
    let exec_id = pid.exec_id().unwrap_or(space.exec_id);
    let port = Port::new(&space.quota)?;
    // Until the thread holds it, dropping `receive` destroys the port.
    let receive = Right::from_counted(Kind::Receive, port.clone());
    let held = port.clone();
    let t = Arc::pin_init(
        pin_init!(Thread {
            pid,
            exec_id,
            port: held,
            receive <- new_spinlock!([Some(receive), None, None], "Thread::receive"),
        }),
        GFP_KERNEL_ACCOUNT,
    )
    .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    port.set_kobject(t.clone());
    Ok(t)
}

/// Moves the threads of `g` that are gone out of the table, their ports
/// killed into `d`.
fn sweep(g: &mut SpaceInner, d: &mut Deferred) {
    let mut kept = 0;
    let mut cur = g.threads.cursor_front_mut();
    while let Some(c) = cur {
        let (_, t) = c.current();
        if !t.is_gone() {
            kept += 1;
            cur = c.move_next();
            continue;
        }
        t.kill(d);
        cur = c.remove_current().0;
    }
    g.thread_adds = (0, kept);
}

/// A thread is being added to `g`: sweeps the table once as many threads
/// were added since the last sweep as it kept then, so that a task whose
/// threads come and go holds at most about twice its live threads and
/// each addition costs constant time on average.
fn sweep_on_add(g: &mut SpaceInner, d: &mut Deferred) {
    g.thread_adds.0 += 1;
    if g.thread_adds.0 > g.thread_adds.1 {
        sweep(g, d);
    }
}

/// The port of thread `pid` of the task of `space`, made if the thread has
/// none: the same port for the same thread every time. The caller has
/// checked that the thread is the task's.
fn thread_of(space: &Space, pid: ThreadPid) -> MachResult<Arc<Thread>> {
    let key = pid.key();
    let mut d = Deferred::new();
    {
        let mut g = space.inner.lock();
        if !g.active {
            return Err(KERN_INVALID_TASK);
        }
        match g.threads.get(&key) {
            Some(t) if !t.is_gone() => return Ok(t.clone()),
            // The thread exec'd since its port was made (an exited one is
            // not asked for): that port dies, the new image gets its own.
            Some(_) => {
                if let Some(old) = g.threads.remove(&key) {
                    old.kill(&mut d);
                }
            }
            None => {}
        }
    }
    drop(d);
    let t = make(space, pid)?;
    let mut d = Deferred::new();
    let node = match RBTreeNode::new(key, t.clone(), GFP_KERNEL_ACCOUNT) {
        Ok(n) => n,
        Err(_) => {
            t.kill(&mut d);
            return Err(KERN_RESOURCE_SHORTAGE);
        }
    };
    let r = {
        let mut g = space.inner.lock();
        if !g.active {
            Err(KERN_INVALID_TASK)
        } else if let Some(other) = g.threads.get(&key) {
            // Another call made one first: that one is the thread's.
            Ok(other.clone())
        } else {
            // A new thread: a good time to forget the ones that are gone.
            sweep_on_add(&mut g, &mut d);
            g.threads.insert(node);
            return Ok(t);
        }
    };
    t.kill(&mut d);
    d.release();
    r
}

/// A send right to the calling thread's port, if the thread belongs to
/// the task of `space`.
pub(crate) fn self_send_right(space: &Space) -> MachResult<Right> {
    let pid = ThreadPid::current();
    let owner = space.pid.as_ref().ok_or(KERN_INVALID_TASK)?;
    if !pid.is_in(owner) {
        return Err(KERN_INVALID_TASK);
    }
    thread_of(space, pid)?.port.make_send()
}

/// `mach_thread_self`: the caller's name for its thread's port, a new
/// user reference each time (as XNU's `thread_self_trap`).
pub(crate) fn thread_self(space: &Space) -> MachResult<u32> {
    let right = self_send_right(space)?;
    let mut d = Deferred::new();
    let r = space.lock_with_free(1).copyout(space.id, right, &mut d);
    d.release();
    r
}

/// `task_threads`: a send right to the port of `flavor` (control, read or
/// inspect: XNU's for a task port of the same flavor) of each live thread
/// of the task of `space`, in the order of its thread list, with the ports
/// of the threads that have exited killed first. Charged to the caller's
/// memory cgroup (the list) and to the task's quota (the ports).
pub(crate) fn task_threads(space: &Space, flavor: u32) -> MachResult<KVec<Carried>> {
    let owner = space.pid.as_ref().ok_or(KERN_INVALID_TASK)?;
    {
        let mut d = Deferred::new();
        let mut g = space.inner.lock();
        if !g.active {
            return Err(KERN_INVALID_TASK);
        }
        sweep(&mut g, &mut d);
        drop(g);
        d.release();
    }
    let pids = match owner.threads(MAX_TASK_THREADS) {
        Ok(Some(p)) => p,
        Ok(None) => return Err(KERN_RESOURCE_SHORTAGE),
        Err(_) => return Err(KERN_INVALID_TASK),
    };
    let mut out =
        KVec::with_capacity(pids.len(), GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    for (i, pid) in pids.into_iter().enumerate() {
        crate::ffi::resched_every(i);
        let right = thread_of(space, pid)?.port_of(flavor)?.make_send()?;
        // Cannot fail: room for every thread was reserved; a right that
        // did not fit would be released with the error.
        if out.push_within_capacity(Carried::Right(right)).is_err() {
            return Err(KERN_RESOURCE_SHORTAGE);
        }
    }
    Ok(out)
}

/// The space is being torn down: every thread port it holds dies.
pub(crate) fn kill_all(g: &mut SpaceInner, d: &mut Deferred) {
    let threads = core::mem::take(&mut g.threads);
    for (_, t) in threads.iter() {
        t.kill(d);
    }
    drop(threads);
}
