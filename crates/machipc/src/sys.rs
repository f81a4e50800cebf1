// SPDX-License-Identifier: MIT
//! The raw ioctl ABI (`uapi/include/linux/machipc.h`). The only unsafe code
//! of the crate lives here.
//!
//! The whole ABI is mirrored, the parts the crate does not use included, so
//! that `sys_layout.rs` checks every struct and command against the header.

#![allow(dead_code)]

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

pub const MACH_PORT_RIGHT_SEND: u32 = 0;
pub const MACH_PORT_RIGHT_RECEIVE: u32 = 1;
pub const MACH_PORT_RIGHT_PORT_SET: u32 = 3;
pub const MACH_PORT_RIGHT_DEAD_NAME: u32 = 4;
pub const MACH_MSG_TYPE_MOVE_RECEIVE: u32 = 16;
pub const MACH_MSG_TYPE_MOVE_SEND: u32 = 17;
pub const MACH_MSG_TYPE_MOVE_SEND_ONCE: u32 = 18;
pub const MACH_MSG_TYPE_COPY_SEND: u32 = 19;
pub const MACH_MSG_TYPE_MAKE_SEND: u32 = 20;
pub const MACH_MSG_TYPE_MAKE_SEND_ONCE: u32 = 21;
pub const MACH_SEND_MSG: u32 = 1;
pub const MACH_RCV_MSG: u32 = 2;
pub const MACH_RCV_TIMEOUT: u32 = 0x100;

pub fn trailer_elements(n: u32) -> u32 {
    (n & 0xf) << 24
}

#[repr(C)]
#[derive(Default)]
pub struct Version {
    pub version: u32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct PortCall {
    pub name: u32,
    pub right: u32,
    pub delta: i32,
    pub poly: u32,
    pub flavor: u32,
    pub count: u32,
    pub data: u64,
    pub value: u64,
    pub notify: u32,
    pub notify_type: u32,
    pub ret: i32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct MsgCall {
    pub send_msg: u64,
    pub rcv_msg: u64,
    pub option: u32,
    pub send_size: u32,
    pub rcv_size: u32,
    pub rcv_name: u32,
    pub timeout: u32,
    pub notify: u32,
    pub ret: i32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct PortFdCall {
    pub name: u32,
    pub trailer: u32,
    pub fd: i32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct InheritCall {
    pub fd: i32,
    pub ret: i32,
}

#[repr(C)]
#[derive(Default)]
pub struct ExcRaiseCall {
    pub signo: i32,
    pub port: u32,
    pub behavior: u32,
    pub flavor: u32,
    pub thread: u32,
    pub reply: u32,
    pub state: u64,
    pub exception: u32,
    pub id: i32,
    pub code: [i64; 2],
    pub out_behavior: u32,
    pub ret: i32,
}

const MAGIC: u64 = 0xB7;

const fn iowr(nr: u64, size: usize) -> u64 {
    (3 << 30) | ((size as u64) << 16) | (MAGIC << 8) | nr
}

const fn ior(nr: u64, size: usize) -> u64 {
    (2 << 30) | ((size as u64) << 16) | (MAGIC << 8) | nr
}

pub const IOC_VERSION: u64 = ior(0, std::mem::size_of::<Version>());
pub const IOC_MSG: u64 = iowr(1, std::mem::size_of::<MsgCall>());
pub const IOC_PORT_FD: u64 = iowr(2, std::mem::size_of::<PortFdCall>());
pub const IOC_INHERIT: u64 = iowr(3, std::mem::size_of::<InheritCall>());
pub const IOC_EXC_RAISE: u64 = iowr(4, std::mem::size_of::<ExcRaiseCall>());

pub fn port_ioc(nr: u32) -> u64 {
    iowr(0x10 + nr as u64, std::mem::size_of::<PortCall>())
}

pub const PORT_NAMES: u32 = 0;
pub const PORT_TYPE: u32 = 1;
pub const PORT_ALLOCATE: u32 = 2;
pub const PORT_DESTROY: u32 = 3;
pub const PORT_DEALLOCATE: u32 = 4;
pub const PORT_GET_REFS: u32 = 5;
pub const PORT_MOD_REFS: u32 = 6;
pub const PORT_INSERT_RIGHT: u32 = 7;
pub const PORT_EXTRACT_RIGHT: u32 = 8;
pub const PORT_GET_ATTRIBUTES: u32 = 9;
pub const PORT_SET_ATTRIBUTES: u32 = 10;
pub const PORT_GET_CONTEXT: u32 = 11;
pub const PORT_SET_CONTEXT: u32 = 12;
pub const PORT_CONSTRUCT: u32 = 13;
pub const PORT_DESTRUCT: u32 = 14;
pub const PORT_MOVE_MEMBER: u32 = 15;
pub const PORT_INSERT_MEMBER: u32 = 16;
pub const PORT_EXTRACT_MEMBER: u32 = 17;
pub const PORT_GET_SET_STATUS: u32 = 18;
pub const PORT_REQUEST_NOTIFY: u32 = 19;
pub const PORT_ALLOCATE_NAME: u32 = 20;
pub const PORT_GET_SRIGHTS: u32 = 21;
pub const PORT_SET_MSCOUNT: u32 = 22;
pub const PORT_SET_SEQNO: u32 = 23;
pub const PORT_GUARD: u32 = 25;
pub const PORT_UNGUARD: u32 = 26;
pub const PORT_PEEK: u32 = 27;
pub const TASK_FOR_PID: u32 = 30;
pub const TASK_FLAVOR_FOR_PID: u32 = 50;
pub const PID_FOR_TASK: u32 = 31;
pub const GET_SPECIAL_PORT: u32 = 32;
pub const SET_SPECIAL_PORT: u32 = 33;
pub const SET_EXCEPTION_PORTS: u32 = 40;
pub const GET_EXCEPTION_PORTS: u32 = 41;
pub const THREAD_SELF: u32 = 55;
pub const TIMER_CREATE: u32 = 60;
pub const TIMER_DESTROY: u32 = 61;
pub const TIMER_ARM: u32 = 62;
pub const TIMER_ARM_LEEWAY: u32 = 63;
pub const TIMER_CANCEL: u32 = 64;
/// `fileport_makeport`: `delta` the descriptor, `data` where the name is
/// written; the ioctl fails with XNU's errno.
pub const FILEPORT_MAKEPORT: u32 = 70;
/// `fileport_makefd`: `name` -> `delta`, a new `O_CLOEXEC` descriptor.
pub const FILEPORT_MAKEFD: u32 = 71;
/// `machipc_port_to_fd`: `name` -> `delta`, a descriptor owning the right.
pub const PORT_TO_FD: u32 = 72;
/// `machipc_fd_to_port`: `delta` the descriptor -> `name`.
pub const FD_TO_PORT: u32 = 73;

const F_GETFL: i32 = 3;
const F_SETFL: i32 = 4;
const O_NONBLOCK: i32 = 0o4000;

extern "C" {
    #[link_name = "ioctl"]
    fn c_ioctl(fd: i32, request: u64, ...) -> i32;
    #[link_name = "read"]
    fn c_read(fd: i32, buf: *mut u8, count: usize) -> isize;
    #[link_name = "fcntl"]
    fn c_fcntl(fd: i32, cmd: i32, ...) -> i32;
    #[link_name = "munmap"]
    fn c_munmap(addr: *mut u8, len: usize) -> i32;
}

/// Unmaps an out-of-line region the kernel mapped into this process
/// (`vm_deallocate`).
///
/// # Safety
///
/// `[addr, addr + len)` must be a region received from machipc that
/// nothing references any more.
pub unsafe fn unmap(addr: *mut u8, len: usize) {
    // SAFETY: The caller owns the mapping and no reference into it is live.
    unsafe { c_munmap(addr, len) };
}

/// `MACHIPC_IOC_PORT_FD` on the device `dev`: a new, owned, non-blocking
/// descriptor for the receive right or port set `name`.
pub fn port_fd(dev: RawFd, name: u32, trailer: u32) -> std::io::Result<OwnedFd> {
    let mut c = PortFdCall {
        name,
        trailer,
        ..Default::default()
    };
    ioctl(dev, IOC_PORT_FD, &mut c)?;
    // SAFETY: On success the kernel installed a new descriptor `c.fd` in our
    // file table and nothing else refers to it, so we may own it.
    let fd = unsafe { OwnedFd::from_raw_fd(c.fd) };
    // SAFETY: `fd` is a valid open descriptor; F_GETFL/F_SETFL take and
    // return plain integers and touch no memory of ours.
    let r = unsafe {
        let fl = c_fcntl(fd.as_raw_fd(), F_GETFL);
        if fl < 0 {
            fl
        } else {
            c_fcntl(fd.as_raw_fd(), F_SETFL, fl | O_NONBLOCK)
        }
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

/// `fileport_makeport(fd)` on the device `dev`: the new fileport's name.
/// Errors are the ioctl's errno, as XNU's system call answers.
pub fn fileport_makeport(dev: RawFd, fd: RawFd) -> std::io::Result<u32> {
    let mut name: u32 = 0;
    let mut c = PortCall {
        delta: fd,
        // The kernel writes the name here (XNU's copyout), a live local
        // whose address escapes into the call.
        data: std::ptr::addr_of_mut!(name) as u64,
        ..Default::default()
    };
    ioctl(dev, port_ioc(FILEPORT_MAKEPORT), &mut c)?;
    Ok(name)
}

/// `fileport_makefd(name)` on the device `dev`: the new descriptor.
pub fn fileport_makefd(dev: RawFd, name: u32) -> std::io::Result<OwnedFd> {
    let mut c = PortCall {
        name,
        ..Default::default()
    };
    ioctl(dev, port_ioc(FILEPORT_MAKEFD), &mut c)?;
    // SAFETY: On success the kernel installed the new descriptor `c.delta`
    // in our file table and nothing else refers to it, so we may own it.
    Ok(unsafe { OwnedFd::from_raw_fd(c.delta) })
}

/// `machipc_port_to_fd(name)` on the device `dev`: the Mach return code,
/// and on success the new descriptor that owns the right.
pub fn port_to_fd(dev: RawFd, name: u32) -> std::io::Result<(i32, Option<OwnedFd>)> {
    let mut c = PortCall {
        name,
        ..Default::default()
    };
    ioctl(dev, port_ioc(PORT_TO_FD), &mut c)?;
    if c.ret != 0 {
        return Ok((c.ret, None));
    }
    // SAFETY: As for `fileport_makefd`: a successful call installed the
    // new descriptor `c.delta`, owned by no one else.
    Ok((0, Some(unsafe { OwnedFd::from_raw_fd(c.delta) })))
}

/// `read(2)` into `buf`.
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: `fd` is open for the borrow's lifetime, and `buf` is a live,
    // exclusively borrowed region of exactly `buf.len()` writable bytes; the
    // kernel writes at most that many.
    let r = unsafe { c_read(fd.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// Runs one machipc ioctl on `fd` with argument `arg`.
pub fn ioctl<T>(fd: RawFd, request: u64, arg: &mut T) -> std::io::Result<()> {
    // SAFETY: `arg` is a live, exclusively borrowed `#[repr(C)]` struct whose
    // size matches the one encoded in `request`; the kernel reads and writes
    // only that many bytes. Pointers inside it are checked by the kernel.
    let r = unsafe { c_ioctl(fd, request, arg as *mut T) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Registers a borrowed port descriptor with tokio's reactor.
#[cfg(feature = "tokio")]
pub fn async_fd(fd: BorrowedFd<'_>) -> std::io::Result<tokio::io::unix::AsyncFd<BorrowedFd<'_>>> {
    // SAFETY: A `BorrowedFd<'a>` is open and names the same file description
    // for all of 'a, and the returned `AsyncFd<BorrowedFd<'a>>` cannot
    // outlive 'a; its `as_raw_fd()` always returns the same number.
    unsafe { tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
        .map_err(|e| e.into_parts().1)
}
