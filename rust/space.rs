// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! An IPC space (XNU's `ipc_space` and its entry table): a task's port name
//! space. Each open file of `/dev/machipc` is one space.
//!
//! Names are `index << 8 | generation` as XNU's `MACH_PORT_MAKE`; a freed
//! entry's generation advances, so a stale name does not denote the next
//! right that reuses the slot. Index 0 is never used, so `MACH_PORT_NULL`
//! (0) and `MACH_PORT_DEAD` (all ones) are never names.
//!
//! The lock order is in the crate root (`machipc_main.rs`).

use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{Arc, MutexGuard, SpinLock};
use kernel::workqueue::{Work, WorkItem};
use kernel::{new_mutex, new_spinlock};

use crate::error::*;
use crate::limits::{Charge, OpenSpace, Quota, Refused};
use crate::lock_count::{Counted, CountedMutex};
use crate::port::{Port, RequestOwner};
use crate::port_set::PortSet;
use crate::right::Deferred;
use crate::rights::*;
use crate::stats::{self, LockClass};

/// Special port slots (`TASK_MAX_SPECIAL_PORT` + 1).
pub(crate) const SPECIAL_PORTS: usize = 12;
pub(crate) const TASK_KERNEL_PORT: usize = 1;
pub(crate) const TASK_HOST_PORT: usize = 2;
pub(crate) const TASK_BOOTSTRAP_PORT: usize = 4;
pub(crate) const TASK_ACCESS_PORT: usize = 9;

/// Most names one space may hold (`KERN_NO_SPACE` beyond).
pub(crate) const MAX_NAMES: usize = 1 << 20;
/// The generation of a never-used entry, and the step on each reuse
/// (the low two bits stay set, as in names XNU hands out).
const GEN_FIRST: u8 = 3;
const GEN_STEP: u8 = 4;

pub(crate) fn make_name(index: u32, gen: u8) -> u32 {
    (index << 8) | u32::from(gen)
}

pub(crate) fn name_index(name: u32) -> u32 {
    name >> 8
}

pub(crate) fn name_gen(name: u32) -> u8 {
    (name & 0xff) as u8
}

/// What an entry names.
pub(crate) enum Object {
    /// An unused slot on the free list, linked both ways (0 ends it either
    /// way), so a slot chosen by name leaves the list in constant time.
    Free { next: u32, prev: u32 },
    /// A dead name.
    Dead,
    /// Receive, send and/or send-once rights to a port.
    Port(Arc<Port>),
    /// A port set.
    Set(Arc<PortSet>),
}

/// One slot of the name table.
pub(crate) struct Entry {
    pub(crate) gen: u8,
    /// `MACH_PORT_TYPE_*` bits of the rights held (and `DNREQUEST`).
    pub(crate) bits: u32,
    /// User references: of the send right, or of the dead name; 1 for a
    /// send-once right.
    pub(crate) urefs: u32,
    pub(crate) obj: Object,
}

/// The name table and everything else a space's lock protects.
///
/// # Invariants
///
/// - `table[0]` is never a name; every other slot is either on the free
///   list (`Object::Free`, linked both ways from `free_head`, 0 ending it)
///   or live, and a live slot's name is `make_name(index, gen)`.
/// - A live entry holding a send right counts one in its port's send count
///   (whatever its `urefs`), a send-once right one in its send-once count,
///   and the receive right is the port's: the entry stands for the
///   [`Right`]s it took over with `Right::into_counted`.
/// - `by_port` maps a port to the one entry holding its send and/or
///   receive right; send-once entries are not in it.
/// - `table_charge` holds `SLOT_BYTES` per slot of `table` and
///   `NODE_BYTES` per node of `by_port`.
/// - Once `active` is false the table is empty and stays so; `link` is cut.
/// - `special`, `task_port`, `flavor_ports` and `exc` hold [`Right`]s,
///   counted on their ports like any other.
pub(crate) struct SpaceInner {
    pub(crate) active: bool,
    /// Up to `MAX_NAMES` entries, tens of MiB: more than kmalloc can give
    /// in one piece, so the table is `kvmalloc`ed.
    pub(crate) table: KVVec<Entry>,
    free_head: u32,
    /// How many slots are on the free list.
    nfree: usize,
    /// Port address → name of the entry holding its send and/or receive
    /// right, so each port has at most one such name (XNU's reverse hash).
    pub(crate) by_port: RBTree<usize, u32>,
    /// `task_get/set_special_port` slots, each holding a send right.
    pub(crate) special: [Option<Right>; SPECIAL_PORTS],
    /// The receive right of this task's port, held by the kernel.
    pub(crate) task_port: Option<Right>,
    /// The task's threads that have a port, by `ThreadPid::key`
    /// (`crate::thread`).
    pub(crate) threads: RBTree<usize, Arc<crate::thread::Thread>>,
    /// Threads added to `threads` since it was last swept, and how many
    /// it kept then (`crate::thread::sweep` paces itself by them).
    pub(crate) thread_adds: (usize, usize),
    /// The receive rights of the task's read, inspect and name ports
    /// (`crate::task_port`), made on first use, by flavor - 1.
    pub(crate) flavor_ports: [Option<Right>; 3],
    /// Exception ports by exception type.
    pub(crate) exc: [crate::exception::ExcPort; crate::exception::EXC_TYPES_COUNT],
    /// The name table's slots and `by_port` nodes on the space's quota.
    pub(crate) table_charge: Charge,
    /// The credentials the space is up to date with
    /// (`crate::security_token`); their address is `Space::creds_seen`.
    pub(crate) creds: crate::ffi::Creds,
    /// How requests this space makes on ports reach it again.
    link: Arc<SpaceLink>,
    /// The bootstrap registry of the namespace that opened the space,
    /// joined until the space is torn down (`crate::bootstrap`).
    registry: Option<Arc<crate::bootstrap::Registry>>,
}

/// The space as a port reaches it from a dead-name or send-possible request
/// the space made (the port layer's [`RequestOwner`]). The space cuts the
/// link when it is torn down, so a request left on a port neither keeps the
/// space alive nor finds it gone.
#[pin_data]
pub(crate) struct SpaceLink {
    id: u64,
    /// The space until it is torn down. A leaf lock.
    #[pin]
    space: SpinLock<Option<Arc<Space>>>,
}

impl SpaceInner {
    /// The space itself, until it is torn down.
    pub(crate) fn this(&self) -> Option<Arc<Space>> {
        self.link.space.lock().clone()
    }
}

impl RequestOwner for SpaceLink {
    fn id(&self) -> u64 {
        self.id
    }

    fn request_fired(&self, name: u32, port: &Arc<Port>) {
        let s = self.space.lock().clone();
        if let Some(s) = s {
            // XNU keeps the request slot but without a send-once right: the
            // name no longer shows `MACH_PORT_TYPE_DNREQUEST`.
            let mut g = s.inner.lock();
            if let Some(i) = g.index_of(name) {
                if matches!(&g.table[i].obj, Object::Port(p) if Arc::ptr_eq(p, port)) {
                    g.table[i].bits &= !MACH_PORT_TYPE_DNREQUEST;
                }
            }
        }
    }
}

/// An IPC space.
///
/// # Invariants
///
/// `id` is unique for the module's lifetime (never reused), so a port
/// that recorded it (`PortInner::receiver`) never mistakes another space
/// for this one. The space is on the task registry from `new` until
/// `release` (or `destroy`, which every owner calls exactly once, from
/// `release` or its work item).
#[pin_data(PinnedDrop)]
pub(crate) struct Space {
    #[pin]
    pub(crate) inner: CountedMutex<SpaceInner>,
    pub(crate) id: u64,
    /// The process that opened the space (for task_for_pid/pid_for_task).
    pub(crate) pid: Option<crate::ffi::PidRef>,
    /// The program image that process ran then: once it execs, the task
    /// port serves no other process (`crate::task::hold_image`).
    pub(crate) exec_id: u64,
    /// The kernel memory this space holds (messages it queued, its ports,
    /// sets and name table), and its user's account.
    pub(crate) quota: Arc<Quota>,
    /// The task's `EXC_GUARD` delivery policy (`crate::exc_guard`).
    pub(crate) exc_guard: Atomic<u32>,
    /// The address of `SpaceInner::creds`, compared without the lock with
    /// the caller's on every call (`crate::security_token`).
    pub(crate) creds_seen: core::sync::atomic::AtomicUsize,
    /// The host of the IPC namespace the space was opened in.
    pub(crate) host: crate::host::HostRef,
    /// This space on its user's count of open spaces.
    _open: OpenSpace,
    /// Runs [`Space::destroy`] on the teardown queue ([`Space::release`]).
    #[pin]
    teardown: Work<Space>,
}

static NEXT_SPACE_ID: Atomic<u64> = Atomic::new(1);

/// What one slot of the name table costs, charged as the table grows.
const SLOT_BYTES: usize = core::mem::size_of::<Entry>();
/// What a `by_port` node costs (its links, key and value), charged with
/// the name table while the node exists.
const NODE_BYTES: usize = 3 * core::mem::size_of::<usize>() + core::mem::size_of::<(usize, u32)>();

impl Space {
    pub(crate) fn new() -> Result<Arc<Space>> {
        let id = NEXT_SPACE_ID.fetch_add(1, Relaxed);
        let (quota, open) = Quota::open()?;
        let host = crate::host::HostRef::attach()?;
        // `mach_host_self()`: made before the space, so a failure leaves
        // nothing to undo.
        let host_port = host.task_host_port().map_err(|_| ENOMEM)?;
        let table_charge = Charge::empty(&quota);
        let space_quota = quota.clone();
        let link = Arc::pin_init(
            pin_init!(SpaceLink {
                id,
                space <- new_spinlock!(None, "SpaceLink::space"),
            }),
            GFP_KERNEL_ACCOUNT,
        )?;
        let space_link = link.clone();
        let registry = crate::bootstrap::join();
        let bootstrap = registry.as_ref().and_then(|r| r.make_send().ok());
        let joined = registry.clone();
        let creds = crate::ffi::Creds::current();
        let creds_seen = creds.addr();
        let s = Arc::pin_init(
            pin_init!(Space {
                inner <- Counted::new(LockClass::Space, new_mutex!(SpaceInner {
                    active: true,
                    table: KVVec::new(),
                    free_head: 0,
                    nfree: 0,
                    by_port: RBTree::new(),
                    special: {
                        let mut s = [const { None }; SPECIAL_PORTS];
                        s[TASK_HOST_PORT] = host_port;
                        s
                    },
                    task_port: None,
                    threads: RBTree::new(),
                    thread_adds: (0, 0),
                    flavor_ports: Default::default(),
                    exc: Default::default(),
                    table_charge,
                    creds,
                    link: space_link,
                    registry,
                }, "Space::inner")),
                id,
                pid: Some(crate::ffi::PidRef::current_tgid()),
                exec_id: crate::ffi::current_exec_id(),
                quota: space_quota,
                exc_guard: Atomic::new(crate::exc_guard::TASK_EXC_GUARD_NONE),
                creds_seen: core::sync::atomic::AtomicUsize::new(creds_seen),
                host,
                _open: open,
                teardown <- kernel::new_work!("Space::teardown"),
            }),
            GFP_KERNEL_ACCOUNT,
        );
        let s = match s {
            Ok(s) => s,
            Err(e) => {
                // The space never joined: the registry forgets it.
                if let Some(r) = joined {
                    crate::bootstrap::leave(r);
                }
                return Err(e);
            }
        };
        drop(joined);
        stats::SPACES.inc();
        // INVARIANT: the link is cut in `destroy`.
        *link.space.lock() = Some(s.clone());
        // The task's own port: a kernel object whose first name (0x103)
        // is the send right `mach_task_self()` returns.
        let port = match Port::new(&quota) {
            Ok(p) => p,
            Err(_) => {
                s.destroy();
                return Err(ENOMEM);
            }
        };
        port.set_kobject(s.clone());
        let send = port.make_send();
        let mut g = s.inner.lock();
        g.task_port = Some(Right::from_counted(Kind::Receive, port.clone()));
        // A space that inherits none has its namespace's registry as its
        // bootstrap port (`crate::bootstrap`).
        g.special[TASK_BOOTSTRAP_PORT] = bootstrap;
        let mut unused = None;
        let r = match send {
            Ok(send) => match g.alloc(MACH_PORT_TYPE_SEND, 1, Object::Port(port.clone())) {
                Ok(name) => {
                    // The entry takes over the send right's count.
                    let _ = send.into_counted();
                    g.set_port_name(&port, name).map(|()| name)
                }
                Err(e) => {
                    unused = Some(send);
                    Err(e)
                }
            },
            Err(e) => Err(e),
        };
        drop(g);
        drop(unused);
        if r.is_err() || crate::task::register(&s).is_err() {
            s.destroy();
            return Err(ENOMEM);
        }
        Ok(s)
    }

    /// Tears the space down (the file was closed): every right it holds is
    /// released, with the notifications that follow.
    pub(crate) fn destroy(&self) {
        crate::task::unregister(self);
        let mut g = self.inner.lock();
        g.active = false;
        let table = core::mem::take(&mut g.table);
        let by_port = core::mem::take(&mut g.by_port);
        let special = core::mem::replace(&mut g.special, [const { None }; SPECIAL_PORTS]);
        let task_port = g.task_port.take();
        let flavor_ports = core::mem::take(&mut g.flavor_ports);
        let exc = core::mem::take(&mut g.exc);
        let mut threads = Deferred::new();
        crate::thread::kill_all(&mut g, &mut threads);
        let table_charge = core::mem::replace(&mut g.table_charge, Charge::empty(&self.quota));
        let registry = g.registry.take();
        g.free_head = 0;
        g.nfree = 0;
        let me = g.link.space.lock().take();
        drop(g);
        drop(me);
        drop(table_charge);
        drop(by_port);
        drop(special);
        for (i, e) in table.into_iter().enumerate() {
            crate::ffi::resched_every(i);
            let name = make_name(i as u32, e.gen);
            release_entry(self.id, name, e);
        }
        drop(exc);
        drop(threads);
        drop(flavor_ports);
        drop(task_port);
        if let Some(r) = registry {
            crate::bootstrap::leave(r);
        }
    }
}

/// Spaces whose name table has more slots than this are torn down on the
/// teardown queue once their file is closed; smaller ones by the closing
/// thread itself (tens of milliseconds at most, more only if queued
/// messages carry many more rights). So an ordinary task's rights are gone
/// by the time its process can be reaped, as in XNU, where
/// `ipc_space_terminate` runs before the parent can reap the task, and
/// tests and programs may rely on it; a huge space's rights die shortly
/// after, their notifications sent from the work item.
const TEARDOWN_INLINE_SLOTS: usize = 1 << 16;

impl Space {
    /// The space's file was closed: the task is gone. It leaves the task
    /// registry and refuses new rights at once; its rights are released,
    /// with the notifications that follow, here if the name table is small
    /// and on the teardown queue otherwise, so that closing a space of a
    /// million names costs the closing thread no more than a small one.
    pub(crate) fn release(this: Arc<Space>) {
        crate::task::unregister(&this);
        let inline = {
            let mut g = this.inner.lock();
            g.active = false;
            g.table.len() <= TEARDOWN_INLINE_SLOTS
        };
        if inline {
            this.destroy();
        } else if let Err(this) = crate::ffi::teardown_queue().enqueue(this) {
            // Only `release` queues the work, once per space; should it be
            // queued already, the teardown is done all the same.
            this.destroy();
        }
    }
}

kernel::impl_has_work! {
    impl HasWork<Space> for Space { self.teardown }
}

impl WorkItem for Space {
    type Pointer = Arc<Space>;

    fn run(this: Arc<Space>) {
        this.destroy();
    }
}

impl Space {
    /// Locks the space with at least `names` free slots in its name table,
    /// growing the table with the lock dropped if needed, as XNU unlocks a
    /// space to grow it (`ipc_entry_grow_table`): the new table is
    /// allocated unlocked and installed if the table did not change
    /// meanwhile, or the attempt starts over. If memory is short (or the
    /// space is at its limit) the space is locked anyway, and the name
    /// allocation that needs the room fails as it would have.
    pub(crate) fn lock_with_free(&self, names: usize) -> MutexGuard<'_, SpaceInner> {
        let mut spare: Option<(usize, usize, KVVec<Entry>)> = None;
        loop {
            let mut g = self.inner.lock();
            if !g.active || g.nfree >= names {
                return g;
            }
            if let Some((len, new_len, table)) = spare.take() {
                if g.table.len() == len {
                    // Over the quota: the caller's allocation reports it.
                    if g.charge_growth(new_len).is_err() {
                        return g;
                    }
                    g.install(new_len, table);
                    if g.nfree >= names {
                        return g;
                    }
                }
            }
            let len = g.table.len();
            let want = len.saturating_add(names - g.nfree);
            let new_len = match g.grow_len(want) {
                Ok(n) => n,
                Err(_) => return g,
            };
            drop(g);
            match KVVec::with_capacity(new_len, GFP_KERNEL_ACCOUNT) {
                Ok(t) => spare = Some((len, new_len, t)),
                Err(_) => return self.inner.lock(),
            }
        }
    }

    /// After fork: this new space takes a send right to the parent's
    /// bootstrap port as its own bootstrap port.
    pub(crate) fn inherit_from(&self, parent: &Space) -> MachResult {
        if core::ptr::eq(self, parent) {
            return Err(KERN_INVALID_ARGUMENT);
        }
        // What a child task takes from its parent at fork, as XNU's
        // `ipc_task_init`: the bootstrap and task-access special ports and
        // every exception port with its behavior and flavor. The ports are
        // noted under the parent's lock and their rights made after it.
        const INHERITED: [usize; 2] = [TASK_BOOTSTRAP_PORT, TASK_ACCESS_PORT];
        let (special, exc) = {
            let g = parent.inner.lock();
            let special = INHERITED.map(|i| g.special[i].as_ref().map(|r| r.port().clone()));
            let exc: [(Option<Arc<Port>>, u32, u32); crate::exception::EXC_TYPES_COUNT] =
                core::array::from_fn(|i| {
                    let e = &g.exc[i];
                    (
                        e.port.as_ref().map(|r| r.port().clone()),
                        e.behavior,
                        e.flavor,
                    )
                });
            (special, exc)
        };
        let copy = |p: Option<Arc<Port>>| p.map(|p| p.copy_send()).transpose();
        let mut new_special: [Option<Right>; INHERITED.len()] = [const { None }; INHERITED.len()];
        for (d, p) in new_special.iter_mut().zip(special) {
            *d = copy(p)?;
        }
        let mut new_exc: [crate::exception::ExcPort; crate::exception::EXC_TYPES_COUNT] =
            Default::default();
        for (d, (p, behavior, flavor)) in new_exc.iter_mut().zip(exc) {
            d.port = copy(p)?;
            d.behavior = behavior;
            d.flavor = flavor;
        }
        let mut g = self.inner.lock();
        for (i, r) in INHERITED.iter().zip(new_special.iter_mut()) {
            core::mem::swap(&mut g.special[*i], r);
        }
        core::mem::swap(&mut g.exc, &mut new_exc);
        drop(g);
        // The child's own rights, if it had any, go with no lock held.
        drop(new_special);
        drop(new_exc);
        Ok(())
    }
}

#[pinned_drop]
impl PinnedDrop for Space {
    fn drop(self: Pin<&mut Self>) {
        stats::SPACES.dec();
    }
}

/// Releases every right an entry held (space teardown, mach_port_destroy).
pub(crate) fn release_entry(space: u64, name: u32, e: Entry) {
    match e.obj {
        Object::Free { .. } | Object::Dead => {}
        Object::Set(s) => s.destroy(),
        Object::Port(p) => {
            if e.bits & MACH_PORT_TYPE_DNREQUEST != 0 {
                if let Some(r) = crate::right::cancel_dnrequest(&p, space, name) {
                    r.port_deleted(name);
                }
            }
            if e.bits & MACH_PORT_TYPE_SEND_ONCE != 0 {
                drop(Right::from_counted(Kind::SendOnce, p.clone()));
            }
            if e.bits & MACH_PORT_TYPE_SEND != 0 {
                drop(Right::from_counted(Kind::Send, p.clone()));
            }
            if e.bits & MACH_PORT_TYPE_RECEIVE != 0 {
                drop(Right::from_counted(Kind::Receive, p));
            }
        }
    }
}

impl SpaceInner {
    /// The space as requests on ports name it.
    pub(crate) fn request_owner(&self) -> Arc<dyn RequestOwner> {
        self.link.clone()
    }

    /// The account this space's allocations are charged to.
    pub(crate) fn quota(&self) -> &Arc<Quota> {
        self.table_charge.quota()
    }

    /// The table index of `name` if it denotes a live entry.
    #[inline]
    pub(crate) fn index_of(&self, name: u32) -> Option<usize> {
        if !name_valid(name) {
            return None;
        }
        let i = name_index(name) as usize;
        let e = self.table.get(i)?;
        if i == 0 || matches!(e.obj, Object::Free { .. }) || e.gen != name_gen(name) {
            return None;
        }
        Some(i)
    }

    /// The table size to grow to for at least `want` slots (doubling);
    /// `KERN_NO_SPACE` past `MAX_NAMES`.
    fn grow_len(&self, want: usize) -> MachResult<usize> {
        let len = self.table.len();
        if want > MAX_NAMES {
            return Err(KERN_NO_SPACE);
        }
        let new_len = want.max(len * 2).clamp(64, MAX_NAMES);
        if new_len <= len {
            return Err(KERN_NO_SPACE);
        }
        Ok(new_len)
    }

    /// Grows the table to at least `want` slots with the lock held: the
    /// fallback when a caller did not make room with
    /// [`Space::lock_with_free`]. Every name allocation that finds no free
    /// slot comes here, so here a table that may not grow makes the space
    /// full ([`Quota::space_full`]); a table that cannot (memory is
    /// short) does not.
    fn grow(&mut self, want: usize) -> MachResult {
        let new_len = match self.grow_len(want) {
            Ok(n) => n,
            Err(e) => {
                self.quota().space_full();
                return Err(e);
            }
        };
        if let Err(by) = self.charge_growth(new_len) {
            if by == Refused::Space {
                self.quota().space_full();
            }
            return Err(KERN_NO_SPACE);
        }
        match KVVec::with_capacity(new_len, GFP_KERNEL_ACCOUNT) {
            Ok(table) => {
                self.install(new_len, table);
                Ok(())
            }
            Err(_) => {
                self.table_charge
                    .release((new_len - self.table.len()) * SLOT_BYTES);
                Err(KERN_RESOURCE_SHORTAGE)
            }
        }
    }

    /// Charges the slots a growth to `new_len` adds: the space's quota
    /// bounds its table as it bounds its messages.
    fn charge_growth(&mut self, new_len: usize) -> core::result::Result<(), Refused> {
        let len = self.table.len();
        self.table_charge.try_add_n(new_len - len, SLOT_BYTES)
    }

    /// Moves the table into `table`, empty and allocated by the caller
    /// with room for `new_len` slots (which `charge_growth` charged),
    /// linking the new slots in front of the free list, lowest index
    /// first. Never allocates.
    fn install(&mut self, new_len: usize, mut table: KVVec<Entry>) {
        let len = self.table.len();
        for e in self.table.drain_all() {
            // Cannot fail: `table` has room for `new_len` > `len` slots.
            let _ = table.push_within_capacity(e);
        }
        self.table = table;
        let start = if len == 0 {
            // Slot 0 is never a name.
            let e = Entry {
                gen: 0,
                bits: 0,
                urefs: 0,
                obj: Object::Dead,
            };
            // Cannot fail: room for `new_len` slots.
            let _ = self.table.push_within_capacity(e);
            1
        } else {
            len
        };
        let old_head = self.free_head;
        for i in start..new_len {
            let next = if i + 1 < new_len {
                (i + 1) as u32
            } else {
                old_head
            };
            let prev = if i > start { (i - 1) as u32 } else { 0 };
            let e = Entry {
                gen: GEN_FIRST,
                bits: 0,
                urefs: 0,
                obj: Object::Free { next, prev },
            };
            // Cannot fail: room for `new_len` slots.
            let _ = self.table.push_within_capacity(e);
        }
        self.set_prev(old_head, (new_len - 1) as u32);
        self.free_head = start as u32;
        self.nfree += new_len - start;
    }

    /// Points free slot `i`'s back link at `prev` (nothing for 0).
    fn set_prev(&mut self, i: u32, prev: u32) {
        if let Some(Entry {
            obj: Object::Free { prev: p, .. },
            ..
        }) = self.table.get_mut(i as usize)
        {
            *p = prev;
        }
    }

    /// Points free slot `i`'s forward link at `next` (the head for 0).
    fn set_next(&mut self, i: u32, next: u32) {
        if i == 0 {
            self.free_head = next;
        } else if let Some(Entry {
            obj: Object::Free { next: n, .. },
            ..
        }) = self.table.get_mut(i as usize)
        {
            *n = next;
        }
    }

    /// Takes free slot `i` off the free list.
    fn unlink_free(&mut self, i: usize) {
        if let Object::Free { next, prev } = self.table[i].obj {
            self.set_next(prev, next);
            self.set_prev(next, prev);
            self.nfree -= 1;
        }
    }

    /// Allocates a fresh name for `obj`.
    pub(crate) fn alloc(&mut self, bits: u32, urefs: u32, obj: Object) -> MachResult<u32> {
        if !self.active {
            return Err(KERN_INVALID_TASK);
        }
        if self.free_head == 0 {
            self.grow(self.table.len() + 1)?;
        }
        let i = self.free_head as usize;
        self.unlink_free(i);
        let e = &mut self.table[i];
        e.bits = bits;
        e.urefs = urefs;
        e.obj = obj;
        Ok(make_name(i as u32, e.gen))
    }

    /// Whether a caller may choose `name` for a new or merged entry, in
    /// the order XNU's `ipc_entry_alloc_name` checks: past the table's
    /// limit, a generation the kernel never hands out (low bits not `11`),
    /// the reserved index 0, a slot in use under another generation. A free
    /// slot, or one that holds this very name, passes.
    pub(crate) fn check_chosen_name(&self, name: u32) -> MachResult {
        if !self.active {
            return Err(KERN_INVALID_TASK);
        }
        let idx = name_index(name) as usize;
        if idx >= MAX_NAMES {
            return Err(KERN_NO_SPACE);
        }
        if name & 3 != 3 {
            return Err(KERN_INVALID_VALUE);
        }
        if idx == 0 {
            return Err(KERN_FAILURE);
        }
        match self.table.get(idx) {
            Some(e) if !matches!(e.obj, Object::Free { .. }) && e.gen != name_gen(name) => {
                Err(KERN_FAILURE)
            }
            _ => Ok(()),
        }
    }

    /// Allocates the specific `name` (mach_port_allocate_name,
    /// mach_port_insert_right). `KERN_NAME_EXISTS` if it is in use.
    pub(crate) fn alloc_named(
        &mut self,
        name: u32,
        bits: u32,
        urefs: u32,
        obj: Object,
    ) -> MachResult {
        self.check_chosen_name(name)?;
        let idx = name_index(name) as usize;
        if self.table.len() <= idx {
            self.grow(idx + 1)?;
        }
        if !matches!(self.table[idx].obj, Object::Free { .. }) {
            return Err(KERN_NAME_EXISTS);
        }
        self.unlink_free(idx);
        let e = &mut self.table[idx];
        e.gen = name_gen(name);
        e.bits = bits;
        e.urefs = urefs;
        e.obj = obj;
        Ok(())
    }

    /// Frees slot `i`, returning what it named for release by the caller
    /// after the lock is dropped.
    pub(crate) fn free_index(&mut self, i: usize) -> Object {
        let head = self.free_head;
        let name = make_name(i as u32, self.table[i].gen);
        let e = &mut self.table[i];
        // Only send and receive entries are in `by_port`; an entry that
        // holds nothing but a send-once right (an RPC's reply right, freed
        // by every reply) needs no tree lookup.
        let named = e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE) != 0
            || e.bits & MACH_PORT_TYPE_SEND_ONCE == 0;
        let old = core::mem::replace(
            &mut e.obj,
            Object::Free {
                next: head,
                prev: 0,
            },
        );
        e.gen = e.gen.wrapping_add(GEN_STEP);
        e.bits = 0;
        e.urefs = 0;
        self.set_prev(head, i as u32);
        self.free_head = i as u32;
        self.nfree += 1;
        if let (Object::Port(p), true) = (&old, named) {
            let key = Arc::as_ptr(p) as usize;
            if self.by_port.get(&key) == Some(&name) && self.by_port.remove(&key).is_some() {
                self.table_charge.release(NODE_BYTES);
            }
        }
        old
    }

    /// The name of this space's send/receive entry for `port`, if any.
    pub(crate) fn name_of_port(&self, port: &Arc<Port>) -> Option<u32> {
        self.by_port.get(&(Arc::as_ptr(port) as usize)).copied()
    }

    /// Records `name` as the send/receive entry of `port`.
    /// Its node is charged with the name table.
    pub(crate) fn set_port_name(&mut self, port: &Arc<Port>, name: u32) -> MachResult {
        if let Err(by) = self.table_charge.try_add(NODE_BYTES) {
            if by == Refused::Space {
                self.quota().space_full();
            }
            return Err(KERN_NO_SPACE);
        }
        let key = Arc::as_ptr(port) as usize;
        match self
            .by_port
            .try_create_and_insert(key, name, GFP_KERNEL_ACCOUNT)
        {
            // A replaced node was charged too.
            Ok(Some(_)) => self.table_charge.release(NODE_BYTES),
            Ok(None) => {}
            Err(_) => {
                self.table_charge.release(NODE_BYTES);
                return Err(KERN_RESOURCE_SHORTAGE);
            }
        }
        Ok(())
    }

    pub(crate) fn forget_port_name(&mut self, port: &Arc<Port>) {
        if self.by_port.remove(&(Arc::as_ptr(port) as usize)).is_some() {
            self.table_charge.release(NODE_BYTES);
        }
    }

    /// Every live name and its type (mach_port_names).
    pub(crate) fn names(&self) -> impl Iterator<Item = (u32, &Entry)> + '_ {
        self.table.iter().enumerate().filter_map(|(i, e)| {
            if i == 0 || matches!(e.obj, Object::Free { .. }) {
                None
            } else {
                Some((make_name(i as u32, e.gen), e))
            }
        })
    }
}

#[kunit_tests(machipc_space)]
mod tests {
    use super::*;

    #[test]
    fn names_pack_index_and_generation() {
        let n = make_name(0x1234, 7);
        assert_eq!(name_index(n), 0x1234);
        assert_eq!(name_gen(n), 7);
        assert!(name_valid(n));
        assert!(!name_valid(MACH_PORT_NULL));
        assert!(!name_valid(MACH_PORT_DEAD));
    }

    #[test]
    fn freed_name_is_not_reused_at_once() -> Result {
        let s = Space::new()?;
        let mut g = s.inner.lock();
        let a = g
            .alloc(MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead)
            .map_err(|_| ENOMEM)?;
        assert!(a != MACH_PORT_NULL && a != MACH_PORT_DEAD);
        assert!(g.index_of(a).is_some());
        let i = g.index_of(a).unwrap();
        g.free_index(i);
        assert!(g.index_of(a).is_none());
        let b = g
            .alloc(MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead)
            .map_err(|_| ENOMEM)?;
        // Same slot, new generation: a different name.
        assert_eq!(name_index(a), name_index(b));
        assert!(a != b);
        assert!(g.index_of(a).is_none());
        drop(g);
        s.destroy();
        Ok(())
    }

    #[test]
    fn table_grows_and_allocate_name_works() -> Result {
        let s = Space::new()?;
        let mut g = s.inner.lock();
        let mut last = 0;
        for _ in 0..1000 {
            last = g
                .alloc(MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead)
                .map_err(|_| ENOMEM)?;
        }
        assert!(name_index(last) >= 1000);
        let want = make_name(5000, 0x17);
        g.alloc_named(want, MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead)
            .map_err(|_| ENOMEM)?;
        assert!(g.index_of(want).is_some());
        assert_eq!(
            g.alloc_named(want, MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead),
            Err(KERN_NAME_EXISTS)
        );
        drop(g);
        s.destroy();
        Ok(())
    }

    #[test]
    fn named_slots_leave_the_free_list_and_every_slot_comes_out_once() -> Result {
        let s = Space::new()?;
        let mut g = s.inner.lock();
        // Named slots at both ends and in the middle of the free list,
        // and one past the table, which grows it.
        for idx in [2u32, 63, 40, 5, 200, 64] {
            g.alloc_named(
                make_name(idx, GEN_FIRST),
                MACH_PORT_TYPE_DEAD_NAME,
                1,
                Object::Dead,
            )
            .map_err(|_| ENOMEM)?;
        }
        let len = g.table.len();
        let free = (1..len)
            .filter(|&i| matches!(g.table[i].obj, Object::Free { .. }))
            .count();
        let mut seen = KVec::from_elem(false, len, GFP_KERNEL)?;
        for _ in 0..free {
            let n = g
                .alloc(MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead)
                .map_err(|_| ENOMEM)?;
            let i = name_index(n) as usize;
            assert!(i < len);
            assert!(!seen[i]);
            seen[i] = true;
        }
        // Every free slot came out once and the table did not grow; the
        // next name grows it.
        assert_eq!(g.table.len(), len);
        g.alloc(MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead)
            .map_err(|_| ENOMEM)?;
        assert!(g.table.len() > len);
        drop(g);
        s.destroy();
        Ok(())
    }
}
