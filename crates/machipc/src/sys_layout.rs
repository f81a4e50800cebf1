// SPDX-License-Identifier: MIT
//! `sys.rs` checked at compile time against `machipc.h`, the ABI's source
//! of truth: every struct's size, every field's offset and size and every
//! command, as `scripts/gen-uapi-layout.py` measured them from the header
//! (`uapi/machipc_layout.rs`, shared with the kernel module).

use crate::sys as abi;

include!("../../../uapi/machipc_layout.rs");
