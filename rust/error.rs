// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Mach return codes. They are protocol results returned to userspace in an
//! ioctl's `ret` field, never errnos: an errno means the ioctl itself failed.
//! Values are XNU's (`mach/kern_return.h`, `mach/message.h`).

/// A `kern_return_t` or `mach_msg_return_t` other than success.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct MachError(pub(crate) i32);

/// Result of a Mach operation.
pub(crate) type MachResult<T = ()> = core::result::Result<T, MachError>;

impl MachError {
    /// The code as userspace sees it.
    pub(crate) fn code(self) -> i32 {
        self.0
    }
}

/// Turns a result into the code stored in the ioctl's `ret` field.
pub(crate) fn to_code(r: MachResult) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}

macro_rules! codes {
    ($($name:ident = $val:expr;)*) => {
        $(pub(crate) const $name: MachError = MachError($val as i32);)*
    };
}

codes! {
    KERN_INVALID_ADDRESS = 1;
    KERN_PROTECTION_FAILURE = 2;
    KERN_NO_SPACE = 3;
    KERN_INVALID_ARGUMENT = 4;
    KERN_FAILURE = 5;
    KERN_RESOURCE_SHORTAGE = 6;
    KERN_NO_ACCESS = 8;
    KERN_ALREADY_IN_SET = 11;
    KERN_NOT_IN_SET = 12;
    KERN_NAME_EXISTS = 13;
    KERN_ABORTED = 14;
    KERN_INVALID_NAME = 15;
    KERN_INVALID_TASK = 16;
    KERN_INVALID_RIGHT = 17;
    KERN_INVALID_VALUE = 18;
    KERN_INVALID_CAPABILITY = 20;
    KERN_RIGHT_EXISTS = 21;
    KERN_TERMINATED = 37;
    KERN_NOT_SUPPORTED = 46;
    KERN_DENIED = 53;
    KERN_NOT_FOUND = 56;

    MACH_SEND_INVALID_DATA = 0x1000_0002u32;
    MACH_SEND_INVALID_DEST = 0x1000_0003u32;
    MACH_SEND_TIMED_OUT = 0x1000_0004u32;
    MACH_SEND_INVALID_VOUCHER = 0x1000_0005u32;
    MACH_SEND_INTERRUPTED = 0x1000_0007u32;
    MACH_SEND_MSG_TOO_SMALL = 0x1000_0008u32;
    MACH_SEND_INVALID_REPLY = 0x1000_0009u32;
    MACH_SEND_INVALID_RIGHT = 0x1000_000au32;
    MACH_SEND_INVALID_MEMORY = 0x1000_000cu32;
    MACH_SEND_NO_BUFFER = 0x1000_000du32;
    MACH_SEND_TOO_LARGE = 0x1000_000eu32;
    MACH_SEND_INVALID_TYPE = 0x1000_000fu32;
    MACH_SEND_INVALID_HEADER = 0x1000_0010u32;

    MACH_RCV_INVALID_NAME = 0x1000_4002u32;
    MACH_RCV_TIMED_OUT = 0x1000_4003u32;
    MACH_RCV_TOO_LARGE = 0x1000_4004u32;
    MACH_RCV_INTERRUPTED = 0x1000_4005u32;
    MACH_RCV_PORT_CHANGED = 0x1000_4006u32;
    MACH_RCV_INVALID_DATA = 0x1000_4008u32;
    MACH_RCV_PORT_DIED = 0x1000_4009u32;
    MACH_RCV_HEADER_ERROR = 0x1000_400bu32;
    MACH_RCV_BODY_ERROR = 0x1000_400cu32;
    MACH_RCV_INVALID_TRAILER = 0x1000_400fu32;
}

/// `MACH_MSG_IPC_SPACE`: or-ed into receive errors when the receiver's
/// name space had no room for a right.
pub(crate) const MACH_MSG_IPC_SPACE: i32 = 0x2000;
/// `MACH_MSG_VM_SPACE`: or-ed into receive errors when the receiver's
/// address space had no room for out-of-line memory.
pub(crate) const MACH_MSG_VM_SPACE: i32 = 0x1000;
/// `MACH_MSG_VM_KERNEL`: or-ed into receive errors when the kernel ran out
/// of memory for out-of-line data.
pub(crate) const MACH_MSG_VM_KERNEL: i32 = 0x400;
