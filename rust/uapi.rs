// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The ioctl ABI of `/dev/machipc`, mirroring `uapi/include/linux/machipc.h`.
//! Layouts are asserted at compile time here and in the C header.

use kernel::ioctl::{_IOR, _IOWR};
use kernel::transmute::{AsBytes, FromBytes};

pub(crate) const MACHIPC_ABI_VERSION: u32 = 1;
const MAGIC: u32 = 0xB7;

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Version {
    pub(crate) version: u32,
    pub(crate) reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct PortCall {
    pub(crate) name: u32,
    pub(crate) right: u32,
    pub(crate) delta: i32,
    pub(crate) poly: u32,
    pub(crate) flavor: u32,
    pub(crate) count: u32,
    pub(crate) data: u64,
    pub(crate) value: u64,
    pub(crate) notify: u32,
    pub(crate) notify_type: u32,
    pub(crate) ret: i32,
    pub(crate) reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct MsgCall {
    pub(crate) send_msg: u64,
    pub(crate) rcv_msg: u64,
    pub(crate) option: u32,
    pub(crate) send_size: u32,
    pub(crate) rcv_size: u32,
    pub(crate) rcv_name: u32,
    pub(crate) timeout: u32,
    pub(crate) notify: u32,
    pub(crate) ret: i32,
    pub(crate) reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct PortFdCall {
    pub(crate) name: u32,
    pub(crate) trailer: u32,
    pub(crate) fd: i32,
    pub(crate) reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct InheritCall {
    pub(crate) fd: i32,
    pub(crate) ret: i32,
}

/// `struct machipc_exc_raise`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct ExcRaiseCall {
    pub(crate) signo: i32,
    pub(crate) port: u32,
    pub(crate) behavior: u32,
    pub(crate) flavor: u32,
    pub(crate) thread: u32,
    pub(crate) reply: u32,
    pub(crate) state: u64,
    pub(crate) exception: u32,
    pub(crate) id: i32,
    pub(crate) code: [i64; 2],
    pub(crate) out_behavior: u32,
    pub(crate) ret: i32,
}

// SAFETY: Plain integers with explicit padding: every bit pattern is valid
// and there are no implicit padding bytes.
unsafe impl FromBytes for Version {}
// SAFETY: As above.
unsafe impl AsBytes for Version {}
// SAFETY: As above.
unsafe impl FromBytes for PortCall {}
// SAFETY: As above.
unsafe impl AsBytes for PortCall {}
// SAFETY: As above.
unsafe impl FromBytes for MsgCall {}
// SAFETY: As above.
unsafe impl AsBytes for MsgCall {}
// SAFETY: As above.
unsafe impl FromBytes for PortFdCall {}
// SAFETY: As above.
unsafe impl AsBytes for PortFdCall {}

// SAFETY: As above.
unsafe impl FromBytes for InheritCall {}
// SAFETY: As above.
unsafe impl AsBytes for InheritCall {}

// SAFETY: As above.
unsafe impl FromBytes for ExcRaiseCall {}
// SAFETY: As above.
unsafe impl AsBytes for ExcRaiseCall {}

const _: () = assert!(core::mem::size_of::<Version>() == 8);
const _: () = assert!(core::mem::size_of::<ExcRaiseCall>() == 64);
const _: () = assert!(core::mem::offset_of!(ExcRaiseCall, state) == 24);
const _: () = assert!(core::mem::offset_of!(ExcRaiseCall, code) == 40);
const _: () = assert!(core::mem::size_of::<InheritCall>() == 8);
const _: () = assert!(core::mem::size_of::<PortCall>() == 56);
const _: () = assert!(core::mem::size_of::<MsgCall>() == 48);
const _: () = assert!(core::mem::size_of::<PortFdCall>() == 16);

pub(crate) const IOC_VERSION: u32 = _IOR::<Version>(MAGIC, 0x00);
pub(crate) const IOC_MSG: u32 = _IOWR::<MsgCall>(MAGIC, 0x01);
pub(crate) const IOC_PORT_FD: u32 = _IOWR::<PortFdCall>(MAGIC, 0x02);
pub(crate) const IOC_INHERIT: u32 = _IOWR::<InheritCall>(MAGIC, 0x03);
pub(crate) const IOC_EXC_RAISE: u32 = _IOWR::<ExcRaiseCall>(MAGIC, 0x04);

/// The `nr` of a `mach_port_*` ioctl, or `None` for other commands.
pub(crate) fn port_call_nr(cmd: u32) -> Option<u32> {
    let nr = cmd & 0xff;
    if nr >= 0x10 && cmd == _IOWR::<PortCall>(MAGIC, nr) {
        Some(nr - 0x10)
    } else {
        None
    }
}

pub(crate) const PORT_NAMES: u32 = 0;
pub(crate) const PORT_TYPE: u32 = 1;
pub(crate) const PORT_ALLOCATE: u32 = 2;
pub(crate) const PORT_DESTROY: u32 = 3;
pub(crate) const PORT_DEALLOCATE: u32 = 4;
pub(crate) const PORT_GET_REFS: u32 = 5;
pub(crate) const PORT_MOD_REFS: u32 = 6;
pub(crate) const PORT_INSERT_RIGHT: u32 = 7;
pub(crate) const PORT_EXTRACT_RIGHT: u32 = 8;
pub(crate) const PORT_GET_ATTRIBUTES: u32 = 9;
pub(crate) const PORT_SET_ATTRIBUTES: u32 = 10;
pub(crate) const PORT_GET_CONTEXT: u32 = 11;
pub(crate) const PORT_SET_CONTEXT: u32 = 12;
pub(crate) const PORT_CONSTRUCT: u32 = 13;
pub(crate) const PORT_DESTRUCT: u32 = 14;
pub(crate) const PORT_MOVE_MEMBER: u32 = 15;
pub(crate) const PORT_INSERT_MEMBER: u32 = 16;
pub(crate) const PORT_EXTRACT_MEMBER: u32 = 17;
pub(crate) const PORT_GET_SET_STATUS: u32 = 18;
pub(crate) const PORT_REQUEST_NOTIFY: u32 = 19;
pub(crate) const PORT_ALLOCATE_NAME: u32 = 20;
pub(crate) const PORT_GET_SRIGHTS: u32 = 21;
pub(crate) const PORT_SET_MSCOUNT: u32 = 22;
pub(crate) const PORT_SET_SEQNO: u32 = 23;
pub(crate) const PORT_GUARD: u32 = 25;
pub(crate) const PORT_PEEK: u32 = 27;
pub(crate) const PORT_UNGUARD: u32 = 26;
pub(crate) const TASK_FOR_PID: u32 = 30;
pub(crate) const PID_FOR_TASK: u32 = 31;
pub(crate) const TASK_FLAVOR_FOR_PID: u32 = 50;
pub(crate) const GET_SPECIAL_PORT: u32 = 32;
pub(crate) const SET_EXCEPTION_PORTS: u32 = 40;
pub(crate) const GET_EXCEPTION_PORTS: u32 = 41;
pub(crate) const SET_SPECIAL_PORT: u32 = 33;
pub(crate) const THREAD_SELF: u32 = 55;
pub(crate) const TIMER_CREATE: u32 = 60;
pub(crate) const TIMER_DESTROY: u32 = 61;
pub(crate) const TIMER_ARM: u32 = 62;
pub(crate) const TIMER_ARM_LEEWAY: u32 = 63;
pub(crate) const TIMER_CANCEL: u32 = 64;
pub(crate) const FILEPORT_MAKEPORT: u32 = 70;
pub(crate) const FILEPORT_MAKEFD: u32 = 71;
pub(crate) const PORT_TO_FD: u32 = 72;
pub(crate) const FD_TO_PORT: u32 = 73;
