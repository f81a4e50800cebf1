// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Live-object counters, shown in debugfs as `machipc/stats`. Tests read
//! them to prove that nothing leaks: once every space is closed, every
//! counter is zero.

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

/// Writes `name value` lines into `buf`; returns the length written.
pub(crate) fn format(buf: &mut [u8]) -> usize {
    let rows: [(&str, &Counter); 10] = [
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
    let mut w = Writer { buf, len: 0 };
    for (name, c) in rows.iter() {
        let _ = core::fmt::Write::write_fmt(&mut w, format_args!("{} {}\n", name, c.get()));
    }
    w.len
}

struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let b = s.as_bytes();
        let n = b.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
        Ok(())
    }
}
