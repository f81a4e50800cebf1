// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The file operations of `/dev/machipc`: one open file is one IPC space.
//! The C shim reaches these through `callbacks.rs`, which turns its raw
//! pointers back into the Rust objects they came from.
//!
//! This is the ioctl front-end: it reads an ioctl's argument struct,
//! decodes it into a typed call (`mach_port.rs`, `mach_msg.rs`, ...),
//! and writes the results back. The argument structs of `uapi.rs` go no
//! further, and every user copy of an ioctl happens here, with no lock
//! held.

use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::{UserPtr, UserSlice};

use crate::error::*;
use crate::mach_msg::{mach_msg, MsgArgs};
use crate::mach_port as mp;
use crate::space::Space;
use crate::uapi::{self, PortCall};

/// `open(2)`: a new space.
pub(crate) fn open() -> Result<Arc<Space>> {
    Space::new()
}

/// The last close of the file: the space is torn down.
pub(crate) fn release(space: Arc<Space>) {
    Space::release(space);
}

/// `ioctl(2)` on the file, with the space borrowed from the file's
/// reference for the call.
pub(crate) fn ioctl(space: ArcBorrow<'_, Space>, cmd: u32, arg: usize) -> Result {
    // Who the caller is now, not who opened the space (XNU's current
    // credentials): a cheap compare unless they changed.
    crate::security_token::refresh(&space)?;
    let user = UserSlice::new(UserPtr::from_addr(arg), kernel::ioctl::_IOC_SIZE(cmd));
    match cmd {
        uapi::IOC_VERSION => user.writer().write(&uapi::Version {
            version: uapi::MACHIPC_ABI_VERSION,
            reserved: 0,
        }),
        uapi::IOC_MSG => {
            let m: uapi::MsgCall = user.reader().read()?;
            let ret = to_code(mach_msg(&space, &msg_args(&m)));
            // Only the result changes: it alone goes back, not the whole
            // argument (a user copy per byte, twice per RPC).
            let at = arg
                .checked_add(core::mem::offset_of!(uapi::MsgCall, ret))
                .ok_or(EFAULT)?;
            UserSlice::new(UserPtr::from_addr(at), core::mem::size_of::<i32>())
                .writer()
                .write(&ret)
        }
        uapi::IOC_PORT_FD => crate::port_fd::ioctl(space, user),
        uapi::IOC_INHERIT => in_out(user, |c: &mut uapi::InheritCall| inherit(&space, c)),
        uapi::IOC_EXC_RAISE => in_out(user, |c: &mut uapi::ExcRaiseCall| exc_raise(&space, c)),
        _ => match uapi::port_call_nr(cmd) {
            // These make a descriptor or name the caller must be told of,
            // and write their answers themselves (see each).
            Some(uapi::FILEPORT_MAKEPORT) => fileport_makeport(&space, user),
            Some(uapi::FILEPORT_MAKEFD) => fileport_makefd(&space, arg),
            Some(uapi::PORT_TO_FD) => port_to_fd(&space, arg),
            Some(nr) => in_out(user, |c: &mut PortCall| {
                c.ret = to_code(port_call(&space, nr, c));
                Ok(())
            }),
            None => Err(ENOTTY),
        },
    }
}

/// Reads an ioctl's argument struct, runs `f` on it and writes it back.
fn in_out<T: FromBytes + AsBytes>(user: UserSlice, f: impl FnOnce(&mut T) -> Result) -> Result {
    let (mut r, mut w) = user.reader_writer();
    let mut c: T = r.read()?;
    f(&mut c)?;
    w.write(&c)
}

fn msg_args(m: &uapi::MsgCall) -> MsgArgs {
    MsgArgs {
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
    }
}

fn inherit(space: &Space, c: &mut uapi::InheritCall) -> Result {
    let parent = crate::ffi::space_of_fd(c.fd).ok_or(EBADF)?;
    c.ret = to_code(space.inherit_from(&parent));
    Ok(())
}

fn exc_raise(space: &Space, c: &mut uapi::ExcRaiseCall) -> Result {
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
            crate::mach_msg::send_from_kernel(r.request);
            0
        }
        Err(e) => e.code(),
    };
    Ok(())
}

// ---- The mach_port_* ioctls: `PortCall` decoded into typed routines ----

/// `KERN_INSUFFICIENT_BUFFER_SIZE`: the caller's array is too small; its
/// count is set to the size needed.
const KERN_INSUFFICIENT_BUFFER_SIZE: MachError = MachError(52);

/// Runs mach_port call `nr`, with `c` its arguments and results.
fn port_call(space: &Space, nr: u32, c: &mut PortCall) -> MachResult {
    match nr {
        uapi::PORT_NAMES => {
            let (names, types) = mp::names(space)?;
            out_array(c, &names, Some(&types))
        }
        uapi::PORT_TYPE => set(&mut c.poly, mp::port_type(space, c.name)),
        uapi::PORT_ALLOCATE => set(&mut c.name, mp::allocate(space, c.right)),
        uapi::PORT_ALLOCATE_NAME => mp::allocate_name(space, c.right, c.name),
        uapi::PORT_DESTROY => mp::destroy(space, c.name),
        uapi::PORT_DEALLOCATE => mp::deallocate(space, c.name),
        uapi::PORT_GET_REFS => set(
            &mut c.delta,
            mp::get_refs(space, c.name, c.right).map(|n| n as i32),
        ),
        uapi::PORT_MOD_REFS => mp::mod_refs(space, c.name, c.right, c.delta),
        uapi::PORT_INSERT_RIGHT => mp::insert_right(space, c.name, c.poly, c.right),
        uapi::PORT_EXTRACT_RIGHT => {
            (c.poly, c.notify_type) = mp::extract_right(space, c.name, c.right)?;
            Ok(())
        }
        uapi::PORT_MOVE_MEMBER => mp::move_member(space, c.name, c.poly),
        uapi::PORT_INSERT_MEMBER => mp::insert_member(space, c.name, c.poly),
        uapi::PORT_EXTRACT_MEMBER => mp::extract_member(space, c.name, c.poly),
        uapi::PORT_GET_SET_STATUS => out_array(c, &mp::get_set_status(space, c.name)?, None),
        uapi::PORT_REQUEST_NOTIFY => {
            let (id, sync) = (c.flavor as i32, c.value);
            let (r, prev) =
                mp::request_notification(space, c.name, id, sync, c.notify, c.notify_type);
            (c.notify, c.notify_type) = (prev.name, prev.msgt);
            r
        }
        _ => port_state_call(space, nr, c),
    }
}

/// The calls on a receive right's state.
fn port_state_call(space: &Space, nr: u32, c: &mut PortCall) -> MachResult {
    match nr {
        uapi::PORT_GET_ATTRIBUTES => {
            let (w, n) = mp::get_attributes(space, c.name, c.flavor, c.count)?;
            c.count = n;
            user_write(c.data, AsBytes::as_bytes(&w[..n as usize]))
        }
        uapi::PORT_SET_ATTRIBUTES => {
            let n = (c.count as usize).min(17);
            let mut info = [0u32; 17];
            user_read(c.data, AsBytes::as_bytes_mut(&mut info[..n]))?;
            mp::set_attributes(space, c.name, c.flavor, &info[..n])
        }
        uapi::PORT_GET_CONTEXT => set(&mut c.value, mp::get_context(space, c.name)),
        uapi::PORT_SET_CONTEXT => mp::set_context(space, c.name, c.value),
        // flavor 1: mach_port_swap_guard, from `data` to `value`.
        uapi::PORT_GUARD if c.flavor == 1 => mp::swap_guard(space, c.name, c.data, c.value),
        uapi::PORT_GUARD => mp::guard(space, c.name, c.value, u64::from(c.poly)),
        uapi::PORT_UNGUARD => mp::unguard(space, c.name, c.value),
        uapi::PORT_PEEK => {
            let p = mp::peek(space, c.name, c.flavor, c.value as u32, c.count)?;
            (c.poly, c.delta, c.value) = (p.size, p.id, u64::from(p.seqno));
            c.count = p.len as u32;
            user_write(c.data, &p.trailer[..p.len])
        }
        uapi::PORT_CONSTRUCT => {
            let mut opts = crate::defs::PortOptions::default();
            user_read(c.data, AsBytes::as_bytes_mut(&mut opts))?;
            set(&mut c.name, mp::construct(space, &opts, c.value))
        }
        uapi::PORT_DESTRUCT => mp::destruct(space, c.name, c.delta, c.value),
        uapi::PORT_GET_SRIGHTS => set(&mut c.value, mp::get_srights(space, c.name).map(u64::from)),
        uapi::PORT_SET_MSCOUNT => mp::set_mscount(space, c.name, c.value as u32),
        uapi::PORT_SET_SEQNO => mp::set_seqno(space, c.name, c.value as u32),
        _ => task_call(space, nr, c),
    }
}

/// The task calls.
fn task_call(space: &Space, nr: u32, c: &mut PortCall) -> MachResult {
    match nr {
        uapi::TASK_FOR_PID => set(
            &mut c.name,
            crate::task::task_for_pid(space, c.flavor as i32),
        ),
        uapi::TASK_FLAVOR_FOR_PID => set(
            &mut c.name,
            crate::task::flavor_for_pid(space, c.flavor as i32, c.right),
        ),
        uapi::PID_FOR_TASK => set(
            &mut c.value,
            crate::task::pid_for_task(space, c.name).map(|p| p as u64),
        ),
        uapi::GET_SPECIAL_PORT => set(&mut c.name, mp::get_special_port(space, c.flavor)),
        uapi::SET_SPECIAL_PORT => mp::set_special_port(space, c.flavor, c.name),
        // mask, port, behavior, thread-state flavor.
        uapi::SET_EXCEPTION_PORTS => {
            mp::set_exception_ports(space, c.flavor, c.name, c.right, c.value as u32)
        }
        // Up to `count` entries of {mask, port, behavior, flavor}.
        uapi::GET_EXCEPTION_PORTS => {
            let words = mp::get_exception_ports(space, c.flavor, c.count)?;
            c.count = (words.len() / 4) as u32;
            user_write(c.data, AsBytes::as_bytes(&words[..]))
        }
        uapi::THREAD_SELF => set(&mut c.name, crate::thread::thread_self(space)),
        _ => timer_call(space, nr, c),
    }
}

/// The mk_timer traps.
fn timer_call(space: &Space, nr: u32, c: &mut PortCall) -> MachResult {
    use crate::mk_timer as mkt;
    match nr {
        uapi::TIMER_CREATE => {
            c.name = mkt::create(space);
            Ok(())
        }
        uapi::TIMER_DESTROY => mkt::destroy(space, c.name),
        uapi::TIMER_ARM => mkt::arm(space, c.name, c.value, 0),
        uapi::TIMER_ARM_LEEWAY => mkt::arm(space, c.name, c.value, c.data),
        uapi::TIMER_CANCEL => {
            c.value = mkt::cancel(space, c.name)?;
            // XNU's answer to a result address it cannot write.
            if c.data != 0 {
                user_write(c.data, AsBytes::as_bytes(&c.value)).map_err(|_| KERN_FAILURE)?;
            }
            Ok(())
        }
        _ => descriptor_call(space, nr, c),
    }
}

/// Rights as descriptors: machipc_fd_to_port (delta: the descriptor ->
/// name); machipc_port_to_fd is [`port_to_fd`].
fn descriptor_call(space: &Space, nr: u32, c: &mut PortCall) -> MachResult {
    match nr {
        uapi::FD_TO_PORT => set(&mut c.name, crate::right_fd::fd_to_port(space, c.delta)),
        _ => Err(KERN_INVALID_ARGUMENT),
    }
}

// ---- Calls that make what the caller must be told of ----
//
// A descriptor is installed only once its number is written back, and a
// name the caller cannot be told of is taken back: `EFAULT` leaves the
// caller's descriptors and rights as they were.

/// The argument of a `PortCall` ioctl at `arg`.
fn port_arg(arg: usize) -> UserSlice {
    UserSlice::new(UserPtr::from_addr(arg), core::mem::size_of::<PortCall>())
}

/// fileport_makeport (delta: the descriptor, data: where the name goes
/// -> name). As XNU's, a name the caller cannot be told of, at `data` or
/// in the argument, is deallocated.
fn fileport_makeport(space: &Space, user: UserSlice) -> Result {
    let (mut r, mut w) = user.reader_writer();
    let mut c: PortCall = r.read()?;
    let name = crate::fileport::makeport(space, c.delta)?;
    c.name = name;
    if user_write(c.data, AsBytes::as_bytes(&name)).is_err() || w.write(&c).is_err() {
        // The name was just made: its deallocation cannot fail but for a
        // racing call on it, which took the right anyway.
        let _ = mp::deallocate(space, name);
        return Err(EFAULT);
    }
    Ok(())
}

/// fileport_makefd (name -> delta: the new descriptor), which writes
/// `delta` itself before it installs the descriptor.
fn fileport_makefd(space: &Space, arg: usize) -> Result {
    let c: PortCall = port_arg(arg).reader().read()?;
    let delta = arg
        .checked_add(core::mem::offset_of!(PortCall, delta))
        .ok_or(EFAULT)?;
    crate::fileport::makefd(space, c.name, UserPtr::from_addr(delta))?;
    Ok(())
}

/// machipc_port_to_fd (name -> delta: the new descriptor; ret). The answer
/// is written before the right leaves the space and the descriptor is
/// installed; if taking the right then fails, it is written again with the
/// error. A send-once right moved out could not be put back under its name.
fn port_to_fd(space: &Space, arg: usize) -> Result {
    let mut c: PortCall = port_arg(arg).reader().read()?;
    let r = match crate::right_fd::NewRightFd::new(space, c.name) {
        Ok(new) => {
            let done = PortCall {
                delta: new.fd(),
                ret: 0,
                ..c
            };
            // Nothing has happened yet if this faults: `new` goes unused.
            port_arg(arg).writer().write(&done)?;
            new.install(space)
        }
        Err(e) => Err(e),
    };
    if let Err(e) = r {
        c.ret = e.code();
        return port_arg(arg).writer().write(&c);
    }
    Ok(())
}

/// Stores a routine's result in `slot`.
fn set<T>(slot: &mut T, r: MachResult<T>) -> MachResult {
    *slot = r?;
    Ok(())
}

/// Writes an array of names (and one of types) to the caller, if its
/// `count` has room, and sets `count` to the array's length.
fn out_array(c: &mut PortCall, names: &[u32], types: Option<&[u32]>) -> MachResult {
    let n = names.len() as u32;
    if c.count < n {
        c.count = n;
        return Err(KERN_INSUFFICIENT_BUFFER_SIZE);
    }
    c.count = n;
    user_write(c.data, AsBytes::as_bytes(names))?;
    match types {
        Some(t) => user_write(c.value, AsBytes::as_bytes(t)),
        None => Ok(()),
    }
}

fn user_write(addr: u64, data: &[u8]) -> MachResult {
    if data.is_empty() {
        return Ok(());
    }
    UserSlice::new(UserPtr::from_addr(addr as usize), data.len())
        .writer()
        .write_slice(data)
        .map_err(|_| KERN_INVALID_ADDRESS)
}

fn user_read(addr: u64, out: &mut [u8]) -> MachResult {
    if out.is_empty() {
        return Ok(());
    }
    UserSlice::new(UserPtr::from_addr(addr as usize), out.len())
        .reader()
        .read_slice(out)
        .map_err(|_| KERN_INVALID_ADDRESS)
}
