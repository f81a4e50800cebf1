// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Rights as descriptors (`machipc_port_to_fd`, `machipc_fd_to_port`): an
//! anonymous-inode file that owns one send right or one send-once right,
//! so a Mach right can cross a UNIX socket (`SCM_RIGHTS`), be inherited
//! across `fork` and `exec`, or be held by any process that keeps
//! descriptors. The right is released when the file's last descriptor
//! closes: a send right's release may fire no-senders, an unused
//! send-once right's a send-once notification, as if a task had dropped
//! it.
//!
//! A send right stays in the file: `machipc_fd_to_port` names a copy of
//! it each time. A send-once right moves out on the first
//! `machipc_fd_to_port`; the file then holds nothing, and further calls
//! answer `KERN_INVALID_RIGHT`.
//!
//! Lock order: `RightFd::right` is a leaf, taken under `Space::inner` by
//! `fd_to_port`; nothing is taken under it but a port's spinlock (to count
//! a send right).

use kernel::fs::File;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, Mutex};

use crate::error::*;
use crate::ffi::{FdSlot, FileKind};
use crate::limits::Charge;
use crate::mach_port::locked;
use crate::rights::*;
use crate::space::Object;
use crate::space::Space;

/// What a right descriptor costs its maker's quota.
const RIGHT_FD_BYTES: usize = core::mem::size_of::<RightFd>();

/// A right descriptor's state (the file's `private_data`).
#[pin_data]
pub(crate) struct RightFd {
    /// The send or send-once right; `None` before the file is installed
    /// and once a send-once right has moved out.
    #[pin]
    right: Mutex<Option<Right>>,
    _charge: Charge,
}

impl RightFd {
    /// Whether the right is a send right to a fileport (such a descriptor
    /// may not go into a fileport: `fileport.rs`).
    pub(crate) fn is_fileport_right(&self) -> bool {
        let port = self.right.lock().as_ref().map(|r| r.port().clone());
        port.is_some_and(|p| crate::fileport::is_fileport(&p))
    }
}

/// A descriptor for `machipc_port_to_fd`, made and numbered but not yet
/// holding its right nor installed, so that the caller can report the
/// number before anything it cannot take back happens: only
/// [`NewRightFd::install`] takes the right out of the space. Dropped
/// instead, it gives the number back, and the file goes holding no right.
pub(crate) struct NewRightFd {
    name: u32,
    rfd: Arc<RightFd>,
    slot: FdSlot,
    file: ARef<File>,
}

impl NewRightFd {
    /// `machipc_port_to_fd`'s first half: a descriptor for the right
    /// `name` names. `KERN_INVALID_RIGHT` for a null or dead name,
    /// `KERN_RESOURCE_SHORTAGE` when memory, the caller's limits or its
    /// descriptor table run out.
    pub(crate) fn new(space: &Space, name: u32) -> MachResult<NewRightFd> {
        if !name_valid(name) {
            return Err(KERN_INVALID_RIGHT);
        }
        // Everything that can fail for want of resources comes first, so
        // the right, once out of the space, cannot be lost.
        let charge = Charge::new(&space.quota, RIGHT_FD_BYTES).ok_or(KERN_RESOURCE_SHORTAGE)?;
        let rfd = Arc::pin_init(
            pin_init!(RightFd {
                right <- new_mutex!(None, "RightFd::right"),
                _charge: charge,
            }),
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let slot = FdSlot::cloexec().map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        let file = crate::ffi::right_file(rfd.clone()).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        Ok(NewRightFd {
            name,
            rfd,
            slot,
            file,
        })
    }

    /// The descriptor's number, once installed.
    pub(crate) fn fd(&self) -> i32 {
        self.slot.fd()
    }

    /// `machipc_port_to_fd`'s second half: the descriptor takes a copy of
    /// the send right the name names (COPY_SEND), or the send-once right
    /// (moved out of `space`), and is installed. Errors as
    /// `mach_port_extract_right` gives them: `KERN_INVALID_RIGHT` for a
    /// dead name, a receive right alone or a port set, `KERN_INVALID_NAME`
    /// for a name not in use; the space is then unchanged and no
    /// descriptor is installed.
    pub(crate) fn install(self, space: &Space) -> MachResult {
        let carried = locked(space, |g, sid, d| {
            let i = g.lookup(self.name, d)?;
            let disp = if g.table[i].bits & MACH_PORT_TYPE_SEND_ONCE != 0 {
                MACH_MSG_TYPE_MOVE_SEND_ONCE
            } else {
                MACH_MSG_TYPE_COPY_SEND
            };
            g.copyin(sid, self.name, disp, d)
        });
        // On an error the unused file goes (its release finds no right).
        let right = match carried? {
            Carried::Right(r) => r,
            Carried::Dead | Carried::Null => return Err(KERN_INVALID_RIGHT),
        };
        *self.rfd.right.lock() = Some(right);
        self.slot.install(self.file);
        Ok(())
    }
}

/// `machipc_fd_to_port`: names in `space` the right descriptor `fd` owns:
/// a new send right (the descriptor keeps its own) or the send-once right
/// (moved out). A right to a port that died since is named
/// `MACH_PORT_DEAD`, as a message's. `KERN_INVALID_ARGUMENT` if `fd` is
/// not a right descriptor, `KERN_INVALID_RIGHT` if its send-once right
/// moved out already, the space's errors (`KERN_NO_SPACE`, ...) if it
/// cannot take a name; a send-once right then stays in the descriptor.
pub(crate) fn fd_to_port(space: &Space, fd: i32) -> MachResult<u32> {
    let file = crate::ffi::fget(fd).map_err(|_| KERN_INVALID_ARGUMENT)?;
    let rfd = match crate::ffi::file_kind(&file) {
        FileKind::RightFd(r) => r,
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    locked(space, |g, sid, d| {
        let mut slot = rfd.right.lock();
        let (kind, port) = match slot.as_ref() {
            Some(r) => (r.kind(), r.port().clone()),
            None => return Err(KERN_INVALID_RIGHT),
        };
        if kind == Kind::Send {
            let copy = port.copy_send()?;
            drop(slot);
            return g.copyout(sid, copy, d);
        }
        if !port.is_active() {
            if let Some(r) = slot.take() {
                d.right(r);
            }
            return Ok(MACH_PORT_DEAD);
        }
        // A send-once right has an entry of its own: made first, so a
        // full space leaves the right in the descriptor.
        let name = g.alloc(MACH_PORT_TYPE_SEND_ONCE, 1, Object::Port(port))?;
        if let Some(r) = slot.take() {
            // The entry takes over the right's count.
            let _ = r.into_counted();
        }
        Ok(name)
    })
}
