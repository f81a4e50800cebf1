// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Notifications: the Mach messages the kernel sends when a right's state
//! changes (`mach/notify.h`). Each is sent through a send-once right the
//! requester supplied, ignores the queue limit, and has XNU's id and
//! layout:
//!
//! | notification   | id  | body after the header                      |
//! |----------------|-----|--------------------------------------------|
//! | port-deleted   | 65  | `NDR_record`, `not_port` (name)            |
//! | port-destroyed | 69  | complex: one port descriptor, receive right|
//! | no-senders     | 70  | `NDR_record`, `not_count` (make-send count)|
//! | send-once      | 71  | none                                       |
//! | dead-name      | 72  | `NDR_record`, `not_port` (name)            |

use kernel::prelude::*;

use crate::kmsg::{
    Desc, DescPayload, Kmsg, Sender, BODY_SIZE, MACH_MSGH_BITS_COMPLEX, PORT_DESC_SIZE,
};
use crate::rights::{
    Carried, Kind, Right, MACH_MSG_TYPE_PORT_RECEIVE, MACH_MSG_TYPE_PORT_SEND_ONCE,
};

pub(crate) const MACH_NOTIFY_PORT_DELETED: i32 = 0o101;
pub(crate) const MACH_NOTIFY_PORT_DESTROYED: i32 = 0o105;
pub(crate) const MACH_NOTIFY_NO_SENDERS: i32 = 0o106;
pub(crate) const MACH_NOTIFY_SEND_ONCE: i32 = 0o107;
pub(crate) const MACH_NOTIFY_DEAD_NAME: i32 = 0o110;

/// `NDR_record` as MIG lays it out for this machine.
const NDR_RECORD: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];

/// Builds and queues a notification to `dest`. If memory runs out the
/// send-once right is consumed without a further notification.
fn send(dest: Right, id: i32, body: &[u8], desc: Option<(usize, Right)>) {
    let mut k = match Kmsg::new(body.len(), Sender::kernel()) {
        Ok(k) => k,
        Err(_) => {
            dest.consume_delivered();
            return;
        }
    };
    k.bits = MACH_MSG_TYPE_PORT_SEND_ONCE;
    k.id = id;
    k.body.copy_from_slice(body);
    if let Some((offset, right)) = desc {
        k.bits |= MACH_MSGH_BITS_COMPLEX;
        if k.descs
            .push(
                Desc {
                    offset,
                    payload: DescPayload::Port(Carried::Right(right)),
                },
                GFP_KERNEL,
            )
            .is_err()
        {
            // The receive right dies with the failed push (dropped).
        }
    }
    let port = dest.port().clone();
    k.dest = Some(dest);
    port.enqueue(k, false);
}

fn ndr_and_u32(v: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&NDR_RECORD);
    b[8..].copy_from_slice(&v.to_ne_bytes());
    b
}

pub(crate) fn no_senders(dest: Right, mscount: u32) {
    send(dest, MACH_NOTIFY_NO_SENDERS, &ndr_and_u32(mscount), None);
}

pub(crate) fn send_once(dest: Right) {
    debug_assert!(dest.kind() == Kind::SendOnce);
    send(dest, MACH_NOTIFY_SEND_ONCE, &[], None);
}

pub(crate) fn dead_name(dest: Right, name: u32) {
    send(dest, MACH_NOTIFY_DEAD_NAME, &ndr_and_u32(name), None);
}

pub(crate) fn port_deleted(dest: Right, name: u32) {
    send(dest, MACH_NOTIFY_PORT_DELETED, &ndr_and_u32(name), None);
}

pub(crate) fn port_destroyed(dest: Right, receive: Right) {
    // mach_msg_body_t (one descriptor) and a port descriptor whose name is
    // filled in at copyout.
    let mut b = [0u8; BODY_SIZE + PORT_DESC_SIZE];
    b[..4].copy_from_slice(&1u32.to_ne_bytes());
    b[BODY_SIZE + 10] = MACH_MSG_TYPE_PORT_RECEIVE as u8;
    b[BODY_SIZE + 11] = crate::kmsg::MACH_MSG_PORT_DESCRIPTOR;
    send(
        dest,
        MACH_NOTIFY_PORT_DESTROYED,
        &b,
        Some((BODY_SIZE, receive)),
    );
}
