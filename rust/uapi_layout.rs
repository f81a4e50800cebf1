// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! `uapi.rs` checked at compile time against `machipc.h`, the ABI's source
//! of truth: every struct's size, every field's offset and size and every
//! command, as `scripts/gen-uapi-layout.py` measured them from the header
//! (`uapi/machipc_layout.rs`, shared with the userspace crate).

use crate::uapi as abi;

include!("../uapi/machipc_layout.rs");
