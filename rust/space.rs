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
//! # Lock order
//!
//! `Space::inner` is taken before any `Port::inner` or `PortSet::inner`,
//! and never together with another space's lock.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{Arc, Mutex};

use crate::error::*;
use crate::port::Port;
use crate::port_set::PortSet;
use crate::rights::*;
use crate::stats;

/// Special port slots (`TASK_MAX_SPECIAL_PORT` + 1).
pub(crate) const SPECIAL_PORTS: usize = 12;
pub(crate) const TASK_KERNEL_PORT: usize = 1;
pub(crate) const TASK_BOOTSTRAP_PORT: usize = 4;

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
    /// An unused slot; `next` links the free list (0 ends it).
    Free { next: u32 },
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
pub(crate) struct SpaceInner {
    pub(crate) active: bool,
    pub(crate) table: KVec<Entry>,
    free_head: u32,
    /// Port address → name of the entry holding its send and/or receive
    /// right, so each port has at most one such name (XNU's reverse hash).
    pub(crate) by_port: RBTree<usize, u32>,
    /// `task_get/set_special_port` slots, each holding a send right.
    pub(crate) special: [Option<Right>; SPECIAL_PORTS],
    /// The receive right of this task's port, held by the kernel.
    pub(crate) task_port: Option<Right>,
    /// Exception ports by exception type.
    pub(crate) exc: [crate::exception::ExcPort; crate::exception::EXC_TYPES_COUNT],
}

/// An IPC space.
#[pin_data(PinnedDrop)]
pub(crate) struct Space {
    #[pin]
    pub(crate) inner: Mutex<SpaceInner>,
    pub(crate) id: u64,
    /// The process that opened the space (for task_for_pid/pid_for_task).
    pub(crate) pid: Option<crate::ffi::PidRef>,
    /// The program image that process ran then: once it execs, the task
    /// port serves no other process (`crate::task::hold_image`).
    pub(crate) exec_id: u64,
    /// Message bytes this space has queued and not yet received.
    pub(crate) quota: Arc<Quota>,
}

static NEXT_SPACE_ID: Atomic<u64> = Atomic::new(1);

/// Bytes of message data (inline and out-of-line) one space may have
/// queued and not yet received; beyond, sends fail with
/// `MACH_SEND_NO_BUFFER`, so a process cannot exhaust kernel memory by
/// queueing messages no one receives. The memory is also charged to the
/// sender's memory cgroup (`GFP_KERNEL_ACCOUNT`).
pub(crate) const QUEUED_BYTES_MAX: i64 = 64 << 20;

/// A space's account of the message bytes it has in flight.
pub(crate) struct Quota {
    bytes: Atomic<i64>,
}

/// Bytes charged to a space's quota, released when dropped (with the
/// message that holds it).
pub(crate) struct Charge {
    quota: Arc<Quota>,
    bytes: i64,
}

impl Quota {
    fn new() -> Result<Arc<Quota>> {
        Ok(Arc::new(
            Quota {
                bytes: Atomic::new(0),
            },
            GFP_KERNEL,
        )?)
    }
}

impl Charge {
    /// Charges `n` bytes to `quota`, if it has room.
    pub(crate) fn new(quota: &Arc<Quota>, n: usize) -> Option<Charge> {
        let mut c = Charge {
            quota: quota.clone(),
            bytes: 0,
        };
        c.add(n).then_some(c)
    }

    /// Charges `n` more bytes, if the quota has room.
    pub(crate) fn add(&mut self, n: usize) -> bool {
        let n = n as i64;
        let old = self.quota.bytes.fetch_add(n, Relaxed);
        if old + n > QUEUED_BYTES_MAX {
            self.quota.bytes.fetch_sub(n, Relaxed);
            return false;
        }
        self.bytes += n;
        true
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.quota.bytes.fetch_sub(self.bytes, Relaxed);
    }
}

impl Space {
    pub(crate) fn new() -> Result<Arc<Space>> {
        let id = NEXT_SPACE_ID.fetch_add(1, Relaxed);
        let quota = Quota::new()?;
        let s = Arc::pin_init(
            pin_init!(Space {
                inner <- new_mutex!(SpaceInner {
                    active: true,
                    table: KVec::new(),
                    free_head: 0,
                    by_port: RBTree::new(),
                    special: [const { None }; SPECIAL_PORTS],
                    task_port: None,
                    exc: Default::default(),
                }, "Space::inner"),
                id,
                pid: Some(crate::ffi::PidRef::current_tgid()),
                exec_id: crate::ffi::current_exec_id(),
                quota,
            }),
            GFP_KERNEL,
        )?;
        stats::SPACES.inc();
        // The task's own port: a kernel object whose first name (0x103)
        // is the send right `mach_task_self()` returns.
        let port = Port::new()?;
        {
            let mut pg = port.inner.lock();
            pg.kobject = Some(s.clone());
            pg.srights = 1;
            pg.mscount = 1;
        }
        let mut g = s.inner.lock();
        g.task_port = Some(Right::from_counted(Kind::Receive, port.clone()));
        let r = g.alloc(MACH_PORT_TYPE_SEND, 1, Object::Port(port.clone()));
        let r = match r {
            Ok(name) => g.set_port_name(&port, name).map(|()| name),
            Err(e) => Err(e),
        };
        drop(g);
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
        let exc = core::mem::take(&mut g.exc);
        g.free_head = 0;
        drop(g);
        drop(by_port);
        drop(special);
        for (i, e) in table.into_iter().enumerate() {
            let name = make_name(i as u32, e.gen);
            release_entry(self.id, name, e);
        }
        drop(exc);
        drop(task_port);
    }
}

impl Space {
    /// After fork: this new space takes a send right to the parent's
    /// bootstrap port as its own bootstrap port.
    pub(crate) fn inherit_from(&self, parent: &Space) -> MachResult {
        if core::ptr::eq(self, parent) {
            return Err(KERN_INVALID_ARGUMENT);
        }
        let port = parent.inner.lock().special[TASK_BOOTSTRAP_PORT]
            .as_ref()
            .map(|r| r.port().clone());
        let new = port.map(|p| {
            p.inner.lock().srights += 1;
            Right::from_counted(Kind::Send, p)
        });
        let old = core::mem::replace(&mut self.inner.lock().special[TASK_BOOTSTRAP_PORT], new);
        drop(old);
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
    /// The table index of `name` if it denotes a live entry.
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

    /// Grows the table to at least `want` slots (doubling), linking the
    /// new slots in front of the free list, lowest index first.
    fn grow(&mut self, want: usize) -> MachResult {
        let len = self.table.len();
        if want > MAX_NAMES {
            return Err(KERN_NO_SPACE);
        }
        let new_len = want.max(len * 2).clamp(64, MAX_NAMES);
        if new_len <= len {
            return Err(KERN_NO_SPACE);
        }
        self.table
            .reserve(new_len - len, GFP_KERNEL_ACCOUNT)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let start = if len == 0 {
            // Slot 0 is never a name.
            let _ = self.table.push_within_capacity(Entry {
                gen: 0,
                bits: 0,
                urefs: 0,
                obj: Object::Dead,
            });
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
            let _ = self.table.push_within_capacity(Entry {
                gen: GEN_FIRST,
                bits: 0,
                urefs: 0,
                obj: Object::Free { next },
            });
        }
        self.free_head = start as u32;
        Ok(())
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
        let e = &mut self.table[i];
        if let Object::Free { next } = e.obj {
            self.free_head = next;
        }
        e.bits = bits;
        e.urefs = urefs;
        e.obj = obj;
        Ok(make_name(i as u32, e.gen))
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
        if !self.active {
            return Err(KERN_INVALID_TASK);
        }
        let idx = name_index(name) as usize;
        if idx >= MAX_NAMES {
            return Err(KERN_NO_SPACE);
        }
        // Names the kernel could have chosen only: generation bits `11`.
        if name & 3 != 3 {
            return Err(KERN_INVALID_VALUE);
        }
        if idx == 0 {
            return Err(KERN_FAILURE);
        }
        if self.table.len() <= idx {
            self.grow(idx + 1)?;
        }
        if !matches!(self.table[idx].obj, Object::Free { .. }) {
            return Err(if self.table[idx].gen == name_gen(name) {
                KERN_NAME_EXISTS
            } else {
                KERN_FAILURE
            });
        }
        // Unlink idx from the free list.
        let mut prev = 0usize;
        let mut cur = self.free_head as usize;
        while cur != 0 && cur != idx {
            prev = cur;
            cur = match self.table[cur].obj {
                Object::Free { next } => next as usize,
                _ => 0,
            };
        }
        let next = match self.table[idx].obj {
            Object::Free { next } => next,
            _ => 0,
        };
        if prev == 0 {
            self.free_head = next;
        } else {
            self.table[prev].obj = Object::Free { next };
        }
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
        let old = core::mem::replace(&mut e.obj, Object::Free { next: head });
        e.gen = e.gen.wrapping_add(GEN_STEP);
        e.bits = 0;
        e.urefs = 0;
        self.free_head = i as u32;
        if let Object::Port(p) = &old {
            let key = Arc::as_ptr(p) as usize;
            if self.by_port.get(&key) == Some(&name) {
                self.by_port.remove(&key);
            }
        }
        old
    }

    /// The name of this space's send/receive entry for `port`, if any.
    pub(crate) fn name_of_port(&self, port: &Arc<Port>) -> Option<u32> {
        self.by_port.get(&(Arc::as_ptr(port) as usize)).copied()
    }

    /// Records `name` as the send/receive entry of `port`.
    pub(crate) fn set_port_name(&mut self, port: &Arc<Port>, name: u32) -> MachResult {
        self.by_port
            .try_create_and_insert(Arc::as_ptr(port) as usize, name, GFP_KERNEL)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        Ok(())
    }

    pub(crate) fn forget_port_name(&mut self, port: &Arc<Port>) {
        self.by_port.remove(&(Arc::as_ptr(port) as usize));
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
}
