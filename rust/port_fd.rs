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
use kernel::new_poll_condvar;
use kernel::prelude::*;
use kernel::sync::poll::{PollCondVar, PollTable};
use kernel::sync::{Arc, ArcBorrow};
use kernel::uaccess::UserSlice;

use crate::defs::MACH_RCV_LARGE;
use crate::error::*;
use crate::mach_msg::{receive_from, Source};
use crate::right::Deferred;
use crate::rights::MACH_PORT_TYPE_RECEIVE;
use crate::space::{Object, Space};
use crate::stats;
use crate::uapi::PortFdCall;

/// The wait queue a port or set wakes for one descriptor.
#[pin_data]
pub(crate) struct Poller {
    #[pin]
    cv: PollCondVar,
}

/// Wakes every descriptor polling a port or set.
pub(crate) fn wake_pollers(list: &KVec<Arc<Poller>>) {
    for p in list.iter() {
        p.cv.notify_all();
    }
}

/// One descriptor's state (the file's `private_data`).
pub(crate) struct PortFd {
    space: Arc<Space>,
    src: Source,
    trailer: u32,
    poller: Arc<Poller>,
}

const EPOLLIN: c_uint = 0x1;
const EPOLLRDNORM: c_uint = 0x40;
const EPOLLHUP: c_uint = 0x10;

/// `MACHIPC_IOC_PORT_FD`: makes a descriptor for a receive right or set.
/// Errors: `ENOENT` if the name is not in the space, `EINVAL` if it names
/// neither a receive right nor a port set.
pub(crate) fn ioctl(space: ArcBorrow<'_, Space>, user: UserSlice) -> Result {
    let (mut r, mut w) = user.reader_writer();
    let mut c: PortFdCall = r.read()?;
    if c.trailer & !0xff00_0000 != 0 || (c.trailer >> 28) != 0 {
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
    let poller = Arc::pin_init(
        pin_init!(Poller { cv <- new_poll_condvar!("PortFd::cv") }),
        GFP_KERNEL,
    )?;
    match &src {
        Source::Port(p) => p.inner.lock().pollers.push(poller.clone(), GFP_KERNEL)?,
        Source::Set(s) => s.inner.lock().pollers.push(poller.clone(), GFP_KERNEL)?,
    }
    let fd = KBox::new(
        PortFd {
            space: space.into(),
            src,
            trailer: c.trailer,
            poller,
        },
        GFP_KERNEL,
    )?;
    stats::PORT_FDS.inc();
    let raw = KBox::into_raw(fd);
    // SAFETY: `raw` comes from `KBox::into_raw`; on success the file owns it
    // and hands it back to `release` (`machipc_rust_port_release`).
    match unsafe { crate::ffi::install_port_fd(raw.cast()) } {
        Ok(n) => {
            c.fd = n;
            w.write(&c)
        }
        Err(e) => {
            // SAFETY: Not installed, so we still own `raw`.
            release(unsafe { KBox::from_raw(raw) });
            Err(e)
        }
    }
}

/// The descriptor was closed.
pub(crate) fn release(fd: KBox<PortFd>) {
    let me = &fd.poller;
    // The entries removed are clones of `fd.poller`, so dropping them under
    // the lock never frees the poller.
    let remove = |list: &mut KVec<Arc<Poller>>| list.retain(|p| !Arc::ptr_eq(p, me));
    match &fd.src {
        Source::Port(p) => remove(&mut p.inner.lock().pollers),
        Source::Set(s) => remove(&mut s.inner.lock().pollers),
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
            Source::Port(p) => !p.inner.lock().held_by(self.space.id),
            Source::Set(s) => !s.inner.lock().active,
        }
    }

    /// Whether a read would find a message: never once hung up.
    fn readable(&self) -> bool {
        match &self.src {
            Source::Port(p) => {
                let g = p.inner.lock();
                g.held_by(self.space.id) && !g.queue.is_empty()
            }
            Source::Set(s) => s.has_message(),
        }
    }
}

impl PortFd {
    /// `poll(2)`: registers `table` on the descriptor's wait queue and
    /// returns the events ready now.
    pub(crate) fn poll(&self, file: &File, table: PollTable<'_>) -> c_uint {
        table.register_wait(file, &self.poller.cv);
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
