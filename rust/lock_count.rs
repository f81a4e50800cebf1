// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! A lock that counts its acquisitions by class (`stats::count_lock`), for
//! the per-RPC lock figures of `machipc/counters`. It wraps any kernel lock
//! (`Mutex`, `SpinLock`: any [`Backend`]), and its `lock` returns the inner
//! lock's own guard, so the code that holds the guard (condition variables
//! included) does not change. A condition variable's re-acquisition after a
//! sleep does not go through `lock` and is not counted.

use kernel::prelude::*;
use kernel::sync::lock::{Backend, Guard, Lock};

use crate::stats::{self, LockClass};

/// A counted [`kernel::sync::Mutex`].
pub(crate) type CountedMutex<T> = Counted<T, kernel::sync::lock::mutex::MutexBackend>;
/// A counted [`kernel::sync::SpinLock`].
pub(crate) type CountedSpinLock<T> = Counted<T, kernel::sync::lock::spinlock::SpinLockBackend>;

/// A lock of class `class`; see the module documentation.
#[pin_data]
pub(crate) struct Counted<T, B: Backend> {
    #[pin]
    lock: Lock<T, B>,
    class: LockClass,
}

impl<T, B: Backend> Counted<T, B> {
    /// Wraps the lock `lock` initializes (`new_mutex!`, `new_spinlock!`).
    pub(crate) fn new(class: LockClass, lock: impl PinInit<Lock<T, B>>) -> impl PinInit<Self> {
        pin_init!(Counted { lock <- lock, class })
    }

    /// Acquires the lock, counting the acquisition.
    #[inline(always)]
    pub(crate) fn lock(&self) -> Guard<'_, T, B> {
        stats::count_lock(self.class);
        self.lock.lock()
    }
}
