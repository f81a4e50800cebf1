// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Tasks: which process each space belongs to, and the calls that cross
//! between them (`task_for_pid`, the read, inspect and name flavors of
//! it, `pid_for_task`).
//!
//! A process gets a task port only by opening `/dev/machipc` (libmach does
//! so on first use); `task_for_pid` on a process without an open space
//! fails with `KERN_FAILURE` rather than creating one behind its back.
//!
//! A space belongs to the program image that opened it. A descriptor
//! opened without `O_CLOEXEC` survives `execve`, but its task port then
//! serves no other process: a new image (a setuid program, say) must not
//! be controlled through a port handed out before it ran, as XNU disables
//! the old task port on exec. `task_for_pid` only hands out a space of the
//! image the process runs now.
//!
//! The registry lock is taken alone (see the lock order in the crate root,
//! `machipc_main.rs`).

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::sync::Arc;

use crate::error::*;
use crate::ffi::{ImageLock, PidRef};
use crate::kmsg::Sender;
use crate::right::Deferred;
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

/// The oldest space the process `pid` opened while running its current
/// program image.
fn space_of(pid: &PidRef) -> Option<Arc<Space>> {
    let now = pid.exec_id()?;
    let mut g = TASKS.lock();
    let t = g.trees();
    // The process's spaces in the order they were opened; spaces opened by
    // an earlier program image are skipped.
    let mut from = 0u64;
    loop {
        let cur = t.by_pid.cursor_lower_bound(&(pid.key(), from))?;
        let ((key, id), s) = cur.current();
        if *key != pid.key() {
            return None;
        }
        if s.exec_id == now {
            return Some(s.clone());
        }
        from = id.checked_add(1)?;
    }
}

/// Whether `space` still belongs to the program image of the process that
/// opened it (it has neither exec'd nor exited).
pub(crate) fn is_current_image(space: &Space) -> bool {
    space
        .pid
        .as_ref()
        .and_then(|p| p.exec_id())
        .is_some_and(|id| id == space.exec_id)
}

/// Lets a request to a task port run (see [`hold_image`]); once dropped,
/// the space's owner may exec again.
pub(crate) struct ImageHold {
    /// `None` when the sender is the owner itself.
    _lock: Option<ImageLock>,
}

/// Whether `space`'s task port may serve a request from `sender`: always
/// for the process that opened the space; for anyone else only while that
/// process still runs the program image that opened it, which the result
/// keeps so (no `execve` can start meanwhile). Sleeps.
pub(crate) fn hold_image(space: &Space, sender: &Sender) -> Option<ImageHold> {
    let owner = space.pid.as_ref()?;
    if sender.pid.as_ref().is_some_and(|p| p.key() == owner.key()) {
        return Some(ImageHold { _lock: None });
    }
    let lock = owner.lock_image(space.exec_id)?;
    Some(ImageHold { _lock: Some(lock) })
}

/// `task_for_pid`: a send right to the task port of process `pid`, if the
/// caller may ptrace it.
pub(crate) fn task_for_pid(space: &Space, pid: i32) -> MachResult<u32> {
    if pid <= 0 {
        return Err(KERN_FAILURE);
    }
    let target = PidRef::find(pid).ok_or(KERN_FAILURE)?;
    if !target.may_attach() {
        return Err(KERN_FAILURE);
    }
    let other = space_of(&target).ok_or(KERN_FAILURE)?;
    // The target may have exec'd (a setuid program) since the check and
    // opened this space afterwards: ask again now that the space is
    // chosen. If it execs after this, the port serves no one but it.
    if !target.may_attach() || !is_current_image(&other) {
        return Err(KERN_FAILURE);
    }
    let port = other
        .inner
        .lock()
        .task_port
        .as_ref()
        .map(|r| r.port().clone())
        .ok_or(KERN_FAILURE)?;
    let right = port.copy_send_live()?.ok_or(KERN_FAILURE)?;
    let mut d = Deferred::new();
    let r = space.lock_with_free(1).copyout(space.id, right, &mut d);
    d.release();
    r
}

/// Whether the caller is the task of `space` (XNU's `task ==
/// current_task()`): the process that opened it, still running the
/// program image that opened it.
pub(crate) fn is_caller(space: &Space) -> bool {
    space.pid.as_ref().is_some_and(|p| p.is_current())
        && space.exec_id == crate::ffi::current_exec_id()
}

/// Why `flavor_for_pid` failed, for libmach to answer as XNU's calls do.
/// `task_read_for_pid` and `task_inspect_for_pid` are BSD calls there,
/// which fail with an errno (`ESRCH`, `EPERM`); `task_name_for_pid` is a
/// Mach trap that fails with `KERN_FAILURE`.
const NO_PROCESS: MachError = KERN_FAILURE;
const NOT_PERMITTED: MachError = KERN_PROTECTION_FAILURE;

/// `task_read_for_pid`, `task_inspect_for_pid` and `task_name_for_pid`: a
/// send right to the port of `flavor` of process `pid`'s task. The read
/// and inspect ports follow `task_for_pid`'s rule (ptrace's, as XNU's
/// `task_for_pid_posix_check`), the name port XNU's weaker one
/// (`PidRef::may_name`). A process without a space has no task:
/// `MACH_PORT_NULL`, as XNU answers for a process without one.
/// `KERN_FAILURE` for no such process (an exited one included),
/// `KERN_PROTECTION_FAILURE` when not permitted.
pub(crate) fn flavor_for_pid(space: &Space, pid: i32, flavor: u32) -> MachResult<u32> {
    use crate::task_port::{TASK_FLAVOR_INSPECT, TASK_FLAVOR_NAME, TASK_FLAVOR_READ};
    if !matches!(
        flavor,
        TASK_FLAVOR_READ | TASK_FLAVOR_INSPECT | TASK_FLAVOR_NAME
    ) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    if pid <= 0 {
        return Err(NO_PROCESS);
    }
    let target = PidRef::find(pid).ok_or(NO_PROCESS)?;
    let allowed = |t: &PidRef| {
        if flavor == TASK_FLAVOR_NAME {
            t.may_name()
        } else {
            t.may_attach()
        }
    };
    if target.exec_id().is_none() {
        return Err(NO_PROCESS);
    }
    if !allowed(&target) {
        return Err(NOT_PERMITTED);
    }
    let other = match space_of(&target) {
        Some(s) => s,
        None => return Ok(crate::rights::MACH_PORT_NULL),
    };
    // As task_for_pid: the target may have exec'd since the check.
    if !allowed(&target) || !is_current_image(&other) {
        return Err(NOT_PERMITTED);
    }
    let port = {
        let mut g = other.inner.lock();
        crate::task_port::flavor_port(&mut g, flavor)?
    };
    let right = port.copy_send_live()?.ok_or(NO_PROCESS)?;
    let mut d = Deferred::new();
    let r = space.lock_with_free(1).copyout(space.id, right, &mut d);
    d.release();
    r
}

/// `pid_for_task`: the process behind a task port name. A task port of a
/// program image that has since exec'd or exited names no process (but
/// for the process itself).
pub(crate) fn pid_for_task(space: &Space, name: u32) -> MachResult<i32> {
    let mut d = Deferred::new();
    let port = {
        let mut g = space.inner.lock();
        let i = g.lookup(name, &mut d).map_err(|_| KERN_FAILURE)?;
        match &g.table[i].obj {
            Object::Port(p) => p.clone(),
            _ => return Err(KERN_FAILURE),
        }
    };
    d.release();
    let obj = port.kobject().ok_or(KERN_FAILURE)?;
    // Any flavor: XNU's `port_name_to_task_name`.
    let (task, _) = crate::task_port::task_of(&*obj).ok_or(KERN_FAILURE)?;
    let owner = task.pid.as_ref().ok_or(KERN_FAILURE)?;
    if !owner.is_current() && !is_current_image(task) {
        return Err(KERN_FAILURE);
    }
    match owner.nr_in_current_ns() {
        0 => Err(KERN_FAILURE),
        pid => Ok(pid),
    }
}
