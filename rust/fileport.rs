// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Fileports (XNU's `fileport_makeport` and `fileport_makefd`): an open
//! file as a Mach port. The port is a kernel object (`IKOT_FILEPORT`)
//! whose receive right the [`FilePort`] itself holds; its send rights
//! travel in messages like any other, and whoever holds one can install
//! the file as a new descriptor. The last send right's release (XNU's
//! `fileport_no_senders`) destroys the port, and with it the object's
//! reference to the file.
//!
//! # What may not become a fileport
//!
//! A fileport sits in message queues, and a queue lives as long as the
//! space that holds its receive right, which lives as long as its
//! `/dev/machipc` file. A file that can keep such a file open would make a
//! reference cycle no one can break, so it is refused with `EINVAL` (as
//! XNU refuses files that are not `fg_sendable`):
//!
//! - `/dev/machipc` itself: its space's queues may hold this very fileport;
//! - port descriptors (`machipc_port_fd`), which hold their space;
//! - io_uring instances, whose registered files may be `/dev/machipc`;
//! - `AF_UNIX` sockets, whose queued `SCM_RIGHTS` may carry a
//!   `/dev/machipc` descriptor: a cycle through a Mach queue is invisible
//!   to the unix socket garbage collector;
//! - right descriptors (`machipc_port_to_fd`) whose right is a fileport's:
//!   such a fileport could hold that very descriptor.
//!
//! Any other right descriptor is accepted: it holds a send or send-once
//! right, and a send right keeps no receive right, queue or space alive,
//! so a chain fileport -> right descriptor -> port ends there.
//!
//! `FilePort::receive` is a leaf lock: nothing is taken under it, and the
//! right taken out of it is released after it is dropped.

use kernel::fs::File;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, Mutex};
use kernel::uaccess::UserPtr;

use crate::error::*;
use crate::ffi::FileKind;
use crate::kmsg::KmsgBox;
use crate::limits::Charge;
use crate::mach_port::locked;
use crate::port::{KernelObject, Port};
use crate::rights::{Kind, Right, MACH_PORT_TYPE_SEND};
use crate::space::{Object, Space};

/// What a fileport costs its maker's quota besides its port.
const FILEPORT_BYTES: usize = core::mem::size_of::<FilePort>();

/// A fileport's kernel object: the file, and the port's receive right
/// until the last send right goes.
#[pin_data]
pub(crate) struct FilePort {
    file: ARef<File>,
    #[pin]
    receive: Mutex<Option<Right>>,
    _charge: Charge,
}

impl KernelObject for FilePort {
    /// A fileport serves no routine: every request is `MIG_BAD_ID`.
    fn serve(&self, request: KmsgBox) {
        crate::kobject::serve_unknown(request);
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }

    /// No one can reach the port again: it is destroyed, which lets go of
    /// this object and so of the file.
    fn no_senders(&self) {
        let receive = self.receive.lock().take();
        drop(receive);
    }
}

/// Whether `port` is a fileport's.
pub(crate) fn is_fileport(port: &Arc<Port>) -> bool {
    port.kobject().is_some_and(|o| o.as_any().is::<FilePort>())
}

/// `fileport_makeport`: a send right, named in `space`, to a new fileport
/// for descriptor `fd`. Errors as XNU's `sys_fileport_makeport`: `EBADF`
/// for a descriptor not open, `EINVAL` for a file that may not cross (see
/// the module doc) or a name the space cannot hold, `EAGAIN` when memory
/// or the caller's limits run out.
pub(crate) fn makeport(space: &Space, fd: i32) -> Result<u32> {
    let file = crate::ffi::fget(fd)?;
    if !sendable(&file) {
        return Err(EINVAL);
    }
    let charge = Charge::new(&space.quota, FILEPORT_BYTES).ok_or(EAGAIN)?;
    let port = Port::new(&space.quota).map_err(|_| EAGAIN)?;
    // Until the object holds it, dropping this right destroys the port.
    let receive = Right::from_counted(Kind::Receive, port.clone());
    let fp = Arc::pin_init(
        pin_init!(FilePort {
            file,
            receive <- new_mutex!(Some(receive), "FilePort::receive"),
            _charge: charge,
        }),
        GFP_KERNEL_ACCOUNT,
    )
    .map_err(|_| EAGAIN)?;
    port.set_kobject(fp.clone());
    let send = match port.make_send() {
        Ok(s) => s,
        Err(_) => {
            // No send right was ever made: destroy the port by hand.
            fp.no_senders();
            return Err(EAGAIN);
        }
    };
    drop(fp);
    // A send right that cannot be named is released, and its no-senders
    // destroys the fileport.
    locked(space, |g, sid, d| g.copyout(sid, send, d)).map_err(|_| EINVAL)
}

/// Whether `file` may be held by a fileport (see the module doc).
fn sendable(file: &File) -> bool {
    match crate::ffi::file_kind(file) {
        FileKind::Other => true,
        FileKind::RightFd(r) => !r.is_fileport_right(),
        FileKind::Device | FileKind::PortFd | FileKind::IoUring | FileKind::UnixSocket => false,
    }
}

/// `fileport_makefd`: installs the file of the fileport `name` names (a
/// send right) as a new `O_CLOEXEC` descriptor of the caller, received as
/// through `SCM_RIGHTS` (the LSM's `file_receive` hook decides too).
/// `EINVAL` for any name that is not a send right to a live fileport, as
/// XNU's `sys_fileport_makefd`; `EMFILE` past the descriptor limit. The
/// descriptor's number is written to `ufd` before it is installed (XNU
/// returns it in a register, which cannot fault): `EFAULT` leaves no
/// descriptor. The send right stays in the space either way.
pub(crate) fn makefd(space: &Space, name: u32, ufd: UserPtr) -> Result<i32> {
    let port = locked(space, |g, _, d| {
        let i = g.lookup(name, d)?;
        let e = &g.table[i];
        match &e.obj {
            Object::Port(p) if e.bits & MACH_PORT_TYPE_SEND != 0 => Ok(p.clone()),
            _ => Err(KERN_INVALID_RIGHT),
        }
    })
    .map_err(|_| EINVAL)?;
    let obj = port.kobject().ok_or(EINVAL)?;
    let fp = obj.as_any().downcast_ref::<FilePort>().ok_or(EINVAL)?;
    crate::ffi::receive_file(&fp.file, ufd)
}
