// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Vectors that cost nothing until they allocate.
//!
//! Dropping a `KVec` always calls the allocator, even for a vector that
//! never allocated (the kernel's `Vec` frees through `krealloc(NULL, 0)`).
//! The message path makes many vectors that stay empty in the common case
//! (the descriptors of a simple message, the sets a port wakes, a spare
//! ring that was not needed), and those calls were a measurable share of
//! an RPC. A [`LazyVec`] skips the call when there is nothing to free.

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use kernel::prelude::*;

/// A [`KVec`] whose drop does nothing while it has no allocation.
pub(crate) struct LazyVec<T>(ManuallyDrop<KVec<T>>);

impl<T> LazyVec<T> {
    /// An empty vector, which allocates nothing.
    pub(crate) const fn new() -> Self {
        LazyVec(ManuallyDrop::new(KVec::new()))
    }

    /// Takes the vector out (leaving an empty one).
    pub(crate) fn take(&mut self) -> KVec<T> {
        core::mem::take(&mut *self.0)
    }
}

impl<T> From<KVec<T>> for LazyVec<T> {
    fn from(v: KVec<T>) -> Self {
        LazyVec(ManuallyDrop::new(v))
    }
}

impl<T> Deref for LazyVec<T> {
    type Target = KVec<T>;

    fn deref(&self) -> &KVec<T> {
        &self.0
    }
}

impl<T> DerefMut for LazyVec<T> {
    fn deref_mut(&mut self) -> &mut KVec<T> {
        &mut self.0
    }
}

impl<T> Drop for LazyVec<T> {
    fn drop(&mut self) {
        // A vector without capacity holds no element and no allocation:
        // leaving it in the `ManuallyDrop` leaks nothing.
        if self.0.capacity() != 0 {
            drop(self.take());
        }
    }
}
