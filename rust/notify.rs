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
use kernel::sync::Arc;

use core::mem::{offset_of, size_of};
use kernel::transmute::AsBytes;

use crate::defs::*;
use crate::kmsg::{Desc, DescPayload, Kmsg, KmsgBox, Sender};
use crate::limits::Quota;
use crate::rights::{
    Carried, Kind, Right, MACH_MSG_TYPE_PORT_RECEIVE, MACH_MSG_TYPE_PORT_SEND_ONCE,
};

/// The largest notification body.
const MAX_BODY: usize = size_of::<PortDestroyedNotification>();

/// Builds and queues a notification to `dest`, in `reserved` if the
/// request reserved a buffer; otherwise the buffer is charged to the
/// account of `dest`'s port. If memory or that account runs out the
/// send-once right is consumed without a further notification.
fn send(
    dest: Right,
    id: i32,
    body: &[u8],
    desc: Option<(usize, Right)>,
    reserved: Option<KmsgBox>,
) {
    let mut k = match reserved {
        Some(mut k) => {
            // Reserved with MAX_BODY bytes and room for one descriptor:
            // neither step allocates.
            k.body.truncate(0);
            if k.body.extend_from_slice(body, GFP_KERNEL_ACCOUNT).is_err() {
                dest.consume_delivered();
                return;
            }
            k
        }
        None => match Kmsg::new_charged(body.len(), Sender::kernel(), dest.port().quota()) {
            Some(mut k) => {
                k.body.copy_from_slice(body);
                k
            }
            None => {
                dest.consume_delivered();
                return;
            }
        },
    };
    k.size = (HEADER_SIZE + body.len()) as u32;
    k.bits = MACH_MSG_TYPE_PORT_SEND_ONCE;
    k.id = id;
    if let Some((offset, right)) = desc {
        k.bits |= MACH_MSGH_BITS_COMPLEX;
        if k.descs
            .push(
                Desc {
                    offset,
                    payload: DescPayload::Port(Carried::Right(right)),
                },
                GFP_KERNEL_ACCOUNT,
            )
            .is_err()
        {
            // The receive right dies with the failed push (dropped).
        }
    }
    let port = dest.port().clone();
    k.dest = Some(dest);
    port.enqueue(k);
}

fn named(name: u32) -> NamedNotification {
    NamedNotification {
        ndr: NDR_RECORD,
        not_port: name,
    }
}

/// A send-once right destroyed unused (no reserved buffer).
pub(crate) fn send_once(dest: Right) {
    debug_assert!(dest.kind() == Kind::SendOnce);
    send(dest, MACH_NOTIFY_SEND_ONCE, &[], None, None);
}

/// A registered notification request: the send-once right the
/// notification goes to and the message buffer reserved for it when it was
/// requested, so firing it never depends on allocating memory. Dropping an
/// unfired request sends a send-once notification in that buffer.
pub(crate) struct Request {
    right: Option<Right>,
    kmsg: Option<KmsgBox>,
}

impl Request {
    /// Reserves the buffer for a notification to `right`, charged to
    /// `quota` (the requester's) with the request's slot on the port; gives
    /// the right back if memory or the quota is short.
    pub(crate) fn new(right: Right, quota: &Arc<Quota>) -> core::result::Result<Self, Right> {
        let mut k = match Kmsg::new_charged(MAX_BODY, Sender::kernel(), quota) {
            Some(k) => k,
            None => return Err(right),
        };
        let slot =
            2 * core::mem::size_of::<crate::port::DeadNameRequest>() + core::mem::size_of::<Desc>();
        if !k.charge.as_mut().is_some_and(|c| c.add(slot)) {
            return Err(right);
        }
        if k.descs.reserve(1, GFP_KERNEL_ACCOUNT).is_err() {
            return Err(right);
        }
        Ok(Request {
            right: Some(right),
            kmsg: Some(k),
        })
    }

    fn take(mut self) -> (Right, Option<KmsgBox>) {
        let kmsg = self.kmsg.take();
        match self.right.take() {
            Some(r) => (r, kmsg),
            None => unreachable!(),
        }
    }

    /// The send-once right, for handing back to the caller (the buffer is
    /// freed).
    pub(crate) fn into_right(self) -> Right {
        self.take().0
    }

    pub(crate) fn no_senders(self, mscount: u32) {
        let (r, k) = self.take();
        send(
            r,
            MACH_NOTIFY_NO_SENDERS,
            NoSendersNotification {
                ndr: NDR_RECORD,
                not_count: mscount,
            }
            .as_bytes(),
            None,
            k,
        );
    }

    pub(crate) fn dead_name(self, name: u32) {
        let (r, k) = self.take();
        send(r, MACH_NOTIFY_DEAD_NAME, named(name).as_bytes(), None, k);
    }

    pub(crate) fn send_possible(self, name: u32) {
        let (r, k) = self.take();
        send(
            r,
            MACH_NOTIFY_SEND_POSSIBLE,
            named(name).as_bytes(),
            None,
            k,
        );
    }

    pub(crate) fn port_deleted(self, name: u32) {
        let (r, k) = self.take();
        send(r, MACH_NOTIFY_PORT_DELETED, named(name).as_bytes(), None, k);
    }

    pub(crate) fn port_destroyed(self, receive: Right) {
        // The descriptor's name is filled in at copyout.
        let b = PortDestroyedNotification {
            body: MsgBody {
                descriptor_count: 1,
            },
            not_port: PortDescriptor::of_type(MACH_MSG_TYPE_PORT_RECEIVE),
        };
        let at = offset_of!(PortDestroyedNotification, not_port);
        let (r, k) = self.take();
        send(
            r,
            MACH_NOTIFY_PORT_DESTROYED,
            b.as_bytes(),
            Some((at, receive)),
            k,
        );
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if let Some(r) = self.right.take() {
            let k = self.kmsg.take();
            if r.port().is_active() {
                send(r, MACH_NOTIFY_SEND_ONCE, &[], None, k);
            } else {
                r.consume_delivered();
            }
        }
    }
}
