// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! `task_info`: what a task port tells about its task, in XNU's flavors
//! and layouts (`mach/task_info.h`), from Linux's accounting of the
//! process that owns the space.
//!
//! Sizes come from the process's `mm` (`total_vm`, the resident set and
//! its high-water mark). Times follow XNU's split: the basic-info flavors
//! report the threads that have exited, `TASK_THREAD_TIMES_INFO` the live
//! ones. The suspend count is always 0: machipc cannot suspend a task.

use crate::error::*;
use crate::ffi::{PidRef, TaskUsage};
use crate::space::Space;

/// The flavors (`task_flavor_t`) served.
pub(crate) const TASK_ABSOLUTETIME_INFO: u32 = 1;
pub(crate) const TASK_THREAD_TIMES_INFO: u32 = 3;
pub(crate) const TASK_BASIC_INFO_32: u32 = 4;
pub(crate) const TASK_BASIC_INFO_64: u32 = 5;
pub(crate) const TASK_BASIC2_INFO_32: u32 = 6;
pub(crate) const TASK_SECURITY_TOKEN: u32 = 13;
pub(crate) const TASK_AUDIT_TOKEN: u32 = 15;
pub(crate) const MACH_TASK_BASIC_INFO: u32 = 20;

/// `TASK_INFO_MAX`: the most words a `task_info_t` holds; MIG's server
/// clamps the caller's count to it.
pub(crate) const TASK_INFO_MAX: u32 = 1024;

/// The largest flavor served, in words (`MACH_TASK_BASIC_INFO_COUNT`).
pub(crate) const TASK_INFO_WORDS: usize = 12;

/// `POLICY_TIMESHARE`, every user task's policy.
const POLICY_TIMESHARE: u32 = 1;

/// A flavor's answer: `count` words of `words`.
pub(crate) struct Info {
    pub(crate) words: [u32; TASK_INFO_WORDS],
    pub(crate) count: u32,
}

/// Appends words to an [`Info`].
struct Writer(Info);

impl Writer {
    fn word(&mut self, w: u32) -> &mut Self {
        let i = self.0.count as usize;
        if let Some(slot) = self.0.words.get_mut(i) {
            *slot = w;
            self.0.count += 1;
        }
        self
    }

    /// A 64-bit value as two words, low first (MIG packs it to 4 bytes).
    fn quad(&mut self, v: u64) -> &mut Self {
        self.word(v as u32).word((v >> 32) as u32)
    }

    /// `time_value_t`: seconds, then microseconds (truncated, as XNU's
    /// `absolutetime_to_microtime`).
    fn time(&mut self, ns: u64) -> &mut Self {
        let secs = (ns / 1_000_000_000) as u32;
        let usecs = ((ns % 1_000_000_000) / 1000) as u32;
        self.word(secs).word(usecs)
    }
}

/// The number of words each flavor answers with (its `*_COUNT`), or
/// `None` for a flavor not served.
fn count_of(flavor: u32) -> Option<u32> {
    Some(match flavor {
        TASK_ABSOLUTETIME_INFO => 8,
        TASK_THREAD_TIMES_INFO => 4,
        TASK_BASIC_INFO_32 | TASK_BASIC2_INFO_32 => 8,
        TASK_BASIC_INFO_64 => 10,
        TASK_SECURITY_TOKEN => 2,
        TASK_AUDIT_TOKEN => 8,
        MACH_TASK_BASIC_INFO => 12,
        _ => return None,
    })
}

/// `task_info(space's task, flavor, count)`. A flavor not served, or a
/// `count` smaller than the flavor's, is `KERN_INVALID_ARGUMENT`, as is a
/// task whose process has exited.
pub(crate) fn task_info(space: &Space, flavor: u32, count: u32) -> MachResult<Info> {
    let need = count_of(flavor).ok_or(KERN_INVALID_ARGUMENT)?;
    if count.min(TASK_INFO_MAX) < need {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let pid = space.pid.as_ref().ok_or(KERN_INVALID_ARGUMENT)?;
    let u = pid.usage().ok_or(KERN_INVALID_ARGUMENT)?;
    let info = fill(flavor, pid, &u);
    debug_assert_eq!(info.count, need);
    Ok(info)
}

fn fill(flavor: u32, pid: &PidRef, u: &TaskUsage) -> Info {
    let mut w = Writer(Info {
        words: [0; TASK_INFO_WORDS],
        count: 0,
    });
    let (dead_user, dead_sys) = u.dead_times_ns;
    let (live_user, live_sys) = u.live_times_ns;
    match flavor {
        TASK_ABSOLUTETIME_INFO => {
            // Mach absolute time is nanoseconds here (a 1/1 timebase).
            w.quad(dead_user.saturating_add(live_user))
                .quad(dead_sys.saturating_add(live_sys))
                .quad(live_user)
                .quad(live_sys);
        }
        TASK_THREAD_TIMES_INFO => {
            w.time(live_user).time(live_sys);
        }
        TASK_BASIC_INFO_32 | TASK_BASIC2_INFO_32 => {
            // BASIC2 reports the peak resident size; both clamp it to 32
            // bits, and truncate the virtual size, as XNU.
            let resident = if flavor == TASK_BASIC2_INFO_32 {
                u.resident_max
            } else {
                u.resident_size
            };
            w.word(0)
                .word(u.virtual_size as u32)
                .word(resident.min(u64::from(u32::MAX)) as u32)
                .time(dead_user)
                .time(dead_sys)
                .word(POLICY_TIMESHARE);
        }
        TASK_BASIC_INFO_64 => {
            w.word(0)
                .quad(u.virtual_size)
                .quad(u.resident_size)
                .time(dead_user)
                .time(dead_sys)
                .word(POLICY_TIMESHARE);
        }
        MACH_TASK_BASIC_INFO => {
            w.quad(u.virtual_size)
                .quad(u.resident_size)
                .quad(u.resident_max)
                .time(dead_user)
                .time(dead_sys)
                .word(POLICY_TIMESHARE)
                .word(0);
        }
        TASK_SECURITY_TOKEN | TASK_AUDIT_TOKEN => {
            // As the caller's namespaces see them, and as the trailer of
            // a message from this task carries them.
            let (euid, egid, ruid, rgid) = u.ids.in_current_ns();
            if flavor == TASK_SECURITY_TOKEN {
                w.word(euid).word(egid);
            } else {
                let nr = pid.nr_in_current_ns() as u32;
                w.word(ruid)
                    .word(euid)
                    .word(egid)
                    .word(ruid)
                    .word(rgid)
                    .word(nr)
                    .word(0)
                    .word(pid.version());
            }
        }
        _ => {}
    }
    w.0
}
