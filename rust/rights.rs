// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Port rights and message dispositions: XNU's constants (`mach/port.h`,
//! `mach/message.h`) and [`Right`], a right held by the kernel outside any
//! name space (in a message, or a notification request).
//!
//! A `Right` is a linear object: it is moved, never copied, and dropping it
//! releases it with Mach's consequences (no-senders, send-once and dead-name
//! notifications, port destruction). So a right carried by a message that is
//! destroyed on any path is released exactly once.

use kernel::sync::Arc;

use crate::port::Port;

// mach_port_right_t
pub(crate) const MACH_PORT_RIGHT_SEND: u32 = 0;
pub(crate) const MACH_PORT_RIGHT_RECEIVE: u32 = 1;
pub(crate) const MACH_PORT_RIGHT_SEND_ONCE: u32 = 2;
pub(crate) const MACH_PORT_RIGHT_PORT_SET: u32 = 3;
pub(crate) const MACH_PORT_RIGHT_DEAD_NAME: u32 = 4;
pub(crate) const MACH_PORT_RIGHT_LABELH: u32 = 5;
pub(crate) const MACH_PORT_RIGHT_NUMBER: u32 = 6;

// mach_port_type_t
pub(crate) const MACH_PORT_TYPE_SEND: u32 = 1 << 16;
pub(crate) const MACH_PORT_TYPE_RECEIVE: u32 = 1 << 17;
pub(crate) const MACH_PORT_TYPE_SEND_ONCE: u32 = 1 << 18;
pub(crate) const MACH_PORT_TYPE_PORT_SET: u32 = 1 << 19;
pub(crate) const MACH_PORT_TYPE_DEAD_NAME: u32 = 1 << 20;
pub(crate) const MACH_PORT_TYPE_DNREQUEST: u32 = 0x8000_0000;

// mach_msg_type_name_t
pub(crate) const MACH_MSG_TYPE_MOVE_RECEIVE: u32 = 16;
pub(crate) const MACH_MSG_TYPE_MOVE_SEND: u32 = 17;
pub(crate) const MACH_MSG_TYPE_MOVE_SEND_ONCE: u32 = 18;
pub(crate) const MACH_MSG_TYPE_COPY_SEND: u32 = 19;
pub(crate) const MACH_MSG_TYPE_MAKE_SEND: u32 = 20;
pub(crate) const MACH_MSG_TYPE_MAKE_SEND_ONCE: u32 = 21;
pub(crate) const MACH_MSG_TYPE_PORT_RECEIVE: u32 = MACH_MSG_TYPE_MOVE_RECEIVE;
pub(crate) const MACH_MSG_TYPE_PORT_SEND: u32 = MACH_MSG_TYPE_MOVE_SEND;
pub(crate) const MACH_MSG_TYPE_PORT_SEND_ONCE: u32 = MACH_MSG_TYPE_MOVE_SEND_ONCE;

pub(crate) const MACH_PORT_NULL: u32 = 0;
pub(crate) const MACH_PORT_DEAD: u32 = !0;
pub(crate) const MACH_PORT_UREFS_MAX: u32 = 0xffff;

/// Whether `n` names a right (neither `MACH_PORT_NULL` nor `MACH_PORT_DEAD`).
pub(crate) fn name_valid(n: u32) -> bool {
    n != MACH_PORT_NULL && n != MACH_PORT_DEAD
}

/// `MACH_MSG_TYPE_PORT_ANY_SEND`: the dispositions that yield a send or
/// send-once right.
pub(crate) fn is_any_send(t: u32) -> bool {
    (MACH_MSG_TYPE_MOVE_SEND..=MACH_MSG_TYPE_MAKE_SEND_ONCE).contains(&t)
}

/// `MACH_MSG_TYPE_PORT_ANY`: every disposition a message may carry.
pub(crate) fn is_any_right(t: u32) -> bool {
    (MACH_MSG_TYPE_MOVE_RECEIVE..=MACH_MSG_TYPE_MAKE_SEND_ONCE).contains(&t)
}

/// The type of right a disposition delivers (`ipc_object_copyin_type`).
pub(crate) fn copyin_type(disposition: u32) -> u32 {
    match disposition {
        MACH_MSG_TYPE_MOVE_RECEIVE => MACH_MSG_TYPE_PORT_RECEIVE,
        MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE => MACH_MSG_TYPE_PORT_SEND_ONCE,
        _ => MACH_MSG_TYPE_PORT_SEND,
    }
}

/// The kind of a right held outside a name space.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Send,
    SendOnce,
    Receive,
}

impl Kind {
    /// The `MACH_MSG_TYPE_PORT_*` value a receiver sees for this kind.
    pub(crate) fn msg_type(self) -> u32 {
        match self {
            Kind::Send => MACH_MSG_TYPE_PORT_SEND,
            Kind::SendOnce => MACH_MSG_TYPE_PORT_SEND_ONCE,
            Kind::Receive => MACH_MSG_TYPE_PORT_RECEIVE,
        }
    }
}

/// A port right owned by the kernel outside any name space.
///
/// # Invariants
///
/// `port` is `Some` until the right is consumed; while it is, the port's
/// right counts (`srights`, `sorights`, or the receive right) include this
/// right.
pub(crate) struct Right {
    kind: Kind,
    port: Option<Arc<Port>>,
}

impl Right {
    /// Wraps a right the port's counts already include.
    ///
    /// # Invariants
    ///
    /// The caller must have counted the right on `port` (see the type
    /// invariant); constructors in `right.rs` and `port.rs` do.
    pub(crate) fn from_counted(kind: Kind, port: Arc<Port>) -> Self {
        Right {
            kind,
            port: Some(port),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    pub(crate) fn port(&self) -> &Arc<Port> {
        // The invariant says `port` is `Some` until consumed, and consuming
        // takes `self` by value.
        match &self.port {
            Some(p) => p,
            None => unreachable!(),
        }
    }

    /// Gives up the right without releasing it: the caller takes over the
    /// count it represents (for example by merging it into an entry).
    pub(crate) fn into_counted(mut self) -> (Kind, Arc<Port>) {
        let port = self.port.take();
        match port {
            Some(p) => (self.kind, p),
            None => unreachable!(),
        }
    }

    /// Consumes a send-once right that was used to deliver a message: the
    /// count drops and no send-once notification follows.
    pub(crate) fn consume_delivered(self) {
        let (kind, port) = self.into_counted();
        port.release(kind, false);
    }
}

impl Drop for Right {
    fn drop(&mut self) {
        if let Some(port) = self.port.take() {
            port.release(self.kind, true);
        }
    }
}

/// One of the rights a message carries where a name may also be null or
/// dead (header reply and port descriptors).
pub(crate) enum Carried {
    Null,
    Dead,
    Right(Right),
}
