// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Per-CPU caches of kernel message buffers: a small stack of body buffers
//! per CPU, so the RPC fast path reuses buffers instead of allocating.
//!
//! The kernel crate has no per-CPU abstraction; this is an array indexed by
//! the current CPU with a spinlock per slot. A task that migrates between
//! picking its slot and locking it simply uses another CPU's slot, which is
//! still correct. Nothing allocates under a slot lock: slots are reserved at
//! creation and buffers are pushed within capacity.
//!
//! The cache belongs to the module (created at init, dropped at exit with
//! every buffer); kmsgs reach it through a pointer published here.

use core::pin::Pin;
use kernel::alloc::flags::GFP_KERNEL_ACCOUNT;
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Release};
use kernel::sync::SpinLock;

use crate::stats;

/// Bodies up to this many bytes come from the cache.
pub(crate) const SMALL: usize = 256;
/// Buffers kept per CPU.
const DEPTH: usize = 32;

struct Slot {
    bufs: KVec<KVVec<u8>>,
}

/// The caches of every CPU.
pub(crate) struct KmsgCache {
    slots: KVec<Pin<KBox<SpinLock<Slot>>>>,
}

static CACHE: Atomic<usize> = Atomic::new(0);

impl KmsgCache {
    /// Creates the caches and publishes them for [`get`] and [`put`].
    pub(crate) fn new() -> Result<Pin<KBox<KmsgCache>>> {
        let n = kernel::cpu::nr_cpu_ids() as usize;
        let mut slots = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            let bufs = KVec::with_capacity(DEPTH, GFP_KERNEL)?;
            slots.push(
                KBox::pin_init(new_spinlock!(Slot { bufs }, "KmsgCache::slot"), GFP_KERNEL)?,
                GFP_KERNEL,
            )?;
        }
        let c = KBox::pin(KmsgCache { slots }, GFP_KERNEL)?;
        CACHE.store(core::ptr::from_ref::<KmsgCache>(&c) as usize, Release);
        Ok(c)
    }

    fn slot(&self) -> Option<&SpinLock<Slot>> {
        let cpu = kernel::cpu::CpuId::current().as_u32() as usize;
        self.slots.get(cpu).map(|s| &**s)
    }
}

impl Drop for KmsgCache {
    fn drop(&mut self) {
        // Unpublish first; no kmsg can be alive once the module unloads.
        CACHE.store(0, Release);
    }
}

fn cache() -> Option<&'static KmsgCache> {
    let p = CACHE.load(Acquire);
    if p == 0 {
        None
    } else {
        // SAFETY: A non-zero value is the address of the module's pinned
        // `KmsgCache`, which lives until module exit clears the pointer
        // (after every file, and so every kmsg, is gone).
        Some(unsafe { &*(p as *const KmsgCache) })
    }
}

/// A zeroed body buffer of `len` bytes.
pub(crate) fn get(len: usize) -> Result<KVVec<u8>> {
    if len > SMALL {
        stats::count_alloc();
        return Ok(KVVec::from_elem(0u8, len, GFP_KERNEL_ACCOUNT)?);
    }
    let cached = cache()
        .and_then(|c| c.slot())
        .and_then(|s| s.lock().bufs.pop());
    let mut b = match cached {
        Some(b) => {
            stats::KMSG_CACHE_HITS.inc();
            b
        }
        None => {
            stats::KMSG_CACHE_MISSES.inc();
            stats::count_alloc();
            KVVec::with_capacity(SMALL, GFP_KERNEL_ACCOUNT)?
        }
    };
    b.clear();
    // Within capacity: no allocation.
    b.resize(len, 0, GFP_KERNEL_ACCOUNT)?;
    Ok(b)
}

/// Gives a body buffer back (or frees it if it is not cache-sized or the
/// CPU's stack is full).
pub(crate) fn put(b: KVVec<u8>) {
    if b.capacity() < SMALL || b.capacity() > 2 * SMALL {
        return;
    }
    let slot = match cache().and_then(|c| c.slot()) {
        Some(s) => s,
        None => return,
    };
    let mut g = slot.lock();
    let rejected = g.bufs.push_within_capacity(b).err();
    drop(g);
    drop(rejected);
}

#[kunit_tests(machipc_kmsg_cache)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_zeroed() -> Result {
        // Uses the module's published cache.
        let mut b = get(64)?;
        assert_eq!(b.len(), 64);
        b[0] = 0xaa;
        put(b);
        let hits = stats::KMSG_CACHE_HITS.get();
        let b = get(32)?;
        assert_eq!(b.len(), 32);
        assert_eq!(b[0], 0);
        if cache().is_some() {
            assert_eq!(stats::KMSG_CACHE_HITS.get(), hits + 1);
        }
        put(b);
        Ok(())
    }

    /// Buffers held in `cpu`'s slot.
    fn held(cpu: usize) -> usize {
        cache()
            .and_then(|c| c.slots.get(cpu))
            .map_or(0, |s| s.lock().bufs.len())
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
        let b = on_cpu(0, || get(64))?;
        // Migrate between get and put, as a sender preempted mid-send would.
        let (before, after) = on_cpu(1, || {
            assert_eq!(kernel::cpu::CpuId::current().as_u32(), 1);
            let before = held(1);
            put(b);
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
            put(get(64)?);
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
            put(get(64)?);
            let while_off = held(1);
            crate::ffi::set_cpu_online(1, true)?;
            Ok(Some(while_off))
        })?;
        let Some(while_off) = offline else {
            return Ok(());
        };
        let hits = stats::KMSG_CACHE_HITS.get();
        put(on_cpu(1, || get(64))?);
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
                v.push(KVVec::with_capacity(SMALL, GFP_KERNEL)?, GFP_KERNEL)?;
            }
            for b in v.drain_all() {
                put(b);
            }
            let n = held(0);
            // The stack is full and every further buffer was freed
            // (kmemleak would report one that was not).
            let hits = stats::KMSG_CACHE_HITS.get();
            for _ in 0..DEPTH {
                drop(get(8)?);
            }
            Ok((n, hits, stats::KMSG_CACHE_HITS.get()))
        })?;
        assert_eq!(n, DEPTH);
        assert_eq!(hits_after, hits + DEPTH as i64);
        Ok(())
    }

    #[test]
    fn off_size_buffers_are_not_kept() -> Result {
        if cache().is_none() {
            return Ok(());
        }
        let n = on_cpu(0, || {
            // Empty the slot, then offer buffers the cache must refuse.
            while cache().and_then(|c| c.slots[0].lock().bufs.pop()).is_some() {}
            put(KVVec::with_capacity(SMALL / 2, GFP_KERNEL)?);
            put(KVVec::with_capacity(4 * SMALL, GFP_KERNEL)?);
            Ok(held(0))
        })?;
        assert_eq!(n, 0);
        Ok(())
    }

    #[test]
    fn large_bodies_bypass_the_cache() -> Result {
        let b = get(SMALL + 1)?;
        assert_eq!(b.len(), SMALL + 1);
        put(b);
        Ok(())
    }
}
