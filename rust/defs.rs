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

#![allow(dead_code)]

#[allow(unused_imports)]
use kernel::transmute::{AsBytes, FromBytes};

// ---- Message header, body, descriptors and trailers (mach/message.h) ----

// ---- Notification bodies (mach/notify.h) ----

// ---- MIG request and reply layouts served by the kernel (kobject.rs) ----

// MIG routine ids (`mach/mach_port.defs`, subsystem 3200, and
// `mach/task.defs`, 3400), named after XNU's routines.
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
pub(crate) const MIG_MACH_PORT_GUARD: i32 = 3233;
pub(crate) const MIG_MACH_PORT_UNGUARD: i32 = 3234;
pub(crate) const MIG_TASK_GET_SPECIAL_PORT: i32 = 3409;
pub(crate) const MIG_TASK_SET_SPECIAL_PORT: i32 = 3410;
pub(crate) const MIG_TASK_SET_EXCEPTION_PORTS: i32 = 3413;
pub(crate) const MIG_TASK_GET_EXCEPTION_PORTS: i32 = 3414;
pub(crate) const MIG_TASK_SWAP_EXCEPTION_PORTS: i32 = 3415;

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
