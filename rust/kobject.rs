// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Ports served by the kernel (XNU's `ipc_kobject_server`). A message sent
//! to a task port is not queued: the kernel looks its id up in [`ROUTINES`]
//! (XNU's `mig_e[]` subsystem arrays), checks the request against the
//! routine's layout, runs the routine (`mach_port.rs`) on the space the
//! port names, and answers on the request's reply port with id + 100.
//! Unknown ids get a `mig_reply_error_t` with `MIG_BAD_ID`, malformed
//! requests `MIG_BAD_ARGUMENTS`; a request without a reply port is
//! destroyed.

use core::mem::size_of;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::transmute::{AsBytes, FromBytes};

use crate::defs::*;
use crate::error::*;
use crate::exception::{Handler, EXC_TYPES_COUNT};
use crate::kmsg::{Desc, DescPayload, Kmsg, KmsgBox, Sender};
use crate::limits::Quota;
use crate::mach_port as mp;
use crate::rights::*;
use crate::space::Space;
use crate::thread::Thread;

/// Sizes of the parts of a MIG message body.
const BODY_COUNT: usize = size_of::<MsgBody>();
const PORT_DESC: usize = size_of::<PortDescriptor>();
const OOL_DESC: usize = size_of::<OolDescriptor>();
const NDR: usize = size_of::<NdrRecord>();
/// `RetCode`, after `NDR` in every simple reply.
const RET_CODE: usize = size_of::<i32>();

/// What a routine answers.
pub(crate) enum Reply {
    /// `RetCode` and, on success, the inline bytes after it.
    Simple(i32, KVec<u8>),
    /// A complex reply carrying one port right, as a port descriptor.
    Port(Carried),
    /// A complex reply with out-of-line arrays, then `NDR` and inline bytes.
    Ool(KVec<KVVec<u8>>, KVec<u8>),
    /// A complex reply with a fixed array of port descriptors (unused ones
    /// null), then `NDR` and inline bytes (MIG's layout for
    /// `task_get_exception_ports`).
    Ports(KVec<Carried>, KVec<u8>),
    /// A complex reply with one out-of-line array of send rights, then
    /// `NDR` and its count (`task_threads`).
    OolPorts(KVec<Carried>),
}

/// How a request's body looks past the message header.
#[derive(Clone, Copy)]
pub(crate) enum Layout {
    /// Simple: `NDR`, then exactly this many bytes of arguments.
    Simple(usize),
    /// Complex with one port descriptor, then `NDR` and exactly this many
    /// bytes of arguments.
    OnePort(usize),
    /// Simple: `NDR`, this many bytes of arguments, then an array sized by
    /// the arguments (the handler checks its length).
    Counted(usize),
    /// The header alone: MIG sends no `NDR` when a routine has no inline
    /// arguments (`bootstrap_parent`).
    Bare,
}

/// The shape of a routine's reply, as MIG generates it.
#[derive(Clone, Copy)]
pub(crate) enum ReplyLayout {
    /// `RetCode`, then on success this many bytes (at most).
    Simple(usize),
    /// One port descriptor.
    Port,
    /// This many out-of-line arrays, `NDR` and their counts.
    Ool(usize),
    /// `EXC_TYPES_COUNT` port descriptors, `NDR` and packed arrays.
    Ports,
    /// One out-of-line ports descriptor, `NDR` and its count.
    OolPorts,
}

/// A request's arguments, as its routine's handler gets them.
pub(crate) struct Args<'a> {
    /// The bytes after `NDR`, as long as the layout says (or longer, for
    /// [`Layout::Counted`]).
    pub(crate) inline: &'a [u8],
    /// The right of a [`Layout::OnePort`] request's descriptor, and the
    /// descriptor's disposition.
    pub(crate) port: Carried,
    pub(crate) disposition: u8,
    /// The flavor of the task port the request came to
    /// (`task_port::TASK_FLAVOR_*`; control for other objects).
    pub(crate) flavor: u32,
}

impl Args<'_> {
    /// The inline arguments as `T`. The table's layout guarantees the
    /// length; a mismatch (a bug) reads as zeroes.
    pub(crate) fn get<T: FromBytes + Default>(&self) -> T {
        self.inline
            .get(..size_of::<T>())
            .and_then(T::from_bytes_copy)
            .unwrap_or_default()
    }
}

/// One routine of a MIG subsystem (XNU's `routine_descriptor`), served
/// on the ports of kernel objects of type `T`.
pub(crate) struct Routine<T> {
    pub(crate) id: i32,
    pub(crate) request: Layout,
    pub(crate) reply: ReplyLayout,
    pub(crate) handler: fn(&T, Args<'_>) -> Reply,
}

pub(crate) const fn words<T>() -> ReplyLayout {
    ReplyLayout::Simple(size_of::<T>())
}

/// A reply of `RetCode` alone.
pub(crate) const NONE: ReplyLayout = ReplyLayout::Simple(0);
/// A reply of `RetCode` and one word.
pub(crate) const WORD: ReplyLayout = words::<MigWordReply>();

/// A row of a routine table ([`ROUTINES`], `host.rs`'s): the object type
/// the routine is served on (`<T>`, a task's [`Space`] if left out); the
/// routine's id; its request's inline arguments (`$req`, after `NDR`) and
/// the layout of the body around them; its reply's layout; and its
/// handler, written as a closure over the object, the decoded arguments
/// and the [`Args`] (for the carried port).
macro_rules! routine {
    (<$t:ty> $id:expr, $layout:ident($req:ty), $reply:expr,
     |$s:ident, $r:pat_param, $a:pat_param| $body:expr) => {
        $crate::kobject::Routine::<$t> {
            id: $id,
            request: $crate::kobject::Layout::$layout(core::mem::size_of::<$req>()),
            reply: $reply,
            handler: {
                fn handler($s: &$t, a: $crate::kobject::Args<'_>) -> $crate::kobject::Reply {
                    let $r: $req = a.get();
                    let $a = a;
                    $body
                }
                handler
            },
        }
    };
    ($id:expr, $layout:ident($req:ty), $reply:expr,
     |$s:ident, $r:pat_param, $a:pat_param| $body:expr) => {
        routine!(<Space> $id, $layout($req), $reply, |$s, $r, $a| $body)
    };
}
pub(crate) use routine;

/// The routines served on a task port (`mach_port.defs` and `task.defs`).
#[rustfmt::skip]
const ROUTINES: &[Routine<Space>] = &[
    routine!(MIG_MACH_PORT_NAMES, Simple(MigNoArgs), ReplyLayout::Ool(2),
        |s, _, _| names(s)),
    routine!(MIG_MACH_PORT_TYPE, Simple(MigNameRequest), WORD,
        |s, r, _| word_reply(mp::port_type(s, r.name))),
    routine!(MIG_MACH_PORT_ALLOCATE_NAME, Simple(MigAllocateNameRequest), NONE,
        |s, r, _| done(mp::allocate_name(s, r.right, r.name))),
    routine!(MIG_MACH_PORT_ALLOCATE, Simple(MigAllocateRequest), WORD,
        |s, r, _| word_reply(mp::allocate(s, r.right))),
    routine!(MIG_MACH_PORT_DESTROY, Simple(MigNameRequest), NONE,
        |s, r, _| done(mp::destroy(s, r.name))),
    routine!(MIG_MACH_PORT_DEALLOCATE, Simple(MigNameRequest), NONE,
        |s, r, _| done(mp::deallocate(s, r.name))),
    routine!(MIG_MACH_PORT_GET_REFS, Simple(MigGetRefsRequest), WORD,
        |s, r, _| word_reply(mp::get_refs(s, r.name, r.right))),
    routine!(MIG_MACH_PORT_MOD_REFS, Simple(MigModRefsRequest), NONE,
        |s, r, _| done(mp::mod_refs(s, r.name, r.right, r.delta))),
    routine!(MIG_MACH_PORT_SET_MSCOUNT, Simple(MigNameValueRequest), NONE,
        |s, r, _| done(mp::set_mscount(s, r.name, r.value))),
    routine!(MIG_MACH_PORT_GET_SET_STATUS, Simple(MigNameRequest), ReplyLayout::Ool(1),
        |s, r, _| get_set_status(s, r.name)),
    routine!(MIG_MACH_PORT_MOVE_MEMBER, Simple(MigMemberRequest), NONE,
        |s, r, _| done(mp::move_member(s, r.member, r.pset))),
    routine!(MIG_MACH_PORT_REQUEST_NOTIFICATION, OnePort(MigRequestNotificationRequest), ReplyLayout::Port,
        |s, r, a| request_notification(s, r, a)),
    routine!(MIG_MACH_PORT_INSERT_RIGHT, OnePort(MigInsertRightRequest), NONE,
        |s, r, a| done(mp::insert_carried(s, r.name, a.port))),
    routine!(MIG_MACH_PORT_EXTRACT_RIGHT, Simple(MigExtractRightRequest), ReplyLayout::Port,
        |s, r, _| port_reply(mp::extract_carried(s, r.name, r.msgt))),
    routine!(MIG_MACH_PORT_SET_SEQNO, Simple(MigNameValueRequest), NONE,
        |s, r, _| done(mp::set_seqno(s, r.name, r.value))),
    routine!(MIG_MACH_PORT_GET_ATTRIBUTES, Simple(MigGetAttributesRequest), words::<MigAttributesReply>(),
        |s, r, _| get_attributes(s, r)),
    routine!(MIG_MACH_PORT_SET_ATTRIBUTES, Counted(MigSetAttributesRequest), NONE,
        |s, r, a| set_attributes(s, r, a.inline)),
    routine!(MIG_MACH_PORT_GET_SRIGHTS, Simple(MigNameRequest), WORD,
        |s, r, _| word_reply(mp::get_srights(s, r.name))),
    routine!(MIG_MACH_PORT_INSERT_MEMBER, Simple(MigMemberRequest), NONE,
        |s, r, _| done(mp::insert_member(s, r.member, r.pset))),
    routine!(MIG_MACH_PORT_EXTRACT_MEMBER, Simple(MigMemberRequest), NONE,
        |s, r, _| done(mp::extract_member(s, r.member, r.pset))),
    routine!(MIG_MACH_PORT_GET_CONTEXT, Simple(MigNameRequest), words::<MigContextReply>(),
        |s, r, _| match mp::get_context(s, r.name) {
            Ok(context) => bytes_reply(AsBytes::as_bytes(&MigContextReply { context })),
            Err(e) => error(e),
        }),
    routine!(MIG_MACH_PORT_SET_CONTEXT, Simple(MigContextRequest), NONE,
        |s, r, _| done(mp::set_context(s, r.name, r.context))),
    routine!(MIG_MACH_PORT_CONSTRUCT, Simple(MigConstructRequest), WORD,
        |s, r, _| word_reply(mp::construct(s, &{ r.options }, r.context))),
    routine!(MIG_MACH_PORT_DESTRUCT, Simple(MigDestructRequest), NONE,
        |s, r, _| done(mp::destruct(s, r.name, r.srdelta, r.guard))),
    routine!(MIG_MACH_PORT_SPACE_INFO, Simple(MigNoArgs), ReplyLayout::Ool(2),
        |s, _, _| space_info(s)),
    routine!(MIG_MACH_PORT_KOBJECT, Simple(MigNameRequest), words::<MigKobjectReply>(),
        |s, r, _| match crate::port_info::kobject(s, r.name) {
            Ok((object_type, object_addr)) => bytes_reply(AsBytes::as_bytes(&MigKobjectReply {
                object_type,
                object_addr,
            })),
            Err(e) => error(e),
        }),
    routine!(MIG_MACH_PORT_GUARD, Simple(MigGuardRequest), NONE,
        |s, r, _| done(mp::guard(s, r.name, r.guard, u64::from(r.strict != 0)))),
    routine!(MIG_MACH_PORT_UNGUARD, Simple(MigContextRequest), NONE,
        |s, r, _| done(mp::unguard(s, r.name, r.context))),
    routine!(MIG_MACH_PORT_GUARD_WITH_FLAGS, Simple(MigGuardFlagsRequest), NONE,
        |s, r, _| done(mp::guard(s, r.name, r.guard, r.flags))),
    routine!(MIG_MACH_PORT_SWAP_GUARD, Simple(MigSwapGuardRequest), NONE,
        |s, r, _| done(mp::swap_guard(s, r.name, r.old, r.new))),
    // As XNU's `task_threads_from_user`: thread ports of the flavor of the
    // task port the request came to.
    routine!(MIG_TASK_THREADS, Simple(MigNoArgs), ReplyLayout::OolPorts,
        |s, _, a| match crate::thread::task_threads(s, thread_flavor_of_task(a.flavor)) {
            Ok(rights) => Reply::OolPorts(rights),
            Err(e) => error(e),
        }),
    routine!(MIG_TASK_INFO, Simple(MigTaskInfoRequest), words::<MigTaskInfoReply>(),
        |s, r, _| task_info(s, r)),
    routine!(MIG_TASK_GET_SPECIAL_PORT, Simple(MigSpecialPortRequest), ReplyLayout::Port,
        |s, r, a| port_reply(mp::special_port(s, r.which, a.flavor).map(carried))),
    routine!(MIG_TASK_SET_SPECIAL_PORT, OnePort(MigSpecialPortRequest), NONE,
        |s, r, a| done(mp::set_special_right(s, r.which, mp::send_right(a.port)))),
    routine!(MIG_TASK_SET_EXCEPTION_PORTS, OnePort(MigSetExceptionPortsRequest), NONE,
        |s, r, a| set_exception_ports(s, r, a.port, false)),
    routine!(MIG_TASK_GET_EXCEPTION_PORTS, Simple(MigExceptionMaskRequest), ReplyLayout::Ports,
        |s, r, _| handlers_reply(mp::exception_handlers(s, r.mask))),
    routine!(MIG_TASK_SWAP_EXCEPTION_PORTS, OnePort(MigSetExceptionPortsRequest), ReplyLayout::Ports,
        |s, r, a| set_exception_ports(s, r, a.port, true)),
    routine!(MIG_TASK_CREATE_IDENTITY_TOKEN, Simple(MigNoArgs), ReplyLayout::Port,
        |s, _, _| port_reply(crate::task_ident::create(s))),
    routine!(MIG_MACH_TASK_IS_SELF, Simple(MigNoArgs), WORD,
        |s, _, _| word_reply(Ok(u32::from(crate::task::is_caller(s))))),
    routine!(MIG_TASK_GET_EXCEPTION_PORTS_INFO, Simple(MigExceptionMaskRequest),
        ReplyLayout::Simple(size_of::<u32>() * crate::port_info::EXC_INFO_MAX_WORDS),
        |s, r, _| match crate::port_info::exception_ports_info(s, r.mask) {
            Ok(w) => bytes_reply(AsBytes::as_bytes(&w[..])),
            Err(e) => error(e),
        }),
    routine!(MIG_TASK_GET_EXC_GUARD_BEHAVIOR, Simple(MigNoArgs), WORD,
        |s, _, _| word_reply(Ok(crate::exc_guard::get(s)))),
    routine!(MIG_TASK_SET_EXC_GUARD_BEHAVIOR, Simple(MigExcGuardRequest), NONE,
        |s, r, _| done(crate::exc_guard::set(s, r.behavior))),
];

/// The routines served on a thread port (`thread_act.defs`), on each
/// flavor of it its MIG type accepts ([`thread_allows`]). A thread's
/// exception ports are libmach's (see README.md), not served here.
#[rustfmt::skip]
const THREAD_ROUTINES: &[Routine<Thread>] = &[
    routine!(<Thread> MIG_THREAD_GET_SPECIAL_PORT, Simple(MigSpecialPortRequest), ReplyLayout::Port,
        |t, r, a| port_reply(thread_special_port(t, r.which, a.flavor))),
    routine!(<Thread> MIG_THREAD_INFO, Simple(MigTaskInfoRequest), words::<MigThreadInfoReply>(),
        |t, r, _| match crate::thread_info::thread_info(t, r.flavor, r.count) {
            Ok(i) => {
                let reply = MigThreadInfoReply { count: i.count, info: i.words };
                // Only `count` words of `info` are sent.
                let n = size_of::<u32>() * (1 + i.count as usize);
                bytes_reply(&AsBytes::as_bytes(&reply)[..n])
            }
            Err(e) => error(e),
        }),
];

// ---- Handlers too long for a table row ----

/// `thread_get_special_port` on a thread port of `flavor`:
/// `THREAD_KERNEL_PORT`, `THREAD_READ_PORT` and `THREAD_INSPECT_PORT` are
/// the thread's ports of those flavors; another number is
/// `KERN_INVALID_ARGUMENT`. As XNU's
/// (`special_port_allowed_with_thread_flavor`), a read port reaches only
/// the read and inspect ports and an inspect port only the inspect port,
/// anything else (an unknown number too) `KERN_INVALID_CAPABILITY`; that
/// is judged first. A thread that has exited is `KERN_FAILURE`, as XNU's
/// for an inactive thread.
fn thread_special_port(t: &Thread, which: u32, flavor: u32) -> MachResult<Carried> {
    use crate::thread::*;
    const THREAD_KERNEL_PORT: u32 = 1;
    const THREAD_INSPECT_PORT: u32 = 2;
    const THREAD_READ_PORT: u32 = 3;
    let allowed = match flavor {
        THREAD_FLAVOR_CONTROL => true,
        THREAD_FLAVOR_READ => matches!(which, THREAD_READ_PORT | THREAD_INSPECT_PORT),
        _ => which == THREAD_INSPECT_PORT,
    };
    if !allowed {
        return Err(KERN_INVALID_CAPABILITY);
    }
    if t.reap_if_gone() {
        return Err(KERN_FAILURE);
    }
    let wanted = match which {
        THREAD_KERNEL_PORT => THREAD_FLAVOR_CONTROL,
        THREAD_READ_PORT => THREAD_FLAVOR_READ,
        THREAD_INSPECT_PORT => THREAD_FLAVOR_INSPECT,
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    Ok(Carried::Right(t.port_of(wanted)?.make_send()?))
}

/// The flavor of the thread ports `task_threads` answers on a task port of
/// `flavor` (XNU's `task_threads_from_user`); a name port never gets
/// there ([`task_access`]).
fn thread_flavor_of_task(flavor: u32) -> u32 {
    use crate::task_port::*;
    use crate::thread::*;
    match flavor {
        TASK_FLAVOR_CONTROL => THREAD_FLAVOR_CONTROL,
        TASK_FLAVOR_READ => THREAD_FLAVOR_READ,
        _ => THREAD_FLAVOR_INSPECT,
    }
}

/// Whether a thread port of `flavor` may run routine `id`, by the MIG
/// type of its thread argument: `thread_inspect_t` (`thread_info`,
/// `thread_get_special_port`) takes any flavor; any other routine would
/// take the control port only, and get from MIG's conversion the null
/// thread, which XNU's routines answer `KERN_INVALID_ARGUMENT`.
fn thread_allows(id: i32, flavor: u32) -> MachResult {
    use crate::thread::*;
    let weakest = match id {
        MIG_THREAD_INFO | MIG_THREAD_GET_SPECIAL_PORT => THREAD_FLAVOR_INSPECT,
        _ => THREAD_FLAVOR_CONTROL,
    };
    if flavor <= weakest {
        Ok(())
    } else {
        Err(KERN_INVALID_ARGUMENT)
    }
}

fn names(space: &Space) -> Reply {
    match mp::names(space) {
        Ok((names, types)) => {
            let n = names.len() as u32;
            ool_reply(&[&names, &types], &[n, n]).unwrap_or_else(shortage)
        }
        Err(e) => error(e),
    }
}

/// `mach_port_space_info`: the table and an empty tree out of line, then
/// `ipc_info_space_t` (generation mask, table size, four unused words)
/// and the two counts.
fn space_info(space: &Space) -> Reply {
    match crate::port_info::space_info(space) {
        Ok((table, n)) => {
            let inline = [0xff, n, 0, 0, 0, 0, n, 0];
            ool_reply(&[&table, &[]], &inline).unwrap_or_else(shortage)
        }
        Err(e) => error(e),
    }
}

fn get_set_status(space: &Space, name: u32) -> Reply {
    match mp::get_set_status(space, name) {
        Ok(names) => ool_reply(&[&names], &[names.len() as u32]).unwrap_or_else(shortage),
        Err(e) => error(e),
    }
}

fn request_notification(space: &Space, r: MigRequestNotificationRequest, a: Args<'_>) -> Reply {
    // MIG's server checks the notify right's type: send-once only.
    if u32::from(a.disposition) != MACH_MSG_TYPE_PORT_SEND_ONCE {
        return error(MachError(MIG_TYPE_ERROR));
    }
    let notify = match a.port {
        Carried::Right(r) => Some(r),
        Carried::Dead => return error(KERN_INVALID_CAPABILITY),
        Carried::Null => None,
    };
    match mp::request_notification_right(space, r.name, r.msgid as i32, r.sync.into(), notify) {
        (Ok(()), prev) => Reply::Port(carried(prev)),
        (Err(e), prev) => {
            drop(prev);
            error(e)
        }
    }
}

fn get_attributes(space: &Space, r: MigGetAttributesRequest) -> Reply {
    match mp::get_attributes(space, r.name, r.flavor, r.count) {
        Ok((info, count)) => {
            let reply = MigAttributesReply { count, info };
            // Only `count` words of `info` are sent.
            let n = size_of::<u32>() * (1 + count as usize);
            bytes_reply(&AsBytes::as_bytes(&reply)[..n])
        }
        Err(e) => error(e),
    }
}

fn task_info(space: &Space, r: MigTaskInfoRequest) -> Reply {
    match crate::task_info::task_info(space, r.flavor, r.count) {
        Ok(i) => {
            let reply = MigTaskInfoReply {
                count: i.count,
                info: i.words,
            };
            // Only `count` words of `info` are sent.
            let n = size_of::<u32>() * (1 + i.count as usize);
            bytes_reply(&AsBytes::as_bytes(&reply)[..n])
        }
        Err(e) => error(e),
    }
}

fn set_attributes(space: &Space, r: MigSetAttributesRequest, inline: &[u8]) -> Reply {
    let array = &inline[size_of::<MigSetAttributesRequest>()..];
    let count = r.count as usize;
    let mut info = [0u32; 17];
    if count > info.len() || array.len() != count * size_of::<u32>() {
        return error(MachError(MIG_BAD_ARGUMENTS));
    }
    AsBytes::as_bytes_mut(&mut info[..count]).copy_from_slice(array);
    done(mp::set_attributes(space, r.name, r.flavor, &info[..count]))
}

/// task_set_exception_ports, and with `swap` task_swap_exception_ports.
fn set_exception_ports(
    space: &Space,
    r: MigSetExceptionPortsRequest,
    port: Carried,
    swap: bool,
) -> Reply {
    let port = mp::send_right(port);
    match mp::swap_exception_ports(space, r.mask, port, r.behavior, r.flavor, swap) {
        Ok(Some(h)) => handlers_reply(Ok(h)),
        Ok(None) => done(Ok(())),
        Err(e) => error(e),
    }
}

// ---- Reply helpers ----

pub(crate) fn error(e: MachError) -> Reply {
    Reply::Simple(e.code(), KVec::new())
}

fn shortage() -> Reply {
    error(KERN_RESOURCE_SHORTAGE)
}

/// A reply with just `RetCode`.
pub(crate) fn done(r: MachResult) -> Reply {
    Reply::Simple(to_code(r), KVec::new())
}

/// A successful simple reply with `bytes` after `RetCode`.
pub(crate) fn bytes_reply(bytes: &[u8]) -> Reply {
    let mut v = KVec::new();
    match v.extend_from_slice(bytes, GFP_KERNEL_ACCOUNT) {
        Ok(()) => Reply::Simple(0, v),
        Err(_) => shortage(),
    }
}

/// A right to carry, or a null descriptor.
pub(crate) fn carried(r: Option<Right>) -> Carried {
    r.map_or(Carried::Null, Carried::Right)
}

/// A reply carrying one right (or none), or the routine's error.
pub(crate) fn port_reply(r: MachResult<Carried>) -> Reply {
    match r {
        Ok(c) => Reply::Port(c),
        Err(e) => error(e),
    }
}

/// A reply with one word after `RetCode`, or the routine's error.
pub(crate) fn word_reply(r: MachResult<u32>) -> Reply {
    match r {
        Ok(value) => bytes_reply(AsBytes::as_bytes(&MigWordReply { value })),
        Err(e) => error(e),
    }
}

/// MIG's reply of task_get/swap_exception_ports: `EXC_TYPES_COUNT` port
/// descriptors, then `NDR`, the count and the three arrays packed.
fn handlers_reply(h: MachResult<KVec<Handler>>) -> Reply {
    let h = match h {
        Ok(h) => h,
        Err(e) => return error(e),
    };
    let n = h.len();
    // count, then masks, behaviors and flavors, `n` words each.
    let mut words = [0u32; 1 + 3 * EXC_TYPES_COUNT];
    words[0] = n as u32;
    let mut ports = match KVec::with_capacity(EXC_TYPES_COUNT, GFP_KERNEL_ACCOUNT) {
        Ok(v) => v,
        Err(_) => return shortage(),
    };
    for (i, x) in h.into_iter().enumerate() {
        words[1 + i] = x.mask;
        words[1 + n + i] = x.behavior;
        words[1 + 2 * n + i] = x.flavor;
        // Cannot fail (capacity for every type); a right that did not
        // fit would be released with the error.
        if ports.push_within_capacity(carried(x.port)).is_err() {
            return shortage();
        }
    }
    while ports.len() < EXC_TYPES_COUNT {
        if ports.push_within_capacity(Carried::Null).is_err() {
            return shortage();
        }
    }
    match copy_bytes(AsBytes::as_bytes(&words[..1 + 3 * n])) {
        Some(inline) => Reply::Ports(ports, inline),
        None => shortage(),
    }
}

fn copy_bytes(b: &[u8]) -> Option<KVec<u8>> {
    let mut v = KVec::new();
    v.extend_from_slice(b, GFP_KERNEL_ACCOUNT).ok()?;
    Some(v)
}

/// A reply with `arrays` of names out of line and `inline` words; `None`
/// when memory runs out.
fn ool_reply(arrays: &[&[u32]], inline: &[u32]) -> Option<Reply> {
    let mut regions = KVec::with_capacity(arrays.len(), GFP_KERNEL_ACCOUNT).ok()?;
    for a in arrays {
        let mut b = KVVec::with_capacity(a.len() * 4, GFP_KERNEL_ACCOUNT).ok()?;
        b.extend_from_slice(AsBytes::as_bytes(*a), GFP_KERNEL_ACCOUNT)
            .ok()?;
        regions.push_within_capacity(b).ok()?;
    }
    Some(Reply::Ool(regions, copy_bytes(AsBytes::as_bytes(inline))?))
}

// ---- Serving a request ----

/// A task's space is the kernel object behind its task port.
impl crate::port::KernelObject for Space {
    fn serve(&self, request: KmsgBox) {
        serve(self, request);
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// The weakest task port flavor routine `id` accepts, by its MIG type
/// (`ipc_space_t` and `task_t`: the control port; `ipc_space_read_t`,
/// `task_read_t`: also the read port; `task_inspect_t`: also the inspect
/// port; `task_name_t`: any), and its answer to a weaker port, the
/// routine's answer to the null task or space that MIG's conversion
/// gives it.
fn task_access(id: i32) -> (u32, MachError) {
    use crate::task_port::*;
    match id {
        MIG_TASK_INFO | MIG_MACH_TASK_IS_SELF => (TASK_FLAVOR_NAME, KERN_INVALID_ARGUMENT),
        MIG_TASK_GET_SPECIAL_PORT | MIG_TASK_THREADS => {
            (TASK_FLAVOR_INSPECT, KERN_INVALID_ARGUMENT)
        }
        MIG_TASK_GET_EXC_GUARD_BEHAVIOR => (TASK_FLAVOR_INSPECT, KERN_INVALID_TASK),
        MIG_MACH_PORT_GET_SET_STATUS
        | MIG_MACH_PORT_GET_ATTRIBUTES
        | MIG_MACH_PORT_SPACE_INFO
        | MIG_MACH_PORT_GET_CONTEXT
        | MIG_MACH_PORT_KOBJECT
        | MIG_TASK_GET_EXCEPTION_PORTS_INFO => (TASK_FLAVOR_READ, KERN_INVALID_ARGUMENT),
        MIG_TASK_SET_EXC_GUARD_BEHAVIOR => (TASK_FLAVOR_CONTROL, KERN_INVALID_TASK),
        3200..=3299 => (TASK_FLAVOR_CONTROL, KERN_INVALID_TASK),
        _ => (TASK_FLAVOR_CONTROL, KERN_INVALID_ARGUMENT),
    }
}

/// Whether a task port of `flavor` may run routine `id` (see
/// [`task_access`]).
fn task_allows(id: i32, flavor: u32) -> MachResult {
    let (weakest, refusal) = task_access(id);
    if flavor <= weakest {
        Ok(())
    } else {
        Err(refusal)
    }
}

/// Serves one request sent to the task (control) port of `space`.
pub(crate) fn serve(space: &Space, req: KmsgBox) {
    serve_task(space, crate::task_port::TASK_FLAVOR_CONTROL, req);
}

/// Serves one request sent to the task port of `flavor` of `space`.
pub(crate) fn serve_task(space: &Space, flavor: u32, req: KmsgBox) {
    serve_request(req, |req| {
        // A task port whose task has exec'd (or exited) since the space was
        // opened serves no one else: XNU disables it (`ipc_task_reset`),
        // and its MIG routines then see a null task.
        match crate::task::hold_image(space, &req.sender) {
            Some(image) => {
                let r = dispatch(space, ROUTINES, req, flavor, task_allows);
                drop(image);
                r
            }
            None => error(KERN_INVALID_TASK),
        }
    })
}

/// Serves one request to a kernel object's port: `run` answers it (see
/// [`dispatch`]), and the answer goes to the request's reply port.
pub(crate) fn serve_request(mut req: KmsgBox, run: impl FnOnce(&mut Kmsg) -> Reply) {
    let reply_to = core::mem::replace(&mut req.reply, Carried::Null);
    let id = req.id;
    let reply = run(&mut req);
    // The request and every right it still carries are released here.
    drop(req);
    answer(reply_to, id, reply);
}

/// Serves one request sent to the port of `flavor` of `thread`, with the
/// thread held at the port's program image (`thread.rs`): a thread gone
/// (exited, or exec'd since) is found so by its routines, which answer as
/// XNU's for an inactive thread.
pub(crate) fn serve_thread(thread: &Thread, flavor: u32, req: KmsgBox) {
    serve_request(req, |req| {
        let image = thread.hold_image();
        if image.is_none() && !thread.reap_if_gone() {
            // Not gone: the wait for the image was interrupted (a fatal
            // signal for the sender).
            return error(KERN_ABORTED);
        }
        let r = dispatch(thread, THREAD_ROUTINES, req, flavor, thread_allows);
        drop(image);
        r
    });
}

/// Sends `reply` to request `id`'s reply right (if it had one).
fn answer(reply_to: Carried, id: i32, reply: Reply) {
    let dest = match reply_to {
        Carried::Right(r) => r,
        _ => return,
    };
    // The reply is charged to the account of the port it goes to, as every
    // message the kernel makes without a reserved buffer. A reply that
    // does not fit (a long `task_threads` list on a full account) is
    // answered `KERN_RESOURCE_SHORTAGE`; its rights were released.
    let quota = dest.port().quota().clone();
    let mut k = match build(reply, &quota).or_else(|| build(shortage(), &quota)) {
        Some(k) => k,
        None => return,
    };
    k.bits |= dest.kind().msg_type();
    k.id = id.wrapping_add(MIG_REPLY_ID_OFFSET);
    k.dest = Some(dest);
    crate::mach_msg::send_from_kernel(k);
}

/// Serves a request sent to a kernel object that has no routines (a
/// fileport): every id is unknown, answered with `MIG_BAD_ID`.
pub(crate) fn serve_unknown(req: KmsgBox) {
    serve_request(req, |_| error(MachError(MIG_BAD_ID)));
}

/// Finds the request's routine in `table`, checks its layout, then asks
/// `allows` whether a port of `flavor` may run it (MIG's conversion of the
/// object argument, which XNU's server stubs run after their layout
/// checks), and runs it on `obj`.
pub(crate) fn dispatch<T>(
    obj: &T,
    table: &[Routine<T>],
    req: &mut Kmsg,
    flavor: u32,
    allows: fn(i32, u32) -> MachResult,
) -> Reply {
    let routine = match table.iter().find(|r| r.id == req.id) {
        Some(r) => r,
        None => return error(MachError(MIG_BAD_ID)),
    };
    let (inline_at, disposition) = match check(req, routine.request) {
        Some(x) => x,
        None => return error(MachError(MIG_BAD_ARGUMENTS)),
    };
    // A refused request is released with the rights it carries.
    if let Err(e) = allows(routine.id, flavor) {
        return error(e);
    }
    let port = match routine.request {
        Layout::OnePort(_) => take_port(req),
        _ => Carried::Null,
    };
    let args = Args {
        inline: &req.body[inline_at..],
        port,
        disposition,
        flavor,
    };
    let reply = (routine.handler)(obj, args);
    debug_assert!(fits(&reply, routine.reply));
    reply
}

/// Whether `reply` has the shape the table gives its routine.
fn fits(reply: &Reply, layout: ReplyLayout) -> bool {
    match (reply, layout) {
        (Reply::Simple(_, b), ReplyLayout::Simple(n)) => b.len() <= n,
        (Reply::Simple(_, b), _) => b.is_empty(),
        (Reply::Port(_), ReplyLayout::Port) => true,
        (Reply::Ool(r, _), ReplyLayout::Ool(n)) => r.len() == n,
        (Reply::Ports(..), ReplyLayout::Ports) => true,
        (Reply::OolPorts(_), ReplyLayout::OolPorts) => true,
        _ => false,
    }
}

/// Checks `req` against `layout`: where its inline arguments start, and
/// the disposition of its port descriptor (0 if none).
pub(crate) fn check(req: &Kmsg, layout: Layout) -> Option<(usize, u8)> {
    let complex = req.bits & MACH_MSGH_BITS_COMPLEX != 0;
    let len = req.body.len();
    match layout {
        Layout::Simple(n) => (!complex && len == NDR + n).then_some((NDR, 0)),
        Layout::Counted(n) => (!complex && len >= NDR + n).then_some((NDR, 0)),
        Layout::Bare => (!complex && len == 0).then_some((0, 0)),
        Layout::OnePort(n) => {
            let at = BODY_COUNT + PORT_DESC + NDR;
            if !complex || len != at + n {
                return None;
            }
            let count: MsgBody = read_at(&req.body, 0)?;
            let desc: PortDescriptor = read_at(&req.body, BODY_COUNT)?;
            if count.descriptor_count != 1 || desc.type_ != MACH_MSG_PORT_DESCRIPTOR {
                return None;
            }
            Some((at, desc.disposition))
        }
    }
}

/// Takes the right of the request's first port descriptor.
pub(crate) fn take_port(req: &mut Kmsg) -> Carried {
    for d in req.descs.iter_mut() {
        if let DescPayload::Port(c) = &mut d.payload {
            return core::mem::replace(c, Carried::Null);
        }
    }
    Carried::Null
}

// ---- Building the reply message ----

/// The reply message for `reply`, charged to `quota`; `None` if memory
/// runs out (the reply is then lost, as XNU drops it).
fn build(reply: Reply, quota: &Arc<Quota>) -> Option<KmsgBox> {
    match reply {
        Reply::Simple(code, outs) => {
            let n = if code == 0 { outs.len() } else { 0 };
            let mut k = Kmsg::new_charged(NDR + RET_CODE + n, Sender::kernel(), quota)?;
            k.set_body_at(0, &NDR_RECORD);
            k.set_body_at(NDR, &code);
            k.body[NDR + RET_CODE..].copy_from_slice(&outs[..n]);
            k.bits = 0;
            Some(k)
        }
        Reply::Ool(regions, inline) => build_ool(regions, inline, quota),
        Reply::OolPorts(rights) => build_ool_ports(rights, quota),
        Reply::Ports(ports, inline) => build_ports(ports, MACH_MSG_TYPE_PORT_SEND, inline, quota),
        Reply::Port(c) => {
            let t = match &c {
                Carried::Right(r) => r.kind().msg_type(),
                _ => MACH_MSG_TYPE_PORT_SEND,
            };
            let mut ports = KVec::with_capacity(1, GFP_KERNEL_ACCOUNT).ok()?;
            ports.push_within_capacity(c).ok()?;
            build_ports(ports, t, KVec::new(), quota)
        }
    }
}

/// A complex reply with `ports` in port descriptors of type `t`, then,
/// if `inline` is not empty, `NDR` and `inline`.
fn build_ports(
    ports: KVec<Carried>,
    t: u32,
    inline: KVec<u8>,
    quota: &Arc<Quota>,
) -> Option<KmsgBox> {
    let descs_end = BODY_COUNT + ports.len() * PORT_DESC;
    let tail = if inline.is_empty() {
        0
    } else {
        NDR + inline.len()
    };
    let mut k = Kmsg::new_charged(descs_end + tail, Sender::kernel(), quota)?;
    let count = MsgBody {
        descriptor_count: ports.len() as u32,
    };
    k.set_body_at(0, &count);
    for (i, c) in ports.into_iter().enumerate() {
        let off = BODY_COUNT + i * PORT_DESC;
        k.set_body_at(off, &PortDescriptor::of_type(t));
        let d = Desc {
            offset: off,
            payload: DescPayload::Port(c),
        };
        k.descs.push(d, GFP_KERNEL_ACCOUNT).ok()?;
    }
    if tail != 0 {
        k.set_body_at(descs_end, &NDR_RECORD);
        k.body[descs_end + NDR..].copy_from_slice(&inline);
    }
    k.bits = MACH_MSGH_BITS_COMPLEX;
    Some(k)
}

/// A complex reply with `rights` (send rights) in one out-of-line ports
/// descriptor, then `NDR` and their count, as MIG's `task_threads` reply:
/// the receiver gets them moved (`MACH_MSG_TYPE_PORT_SEND`), in a fresh
/// region marked `deallocate`. The rights travel as the descriptor's
/// payload from the moment the message exists, so every failure path
/// drops each of them exactly once.
fn build_ool_ports(rights: KVec<Carried>, quota: &Arc<Quota>) -> Option<KmsgBox> {
    let n = rights.len();
    let descs_end = BODY_COUNT + OOL_DESC;
    let mut k = Kmsg::new_charged(descs_end + NDR + size_of::<u32>(), Sender::kernel(), quota)?;
    let held = size_of::<Desc>() + n.checked_mul(size_of::<Carried>())?;
    if !k.charge.as_mut().is_some_and(|c| c.add(held)) {
        return None;
    }
    k.set_body_at(
        0,
        &MsgBody {
            descriptor_count: 1,
        },
    );
    let desc = OolPortsDescriptor {
        deallocate: 1,
        copy: MACH_MSG_VIRTUAL_COPY,
        disposition: MACH_MSG_TYPE_PORT_SEND as u8,
        type_: MACH_MSG_OOL_PORTS_DESCRIPTOR,
        count: n as u32,
        ..Default::default()
    };
    k.set_body_at(BODY_COUNT, &desc);
    let d = Desc {
        offset: BODY_COUNT,
        payload: DescPayload::OolPorts(rights),
    };
    k.descs.push(d, GFP_KERNEL_ACCOUNT).ok()?;
    k.set_body_at(descs_end, &NDR_RECORD);
    k.set_body_at(descs_end + NDR, &(n as u32));
    k.bits = MACH_MSGH_BITS_COMPLEX;
    Some(k)
}

/// A complex reply with `regions` out of line, then `NDR` and `inline`.
fn build_ool(regions: KVec<KVVec<u8>>, inline: KVec<u8>, quota: &Arc<Quota>) -> Option<KmsgBox> {
    let n = regions.len();
    let descs_end = BODY_COUNT + n * OOL_DESC;
    let mut k = Kmsg::new_charged(descs_end + NDR + inline.len(), Sender::kernel(), quota)?;
    k.set_body_at(
        0,
        &MsgBody {
            descriptor_count: n as u32,
        },
    );
    for (i, data) in regions.into_iter().enumerate() {
        let off = BODY_COUNT + i * OOL_DESC;
        let held = size_of::<Desc>() + data.len();
        if !k.charge.as_mut().is_some_and(|c| c.add(held)) {
            return None;
        }
        let desc = OolDescriptor {
            copy: MACH_MSG_VIRTUAL_COPY,
            type_: MACH_MSG_OOL_DESCRIPTOR,
            size: data.len() as u32,
            ..Default::default()
        };
        k.set_body_at(off, &desc);
        let d = Desc {
            offset: off,
            payload: DescPayload::Ool(crate::ool::Region::from_bytes(data)),
        };
        k.descs.push(d, GFP_KERNEL_ACCOUNT).ok()?;
    }
    k.set_body_at(descs_end, &NDR_RECORD);
    k.body[descs_end + NDR..].copy_from_slice(&inline);
    k.bits = MACH_MSGH_BITS_COMPLEX;
    Some(k)
}
