// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The file operations of `/dev/machipc`: one open file is one IPC space.
//! The C shim (`shim.c`) calls these functions; they turn the raw pointers
//! back into the Rust objects they came from and dispatch the ioctls.

use core::ffi::{c_long, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::{UserPtr, UserSlice};

use crate::error::to_code;
use crate::mach_msg::{mach_msg, MsgArgs};
use crate::space::Space;
use crate::uapi;

#[no_mangle]
extern "C" fn machipc_rust_open() -> *mut c_void {
    match Space::new() {
        Ok(s) => Arc::into_raw(s).cast_mut().cast(),
        Err(e) => e.to_ptr::<c_void>(),
    }
}

#[no_mangle]
extern "C" fn machipc_rust_release(space: *mut c_void) {
    // SAFETY: `space` came from `Arc::into_raw` in `machipc_rust_open`, and
    // release runs once per open file, after every ioctl returned.
    let space = unsafe { Arc::from_raw(space.cast::<Space>().cast_const()) };
    space.destroy();
}

#[no_mangle]
extern "C" fn machipc_rust_ioctl(space: *mut c_void, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: The open file holds the reference made in `machipc_rust_open`
    // for as long as an ioctl on it runs; `ArcBorrow` does not consume it.
    let space =
        unsafe { kernel::sync::ArcBorrow::<Space>::from_raw(space.cast::<Space>().cast_const()) };
    let space: Arc<Space> = space.into();
    match ioctl(&space, cmd, arg as usize) {
        Ok(()) => 0,
        Err(e) => c_long::from(e.to_errno()),
    }
}

fn ioctl(space: &Arc<Space>, cmd: u32, arg: usize) -> Result {
    let user = UserSlice::new(UserPtr::from_addr(arg), kernel::ioctl::_IOC_SIZE(cmd));
    match cmd {
        uapi::IOC_VERSION => user.writer().write(&uapi::Version {
            version: uapi::MACHIPC_ABI_VERSION,
            reserved: 0,
        }),
        uapi::IOC_MSG => {
            let (mut r, mut w) = user.reader_writer();
            let mut m: uapi::MsgCall = r.read()?;
            let a = MsgArgs {
                send_msg: m.send_msg as usize,
                rcv_msg: if m.rcv_msg != 0 {
                    m.rcv_msg
                } else {
                    m.send_msg
                } as usize,
                option: m.option,
                send_size: m.send_size,
                rcv_size: m.rcv_size,
                rcv_name: m.rcv_name,
                timeout: m.timeout,
            };
            m.ret = to_code(mach_msg(space, &a));
            w.write(&m)
        }
        uapi::IOC_PORT_FD => crate::port_fd::ioctl(space, user),
        uapi::IOC_INHERIT => {
            let (mut r, mut w) = user.reader_writer();
            let mut c: uapi::InheritCall = r.read()?;
            let raw = crate::ffi::space_of_fd(c.fd);
            if raw.is_null() {
                return Err(EBADF);
            }
            // SAFETY: A non-null pointer from `space_of_fd` is an
            // `Arc::into_raw` whose reference we now own.
            let parent = unsafe { Arc::from_raw(raw.cast::<Space>().cast_const()) };
            c.ret = to_code(space.inherit_from(&parent));
            w.write(&c)
        }
        uapi::IOC_EXC_RAISE => {
            let (mut r, mut w) = user.reader_writer();
            let mut c: uapi::ExcRaiseCall = r.read()?;
            let a = crate::exception::RaiseArgs {
                signo: c.signo,
                port: c.port,
                behavior: c.behavior,
                thread: c.thread,
                reply: c.reply,
                state: c.state as usize,
            };
            c.ret = match crate::exception::raise(space, &a) {
                Ok(r) => {
                    c.exception = r.exception;
                    c.id = r.id;
                    c.code = r.code;
                    c.out_behavior = r.behavior;
                    0
                }
                Err(e) => e.code(),
            };
            w.write(&c)
        }
        _ => match uapi::port_call_nr(cmd) {
            Some(nr) => {
                let (mut r, mut w) = user.reader_writer();
                let mut c: uapi::PortCall = r.read()?;
                c.ret = to_code(crate::mach_port::call(space, nr, &mut c));
                w.write(&c)
            }
            None => Err(ENOTTY),
        },
    }
}

#[no_mangle]
extern "C" fn machipc_rust_space_clone(space: *mut c_void) -> *mut c_void {
    // SAFETY: `space` is the private data of an open machipc file, whose
    // reference keeps it alive while the caller holds the file.
    let b =
        unsafe { kernel::sync::ArcBorrow::<Space>::from_raw(space.cast::<Space>().cast_const()) };
    let a: Arc<Space> = b.into();
    Arc::into_raw(a).cast_mut().cast()
}

#[no_mangle]
extern "C" fn machipc_rust_stats_format(buf: *mut u8, len: usize) -> usize {
    // SAFETY: The shim passes a buffer of `len` writable bytes.
    let buf = unsafe { core::slice::from_raw_parts_mut(buf, len) };
    crate::stats::format(buf)
}
