// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Ports served by the kernel (XNU's `ipc_kobject_server`): a message sent
//! to a kernel-object port is handled at once instead of being queued, and
//! answered on its reply port with the request id + 100.
//!
//! No MIG routine is served yet, so every request is answered with a
//! `mig_reply_error_t` carrying `MIG_BAD_ID`; a request without a reply
//! port is simply destroyed, releasing its rights.

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::kmsg::{Kmsg, Sender};
use crate::port::Port;
use crate::rights::Carried;

/// `MIG_BAD_ID`: the routine number is not served.
const MIG_BAD_ID: i32 = -303;
/// `NDR_record` as MIG lays it out for this machine.
const NDR_RECORD: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];

/// Serves one request sent to the kernel object `_port`.
pub(crate) fn serve(_port: &Arc<Port>, mut req: KBox<Kmsg>) {
    let reply = core::mem::replace(&mut req.reply, Carried::Null);
    let id = req.id;
    // The request and every right it carried are released here.
    drop(req);
    let dest = match reply {
        Carried::Right(r) => r,
        _ => return,
    };
    let mut k = match Kmsg::new(12, Sender::kernel()) {
        Ok(k) => k,
        Err(_) => return,
    };
    k.bits = dest.kind().msg_type();
    k.id = id.wrapping_add(100);
    k.body[..8].copy_from_slice(&NDR_RECORD);
    k.body[8..12].copy_from_slice(&MIG_BAD_ID.to_ne_bytes());
    let port = dest.port().clone();
    k.dest = Some(dest);
    port.enqueue(k, false);
}
