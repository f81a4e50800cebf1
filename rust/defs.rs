// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The wire layouts of Mach messages and the XNU constants that go with
//! them, in one place (`osfmk/mach/message.h`, `osfmk/mach/notify.h`,
//! `osfmk/mach/ndr.h`, the MIG-generated request and reply structs).
//!
//! Every user-visible layout is a `#[repr(C)]` type with its size and
//! field offsets asserted at compile time, and implements
//! [`FromBytes`]/[`AsBytes`] so that it is read from and written to
//! message bytes without raw offsets anywhere else in the crate.
//!
//! XNU declares the message structures under `#pragma pack(4)`: a 64-bit
//! field (an out-of-line address, a port context) may sit at an offset
//! that is a multiple of 4 only. The types holding one are
//! `#[repr(C, packed(4))]` for that reason, and are read and written by
//! value ([`read_at`], [`write_at`]), never through a reference into the
//! message bytes.

#![allow(dead_code)]

use core::mem::{offset_of, size_of};
use kernel::prelude::*;
use kernel::transmute::{AsBytes, FromBytes};

use crate::error::*;
use crate::rights::{is_any_right, MACH_MSG_TYPE_MOVE_RECEIVE};

/// Implements [`FromBytes`] and [`AsBytes`] for wire types.
macro_rules! wire {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: The type is `repr(C)` (or `repr(C, packed(4))`) with only
        // integer fields (or arrays or wire types of them) and no padding,
        // as the size asserts next to it check: every bit pattern is valid
        // and every byte is initialized.
        unsafe impl FromBytes for $t {}
        // SAFETY: As above.
        unsafe impl AsBytes for $t {}
    )*};
}

/// Asserts a wire type's size and field offsets against XNU's.
macro_rules! layout {
    ($t:ty, $size:expr $(, $f:ident = $off:expr)* $(,)?) => {
        const _: () = assert!(size_of::<$t>() == $size);
        $(const _: () = assert!(offset_of!($t, $f) == $off);)*
    };
}

/// Reads a `T` at byte `off` of `bytes` (any alignment); `None` if it does
/// not fit.
pub(crate) fn read_at<T: FromBytes>(bytes: &[u8], off: usize) -> Option<T> {
    let end = off.checked_add(size_of::<T>())?;
    T::from_bytes_copy(bytes.get(off..end)?)
}

/// Writes `v` at byte `off` of `bytes`. The caller has sized `bytes` for
/// it (kernel-made layouts): a write past the end is a bug, and panics as
/// a slice index does.
pub(crate) fn write_at<T: AsBytes>(bytes: &mut [u8], off: usize, v: &T) {
    let b = v.as_bytes();
    bytes[off..off + b.len()].copy_from_slice(b);
}

// ---- Message header, body, descriptors and trailers (mach/message.h) ----

// `mach_msg` options (`mach_msg_option_t`).
pub(crate) const MACH_SEND_MSG: u32 = 0x1;
pub(crate) const MACH_RCV_MSG: u32 = 0x2;
pub(crate) const MACH_RCV_LARGE: u32 = 0x4;
pub(crate) const MACH_RCV_LARGE_IDENTITY: u32 = 0x8;
pub(crate) const MACH_SEND_TIMEOUT: u32 = 0x10;
pub(crate) const MACH_RCV_TIMEOUT: u32 = 0x100;
/// The receiver takes guarded port descriptors (without it their receive
/// rights are destroyed).
pub(crate) const MACH_RCV_GUARDED_DESC: u32 = 0x1000;

// Guarded port descriptor flags (`mach_msg_guard_flags_t`).
pub(crate) const MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE: u16 = 0x1;
pub(crate) const MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND: u16 = 0x2;
pub(crate) const MACH_MSG_GUARD_FLAGS_MASK: u16 = 0x3;

// `msgh_bits`.
pub(crate) const MACH_MSGH_BITS_REMOTE_MASK: u32 = 0x1f;
pub(crate) const MACH_MSGH_BITS_LOCAL_MASK: u32 = 0x1f00;
pub(crate) const MACH_MSGH_BITS_VOUCHER_MASK: u32 = 0x1f_0000;
pub(crate) const MACH_MSGH_BITS_PORTS_MASK: u32 = 0x1f_1f1f;
pub(crate) const MACH_MSGH_BITS_COMPLEX: u32 = 0x8000_0000;
pub(crate) const MACH_MSGH_BITS_USER: u32 = 0x801f_1f1f;

/// `MACH_MSGH_BITS_REMOTE(bits)`: the destination's disposition or type.
pub(crate) const fn msgh_bits_remote(bits: u32) -> u32 {
    bits & MACH_MSGH_BITS_REMOTE_MASK
}

/// `MACH_MSGH_BITS_LOCAL(bits)`: the reply port's disposition or type.
pub(crate) const fn msgh_bits_local(bits: u32) -> u32 {
    (bits & MACH_MSGH_BITS_LOCAL_MASK) >> 8
}

/// `MACH_MSGH_BITS_VOUCHER(bits)`.
pub(crate) const fn msgh_bits_voucher(bits: u32) -> u32 {
    (bits & MACH_MSGH_BITS_VOUCHER_MASK) >> 16
}

/// `bits` with its port fields replaced by `remote` and `local`
/// (`MACH_MSGH_BITS_SET_PORTS`, voucher cleared).
pub(crate) const fn msgh_bits_set_ports(bits: u32, remote: u32, local: u32) -> u32 {
    (bits & !MACH_MSGH_BITS_PORTS_MASK) | remote | (local << 8)
}

/// `mach_msg_header_t`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct MsgHeader {
    pub(crate) bits: u32,
    pub(crate) size: u32,
    pub(crate) remote_port: u32,
    pub(crate) local_port: u32,
    pub(crate) voucher_port: u32,
    pub(crate) id: i32,
}
layout!(
    MsgHeader,
    24,
    bits = 0,
    size = 4,
    remote_port = 8,
    local_port = 12,
    voucher_port = 16,
    id = 20
);

/// `sizeof(mach_msg_header_t)`.
pub(crate) const HEADER_SIZE: usize = size_of::<MsgHeader>();

/// `mach_msg_body_t`: the descriptor count of a complex message.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct MsgBody {
    pub(crate) descriptor_count: u32,
}
layout!(MsgBody, 4, descriptor_count = 0);

/// `sizeof(mach_msg_body_t)`.
pub(crate) const BODY_SIZE: usize = size_of::<MsgBody>();

// Descriptor types (`mach_msg_descriptor_type_t`).
pub(crate) const MACH_MSG_PORT_DESCRIPTOR: u8 = 0;
pub(crate) const MACH_MSG_OOL_DESCRIPTOR: u8 = 1;
pub(crate) const MACH_MSG_OOL_PORTS_DESCRIPTOR: u8 = 2;
pub(crate) const MACH_MSG_OOL_VOLATILE_DESCRIPTOR: u8 = 3;
pub(crate) const MACH_MSG_GUARDED_PORT_DESCRIPTOR: u8 = 4;

// Copy options of out-of-line descriptors (`mach_msg_copy_options_t`).
pub(crate) const MACH_MSG_PHYSICAL_COPY: u8 = 0;
pub(crate) const MACH_MSG_VIRTUAL_COPY: u8 = 1;

/// `mach_msg_type_descriptor_t`: the part every descriptor shares, read to
/// learn its type.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct TypeDescriptor {
    pub(crate) pad1: u32,
    pub(crate) pad2: u32,
    pub(crate) pad3: [u8; 3],
    pub(crate) type_: u8,
}
layout!(TypeDescriptor, 12, type_ = 11);

/// `mach_msg_port_descriptor_t`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct PortDescriptor {
    pub(crate) name: u32,
    pub(crate) pad1: u32,
    pub(crate) pad2: u16,
    pub(crate) disposition: u8,
    pub(crate) type_: u8,
}
layout!(
    PortDescriptor,
    12,
    name = 0,
    pad1 = 4,
    pad2 = 8,
    disposition = 10,
    type_ = 11
);

impl PortDescriptor {
    /// A descriptor of a right of type `t` (`MACH_MSG_TYPE_PORT_*`) whose
    /// name is filled in at copyout.
    pub(crate) fn of_type(t: u32) -> Self {
        PortDescriptor {
            disposition: t as u8,
            type_: MACH_MSG_PORT_DESCRIPTOR,
            ..Default::default()
        }
    }
}

/// `mach_msg_ool_descriptor64_t` (also `MACH_MSG_OOL_VOLATILE_DESCRIPTOR`).
#[repr(C, packed(4))]
#[derive(Clone, Copy, Default)]
pub(crate) struct OolDescriptor {
    pub(crate) address: u64,
    pub(crate) deallocate: u8,
    pub(crate) copy: u8,
    pub(crate) pad1: u8,
    pub(crate) type_: u8,
    pub(crate) size: u32,
}
layout!(
    OolDescriptor,
    16,
    address = 0,
    deallocate = 8,
    copy = 9,
    pad1 = 10,
    type_ = 11,
    size = 12
);

/// `mach_msg_ool_ports_descriptor64_t`.
#[repr(C, packed(4))]
#[derive(Clone, Copy, Default)]
pub(crate) struct OolPortsDescriptor {
    pub(crate) address: u64,
    pub(crate) deallocate: u8,
    pub(crate) copy: u8,
    pub(crate) disposition: u8,
    pub(crate) type_: u8,
    pub(crate) count: u32,
}
layout!(
    OolPortsDescriptor,
    16,
    address = 0,
    deallocate = 8,
    copy = 9,
    disposition = 10,
    type_ = 11,
    count = 12
);

/// `mach_msg_guarded_port_descriptor64_t`.
#[repr(C, packed(4))]
#[derive(Clone, Copy, Default)]
pub(crate) struct GuardedPortDescriptor {
    pub(crate) context: u64,
    pub(crate) flags: u16,
    pub(crate) disposition: u8,
    pub(crate) type_: u8,
    pub(crate) name: u32,
}
layout!(
    GuardedPortDescriptor,
    16,
    context = 0,
    flags = 8,
    disposition = 10,
    type_ = 11,
    name = 12
);

wire!(
    MsgHeader,
    MsgBody,
    TypeDescriptor,
    PortDescriptor,
    OolDescriptor,
    OolPortsDescriptor,
    GuardedPortDescriptor,
);

/// A descriptor of a message body, parsed once from its bytes.
#[derive(Clone, Copy)]
pub(crate) enum Descriptor {
    Port(PortDescriptor),
    /// Out-of-line memory, volatile or not.
    Ool(OolDescriptor),
    OolPorts(OolPortsDescriptor),
    GuardedPort(GuardedPortDescriptor),
}

impl Descriptor {
    /// Reads the descriptor at `off` of `body`: `MACH_SEND_MSG_TOO_SMALL`
    /// if it does not fit, `MACH_SEND_INVALID_TYPE` for an unknown type.
    pub(crate) fn read(body: &[u8], off: usize) -> MachResult<Self> {
        let t: TypeDescriptor = read_at(body, off).ok_or(MACH_SEND_MSG_TOO_SMALL)?;
        match t.type_ {
            MACH_MSG_PORT_DESCRIPTOR => read_at(body, off).map(Descriptor::Port),
            MACH_MSG_OOL_DESCRIPTOR | MACH_MSG_OOL_VOLATILE_DESCRIPTOR => {
                read_at(body, off).map(Descriptor::Ool)
            }
            MACH_MSG_OOL_PORTS_DESCRIPTOR => read_at(body, off).map(Descriptor::OolPorts),
            MACH_MSG_GUARDED_PORT_DESCRIPTOR => read_at(body, off).map(Descriptor::GuardedPort),
            _ => return Err(MACH_SEND_INVALID_TYPE),
        }
        .ok_or(MACH_SEND_MSG_TOO_SMALL)
    }

    /// Checks what can be checked of a sender's descriptor alone (XNU's
    /// validate pass): `MACH_SEND_INVALID_TYPE` for a disposition or copy
    /// option it may not have.
    pub(crate) fn validate(&self) -> MachResult {
        let copy_ok = |c: u8| matches!(c, MACH_MSG_PHYSICAL_COPY | MACH_MSG_VIRTUAL_COPY);
        let ok = match self {
            Descriptor::Port(p) => is_any_right(u32::from(p.disposition)),
            Descriptor::Ool(o) => copy_ok(o.copy),
            Descriptor::OolPorts(o) => is_any_right(u32::from(o.disposition)) && copy_ok(o.copy),
            // Some flag, known flags only, and no guard to check against
            // an unguarded port (XNU's inflate of a guarded descriptor).
            Descriptor::GuardedPort(g) => {
                let (flags, context) = (g.flags, g.context);
                u32::from(g.disposition) == MACH_MSG_TYPE_MOVE_RECEIVE
                    && flags != 0
                    && flags & !MACH_MSG_GUARD_FLAGS_MASK == 0
                    && !(flags & MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND != 0 && context != 0)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(MACH_SEND_INVALID_TYPE)
        }
    }

    /// [`Descriptor::read`] and [`Descriptor::validate`].
    pub(crate) fn parse(body: &[u8], off: usize) -> MachResult<Self> {
        let d = Self::read(body, off)?;
        d.validate()?;
        Ok(d)
    }

    /// Its size in the body.
    pub(crate) fn len(&self) -> usize {
        match self {
            Descriptor::Port(_) => size_of::<PortDescriptor>(),
            Descriptor::Ool(_) => size_of::<OolDescriptor>(),
            Descriptor::OolPorts(_) => size_of::<OolPortsDescriptor>(),
            Descriptor::GuardedPort(_) => size_of::<GuardedPortDescriptor>(),
        }
    }

    /// The port rights it carries, counted as XNU's `send_dsc_port_count`.
    pub(crate) fn rights(&self) -> usize {
        match self {
            Descriptor::Port(_) | Descriptor::GuardedPort(_) => 1,
            Descriptor::OolPorts(o) => o.count as usize,
            Descriptor::Ool(_) => 0,
        }
    }

    /// The disposition of a descriptor that carries rights (after copyin,
    /// the type of right it carries); `None` for out-of-line memory.
    pub(crate) fn disposition(&self) -> Option<u8> {
        match self {
            Descriptor::Port(d) => Some(d.disposition),
            Descriptor::GuardedPort(d) => Some(d.disposition),
            Descriptor::OolPorts(d) => Some(d.disposition),
            Descriptor::Ool(_) => None,
        }
    }

    /// Sets the disposition of a descriptor that carries rights.
    pub(crate) fn set_disposition(&mut self, t: u8) {
        match self {
            Descriptor::Port(d) => d.disposition = t,
            Descriptor::GuardedPort(d) => d.disposition = t,
            Descriptor::OolPorts(d) => d.disposition = t,
            Descriptor::Ool(_) => {}
        }
    }

    /// The name a port or guarded port descriptor carries.
    pub(crate) fn port_name(&self) -> Option<u32> {
        match self {
            Descriptor::Port(d) => Some(d.name),
            Descriptor::GuardedPort(d) => Some(d.name),
            _ => None,
        }
    }

    /// Sets the name of a port or guarded port descriptor.
    pub(crate) fn set_port_name(&mut self, name: u32) {
        match self {
            Descriptor::Port(d) => d.name = name,
            Descriptor::GuardedPort(d) => d.name = name,
            _ => {}
        }
    }

    /// Writes it at `off` of `body`.
    pub(crate) fn write(&self, body: &mut [u8], off: usize) {
        match self {
            Descriptor::Port(d) => write_at(body, off, d),
            Descriptor::Ool(d) => write_at(body, off, d),
            Descriptor::OolPorts(d) => write_at(body, off, d),
            Descriptor::GuardedPort(d) => write_at(body, off, d),
        }
    }
}

// Trailer requests (`MACH_RCV_TRAILER_TYPE`, `MACH_RCV_TRAILER_ELEMENTS`).
pub(crate) const MACH_RCV_TRAILER_MASK: u32 = 0xff00_0000;
pub(crate) const MACH_MSG_TRAILER_FORMAT_0: u32 = 0;

/// `MACH_RCV_TRAILER_TYPE` of an option word.
pub(crate) const fn rcv_trailer_type(option: u32) -> u32 {
    (option >> 28) & 0xf
}

/// `MACH_RCV_TRAILER_ELEMENTS` of an option word.
pub(crate) const fn rcv_trailer_elements(option: u32) -> u32 {
    (option >> 24) & 0xf
}

/// `security_token_t`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct SecurityToken {
    pub(crate) val: [u32; 2],
}
layout!(SecurityToken, 8, val = 0);

/// `KERNEL_SECURITY_TOKEN`.
pub(crate) const KERNEL_SECURITY_TOKEN: SecurityToken = SecurityToken { val: [0, 1] };

/// `audit_token_t`: auid, euid, egid, ruid, rgid, pid, asid, pidversion.
/// `KERNEL_AUDIT_TOKEN` is all zeros.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct AuditToken {
    pub(crate) val: [u32; 8],
}
layout!(AuditToken, 32, val = 0);

/// `mach_msg_max_trailer_t` (`mach_msg_mac_trailer_t`): the format-0
/// trailer and the elements a receiver may ask for, in order. A trailer
/// of `n` elements is the first `TRAILER_SIZES[n]` bytes of it.
#[repr(C, packed(4))]
#[derive(Clone, Copy, Default)]
pub(crate) struct MaxTrailer {
    pub(crate) trailer_type: u32,
    pub(crate) trailer_size: u32,
    pub(crate) seqno: u32,
    pub(crate) sender: SecurityToken,
    pub(crate) audit: AuditToken,
    pub(crate) context: u64,
    pub(crate) ad: i32,
    pub(crate) labels: u32,
}
layout!(
    MaxTrailer,
    68,
    trailer_type = 0,
    trailer_size = 4,
    seqno = 8,
    sender = 12,
    audit = 20,
    context = 52,
    ad = 60,
    labels = 64
);

wire!(SecurityToken, AuditToken, MaxTrailer);

/// `sizeof(mach_msg_max_trailer_t)`.
pub(crate) const MAX_TRAILER_SIZE: usize = size_of::<MaxTrailer>();

/// Trailer sizes by `MACH_RCV_TRAILER_ELEMENTS` (XNU's
/// `REQUESTED_TRAILER_SIZE`): null (format 0), seqno, sender, audit,
/// context, av, and labels (and anything larger).
pub(crate) const TRAILER_SIZES: [usize; 7] = [
    offset_of!(MaxTrailer, seqno),
    offset_of!(MaxTrailer, sender),
    offset_of!(MaxTrailer, audit),
    offset_of!(MaxTrailer, context),
    offset_of!(MaxTrailer, ad),
    offset_of!(MaxTrailer, labels),
    MAX_TRAILER_SIZE,
];

// ---- Notification bodies (mach/notify.h) ----

/// `NDR_record_t`: how MIG tags the data representation of a message.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct NdrRecord {
    pub(crate) mig_vers: u8,
    pub(crate) if_vers: u8,
    pub(crate) reserved1: u8,
    pub(crate) mig_encoding: u8,
    pub(crate) int_rep: u8,
    pub(crate) char_rep: u8,
    pub(crate) float_rep: u8,
    pub(crate) reserved2: u8,
}
layout!(NdrRecord, 8, int_rep = 4);

/// `NDR_record` as MIG lays it out for this machine (little-endian
/// integers, ASCII, IEEE floats).
pub(crate) const NDR_RECORD: NdrRecord = NdrRecord {
    mig_vers: 0,
    if_vers: 0,
    reserved1: 0,
    mig_encoding: 0,
    int_rep: 1,
    char_rep: 0,
    float_rep: 0,
    reserved2: 0,
};

// Notification message ids (`MACH_NOTIFY_FIRST` is 0o100).
pub(crate) const MACH_NOTIFY_PORT_DELETED: i32 = 0o101;
pub(crate) const MACH_NOTIFY_SEND_POSSIBLE: i32 = 0o102;
pub(crate) const MACH_NOTIFY_PORT_DESTROYED: i32 = 0o105;
pub(crate) const MACH_NOTIFY_NO_SENDERS: i32 = 0o106;
pub(crate) const MACH_NOTIFY_SEND_ONCE: i32 = 0o107;
pub(crate) const MACH_NOTIFY_DEAD_NAME: i32 = 0o110;

/// The body of a port-deleted, dead-name or send-possible notification
/// (`mach_port_deleted_notification_t` and its kin, header and trailer
/// aside).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct NamedNotification {
    pub(crate) ndr: NdrRecord,
    pub(crate) not_port: u32,
}
layout!(NamedNotification, 12, ndr = 0, not_port = 8);

/// The body of a no-senders notification.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct NoSendersNotification {
    pub(crate) ndr: NdrRecord,
    pub(crate) not_count: u32,
}
layout!(NoSendersNotification, 12, ndr = 0, not_count = 8);

/// The body of a port-destroyed notification: complex, one port
/// descriptor carrying the receive right.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct PortDestroyedNotification {
    pub(crate) body: MsgBody,
    pub(crate) not_port: PortDescriptor,
}
layout!(PortDestroyedNotification, 16, body = 0, not_port = 4);

wire!(
    NdrRecord,
    NamedNotification,
    NoSendersNotification,
    PortDestroyedNotification,
);

// ---- Exceptions: types, behaviors and the requests the kernel sends
// (mach/exception_types.h, exc.defs, mach_exc.defs) ----

/// `EXC_TYPES_COUNT`.
pub(crate) const EXC_TYPES_COUNT: usize = 14;
/// `EXC_MASK_VALID`: every type but 0.
pub(crate) const EXC_MASK_VALID: u32 = ((1 << EXC_TYPES_COUNT) - 1) & !1;

// Exception types and x86 codes (`mach/exception_types.h`,
// `mach/i386/exception.h`, `mach/kern_return.h` for the access codes).
pub(crate) const EXC_BAD_ACCESS: u32 = 1;
pub(crate) const EXC_BAD_INSTRUCTION: u32 = 2;
pub(crate) const EXC_ARITHMETIC: u32 = 3;
pub(crate) const EXC_BREAKPOINT: u32 = 6;
pub(crate) const EXC_I386_INVOP: i64 = 1;
pub(crate) const EXC_I386_DIV: i64 = 1;
pub(crate) const EXC_I386_EXTERR: i64 = 5;
pub(crate) const EXC_I386_SGL: i64 = 1;
pub(crate) const EXC_I386_BPT: i64 = 2;
pub(crate) const KERN_INVALID_ADDRESS_CODE: i64 = 1;
pub(crate) const KERN_PROTECTION_FAILURE_CODE: i64 = 2;

// Exception behaviors (`exception_behavior_t`), which choose the request's
// layout and id.
pub(crate) const EXCEPTION_DEFAULT: u32 = 1;
pub(crate) const EXCEPTION_STATE: u32 = 2;
pub(crate) const EXCEPTION_STATE_IDENTITY: u32 = 3;
pub(crate) const EXCEPTION_IDENTITY_PROTECTED: u32 = 4;
pub(crate) const EXCEPTION_STATE_IDENTITY_PROTECTED: u32 = 5;
/// `MACH_EXCEPTION_CODES`: 64-bit codes (`mach_exception_raise*`).
pub(crate) const MACH_EXCEPTION_CODES: u32 = 0x8000_0000;
/// `MACH_EXCEPTION_BACKTRACE_PREFERRED`.
pub(crate) const MACH_EXCEPTION_BACKTRACE_PREFERRED: u32 = 0x2000_0000;
/// `MACH_EXCEPTION_CODES | MACH_EXCEPTION_ERRORS | ..._BACKTRACE_PREFERRED`.
pub(crate) const MACH_EXCEPTION_MASK: u32 = 0x8000_0000 | 0x4000_0000 | 0x2000_0000;

/// `x86_THREAD_STATE64` and its size in words.
pub(crate) const X86_THREAD_STATE64: u32 = 4;
pub(crate) const X86_THREAD_STATE64_COUNT: usize = 42;

// The exception requests' MIG ids (`exc.defs` 2401.., and `mach_exc.defs`
// 2405.., with 64-bit codes), by behavior.
pub(crate) const MIG_EXCEPTION_RAISE: i32 = 2401;
pub(crate) const MIG_EXCEPTION_RAISE_STATE: i32 = 2402;
pub(crate) const MIG_EXCEPTION_RAISE_STATE_IDENTITY: i32 = 2403;
pub(crate) const MIG_MACH_EXCEPTION_RAISE: i32 = 2405;
pub(crate) const MIG_MACH_EXCEPTION_RAISE_STATE: i32 = 2406;
pub(crate) const MIG_MACH_EXCEPTION_RAISE_STATE_IDENTITY: i32 = 2407;

/// The port descriptors an identity-carrying exception request starts
/// with (`exception_raise`, `exception_raise_state_identity`): the thread,
/// then the task.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct ExcIdentity {
    pub(crate) body: MsgBody,
    pub(crate) thread: PortDescriptor,
    pub(crate) task: PortDescriptor,
}
layout!(ExcIdentity, 28, body = 0, thread = 4, task = 16);

/// What every exception request has next: `NDR`, the exception type and
/// the number of codes, which follow as `i32`s (`exception_raise*`) or
/// `i64`s (`mach_exception_raise*`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct ExcArgs {
    pub(crate) ndr: NdrRecord,
    pub(crate) exception: u32,
    pub(crate) code_cnt: u32,
}
layout!(ExcArgs, 16, ndr = 0, exception = 8, code_cnt = 12);

/// After the codes of a state-carrying request: the flavor and the number
/// of state words, which follow.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct ExcState {
    pub(crate) flavor: u32,
    pub(crate) old_state_cnt: u32,
}
layout!(ExcState, 8, flavor = 0, old_state_cnt = 4);

wire!(ExcIdentity, ExcArgs, ExcState);

// ---- MIG request and reply layouts served by the kernel (kobject.rs) ----

// MIG routine ids (`mach/mach_host.defs`, subsystem 200,
// `mach/host_priv.defs`, 400, `mach/mach_port.defs`, 3200, and
// `mach/task.defs`, 3400), named after XNU's routines.
pub(crate) const MIG_HOST_INFO: i32 = 200;
pub(crate) const MIG_HOST_PAGE_SIZE: i32 = 202;
pub(crate) const MIG_HOST_GET_SPECIAL_PORT: i32 = 412;
pub(crate) const MIG_HOST_SET_SPECIAL_PORT: i32 = 413;
pub(crate) const MIG_MACH_PORT_NAMES: i32 = 3200;
pub(crate) const MIG_MACH_PORT_TYPE: i32 = 3201;
pub(crate) const MIG_MACH_PORT_ALLOCATE_NAME: i32 = 3203;
pub(crate) const MIG_MACH_PORT_ALLOCATE: i32 = 3204;
pub(crate) const MIG_MACH_PORT_DESTROY: i32 = 3205;
pub(crate) const MIG_MACH_PORT_DEALLOCATE: i32 = 3206;
pub(crate) const MIG_MACH_PORT_GET_REFS: i32 = 3207;
pub(crate) const MIG_MACH_PORT_MOD_REFS: i32 = 3208;
pub(crate) const MIG_MACH_PORT_SET_MSCOUNT: i32 = 3210;
pub(crate) const MIG_MACH_PORT_GET_SET_STATUS: i32 = 3211;
pub(crate) const MIG_MACH_PORT_MOVE_MEMBER: i32 = 3212;
pub(crate) const MIG_MACH_PORT_REQUEST_NOTIFICATION: i32 = 3213;
pub(crate) const MIG_MACH_PORT_INSERT_RIGHT: i32 = 3214;
pub(crate) const MIG_MACH_PORT_EXTRACT_RIGHT: i32 = 3215;
pub(crate) const MIG_MACH_PORT_SET_SEQNO: i32 = 3216;
pub(crate) const MIG_MACH_PORT_GET_ATTRIBUTES: i32 = 3217;
pub(crate) const MIG_MACH_PORT_SET_ATTRIBUTES: i32 = 3218;
pub(crate) const MIG_MACH_PORT_GET_SRIGHTS: i32 = 3222;
pub(crate) const MIG_MACH_PORT_INSERT_MEMBER: i32 = 3226;
pub(crate) const MIG_MACH_PORT_EXTRACT_MEMBER: i32 = 3227;
pub(crate) const MIG_MACH_PORT_GET_CONTEXT: i32 = 3228;
pub(crate) const MIG_MACH_PORT_SET_CONTEXT: i32 = 3229;
pub(crate) const MIG_MACH_PORT_CONSTRUCT: i32 = 3231;
pub(crate) const MIG_MACH_PORT_DESTRUCT: i32 = 3232;
pub(crate) const MIG_MACH_PORT_SPACE_INFO: i32 = 3223;
pub(crate) const MIG_MACH_PORT_KOBJECT: i32 = 3230;
pub(crate) const MIG_MACH_PORT_GUARD: i32 = 3233;
pub(crate) const MIG_MACH_PORT_UNGUARD: i32 = 3234;
pub(crate) const MIG_MACH_PORT_GUARD_WITH_FLAGS: i32 = 3237;
pub(crate) const MIG_MACH_PORT_SWAP_GUARD: i32 = 3238;
pub(crate) const MIG_TASK_THREADS: i32 = 3402;
pub(crate) const MIG_TASK_INFO: i32 = 3405;
pub(crate) const MIG_TASK_GET_SPECIAL_PORT: i32 = 3409;
pub(crate) const MIG_TASK_SET_SPECIAL_PORT: i32 = 3410;
pub(crate) const MIG_TASK_SET_EXCEPTION_PORTS: i32 = 3413;
pub(crate) const MIG_TASK_GET_EXCEPTION_PORTS: i32 = 3414;
pub(crate) const MIG_TASK_SWAP_EXCEPTION_PORTS: i32 = 3415;
pub(crate) const MIG_TASK_GET_EXC_GUARD_BEHAVIOR: i32 = 3452;
pub(crate) const MIG_TASK_SET_EXC_GUARD_BEHAVIOR: i32 = 3453;
pub(crate) const MIG_MACH_TASK_IS_SELF: i32 = 3455;
pub(crate) const MIG_TASK_CREATE_IDENTITY_TOKEN: i32 = 3457;
pub(crate) const MIG_TASK_IDENTITY_TOKEN_GET_TASK_PORT: i32 = 3458;
pub(crate) const MIG_TASK_GET_EXCEPTION_PORTS_INFO: i32 = 3460;
pub(crate) const MIG_THREAD_GET_SPECIAL_PORT: i32 = 3610;
pub(crate) const MIG_THREAD_INFO: i32 = 3612;

// launchd's classic `bootstrap.defs` (subsystem 400), served by the
// bootstrap registry (`bootstrap.rs`). host_priv.defs is subsystem 400
// too: a request is dispatched by its port's kernel-object kind first.
pub(crate) const MIG_BOOTSTRAP_CHECK_IN: i32 = 402;
pub(crate) const MIG_BOOTSTRAP_REGISTER: i32 = 403;
pub(crate) const MIG_BOOTSTRAP_LOOK_UP: i32 = 404;
pub(crate) const MIG_BOOTSTRAP_PARENT: i32 = 406;

/// `MIG_TYPE_ERROR`: a MIG argument of the wrong type.
pub(crate) const MIG_TYPE_ERROR: i32 = -300;
/// `mig_reply_error_t`'s `MIG_BAD_ID`: no routine has the request's id.
pub(crate) const MIG_BAD_ID: i32 = -303;
/// `MIG_BAD_ARGUMENTS`: the request's layout is not the routine's.
pub(crate) const MIG_BAD_ARGUMENTS: i32 = -304;
/// The reply's id is the request's plus this.
pub(crate) const MIG_REPLY_ID_OFFSET: i32 = 100;

/// Declares the inline arguments of MIG requests and replies: what
/// follows the `NDR` record (and the `RetCode` of a reply). MIG packs
/// them to 4 bytes, so a 64-bit field may sit at an offset of 4; each
/// type's size is asserted to be the sum of its fields (no padding).
macro_rules! mig_layouts {
    ($($(#[$m:meta])* $name:ident($size:expr) { $($f:ident: $t:ty),* $(,)? })*) => {$(
        $(#[$m])*
        #[repr(C, packed(4))]
        #[derive(Clone, Copy, Default)]
        pub(crate) struct $name { $(pub(crate) $f: $t),* }
        const _: () = assert!(core::mem::size_of::<$name>() == $size);
        const _: () = assert!(0 $(+ core::mem::size_of::<$t>())* == $size);
        // SAFETY: Integers (and arrays of them) packed without padding, as
        // asserted above: every bit pattern is valid, every byte initialized.
        unsafe impl FromBytes for $name {}
        // SAFETY: As above.
        unsafe impl AsBytes for $name {}
    )*};
}

mig_layouts! {
    /// No arguments (`mach_port_names`).
    MigNoArgs(0) {}
    /// A port name (`mach_port_type`, `destroy`, `deallocate`,
    /// `get_srights`, `get_context`, `get_set_status`).
    MigNameRequest(4) { name: u32 }
    /// `mach_port_allocate`.
    MigAllocateRequest(4) { right: u32 }
    /// `mach_port_allocate_name`.
    MigAllocateNameRequest(8) { right: u32, name: u32 }
    /// `mach_port_get_refs`.
    MigGetRefsRequest(8) { name: u32, right: u32 }
    /// `mach_port_mod_refs`.
    MigModRefsRequest(12) { name: u32, right: u32, delta: i32 }
    /// `mach_port_set_mscount`, `mach_port_set_seqno`.
    MigNameValueRequest(8) { name: u32, value: u32 }
    /// `mach_port_move_member` (`pset` is `after`), `insert_member`,
    /// `extract_member`.
    MigMemberRequest(8) { member: u32, pset: u32 }
    /// `mach_port_extract_right`.
    MigExtractRightRequest(8) { name: u32, msgt: u32 }
    /// `mach_port_set_context`, `mach_port_unguard`.
    MigContextRequest(12) { name: u32, context: u64 }
    /// `mach_port_guard`.
    MigGuardRequest(16) { name: u32, guard: u64, strict: u32 }
    /// `mach_port_guard_with_flags`.
    MigGuardFlagsRequest(20) { name: u32, guard: u64, flags: u64 }
    /// `mach_port_swap_guard`.
    MigSwapGuardRequest(20) { name: u32, old: u64, new: u64 }
    /// `mach_port_destruct`.
    MigDestructRequest(16) { name: u32, srdelta: i32, guard: u64 }
    /// `mach_port_construct`.
    MigConstructRequest(32) { options: PortOptions, context: u64 }
    /// `mach_port_get_attributes`.
    MigGetAttributesRequest(12) { name: u32, flavor: u32, count: u32 }
    /// `mach_port_set_attributes`, up to its count: `count` words of
    /// `info` follow.
    MigSetAttributesRequest(12) { name: u32, flavor: u32, count: u32 }
    /// `task_get_special_port`, and `task_set_special_port` after its port
    /// descriptor.
    MigSpecialPortRequest(4) { which: u32 }
    /// `task_get_exception_ports`.
    MigExceptionMaskRequest(4) { mask: u32 }
    /// `task_set_exc_guard_behavior`.
    MigExcGuardRequest(4) { behavior: u32 }
    /// `task_identity_token_get_task_port`: the flavor of port wanted.
    MigTaskFlavorRequest(4) { flavor: u32 }
    /// `task_info`, `thread_info`: the flavor and how many words the
    /// caller takes.
    MigTaskInfoRequest(8) { flavor: u32, count: u32 }
    /// `host_get_special_port`: the node (ignored, as XNU) and which port.
    MigHostSpecialPortRequest(8) { node: i32, which: i32 }
    /// After the port descriptor: `mach_port_insert_right`.
    MigInsertRightRequest(4) { name: u32 }
    /// After the port descriptor: `mach_port_request_notification`.
    MigRequestNotificationRequest(12) { name: u32, msgid: u32, sync: u32 }
    /// After the port descriptor: `task_set/swap_exception_ports`.
    MigSetExceptionPortsRequest(12) { mask: u32, behavior: u32, flavor: u32 }

    /// One word after `RetCode` (`mach_port_type`, `allocate`,
    /// `get_refs`, `get_srights`, `construct`).
    MigWordReply(4) { value: u32 }
    /// `mach_port_get_context`.
    MigContextReply(8) { context: u64 }
    /// `mach_port_get_attributes`: `count` words of `info` are sent.
    MigAttributesReply(72) { count: u32, info: [u32; 17] }
    /// `mach_port_kobject`: the object's type and (always 0) address.
    MigKobjectReply(12) { object_type: u32, object_addr: u64 }
    /// `task_info`: `count` words of `info` are sent.
    MigTaskInfoReply(52) { count: u32, info: [u32; 12] }
    /// `host_page_size`: a `vm_size_t`.
    MigPageSizeReply(8) { size: u64 }
    /// `thread_info`: `count` words of `info` are sent.
    MigThreadInfoReply(132) { count: u32, info: [u32; 32] }
    /// After the out-of-line descriptors of `mach_port_names` (both
    /// counts) and `get_set_status` (the first only).
    MigCountsReply(8) { count: u32, count2: u32 }
}

/// `mach_port_options_t`: the options of `mach_port_construct`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct PortOptions {
    pub(crate) flags: u32,
    /// `mpl.mpl_qlimit`.
    pub(crate) qlimit: u32,
    /// The union of `reserved[2]`, the work-interval port and the
    /// service-port info pointer, unused here.
    pub(crate) reserved: [u64; 2],
}
const _: () = assert!(core::mem::size_of::<PortOptions>() == 24);
// SAFETY: Plain integers without padding: every bit pattern is valid.
unsafe impl FromBytes for PortOptions {}
// SAFETY: As above.
unsafe impl AsBytes for PortOptions {}

#[kunit_tests(machipc_defs)]
mod tests {
    use super::*;
    use crate::rights::{MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND};

    /// A body with one descriptor of each kind parses back to what was
    /// written, at the offsets the sizes give.
    #[test]
    fn descriptor_round_trip() -> Result {
        let descs = [
            Descriptor::Port(PortDescriptor {
                name: 0x103,
                disposition: MACH_MSG_TYPE_COPY_SEND as u8,
                ..Default::default()
            }),
            Descriptor::Ool(OolDescriptor {
                address: 0x7fff_0000_1000,
                copy: MACH_MSG_VIRTUAL_COPY,
                type_: MACH_MSG_OOL_DESCRIPTOR,
                size: 4096,
                ..Default::default()
            }),
            Descriptor::OolPorts(OolPortsDescriptor {
                address: 0x1234_5678_9abc,
                disposition: MACH_MSG_TYPE_MAKE_SEND as u8,
                type_: MACH_MSG_OOL_PORTS_DESCRIPTOR,
                count: 3,
                ..Default::default()
            }),
            Descriptor::GuardedPort(GuardedPortDescriptor {
                context: 0xdead_beef_0000_0001,
                flags: MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE,
                disposition: MACH_MSG_TYPE_MOVE_RECEIVE as u8,
                type_: MACH_MSG_GUARDED_PORT_DESCRIPTOR,
                name: 0x207,
            }),
        ];
        let mut body = [0u8; BODY_SIZE + 12 + 3 * 16];
        write_at(
            &mut body,
            0,
            &MsgBody {
                descriptor_count: 4,
            },
        );
        let mut off = BODY_SIZE;
        for d in descs.iter() {
            d.write(&mut body, off);
            off += d.len();
        }
        assert_eq!(off, body.len());
        let mut off = BODY_SIZE;
        for d in descs.iter() {
            let p = Descriptor::parse(&body, off).map_err(|_| EINVAL)?;
            assert_eq!(p.len(), d.len());
            assert_eq!(p.rights(), d.rights());
            let mut a = [0u8; 16];
            let mut b = [0u8; 16];
            p.write(&mut a, 0);
            d.write(&mut b, 0);
            assert_eq!(a, b);
            off += p.len();
        }
        Ok(())
    }

    /// Hostile descriptors are refused with XNU's codes.
    #[test]
    fn hostile_descriptors() -> Result {
        let mut body = [0u8; BODY_SIZE + 16];
        // An unknown type.
        write_at(
            &mut body,
            BODY_SIZE,
            &TypeDescriptor {
                type_: 9,
                ..Default::default()
            },
        );
        assert_eq!(
            Descriptor::parse(&body, BODY_SIZE).err(),
            Some(MACH_SEND_INVALID_TYPE)
        );
        // A port descriptor with a disposition that names no right.
        write_at(&mut body, BODY_SIZE, &PortDescriptor::of_type(3));
        assert_eq!(
            Descriptor::parse(&body, BODY_SIZE).err(),
            Some(MACH_SEND_INVALID_TYPE)
        );
        // A guarded port descriptor that does not move a receive right.
        let g = GuardedPortDescriptor {
            disposition: MACH_MSG_TYPE_COPY_SEND as u8,
            type_: MACH_MSG_GUARDED_PORT_DESCRIPTOR,
            ..Default::default()
        };
        write_at(&mut body, BODY_SIZE, &g);
        assert_eq!(
            Descriptor::parse(&body, BODY_SIZE).err(),
            Some(MACH_SEND_INVALID_TYPE)
        );
        // Guarded port descriptors with no flag, an unknown flag, or a
        // guard to check against an unguarded port.
        for (flags, context) in [
            (0, 0),
            (MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE | 0x4, 0),
            (MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 5),
        ] {
            let g = GuardedPortDescriptor {
                context,
                flags,
                disposition: MACH_MSG_TYPE_MOVE_RECEIVE as u8,
                type_: MACH_MSG_GUARDED_PORT_DESCRIPTOR,
                ..Default::default()
            };
            write_at(&mut body, BODY_SIZE, &g);
            assert_eq!(
                Descriptor::parse(&body, BODY_SIZE).err(),
                Some(MACH_SEND_INVALID_TYPE)
            );
        }
        // An out-of-line descriptor with an unknown copy option.
        let o = OolDescriptor {
            copy: 7,
            type_: MACH_MSG_OOL_DESCRIPTOR,
            ..Default::default()
        };
        write_at(&mut body, BODY_SIZE, &o);
        assert_eq!(
            Descriptor::parse(&body, BODY_SIZE).err(),
            Some(MACH_SEND_INVALID_TYPE)
        );
        // A 16-byte descriptor cut short by the end of the body.
        let o = OolDescriptor {
            type_: MACH_MSG_OOL_DESCRIPTOR,
            ..Default::default()
        };
        write_at(&mut body, BODY_SIZE, &o);
        assert_eq!(
            Descriptor::parse(&body[..BODY_SIZE + 12], BODY_SIZE).err(),
            Some(MACH_SEND_MSG_TOO_SMALL)
        );
        // An offset past the end, and one whose sum overflows.
        assert_eq!(
            Descriptor::parse(&body, body.len()).err(),
            Some(MACH_SEND_MSG_TOO_SMALL)
        );
        assert_eq!(
            Descriptor::parse(&body, usize::MAX - 3).err(),
            Some(MACH_SEND_MSG_TOO_SMALL)
        );
        Ok(())
    }
}
