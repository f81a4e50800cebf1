// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Per-CPU caches of kernel messages: a small stack of whole messages per
//! CPU (the `Kmsg` and its body buffer of [`SMALL`] bytes), so the RPC
//! fast path reuses both instead of allocating and freeing them (with
//! their memory-cgroup charge) for every message.
//!
//! The kernel crate has no per-CPU abstraction: the stacks are per-CPU
//! arrays of pointers in the C shim (`machipc_shim_kcache_*`), pushed and
//! popped with interrupts off on the CPU for a few instructions, with no
//! lock (a spinlock per CPU cost two calls out of the module per message).
//! A task that migrates between a get and a put uses another CPU's stack,
//! which is still correct. Messages are emptied before they are pushed;
//! one a full stack cannot take is freed by the caller.
//!
//! The cache belongs to the module: [`KmsgCache`] turns it on at init, and
//! at exit turns it off and frees what the stacks hold.

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;

use crate::kmsg::Kmsg;
use crate::stats;

/// Bodies up to this many bytes come from the cache.
pub(crate) const SMALL: usize = 256;
/// Messages kept per CPU (`MACHIPC_KCACHE_DEPTH` in the shim).
#[cfg(CONFIG_KUNIT = "y")]
const DEPTH: usize = 32;

/// The module's hold on the caches, from init to exit.
pub(crate) struct KmsgCache;

/// Whether the stacks are in use: a `core` atomic, read twice per message.
static ON: AtomicBool = AtomicBool::new(false);

impl KmsgCache {
    /// Turns the caches on for [`get`] and [`put`].
    pub(crate) fn new() -> KmsgCache {
        ON.store(true, Ordering::Release);
        KmsgCache
    }
}

impl Drop for KmsgCache {
    fn drop(&mut self) {
        // Off first; no kmsg is alive and no task can reach the module
        // once it unloads, so the stacks are only this thread's to empty.
        ON.store(false, Ordering::Release);
        for cpu in 0..kernel::cpu::nr_cpu_ids() {
            while let Some(k) = crate::ffi::kcache_take(cpu) {
                drop(k);
            }
        }
    }
}

fn on() -> bool {
    ON.load(Ordering::Acquire)
}

/// An empty message (as [`Kmsg::reset`] leaves it) with a body buffer of
/// [`SMALL`] bytes, from this CPU's stack; `None` if it is empty.
pub(crate) fn get() -> Option<KBox<Kmsg>> {
    let cached = if on() { crate::ffi::kcache_pop() } else { None };
    if cached.is_some() {
        stats::KMSG_CACHE_HITS.inc();
    } else {
        stats::KMSG_CACHE_MISSES.inc();
    }
    cached
}

/// Gives a message back: it is emptied and kept if its buffers are
/// cache-sized and this CPU's stack has room, freed otherwise.
pub(crate) fn put(mut k: KBox<Kmsg>) {
    if !k.reusable() || !on() {
        return;
    }
    // Rights, memory and notifications go before the message is kept.
    k.reset();
    drop(crate::ffi::kcache_push(k));
}

#[kunit_tests(machipc_kmsg_cache)]
mod tests {
    use super::*;
    use crate::kmsg::{KmsgBox, Sender};

    fn new(len: usize) -> Result<KmsgBox> {
        Kmsg::new(len, Sender::kernel())
    }

    #[test]
    fn messages_are_reused_empty_and_zeroed() -> Result {
        // Uses the module's published cache.
        let mut k = Kmsg::new(64, Sender::current())?;
        assert_eq!(k.body.len(), 64);
        k.body[0] = 0xaa;
        k.id = 7;
        k.bits = 0x1234;
        drop(k);
        let hits = stats::KMSG_CACHE_HITS.get();
        let k = new(32)?;
        assert_eq!(k.body.len(), 32);
        assert_eq!(k.size as usize, crate::defs::HEADER_SIZE + 32);
        assert_eq!(k.body[0], 0);
        assert_eq!((k.id, k.bits), (0, 0));
        assert!(k.sender.is_kernel());
        assert!(k.dest.is_none() && k.descs.is_empty() && k.charge.is_none());
        if cache().is_some() {
            assert_eq!(stats::KMSG_CACHE_HITS.get(), hits + 1);
        }
        Ok(())
    }

    /// Buffers held in `cpu`'s stack.
    fn held(cpu: usize) -> usize {
        crate::ffi::kcache_len(cpu as u32)
    }

    fn cache() -> Option<()> {
        on().then_some(())
    }

    /// Runs `f` on CPU `cpu` (the thread is bound there meanwhile) and
    /// gives the thread every CPU back, whatever `f` returns.
    fn on_cpu<T>(cpu: u32, f: impl FnOnce() -> Result<T>) -> Result<T> {
        crate::ffi::pin_current_to_cpu(cpu)?;
        let r = f();
        crate::ffi::unpin_current();
        r
    }

    #[test]
    fn a_buffer_taken_on_one_cpu_returns_to_the_cpu_that_frees_it() -> Result {
        if cache().is_none() || kernel::cpu::nr_cpu_ids() < 2 {
            return Ok(());
        }
        let b = on_cpu(0, || new(64))?;
        // Migrate between get and put, as a sender preempted mid-send would.
        let (before, after) = on_cpu(1, || {
            assert_eq!(kernel::cpu::CpuId::current().as_u32(), 1);
            let before = held(1);
            drop(b);
            Ok((before, held(1)))
        })?;
        assert_eq!(after, core::cmp::min(before + 1, DEPTH));
        Ok(())
    }

    #[test]
    fn a_cpu_going_offline_and_back_keeps_its_slot() -> Result {
        if cache().is_none() || kernel::cpu::nr_cpu_ids() < 2 {
            return Ok(());
        }
        let kept = on_cpu(1, || {
            drop(new(64)?);
            Ok(held(1))
        })?;
        let offline = on_cpu(0, || {
            if crate::ffi::set_cpu_online(1, false).is_err() {
                // No hotplug here (the test kernel has it; others may not).
                return Ok(None);
            }
            // The other CPUs go on; the offline CPU's buffers stay in its
            // slot (the array covers every possible CPU id) until it
            // returns.
            drop(new(64)?);
            let while_off = held(1);
            crate::ffi::set_cpu_online(1, true)?;
            Ok(Some(while_off))
        })?;
        let Some(while_off) = offline else {
            return Ok(());
        };
        let hits = stats::KMSG_CACHE_HITS.get();
        drop(on_cpu(1, || new(64))?);
        assert!(kept >= 1);
        assert_eq!(while_off, kept);
        assert_eq!(stats::KMSG_CACHE_HITS.get(), hits + 1);
        Ok(())
    }

    #[test]
    fn a_full_slot_frees_what_it_cannot_hold() -> Result {
        if cache().is_none() {
            return Ok(());
        }
        let (n, hits, hits_after) = on_cpu(0, || {
            let mut v = KVec::new();
            for _ in 0..DEPTH + 8 {
                v.push(new(SMALL)?, GFP_KERNEL)?;
            }
            for k in v.drain_all() {
                drop(k);
            }
            let n = held(0);
            // The stack is full and every further buffer was freed
            // (kmemleak would report one that was not).
            let hits = stats::KMSG_CACHE_HITS.get();
            for _ in 0..DEPTH {
                drop(new(8)?);
            }
            Ok((n, hits, stats::KMSG_CACHE_HITS.get()))
        })?;
        assert_eq!(n, DEPTH);
        assert_eq!(hits_after, hits + DEPTH as i64);
        Ok(())
    }

    #[test]
    fn large_messages_are_not_kept() -> Result {
        if cache().is_none() {
            return Ok(());
        }
        let (n, hits, hits_after) = on_cpu(0, || {
            // Empty the slot, then free messages the cache must refuse.
            while crate::ffi::kcache_take(0).is_some() {}
            let hits = stats::KMSG_CACHE_HITS.get();
            let k = new(SMALL + 1)?;
            assert_eq!(k.body.len(), SMALL + 1);
            drop(k);
            drop(new(4 * SMALL)?);
            Ok((held(0), hits, stats::KMSG_CACHE_HITS.get()))
        })?;
        assert_eq!(n, 0);
        assert_eq!(hits_after, hits);
        Ok(())
    }
}
