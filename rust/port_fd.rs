// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Pollable descriptors for a receive right or a port set
//! (`machipc_port_fd`), so epoll can wait on ports as XNU's kqueue
//! `EVFILT_MACHPORT` does. The descriptor is readable while a message can be
//! received, reports `EPOLLHUP` once the right is destroyed or leaves the
//! space, and `read(2)` receives the next message with the trailer chosen
//! when the descriptor was made (like `MACH_RCV_MSG` in the filter flags).
//!
//! The descriptor does not own the right; it holds the port or set and the
//! space it was made from.

use core::ffi::c_uint;
use kernel::fs::File;
use kernel::prelude::*;
use kernel::sync::poll::PollTable;
use kernel::sync::{Arc, ArcBorrow};
use kernel::uaccess::UserSlice;

use crate::defs::{rcv_trailer_type, MACH_RCV_LARGE, MACH_RCV_TRAILER_MASK};
use crate::error::*;
use crate::ffi::FdSlot;
use crate::mach_msg::{receive_from, Source};
use crate::port::PollWaiter;
use crate::right::Deferred;
use crate::rights::MACH_PORT_TYPE_RECEIVE;
use crate::space::{Object, Space};
use crate::stats;
use crate::uapi::PortFdCall;

/// One descriptor's state (the file's `private_data`).
pub(crate) struct PortFd {
    space: Arc<Space>,
    src: Source,
    trailer: u32,
    poller: Arc<PollWaiter>,
}

const EPOLLIN: c_uint = 0x1;
const EPOLLRDNORM: c_uint = 0x40;
const EPOLLHUP: c_uint = 0x10;

/// `MACHIPC_IOC_PORT_FD`: makes a descriptor for a receive right or set.
/// Errors: `ENOENT` if the name is not in the space, `EINVAL` if it names
/// neither a receive right nor a port set. The descriptor's number is
/// written back before it is installed: `EFAULT` leaves no descriptor.
pub(crate) fn ioctl(space: ArcBorrow<'_, Space>, user: UserSlice) -> Result {
    let (mut r, mut w) = user.reader_writer();
    let mut c: PortFdCall = r.read()?;
    if c.trailer & !MACH_RCV_TRAILER_MASK != 0 || rcv_trailer_type(c.trailer) != 0 {
        return Err(EINVAL);
    }
    let src = {
        let mut d = Deferred::new();
        let mut g = space.inner.lock();
        let i = g.lookup(c.name, &mut d).map_err(|_| ENOENT)?;
        let e = &g.table[i];
        match &e.obj {
            Object::Port(p) if e.bits & MACH_PORT_TYPE_RECEIVE != 0 => Source::Port(p.clone()),
            Object::Set(s) => Source::Set(s.clone()),
            _ => return Err(EINVAL),
        }
    };
    let slot = FdSlot::cloexec()?;
    let poller = PollWaiter::new()?;
    match &src {
        Source::Port(p) => p.add_poller(poller.clone())?,
        Source::Set(s) => s.add_poller(poller.clone())?,
    }
    let fd = KBox::new(
        PortFd {
            space: space.into(),
            src,
            trailer: c.trailer,
            poller,
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    stats::PORT_FDS.inc();
    let raw = KBox::into_raw(fd);
    // SAFETY: `raw` comes from `KBox::into_raw`; on success the file owns it
    // and hands it back to `release` (`machipc_rust_port_release`).
    let file = match unsafe { crate::ffi::port_file(raw.cast()) } {
        Ok(f) => f,
        Err(e) => {
            // SAFETY: No file was made, so we still own `raw`.
            release(unsafe { KBox::from_raw(raw) });
            return Err(e);
        }
    };
    c.fd = slot.fd();
    // Not installed if the caller cannot be told of it: the file's last
    // reference goes with `file`, and its release undoes the rest.
    w.write(&c)?;
    slot.install(file);
    Ok(())
}

/// The descriptor was closed.
pub(crate) fn release(fd: KBox<PortFd>) {
    match &fd.src {
        Source::Port(p) => p.remove_poller(&fd.poller),
        Source::Set(s) => s.remove_poller(&fd.poller),
    }
    drop(fd);
    stats::PORT_FDS.dec();
}

impl PortFd {
    /// Whether the right is gone from the space the descriptor came from
    /// (destroyed, or moved to another task: the descriptor then has no
    /// claim on the messages the new holder receives).
    fn hung_up(&self) -> bool {
        match &self.src {
            Source::Port(p) => !p.held_by(self.space.id),
            Source::Set(s) => s.is_dead(),
        }
    }

    /// Whether a read would find a message: never once hung up.
    fn readable(&self) -> bool {
        match &self.src {
            Source::Port(p) => p.has_message_for(self.space.id),
            Source::Set(s) => s.has_message(),
        }
    }
}

impl PortFd {
    /// `poll(2)`: registers `table` on the descriptor's wait queue and
    /// returns the events ready now.
    pub(crate) fn poll(&self, file: &File, table: PollTable<'_>) -> c_uint {
        table.register_wait(file, self.poller.cv());
        let mut mask = 0;
        if self.readable() {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        if self.hung_up() {
            mask |= EPOLLHUP;
        }
        mask
    }

    /// `read(2)`: receives the next message into the user buffer `buf`;
    /// returns its size or a negative errno.
    pub(crate) fn read(&self, buf: usize, len: usize, nonblock: bool) -> isize {
        // A hung-up descriptor reads end of file. The receive below checks
        // the holder again under the port lock, for a right that moves on
        // while this read waits.
        if self.hung_up() {
            return 0;
        }
        let timeout = if nonblock { Some(0) } else { None };
        let option = self.trailer | MACH_RCV_LARGE;
        match receive_from(&self.space, &self.src, buf, len, option, timeout) {
            Ok(n) => n as isize,
            Err(e) => {
                let errno = match e {
                    MACH_RCV_TIMED_OUT => EAGAIN,
                    MACH_RCV_TOO_LARGE => EMSGSIZE,
                    MACH_RCV_INTERRUPTED => ERESTARTSYS,
                    MACH_RCV_INVALID_DATA => EFAULT,
                    MACH_RCV_PORT_DIED | MACH_RCV_PORT_CHANGED => return 0,
                    _ => EIO,
                };
                errno.to_errno() as isize
            }
        }
    }
}
