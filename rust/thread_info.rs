// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! `thread_info`: what a thread port tells about its thread, in XNU's
//! flavors and layouts (`mach/thread_info.h`), from Linux's view of the
//! thread.
//!
//! Times are the thread's own (`task_cputime_adjusted`), the run state
//! comes from the task state (running, stopped or traced, uninterruptible
//! sleep, other sleep), and the CPU usage from the scheduler's utilization
//! average scaled to `TH_USAGE_SCALE`. The suspend count, sleep time and
//! flags are always 0 (machipc suspends no thread; XNU reports no sleep
//! time either; a user thread is never XNU's idle thread and is never
//! swapped). Priorities follow XNU's scale: 31 for nice 0 (one step per
//! nice level, 63 at most for a user thread), 97 for real-time threads.

use core::mem::{offset_of, size_of};
use kernel::transmute::AsBytes;

use crate::error::*;
use crate::thread::Thread;

pub(crate) const THREAD_BASIC_INFO: u32 = 3;
pub(crate) const THREAD_IDENTIFIER_INFO: u32 = 4;
pub(crate) const THREAD_EXTENDED_INFO: u32 = 5;

/// `THREAD_INFO_MAX`: the most words a `thread_info_t` holds; MIG's
/// server clamps the caller's count to it.
pub(crate) const THREAD_INFO_MAX: u32 = 32;

const TH_STATE_HALTED: i32 = 5;
const POLICY_TIMESHARE: i32 = 1;
const POLICY_RR: i32 = 2;
/// Linux's `SCHED_FIFO`, `SCHED_RR`, `SCHED_DEADLINE`.
const SCHED_REALTIME: [u32; 3] = [1, 2, 6];
/// XNU's `BASEPRI_DEFAULT`, `MAXPRI_USER`, `BASEPRI_RTQUEUES`, `MAXPRI`.
const BASEPRI_DEFAULT: i32 = 31;
const MAXPRI_USER: i32 = 63;
const BASEPRI_RTQUEUES: i32 = 97;
const MAXPRI: i32 = 127;

/// `time_value_t`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct TimeValue {
    seconds: i32,
    microseconds: i32,
}

impl TimeValue {
    fn of_ns(ns: u64) -> Self {
        TimeValue {
            seconds: (ns / 1_000_000_000).min(i32::MAX as u64) as i32,
            microseconds: ((ns % 1_000_000_000) / 1000) as i32,
        }
    }
}

/// `struct thread_basic_info`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct BasicInfo {
    user_time: TimeValue,
    system_time: TimeValue,
    cpu_usage: i32,
    policy: i32,
    run_state: i32,
    flags: i32,
    suspend_count: i32,
    sleep_time: i32,
}
const _: () = assert!(size_of::<BasicInfo>() == 40);
const _: () = assert!(offset_of!(BasicInfo, cpu_usage) == 16);
const _: () = assert!(offset_of!(BasicInfo, sleep_time) == 36);

/// `struct thread_identifier_info`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct IdentifierInfo {
    thread_id: u64,
    thread_handle: u64,
    dispatch_qaddr: u64,
}
const _: () = assert!(size_of::<IdentifierInfo>() == 24);

/// `struct thread_extended_info`.
#[repr(C)]
#[derive(Clone, Copy)]
struct ExtendedInfo {
    user_time: u64,
    system_time: u64,
    cpu_usage: i32,
    policy: i32,
    run_state: i32,
    flags: i32,
    sleep_time: i32,
    curpri: i32,
    priority: i32,
    maxpriority: i32,
    name: [u8; 64],
}
const _: () = assert!(size_of::<ExtendedInfo>() == 112);
const _: () = assert!(offset_of!(ExtendedInfo, name) == 48);

// SAFETY: Integers without padding (sizes asserted above).
unsafe impl AsBytes for TimeValue {}
// SAFETY: As above.
unsafe impl AsBytes for BasicInfo {}
// SAFETY: As above.
unsafe impl AsBytes for IdentifierInfo {}
// SAFETY: As above.
unsafe impl AsBytes for ExtendedInfo {}

/// Words of a layout (`*_COUNT`).
const fn count_of<T>() -> u32 {
    (size_of::<T>() / size_of::<u32>()) as u32
}

/// A flavor's answer: the first `count` words of `words`.
pub(crate) struct Info {
    pub(crate) words: [u32; THREAD_INFO_MAX as usize],
    pub(crate) count: u32,
}

impl Info {
    fn new(bytes: &[u8], count: u32) -> Self {
        let mut words = [0u32; THREAD_INFO_MAX as usize];
        AsBytes::as_bytes_mut(&mut words)[..bytes.len()].copy_from_slice(bytes);
        Info { words, count }
    }
}

/// `thread_info(thread, flavor, info, &count)`: `count` is the caller's
/// (clamped to `THREAD_INFO_MAX` by MIG); a smaller one than the flavor's
/// is `KERN_INVALID_ARGUMENT`, as an unknown flavor; a thread that has
/// exited, or exec'd since its port was made, is `KERN_TERMINATED` (and
/// its port dies).
pub(crate) fn thread_info(thread: &Thread, flavor: u32, count: u32) -> MachResult<Info> {
    let count = count.min(THREAD_INFO_MAX);
    // Gone before the read, or exiting during it.
    if thread.reap_if_gone() {
        return Err(KERN_TERMINATED);
    }
    let Some(u) = thread.pid.info() else {
        thread.reap_if_gone();
        return Err(KERN_TERMINATED);
    };
    let need = match flavor {
        THREAD_BASIC_INFO => count_of::<BasicInfo>(),
        THREAD_IDENTIFIER_INFO => count_of::<IdentifierInfo>(),
        THREAD_EXTENDED_INFO => count_of::<ExtendedInfo>(),
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    if count < need {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let realtime = SCHED_REALTIME.contains(&u.policy);
    let policy = if realtime {
        POLICY_RR
    } else {
        POLICY_TIMESHARE
    };
    let run_state = u.run_state.min(TH_STATE_HALTED);
    let basic = BasicInfo {
        user_time: TimeValue::of_ns(u.user_ns),
        system_time: TimeValue::of_ns(u.system_ns),
        cpu_usage: u.cpu_usage,
        policy,
        run_state,
        ..Default::default()
    };
    Ok(match flavor {
        THREAD_BASIC_INFO => Info::new(basic.as_bytes(), need),
        // XNU leaves the count as the caller gave it for this flavor.
        THREAD_IDENTIFIER_INFO => Info::new(
            IdentifierInfo {
                thread_id: u.thread_id,
                thread_handle: u.handle,
                dispatch_qaddr: 0,
            }
            .as_bytes(),
            count,
        ),
        _ => {
            let (priority, maxpriority) = if realtime {
                (BASEPRI_RTQUEUES, MAXPRI)
            } else {
                (
                    (BASEPRI_DEFAULT - u.nice).clamp(0, MAXPRI_USER),
                    MAXPRI_USER,
                )
            };
            let mut e = ExtendedInfo {
                // Microsecond precision, as XNU's from the basic times.
                user_time: u.user_ns / 1000 * 1000,
                system_time: u.system_ns / 1000 * 1000,
                cpu_usage: u.cpu_usage,
                policy,
                run_state,
                flags: 0,
                sleep_time: 0,
                curpri: priority,
                priority,
                maxpriority,
                name: [0; 64],
            };
            e.name[..u.name.len()].copy_from_slice(&u.name);
            Info::new(e.as_bytes(), need)
        }
    })
}
