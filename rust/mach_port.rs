// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The `mach_port_*` calls (`mach/mach_port.defs`) on the caller's space,
//! each reached through one ioctl with a [`PortCall`] argument.

use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::{UserPtr, UserSlice};

use crate::error::*;
use crate::notify::*;
use crate::port::{Port, MACH_PORT_QLIMIT_MAX};
use crate::port_set::PortSet;
use crate::right::Deferred;
use crate::rights::*;
use crate::space::{Object, Space, SpaceInner};
use crate::uapi::{self, PortCall};

// mach_port_flavor_t
const MACH_PORT_LIMITS_INFO: u32 = 1;
const MACH_PORT_RECEIVE_STATUS: u32 = 2;
const MACH_PORT_DNREQUESTS_SIZE: u32 = 3;
const MACH_PORT_TEMPOWNER: u32 = 4;
const MACH_PORT_IMPORTANCE_RECEIVER: u32 = 5;
const MACH_PORT_DENAP_RECEIVER: u32 = 6;
const MACH_PORT_INFO_EXT: u32 = 7;
const MACH_PORT_RECEIVE_STATUS_COUNT: u32 = 10;
const MACH_PORT_INFO_EXT_COUNT: u32 = 17;

// mach_port_options_t flags
const MPO_CONTEXT_AS_GUARD: u32 = 0x01;
const MPO_QLIMIT: u32 = 0x02;
const MPO_INSERT_SEND_RIGHT: u32 = 0x10;
const MPO_STRICT: u32 = 0x20;
use crate::port::{MACH_PORT_STATUS_FLAG_GUARDED, MACH_PORT_STATUS_FLAG_STRICT_GUARD};

const KERN_INSUFFICIENT_BUFFER_SIZE: MachError = MachError(52);

/// Runs mach_port call `nr` on `space`.
pub(crate) fn call(space: &Arc<Space>, nr: u32, c: &mut PortCall) -> MachResult {
    // Calls that take the task registry lock run without the space lock.
    match nr {
        uapi::TASK_FOR_PID => {
            c.name = crate::task::task_for_pid(space, c.flavor as i32)?;
            return Ok(());
        }
        uapi::PID_FOR_TASK => {
            c.value = crate::task::pid_for_task(space, c.name)? as u64;
            return Ok(());
        }
        _ => {}
    }
    // User memory is read before the space lock is taken and written after
    // it is dropped: a copy may fault and sleep for as long as another
    // task likes (userfaultfd, FUSE, a stalled network file system), and
    // every thread of the space would wait on the lock meanwhile.
    let input = read_input(nr, c)?;
    let mut out = UserOut::default();
    let mut d = Deferred::new();
    let r = {
        let mut g = space.inner.lock();
        if !g.active {
            return Err(KERN_INVALID_TASK);
        }
        call_locked(space, &mut g, nr, c, &input, &mut out, &mut d)
    };
    drop(d);
    r?;
    out.write()
}

/// The largest user input a call reads: `mach_port_set_attributes`' 17
/// words (`mach_port_construct`'s options are 24 bytes).
const INPUT_MAX: usize = 17 * 4;

/// Reads the user memory call `nr` takes as input.
fn read_input(nr: u32, c: &PortCall) -> MachResult<[u8; INPUT_MAX]> {
    let mut input = [0u8; INPUT_MAX];
    let n = match nr {
        uapi::PORT_CONSTRUCT => 24,
        uapi::PORT_SET_ATTRIBUTES => (c.count as usize).min(17) * 4,
        _ => 0,
    };
    if n > 0 {
        user_read(c.data, &mut input[..n])?;
    }
    Ok(input)
}

/// What a call writes to user memory, kept in kernel buffers until the
/// space lock is dropped.
#[derive(Default)]
struct UserOut {
    writes: [Option<(u64, KVVec<u8>)>; 2],
}

impl UserOut {
    /// Queues `words` for user address `addr`.
    fn words(&mut self, addr: u64, words: &[u32]) -> MachResult {
        let len = words.len().checked_mul(4).ok_or(KERN_RESOURCE_SHORTAGE)?;
        let mut buf =
            KVVec::from_elem(0u8, len, GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        for (b, w) in buf.chunks_exact_mut(4).zip(words) {
            b.copy_from_slice(&w.to_ne_bytes());
        }
        self.bytes(addr, buf)
    }

    /// Queues `buf` for user address `addr`.
    fn bytes(&mut self, addr: u64, buf: KVVec<u8>) -> MachResult {
        let slot = self
            .writes
            .iter_mut()
            .find(|w| w.is_none())
            .ok_or(KERN_RESOURCE_SHORTAGE)?;
        *slot = Some((addr, buf));
        Ok(())
    }

    /// Copies everything out, in order; `KERN_INVALID_ADDRESS` if the
    /// caller's memory cannot take it.
    fn write(self) -> MachResult {
        for (addr, buf) in self.writes.into_iter().flatten() {
            user_write(addr, &buf)?;
        }
        Ok(())
    }
}

fn user_write(addr: u64, data: &[u8]) -> MachResult {
    if data.is_empty() {
        return Ok(());
    }
    UserSlice::new(UserPtr::from_addr(addr as usize), data.len())
        .writer()
        .write_slice(data)
        .map_err(|_| KERN_INVALID_ADDRESS)
}

fn user_read(addr: u64, out: &mut [u8]) -> MachResult {
    UserSlice::new(UserPtr::from_addr(addr as usize), out.len())
        .reader()
        .read_slice(out)
        .map_err(|_| KERN_INVALID_ADDRESS)
}

fn entry_type(g: &SpaceInner, i: usize) -> u32 {
    g.table[i].bits
}

/// Runs call `nr` with the space locked: `input` holds the user memory it
/// reads (see [`read_input`]), and what it writes to user memory goes to
/// `out`, copied out once the lock is dropped. No user copy happens here.
fn call_locked(
    space: &Arc<Space>,
    g: &mut SpaceInner,
    nr: u32,
    c: &mut PortCall,
    input: &[u8; INPUT_MAX],
    out: &mut UserOut,
    d: &mut Deferred,
) -> MachResult {
    let sid = space.id;
    match nr {
        uapi::PORT_NAMES => {
            let (names, types) = names_and_types(g, d)?;
            if (c.count as usize) < names.len() {
                c.count = names.len() as u32;
                return Err(KERN_INSUFFICIENT_BUFFER_SIZE);
            }
            out.words(c.data, &names)?;
            out.words(c.value, &types)?;
            c.count = names.len() as u32;
            Ok(())
        }
        uapi::PORT_TYPE => {
            if c.name == MACH_PORT_NULL {
                return Err(KERN_INVALID_NAME);
            }
            if c.name == MACH_PORT_DEAD {
                c.poly = MACH_PORT_TYPE_DEAD_NAME;
                return Ok(());
            }
            let i = g.lookup(c.name, d)?;
            c.poly = entry_type(g, i);
            Ok(())
        }
        uapi::PORT_ALLOCATE => {
            c.name = allocate(g, sid, c.right, None)?;
            Ok(())
        }
        uapi::PORT_ALLOCATE_NAME => {
            if !name_valid(c.name) {
                return Err(KERN_INVALID_VALUE);
            }
            // XNU ignores the name for a dead name (it picks its own).
            let want = if c.right == MACH_PORT_RIGHT_DEAD_NAME {
                None
            } else {
                Some(c.name)
            };
            allocate(g, sid, c.right, want)?;
            Ok(())
        }
        uapi::PORT_DESTROY => {
            if !name_valid(c.name) {
                return Ok(());
            }
            if let Ok(p) = g.receive_port(c.name, d) {
                let pg = p.inner.lock();
                if pg.flags & MACH_PORT_STATUS_FLAG_GUARDED != 0 && pg.context != 0 {
                    return Err(KERN_INVALID_RIGHT);
                }
            }
            g.destroy_name(sid, c.name, d)
        }
        uapi::PORT_DEALLOCATE => {
            if !name_valid(c.name) {
                return Ok(());
            }
            g.dealloc(sid, c.name, d)
        }
        uapi::PORT_GET_REFS => {
            if c.right >= MACH_PORT_RIGHT_NUMBER {
                return Err(KERN_INVALID_VALUE);
            }
            if !name_valid(c.name) {
                if c.right == MACH_PORT_RIGHT_SEND || c.right == MACH_PORT_RIGHT_SEND_ONCE {
                    c.delta = 1;
                    return Ok(());
                }
                return Err(KERN_INVALID_NAME);
            }
            let i = g.lookup(c.name, d)?;
            let e = &g.table[i];
            let t = 1u32 << (c.right + 16);
            c.delta = if e.bits & t == 0 {
                0
            } else if c.right == MACH_PORT_RIGHT_SEND || c.right == MACH_PORT_RIGHT_DEAD_NAME {
                e.urefs as i32
            } else {
                1
            };
            Ok(())
        }
        uapi::PORT_MOD_REFS => {
            if c.right >= MACH_PORT_RIGHT_NUMBER {
                return Err(KERN_INVALID_VALUE);
            }
            if !name_valid(c.name) {
                if c.right == MACH_PORT_RIGHT_SEND || c.right == MACH_PORT_RIGHT_SEND_ONCE {
                    return Ok(());
                }
                return Err(KERN_INVALID_NAME);
            }
            g.delta(sid, c.name, c.right, c.delta, d)
        }
        uapi::PORT_INSERT_RIGHT => {
            if c.name == c.poly
                && (c.right == MACH_MSG_TYPE_MAKE_SEND || c.right == MACH_MSG_TYPE_COPY_SEND)
            {
                return insert_send_same_name(g, c.name, c.right);
            }
            if !is_any_right(c.right) {
                // Like the copyin of an impossible disposition.
                g.lookup(c.poly, d)?;
                return Err(KERN_INVALID_RIGHT);
            }
            let carried = g.copyin(sid, c.poly, c.right, d)?;
            if !name_valid(c.name) {
                d.carried(carried);
                return Err(KERN_INVALID_VALUE);
            }
            match carried {
                Carried::Right(r) => g.copyout_named(sid, r, c.name, d),
                _ => Err(KERN_INVALID_CAPABILITY),
            }
        }
        uapi::PORT_EXTRACT_RIGHT => {
            if !is_any_right(c.right) {
                return Err(KERN_INVALID_VALUE);
            }
            if !name_valid(c.name) {
                return Err(KERN_INVALID_RIGHT);
            }
            let carried = g.copyin(sid, c.name, c.right, d)?;
            match carried {
                Carried::Right(r) => {
                    c.notify_type = r.kind().msg_type();
                    c.poly = g.copyout(sid, r, d)?;
                }
                Carried::Dead => {
                    c.notify_type = copyin_type(c.right);
                    c.poly = MACH_PORT_DEAD;
                }
                Carried::Null => {
                    c.notify_type = copyin_type(c.right);
                    c.poly = MACH_PORT_NULL;
                }
            }
            Ok(())
        }
        uapi::PORT_GET_ATTRIBUTES => {
            let (w, n) = attributes(g, c.name, c.flavor, c.count, d)?;
            out.words(c.data, &w[..n as usize])?;
            c.count = n;
            Ok(())
        }
        uapi::PORT_SET_ATTRIBUTES => {
            let n = (c.count as usize).min(17);
            let mut info = [0u32; 17];
            for (w, b) in info.iter_mut().zip(input.chunks_exact(4)).take(n) {
                *w = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            }
            set_attributes(g, c.name, c.flavor, &info[..n], d)
        }
        uapi::PORT_GET_CONTEXT => {
            let p = receive_port_valid(g, c.name, d)?;
            let pg = p.inner.lock();
            c.value = if pg.flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD != 0 {
                0
            } else {
                pg.context
            };
            Ok(())
        }
        uapi::PORT_SET_CONTEXT => {
            let p = receive_port_valid(g, c.name, d)?;
            let mut pg = p.inner.lock();
            if pg.flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD != 0 {
                return Err(KERN_INVALID_ARGUMENT);
            }
            pg.context = c.value;
            Ok(())
        }
        uapi::PORT_PEEK => {
            if !name_valid(c.name) {
                return Err(KERN_INVALID_RIGHT);
            }
            // Elements up to the audit token, and room for them.
            if (c.flavor >> 24) & 0xf > 3 {
                return Err(KERN_INVALID_VALUE);
            }
            let tsize = crate::mach_msg::trailer_size(c.flavor & 0xff00_0000)
                .map_err(|_| KERN_INVALID_VALUE)?;
            if tsize > c.count as usize {
                return Err(KERN_INVALID_VALUE);
            }
            let p = g.receive_port(c.name, d)?;
            let pg = p.inner.lock();
            let want = c.value as u32;
            let off = if want == 0 {
                0
            } else if want.wrapping_sub(pg.seqno) < pg.queue.len() as u32 {
                want.wrapping_sub(pg.seqno) as usize
            } else {
                return Err(KERN_FAILURE);
            };
            let k = pg.queue.get(off).ok_or(KERN_FAILURE)?;
            let seqno = pg.seqno.wrapping_add(off as u32);
            let n = (c.count as usize).min(crate::mach_msg::MAX_TRAILER_SIZE);
            let mut t = [0u8; crate::mach_msg::MAX_TRAILER_SIZE];
            crate::mach_msg::fill_trailer(&mut t, tsize, n, seqno, pg.context, &k.sender);
            c.poly = k.size;
            c.delta = k.id;
            c.value = u64::from(seqno);
            drop(pg);
            let mut buf =
                KVVec::with_capacity(n, GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            buf.extend_from_slice(&t[..n], GFP_KERNEL_ACCOUNT)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            out.bytes(c.data, buf)?;
            c.count = n as u32;
            Ok(())
        }
        uapi::PORT_GUARD => {
            if !name_valid(c.name) {
                return Err(KERN_INVALID_NAME);
            }
            let p = g.receive_port(c.name, d)?;
            let mut pg = p.inner.lock();
            if pg.context != 0 {
                return Err(KERN_INVALID_ARGUMENT);
            }
            pg.context = c.value;
            pg.flags |= MACH_PORT_STATUS_FLAG_GUARDED;
            if c.poly != 0 {
                pg.flags |= MACH_PORT_STATUS_FLAG_STRICT_GUARD;
            }
            Ok(())
        }
        uapi::PORT_UNGUARD => {
            if !name_valid(c.name) {
                return Err(KERN_INVALID_NAME);
            }
            let p = g.receive_port(c.name, d)?;
            let mut pg = p.inner.lock();
            if pg.flags & MACH_PORT_STATUS_FLAG_GUARDED == 0 || pg.context != c.value {
                return Err(KERN_INVALID_ARGUMENT);
            }
            pg.context = 0;
            pg.flags &= !(MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
            Ok(())
        }
        uapi::PORT_CONSTRUCT => {
            let mut opts = [0u8; 24];
            opts.copy_from_slice(&input[..24]);
            c.name = construct(g, sid, &opts, c.value, d)?;
            Ok(())
        }
        uapi::PORT_DESTRUCT => {
            if !name_valid(c.name) {
                return Err(KERN_INVALID_NAME);
            }
            let i = g.lookup(c.name, d)?;
            let (bits, urefs) = (g.table[i].bits, g.table[i].urefs);
            if bits & MACH_PORT_TYPE_RECEIVE == 0 {
                return Err(KERN_INVALID_RIGHT);
            }
            if c.delta != 0 && bits & MACH_PORT_TYPE_SEND == 0 {
                return Err(KERN_INVALID_RIGHT);
            }
            if c.delta > 0 {
                return Err(KERN_INVALID_VALUE);
            }
            let p = g.receive_port(c.name, d)?;
            {
                let mut pg = p.inner.lock();
                if pg.flags & MACH_PORT_STATUS_FLAG_GUARDED != 0 {
                    if pg.context != c.value {
                        return Err(KERN_INVALID_ARGUMENT);
                    }
                    // The guard is satisfied: the receive right may go.
                    pg.flags &=
                        !(MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
                }
            }
            if c.delta != 0
                && urefs != MACH_PORT_UREFS_MAX
                && -i64::from(c.delta) > i64::from(urefs)
            {
                return Err(KERN_INVALID_VALUE);
            }
            if c.delta != 0 {
                g.delta(sid, c.name, MACH_PORT_RIGHT_SEND, c.delta, d)?;
            }
            g.delta(sid, c.name, MACH_PORT_RIGHT_RECEIVE, -1, d)
        }
        uapi::PORT_MOVE_MEMBER => {
            if !name_valid(c.name) || c.poly == MACH_PORT_DEAD {
                return Err(KERN_INVALID_RIGHT);
            }
            let (p, set) = if c.poly == MACH_PORT_NULL {
                (g.receive_port(c.name, d)?, None)
            } else {
                let (p, s) = port_and_set(g, c.name, c.poly, d)?;
                (p, Some(s))
            };
            if let Some(s) = &set {
                match s.add_member(&p) {
                    Ok(()) | Err(KERN_ALREADY_IN_SET) => {}
                    Err(e) => return Err(e),
                }
            }
            // Out of every other set.
            let mut pg = p.inner.lock();
            let mut others = KVec::with_capacity(pg.sets.len(), GFP_KERNEL)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            let mut i = 0;
            while i < pg.sets.len() {
                if set.as_ref().is_some_and(|s| Arc::ptr_eq(s, &pg.sets[i])) {
                    i += 1;
                } else if let Ok(s) = pg.sets.remove(i) {
                    if let Err(e) = others.push_within_capacity(s) {
                        // Cannot happen: room for every set. Put it back
                        // rather than lose the set's side of the link.
                        if pg.sets.insert_within_capacity(i, e.0).is_err() {
                            return Err(KERN_RESOURCE_SHORTAGE);
                        }
                        i += 1;
                    }
                }
            }
            drop(pg);
            let was_in_none = set.is_none() && others.is_empty();
            for s in others.iter() {
                s.forget_member(&p);
            }
            if was_in_none {
                return Err(KERN_NOT_IN_SET);
            }
            Ok(())
        }
        uapi::PORT_INSERT_MEMBER => {
            if !name_valid(c.name) || !name_valid(c.poly) {
                return Err(KERN_INVALID_RIGHT);
            }
            let (p, s) = port_and_set(g, c.name, c.poly, d)?;
            s.add_member(&p)
        }
        uapi::PORT_EXTRACT_MEMBER => {
            if !name_valid(c.name) || !name_valid(c.poly) {
                return Err(KERN_INVALID_RIGHT);
            }
            let (p, s) = port_and_set(g, c.name, c.poly, d)?;
            s.remove_member(&p)
        }
        uapi::PORT_GET_SET_STATUS => {
            let names = set_members(g, sid, c.name, d)?;
            if (c.count as usize) < names.len() {
                c.count = names.len() as u32;
                return Err(KERN_INSUFFICIENT_BUFFER_SIZE);
            }
            out.words(c.data, &names)?;
            c.count = names.len() as u32;
            Ok(())
        }
        uapi::PORT_REQUEST_NOTIFY => request_notification(g, sid, c, d),
        uapi::PORT_GET_SRIGHTS => {
            let p = g.receive_port(c.name, d)?;
            c.value = u64::from(p.inner.lock().srights);
            Ok(())
        }
        uapi::PORT_SET_MSCOUNT => {
            let p = receive_port_valid(g, c.name, d)?;
            p.inner.lock().mscount = c.value as u32;
            Ok(())
        }
        uapi::PORT_SET_SEQNO => {
            let p = receive_port_valid(g, c.name, d)?;
            p.inner.lock().seqno = c.value as u32;
            Ok(())
        }
        uapi::TASK_FOR_PID | uapi::PID_FOR_TASK => Err(KERN_INVALID_ARGUMENT),
        uapi::SET_EXCEPTION_PORTS => crate::exception::set(g, sid, c, d),
        uapi::GET_EXCEPTION_PORTS => {
            let words = crate::exception::get(g, sid, c, d)?;
            out.words(c.data, &words)
        }
        uapi::GET_SPECIAL_PORT => {
            let which = c.flavor as usize;
            if which >= g.special.len() {
                return Err(KERN_INVALID_ARGUMENT);
            }
            let port = if which == crate::space::TASK_KERNEL_PORT {
                g.task_port.as_ref().map(|r| r.port().clone())
            } else {
                g.special[which].as_ref().map(|r| r.port().clone())
            };
            c.name = match port {
                None => MACH_PORT_NULL,
                Some(p) => {
                    let r = p.new_send()?;
                    g.copyout(sid, r, d)?
                }
            };
            Ok(())
        }
        uapi::SET_SPECIAL_PORT => {
            let which = c.flavor as usize;
            if which >= g.special.len() || which == crate::space::TASK_KERNEL_PORT {
                return Err(KERN_INVALID_ARGUMENT);
            }
            let new = if name_valid(c.name) {
                match g
                    .copyin(sid, c.name, MACH_MSG_TYPE_COPY_SEND, d)
                    .map_err(|_| MACH_SEND_INVALID_RIGHT)?
                {
                    Carried::Right(r) => Some(r),
                    _ => None,
                }
            } else {
                None
            };
            if let Some(old) = core::mem::replace(&mut g.special[which], new) {
                d.right(old);
            }
            Ok(())
        }
        _ => Err(KERN_INVALID_ARGUMENT),
    }
}

/// A receive right for calls that first reject null and dead names with
/// `KERN_INVALID_RIGHT` (context, mscount, seqno, attributes).
fn receive_port_valid(g: &mut SpaceInner, name: u32, d: &mut Deferred) -> MachResult<Arc<Port>> {
    if !name_valid(name) {
        return Err(KERN_INVALID_RIGHT);
    }
    g.receive_port(name, d)
}

/// XNU's `ipc_object_translate_port_pset`: the port name is checked first.
fn port_and_set(
    g: &mut SpaceInner,
    port: u32,
    set: u32,
    d: &mut Deferred,
) -> MachResult<(Arc<Port>, Arc<PortSet>)> {
    let pi = g.lookup(port, d)?;
    let si = g.lookup(set, d)?;
    let p = match &g.table[pi].obj {
        Object::Port(p) if g.table[pi].bits & MACH_PORT_TYPE_RECEIVE != 0 => p.clone(),
        _ => return Err(KERN_INVALID_RIGHT),
    };
    let s = match &g.table[si].obj {
        Object::Set(s) => s.clone(),
        _ => return Err(KERN_INVALID_RIGHT),
    };
    Ok((p, s))
}

/// The insert_right trap's fast path: a send right made or copied onto
/// its own name.
fn insert_send_same_name(g: &mut SpaceInner, name: u32, disp: u32) -> MachResult {
    let i = g.index_of(name).ok_or(KERN_INVALID_NAME)?;
    let e = &g.table[i];
    let p = match &e.obj {
        Object::Port(p) => p.clone(),
        Object::Dead => return Err(KERN_INVALID_CAPABILITY),
        _ => return Err(KERN_INVALID_RIGHT),
    };
    let mut pg = p.inner.lock();
    if !pg.active {
        return Err(KERN_INVALID_CAPABILITY);
    }
    let e = &mut g.table[i];
    if disp == MACH_MSG_TYPE_MAKE_SEND {
        if e.bits & MACH_PORT_TYPE_RECEIVE == 0 {
            return Err(KERN_INVALID_RIGHT);
        }
        if e.bits & MACH_PORT_TYPE_SEND == 0 {
            // Counted first: a refused right makes no send count.
            pg.count_send()?;
            pg.mscount = pg.mscount.wrapping_add(1);
            e.bits |= MACH_PORT_TYPE_SEND;
            e.urefs = 1;
            return Ok(());
        }
        pg.mscount = pg.mscount.wrapping_add(1);
    } else if e.bits & MACH_PORT_TYPE_SEND == 0 {
        return Err(KERN_INVALID_RIGHT);
    }
    if e.urefs < MACH_PORT_UREFS_MAX {
        e.urefs += 1;
    }
    Ok(())
}

/// mach_port_names: every name and its type, in name order (a dead
/// port's send rights show as dead names, as after a lookup).
pub(crate) fn names_and_types(
    g: &mut SpaceInner,
    d: &mut Deferred,
) -> MachResult<(KVVec<u32>, KVVec<u32>)> {
    // Up to a million names: vmalloc-backed arrays, a scheduling point now
    // and then.
    let n = g.names().count();
    let alloc = || KVVec::with_capacity(n, GFP_KERNEL_ACCOUNT).map_err(|_| KERN_RESOURCE_SHORTAGE);
    let (mut names, mut types, mut live) = (alloc()?, alloc()?, alloc()?);
    for (i, (name, _)) in g.names().enumerate() {
        crate::ffi::resched_every(i);
        live.push_within_capacity(name)
            .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    }
    for (i, name) in live.iter().enumerate() {
        crate::ffi::resched_every(i);
        // The lookup turns a dead port's rights into a dead name.
        if let Ok(e) = g.lookup(*name, d) {
            names
                .push_within_capacity(*name)
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            types
                .push_within_capacity(entry_type(g, e))
                .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        }
    }
    Ok((names, types))
}

/// mach_port_get_set_status: the members' receive names, ascending.
pub(crate) fn set_members(
    g: &mut SpaceInner,
    sid: u64,
    name: u32,
    d: &mut Deferred,
) -> MachResult<KVec<u32>> {
    if !name_valid(name) {
        return Err(KERN_INVALID_RIGHT);
    }
    let s = g.port_set(name, d)?;
    let members = s.members().map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    let mut names = KVec::with_capacity(members.len(), GFP_KERNEL_ACCOUNT)
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    for p in members.iter() {
        if let Some((psid, n)) = p.inner.lock().receiver {
            if psid == sid {
                names
                    .push_within_capacity(n)
                    .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
            }
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// mach_port_construct with `opts` (a `mach_port_options_t`) and `context`.
pub(crate) fn construct(
    g: &mut SpaceInner,
    sid: u64,
    opts: &[u8; 24],
    context: u64,
    d: &mut Deferred,
) -> MachResult<u32> {
    let flags = u32::from_ne_bytes([opts[0], opts[1], opts[2], opts[3]]);
    let qlimit = u32::from_ne_bytes([opts[4], opts[5], opts[6], opts[7]]);
    // At most one of service/connection/tg-block-tracking, and one
    // reply-port kind (XNU's mach_port_construct).
    if (flags & 0xe00).count_ones() > 1 || (flags & 0xf000).count_ones() > 1 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    if flags & MPO_QLIMIT != 0 && qlimit > MACH_PORT_QLIMIT_MAX {
        return Err(KERN_INVALID_VALUE);
    }
    let name = allocate(g, sid, MACH_PORT_RIGHT_RECEIVE, None)?;
    let p = g.receive_port(name, d)?;
    {
        let mut pg = p.inner.lock();
        if flags & MPO_QLIMIT != 0 {
            pg.qlimit = qlimit;
        }
        pg.context = context;
        if flags & MPO_CONTEXT_AS_GUARD != 0 {
            pg.flags |= MACH_PORT_STATUS_FLAG_GUARDED;
            if flags & MPO_STRICT != 0 {
                pg.flags |= MACH_PORT_STATUS_FLAG_STRICT_GUARD;
            }
        }
    }
    if flags & MPO_INSERT_SEND_RIGHT != 0 {
        if let Carried::Right(r) = g.copyin(sid, name, MACH_MSG_TYPE_MAKE_SEND, d)? {
            g.copyout_named(sid, r, name, d)?;
        }
    }
    Ok(name)
}

/// mach_port_allocate / allocate_name.
fn allocate(g: &mut SpaceInner, sid: u64, right: u32, name: Option<u32>) -> MachResult<u32> {
    let (bits, urefs, obj) = match right {
        MACH_PORT_RIGHT_RECEIVE => {
            let p = Port::new(g.quota())?;
            (MACH_PORT_TYPE_RECEIVE, 0, Object::Port(p))
        }
        MACH_PORT_RIGHT_PORT_SET => {
            let s = PortSet::new(g.quota())?;
            (MACH_PORT_TYPE_PORT_SET, 0, Object::Set(s))
        }
        MACH_PORT_RIGHT_DEAD_NAME => (MACH_PORT_TYPE_DEAD_NAME, 1, Object::Dead),
        _ => return Err(KERN_INVALID_VALUE),
    };
    let port = match &obj {
        Object::Port(p) => Some(p.clone()),
        _ => None,
    };
    let set = match &obj {
        Object::Set(s) => Some(s.clone()),
        _ => None,
    };
    let n = match name {
        Some(n) => g.alloc_named(n, bits, urefs, obj).map(|()| n),
        None => g.alloc(bits, urefs, obj),
    };
    let n = match n {
        Ok(n) => n,
        Err(e) => {
            if let Some(s) = set {
                s.destroy();
            }
            if let Some(p) = port {
                // Never named: kill it quietly.
                drop(Right::from_counted(Kind::Receive, p));
            }
            return Err(e);
        }
    };
    if let Some(p) = port {
        if let Err(e) = g.set_port_name(&p, n) {
            let i = crate::space::name_index(n) as usize;
            // The slot held the port just made; the right is dropped below.
            drop(g.free_index(i));
            drop(Right::from_counted(Kind::Receive, p));
            return Err(e);
        }
        p.inner.lock().receiver = Some((sid, n));
    }
    Ok(n)
}

/// Attribute words of a port (`port_info` of mach_port_get_attributes).
pub(crate) type Info = [u32; 17];

/// mach_port_get_attributes on `name`: the words and the count the caller
/// gets back. `count` is the caller's capacity, in words.
pub(crate) fn attributes(
    g: &mut SpaceInner,
    name: u32,
    flavor: u32,
    count: u32,
    d: &mut Deferred,
) -> MachResult<(Info, u32)> {
    let mut w = [0u32; 17];
    // XNU's trap and MIG server both clamp the caller's count to the size
    // of `mach_port_info_t` before the routine sets the flavor's count; a
    // flavor that sets none (a dead-name-request size of a null name)
    // answers that many zeroed words.
    let count = count.min(w.len() as u32);
    let need = match flavor {
        MACH_PORT_LIMITS_INFO | MACH_PORT_DNREQUESTS_SIZE => 1,
        MACH_PORT_RECEIVE_STATUS => MACH_PORT_RECEIVE_STATUS_COUNT,
        MACH_PORT_INFO_EXT => MACH_PORT_INFO_EXT_COUNT,
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    if count < need {
        return Err(KERN_FAILURE);
    }
    if !name_valid(name) {
        return match flavor {
            MACH_PORT_LIMITS_INFO => Ok((w, 0)),
            MACH_PORT_DNREQUESTS_SIZE => Ok((w, count)),
            _ => Err(KERN_INVALID_RIGHT),
        };
    }
    let p = g.receive_port(name, d)?;
    let pg = p.inner.lock();
    match flavor {
        MACH_PORT_LIMITS_INFO => w[0] = pg.qlimit,
        MACH_PORT_DNREQUESTS_SIZE => w[0] = pg.dnrequests.len() as u32,
        _ => {
            w[0] = u32::from(!pg.sets.is_empty());
            w[1] = pg.seqno;
            w[2] = pg.mscount;
            w[3] = pg.qlimit;
            w[4] = pg.queue.len() as u32;
            w[5] = pg.sorights;
            w[6] = u32::from(pg.srights > 0);
            w[7] = u32::from(pg.pdrequest.is_some());
            w[8] = u32::from(pg.nsrequest.is_some());
            w[9] = pg.flags;
        }
    }
    Ok((w, need))
}

/// mach_port_set_attributes on `name` with `info` (the words passed).
pub(crate) fn set_attributes(
    g: &mut SpaceInner,
    name: u32,
    flavor: u32,
    info: &[u32],
    d: &mut Deferred,
) -> MachResult {
    match flavor {
        MACH_PORT_LIMITS_INFO => {
            let q = *info.first().ok_or(KERN_FAILURE)?;
            if q > MACH_PORT_QLIMIT_MAX {
                return Err(KERN_INVALID_VALUE);
            }
            let p = receive_port_valid(g, name, d)?;
            p.inner.lock().qlimit = q;
            // A larger limit lets blocked senders in.
            p.wake_senders();
            Ok(())
        }
        MACH_PORT_DNREQUESTS_SIZE => {
            if info.is_empty() {
                return Err(KERN_FAILURE);
            }
            receive_port_valid(g, name, d)?;
            Ok(())
        }
        MACH_PORT_TEMPOWNER | MACH_PORT_IMPORTANCE_RECEIVER | MACH_PORT_DENAP_RECEIVER => {
            receive_port_valid(g, name, d)?;
            Ok(())
        }
        _ => Err(KERN_INVALID_ARGUMENT),
    }
}

/// `MIG_TYPE_ERROR`: a MIG argument of the wrong type.
const MIG_TYPE_ERROR: MachError = MachError(-300);

/// mach_port_request_notification, as XNU's trap and kernel routine.
fn request_notification(
    g: &mut SpaceInner,
    sid: u64,
    c: &mut PortCall,
    d: &mut Deferred,
) -> MachResult {
    let disp = c.notify_type;
    c.notify_type = 0;
    let notify_name = c.notify;
    c.notify = MACH_PORT_NULL;
    // The trap takes only send-once dispositions; anything else goes the
    // MIG way, whose server insists on a send-once right.
    if copyin_type(disp) != MACH_MSG_TYPE_PORT_SEND_ONCE {
        return Err(MIG_TYPE_ERROR);
    }
    let notify = if notify_name == MACH_PORT_NULL {
        None
    } else if notify_name == MACH_PORT_DEAD {
        return Err(KERN_INVALID_CAPABILITY);
    } else {
        let right = match g.copyin(sid, notify_name, disp, d)? {
            Carried::Right(r) => r,
            _ => return Err(KERN_INVALID_CAPABILITY),
        };
        // The notification's buffer is reserved now, not when it fires.
        match Request::new(right, g.quota()) {
            Ok(q) => Some(q),
            Err(right) => {
                d.right(right);
                return Err(KERN_RESOURCE_SHORTAGE);
            }
        }
    };
    let mut prev: Option<Request> = None;
    let r = register(g, sid, c, d, notify, &mut prev);
    if let Some(p) = prev {
        c.notify_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
        c.notify = g.copyout(sid, p.into_right(), d).unwrap_or(MACH_PORT_DEAD);
    }
    r
}

/// Registers `notify` (or cancels with `None`); a previous request's
/// send-once right goes to `prev`. On error `notify` is released, so its
/// port gets a send-once notification, as in XNU.
/// mach_port_request_notification with a send-once right already copied
/// in (the MIG path); returns the result and the previous request's right.
pub(crate) fn request_with_right(
    g: &mut SpaceInner,
    sid: u64,
    name: u32,
    id: u32,
    sync: u32,
    notify: Option<Right>,
    d: &mut Deferred,
) -> (MachResult, Option<Right>) {
    let notify = match notify.map(|r| Request::new(r, g.quota())) {
        None => None,
        Some(Ok(q)) => Some(q),
        Some(Err(right)) => {
            d.right(right);
            return (Err(KERN_RESOURCE_SHORTAGE), None);
        }
    };
    let mut c = PortCall {
        name,
        flavor: id,
        value: u64::from(sync),
        ..PortCall::default()
    };
    let mut prev = None;
    let r = register(g, sid, &mut c, d, notify, &mut prev);
    (r, prev.map(Request::into_right))
}

fn register(
    g: &mut SpaceInner,
    sid: u64,
    c: &mut PortCall,
    d: &mut Deferred,
    notify: Option<Request>,
    prev: &mut Option<Request>,
) -> MachResult {
    let id = c.flavor as i32;
    match id {
        MACH_NOTIFY_PORT_DESTROYED => {
            if c.value != 0 {
                drop(notify);
                return Err(KERN_INVALID_VALUE);
            }
            let p = match receive_port_valid(g, c.name, d) {
                Ok(p) => p,
                Err(e) => {
                    drop(notify);
                    return Err(e);
                }
            };
            let mut pg = p.inner.lock();
            if pg.pdrequest.is_some() {
                drop(pg);
                drop(notify);
                return Err(KERN_FAILURE);
            }
            pg.pdrequest = notify;
            Ok(())
        }
        MACH_NOTIFY_NO_SENDERS => {
            let p = match receive_port_valid(g, c.name, d) {
                Ok(p) => p,
                Err(e) => {
                    drop(notify);
                    return Err(e);
                }
            };
            let sync = c.value as u32;
            let mut pg = p.inner.lock();
            *prev = pg.nsrequest.take();
            if let Some(n) = notify {
                if pg.srights == 0 && sync <= pg.mscount {
                    // No senders and armed at or below the make-send
                    // count: it fires at once.
                    let mscount = pg.mscount;
                    drop(pg);
                    n.no_senders(mscount);
                } else {
                    pg.nsrequest = Some(n);
                }
            }
            Ok(())
        }
        MACH_NOTIFY_DEAD_NAME | MACH_NOTIFY_SEND_POSSIBLE => {
            let send_possible = id == MACH_NOTIFY_SEND_POSSIBLE;
            if !name_valid(c.name) {
                drop(notify);
                return Err(KERN_INVALID_ARGUMENT);
            }
            let i = match g.lookup(c.name, d) {
                Ok(i) => i,
                Err(e) => {
                    drop(notify);
                    return Err(e);
                }
            };
            let bits = g.table[i].bits;
            if notify.is_none() && bits & MACH_PORT_TYPE_DNREQUEST == 0 {
                return Ok(());
            }
            let port = match &g.table[i].obj {
                Object::Port(p) => p.clone(),
                Object::Set(_) => {
                    drop(notify);
                    return Err(KERN_INVALID_RIGHT);
                }
                _ => {
                    // Already a dead name: a send-possible request gets
                    // the dead-name notification at once (with the uref
                    // it carries); a dead-name request is refused.
                    if let (true, Some(n)) = (send_possible, notify) {
                        let e = &mut g.table[i];
                        if e.urefs < MACH_PORT_UREFS_MAX {
                            e.urefs += 1;
                        }
                        n.dead_name(c.name);
                        return Ok(());
                    }
                    return Err(KERN_INVALID_ARGUMENT);
                }
            };
            *prev = crate::right::cancel_dnrequest(&port, sid, c.name);
            g.table[i].bits &= !MACH_PORT_TYPE_DNREQUEST;
            if let Some(n) = notify {
                let mut pg = port.inner.lock();
                // An armed send-possible request fires at once if a send
                // would not block (send-once rights never block).
                if send_possible
                    && c.value != 0
                    && (bits & MACH_PORT_TYPE_SEND_ONCE != 0
                        || pg.kobject.is_some()
                        || (pg.queue.len() as u32) + pg.reserved < pg.qlimit)
                {
                    drop(pg);
                    n.send_possible(c.name);
                    return Ok(());
                }
                if pg.dnrequests.reserve(1, GFP_KERNEL_ACCOUNT).is_err() {
                    drop(pg);
                    drop(n);
                    return Err(KERN_RESOURCE_SHORTAGE);
                }
                let pushed = pg
                    .dnrequests
                    .push_within_capacity(crate::port::DeadNameRequest {
                        space: sid,
                        name: c.name,
                        notify: n,
                        send_possible: send_possible && c.value != 0,
                    });
                if let Err(e) = pushed {
                    // Cannot happen: reserved just above.
                    drop(pg);
                    drop(e);
                    return Err(KERN_RESOURCE_SHORTAGE);
                }
                if send_possible && c.value != 0 {
                    pg.sp_armed = true;
                }
                drop(pg);
                g.table[i].bits |= MACH_PORT_TYPE_DNREQUEST;
            }
            Ok(())
        }
        _ => {
            drop(notify);
            Err(KERN_INVALID_VALUE)
        }
    }
}
