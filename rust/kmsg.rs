// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The kernel message (XNU's `ipc_kmsg`): a message between copyin and
//! copyout, with its rights held as [`Right`]s so that dropping a `Kmsg` on
//! any path releases everything it carries.
//!
//! Every kernel message is made by [`Kmsg::new`] or
//! [`Kmsg::new_charged_unfilled`] and lives in a [`KmsgBox`], whose drop
//! gives the buffer back to the per-CPU kmsg cache: a message of up to
//! [`crate::kmsg_cache::SMALL`] bytes of body costs no allocation once the
//! cache is warm.

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use kernel::prelude::*;

use kernel::transmute::AsBytes;

use crate::defs::{write_at, PortDescriptor, HEADER_SIZE};
use crate::ffi::{KernelIds, PidRef};
use crate::limits::{Charge, Quota};
use crate::rights::{Carried, Kind, Right};
use crate::stats;
use kernel::sync::Arc;

/// The largest message machipc accepts (XNU's `ipc_kmsg_max_body_space`
/// is in the same range).
pub(crate) const MAX_MSG_SIZE: usize = 64 << 20;

/// Who sent a message, for the trailer's security and audit tokens.
///
/// The ids are kept as kernel ids and the pid as a `struct pid`: both are
/// translated at copyout into the *receiver's* user and pid namespaces.
pub(crate) struct Sender {
    pub(crate) ids: KernelIds,
    /// `None` for the kernel.
    pub(crate) pid: Option<PidRef>,
}

impl Sender {
    /// The calling task.
    pub(crate) fn current() -> Self {
        Sender {
            ids: KernelIds::current(),
            pid: Some(PidRef::current_tgid()),
        }
    }

    /// The kernel (notifications, kernel-object replies):
    /// `KERNEL_SECURITY_TOKEN`, `KERNEL_AUDIT_TOKEN` (pid 0).
    pub(crate) fn kernel() -> Self {
        Sender {
            ids: KernelIds::root(),
            pid: None,
        }
    }

    /// Whether the kernel sent the message.
    pub(crate) fn is_kernel(&self) -> bool {
        self.pid.is_none()
    }
}

/// What a descriptor in the body carries besides its bytes.
pub(crate) enum DescPayload {
    /// A port descriptor's right.
    Port(Carried),
    /// An out-of-line ports descriptor's rights.
    OolPorts(KVec<Carried>),
    /// Out-of-line memory, copied into the kernel.
    Ool(crate::ool::Region),
}

/// A descriptor: its offset in `body` and its payload.
pub(crate) struct Desc {
    pub(crate) offset: usize,
    pub(crate) payload: DescPayload,
}

/// A kernel message.
///
/// # Invariants
///
/// - `size` is `HEADER_SIZE + body.len()`.
/// - `body` is the message after its header in the user's (LP64) layout.
///   Each entry of `descs` is at the `offset` in `body` of a descriptor
///   of its kind: a port or guarded port descriptor for
///   [`DescPayload::Port`], an out-of-line ports descriptor for
///   [`DescPayload::OolPorts`] (and for [`DescPayload::Ool`] once copyout
///   has turned its rights into names), an out-of-line descriptor for
///   [`DescPayload::Ool`] otherwise. Offsets are distinct and, once the
///   message is complete (queued or served), increasing.
/// - The descriptors' dispositions in `body` are the types of right the
///   receiver gets (`MACH_MSG_TYPE_PORT_*`), not what the sender asked
///   for.
/// - `dest` is `Some` from the end of copyin (or of a kernel sender's
///   build) until copyout takes it: every sender queues a message with
///   it (only the KUnit tests queue bare ones).
/// - The remote field of `bits` is the type of `dest`; when `reply`
///   carries a right, the local field is its type.
/// - `charge`, when present, covers the message's memory: [`KMSG_BYTES`],
///   the body, one [`Desc`] per descriptor, the out-of-line bytes and one
///   [`Carried`] per out-of-line port. Messages the kernel builds for
///   itself without an account (exception requests) have none.
pub(crate) struct Kmsg {
    /// `msgh_bits`; the port fields hold the in-kernel types of `dest`
    /// (remote) and `reply` (local).
    pub(crate) bits: u32,
    /// `msgh_size` as sent: header plus body.
    pub(crate) size: u32,
    /// `msgh_id`.
    pub(crate) id: i32,
    /// The right the message is delivered on; `None` only while building.
    pub(crate) dest: Option<Right>,
    /// The reply right (`msgh_local_port` at the sender, `msgh_remote_port`
    /// at the receiver).
    pub(crate) reply: Carried,
    /// The bytes after the header, in the user (LP64) layout.
    pub(crate) body: KVVec<u8>,
    /// What the body's descriptors carry besides their bytes.
    pub(crate) descs: KVec<Desc>,
    /// Who sent it, for the trailer.
    pub(crate) sender: Sender,
    /// The message's memory (buffer, body, descriptors, out-of-line data,
    /// carried rights) on the account of the space that caused it.
    pub(crate) charge: Option<Charge>,
}

/// What a message costs its quota besides its body and descriptors: the
/// `Kmsg` itself and its share of a queue's ring (which holds at most four
/// slots per queued message above its minimum, `mqueue.rs`).
pub(crate) const KMSG_BYTES: usize =
    core::mem::size_of::<Kmsg>() + 4 * core::mem::size_of::<Option<KmsgBox>>();

/// A kernel message in its buffer (XNU's kmsg with its `ikm_cache`): the
/// one owner of a [`Kmsg`]. Dropping it releases everything the message
/// carries; a small message's buffer then goes back to the kmsg cache
/// (`kmsg_cache.rs`) instead of being freed.
///
/// # Invariants
///
/// `0` holds a live `KBox<Kmsg>` until `drop` takes it.
pub(crate) struct KmsgBox(ManuallyDrop<KBox<Kmsg>>);

impl KmsgBox {
    fn new(k: KBox<Kmsg>) -> Self {
        stats::KMSGS.inc();
        KmsgBox(ManuallyDrop::new(k))
    }
}

impl Deref for KmsgBox {
    type Target = Kmsg;

    fn deref(&self) -> &Kmsg {
        &self.0
    }
}

impl DerefMut for KmsgBox {
    fn deref_mut(&mut self) -> &mut Kmsg {
        &mut self.0
    }
}

impl Drop for KmsgBox {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `self.0` is live; it is taken only
        // here, and `self` is not used after.
        let k = unsafe { ManuallyDrop::take(&mut self.0) };
        stats::KMSGS.dec();
        crate::kmsg_cache::put(k);
    }
}

impl Kmsg {
    /// A message with nothing in it and an empty body with room for
    /// `body_len` bytes: from the kmsg cache for a small body, else newly
    /// allocated (a small body with the cache's size, so that it can go
    /// to the cache when it is dropped).
    fn shell(body_len: usize) -> Result<KmsgBox> {
        let small = body_len <= crate::kmsg_cache::SMALL;
        if small {
            if let Some(k) = crate::kmsg_cache::get() {
                return Ok(KmsgBox::new(k));
            }
        }
        let cap = if small {
            crate::kmsg_cache::SMALL
        } else {
            body_len
        };
        // The body's buffer and the message's box.
        stats::count_alloc();
        stats::count_alloc();
        let k = Kmsg {
            bits: 0,
            size: HEADER_SIZE as u32,
            id: 0,
            dest: None,
            reply: Carried::Null,
            body: KVVec::with_capacity(cap, GFP_KERNEL_ACCOUNT)?,
            descs: KVec::new(),
            sender: Sender::kernel(),
            charge: None,
        };
        Ok(KmsgBox::new(KBox::new(k, GFP_KERNEL_ACCOUNT)?))
    }

    /// Allocates a message whose body (everything after the header) is
    /// `body_len` zeroed bytes.
    pub(crate) fn new(body_len: usize, sender: Sender) -> Result<KmsgBox> {
        let mut k = Kmsg::shell(body_len)?;
        // Within the capacity the shell has: no allocation.
        k.body.resize(body_len, 0, GFP_KERNEL_ACCOUNT)?;
        k.size = (HEADER_SIZE + body_len) as u32;
        k.sender = sender;
        Ok(k)
    }

    /// [`Kmsg::new`] charged to `quota` for the message and its body;
    /// `None` if the quota (or its user) has no room or memory is short.
    pub(crate) fn new_charged(
        body_len: usize,
        sender: Sender,
        quota: &Arc<Quota>,
    ) -> Option<KmsgBox> {
        let charge = Charge::new(quota, KMSG_BYTES.checked_add(body_len)?)?;
        let mut k = Kmsg::new(body_len, sender).ok()?;
        k.charge = Some(charge);
        Some(k)
    }

    /// [`Kmsg::new_charged`] with the body left empty, with room for
    /// `body_len` bytes, which the caller appends at once (the sender's
    /// message, copied straight in without zeroing it first); `size`
    /// already counts them.
    pub(crate) fn new_charged_unfilled(
        body_len: usize,
        sender: Sender,
        quota: &Arc<Quota>,
    ) -> Option<KmsgBox> {
        let charge = Charge::new(quota, KMSG_BYTES.checked_add(body_len)?)?;
        let mut k = Kmsg::shell(body_len).ok()?;
        k.size = (HEADER_SIZE + body_len) as u32;
        k.sender = sender;
        k.charge = Some(charge);
        Some(k)
    }

    /// Whether the message's buffers are the kmsg cache's size (a message
    /// made for a larger body is freed, not kept).
    pub(crate) fn reusable(&self) -> bool {
        self.body.capacity() == crate::kmsg_cache::SMALL
    }

    /// Releases everything the message carries (rights, descriptors,
    /// memory, sender, charge) and empties its body, keeping the buffers,
    /// so that it is as [`Kmsg::shell`] makes it.
    pub(crate) fn reset(&mut self) {
        if !self.descs.is_empty() {
            self.release_descs();
        }
        if self.descs.capacity() > RESET_DESCS_KEPT {
            self.descs = KVec::new();
        }
        self.dest = None;
        self.reply = Carried::Null;
        self.body.clear();
        self.sender = Sender::kernel();
        self.charge = None;
        self.bits = 0;
        self.size = HEADER_SIZE as u32;
        self.id = 0;
    }

    /// Releases what the descriptors carry.
    fn release_descs(&mut self) {
        // A message may carry tens of thousands of rights, each of whose
        // release may send a notification: the CPU is given up now and
        // then on the way.
        let mut n = 0usize;
        for d in self.descs.drain_all() {
            match d.payload {
                DescPayload::OolPorts(rights) => {
                    for c in rights.into_iter() {
                        drop(c);
                        n += 1;
                        crate::ffi::resched_every(n);
                    }
                }
                other => {
                    drop(other);
                    n += 1;
                    crate::ffi::resched_every(n);
                }
            }
        }
    }

    /// Whether this message carries any receive right.
    pub(crate) fn has_receive_rights(&self) -> bool {
        // Every send asks; most messages have no descriptors.
        if self.descs.is_empty() {
            return matches!(&self.reply, Carried::Right(r) if r.kind() == Kind::Receive);
        }
        let mut any = false;
        self.for_each_receive(|_| any = true);
        any
    }

    /// Calls `f` with the port of every receive right this message carries.
    pub(crate) fn for_each_receive(&self, mut f: impl FnMut(&Arc<crate::port::Port>)) {
        let mut one = |c: &Carried| {
            if let Carried::Right(r) = c {
                if r.kind() == Kind::Receive {
                    f(r.port());
                }
            }
        };
        one(&self.reply);
        for d in self.descs.iter() {
            match &d.payload {
                DescPayload::Port(c) => one(c),
                DescPayload::OolPorts(v) => v.iter().for_each(&mut one),
                DescPayload::Ool(_) => {}
            }
        }
    }

    /// Whether this message carries the receive right of `port`.
    pub(crate) fn carries_receive_of(&self, port: &Arc<crate::port::Port>) -> bool {
        let mut found = false;
        self.for_each_receive(|p| found |= Arc::ptr_eq(p, port));
        found
    }

    /// Writes the wire type `v` at byte `off` of the body, which the caller
    /// sized for it.
    pub(crate) fn set_body_at<T: AsBytes>(&mut self, off: usize, v: &T) {
        write_at(&mut self.body, off, v)
    }

    /// Writes the port descriptor `d` at `off` of a kernel-made body and
    /// attaches `c`, the right it carries, within the room reserved in
    /// `descs`; gives `c` back if there is none.
    pub(crate) fn put_port(
        &mut self,
        off: usize,
        d: PortDescriptor,
        c: Carried,
    ) -> core::result::Result<(), Carried> {
        let desc = Desc {
            offset: off,
            payload: DescPayload::Port(c),
        };
        match self.descs.push_within_capacity(desc) {
            Ok(()) => {
                self.set_body_at(off, &d);
                Ok(())
            }
            Err(e) => match e.0.payload {
                DescPayload::Port(c) => Err(c),
                // Not reached: a port payload was pushed.
                _ => Err(Carried::Null),
            },
        }
    }
}

/// Descriptor slots a reset message keeps for its next use.
const RESET_DESCS_KEPT: usize = 8;

impl Drop for Kmsg {
    fn drop(&mut self) {
        self.release_descs();
    }
}
