// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Every function the C shim (`shim.c`) calls into Rust, and nothing else.
//!
//! The shim owns the `file_operations` of `/dev/machipc` and of the port
//! descriptors; their hooks land here. Each callback turns the raw pointers
//! it is handed back into the Rust objects they came from, states why that
//! is sound, and calls the safe function that does the work
//! ([`crate::device`], [`crate::port_fd`]). The C prototypes are in
//! `shim.h`, which `shim.c` includes, so the C compiler checks each call
//! against them.
//!
//! Ownership across the boundary:
//! - a `/dev/machipc` file's `private_data` is one `Arc<Space>` reference,
//!   made by [`machipc_rust_open`] and given back by
//!   [`machipc_rust_release`];
//! - a port descriptor's `private_data` is a `KBox<PortFd>`, made by
//!   [`crate::port_fd::ioctl`] and given back by
//!   [`machipc_rust_port_release`];
//! - a right descriptor's `private_data` is one `Arc<RightFd>` reference,
//!   made by [`crate::right_fd::NewRightFd::new`] and given back by
//!   [`machipc_rust_right_release`].

use core::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::sync::poll::PollTable;
use kernel::sync::{Arc, ArcBorrow};

use crate::device;
use crate::ffi::{RawFile, RawPollTable};
use crate::port_fd::PortFd;
use crate::space::Space;

/// `open` of `/dev/machipc`: a new space, as a pointer for the file's
/// `private_data`, or an `ERR_PTR`.
///
/// # Safety
///
/// Called by the shim's `open` only. A non-error result must be handed to
/// [`machipc_rust_release`] exactly once.
#[no_mangle]
unsafe extern "C" fn machipc_rust_open() -> *mut c_void {
    match device::open() {
        Ok(s) => Arc::into_raw(s).cast_mut().cast(),
        Err(e) => e.to_ptr::<c_void>(),
    }
}

/// `release` of `/dev/machipc`: the space's teardown.
///
/// # Safety
///
/// `space` is the `private_data` [`machipc_rust_open`] returned for this
/// file; release runs once per open file, after every other file operation
/// on it returned.
#[no_mangle]
unsafe extern "C" fn machipc_rust_release(space: *mut c_void) {
    // SAFETY: By the function's safety requirements `space` came from
    // `Arc::into_raw` and its reference is ours now.
    let space = unsafe { Arc::from_raw(space.cast::<Space>().cast_const()) };
    device::release(space);
}

/// `unlocked_ioctl` (and `compat_ioctl`) of `/dev/machipc`.
///
/// # Safety
///
/// `space` is the `private_data` of the open file the ioctl runs on.
#[no_mangle]
unsafe extern "C" fn machipc_rust_ioctl(space: *mut c_void, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: The open file holds the reference `machipc_rust_open` made for
    // as long as an ioctl on it runs; `ArcBorrow` does not consume it.
    let space = unsafe { ArcBorrow::<Space>::from_raw(space.cast::<Space>().cast_const()) };
    match device::ioctl(space, cmd, arg as usize) {
        Ok(()) => 0,
        Err(e) => c_long::from(e.to_errno()),
    }
}

/// A new reference to the space of an open `/dev/machipc` file, for
/// `MACHIPC_IOC_INHERIT` (`machipc_shim_space_of_fd`); the caller owns it.
///
/// # Safety
///
/// `space` is the `private_data` of an open `/dev/machipc` file the caller
/// holds a reference to for the duration of the call.
#[no_mangle]
unsafe extern "C" fn machipc_rust_space_clone(space: *mut c_void) -> *mut c_void {
    // SAFETY: The file's reference keeps the space alive while the caller
    // holds the file.
    let b = unsafe { ArcBorrow::<Space>::from_raw(space.cast::<Space>().cast_const()) };
    let a: Arc<Space> = b.into();
    Arc::into_raw(a).cast_mut().cast()
}

/// `poll` of a port descriptor.
///
/// # Safety
///
/// `pfd` is the `private_data` of `file`, a port descriptor being polled;
/// `file` is valid and `wait` null or valid for the duration of the call.
#[no_mangle]
unsafe extern "C" fn machipc_rust_port_poll(
    pfd: *mut c_void,
    file: *mut RawFile,
    wait: *mut RawPollTable,
) -> c_uint {
    // SAFETY: `pfd` is the file's private data, alive until release, which
    // cannot run while the VFS is in a poll of the file.
    let me = unsafe { &*pfd.cast::<PortFd>() };
    // SAFETY: The VFS passes a valid file and a null or valid poll table
    // for the duration of this call.
    let (file, table) = unsafe {
        (
            kernel::fs::File::from_raw_file(file),
            PollTable::from_raw(wait),
        )
    };
    me.poll(file, table)
}

/// `read` of a port descriptor: receives the next message into `buf`.
///
/// # Safety
///
/// `pfd` is the `private_data` of the port descriptor being read. `buf` is
/// a user address (never dereferenced here; the receive copies to it
/// through `UserSlice`).
#[no_mangle]
unsafe extern "C" fn machipc_rust_port_read(
    pfd: *mut c_void,
    buf: *mut u8,
    len: usize,
    nonblock: c_int,
) -> isize {
    // SAFETY: `pfd` is the file's private data, alive until release, which
    // cannot run while a read of the file is in progress.
    let me = unsafe { &*pfd.cast::<PortFd>() };
    me.read(buf as usize, len, nonblock != 0)
}

/// `release` of a port descriptor.
///
/// # Safety
///
/// `pfd` is the descriptor's `private_data`, which came from
/// `KBox::into_raw` in [`crate::port_fd::ioctl`]; release runs once, after
/// every other file operation on the descriptor returned.
#[no_mangle]
unsafe extern "C" fn machipc_rust_port_release(pfd: *mut c_void) {
    // SAFETY: By the function's safety requirements the box is ours now.
    crate::port_fd::release(unsafe { KBox::from_raw(pfd.cast::<PortFd>()) });
}

/// `release` of a right descriptor: the right it owns goes (its last send
/// right fires no-senders).
///
/// # Safety
///
/// `rfd` is the descriptor's `private_data`, one reference that came from
/// `Arc::into_raw` in [`crate::right_fd::NewRightFd::new`]; release runs once.
#[no_mangle]
unsafe extern "C" fn machipc_rust_right_release(rfd: *mut c_void) {
    // SAFETY: By the function's safety requirements the reference is ours
    // now.
    drop(unsafe { Arc::from_raw(rfd.cast::<crate::right_fd::RightFd>()) });
}
