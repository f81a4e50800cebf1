// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The file operations of `/dev/machipc`: one open file is one IPC space.
//! The C shim reaches these through `callbacks.rs`, which turns its raw
//! pointers back into the Rust objects they came from.

use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::{UserPtr, UserSlice};

use crate::error::to_code;
use crate::mach_msg::{mach_msg, MsgArgs};
use crate::space::Space;
use crate::uapi;

/// `open(2)`: a new space.
pub(crate) fn open() -> Result<Arc<Space>> {
    Space::new()
}

/// The last close of the file: the space is torn down.
pub(crate) fn release(space: Arc<Space>) {
    space.destroy();
}

/// `ioctl(2)` on the file.
pub(crate) fn ioctl(space: &Arc<Space>, cmd: u32, arg: usize) -> Result {
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
            let parent = crate::ffi::space_of_fd(c.fd).ok_or(EBADF)?;
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
