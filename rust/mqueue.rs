// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! A port's message queue (XNU's `ipc_mqueue`'s list of kmsgs): a FIFO ring
//! of kernel messages. Waiting and wakeups live with the port (`port.rs`),
//! which owns the lock that protects this queue.

use kernel::prelude::*;

use crate::kmsg::{Kmsg, KmsgBox};
use crate::lazy_vec::LazyVec;
use crate::stats;

/// Slots a ring keeps however empty its queue gets; above, a ring shrinks
/// (after a receive, [`MsgQueue::shrunk_len`]) when three quarters are
/// free, so it never holds more than `max(RING_MIN, 4 * len)` slots after
/// a burst (what ports and messages are charged for, `port.rs` and
/// `kmsg.rs`).
pub(crate) const RING_MIN: usize = 64;

/// The slots of a queue's ring.
pub(crate) type Ring = KVec<Option<KmsgBox>>;

/// A FIFO of messages.
pub(crate) struct MsgQueue {
    slots: Ring,
    head: usize,
    len: usize,
}

impl MsgQueue {
    pub(crate) const fn new() -> Self {
        MsgQueue {
            slots: KVec::new(),
            head: 0,
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes room for one more message, so that `push` cannot fail.
    pub(crate) fn reserve_one(&mut self) -> Result {
        if self.len < self.slots.len() {
            return Ok(());
        }
        self.resize(self.grown_len())
    }

    /// The ring size to allocate when the ring is full.
    pub(crate) fn grown_len(&self) -> usize {
        match self.slots.len() {
            0 => 8,
            old => old * 2,
        }
    }

    /// Whether a push would fit. A full ring first moves into `spare`, an
    /// empty vector the caller allocated with the port lock dropped, if
    /// that holds more; `spare` then holds the old ring. Never allocates.
    pub(crate) fn make_room(&mut self, spare: &mut LazyVec<Option<KmsgBox>>) -> bool {
        if self.len == self.slots.len() && spare.is_empty() && spare.capacity() > self.len {
            let slots = spare.take();
            *spare = self.move_into(slots).into();
        }
        self.len < self.slots.len()
    }

    /// Moves the queued messages, oldest first, into a new ring of `new`
    /// slots (at least `len`).
    fn resize(&mut self, new: usize) -> Result {
        let slots = KVec::with_capacity(new, GFP_KERNEL_ACCOUNT)?;
        drop(self.move_into(slots));
        Ok(())
    }

    /// Moves the queued messages, oldest first, into `slots` (empty, with
    /// room for at least `len`), which becomes the ring; returns the old
    /// one, emptied.
    fn move_into(&mut self, mut slots: Ring) -> Ring {
        let old = self.slots.len();
        let new = slots.capacity();
        for i in 0..self.len {
            // `head < old` and `i < len <= old`: one wrap at most, and no
            // division (whose divide-by-zero panic objtool cannot follow).
            let idx = self.head + i;
            let idx = if idx >= old { idx - old } else { idx };
            let m = self.slots[idx].take();
            // Cannot fail: capacity is `new` >= `len`.
            let _ = slots.push_within_capacity(m);
        }
        while slots.len() < new {
            let _ = slots.push_within_capacity(None);
        }
        self.head = 0;
        let mut old = core::mem::replace(&mut self.slots, slots);
        old.clear();
        old
    }

    /// Appends a message; the caller made room with `reserve_one`.
    pub(crate) fn push(&mut self, m: KmsgBox) -> core::result::Result<(), KmsgBox> {
        if self.len >= self.slots.len() {
            return Err(m);
        }
        let cap = self.slots.len();
        let idx = (self.head + self.len) % cap;
        self.slots[idx] = Some(m);
        self.len += 1;
        stats::QUEUED.inc();
        Ok(())
    }

    /// The `i`th message from the front.
    pub(crate) fn get(&self, i: usize) -> Option<&Kmsg> {
        if i >= self.len {
            return None;
        }
        let idx = (self.head + i).checked_rem(self.slots.len())?;
        self.slots.get(idx)?.as_deref()
    }

    pub(crate) fn front(&self) -> Option<&Kmsg> {
        if self.len == 0 {
            return None;
        }
        self.slots[self.head].as_deref()
    }

    pub(crate) fn pop(&mut self) -> Option<KmsgBox> {
        if self.len == 0 {
            return None;
        }
        let m = self.slots[self.head].take();
        self.head = (self.head + 1) % self.slots.len();
        self.len -= 1;
        stats::QUEUED.dec();
        m
    }

    /// The ring size to shrink to once a burst is over (three quarters of
    /// the ring free, above `RING_MIN`), halving while that holds; `None`
    /// if the ring is to stay. The ring is allocated by the caller with
    /// the port lock dropped ([`MsgQueue::shrink_into`]).
    pub(crate) fn shrunk_len(&self) -> Option<usize> {
        let mut cap = self.slots.len();
        if cap <= RING_MIN || self.len >= cap / 4 {
            return None;
        }
        while cap > RING_MIN && self.len < cap / 4 {
            cap /= 2;
        }
        Some(cap)
    }

    /// Moves the queued messages into `spare` (empty, allocated with the
    /// lock dropped) if the ring is still to shrink and `spare` is smaller
    /// but holds them; returns the old ring, emptied, or else `spare`, for
    /// release after the lock. Never allocates.
    pub(crate) fn shrink_into(&mut self, spare: Ring) -> Ring {
        let cap = spare.capacity();
        if spare.is_empty()
            && self.shrunk_len().is_some()
            && cap >= self.len.max(RING_MIN)
            && cap < self.slots.len()
        {
            self.move_into(spare)
        } else {
            spare
        }
    }

    /// Takes every message out, for destruction outside the lock.
    pub(crate) fn take_all(&mut self) -> MsgQueue {
        let q = MsgQueue {
            slots: core::mem::take(&mut self.slots),
            head: self.head,
            len: self.len,
        };
        self.head = 0;
        self.len = 0;
        q
    }
}

impl Drop for MsgQueue {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

#[kunit_tests(machipc_mqueue)]
mod tests {
    use super::*;
    use crate::kmsg::Sender;

    fn msg(id: i32) -> Result<KmsgBox> {
        let mut k = Kmsg::new(0, Sender::kernel())?;
        k.id = id;
        Ok(k)
    }

    #[test]
    fn fifo_order_survives_growth_and_wraparound() -> Result {
        let mut q = MsgQueue::new();
        let mut next_in = 0;
        let mut next_out = 0;
        // Interleave pushes and pops so head wraps while the ring grows.
        for round in 0..6 {
            for _ in 0..(5 + round * 3) {
                q.reserve_one()?;
                assert!(q.push(msg(next_in)?).is_ok());
                next_in += 1;
            }
            for _ in 0..4 {
                let m = q.pop().ok_or(EINVAL)?;
                assert_eq!(m.id, next_out);
                next_out += 1;
            }
        }
        assert_eq!(q.len(), (next_in - next_out) as usize);
        assert_eq!(q.front().map(|m| m.id), Some(next_out));
        while let Some(m) = q.pop() {
            assert_eq!(m.id, next_out);
            next_out += 1;
        }
        assert!(q.is_empty());
        assert_eq!(next_out, next_in);
        Ok(())
    }

    #[test]
    fn push_without_room_gives_the_message_back() -> Result {
        let mut q = MsgQueue::new();
        // No reserve_one: the empty ring has no slot.
        let back = q.push(msg(7)?);
        assert!(back.is_err());
        assert_eq!(back.err().map(|m| m.id), Some(7));
        Ok(())
    }

    #[test]
    fn a_drained_ring_shrinks() -> Result {
        let mut q = MsgQueue::new();
        for i in 0..1000 {
            q.reserve_one()?;
            assert!(q.push(msg(i)?).is_ok());
        }
        assert_eq!(q.slots.len(), 1024);
        for i in 0..999 {
            assert_eq!(q.pop().map(|m| m.id), Some(i));
            // As a receive does after the pop, with the lock dropped.
            if let Some(n) = q.shrunk_len() {
                drop(q.shrink_into(KVec::with_capacity(n, GFP_KERNEL)?));
            }
            assert!(q.slots.len() <= RING_MIN.max(4 * q.len() + 4));
        }
        assert_eq!(q.slots.len(), RING_MIN);
        assert_eq!(q.front().map(|m| m.id), Some(999));
        Ok(())
    }

    #[test]
    fn take_all_empties_the_queue() -> Result {
        let mut q = MsgQueue::new();
        for i in 0..3 {
            q.reserve_one()?;
            assert!(q.push(msg(i)?).is_ok());
        }
        let mut all = q.take_all();
        assert!(q.is_empty());
        assert_eq!(all.len(), 3);
        assert_eq!(all.pop().map(|m| m.id), Some(0));
        Ok(())
    }
}
