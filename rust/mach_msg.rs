// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! `mach_msg`: sending (copyin of the header, body and rights into a
//! [`Kmsg`], then queueing) and receiving (dequeue, copyout of rights into
//! the receiver's space, the trailer), with XNU's validation order and
//! return codes. One call may send and then receive (the RPC path).

use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;
use kernel::uaccess::{UserPtr, UserSlice};

use crate::error::*;
use crate::kmsg::*;
use crate::limits::Charge;
use crate::ool::Region;
use crate::port::{Port, Received, Timeout};
use crate::port_set::PortSet;
use crate::right::Deferred;
use crate::rights::*;
use crate::space::{Object, Space};

pub(crate) const MACH_SEND_MSG: u32 = 0x1;
pub(crate) const MACH_RCV_MSG: u32 = 0x2;
pub(crate) const MACH_RCV_LARGE: u32 = 0x4;
pub(crate) const MACH_RCV_LARGE_IDENTITY: u32 = 0x8;
pub(crate) const MACH_SEND_TIMEOUT: u32 = 0x10;
pub(crate) const MACH_RCV_TIMEOUT: u32 = 0x100;

const MACH_MSG_PHYSICAL_COPY: u8 = 0;
const MACH_MSG_VIRTUAL_COPY: u8 = 1;

/// Trailer sizes by `MACH_RCV_TRAILER_ELEMENTS` (XNU's
/// `REQUESTED_TRAILER_SIZE`): null, seqno, sender, audit, context, av,
/// and labels (and anything larger).
const TRAILER_SIZES: [usize; 7] = [8, 12, 20, 52, 60, 64, 68];
pub(crate) const MAX_TRAILER_SIZE: usize = 68;

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

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from(u32_at(b, off)) | (u64::from(u32_at(b, off + 4)) << 32)
}

/// A descriptor as parsed from the user's body, before its rights or
/// memory are copied in.
struct UserDesc {
    offset: usize,
    dtype: u8,
}

/// Most port rights one message may carry, in port, guarded-port and
/// out-of-line ports descriptors together (XNU's
/// `IPC_KMSG_MAX_OOL_PORT_COUNT`); beyond, `MACH_SEND_TOO_LARGE`.
pub(crate) const MAX_MSG_RIGHTS: usize = 16383;

/// Validates the descriptor list (XNU's measure/validate pass):
/// `MACH_SEND_MSG_TOO_SMALL` if the body cannot hold them,
/// `MACH_SEND_INVALID_TYPE` for a bad type, disposition or copy option,
/// `MACH_SEND_TOO_LARGE` past [`MAX_MSG_RIGHTS`]. As in XNU, the number
/// of descriptors is bounded only by the message size (each is charged to
/// the sender's quota, and long walks yield the CPU).
fn parse_descriptors(body: &[u8]) -> MachResult<KVec<UserDesc>> {
    if body.len() < BODY_SIZE {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    let count = u32_at(body, 0) as usize;
    if count > (body.len() - BODY_SIZE) / PORT_DESC_SIZE {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    let mut rights = 0usize;
    let mut v = KVec::with_capacity(count, GFP_KERNEL_ACCOUNT).map_err(|_| MACH_SEND_NO_BUFFER)?;
    let mut off = BODY_SIZE;
    for i in 0..count {
        crate::ffi::resched_every(i);
        if off + PORT_DESC_SIZE > body.len() {
            return Err(MACH_SEND_MSG_TOO_SMALL);
        }
        let dtype = body[off + 11];
        let size = match dtype {
            MACH_MSG_PORT_DESCRIPTOR => PORT_DESC_SIZE,
            MACH_MSG_OOL_DESCRIPTOR
            | MACH_MSG_OOL_PORTS_DESCRIPTOR
            | MACH_MSG_OOL_VOLATILE_DESCRIPTOR
            | MACH_MSG_GUARDED_PORT_DESCRIPTOR => OOL_DESC_SIZE,
            _ => return Err(MACH_SEND_INVALID_TYPE),
        };
        if off + size > body.len() {
            return Err(MACH_SEND_MSG_TOO_SMALL);
        }
        // Counted as XNU's send_dsc_port_count: one per port descriptor,
        // `count` per out-of-line ports descriptor.
        rights = rights.saturating_add(match dtype {
            MACH_MSG_PORT_DESCRIPTOR | MACH_MSG_GUARDED_PORT_DESCRIPTOR => 1,
            MACH_MSG_OOL_PORTS_DESCRIPTOR => u32_at(body, off + 12) as usize,
            _ => 0,
        });
        if rights > MAX_MSG_RIGHTS {
            return Err(MACH_SEND_TOO_LARGE);
        }
        match dtype {
            MACH_MSG_PORT_DESCRIPTOR | MACH_MSG_OOL_PORTS_DESCRIPTOR => {
                if !is_any_right(u32::from(body[off + 10])) {
                    return Err(MACH_SEND_INVALID_TYPE);
                }
            }
            MACH_MSG_GUARDED_PORT_DESCRIPTOR => {
                if u32::from(body[off + 10]) != MACH_MSG_TYPE_MOVE_RECEIVE {
                    return Err(MACH_SEND_INVALID_TYPE);
                }
            }
            _ => {}
        }
        if matches!(
            dtype,
            MACH_MSG_OOL_DESCRIPTOR
                | MACH_MSG_OOL_VOLATILE_DESCRIPTOR
                | MACH_MSG_OOL_PORTS_DESCRIPTOR
        ) && !matches!(
            body[off + 9],
            MACH_MSG_PHYSICAL_COPY | MACH_MSG_VIRTUAL_COPY
        ) {
            return Err(MACH_SEND_INVALID_TYPE);
        }
        if v.push_within_capacity(UserDesc { offset: off, dtype })
            .is_err()
        {
            // Cannot happen: `v` has room for `count` descriptors.
            return Err(MACH_SEND_NO_BUFFER);
        }
        off += size;
    }
    Ok(v)
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
        .is_some_and(|c| c.add_n(descs.len(), core::mem::size_of::<Desc>()));
    if !charged {
        return Err(MACH_SEND_NO_BUFFER);
    }
    k.descs
        .reserve(descs.len(), GFP_KERNEL_ACCOUNT)
        .map_err(|_| MACH_SEND_NO_BUFFER)?;
    for (i, d) in descs.iter().enumerate() {
        crate::ffi::resched_every(i);
        let off = d.offset;
        match d.dtype {
            MACH_MSG_OOL_DESCRIPTOR | MACH_MSG_OOL_VOLATILE_DESCRIPTOR => {
                let addr = u64_at(&k.body, off) as usize;
                let size = u32_at(&k.body, off + 12) as usize;
                if size > MAX_MSG_SIZE {
                    return Err(MACH_SEND_TOO_LARGE);
                }
                if !k.charge.as_mut().is_some_and(|c| c.add(size)) {
                    return Err(MACH_SEND_NO_BUFFER);
                }
                let data = Region::copy_in(addr, size).map_err(|e| {
                    if e == ENOMEM {
                        MACH_SEND_NO_BUFFER
                    } else {
                        MACH_SEND_INVALID_MEMORY
                    }
                })?;
                k.descs
                    .push(
                        Desc {
                            offset: off,
                            payload: DescPayload::Ool(data),
                        },
                        GFP_KERNEL_ACCOUNT,
                    )
                    .map_err(|_| MACH_SEND_NO_BUFFER)?;
                if k.body[off + 8] != 0 && size != 0 {
                    dealloc
                        .push((addr, size), GFP_KERNEL_ACCOUNT)
                        .map_err(|_| MACH_SEND_NO_BUFFER)?;
                }
            }
            MACH_MSG_OOL_PORTS_DESCRIPTOR => {
                let addr = u64_at(&k.body, off) as usize;
                // At most MAX_MSG_RIGHTS (parse_descriptors): no overflow.
                let count = u32_at(&k.body, off + 12) as usize;
                let len = count * 4;
                // The rights the array becomes stay with the message.
                let charged = k
                    .charge
                    .as_mut()
                    .is_some_and(|c| c.add_n(count, core::mem::size_of::<Carried>()));
                if !charged || !scratch.add(len) {
                    return Err(MACH_SEND_NO_BUFFER);
                }
                let mut bytes = KVec::new();
                if count != 0 {
                    UserSlice::new(UserPtr::from_addr(addr), len)
                        .read_all(&mut bytes, GFP_KERNEL_ACCOUNT)
                        .map_err(|e| {
                            if e == ENOMEM {
                                MACH_SEND_NO_BUFFER
                            } else {
                                MACH_SEND_INVALID_MEMORY
                            }
                        })?;
                }
                names
                    .push(bytes, GFP_KERNEL_ACCOUNT)
                    .map_err(|_| MACH_SEND_NO_BUFFER)?;
                if k.body[off + 8] != 0 && count != 0 {
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
    g: &mut crate::space::SpaceInner,
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

fn send(space: &Space, uaddr: usize, size: usize, timeout: Timeout, handoff: bool) -> MachResult {
    if size < HEADER_SIZE || size % 4 != 0 {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    if size > MAX_MSG_SIZE {
        return Err(MACH_SEND_TOO_LARGE);
    }
    let mut reader = UserSlice::new(UserPtr::from_addr(uaddr), size).reader();
    let mut hdr = [0u8; HEADER_SIZE];
    reader
        .read_slice(&mut hdr)
        .map_err(|_| MACH_SEND_INVALID_DATA)?;
    let mut k = Kmsg::new_charged(size - HEADER_SIZE, Sender::current(), &space.quota)
        .ok_or(MACH_SEND_NO_BUFFER)?;
    reader
        .read_slice(&mut k.body)
        .map_err(|_| MACH_SEND_INVALID_DATA)?;

    let bits = u32_at(&hdr, 0);
    let remote = u32_at(&hdr, 8);
    let local = u32_at(&hdr, 12);
    let voucher = u32_at(&hdr, 16);
    k.id = u32_at(&hdr, 20) as i32;
    let dest_type = bits & MACH_MSGH_BITS_REMOTE_MASK;
    let reply_type = (bits & MACH_MSGH_BITS_LOCAL_MASK) >> 8;
    let voucher_type = (bits & MACH_MSGH_BITS_VOUCHER_MASK) >> 16;

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
    // The same name as destination and reply: no send-once right can be
    // moved twice (XNU's copyin_header_validate), and the pair is copied
    // in jointly below so that a failure moves nothing.
    let same = reply_type != 0 && local == remote;
    if same
        && (dest_type == MACH_MSG_TYPE_MOVE_SEND_ONCE || reply_type == MACH_MSG_TYPE_MOVE_SEND_ONCE)
    {
        return Err(MACH_SEND_INVALID_DEST);
    }
    if voucher_type != 0 && name_valid(voucher) {
        // machipc has no voucher objects: no name can denote one.
        return Err(MACH_SEND_INVALID_VOUCHER);
    }
    let complex = bits & MACH_MSGH_BITS_COMPLEX != 0;
    let descs = if complex {
        parse_descriptors(&k.body)?
    } else {
        KVec::new()
    };
    let mut ool_names = KVec::new();
    let mut dealloc = KVec::new();
    let mut scratch = Charge::empty(&space.quota);
    copyin_ool(&mut k, &descs, &mut ool_names, &mut dealloc, &mut scratch)?;

    let so_dest = matches!(
        dest_type,
        MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE
    );
    // A queue slot held for this message; given back if the send fails.
    let mut slot: Option<Reservation> = None;
    // Set when the wait for queue room timed out or was interrupted: the
    // message is then copied in and handed back to the sender as if
    // received (XNU's pseudo-receive), with that error.
    let mut bounced: Option<MachError> = None;
    loop {
        let mut d = Deferred::new();
        let mut g = space.inner.lock();
        // Header checks come before any right moves (XNU's copyin_header
        // is all or nothing).
        let i = match g.copyin_check(remote, dest_type, false, &mut d) {
            Ok(i) => i,
            Err(_) => return Err(MACH_SEND_INVALID_DEST),
        };
        let target = match &g.table[i].obj {
            Object::Port(p) => p.clone(),
            _ => return Err(MACH_SEND_INVALID_DEST),
        };
        // The reply entry must hold a port right (an entry that already is
        // a dead name does not); a send right whose port died since is
        // accepted and travels as MACH_PORT_DEAD (XNU's copyin_check_reply).
        if reply_type != 0
            && name_valid(local)
            && (!g.holds_port_right(local)
                || g.copyin_check(local, reply_type, true, &mut d).is_err())
        {
            return Err(MACH_SEND_INVALID_REPLY);
        }
        if same && !g.joint_copyin_ok(i, dest_type, reply_type) {
            return Err(MACH_SEND_INVALID_DEST);
        }
        // Room in the destination's queue, unless a send-once right
        // carries the message (exempt, as in XNU).
        if bounced.is_none() && !so_dest && !slot.as_ref().is_some_and(|r| r.is_on(&target)) {
            slot = None;
            match target.try_reserve_slot() {
                Some(true) => slot = Some(Reservation::new(target.clone())),
                Some(false) => {}
                None => {
                    // Full: wait without holding the space.
                    drop(g);
                    drop(d);
                    match target.reserve_slot(timeout) {
                        Ok(true) => slot = Some(Reservation::new(target)),
                        Ok(false) => {}
                        Err(e) => bounced = Some(e),
                    }
                    continue;
                }
            }
        }
        // With the same name for both, a copy-send goes first so that a
        // move of the last reference comes last (XNU's joint copyin).
        let reply_first = same && reply_type == MACH_MSG_TYPE_COPY_SEND;
        let early_reply = if reply_first {
            match g.copyin(space.id, local, reply_type, &mut d) {
                Ok(c) => Some(c),
                Err(_) => return Err(MACH_SEND_INVALID_REPLY),
            }
        } else {
            None
        };
        let dest = match g.copyin(space.id, remote, dest_type, &mut d) {
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
        } else if reply_type == 0 || local == MACH_PORT_NULL {
            Carried::Null
        } else if local == MACH_PORT_DEAD {
            Carried::Dead
        } else {
            match g.copyin(space.id, local, reply_type, &mut d) {
                Ok(c) => c,
                Err(_) => {
                    drop(g);
                    drop(d);
                    drop(k);
                    return Err(MACH_SEND_INVALID_REPLY);
                }
            }
        };
        k.bits = (bits & !MACH_MSGH_BITS_PORTS_MASK & MACH_MSGH_BITS_USER)
            | copyin_type(dest_type)
            | if reply_type != 0 {
                copyin_type(reply_type) << 8
            } else {
                0
            };

        // Body rights. On failure everything copied in so far, header
        // rights included, is destroyed with the message, as in XNU.
        let mut failed = None;
        // `ool_names` holds the name arrays in descriptor order.
        let mut next_names = ool_names.iter();
        for (n, ud) in descs.iter().enumerate() {
            crate::ffi::resched_every(n);
            let off = ud.offset;
            match ud.dtype {
                MACH_MSG_PORT_DESCRIPTOR | MACH_MSG_GUARDED_PORT_DESCRIPTOR => {
                    let name_off = if ud.dtype == MACH_MSG_PORT_DESCRIPTOR {
                        off
                    } else {
                        off + 12
                    };
                    let name = u32_at(&k.body, name_off);
                    let disp = u32::from(k.body[off + 10]);
                    // The receiver sees the type the disposition yields,
                    // also for null and dead names.
                    k.body[off + 10] = copyin_type(disp) as u8;
                    match copyin_desc_name(&mut g, space.id, name, disp, &mut d) {
                        Ok(c) => {
                            if k.descs
                                .push(
                                    Desc {
                                        offset: off,
                                        payload: DescPayload::Port(c),
                                    },
                                    GFP_KERNEL_ACCOUNT,
                                )
                                .is_err()
                            {
                                failed = Some(MACH_SEND_NO_BUFFER);
                                break;
                            }
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                MACH_MSG_OOL_PORTS_DESCRIPTOR => {
                    let disp = u32::from(k.body[off + 10]);
                    k.body[off + 10] = copyin_type(disp) as u8;
                    let names = match next_names.next() {
                        Some(n) => n,
                        None => continue,
                    };
                    let count = names.len() / 4;
                    // Charged in copyin_ool.
                    let mut rights = match KVec::with_capacity(count, GFP_KERNEL_ACCOUNT) {
                        Ok(v) => v,
                        Err(_) => {
                            failed = Some(MACH_SEND_NO_BUFFER);
                            break;
                        }
                    };
                    for (i, b) in names.chunks_exact(4).enumerate() {
                        crate::ffi::resched_every(i);
                        let n = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                        match copyin_desc_name(&mut g, space.id, n, disp, &mut d) {
                            Ok(c) => {
                                // Cannot fail: `rights` has room for
                                // every name; a right that did not fit
                                // would be released with the error.
                                if rights.push_within_capacity(c).is_err() {
                                    failed = Some(MACH_SEND_NO_BUFFER);
                                    break;
                                }
                            }
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    let ok = failed.is_none();
                    if k.descs
                        .push(
                            Desc {
                                offset: off,
                                payload: DescPayload::OolPorts(rights),
                            },
                            GFP_KERNEL_ACCOUNT,
                        )
                        .is_err()
                        && ok
                    {
                        failed = Some(MACH_SEND_NO_BUFFER);
                    }
                    if failed.is_some() {
                        break;
                    }
                }
                _ => {}
            }
        }
        drop(g);
        drop(d);
        if let Some(e) = failed {
            drop(k);
            return Err(e);
        }
        // Sort descriptors by offset so copyout walks them in order.
        sort_descs(&mut k.descs);
        if let Some(e) = bounced {
            return Err(pseudo_receive(space, k, uaddr, size, e));
        }
        // The slot passes to the queued message.
        let reserved = slot.take().is_some_and(Reservation::hand_over);
        target.enqueue_from(k, reserved, handoff);
        // The sender asked for its out-of-line regions to go with the
        // message (the `deallocate` flag).
        for (addr, size) in dealloc.iter() {
            let _ = crate::ffi::unmap_user(*addr, *size);
        }
        return Ok(());
    }
}

/// Hands a message that could not be queued back to its sender as if
/// received (XNU's `ipc_kmsg_copyout_pseudo`): its rights go back into the
/// sender's space and the header and body are written over the send
/// buffer, ports not swapped. Returns `err` (with copyout errors or-ed in).
fn pseudo_receive(
    space: &Space,
    mut k: KBox<Kmsg>,
    uaddr: usize,
    size: usize,
    err: MachError,
) -> MachError {
    let mut d = Deferred::new();
    let mut extra = 0i32;
    let mut g = space.inner.lock();
    let dest_type = k.bits & MACH_MSGH_BITS_REMOTE_MASK;
    let reply_type = (k.bits & MACH_MSGH_BITS_LOCAL_MASK) >> 8;
    let remote = match k.dest.take() {
        Some(r) => copyout_carried(&mut g, space.id, Carried::Right(r), &mut d, &mut extra).0,
        None => MACH_PORT_NULL,
    };
    let reply = core::mem::replace(&mut k.reply, Carried::Null);
    let local = copyout_carried(&mut g, space.id, reply, &mut d, &mut extra).0;
    let mut descs = core::mem::take(&mut k.descs);
    for (i, desc) in descs.iter_mut().enumerate() {
        crate::ffi::resched_every(i);
        let off = desc.offset;
        match &mut desc.payload {
            DescPayload::Port(c) => {
                let c = core::mem::replace(c, Carried::Null);
                let (name, _) = copyout_carried(&mut g, space.id, c, &mut d, &mut extra);
                let off_name = if k.body[off + 11] == MACH_MSG_GUARDED_PORT_DESCRIPTOR {
                    off + 12
                } else {
                    off
                };
                k.set_body_u32(off_name, name);
            }
            DescPayload::OolPorts(rights) => {
                // The names go back into a fresh array, as a receiver
                // would get them.
                let rights = core::mem::take(rights);
                let (names, _) = copyout_names(&mut g, space.id, rights, &mut d, &mut extra);
                desc.payload = DescPayload::Ool(names);
            }
            DescPayload::Ool(_) => {}
        }
    }
    drop(g);
    drop(d);
    for desc in descs.drain_all() {
        let off = desc.offset;
        if let DescPayload::Ool(data) = desc.payload {
            let addr = map_out(data, &mut extra);
            k.body[off..off + 8].copy_from_slice(&(addr as u64).to_ne_bytes());
            k.body[off + 8] = 0;
        }
    }
    let bits = (k.bits & !MACH_MSGH_BITS_PORTS_MASK) | dest_type | (reply_type << 8);
    let mut hdr = [0u8; HEADER_SIZE];
    put_header(&mut hdr, bits, size as u32, remote, local, k.id);
    let mut w = UserSlice::new(UserPtr::from_addr(uaddr), size).writer();
    if w.write_slice(&hdr)
        .and_then(|()| w.write_slice(&k.body))
        .is_err()
    {
        return err;
    }
    MachError(err.code() | extra)
}

/// A queue slot reserved on `port`; dropping it gives the slot back.
struct Reservation {
    port: Option<Arc<Port>>,
}

impl Reservation {
    fn new(port: Arc<Port>) -> Self {
        Reservation { port: Some(port) }
    }

    fn is_on(&self, port: &Arc<Port>) -> bool {
        self.port.as_ref().is_some_and(|p| Arc::ptr_eq(p, port))
    }

    /// The slot is used by an enqueue; nothing to give back.
    fn hand_over(mut self) -> bool {
        self.port.take().is_some()
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(p) = self.port.take() {
            p.unreserve_slot();
        }
    }
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

pub(crate) fn trailer_size(option: u32) -> MachResult<usize> {
    if (option >> 28) & 0xf != 0 {
        return Err(MACH_RCV_INVALID_TRAILER);
    }
    let elements = ((option >> 24) & 0xf) as usize;
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
    let (port, got) = match src {
        Source::Port(p) => {
            let r = p.receive(space.id, rcv_size, tsize, large, timeout)?;
            (p.clone(), r)
        }
        Source::Set(s) => s.receive(space.id, rcv_size, tsize, large, timeout)?,
    };
    let user = UserSlice::new(UserPtr::from_addr(uaddr), rcv_size);
    match got {
        Received::TooLarge(size) => {
            // Only `msgh_size` (and with LARGE_IDENTITY `msgh_local_port`)
            // are written. The buffer may end anywhere in the address
            // space: a field past its end is a fault, not a wrap.
            let field = |off: usize, v: u32| -> MachResult {
                let addr = uaddr.checked_add(off).ok_or(MACH_RCV_INVALID_DATA)?;
                UserSlice::new(UserPtr::from_addr(addr), 4)
                    .writer()
                    .write_slice(&v.to_ne_bytes())
                    .map_err(|_| MACH_RCV_INVALID_DATA)
            };
            // As XNU: the name if the buffer reaches `msgh_voucher_port`,
            // the size if it reaches `msgh_remote_port`; a failed field
            // makes the result MACH_RCV_INVALID_DATA.
            let mut r = Err(MACH_RCV_TOO_LARGE);
            if option & MACH_RCV_LARGE_IDENTITY != 0 && rcv_size >= 16 {
                if let Err(e) = field(12, receiver_name(space, &port)) {
                    r = Err(e);
                }
            }
            if rcv_size >= 8 {
                if let Err(e) = field(4, size) {
                    r = Err(e);
                }
            }
            r
        }
        Received::TooLargeTaken(k, seqno, ctx) => {
            // The message is destroyed but for its destination, which the
            // receiver learns in a bare header (XNU's copyout_dest).
            let dest_type = k.bits & MACH_MSGH_BITS_REMOTE_MASK;
            let reply_type = (k.bits & MACH_MSGH_BITS_LOCAL_MASK) >> 8;
            let bits = (k.bits & !MACH_MSGH_BITS_PORTS_MASK) | reply_type | (dest_type << 8);
            let local = receiver_name(space, &port);
            let mut hdr = [0u8; HEADER_SIZE];
            put_header(
                &mut hdr,
                bits,
                HEADER_SIZE as u32,
                MACH_PORT_NULL,
                local,
                k.id,
            );
            let mut tr = [0u8; MAX_TRAILER_SIZE];
            fill_trailer(&mut tr, tsize, tsize, seqno, ctx, &k.sender);
            drop(k);
            let mut w = user.writer();
            let n = HEADER_SIZE.min(rcv_size);
            w.write_slice(&hdr[..n])
                .map_err(|_| MACH_RCV_INVALID_DATA)?;
            let t = tsize.min(rcv_size.saturating_sub(HEADER_SIZE));
            w.write_slice(&tr[..t]).map_err(|_| MACH_RCV_INVALID_DATA)?;
            Err(MACH_RCV_TOO_LARGE)
        }
        Received::Msg(k, seqno, ctx) => copyout_msg(space, &port, k, user, tsize, seqno, ctx),
    }
}

/// The name of `port`'s receive right in `space` (the local port a
/// receiver sees).
fn receiver_name(space: &Space, port: &Arc<Port>) -> u32 {
    match port.inner.lock().receiver {
        Some((sid, name)) if sid == space.id => name,
        _ => MACH_PORT_NULL,
    }
}

fn put_header(h: &mut [u8; HEADER_SIZE], bits: u32, size: u32, remote: u32, local: u32, id: i32) {
    h[0..4].copy_from_slice(&bits.to_ne_bytes());
    h[4..8].copy_from_slice(&size.to_ne_bytes());
    h[8..12].copy_from_slice(&remote.to_ne_bytes());
    h[12..16].copy_from_slice(&local.to_ne_bytes());
    h[16..20].copy_from_slice(&0u32.to_ne_bytes());
    h[20..24].copy_from_slice(&id.to_ne_bytes());
}

/// `mach_msg_max_trailer_t` with `msgh_trailer_size` `tsize`, of which the
/// caller copies out the first `out_len` bytes.
pub(crate) fn fill_trailer(
    t: &mut [u8; MAX_TRAILER_SIZE],
    tsize: usize,
    out_len: usize,
    seqno: u32,
    ctx: u64,
    s: &Sender,
) {
    // Ids and pid are translated into the receiver's (the caller's) user
    // and pid namespaces, and only as far as the bytes going out reach.
    let kernel = s.is_kernel();
    let (euid, egid, ruid, rgid) = if kernel || out_len <= 12 {
        (0, 0, 0, 0)
    } else {
        s.ids.in_current_ns()
    };
    let pid = match &s.pid {
        Some(p) if out_len > 40 => p.nr_in_current_ns() as u32,
        _ => 0,
    };
    let pidversion = match &s.pid {
        Some(p) if out_len > 48 => p.version(),
        _ => 0,
    };
    let put = |t: &mut [u8; MAX_TRAILER_SIZE], off: usize, v: u32| {
        t[off..off + 4].copy_from_slice(&v.to_ne_bytes())
    };
    put(t, 0, 0); // MACH_MSG_TRAILER_FORMAT_0
    put(t, 4, tsize as u32);
    put(t, 8, seqno);
    // security_token_t: KERNEL_SECURITY_TOKEN is { 0, 1 }.
    put(t, 12, euid);
    put(t, 16, if kernel { 1 } else { egid });
    // audit_token_t: auid, euid, egid, ruid, rgid, pid, asid, pidversion;
    // KERNEL_AUDIT_TOKEN is all zeros. The pid of a sender that has
    // exited is 0 (its number may name another process by now).
    put(t, 20, ruid);
    put(t, 24, euid);
    put(t, 28, egid);
    put(t, 32, ruid);
    put(t, 36, rgid);
    put(t, 40, pid);
    put(t, 44, 0);
    put(t, 48, pidversion);
    t[52..60].copy_from_slice(&ctx.to_ne_bytes());
    put(t, 60, 0);
    put(t, 64, 0);
}

fn copyout_msg(
    space: &Space,
    port: &Arc<Port>,
    mut k: KBox<Kmsg>,
    user: UserSlice,
    tsize: usize,
    seqno: u32,
    ctx: u64,
) -> MachResult<usize> {
    let mut d = Deferred::new();
    let mut err = 0i32;
    let local = receiver_name(space, port);
    // The destination right is used up by delivery.
    let dest_type = k.bits & MACH_MSGH_BITS_REMOTE_MASK;
    if let Some(dest) = k.dest.take() {
        match dest.kind() {
            crate::rights::Kind::SendOnce => dest.consume_delivered(),
            _ => d.right(dest),
        }
    }
    let reply_type = (k.bits & MACH_MSGH_BITS_LOCAL_MASK) >> 8;
    let bits = (k.bits & !MACH_MSGH_BITS_PORTS_MASK) | reply_type | (dest_type << 8);
    if k.descs.is_empty() && !matches!(k.reply, Carried::Right(_)) {
        // Nothing to name in the receiver's space (an RPC reply, say):
        // no need for the space lock.
        drop(d);
        let remote = match k.reply {
            Carried::Dead => MACH_PORT_DEAD,
            _ => MACH_PORT_NULL,
        };
        return write_out(k, user, bits, remote, local, tsize, seqno, ctx, 0);
    }
    let mut g = space.inner.lock();
    let reply = core::mem::replace(&mut k.reply, Carried::Null);
    let remote = match reply {
        Carried::Null => MACH_PORT_NULL,
        Carried::Dead => MACH_PORT_DEAD,
        Carried::Right(r) => match g.copyout(space.id, r, &mut d) {
            Ok(n) => n,
            Err(_) => {
                err = MACH_RCV_HEADER_ERROR.code() | MACH_MSG_IPC_SPACE;
                MACH_PORT_NULL
            }
        },
    };

    // Body rights and memory. Port descriptors first, then out-of-line
    // port arrays, whose names become the bytes of a region mapped out
    // below with the memory regions, once the space lock is dropped. The
    // descriptors are rewritten in place: nothing here allocates but the
    // name arrays, so no region can be lost on the way.
    let mut descs = core::mem::take(&mut k.descs);
    for (i, desc) in descs.iter_mut().enumerate() {
        crate::ffi::resched_every(i);
        let off = desc.offset;
        if let DescPayload::Port(c) = &mut desc.payload {
            let c = core::mem::replace(c, Carried::Null);
            let (name, t) = copyout_carried(&mut g, space.id, c, &mut d, &mut err);
            if t != 0 {
                k.body[off + 10] = t as u8;
            }
            let off_name = if k.body[off + 11] == MACH_MSG_GUARDED_PORT_DESCRIPTOR {
                off + 12
            } else {
                off
            };
            k.set_body_u32(off_name, name);
        }
    }
    for desc in descs.iter_mut() {
        let off = desc.offset;
        if let DescPayload::OolPorts(rights) = &mut desc.payload {
            let rights = core::mem::take(rights);
            let (names, t) = copyout_names(&mut g, space.id, rights, &mut d, &mut err);
            if t != 0 {
                k.body[off + 10] = t as u8;
            }
            desc.payload = DescPayload::Ool(names);
        }
    }
    drop(g);
    drop(d);

    // Out-of-line memory and port arrays appear as fresh mappings.
    for desc in descs.drain_all() {
        let off = desc.offset;
        if let DescPayload::Ool(data) = desc.payload {
            let addr = map_out(data, &mut err);
            k.body[off..off + 8].copy_from_slice(&(addr as u64).to_ne_bytes());
            k.body[off + 8] = 0; // deallocate
            k.body[off + 9] = MACH_MSG_VIRTUAL_COPY;
        }
    }
    write_out(k, user, bits, remote, local, tsize, seqno, ctx, err)
}

/// Writes a copied-out message (header, body, trailer) to the receiver's
/// buffer and destroys what is left of it; returns the bytes written, or
/// `err` (copyout errors noted on the way) if it is not zero.
#[allow(clippy::too_many_arguments)]
fn write_out(
    k: KBox<Kmsg>,
    user: UserSlice,
    bits: u32,
    remote: u32,
    local: u32,
    tsize: usize,
    seqno: u32,
    ctx: u64,
    err: i32,
) -> MachResult<usize> {
    let mut hdr = [0u8; HEADER_SIZE];
    put_header(&mut hdr, bits, k.size, remote, local, k.id);
    let mut tr = [0u8; MAX_TRAILER_SIZE];
    fill_trailer(&mut tr, tsize, tsize, seqno, ctx, &k.sender);
    let body_len = k.body.len();
    let mut w = user.writer();
    let res = w
        .write_slice(&hdr)
        .and_then(|()| w.write_slice(&k.body))
        .and_then(|()| w.write_slice(&tr[..tsize]));
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
