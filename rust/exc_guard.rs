// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The task's `EXC_GUARD` policy (`task_get/set_exc_guard_behavior`): which
//! guard violations, of virtual memory and of Mach ports, a task asks to
//! have delivered and how. machipc keeps and answers the policy with XNU's
//! rules for a release kernel, but raises no `EXC_GUARD` itself: a guard
//! violation is reported by its call's error code alone.
//!
//! A task starts with no delivery (XNU's default for third-party code).
//! Once set, a `DELIVER` or `FATAL` bit cannot be cleared, and a `ONCE` bit
//! cannot be set where it was clear; either attempt is `KERN_DENIED`.

use kernel::sync::atomic::Relaxed;

use crate::error::*;
use crate::space::Space;

pub(crate) const TASK_EXC_GUARD_NONE: u32 = 0;
const VM_DELIVER: u32 = 0x01;
const VM_ONCE: u32 = 0x02;
const VM_FATAL: u32 = 0x08;
const MP_DELIVER: u32 = 0x10;
const MP_ONCE: u32 = 0x20;
const MP_FATAL: u32 = 0x80;
/// `TASK_EXC_GUARD_ALL`: every defined bit.
const ALL: u32 = 0xff;
/// Bits that stay once set.
const NO_UNSET: u32 = VM_DELIVER | VM_FATAL | MP_DELIVER | MP_FATAL;
/// Bits that cannot be turned on.
const NO_SET: u32 = VM_ONCE | MP_ONCE;

/// `task_get_exc_guard_behavior`.
pub(crate) fn get(space: &Space) -> u32 {
    space.exc_guard.load(Relaxed)
}

/// `task_set_exc_guard_behavior`: an undefined bit is
/// `KERN_INVALID_VALUE`; a change the rules above forbid `KERN_DENIED`.
pub(crate) fn set(space: &Space, new: u32) -> MachResult {
    if new & !ALL != 0 {
        return Err(KERN_INVALID_VALUE);
    }
    let mut cur = space.exc_guard.load(Relaxed);
    loop {
        if cur & NO_UNSET & !(new & NO_UNSET) != 0 || new & NO_SET & !(cur & NO_SET) != 0 {
            return Err(KERN_DENIED);
        }
        match space.exc_guard.cmpxchg(cur, new, Relaxed) {
            Ok(_) => return Ok(()),
            Err(now) => cur = now,
        }
    }
}
