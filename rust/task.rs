// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Tasks: which process each space belongs to, and the calls that cross
//! between them (`task_for_pid`, `pid_for_task`).
//!
//! A process gets a task port only by opening `/dev/machipc` (libmach does
//! so on first use); `task_for_pid` on a process without an open space
//! fails with `KERN_FAILURE` rather than creating one behind its back.
//!
//! The registry lock is taken alone, never with a space or port lock held.

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::sync::Arc;

use crate::error::*;
use crate::ffi::PidRef;
use crate::right::Deferred;
use crate::rights::{Kind, Right};
use crate::space::{Object, Space};

kernel::sync::global_lock! {
    // SAFETY: `init` is called in the module initializer, before any space
    // exists.
    pub(crate) unsafe(uninit) static TASKS: Mutex<TaskList> = TaskList { trees: None };
}

/// Every live space (the trees are made on first use: a static needs a
/// constant initializer).
pub(crate) struct TaskList {
    trees: Option<Trees>,
}

/// Every live space by id and by process, so that no lookup walks them all
/// (a machine may have tens of thousands).
struct Trees {
    by_id: RBTree<u64, Arc<Space>>,
    /// Keyed by the process's `struct pid` and the space id: a process's
    /// spaces sort together, oldest (lowest id) first.
    by_pid: RBTree<(usize, u64), Arc<Space>>,
}

impl TaskList {
    fn trees(&mut self) -> &mut Trees {
        self.trees.get_or_insert_with(|| Trees {
            by_id: RBTree::new(),
            by_pid: RBTree::new(),
        })
    }
}

fn pid_key(space: &Space) -> usize {
    space.pid.as_ref().map_or(0, |p| p.key())
}

/// Records a new space.
pub(crate) fn register(space: &Arc<Space>) -> Result {
    let a = RBTreeNode::new(space.id, space.clone(), GFP_KERNEL_ACCOUNT)?;
    let b = RBTreeNode::new(
        (pid_key(space), space.id),
        space.clone(),
        GFP_KERNEL_ACCOUNT,
    )?;
    let mut g = TASKS.lock();
    let t = g.trees();
    t.by_id.insert(a);
    t.by_pid.insert(b);
    Ok(())
}

/// Forgets a space that is being destroyed.
pub(crate) fn unregister(space: &Space) {
    let mut g = TASKS.lock();
    let t = g.trees();
    let a = t.by_id.remove(&space.id);
    let b = t.by_pid.remove(&(pid_key(space), space.id));
    drop(g);
    drop(a);
    drop(b);
}

/// The oldest space opened by the process `pid`.
fn space_of(pid: &PidRef) -> Option<Arc<Space>> {
    let mut g = TASKS.lock();
    let cur = g.trees().by_pid.cursor_lower_bound(&(pid.key(), 0))?;
    let ((key, _), s) = cur.current();
    (*key == pid.key()).then(|| s.clone())
}

/// A send-possible request registered by `space` on `name` has fired:
/// the name no longer shows `MACH_PORT_TYPE_DNREQUEST` (XNU keeps the slot
/// but without a send-once right). Takes the registry lock, then the
/// space's; the caller holds no lock.
pub(crate) fn request_fired(space: u64, name: u32, port: &Arc<crate::port::Port>) {
    let s = TASKS.lock().trees().by_id.get(&space).cloned();
    if let Some(s) = s {
        let mut g = s.inner.lock();
        if let Some(i) = g.index_of(name) {
            if matches!(&g.table[i].obj, Object::Port(p) if Arc::ptr_eq(p, port)) {
                g.table[i].bits &= !crate::rights::MACH_PORT_TYPE_DNREQUEST;
            }
        }
    }
}

/// `task_for_pid`: a send right to the task port of process `pid`, if the
/// caller may ptrace it.
pub(crate) fn task_for_pid(space: &Arc<Space>, pid: i32) -> MachResult<u32> {
    if pid <= 0 {
        return Err(KERN_FAILURE);
    }
    let target = PidRef::find(pid).ok_or(KERN_FAILURE)?;
    if !target.may_attach() {
        return Err(KERN_FAILURE);
    }
    let other = space_of(&target).ok_or(KERN_FAILURE)?;
    let port = other
        .inner
        .lock()
        .task_port
        .as_ref()
        .map(|r| r.port().clone())
        .ok_or(KERN_FAILURE)?;
    {
        let mut pg = port.inner.lock();
        if !pg.active {
            return Err(KERN_FAILURE);
        }
        pg.count_send()?;
    }
    let right = Right::from_counted(Kind::Send, port);
    let mut d = Deferred::new();
    let r = space.inner.lock().copyout(space.id, right, &mut d);
    drop(d);
    r
}

/// `pid_for_task`: the process behind a task port name.
pub(crate) fn pid_for_task(space: &Arc<Space>, name: u32) -> MachResult<i32> {
    let mut d = Deferred::new();
    let port = {
        let mut g = space.inner.lock();
        let i = g.lookup(name, &mut d).map_err(|_| KERN_FAILURE)?;
        match &g.table[i].obj {
            Object::Port(p) => p.clone(),
            _ => return Err(KERN_FAILURE),
        }
    };
    drop(d);
    let task = port.inner.lock().kobject.clone().ok_or(KERN_FAILURE)?;
    let pid = task
        .pid
        .as_ref()
        .map(|p| p.nr_in_current_ns())
        .ok_or(KERN_FAILURE)?;
    Ok(pid)
}
