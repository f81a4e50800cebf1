// SPDX-License-Identifier: MIT
//! Notifications (`<mach/notify.h>`): the messages the kernel sends when a
//! right changes state, requested on a right with
//! `mach_port_request_notification` and parsed here into [`Notification`]
//! values, received synchronously ([`ReceiveRight::receive_notification`])
//! or awaited (`asyncio::AsyncReceiver::recv_notification`, feature
//! `tokio`).
//!
//! Each notification travels through a send-once right to the port the
//! requester named, with XNU's id and layout:
//!
//! | notification   | id | body after the header                       |
//! |----------------|----|---------------------------------------------|
//! | port-deleted   | 65 | `NDR_record_t`, `not_port` (name)           |
//! | send-possible  | 66 | `NDR_record_t`, `not_port` (name)           |
//! | port-destroyed | 69 | complex: one port descriptor, receive right |
//! | no-senders     | 70 | `NDR_record_t`, `not_count` (make-send count)|
//! | send-once      | 71 | none                                        |
//! | dead-name      | 72 | `NDR_record_t`, `not_port` (name)           |
//!
//! ```no_run
//! use machipc::{Notification, Task};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let task = Task::open()?;
//! let service = task.new_receive_right()?;
//! let notify = task.new_receive_right()?;
//! let client = service.make_send()?;
//! // Told once every send right made so far (one) is gone.
//! service.request_no_senders(&notify, 1)?;
//! drop(client);
//! match notify.receive_notification(Some(1000))? {
//!     Notification::NoSenders { mscount } => assert_eq!(mscount, 1),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use crate::{
    sys, MachError, Name, ReceiveRight, Received, ReceivedRight, Result, SendOnceRight, SendRight,
    Task, MACH_MSG_TYPE_MAKE_SEND_ONCE,
};

/// `MACH_NOTIFY_PORT_DELETED`.
pub const MACH_NOTIFY_PORT_DELETED: i32 = 0o101;
/// `MACH_NOTIFY_SEND_POSSIBLE`.
pub const MACH_NOTIFY_SEND_POSSIBLE: i32 = 0o102;
/// `MACH_NOTIFY_PORT_DESTROYED`.
pub const MACH_NOTIFY_PORT_DESTROYED: i32 = 0o105;
/// `MACH_NOTIFY_NO_SENDERS`.
pub const MACH_NOTIFY_NO_SENDERS: i32 = 0o106;
/// `MACH_NOTIFY_SEND_ONCE`.
pub const MACH_NOTIFY_SEND_ONCE: i32 = 0o107;
/// `MACH_NOTIFY_DEAD_NAME`.
pub const MACH_NOTIFY_DEAD_NAME: i32 = 0o110;

/// `sizeof(NDR_record_t)`: the bytes before `not_port` / `not_count`.
const NDR_SIZE: usize = 8;

/// A notification the kernel sent, parsed from its message.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notification {
    /// `MACH_NOTIFY_PORT_DELETED`: the send or send-once right with this
    /// name, on which a dead-name request was registered, was deleted.
    PortDeleted(Name),
    /// `MACH_NOTIFY_SEND_POSSIBLE`: sending to the port named here is
    /// possible again.
    SendPossible(Name),
    /// `MACH_NOTIFY_PORT_DESTROYED`: a receive right that would have been
    /// destroyed, handed back instead.
    PortDestroyed(ReceiveRight),
    /// `MACH_NOTIFY_NO_SENDERS`: the last send right to the port is gone;
    /// `mscount` is its make-send count at that moment.
    NoSenders {
        /// The port's make-send count.
        mscount: u32,
    },
    /// `MACH_NOTIFY_SEND_ONCE`: a send-once right was destroyed unused
    /// (for example a replaced notification request).
    SendOnce,
    /// `MACH_NOTIFY_DEAD_NAME`: the port behind a send or send-once right
    /// died; its name is now a dead name.
    DeadName(DeadName),
}

/// The name of a right whose port died, from a dead-name notification.
///
/// The notification gives the name one more user reference (as on XNU);
/// this value owns it and releases it when dropped. The [`SendRight`] or
/// [`SendOnceRight`] that held the name still owns its own reference and
/// releases it as usual.
pub struct DeadName {
    task: Task,
    name: Name,
}

impl DeadName {
    /// The dead name, as the right the request was made on had it.
    pub fn name(&self) -> Name {
        self.name
    }
}

impl fmt::Debug for DeadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeadName({:#x})", self.name)
    }
}

impl Drop for DeadName {
    fn drop(&mut self) {
        let _ = self
            .task
            .mod_refs(self.name, sys::MACH_PORT_RIGHT_DEAD_NAME, -1);
    }
}

impl Notification {
    /// Parses `msg` as a kernel notification. Gives the message back when
    /// it is not one: another id, a layout that does not match, or a
    /// sender other than the kernel (anyone holding a send right to the
    /// port can send a message with a notification's id; the kernel's
    /// audit token is all zeros, while a process's has its pid version
    /// even once it has exited and its pid reads 0).
    ///
    /// `task` must be the space that received `msg`, which is also the one
    /// that made the request for the notifications the crate requests.
    pub fn from_message(
        task: &Task,
        msg: Received,
    ) -> std::result::Result<Notification, Box<Received>> {
        if msg.audit_token != [0; 8] || !msg.ool.is_empty() {
            return Err(Box::new(msg));
        }
        let word = |m: &Received| -> Option<u32> {
            if m.ports.is_empty() && m.data.len() >= NDR_SIZE + 4 {
                let b = &m.data[NDR_SIZE..NDR_SIZE + 4];
                Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            } else {
                None
            }
        };
        match msg.id {
            MACH_NOTIFY_PORT_DELETED => match word(&msg) {
                Some(name) => Ok(Notification::PortDeleted(name)),
                None => Err(Box::new(msg)),
            },
            MACH_NOTIFY_SEND_POSSIBLE => match word(&msg) {
                Some(name) => Ok(Notification::SendPossible(name)),
                None => Err(Box::new(msg)),
            },
            MACH_NOTIFY_NO_SENDERS => match word(&msg) {
                Some(mscount) => Ok(Notification::NoSenders { mscount }),
                None => Err(Box::new(msg)),
            },
            MACH_NOTIFY_DEAD_NAME => match word(&msg) {
                Some(name) => Ok(Notification::DeadName(DeadName {
                    task: task.clone(),
                    name,
                })),
                None => Err(Box::new(msg)),
            },
            MACH_NOTIFY_SEND_ONCE if msg.ports.is_empty() && msg.data.is_empty() => {
                Ok(Notification::SendOnce)
            }
            MACH_NOTIFY_PORT_DESTROYED
                if msg.ports.len() == 1 && matches!(msg.ports[0], ReceivedRight::Receive(_)) =>
            {
                let mut msg = msg;
                match msg.ports.pop() {
                    Some(ReceivedRight::Receive(r)) => Ok(Notification::PortDestroyed(r)),
                    _ => unreachable!("checked above"),
                }
            }
            _ => Err(Box::new(msg)),
        }
    }
}

/// The names of the requests `mach_port_request_notification` takes.
#[derive(Clone, Copy)]
enum Request {
    DeadName = MACH_NOTIFY_DEAD_NAME as isize,
    NoSenders = MACH_NOTIFY_NO_SENDERS as isize,
    PortDestroyed = MACH_NOTIFY_PORT_DESTROYED as isize,
}

impl Task {
    /// `mach_port_request_notification(name, id, sync, notify,
    /// MACH_MSG_TYPE_MAKE_SEND_ONCE)`. Returns the send-once right of the
    /// request this one replaced, if any (dropping it sends that port a
    /// send-once notification, as on XNU).
    fn request_notification(
        &self,
        name: Name,
        id: Request,
        sync: u32,
        notify: &ReceiveRight,
    ) -> Result<Option<SendOnceRight>> {
        if !Arc::ptr_eq(&self.dev, &notify.task.dev) {
            // The notify port's name would mean another port here.
            return Err(MachError::KERN_INVALID_CAPABILITY);
        }
        let mut c = sys::PortCall {
            name,
            flavor: id as i32 as u32,
            value: u64::from(sync),
            notify: notify.name,
            notify_type: MACH_MSG_TYPE_MAKE_SEND_ONCE,
            ..Default::default()
        };
        self.port_call(sys::PORT_REQUEST_NOTIFY, &mut c)?;
        Ok(match c.notify {
            0 | 0xffff_ffff => None,
            prev => Some(SendOnceRight {
                task: self.clone(),
                name: prev,
            }),
        })
    }
}

impl SendRight {
    /// Requests a [`Notification::DeadName`] on `notify` when the port
    /// dies (`MACH_NOTIFY_DEAD_NAME`). `notify` must be in the same space.
    /// Returns the right of a request this one replaced.
    ///
    /// While this space also holds the port's receive right under the same
    /// name, destroying that receive right sends
    /// [`Notification::PortDeleted`] instead, as on XNU.
    pub fn request_dead_name(&self, notify: &ReceiveRight) -> Result<Option<SendOnceRight>> {
        self.task
            .request_notification(self.name, Request::DeadName, 0, notify)
    }
}

impl SendOnceRight {
    /// As [`SendRight::request_dead_name`], for a send-once right.
    pub fn request_dead_name(&self, notify: &ReceiveRight) -> Result<Option<SendOnceRight>> {
        self.task
            .request_notification(self.name, Request::DeadName, 0, notify)
    }
}

impl ReceiveRight {
    /// Requests a [`Notification::NoSenders`] on `notify` once the port has
    /// no send rights left and its make-send count is at least `sync`
    /// (`MACH_NOTIFY_NO_SENDERS`). With no send rights now and a count
    /// already at `sync`, it is sent at once. Returns the right of a
    /// request this one replaced.
    pub fn request_no_senders(
        &self,
        notify: &ReceiveRight,
        sync: u32,
    ) -> Result<Option<SendOnceRight>> {
        self.task
            .request_notification(self.name, Request::NoSenders, sync, notify)
    }

    /// Requests that the receive right, instead of being destroyed, come
    /// back to `notify` in a [`Notification::PortDestroyed`]
    /// (`MACH_NOTIFY_PORT_DESTROYED`).
    pub fn request_port_destroyed(&self, notify: &ReceiveRight) -> Result<Option<SendOnceRight>> {
        self.task
            .request_notification(self.name, Request::PortDestroyed, 0, notify)
    }

    /// Receives the next message and parses it as a [`Notification`],
    /// waiting at most `timeout_ms` if given. A message that is not a
    /// kernel notification is released and `MIG_BAD_ID` returned, as a
    /// notification server answers an unknown id; use
    /// [`Notification::from_message`] on a port that also takes other
    /// messages.
    pub fn receive_notification(&self, timeout_ms: Option<u32>) -> Result<Notification> {
        let msg = self.receive(MAX_NOTIFICATION, timeout_ms)?;
        Notification::from_message(&self.task, msg).map_err(|_| MachError::MIG_BAD_ID)
    }
}

/// Room for the largest notification body (port-destroyed: a descriptor
/// count and one port descriptor).
pub(crate) const MAX_NOTIFICATION: usize = 64;
