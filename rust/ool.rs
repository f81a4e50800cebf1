// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Out-of-line memory (`MACH_MSG_OOL_DESCRIPTOR`): a region copied in from
//! the sender while the message is built, and made to appear in the
//! receiver as a fresh page-aligned mapping.
//!
//! Small regions are held as bytes and copied out into a fresh anonymous
//! mapping. Regions of at least [`map_min`] bytes are copied in once, from
//! the sender's pinned pages into whole pages (see [`RegionPages`]), and
//! those pages are then mapped into the receiver as they are, writable:
//! the receiving side costs page-table updates, not a second copy, a page
//! fault and a zeroed page per page, and the receiver's writes need no
//! copy either. The mapping is private: after a fork, a write by either
//! process copies the page first, so the region behaves like the
//! receiver's own memory.
//!
//! The sender's later writes never reach the receiver (the region is a
//! copy when `mach_msg` returns), as with XNU's virtual copy. XNU gets
//! that without a copy, by copy-on-write of the sender's pages; a module
//! cannot: write-protecting another mapping's anonymous pages and sharing
//! them needs `change_protection` and `folio_try_share_anon_rmap_pte`,
//! mapping them in the receiver `folio_add_anon_rmap_ptes` (none exported),
//! and `vm_insert_pages` refuses anonymous pages. MMU notifiers do not
//! help: a store through a writable PTE notifies nobody.

use crate::ffi::RegionPages;
use kernel::prelude::*;
use kernel::uaccess::{UserPtr, UserSlice};

/// Regions this large or larger travel as pages (bytes below). The default
/// comes from `make bench`'s size sweep; the `ool_map_min` module parameter
/// changes it at run time.
pub(crate) fn map_min() -> usize {
    crate::ffi::ool_map_min()
}

/// Out-of-line memory in a kernel message.
pub(crate) enum Region {
    /// A small region's bytes.
    Bytes(KVVec<u8>),
    /// A large region in whole pages, the tail of the last page zeroed.
    Pages(RegionPages),
}

impl Region {
    /// The empty region (a zero-size descriptor).
    pub(crate) fn empty() -> Self {
        Region::Bytes(KVVec::new())
    }

    /// Copies `len` bytes at user address `addr` in from the caller.
    /// Fails with `ENOMEM` when memory runs out and `EFAULT` for memory the
    /// caller cannot read.
    pub(crate) fn copy_in(addr: usize, len: usize) -> Result<Self> {
        if len == 0 {
            return Ok(Self::empty());
        }
        if len < map_min() {
            let mut data = KVVec::new();
            UserSlice::new(UserPtr::from_addr(addr), len)
                .read_all(&mut data, GFP_KERNEL_ACCOUNT)?;
            return Ok(Region::Bytes(data));
        }
        // A range that wraps is never the caller's memory.
        addr.checked_add(len).ok_or(EFAULT)?;
        let pages = RegionPages::copy_in(addr, len)?;
        Ok(Region::Pages(pages))
    }

    /// A region holding `data` (kernel-made replies).
    pub(crate) fn from_bytes(data: KVVec<u8>) -> Self {
        Region::Bytes(data)
    }

    /// Maps the region into the calling process as a fresh private
    /// read-write mapping and returns its address (0 for an empty region).
    /// The region is consumed: its pages now belong to the mapping.
    pub(crate) fn map_out(self) -> Result<usize> {
        match self {
            Region::Bytes(b) if b.is_empty() => Ok(0),
            Region::Bytes(b) => crate::ffi::map_user_copy(&b),
            Region::Pages(pages) => pages.map_user(),
        }
    }
}
