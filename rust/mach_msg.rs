// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! `mach_msg`: sending (copyin of the header, body and rights into a
//! [`Kmsg`], then queueing) and receiving (dequeue, copyout of rights into
//! the receiver's space, the trailer), with XNU's validation order and
//! return codes. One call may send and then receive (the RPC path).
//!
//! Sending follows XNU's seams: the message is copied in from the user
//! ([`copyin_msg`]), its header checked ([`SendHeader::check`]) and its
//! descriptors parsed once ([`parse_descriptors`]); out-of-line memory is
//! copied in before any lock; then, under the space lock, the header's
//! rights ([`copyin_header`]) and the body's ([`copyin_body`]) move into
//! the message, which is delivered ([`deliver`]). Receiving mirrors it:
//! the reply right ([`copyout_header`]), the body's rights and memory
//! ([`copyout_body`]), then header, body and trailer go out together
//! ([`write_out`]).

use core::mem::{offset_of, size_of};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;
use kernel::transmute::AsBytes;
use kernel::uaccess::{UserPtr, UserSlice};

use crate::defs::*;
use crate::error::*;
use crate::kmsg::*;
use crate::lazy_vec::LazyVec;
use crate::limits::Charge;
use crate::ool::Region;
use crate::port::{Dequeued, Port, Received, Timeout, MPG_IMMOVABLE_RECEIVE};
use crate::port_set::PortSet;
use crate::right::Deferred;
use crate::rights::*;
use crate::space::{Object, Space, SpaceInner};
use crate::stats;

/// The arguments of one `mach_msg` call.
pub(crate) struct MsgArgs {
    pub(crate) send_msg: usize,
    pub(crate) rcv_msg: usize,
    pub(crate) option: u32,
    pub(crate) send_size: u32,
    pub(crate) rcv_size: u32,
    pub(crate) rcv_name: u32,
    pub(crate) timeout: u32,
}

/// `mach_msg_overwrite` on `space`.
pub(crate) fn mach_msg(space: &Space, a: &MsgArgs) -> MachResult {
    if a.option & MACH_SEND_MSG != 0 {
        let t = if a.option & MACH_SEND_TIMEOUT != 0 {
            Some(msecs_to_jiffies(a.timeout))
        } else {
            None
        };
        // The sender receives next: hand the CPU to the receiver it wakes.
        let handoff = a.option & MACH_RCV_MSG != 0;
        send(space, a.send_msg, a.send_size as usize, t, handoff)?;
    }
    if a.option & MACH_RCV_MSG != 0 {
        let t = if a.option & MACH_RCV_TIMEOUT != 0 {
            Some(msecs_to_jiffies(a.timeout))
        } else {
            None
        };
        receive(
            space,
            a.rcv_msg,
            a.rcv_size as usize,
            a.rcv_name,
            a.option,
            t,
        )?;
    }
    Ok(())
}

/// A descriptor of a message being sent, as parsed from its body, before
/// its rights or memory are copied in.
struct UserDesc {
    /// Its offset in the body (below `MAX_MSG_SIZE`).
    offset: u32,
    desc: Descriptor,
}

impl UserDesc {
    fn offset(&self) -> usize {
        self.offset as usize
    }
}

/// Most port rights one message may carry, in port, guarded-port and
/// out-of-line ports descriptors together (XNU's
/// `IPC_KMSG_MAX_OOL_PORT_COUNT`); beyond, `MACH_SEND_TOO_LARGE`.
pub(crate) const MAX_MSG_RIGHTS: usize = 16383;

/// Parses and validates the descriptor list (XNU's measure/validate pass):
/// `MACH_SEND_MSG_TOO_SMALL` if the body cannot hold them,
/// `MACH_SEND_INVALID_TYPE` for a bad type, disposition or copy option,
/// `MACH_SEND_TOO_LARGE` past [`MAX_MSG_RIGHTS`]. As in XNU, the number
/// of descriptors is bounded only by the message size (each is charged to
/// the sender's quota, and long walks yield the CPU).
fn parse_descriptors(body: &[u8]) -> MachResult<KVec<UserDesc>> {
    let count = read_at::<MsgBody>(body, 0)
        .ok_or(MACH_SEND_MSG_TOO_SMALL)?
        .descriptor_count as usize;
    if count > (body.len() - BODY_SIZE) / size_of::<PortDescriptor>() {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    let mut rights = 0usize;
    if count != 0 {
        stats::count_alloc();
    }
    let mut v = KVec::with_capacity(count, GFP_KERNEL_ACCOUNT).map_err(|_| MACH_SEND_NO_BUFFER)?;
    let mut off = BODY_SIZE;
    for i in 0..count {
        crate::ffi::resched_every(i);
        let desc = Descriptor::read(body, off)?;
        rights = rights.saturating_add(desc.rights());
        if rights > MAX_MSG_RIGHTS {
            return Err(MACH_SEND_TOO_LARGE);
        }
        desc.validate()?;
        let d = UserDesc {
            offset: off as u32,
            desc,
        };
        if v.push_within_capacity(d).is_err() {
            // Cannot happen: `v` has room for `count` descriptors.
            return Err(MACH_SEND_NO_BUFFER);
        }
        off += desc.len();
    }
    Ok(v)
}

/// The error a failed user copy of out-of-line data gives.
fn ool_copy_error(e: Error) -> MachError {
    if e == ENOMEM {
        MACH_SEND_NO_BUFFER
    } else {
        MACH_SEND_INVALID_MEMORY
    }
}

/// Copies out-of-line memory and port-name arrays in from the sender
/// (before the space lock: user copies may fault and sleep). The message's
/// charge grows by what it will hold (descriptors, memory, the rights of
/// port arrays); the name arrays, freed when the send returns, are charged
/// to `scratch`. Each name array is the user's bytes, in descriptor order.
fn copyin_ool(
    k: &mut Kmsg,
    descs: &KVec<UserDesc>,
    names: &mut KVec<KVec<u8>>,
    dealloc: &mut KVec<(usize, usize)>,
    scratch: &mut Charge,
) -> MachResult {
    let charged = k
        .charge
        .as_mut()
        .is_some_and(|c| c.add_n(descs.len(), size_of::<Desc>()));
    if !charged {
        return Err(MACH_SEND_NO_BUFFER);
    }
    if !descs.is_empty() {
        stats::count_alloc();
    }
    k.descs
        .reserve(descs.len(), GFP_KERNEL_ACCOUNT)
        .map_err(|_| MACH_SEND_NO_BUFFER)?;
    for (i, d) in descs.iter().enumerate() {
        crate::ffi::resched_every(i);
        match d.desc {
            Descriptor::Ool(o) => {
                let (addr, size) = (o.address as usize, o.size as usize);
                if size > MAX_MSG_SIZE {
                    return Err(MACH_SEND_TOO_LARGE);
                }
                if !k.charge.as_mut().is_some_and(|c| c.add(size)) {
                    return Err(MACH_SEND_NO_BUFFER);
                }
                let data = Region::copy_in(addr, size).map_err(ool_copy_error)?;
                let desc = Desc {
                    offset: d.offset(),
                    payload: DescPayload::Ool(data),
                };
                k.descs
                    .push(desc, GFP_KERNEL_ACCOUNT)
                    .map_err(|_| MACH_SEND_NO_BUFFER)?;
                if o.deallocate != 0 && size != 0 {
                    dealloc
                        .push((addr, size), GFP_KERNEL_ACCOUNT)
                        .map_err(|_| MACH_SEND_NO_BUFFER)?;
                }
            }
            Descriptor::OolPorts(o) => {
                let addr = o.address as usize;
                // At most MAX_MSG_RIGHTS (parse_descriptors): no overflow.
                let count = o.count as usize;
                let len = count * size_of::<u32>();
                // The rights the array becomes stay with the message.
                let charged = k
                    .charge
                    .as_mut()
                    .is_some_and(|c| c.add_n(count, size_of::<Carried>()));
                if !charged || !scratch.add(len) {
                    return Err(MACH_SEND_NO_BUFFER);
                }
                let mut bytes = KVec::new();
                if count != 0 {
                    stats::count_alloc();
                    UserSlice::new(UserPtr::from_addr(addr), len)
                        .read_all(&mut bytes, GFP_KERNEL_ACCOUNT)
                        .map_err(ool_copy_error)?;
                }
                names
                    .push(bytes, GFP_KERNEL_ACCOUNT)
                    .map_err(|_| MACH_SEND_NO_BUFFER)?;
                if o.deallocate != 0 && count != 0 {
                    dealloc
                        .push((addr, len), GFP_KERNEL_ACCOUNT)
                        .map_err(|_| MACH_SEND_NO_BUFFER)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Copies one name in for a descriptor: null and dead names travel as
/// such, anything else must denote the right `disp` needs.
fn copyin_desc_name(
    g: &mut SpaceInner,
    space: u64,
    name: u32,
    disp: u32,
    d: &mut Deferred,
) -> MachResult<Carried> {
    if name == MACH_PORT_NULL {
        return Ok(Carried::Null);
    }
    if name == MACH_PORT_DEAD {
        return Ok(Carried::Dead);
    }
    g.copyin(space, name, disp, d).map_err(|e| {
        // A right count at its maximum (KERN_RESOURCE_SHORTAGE).
        if e == KERN_RESOURCE_SHORTAGE {
            MACH_SEND_NO_BUFFER
        } else {
            MACH_SEND_INVALID_RIGHT
        }
    })
}

/// The header of a message being sent, checked as XNU's
/// `ipc_kmsg_copyin_header` checks it before any right moves.
struct SendHeader {
    bits: u32,
    remote: u32,
    local: u32,
    dest_type: u32,
    reply_type: u32,
    /// The same name as destination and reply: the pair is copied in
    /// jointly, so that a failure moves nothing.
    same: bool,
}

impl SendHeader {
    fn check(h: &MsgHeader) -> MachResult<Self> {
        let dest_type = msgh_bits_remote(h.bits);
        let reply_type = msgh_bits_local(h.bits);
        let voucher_type = msgh_bits_voucher(h.bits);
        let (remote, local) = (h.remote_port, h.local_port);
        if !is_any_send(dest_type)
            || (reply_type == 0 && local != MACH_PORT_NULL)
            || (reply_type != 0 && !is_any_send(reply_type))
            || (voucher_type != 0
                && voucher_type != MACH_MSG_TYPE_MOVE_SEND
                && voucher_type != MACH_MSG_TYPE_COPY_SEND)
        {
            return Err(MACH_SEND_INVALID_HEADER);
        }
        if !name_valid(remote) {
            return Err(MACH_SEND_INVALID_DEST);
        }
        // No send-once right can be moved twice (XNU's
        // copyin_header_validate).
        let same = reply_type != 0 && local == remote;
        if same
            && (dest_type == MACH_MSG_TYPE_MOVE_SEND_ONCE
                || reply_type == MACH_MSG_TYPE_MOVE_SEND_ONCE)
        {
            return Err(MACH_SEND_INVALID_DEST);
        }
        if voucher_type != 0 && name_valid(h.voucher_port) {
            // machipc has no voucher objects: no name can denote one.
            return Err(MACH_SEND_INVALID_VOUCHER);
        }
        Ok(SendHeader {
            bits: h.bits,
            remote,
            local,
            dest_type,
            reply_type,
            same,
        })
    }

    /// A send-once right carries the message: exempt from the queue limit,
    /// as in XNU.
    fn send_once(&self) -> bool {
        matches!(
            self.dest_type,
            MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE
        )
    }
}

/// Copies a message in from the sender: its header, and its body into a
/// new message charged to `space`.
fn copyin_msg(space: &Space, uaddr: usize, size: usize) -> MachResult<(MsgHeader, KmsgBox)> {
    if size < HEADER_SIZE || size % 4 != 0 {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    if size > MAX_MSG_SIZE {
        return Err(MACH_SEND_TOO_LARGE);
    }
    let mut reader = UserSlice::new(UserPtr::from_addr(uaddr), size).reader();
    let hdr: MsgHeader = reader.read().map_err(|_| MACH_SEND_INVALID_DATA)?;
    let mut k = Kmsg::new_charged_unfilled(size - HEADER_SIZE, Sender::current(), &space.quota)
        .ok_or(MACH_SEND_NO_BUFFER)?;
    // The rest of the message, appended within the room the body has.
    reader
        .read_all(&mut k.body, GFP_KERNEL_ACCOUNT)
        .map_err(|e| {
            if e == ENOMEM {
                MACH_SEND_NO_BUFFER
            } else {
                MACH_SEND_INVALID_DATA
            }
        })?;
    k.id = hdr.id;
    Ok((hdr, k))
}

/// Checks the header's rights in the sender's space, moving none: the
/// destination's (returned), the reply's, and a joint pair's.
fn check_header_rights(
    g: &mut SpaceInner,
    h: &SendHeader,
    d: &mut Deferred,
) -> MachResult<Arc<Port>> {
    let i = g
        .copyin_check(h.remote, h.dest_type, false, d)
        .map_err(|_| MACH_SEND_INVALID_DEST)?;
    let target = match &g.table[i].obj {
        Object::Port(p) => p.clone(),
        _ => return Err(MACH_SEND_INVALID_DEST),
    };
    // The reply entry must hold a port right (an entry that already is a
    // dead name does not); a send right whose port died since is accepted
    // and travels as MACH_PORT_DEAD (XNU's copyin_check_reply).
    if h.reply_type != 0
        && name_valid(h.local)
        && (!g.holds_port_right(h.local) || g.copyin_check(h.local, h.reply_type, true, d).is_err())
    {
        return Err(MACH_SEND_INVALID_REPLY);
    }
    if h.same && !g.joint_copyin_ok(i, h.dest_type, h.reply_type) {
        return Err(MACH_SEND_INVALID_DEST);
    }
    Ok(target)
}

/// Moves the header's rights into `k` (XNU's `ipc_kmsg_copyin_header`),
/// under the space lock that [`check_header_rights`] passed under. On
/// failure what moved is in `k` or `d`, released with them.
fn copyin_header(
    g: &mut SpaceInner,
    space: u64,
    h: &SendHeader,
    k: &mut Kmsg,
    d: &mut Deferred,
) -> MachResult {
    // With the same name for both, a copy-send goes first so that a move
    // of the last reference comes last (XNU's joint copyin).
    let early_reply = if h.same && h.reply_type == MACH_MSG_TYPE_COPY_SEND {
        Some(
            g.copyin(space, h.local, h.reply_type, d)
                .map_err(|_| MACH_SEND_INVALID_REPLY)?,
        )
    } else {
        None
    };
    let dest = match g.copyin(space, h.remote, h.dest_type, d) {
        Ok(Carried::Right(r)) => r,
        other => {
            if let Ok(c) = other {
                d.carried(c);
            }
            if let Some(c) = early_reply {
                // Cannot happen after joint_copyin_ok; never lose it.
                d.carried(c);
            }
            return Err(MACH_SEND_INVALID_DEST);
        }
    };
    k.dest = Some(dest);
    k.reply = if let Some(c) = early_reply {
        c
    } else if h.reply_type == 0 || h.local == MACH_PORT_NULL {
        Carried::Null
    } else if h.local == MACH_PORT_DEAD {
        Carried::Dead
    } else {
        g.copyin(space, h.local, h.reply_type, d)
            .map_err(|_| MACH_SEND_INVALID_REPLY)?
    };
    let reply = if h.reply_type != 0 {
        copyin_type(h.reply_type)
    } else {
        0
    };
    k.bits = msgh_bits_set_ports(
        h.bits & MACH_MSGH_BITS_USER,
        copyin_type(h.dest_type),
        reply,
    );
    Ok(())
}

/// Attaches a descriptor's payload to `k`, within the room
/// [`copyin_ool`] reserved; a payload that does not fit is released after
/// the lock, with `d`.
fn attach(k: &mut Kmsg, offset: usize, payload: DescPayload, d: &mut Deferred) -> MachResult {
    match k.descs.push_within_capacity(Desc { offset, payload }) {
        Ok(()) => Ok(()),
        Err(e) => {
            match e.0.payload {
                DescPayload::Port(c) => d.carried(c),
                DescPayload::OolPorts(v) => v.into_iter().for_each(|c| d.carried(c)),
                DescPayload::Ool(_) => {}
            }
            Err(MACH_SEND_NO_BUFFER)
        }
    }
}

/// Copies the rights of an out-of-line ports array in, into `rights`
/// (with room for every name), stopping at the first failure.
fn copyin_names(
    g: &mut SpaceInner,
    space: u64,
    names: &[u8],
    disp: u32,
    rights: &mut KVec<Carried>,
    d: &mut Deferred,
) -> MachResult {
    for (i, b) in names.chunks_exact(size_of::<u32>()).enumerate() {
        crate::ffi::resched_every(i);
        let n = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        let c = copyin_desc_name(g, space, n, disp, d)?;
        if let Err(e) = rights.push_within_capacity(c) {
            // Cannot happen: `rights` has room for every name.
            d.carried(e.0);
            return Err(MACH_SEND_NO_BUFFER);
        }
    }
    Ok(())
}

/// The receive right a guarded port descriptor moves must be guarded with
/// the descriptor's context, or (with `MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND`)
/// unguarded with a zero context (XNU's `ipc_right_copyin_check_guard_locked`):
/// `MACH_SEND_INVALID_RIGHT` otherwise. Names that denote no receive right
/// fail in the copyin that follows.
fn check_descriptor_guard(
    g: &mut SpaceInner,
    gd: &GuardedPortDescriptor,
    d: &mut Deferred,
) -> MachResult {
    let (name, context, flags) = (gd.name, gd.context, gd.flags);
    if !name_valid(name) {
        return Ok(());
    }
    let Ok(p) = g.receive_port(name, d) else {
        return Ok(());
    };
    let unguarded_ok = flags & MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND != 0;
    if p.guard_matches(context, unguarded_ok) {
        Ok(())
    } else {
        Err(MACH_SEND_INVALID_RIGHT)
    }
}

/// Copies the body's rights into `k` (XNU's `ipc_kmsg_copyin_body`): each
/// port descriptor's right and each out-of-line array's, the arrays'
/// names from `names` in descriptor order. The descriptors are rewritten
/// with the type the receiver sees, which the disposition yields (also for
/// null and dead names). On failure everything copied in so far, header
/// rights included, stays with `k` and is destroyed with it, as in XNU.
fn copyin_body(
    g: &mut SpaceInner,
    space: u64,
    k: &mut Kmsg,
    descs: &KVec<UserDesc>,
    names: &KVec<KVec<u8>>,
    d: &mut Deferred,
) -> MachResult {
    let mut next_names = names.iter();
    for (n, ud) in descs.iter().enumerate() {
        crate::ffi::resched_every(n);
        let off = ud.offset();
        let mut desc = ud.desc;
        // The receiver sees the type the disposition yields, also for null
        // and dead names.
        let disp = match desc.disposition() {
            Some(t) => u32::from(t),
            None => continue,
        };
        desc.set_disposition(copyin_type(disp) as u8);
        if let Descriptor::GuardedPort(gd) = &mut desc {
            check_descriptor_guard(g, gd, d)?;
            // As XNU: the sender's guard does not travel, and the flags
            // say the guard was checked.
            gd.flags |= MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND;
            gd.context = 0;
        }
        desc.write(&mut k.body, off);
        if let Some(name) = desc.port_name() {
            let c = copyin_desc_name(g, space, name, disp, d)?;
            attach(k, off, DescPayload::Port(c), d)?;
        } else {
            let names = match next_names.next() {
                Some(n) => n,
                None => continue,
            };
            // Charged in copyin_ool.
            stats::count_alloc();
            let mut rights =
                KVec::with_capacity(names.len() / size_of::<u32>(), GFP_KERNEL_ACCOUNT)
                    .map_err(|_| MACH_SEND_NO_BUFFER)?;
            let r = copyin_names(g, space, names, disp, &mut rights, d);
            // What was copied in before a failure goes with the message.
            let a = attach(k, off, DescPayload::OolPorts(rights), d);
            r.and(a)?;
        }
    }
    Ok(())
}

fn send(space: &Space, uaddr: usize, size: usize, timeout: Timeout, handoff: bool) -> MachResult {
    let (hdr, mut k) = copyin_msg(space, uaddr, size)?;
    let h = SendHeader::check(&hdr)?;
    let descs: LazyVec<UserDesc> = if h.bits & MACH_MSGH_BITS_COMPLEX != 0 {
        parse_descriptors(&k.body)?
    } else {
        KVec::new()
    }
    .into();
    let mut ool_names = LazyVec::new();
    let mut dealloc = LazyVec::new();
    // Held until the send returns (the name arrays' charge). A message
    // without descriptors (most) needs neither it nor the out-of-line
    // pass, which would charge nothing at the price of the atomics.
    let mut scratch = None;
    if !descs.is_empty() {
        let scratch = scratch.insert(Charge::empty(&space.quota));
        copyin_ool(&mut k, &descs, &mut ool_names, &mut dealloc, scratch)?;
    }

    let target = {
        let mut d = Deferred::new();
        let mut g = space.inner.lock();
        let target = check_header_rights(&mut g, &h, &mut d)?;
        copyin_header(&mut g, space.id, &h, &mut k, &mut d)?;
        let r = copyin_body(&mut g, space.id, &mut k, &descs, &ool_names, &mut d);
        drop(g);
        d.release();
        r?;
        target
    };
    // Sort descriptors by offset so copyout walks them in order.
    if k.descs.len() > 1 {
        sort_descs(&mut k.descs);
    }
    // The message counts against the destination's queue limit unless a
    // send-once right carries it (exempt, as in XNU); waits for room, and
    // comes back if it timed out or was interrupted, to be handed back to
    // the sender as if received (XNU's pseudo-receive), with that error.
    let limit = (!h.send_once()).then_some(timeout);
    if let Err((k, e)) = deliver(&target, k, limit, handoff) {
        return Err(pseudo_receive(space, k, uaddr, size, e));
    }
    // The sender asked for its out-of-line regions to go with the message
    // (the `deallocate` flag).
    for (addr, size) in dealloc.iter() {
        let _ = crate::ffi::unmap_user(*addr, *size);
    }
    Ok(())
}

/// Delivers a complete message to `port`, its destination's port (XNU's
/// `ipc_kmsg_send`): a port the kernel serves (a task port) has the
/// message served as a request (`kobject.rs`) instead of queued; any other
/// queues it, as [`Port::send`] with `limit` and `handoff`.
pub(crate) fn deliver(
    port: &Arc<Port>,
    k: KmsgBox,
    limit: Option<Timeout>,
    handoff: bool,
) -> core::result::Result<(), (KmsgBox, MachError)> {
    if !port.is_kernel_owned() {
        return port.send(k, limit, handoff);
    }
    // A task port that died since is a dead destination: the message is
    // destroyed and the sender sees success, as for any port.
    if let Some(obj) = port.kobject() {
        obj.serve(k);
    }
    Ok(())
}

/// Delivers a message the kernel built (a kernel-object reply, an
/// exception request) to the port of its destination right.
pub(crate) fn send_from_kernel(k: KmsgBox) {
    if let Some(port) = k.dest.as_ref().map(|d| d.port().clone()) {
        // No limit: no wait, and the message is never handed back.
        if let Err((k, _)) = deliver(&port, k, None, false) {
            drop(k);
        }
    }
}

/// Hands a message that could not be queued back to its sender as if
/// received (XNU's `ipc_kmsg_copyout_pseudo`): its rights go back into the
/// sender's space and the header and body are written over the send
/// buffer, ports not swapped. Returns `err` (with copyout errors or-ed in).
fn pseudo_receive(
    space: &Space,
    mut k: KmsgBox,
    uaddr: usize,
    size: usize,
    err: MachError,
) -> MachError {
    let mut d = Deferred::new();
    let mut extra = 0i32;
    // Room for a name per right (destination, reply, a descriptor each),
    // made with the space unlocked, as a receive does.
    let mut g = space.lock_with_free(2 + k.descs.len());
    let bits = msgh_bits_set_ports(k.bits, msgh_bits_remote(k.bits), msgh_bits_local(k.bits));
    let remote = match k.dest.take() {
        Some(r) => copyout_carried(&mut g, space.id, Carried::Right(r), &mut d, &mut extra).0,
        None => MACH_PORT_NULL,
    };
    let reply = core::mem::replace(&mut k.reply, Carried::Null);
    let local = copyout_carried(&mut g, space.id, reply, &mut d, &mut extra).0;
    let mut descs = core::mem::take(&mut k.descs);
    for (i, desc) in descs.iter_mut().enumerate() {
        crate::ffi::resched_every(i);
        copyout_desc(
            &mut g,
            space.id,
            &mut k.body,
            desc,
            &mut d,
            &mut extra,
            DescCopyout::Pseudo,
        );
    }
    drop(g);
    d.release();
    map_out_descs(&mut k.body, descs, &mut extra);
    let hdr = MsgHeader {
        bits,
        size: size as u32,
        remote_port: remote,
        local_port: local,
        voucher_port: 0,
        id: k.id,
    };
    let mut w = UserSlice::new(UserPtr::from_addr(uaddr), size).writer();
    if w.write(&hdr).and_then(|()| w.write_slice(&k.body)).is_err() {
        return err;
    }
    MachError(err.code() | extra)
}

fn sort_descs(v: &mut KVec<Desc>) {
    // Offsets are distinct; a message may carry millions of descriptors,
    // so an O(n log n) sort that does not allocate.
    v.sort_unstable_by_key(|d| d.offset);
}

/// What a receive takes messages from.
pub(crate) enum Source {
    Port(Arc<Port>),
    Set(Arc<PortSet>),
}

/// The size of the trailer `option` asks for.
pub(crate) fn trailer_size(option: u32) -> MachResult<usize> {
    if rcv_trailer_type(option) != MACH_MSG_TRAILER_FORMAT_0 {
        return Err(MACH_RCV_INVALID_TRAILER);
    }
    let elements = rcv_trailer_elements(option) as usize;
    Ok(TRAILER_SIZES[elements.min(TRAILER_SIZES.len() - 1)])
}

fn receive(
    space: &Space,
    uaddr: usize,
    rcv_size: usize,
    name: u32,
    option: u32,
    timeout: Timeout,
) -> MachResult {
    trailer_size(option)?;
    let src = {
        let mut d = Deferred::new();
        let mut g = space.inner.lock();
        let i = g.lookup(name, &mut d).map_err(|_| MACH_RCV_INVALID_NAME)?;
        let e = &g.table[i];
        match &e.obj {
            Object::Port(p) if e.bits & MACH_PORT_TYPE_RECEIVE != 0 => Source::Port(p.clone()),
            Object::Set(s) => Source::Set(s.clone()),
            _ => return Err(MACH_RCV_INVALID_NAME),
        }
    };
    receive_from(space, &src, uaddr, rcv_size, option, timeout).map(|_| ())
}

/// Receives from `src` into the user buffer; returns the bytes written
/// (message and trailer).
pub(crate) fn receive_from(
    space: &Space,
    src: &Source,
    uaddr: usize,
    rcv_size: usize,
    option: u32,
    timeout: Timeout,
) -> MachResult<usize> {
    let tsize = trailer_size(option)?;
    let large = option & MACH_RCV_LARGE != 0;
    let got = match src {
        Source::Port(p) => p.receive(space.id, rcv_size, tsize, large, timeout)?,
        // The member the message came from is not needed any more: the
        // message knows its name.
        Source::Set(s) => s.receive(space.id, rcv_size, tsize, large, timeout)?.1,
    };
    let user = UserSlice::new(UserPtr::from_addr(uaddr), rcv_size);
    match got {
        Received::TooLarge(size, local) => {
            let identity = option & MACH_RCV_LARGE_IDENTITY != 0;
            report_too_large(uaddr, rcv_size, size, identity.then_some(local))
        }
        Received::TooLargeTaken(k, at) => copyout_dest(k, user, tsize, at),
        Received::Msg(k, at) => {
            let guarded = (option & MACH_RCV_GUARDED_DESC != 0).then_some(uaddr as u64);
            copyout_msg(space, k, user, tsize, at, DescCopyout::Receive { guarded })
        }
    }
}

/// With `MACH_RCV_LARGE`, a message of `size` bytes did not fit: only
/// `msgh_size` (and with `MACH_RCV_LARGE_IDENTITY` `msgh_local_port`) are
/// written, as far as the buffer reaches them, and the message stays
/// queued.
fn report_too_large(
    uaddr: usize,
    rcv_size: usize,
    size: u32,
    identity: Option<u32>,
) -> MachResult<usize> {
    // The buffer may end anywhere in the address space: a field past its
    // end is a fault, not a wrap.
    let field = |off: usize, v: u32| -> MachResult {
        let addr = uaddr.checked_add(off).ok_or(MACH_RCV_INVALID_DATA)?;
        UserSlice::new(UserPtr::from_addr(addr), size_of::<u32>())
            .writer()
            .write(&v)
            .map_err(|_| MACH_RCV_INVALID_DATA)
    };
    let reaches = |off: usize| rcv_size >= off + size_of::<u32>();
    // As XNU: the name first, then the size; a failed field makes the
    // result MACH_RCV_INVALID_DATA.
    let mut r = Err(MACH_RCV_TOO_LARGE);
    let local_at = offset_of!(MsgHeader, local_port);
    if let Some(local) = identity.filter(|_| reaches(local_at)) {
        if let Err(e) = field(local_at, local) {
            r = Err(e);
        }
    }
    let size_at = offset_of!(MsgHeader, size);
    if reaches(size_at) {
        if let Err(e) = field(size_at, size) {
            r = Err(e);
        }
    }
    r
}

/// Without `MACH_RCV_LARGE`, a message too large for the buffer is
/// destroyed but for its destination, which the receiver learns in a bare
/// header and trailer, cut to the buffer (XNU's `copyout_dest`).
fn copyout_dest(k: KmsgBox, user: UserSlice, tsize: usize, at: Dequeued) -> MachResult<usize> {
    let bits = msgh_bits_set_ports(k.bits, msgh_bits_local(k.bits), msgh_bits_remote(k.bits));
    let hdr = MsgHeader {
        bits,
        size: HEADER_SIZE as u32,
        remote_port: MACH_PORT_NULL,
        local_port: at.local,
        voucher_port: 0,
        id: k.id,
    };
    let tr = trailer(tsize, tsize, at.seqno, at.context, &k.sender);
    drop(k);
    let mut w = user.writer();
    let rcv_size = w.len();
    let n = HEADER_SIZE.min(rcv_size);
    w.write_slice(&hdr.as_bytes()[..n])
        .map_err(|_| MACH_RCV_INVALID_DATA)?;
    let t = tsize.min(rcv_size.saturating_sub(HEADER_SIZE));
    w.write_slice(&tr.as_bytes()[..t])
        .map_err(|_| MACH_RCV_INVALID_DATA)?;
    Err(MACH_RCV_TOO_LARGE)
}

/// The trailer bytes before the sender's security token: type, size and
/// sequence number, all a trailer of this size or less holds.
const SHORT_TRAILER_SIZE: usize = offset_of!(MaxTrailer, sender);

/// `mach_msg_max_trailer_t` with `msgh_trailer_size` `tsize`, of which the
/// caller copies out the first `out_len` bytes.
fn trailer(tsize: usize, out_len: usize, seqno: u32, ctx: u64, s: &Sender) -> MaxTrailer {
    if out_len <= SHORT_TRAILER_SIZE {
        // Nothing of the sender goes out (the default trailer, and one
        // with the sequence number only).
        return MaxTrailer {
            trailer_type: MACH_MSG_TRAILER_FORMAT_0,
            trailer_size: tsize as u32,
            seqno,
            ..MaxTrailer::default()
        };
    }
    // Ids and pid are translated into the receiver's (the caller's) user
    // and pid namespaces, and only as far as the bytes going out reach.
    let kernel = s.is_kernel();
    let (euid, egid, ruid, rgid) = if kernel || out_len <= SHORT_TRAILER_SIZE {
        (0, 0, 0, 0)
    } else {
        s.ids.in_current_ns()
    };
    // audit_token_t's pid and pidversion (val[5] and val[7]).
    let audit = offset_of!(MaxTrailer, audit);
    let pid = match &s.pid {
        Some(p) if out_len > audit + 5 * 4 => p.nr_in_current_ns() as u32,
        _ => 0,
    };
    let pidversion = match &s.pid {
        Some(p) if out_len > audit + 7 * 4 => p.version(),
        _ => 0,
    };
    MaxTrailer {
        trailer_type: MACH_MSG_TRAILER_FORMAT_0,
        trailer_size: tsize as u32,
        seqno,
        sender: if kernel {
            KERNEL_SECURITY_TOKEN
        } else {
            SecurityToken { val: [euid, egid] }
        },
        // auid, euid, egid, ruid, rgid, pid, asid, pidversion. The pid of
        // a sender that has exited is 0 (its number may name another
        // process by now); the kernel's token is all zeros.
        audit: AuditToken {
            val: [ruid, euid, egid, ruid, rgid, pid, 0, pidversion],
        },
        context: ctx,
        ad: 0,
        labels: 0,
    }
}

/// [`trailer`] as bytes, for a caller that copies out the first
/// `out_len` (`mach_port_peek`).
pub(crate) fn fill_trailer(
    t: &mut [u8; MAX_TRAILER_SIZE],
    tsize: usize,
    out_len: usize,
    seqno: u32,
    ctx: u64,
    s: &Sender,
) {
    t.copy_from_slice(trailer(tsize, out_len, seqno, ctx, s).as_bytes());
}

fn copyout_msg(
    space: &Space,
    mut k: KmsgBox,
    user: UserSlice,
    tsize: usize,
    at: Dequeued,
    how: DescCopyout,
) -> MachResult<usize> {
    let mut d = Deferred::new();
    let mut err = 0i32;
    // The destination right is used up by delivery (the port consumed it
    // as it dequeued the message, unless it was the last send right).
    if let Some(dest) = k.dest.take() {
        match dest.kind() {
            crate::rights::Kind::SendOnce => dest.consume_delivered(),
            _ => d.right(dest),
        }
    }
    let bits = msgh_bits_set_ports(k.bits, msgh_bits_local(k.bits), msgh_bits_remote(k.bits));
    if k.descs.is_empty() && !matches!(k.reply, Carried::Right(_)) {
        // Nothing to name in the receiver's space (an RPC reply, say):
        // no need for the space lock.
        d.release();
        let remote = match k.reply {
            Carried::Dead => MACH_PORT_DEAD,
            _ => MACH_PORT_NULL,
        };
        return write_out(k, user, bits, remote, tsize, at, 0);
    }
    // Room for a name per right, made before the lock is held for good
    // (more for out-of-line port arrays grows the table under the lock).
    let mut g = space.lock_with_free(1 + k.descs.len());
    let remote = copyout_header(&mut g, space.id, &mut k, &mut d, &mut err);
    let descs = copyout_body(&mut g, space.id, &mut k, &mut d, &mut err, how);
    drop(g);
    d.release();
    // Out-of-line memory and port arrays appear as fresh mappings.
    map_out_descs(&mut k.body, descs, &mut err);
    write_out(k, user, bits, remote, tsize, at, err)
}

/// Copies the reply right out into the receiver's space; returns the name
/// the receiver sees as `msgh_remote_port`.
fn copyout_header(
    g: &mut SpaceInner,
    space: u64,
    k: &mut Kmsg,
    d: &mut Deferred,
    err: &mut i32,
) -> u32 {
    match core::mem::replace(&mut k.reply, Carried::Null) {
        Carried::Null => MACH_PORT_NULL,
        Carried::Dead => MACH_PORT_DEAD,
        Carried::Right(r) => match g.copyout(space, r, d) {
            Ok(n) => n,
            Err(_) => {
                *err = MACH_RCV_HEADER_ERROR.code() | MACH_MSG_IPC_SPACE;
                MACH_PORT_NULL
            }
        },
    }
}

/// Copies the body's rights out into the receiver's space: port
/// descriptors first, then out-of-line port arrays, whose names become a
/// region to map out with the memory regions once the space lock is
/// dropped. The descriptors are rewritten in place: nothing here allocates
/// but the name arrays, so no region can be lost on the way. Returns the
/// descriptors, taken from `k`.
fn copyout_body(
    g: &mut SpaceInner,
    space: u64,
    k: &mut Kmsg,
    d: &mut Deferred,
    err: &mut i32,
    how: DescCopyout,
) -> KVec<Desc> {
    let mut descs = core::mem::take(&mut k.descs);
    for (i, desc) in descs.iter_mut().enumerate() {
        crate::ffi::resched_every(i);
        if matches!(desc.payload, DescPayload::Port(_)) {
            copyout_desc(g, space, &mut k.body, desc, d, err, how);
        }
    }
    for desc in descs.iter_mut() {
        if matches!(desc.payload, DescPayload::OolPorts(_)) {
            copyout_desc(g, space, &mut k.body, desc, d, err, how);
        }
    }
    descs
}

/// How a copyout treats the descriptors of a message.
#[derive(Clone, Copy)]
enum DescCopyout {
    /// A receive: descriptors show the type of right copied out. The
    /// receive rights of guarded port descriptors are destroyed unless the
    /// receiver takes them (`MACH_RCV_GUARDED_DESC`): then `guarded` is
    /// the receive buffer's address, which becomes the guard of a right
    /// sent with `MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE` (XNU's).
    Receive { guarded: Option<u64> },
    /// A send handed back (pseudo-receive): types as sent, guarded rights
    /// back unguarded.
    Pseudo,
}

/// Copies out the receive right of a guarded port descriptor as `how`
/// says and writes the descriptor: the name, and the context the receiver
/// sees (the new guard, or 0).
fn copyout_guarded(
    g: &mut SpaceInner,
    space: u64,
    c: Carried,
    gd: &mut GuardedPortDescriptor,
    how: DescCopyout,
    d: &mut Deferred,
    err: &mut i32,
) {
    gd.context = 0;
    let guard = match how {
        DescCopyout::Receive { guarded: None } => {
            // The receiver did not ask for guarded descriptors.
            d.carried(c);
            gd.name = MACH_PORT_NULL;
            return;
        }
        DescCopyout::Receive {
            guarded: Some(addr),
        } => (gd.flags & MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE != 0).then_some(addr),
        DescCopyout::Pseudo => None,
    };
    let port = match &c {
        Carried::Right(r) => Some(r.port().clone()),
        _ => None,
    };
    let (name, t) = copyout_carried(g, space, c, d, err);
    gd.name = name;
    if matches!(how, DescCopyout::Receive { .. }) && t != 0 {
        gd.disposition = t as u8;
    }
    if let (Some(addr), Some(p), true) = (guard, port, name_valid(name)) {
        // It arrived unguarded (it left its last space so), so this holds.
        if p.guard(addr, MPG_IMMOVABLE_RECEIVE).is_ok() {
            gd.context = addr;
            gd.flags &= !MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND;
        }
    }
}

/// Copies the rights of one descriptor out and writes the names (a port
/// descriptor's) or turns them into a region to map (a port array's);
/// with `set_type`, the descriptor shows the type of right copied out.
fn copyout_desc(
    g: &mut SpaceInner,
    space: u64,
    body: &mut [u8],
    desc: &mut Desc,
    d: &mut Deferred,
    err: &mut i32,
    how: DescCopyout,
) {
    let set_type = matches!(how, DescCopyout::Receive { .. });
    let off = desc.offset;
    let mut wire = Descriptor::read(body, off).ok();
    match &mut desc.payload {
        DescPayload::Port(c) => {
            let c = core::mem::replace(c, Carried::Null);
            if let Some(Descriptor::GuardedPort(gd)) = &mut wire {
                copyout_guarded(g, space, c, gd, how, d, err);
                write_at(body, off, gd);
                return;
            }
            let (name, t) = copyout_carried(g, space, c, d, err);
            if let Some(w) = &mut wire {
                w.set_port_name(name);
                if set_type && t != 0 {
                    w.set_disposition(t as u8);
                }
            }
        }
        DescPayload::OolPorts(rights) => {
            let rights = core::mem::take(rights);
            let (names, t) = copyout_names(g, space, rights, d, err);
            if let (Some(Descriptor::OolPorts(o)), true) = (&mut wire, set_type && t != 0) {
                o.disposition = t as u8;
            }
            desc.payload = DescPayload::Ool(names);
        }
        DescPayload::Ool(_) => return,
    }
    if let Some(w) = wire {
        w.write(body, off);
    }
}

/// Maps the out-of-line regions of `descs` into the caller and writes
/// their addresses into the descriptors with XNU's flags: memory keeps the
/// sender's copy option and says `deallocate` for a virtual copy, a port
/// array always says a virtual copy to deallocate (the receiver owns both).
fn map_out_descs(body: &mut [u8], mut descs: KVec<Desc>, err: &mut i32) {
    for desc in descs.drain_all() {
        let off = desc.offset;
        if let DescPayload::Ool(data) = desc.payload {
            let addr = map_out(data, err) as u64;
            match Descriptor::read(body, off) {
                Ok(Descriptor::Ool(mut o)) => {
                    o.address = addr;
                    o.deallocate = u8::from(o.copy == MACH_MSG_VIRTUAL_COPY);
                    write_at(body, off, &o);
                }
                Ok(Descriptor::OolPorts(mut o)) => {
                    o.address = addr;
                    o.deallocate = 1;
                    o.copy = MACH_MSG_VIRTUAL_COPY;
                    write_at(body, off, &o);
                }
                _ => {}
            }
        }
    }
}

/// Writes a copied-out message (header, body, trailer) to the receiver's
/// buffer and destroys what is left of it; returns the bytes written, or
/// `err` (copyout errors noted on the way) if it is not zero.
fn write_out(
    k: KmsgBox,
    user: UserSlice,
    bits: u32,
    remote: u32,
    tsize: usize,
    at: Dequeued,
    err: i32,
) -> MachResult<usize> {
    let hdr = MsgHeader {
        bits,
        size: k.size,
        remote_port: remote,
        local_port: at.local,
        voucher_port: 0,
        id: k.id,
    };
    let body_len = k.body.len();
    let mut w = user.writer();
    let res = w.write(&hdr).and_then(|()| w.write_slice(&k.body));
    let res = res.and_then(|()| {
        if tsize <= SHORT_TRAILER_SIZE {
            // The default trailer (and the one with the sequence number):
            // three words, without building the whole trailer.
            let t = [MACH_MSG_TRAILER_FORMAT_0, tsize as u32, at.seqno];
            w.write_slice(&kernel::transmute::AsBytes::as_bytes(&t)[..tsize])
        } else {
            let tr = trailer(tsize, tsize, at.seqno, at.context, &k.sender);
            w.write_slice(&tr.as_bytes()[..tsize])
        }
    });
    drop(k);
    if res.is_err() {
        return Err(MACH_RCV_INVALID_DATA);
    }
    if err != 0 {
        return Err(MachError(err));
    }
    Ok(HEADER_SIZE + body_len + tsize)
}

/// Copies one carried right out; returns its name and the type the
/// receiver sees (0 to leave the descriptor's disposition alone).
fn copyout_carried(
    g: &mut crate::space::SpaceInner,
    space: u64,
    c: Carried,
    d: &mut Deferred,
    err: &mut i32,
) -> (u32, u32) {
    match c {
        Carried::Null => (MACH_PORT_NULL, 0),
        Carried::Dead => (MACH_PORT_DEAD, 0),
        Carried::Right(r) => {
            let t = r.kind().msg_type();
            match g.copyout(space, r, d) {
                Ok(n) => (n, t),
                Err(_) => {
                    *err = MACH_RCV_BODY_ERROR.code() | MACH_MSG_IPC_SPACE;
                    (MACH_PORT_NULL, t)
                }
            }
        }
    }
}

/// Copies the rights of an out-of-line ports array out; returns the names
/// as a region to map, and the type the receiver sees (0 if none). Without
/// memory for the names the rights are destroyed and the receiver gets a
/// null array with `MACH_RCV_BODY_ERROR | MACH_MSG_VM_KERNEL`, as from
/// XNU's `ipc_kmsg_copyout_ool_ports_descriptor`.
fn copyout_names(
    g: &mut crate::space::SpaceInner,
    space: u64,
    rights: KVec<Carried>,
    d: &mut Deferred,
    err: &mut i32,
) -> (Region, u32) {
    // At most `MAX_OOL_PORTS` names: the size cannot overflow.
    stats::count_alloc();
    let mut bytes = match KVVec::from_elem(0u8, rights.len() * 4, GFP_KERNEL_ACCOUNT) {
        Ok(b) => b,
        Err(_) => {
            for c in rights.into_iter() {
                d.carried(c);
            }
            *err |= MACH_RCV_BODY_ERROR.code() | MACH_MSG_VM_KERNEL;
            return (Region::empty(), 0);
        }
    };
    let mut t = 0;
    for (i, (c, out)) in rights
        .into_iter()
        .zip(bytes.chunks_exact_mut(4))
        .enumerate()
    {
        crate::ffi::resched_every(i);
        let (name, ty) = copyout_carried(g, space, c, d, err);
        if ty != 0 {
            t = ty;
        }
        out.copy_from_slice(&name.to_ne_bytes());
    }
    (Region::from_bytes(bytes), t)
}

/// Maps `data` into the caller's address space as a fresh region and
/// returns its address (0 if empty, or on failure, noted in `err`).
fn map_out(data: Region, err: &mut i32) -> usize {
    match data.map_out() {
        Ok(a) => a,
        Err(_) => {
            *err = MACH_RCV_BODY_ERROR.code() | MACH_MSG_VM_SPACE;
            0
        }
    }
}
