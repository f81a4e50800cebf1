// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Live-object counters, shown in debugfs as `machipc/stats`. Tests read
//! them to prove that nothing leaks: once every space is closed, every
//! counter is zero.

use core::fmt;
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};

/// A counter of live objects.
pub(crate) struct Counter(Atomic<i64>);

impl Counter {
    const fn new() -> Self {
        Counter(Atomic::new(0))
    }

    pub(crate) fn inc(&self) {
        self.0.add(1, Relaxed);
    }

    pub(crate) fn dec(&self) {
        self.0.add(-1, Relaxed);
    }

    pub(crate) fn add(&self, n: i64) {
        self.0.add(n, Relaxed);
    }

    pub(crate) fn get(&self) -> i64 {
        self.0.load(Relaxed)
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
/// User accounts alive (`limits.rs`).
pub(crate) static USERS: Counter = Counter::new();
/// Bytes charged to spaces' quotas, all spaces together.
pub(crate) static CHARGED_BYTES: Counter = Counter::new();

/// Every counter with its row name in `machipc/stats`.
const ROWS: [(&str, &Counter); 10] = [
    ("spaces", &SPACES),
    ("ports", &PORTS),
    ("port_sets", &PORT_SETS),
    ("kmsgs", &KMSGS),
    ("queued_messages", &QUEUED),
    ("port_fds", &PORT_FDS),
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

/// The debugfs directory `machipc` and its read-only file `stats`; both
/// are removed when this is dropped (module exit).
///
/// `kernel::debugfs` has all this needs (a read-only file whose contents a
/// callback formats on each read), so no C is involved. The file is mode
/// 0400; debugfs itself is root's only.
pub(crate) struct DebugFs {
    _stats: Pin<KBox<File<()>>>,
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
        Ok(DebugFs {
            _stats: stats,
            _dir: dir,
        })
    }
}
