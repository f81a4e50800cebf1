// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! A task's flavored ports (XNU's `itk_task_ports[flavor]`): besides the
//! control port (`IKOT_TASK_CONTROL`, whose kernel object is the space
//! itself), a read port (`IKOT_TASK_READ`), an inspect port
//! (`IKOT_TASK_INSPECT`) and a name port (`IKOT_TASK_NAME`), each one port
//! for the task's life, made on first use and dying with the task. A
//! request to one runs the task's MIG routines that accept that flavor
//! (`kobject.rs`), as XNU's MIG types do: `task_t` and `ipc_space_t`
//! take the control port only, `task_read_t` and `ipc_space_read_t` also
//! the read port, `task_inspect_t` also the inspect port, `task_name_t`
//! any.

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::error::*;
use crate::kmsg::KmsgBox;
use crate::port::{KernelObject, Port};
use crate::rights::*;
use crate::space::{Space, SpaceInner};

/// XNU's task port flavors (`mach_task_flavor_t`), strongest first.
pub(crate) const TASK_FLAVOR_CONTROL: u32 = 0;
pub(crate) const TASK_FLAVOR_READ: u32 = 1;
pub(crate) const TASK_FLAVOR_INSPECT: u32 = 2;
pub(crate) const TASK_FLAVOR_NAME: u32 = 3;

/// The kernel object behind a task's read, inspect or name port.
pub(crate) struct FlavorPort {
    space: Arc<Space>,
    flavor: u32,
}

impl KernelObject for FlavorPort {
    fn serve(&self, request: KmsgBox) {
        crate::kobject::serve_task(&self.space, self.flavor, request);
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// The task a task port of any flavor stands for, and the flavor; `None`
/// for any other kernel object.
pub(crate) fn task_of(obj: &dyn KernelObject) -> Option<(&Space, u32)> {
    let any = obj.as_any();
    if let Some(space) = any.downcast_ref::<Space>() {
        return Some((space, TASK_FLAVOR_CONTROL));
    }
    any.downcast_ref::<FlavorPort>()
        .map(|f| (&*f.space, f.flavor))
}

/// The task's port of `flavor` (read, inspect or name), made on first use
/// and the same port from then on; `KERN_FAILURE` once the task is torn
/// down, as XNU's for a task whose IPC is disabled.
pub(crate) fn flavor_port(g: &mut SpaceInner, flavor: u32) -> MachResult<Arc<Port>> {
    let slot = match flavor {
        TASK_FLAVOR_READ | TASK_FLAVOR_INSPECT | TASK_FLAVOR_NAME => (flavor - 1) as usize,
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    if !g.active {
        return Err(KERN_FAILURE);
    }
    if let Some(r) = &g.flavor_ports[slot] {
        return Ok(r.port().clone());
    }
    let space = g.this().ok_or(KERN_FAILURE)?;
    let quota = space.quota.clone();
    // Made before the port, so that a failure drops only a reference to
    // the space (never its last: the caller holds one).
    let obj = Arc::new(FlavorPort { space, flavor }, GFP_KERNEL_ACCOUNT)
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    let port = Port::new(&quota)?;
    port.set_kobject(obj);
    // INVARIANT: the receive right is released when the space is torn
    // down, which kills the port and breaks the space -> port -> space
    // cycle.
    g.flavor_ports[slot] = Some(Right::from_counted(Kind::Receive, port.clone()));
    Ok(port)
}

/// `task_get_special_port`'s rule for a caller holding a weaker port
/// than the control port (XNU's `special_port_allowed_with_task_flavor`):
/// a read port reaches the read, inspect and name ports, an inspect port
/// the inspect and name ports; anything else is `KERN_INVALID_CAPABILITY`.
pub(crate) fn special_allowed(flavor: u32, which: u32) -> MachResult {
    const TASK_NAME_PORT: u32 = 3;
    const TASK_INSPECT_PORT: u32 = 5;
    const TASK_READ_PORT: u32 = 6;
    let ok = match flavor {
        TASK_FLAVOR_CONTROL => true,
        TASK_FLAVOR_READ => matches!(which, TASK_READ_PORT | TASK_INSPECT_PORT | TASK_NAME_PORT),
        TASK_FLAVOR_INSPECT => matches!(which, TASK_INSPECT_PORT | TASK_NAME_PORT),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(KERN_INVALID_CAPABILITY)
    }
}

/// The special-port slot `which` names a flavored port: its flavor.
pub(crate) fn flavor_of_special(which: u32) -> Option<u32> {
    match which {
        3 => Some(TASK_FLAVOR_NAME),
        5 => Some(TASK_FLAVOR_INSPECT),
        6 => Some(TASK_FLAVOR_READ),
        _ => None,
    }
}
