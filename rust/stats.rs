// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Live-object counters, shown in debugfs as `machipc/stats`. Tests read
//! them to prove that nothing leaks: once every space is closed, every
//! counter is zero.
//!
//! Also the operation counters a profile needs (issue 13's per-RPC figures):
//! lock acquisitions by lock class, allocations on the message path and
//! sleeps of receivers and senders,
//! counted only while `machipc/counting` holds 1 (writing 1 zeroes them
//! first) and shown in `machipc/counters`. Off, each counting point costs one
//! load of [`COUNTING`] and a predictable branch.

use core::fmt;
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::uaccess::UserSliceReader;

/// A counter of live objects.
///
/// A `core` atomic, not the kernel's `Atomic<i64>`: a counter orders
/// nothing (it is only read, relaxed, by debugfs and the tests), and the
/// message path updates half a dozen per message, where each `Atomic<i64>`
/// operation is two out-of-line calls (the C helper and `as_ptr`) and a
/// relaxed `core` one is a single locked instruction.
pub(crate) struct Counter(core::sync::atomic::AtomicI64);

impl Counter {
    const fn new() -> Self {
        Counter(core::sync::atomic::AtomicI64::new(0))
    }

    #[inline(always)]
    pub(crate) fn inc(&self) {
        self.add(1);
    }

    #[inline(always)]
    pub(crate) fn dec(&self) {
        self.add(-1);
    }

    #[inline(always)]
    pub(crate) fn add(&self, n: i64) {
        self.0.fetch_add(n, core::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> i64 {
        self.0.load(core::sync::atomic::Ordering::Relaxed)
    }

    fn zero(&self) {
        self.0.store(0, core::sync::atomic::Ordering::Relaxed);
    }
}

pub(crate) static SPACES: Counter = Counter::new();
pub(crate) static PORTS: Counter = Counter::new();
pub(crate) static PORT_SETS: Counter = Counter::new();
pub(crate) static KMSGS: Counter = Counter::new();
pub(crate) static QUEUED: Counter = Counter::new();
pub(crate) static PORT_FDS: Counter = Counter::new();
pub(crate) static KMSG_CACHE_HITS: Counter = Counter::new();
pub(crate) static KMSG_CACHE_MISSES: Counter = Counter::new();
/// `mk_timer` timers alive, armed or not (`mk_timer.rs`).
pub(crate) static TIMERS: Counter = Counter::new();
/// User accounts alive (`limits.rs`).
pub(crate) static USERS: Counter = Counter::new();
/// Bytes charged to spaces' quotas, all spaces together.
pub(crate) static CHARGED_BYTES: Counter = Counter::new();

/// Whether the operation counters count (`machipc/counting`).
static COUNTING: Atomic<bool> = Atomic::new(false);

/// The classes of lock the operation counters tell apart (see the lock
/// order in the crate root).
#[derive(Clone, Copy)]
pub(crate) enum LockClass {
    Space = 0,
    Transit = 1,
    Port = 2,
    PortSet = 3,
}

/// Acquisitions per [`LockClass`], while counting.
static LOCKS: [Counter; 4] = [const { Counter::new() }; 4];
/// Allocations made by `mach_msg` on the message path, while counting.
static ALLOCS: Counter = Counter::new();
/// Sleeps of receivers and blocked senders, while counting. Each re-takes
/// its lock on waking, which the lock counts do not see.
static WAITS: Counter = Counter::new();

/// Whether the operation counters count: a `READ_ONCE` of [`COUNTING`],
/// inlined. `Atomic::load` is a call to a C helper (some ten instructions),
/// and this runs at every counting point, a couple of dozen per RPC, with
/// counting off; a plain load and a branch is what the switch may cost.
#[inline(always)]
fn counting() -> bool {
    // SAFETY: `as_ptr` gives a valid, aligned pointer to the flag, a static.
    // A volatile load is a marked access (`READ_ONCE`), as the C helper's
    // is, so it does not race with `set_counting`'s atomic store under the
    // kernel memory model.
    unsafe { COUNTING.as_ptr().read_volatile() }
}

/// Counts one acquisition of a lock of class `c` (if counting).
#[inline(always)]
pub(crate) fn count_lock(c: LockClass) {
    if counting() {
        LOCKS[c as usize].inc();
    }
}

/// Counts one allocation on the message path (if counting): a call to the
/// allocator that `mach_msg` makes for a message, the kmsg cache's misses
/// included (its hits are counted apart, always, in `machipc/stats`).
#[inline(always)]
pub(crate) fn count_alloc() {
    if counting() {
        ALLOCS.inc();
    }
}

/// Counts one sleep on a port's or set's condition variable (if counting).
#[inline(always)]
pub(crate) fn count_wait() {
    if counting() {
        WAITS.inc();
    }
}

/// The rows of `machipc/counters`.
const OP_ROWS: [(&str, &Counter); 6] = [
    ("lock_space", &LOCKS[LockClass::Space as usize]),
    ("lock_transit", &LOCKS[LockClass::Transit as usize]),
    ("lock_port", &LOCKS[LockClass::Port as usize]),
    ("lock_port_set", &LOCKS[LockClass::PortSet as usize]),
    ("allocs", &ALLOCS),
    ("waits", &WAITS),
];

fn write_counters(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (name, c) in OP_ROWS.iter() {
        writeln!(f, "{} {}", name, c.get())?;
    }
    Ok(())
}

/// `machipc/counting`: "0" or "1"; writing 1 zeroes the counters, then
/// counts.
fn write_counting(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", u8::from(COUNTING.load(Relaxed)))
}

fn set_counting(r: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 8];
    let n = r.len();
    if n == 0 || n > buf.len() {
        return Err(EINVAL);
    }
    r.read_slice(&mut buf[..n])?;
    let on = match core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?.trim() {
        "1" => true,
        "0" => false,
        _ => return Err(EINVAL),
    };
    if on {
        for (_, c) in OP_ROWS.iter() {
            c.zero();
        }
    }
    COUNTING.store(on, Relaxed);
    Ok(())
}

/// Every counter with its row name in `machipc/stats`.
const ROWS: [(&str, &Counter); 11] = [
    ("spaces", &SPACES),
    ("ports", &PORTS),
    ("port_sets", &PORT_SETS),
    ("kmsgs", &KMSGS),
    ("queued_messages", &QUEUED),
    ("port_fds", &PORT_FDS),
    ("timers", &TIMERS),
    ("kmsg_cache_hits", &KMSG_CACHE_HITS),
    ("kmsg_cache_misses", &KMSG_CACHE_MISSES),
    ("users", &USERS),
    ("charged_bytes", &CHARGED_BYTES),
];

/// Writes one `name value` line per counter.
fn write(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (name, c) in ROWS.iter() {
        writeln!(f, "{} {}", name, c.get())?;
    }
    Ok(())
}

/// The debugfs directory `machipc` and its files `stats`, `counting` and
/// `counters`; all are removed when this is dropped (module exit).
///
/// `kernel::debugfs` has all this needs (a read-only file whose contents a
/// callback formats on each read), so no C is involved. The file is mode
/// 0400; debugfs itself is root's only.
pub(crate) struct DebugFs {
    _stats: Pin<KBox<File<()>>>,
    _counting: Pin<KBox<File<()>>>,
    _counters: Pin<KBox<File<()>>>,
    _dir: Dir,
}

impl DebugFs {
    /// Creates `machipc/stats`. Without debugfs (or if debugfs cannot make
    /// the entries) nothing is shown and the module works the same: the
    /// counters are for tests, not for the module itself.
    pub(crate) fn new() -> Result<Self> {
        let dir = Dir::new(c"machipc");
        let stats = KBox::pin_init(
            dir.read_callback_file(c"stats", (), &|(): &(), f| write(f)),
            GFP_KERNEL,
        )?;
        let counting = KBox::pin_init(
            dir.read_write_callback_file(
                c"counting",
                (),
                &|(): &(), f| write_counting(f),
                &|(): &(), r| set_counting(r),
            ),
            GFP_KERNEL,
        )?;
        let counters = KBox::pin_init(
            dir.read_callback_file(c"counters", (), &|(): &(), f| write_counters(f)),
            GFP_KERNEL,
        )?;
        Ok(DebugFs {
            _stats: stats,
            _counting: counting,
            _counters: counters,
            _dir: dir,
        })
    }
}
