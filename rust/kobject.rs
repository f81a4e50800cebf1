// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Ports served by the kernel (XNU's `ipc_kobject_server`). A message sent
//! to a task port is not queued: the kernel decodes it as a MIG request by
//! its id, runs the routine on the space the port names, and answers on
//! the request's reply port with id + 100. Unknown ids get a
//! `mig_reply_error_t` with `MIG_BAD_ID`, malformed requests
//! `MIG_BAD_ARGUMENTS`; a request without a reply port is destroyed.
//!
//! Served routines (MIG layouts of `mach_port.defs`, subsystem 3200, and
//! `task.defs`, 3400): `mach_port_names` 3200, `get_set_status` 3211,
//! `request_notification` 3213, `construct` 3231, `destruct` 3232,
//! `mach_port_type` 3201, `allocate_name` 3203, `allocate` 3204,
//! `destroy` 3205, `deallocate` 3206, `get_refs` 3207, `mod_refs` 3208,
//! `set_mscount` 3210, `move_member` 3212, `insert_right` 3214,
//! `extract_right` 3215, `set_seqno` 3216, `get_srights` 3222,
//! `insert_member` 3226, `extract_member` 3227, `get_context` 3228,
//! `set_context` 3229, `guard` 3233, `unguard` 3234,
//! `get_attributes` 3217, `set_attributes` 3218,
//! `task_get_special_port` 3409, `task_set_special_port` 3410,
//! `task_set_exception_ports` 3413, `task_get_exception_ports` 3414,
//! `task_swap_exception_ports` 3415.

use core::mem::size_of;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::error::*;
use crate::kmsg::{
    Desc, DescPayload, Kmsg, Sender, MACH_MSGH_BITS_COMPLEX, MACH_MSG_PORT_DESCRIPTOR,
};
use crate::right::Deferred;
use crate::rights::*;
use crate::space::Space;
use crate::uapi::{self, PortCall};

const MIG_BAD_ID: i32 = -303;
const MIG_BAD_ARGUMENTS: i32 = -304;
/// `NDR_record` as MIG lays it out for this machine.
const NDR_RECORD: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];

/// What a routine answers.
enum Reply {
    /// `RetCode` and inline words after it (when `RetCode` is success).
    Simple(i32, KVec<u8>),
    /// A complex reply carrying one port right, as a port descriptor.
    Port(Carried),
    /// A complex reply with out-of-line arrays, then `NDR` and inline bytes.
    Ool(KVec<KVVec<u8>>, KVec<u8>),
    /// A complex reply with a fixed array of port descriptors (unused ones
    /// null), then `NDR` and inline bytes (MIG's layout for
    /// `task_get_exception_ports`).
    Ports(KVec<Carried>, KVec<u8>),
}

/// Serves one request sent to the task port of `space`.
pub(crate) fn serve(space: &Arc<Space>, mut req: KBox<Kmsg>) {
    let reply_to = core::mem::replace(&mut req.reply, Carried::Null);
    let id = req.id;
    // A task port whose task has exec'd (or exited) since the space was
    // opened serves no one else: XNU disables it (`ipc_task_reset`), and
    // its MIG routines then see a null task.
    let reply = match crate::task::hold_image(space, &req.sender) {
        Some(image) => {
            let r = dispatch(space, &mut req);
            drop(image);
            r
        }
        None => Reply::Simple(code(Err(KERN_INVALID_TASK)), KVec::new()),
    };
    // The request and every right it still carries are released here.
    drop(req);
    let dest = match reply_to {
        Carried::Right(r) => r,
        _ => {
            drop(reply);
            return;
        }
    };
    // The reply is charged to the account of the port it goes to, as every
    // message the kernel makes without a reserved buffer.
    let quota = dest.port().quota().clone();
    let mut k = match reply {
        Reply::Simple(code, outs) => {
            let n = if code == 0 { outs.len() } else { 0 };
            let mut k = match Kmsg::new_charged(12 + n, Sender::kernel(), &quota) {
                Some(k) => k,
                None => return,
            };
            k.body[..8].copy_from_slice(&NDR_RECORD);
            k.body[8..12].copy_from_slice(&code.to_ne_bytes());
            k.body[12..12 + n].copy_from_slice(&outs[..n]);
            k.bits = 0;
            k
        }
        Reply::Ool(regions, inline) => {
            let n = regions.len();
            let descs_end = 4 + n * 16;
            let mut k =
                match Kmsg::new_charged(descs_end + 8 + inline.len(), Sender::kernel(), &quota) {
                    Some(k) => k,
                    None => return,
                };
            k.body[..4].copy_from_slice(&(n as u32).to_ne_bytes());
            for (i, data) in regions.into_iter().enumerate() {
                let off = 4 + i * 16;
                let held = size_of::<Desc>() + data.len();
                if !k.charge.as_mut().is_some_and(|c| c.add(held)) {
                    return;
                }
                k.body[off + 9] = 1; // MACH_MSG_VIRTUAL_COPY
                k.body[off + 11] = crate::kmsg::MACH_MSG_OOL_DESCRIPTOR;
                k.body[off + 12..off + 16].copy_from_slice(&(data.len() as u32).to_ne_bytes());
                if k.descs
                    .push(
                        Desc {
                            offset: off,
                            payload: DescPayload::Ool(crate::ool::Region::from_bytes(data)),
                        },
                        GFP_KERNEL_ACCOUNT,
                    )
                    .is_err()
                {
                    return;
                }
            }
            k.body[descs_end..descs_end + 8].copy_from_slice(&NDR_RECORD);
            k.body[descs_end + 8..].copy_from_slice(&inline);
            k.bits = MACH_MSGH_BITS_COMPLEX;
            k
        }
        Reply::Ports(ports, inline) => {
            let n = ports.len();
            let descs_end = 4 + n * 12;
            let mut k =
                match Kmsg::new_charged(descs_end + 8 + inline.len(), Sender::kernel(), &quota) {
                    Some(k) => k,
                    None => return,
                };
            k.body[..4].copy_from_slice(&(n as u32).to_ne_bytes());
            for (i, c) in ports.into_iter().enumerate() {
                let off = 4 + i * 12;
                k.body[off + 10] = MACH_MSG_TYPE_PORT_SEND as u8;
                k.body[off + 11] = MACH_MSG_PORT_DESCRIPTOR;
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
                    return;
                }
            }
            k.body[descs_end..descs_end + 8].copy_from_slice(&NDR_RECORD);
            k.body[descs_end + 8..].copy_from_slice(&inline);
            k.bits = MACH_MSGH_BITS_COMPLEX;
            k
        }
        Reply::Port(c) => {
            let mut k = match Kmsg::new_charged(4 + 12, Sender::kernel(), &quota) {
                Some(k) => k,
                None => return,
            };
            k.body[..4].copy_from_slice(&1u32.to_ne_bytes());
            let t = match &c {
                Carried::Right(r) => r.kind().msg_type(),
                _ => MACH_MSG_TYPE_PORT_SEND,
            };
            k.body[4 + 10] = t as u8;
            k.body[4 + 11] = MACH_MSG_PORT_DESCRIPTOR;
            if k.descs
                .push(
                    Desc {
                        offset: 4,
                        payload: DescPayload::Port(c),
                    },
                    GFP_KERNEL_ACCOUNT,
                )
                .is_err()
            {
                return;
            }
            k.bits = MACH_MSGH_BITS_COMPLEX;
            k
        }
    };
    k.bits |= dest.kind().msg_type();
    k.id = id.wrapping_add(100);
    let port = dest.port().clone();
    k.dest = Some(dest);
    port.enqueue(k, false);
}

fn word(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn dword(b: &[u8], off: usize) -> u64 {
    u64::from(word(b, off)) | (u64::from(word(b, off + 4)) << 32)
}

/// Inline reply words as bytes; `None` when memory runs out.
fn outs(words: &[u32]) -> Option<KVec<u8>> {
    let mut v = KVec::from_elem(0u8, words.len() * 4, GFP_KERNEL).ok()?;
    for (b, w) in v.chunks_exact_mut(4).zip(words) {
        b.copy_from_slice(&w.to_ne_bytes());
    }
    Some(v)
}

/// A successful simple reply with `words`, or `KERN_RESOURCE_SHORTAGE`
/// if the reply cannot be built.
fn words_reply(words: &[u32]) -> Reply {
    match outs(words) {
        Some(v) => Reply::Simple(0, v),
        None => shortage(),
    }
}

fn shortage() -> Reply {
    Reply::Simple(KERN_RESOURCE_SHORTAGE.code(), KVec::new())
}

fn code(r: MachResult) -> i32 {
    to_code(r)
}

/// A simple request: `NDR` then `n` bytes of arguments, not complex.
fn simple_args(req: &Kmsg, n: usize) -> Option<&[u8]> {
    if req.bits & MACH_MSGH_BITS_COMPLEX != 0 || req.body.len() != 8 + n {
        return None;
    }
    Some(&req.body[8..])
}

fn port_call(space: &Arc<Space>, nr: u32, c: &mut PortCall) -> i32 {
    code(crate::mach_port::call(space, nr, c))
}

fn dispatch(space: &Arc<Space>, req: &mut Kmsg) -> Reply {
    let bad = Reply::Simple(MIG_BAD_ARGUMENTS, KVec::new());
    // (routine id, argument bytes, ioctl nr, how arguments map)
    let simple: Option<(usize, u32)> = match req.id {
        3201 => Some((4, uapi::PORT_TYPE)),
        3203 => Some((8, uapi::PORT_ALLOCATE_NAME)),
        3204 => Some((4, uapi::PORT_ALLOCATE)),
        3205 => Some((4, uapi::PORT_DESTROY)),
        3206 => Some((4, uapi::PORT_DEALLOCATE)),
        3207 => Some((8, uapi::PORT_GET_REFS)),
        3208 => Some((12, uapi::PORT_MOD_REFS)),
        3210 => Some((8, uapi::PORT_SET_MSCOUNT)),
        3212 => Some((8, uapi::PORT_MOVE_MEMBER)),
        3216 => Some((8, uapi::PORT_SET_SEQNO)),
        3222 => Some((4, uapi::PORT_GET_SRIGHTS)),
        3226 => Some((8, uapi::PORT_INSERT_MEMBER)),
        3227 => Some((8, uapi::PORT_EXTRACT_MEMBER)),
        3228 => Some((4, uapi::PORT_GET_CONTEXT)),
        3229 => Some((12, uapi::PORT_SET_CONTEXT)),
        3233 => Some((16, uapi::PORT_GUARD)),
        3232 => Some((16, uapi::PORT_DESTRUCT)),
        3234 => Some((12, uapi::PORT_UNGUARD)),
        _ => None,
    };
    if let Some((n, nr)) = simple {
        let a = match simple_args(req, n) {
            Some(a) => a,
            None => return bad,
        };
        let mut c = PortCall::default();
        let w = |i: usize| word(a, i * 4);
        match req.id {
            3201 | 3205 | 3206 | 3222 | 3228 => c.name = w(0),
            3203 => {
                c.right = w(0);
                c.name = w(1);
            }
            3204 => c.right = w(0),
            3207 => {
                c.name = w(0);
                c.right = w(1);
            }
            3208 => {
                c.name = w(0);
                c.right = w(1);
                c.delta = w(2) as i32;
            }
            3210 | 3216 => {
                c.name = w(0);
                c.value = u64::from(w(1));
            }
            3212 | 3226 | 3227 => {
                c.name = w(0);
                c.poly = w(1);
            }
            3229 | 3234 => {
                c.name = w(0);
                c.value = dword(a, 4);
            }
            3233 => {
                c.name = w(0);
                c.value = dword(a, 4);
                c.poly = w(3);
            }
            3232 => {
                c.name = w(0);
                c.delta = w(1) as i32;
                c.value = dword(a, 8);
            }
            _ => {}
        }
        let rc = port_call(space, nr, &mut c);
        if rc != 0 {
            return Reply::Simple(rc, KVec::new());
        }
        return match req.id {
            3201 => words_reply(&[c.poly]),
            3204 => words_reply(&[c.name]),
            3207 => words_reply(&[c.delta as u32]),
            3222 => words_reply(&[c.value as u32]),
            3228 => words_reply(&[c.value as u32, (c.value >> 32) as u32]),
            _ => Reply::Simple(0, KVec::new()),
        };
    }
    match req.id {
        // mach_port_extract_right(name, msgt_name) -> poly
        3215 => {
            let a = match simple_args(req, 8) {
                Some(a) => a,
                None => return bad,
            };
            let (name, msgt) = (word(a, 0), word(a, 4));
            if !is_any_right(msgt) {
                return Reply::Simple(KERN_INVALID_VALUE.code(), KVec::new());
            }
            if !name_valid(name) {
                return Reply::Simple(KERN_INVALID_RIGHT.code(), KVec::new());
            }
            let mut d = Deferred::new();
            let r = space.inner.lock().copyin(space.id, name, msgt, &mut d);
            drop(d);
            match r {
                Ok(c) => Reply::Port(c),
                Err(e) => Reply::Simple(e.code(), KVec::new()),
            }
        }
        // mach_port_insert_right(name, poly: port descriptor)
        3214 => {
            let name = match complex_one_port(req, 4) {
                Some(a) => word(a, 0),
                None => return bad,
            };
            let c = take_port(req);
            let mut d = Deferred::new();
            let mut g = space.inner.lock();
            let rc = if !name_valid(name) {
                d.carried(c);
                KERN_INVALID_VALUE.code()
            } else {
                match c {
                    Carried::Right(r) => code(g.copyout_named(space.id, r, name, &mut d)),
                    _ => KERN_INVALID_CAPABILITY.code(),
                }
            };
            drop(g);
            drop(d);
            Reply::Simple(rc, KVec::new())
        }
        // mach_port_names() -> names[], types[] (out of line)
        3200 => {
            if simple_args(req, 0).is_none() {
                return bad;
            }
            let mut d = Deferred::new();
            let r = crate::mach_port::names_and_types(&mut space.inner.lock(), &mut d);
            drop(d);
            match r {
                Ok((names, types)) => {
                    let n = names.len() as u32;
                    ool_reply(&[&names, &types], &[n, n]).unwrap_or_else(shortage)
                }
                Err(e) => Reply::Simple(e.code(), KVec::new()),
            }
        }
        // mach_port_get_set_status(name) -> members[] (out of line)
        3211 => {
            let a = match simple_args(req, 4) {
                Some(a) => a,
                None => return bad,
            };
            let name = word(a, 0);
            let mut d = Deferred::new();
            let r = crate::mach_port::set_members(&mut space.inner.lock(), space.id, name, &mut d);
            drop(d);
            match r {
                Ok(names) => ool_reply(&[&names], &[names.len() as u32]).unwrap_or_else(shortage),
                Err(e) => Reply::Simple(e.code(), KVec::new()),
            }
        }
        // mach_port_construct(options, context) -> name
        3231 => {
            let a = match simple_args(req, 32) {
                Some(a) => a,
                None => return bad,
            };
            let mut opts = [0u8; 24];
            opts.copy_from_slice(&a[..24]);
            let context = dword(a, 24);
            let mut d = Deferred::new();
            let r = crate::mach_port::construct(
                &mut space.inner.lock(),
                space.id,
                &opts,
                context,
                &mut d,
            );
            drop(d);
            match r {
                Ok(name) => words_reply(&[name]),
                Err(e) => Reply::Simple(e.code(), KVec::new()),
            }
        }
        // mach_port_request_notification(name, msgid, sync, notify) -> previous
        3213 => {
            let (name, id, sync) = match complex_one_port(req, 12) {
                Some(a) => (word(a, 0), word(a, 4), word(a, 8)),
                None => return bad,
            };
            // MIG's server checks the notify right's type: send-once only.
            if u32::from(req.body[4 + 10]) != MACH_MSG_TYPE_PORT_SEND_ONCE {
                return Reply::Simple(-300, KVec::new()); // MIG_TYPE_ERROR
            }
            let notify = match take_port(req) {
                Carried::Right(r) => Some(r),
                Carried::Dead => return Reply::Simple(KERN_INVALID_CAPABILITY.code(), KVec::new()),
                Carried::Null => None,
            };
            let mut d = Deferred::new();
            let (r, prev) = crate::mach_port::request_with_right(
                &mut space.inner.lock(),
                space.id,
                name,
                id,
                sync,
                notify,
                &mut d,
            );
            drop(d);
            match r {
                Ok(()) => Reply::Port(prev.map_or(Carried::Null, Carried::Right)),
                Err(e) => {
                    drop(prev);
                    Reply::Simple(e.code(), KVec::new())
                }
            }
        }
        // mach_port_get_attributes(name, flavor, count) -> count, info[count]
        3217 => {
            let a = match simple_args(req, 12) {
                Some(a) => a,
                None => return bad,
            };
            let (name, flavor, count) = (word(a, 0), word(a, 4), word(a, 8).min(17));
            let mut d = Deferred::new();
            let r =
                crate::mach_port::attributes(&mut space.inner.lock(), name, flavor, count, &mut d);
            drop(d);
            match r {
                Ok((w, n)) => {
                    let mut v = [0u32; 18];
                    v[0] = n;
                    v[1..=n as usize].copy_from_slice(&w[..n as usize]);
                    words_reply(&v[..=n as usize])
                }
                Err(e) => Reply::Simple(e.code(), KVec::new()),
            }
        }
        // mach_port_set_attributes(name, flavor, count, info[count])
        3218 => {
            if req.bits & MACH_MSGH_BITS_COMPLEX != 0 || req.body.len() < 8 + 12 {
                return bad;
            }
            let a = &req.body[8..];
            let (name, flavor, count) = (word(a, 0), word(a, 4), word(a, 8) as usize);
            if count > 17 || a.len() != 12 + count * 4 {
                return bad;
            }
            let mut info = [0u32; 17];
            for (i, w) in info.iter_mut().enumerate().take(count) {
                *w = word(a, 12 + i * 4);
            }
            let mut d = Deferred::new();
            let r = crate::mach_port::set_attributes(
                &mut space.inner.lock(),
                name,
                flavor,
                &info[..count],
                &mut d,
            );
            drop(d);
            Reply::Simple(code(r), KVec::new())
        }
        // task_get_special_port(which) -> port
        3409 => {
            let a = match simple_args(req, 4) {
                Some(a) => a,
                None => return bad,
            };
            let which = word(a, 0) as usize;
            let g = space.inner.lock();
            if which >= g.special.len() {
                return Reply::Simple(KERN_INVALID_ARGUMENT.code(), KVec::new());
            }
            let port = if which == crate::space::TASK_KERNEL_PORT {
                g.task_port.as_ref().map(|r| r.port().clone())
            } else {
                g.special[which].as_ref().map(|r| r.port().clone())
            };
            drop(g);
            Reply::Port(match port {
                Some(p) => match p.new_send() {
                    Ok(r) => Carried::Right(r),
                    Err(e) => return Reply::Simple(e.code(), KVec::new()),
                },
                None => Carried::Null,
            })
        }
        // task_set_special_port(which, port)
        3410 => {
            let which = match complex_one_port(req, 4) {
                Some(a) => word(a, 0) as usize,
                None => return bad,
            };
            let c = take_port(req);
            let mut g = space.inner.lock();
            if which >= g.special.len() || which == crate::space::TASK_KERNEL_PORT {
                drop(g);
                drop(c);
                return Reply::Simple(KERN_INVALID_ARGUMENT.code(), KVec::new());
            }
            let new = match c {
                Carried::Right(r) if r.kind() == Kind::Send => Some(r),
                other => {
                    drop(other);
                    None
                }
            };
            let old = core::mem::replace(&mut g.special[which], new);
            drop(g);
            drop(old);
            Reply::Simple(0, KVec::new())
        }
        // task_set_exception_ports(mask, new_port, behavior, flavor)
        3413 | 3415 => {
            let (mask, behavior, flavor) = match complex_one_port(req, 12) {
                Some(a) => (word(a, 0), word(a, 4), word(a, 8)),
                None => return bad,
            };
            let c = take_port(req);
            let port = match c {
                Carried::Right(r) if r.kind() == Kind::Send => Some(r),
                other => {
                    drop(other);
                    None
                }
            };
            if let Err(e) = crate::exception::validate(mask, behavior, flavor, port.is_some()) {
                drop(port);
                return Reply::Simple(e.code(), KVec::new());
            }
            let mut d = Deferred::new();
            let mut g = space.inner.lock();
            // task_swap_exception_ports answers with the old handlers.
            let old = if req.id == 3415 {
                match crate::exception::collect(&g, mask, crate::exception::EXC_TYPES_COUNT) {
                    Ok(h) => Some(h),
                    Err(e) => {
                        drop(g);
                        drop(d);
                        drop(port);
                        return Reply::Simple(e.code(), KVec::new());
                    }
                }
            } else {
                None
            };
            crate::exception::install(&mut g, mask, port, behavior, flavor, &mut d);
            drop(g);
            drop(d);
            match old {
                Some(h) => handlers_reply(h),
                None => Reply::Simple(0, KVec::new()),
            }
        }
        // task_get_exception_ports(mask) -> masks, handlers, behaviors, flavors
        3414 => {
            let mask = match simple_args(req, 4) {
                Some(a) => word(a, 0),
                None => return bad,
            };
            if let Err(e) = crate::exception::validate(mask, 1, 1, false) {
                return Reply::Simple(e.code(), KVec::new());
            }
            let g = space.inner.lock();
            let h = crate::exception::collect(&g, mask, crate::exception::EXC_TYPES_COUNT);
            drop(g);
            match h {
                Ok(h) => handlers_reply(h),
                Err(e) => Reply::Simple(e.code(), KVec::new()),
            }
        }
        _ => Reply::Simple(MIG_BAD_ID, KVec::new()),
    }
}

/// MIG's reply of task_get/swap_exception_ports: `EXC_TYPES_COUNT` port
/// descriptors, then `NDR`, the count and the three arrays packed.
fn handlers_reply(h: KVec<crate::exception::Handler>) -> Reply {
    use crate::exception::EXC_TYPES_COUNT;
    let n = h.len();
    // count, then masks, behaviors and flavors, `n` words each.
    let mut words = [0u32; 1 + 3 * EXC_TYPES_COUNT];
    words[0] = n as u32;
    let mut ports = match KVec::with_capacity(EXC_TYPES_COUNT, GFP_KERNEL) {
        Ok(v) => v,
        Err(_) => return shortage(),
    };
    for (i, x) in h.into_iter().enumerate() {
        words[1 + i] = x.mask;
        words[1 + n + i] = x.behavior;
        words[1 + 2 * n + i] = x.flavor;
        // Cannot fail (capacity for every type); a right that did not
        // fit would be released with the error.
        if ports
            .push_within_capacity(x.port.map_or(Carried::Null, Carried::Right))
            .is_err()
        {
            return shortage();
        }
    }
    while ports.len() < EXC_TYPES_COUNT {
        if ports.push_within_capacity(Carried::Null).is_err() {
            return shortage();
        }
    }
    match outs(&words[..1 + 3 * n]) {
        Some(inline) => Reply::Ports(ports, inline),
        None => shortage(),
    }
}

/// A reply with `arrays` of names out of line and `inline` words; `None`
/// when memory runs out.
fn ool_reply(arrays: &[&[u32]], inline: &[u32]) -> Option<Reply> {
    let mut regions = KVec::with_capacity(arrays.len(), GFP_KERNEL).ok()?;
    for a in arrays {
        let mut b = KVVec::from_elem(0u8, a.len() * 4, GFP_KERNEL_ACCOUNT).ok()?;
        for (bytes, w) in b.chunks_exact_mut(4).zip(a.iter()) {
            bytes.copy_from_slice(&w.to_ne_bytes());
        }
        regions.push_within_capacity(b).ok()?;
    }
    Some(Reply::Ool(regions, outs(inline)?))
}

/// A complex request with one port descriptor, then `NDR` and `n` bytes of
/// arguments; returns the arguments.
fn complex_one_port(req: &Kmsg, n: usize) -> Option<&[u8]> {
    if req.bits & MACH_MSGH_BITS_COMPLEX == 0 || req.body.len() != 4 + 12 + 8 + n {
        return None;
    }
    if word(&req.body, 0) != 1 || req.body[4 + 11] != MACH_MSG_PORT_DESCRIPTOR {
        return None;
    }
    Some(&req.body[4 + 12 + 8..])
}

/// Takes the right of the request's first port descriptor.
fn take_port(req: &mut Kmsg) -> Carried {
    for d in req.descs.iter_mut() {
        if let DescPayload::Port(c) = &mut d.payload {
            return core::mem::replace(c, Carried::Null);
        }
    }
    Carried::Null
}
