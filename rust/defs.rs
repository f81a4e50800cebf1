// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The wire layouts of Mach messages and the XNU constants that go with
//! them, in one place (`osfmk/mach/message.h`, `osfmk/mach/notify.h`,
//! `osfmk/mach/ndr.h`, the MIG-generated request and reply structs).
//!
//! Every user-visible layout is a `#[repr(C)]` type with its size and
//! field offsets asserted at compile time, and implements
//! [`FromBytes`]/[`AsBytes`] so that it is read from and written to
//! message bytes without raw offsets anywhere else in the crate.

#![allow(dead_code)]

#[allow(unused_imports)]
use kernel::transmute::{AsBytes, FromBytes};

// ---- Message header, body, descriptors and trailers (mach/message.h) ----

// ---- Notification bodies (mach/notify.h) ----

// ---- MIG request and reply layouts served by the kernel (kobject.rs) ----
