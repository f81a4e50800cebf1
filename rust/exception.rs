// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Exception ports of a task (`task_set/get/swap_exception_ports`): for
//! each exception type, a send right, a behavior and a thread-state
//! flavor, with XNU's validation and XNU's coalescing on get.
//!
//! Raising ([`raise`]): Linux offers a module no hook into fault delivery,
//! so a fault reaches libmach's signal handler first, which asks the
//! module to raise it. The module raises only a fault the kernel saw the
//! calling thread take (`ffi::take_fault`), once, with the type and codes
//! of the kernel's record, and sends the request as the kernel
//! (`KERNEL_SECURITY_TOKEN`, audit pid 0), so an exception server can tell
//! it from an `exception_raise` any holder of a send right can forge.
//! libmach waits for the reply (see README.md).

use core::mem::{offset_of, size_of};
use kernel::prelude::*;
use kernel::uaccess::{UserPtr, UserSlice};

use crate::defs::*;
use crate::error::*;
use crate::ffi::Fault;
use crate::kmsg::{Kmsg, KmsgBox, Sender};
use crate::right::Deferred;
use crate::rights::*;
use crate::space::{Space, SpaceInner};

pub(crate) use crate::defs::{EXC_MASK_VALID, EXC_TYPES_COUNT};

/// The first exception type (type 0 is none).
const FIRST_EXCEPTION: usize = 1;

/// One exception type's handler.
#[derive(Default)]
pub(crate) struct ExcPort {
    pub(crate) port: Option<Right>,
    pub(crate) behavior: u32,
    pub(crate) flavor: u32,
}

fn valid_flavor(f: u32) -> bool {
    // 0, and x86's thread-state flavors (mach/i386/thread_status.h's
    // VALID_THREAD_STATE_FLAVOR: THREAD_STATE_NONE is 13; 14 and 15 are
    // not flavors).
    matches!(f, 0..=13 | 16..=25)
}

/// XNU's checks of `task_set_exception_ports` arguments
/// (`set_exception_ports_validation`).
pub(crate) fn validate(mask: u32, behavior: u32, flavor: u32, has_port: bool) -> MachResult {
    if mask & !EXC_MASK_VALID != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let b = behavior & !MACH_EXCEPTION_MASK;
    if has_port && !(EXCEPTION_DEFAULT..=EXCEPTION_STATE_IDENTITY_PROTECTED).contains(&b) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    if !valid_flavor(flavor) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    // The protected identity and backtraces come with 64-bit codes only.
    if (b == EXCEPTION_IDENTITY_PROTECTED || behavior & MACH_EXCEPTION_BACKTRACE_PREFERRED != 0)
        && behavior & MACH_EXCEPTION_CODES == 0
    {
        return Err(KERN_INVALID_ARGUMENT);
    }
    Ok(())
}

/// Makes `port` (a send right, or none) the handler of every type in
/// `mask`; each slot holds its own send right.
pub(crate) fn install(
    g: &mut SpaceInner,
    mask: u32,
    port: Option<Right>,
    behavior: u32,
    flavor: u32,
    d: &mut Deferred,
) {
    for i in FIRST_EXCEPTION..EXC_TYPES_COUNT {
        if mask & (1 << i) == 0 {
            continue;
        }
        // A send right count at its maximum leaves the slot empty.
        let new = port.as_ref().and_then(|r| r.port().copy_send().ok());
        let old = core::mem::replace(
            &mut g.exc[i],
            ExcPort {
                port: new,
                behavior,
                flavor,
            },
        );
        if let Some(r) = old.port {
            d.right(r);
        }
    }
    if let Some(r) = port {
        d.right(r);
    }
}

/// One coalesced handler: the types it serves, a new send right to its
/// port (if any), behavior and flavor.
pub(crate) struct Handler {
    pub(crate) mask: u32,
    pub(crate) port: Option<Right>,
    pub(crate) behavior: u32,
    pub(crate) flavor: u32,
}

/// The handlers of the types in `mask`, types with the same handler
/// coalesced into one entry as XNU does; at most `max` entries.
pub(crate) fn collect(g: &SpaceInner, mask: u32, max: usize) -> MachResult<KVec<Handler>> {
    // Room for every type up front: a handler is never dropped half way.
    let mut out: KVec<Handler> = KVec::with_capacity(EXC_TYPES_COUNT, GFP_KERNEL_ACCOUNT)
        .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    // Type index of each entry's first member, to compare handlers.
    let mut first = [0usize; EXC_TYPES_COUNT];
    for i in FIRST_EXCEPTION..EXC_TYPES_COUNT {
        if mask & (1 << i) == 0 {
            continue;
        }
        let e = &g.exc[i];
        let same = |j: usize| {
            let o = &g.exc[j];
            let ports_eq = match (&o.port, &e.port) {
                (None, None) => true,
                (Some(a), Some(b)) => kernel::sync::Arc::ptr_eq(a.port(), b.port()),
                _ => false,
            };
            ports_eq && o.behavior == e.behavior && o.flavor == e.flavor
        };
        match (0..out.len()).find(|&k| same(first[k])) {
            Some(k) => out[k].mask |= 1 << i,
            None => {
                if out.len() == max.min(EXC_TYPES_COUNT) {
                    break;
                }
                // A send right count at its maximum reports no port.
                let port = e.port.as_ref().and_then(|r| r.port().copy_send().ok());
                first[out.len()] = i;
                let h = Handler {
                    mask: 1 << i,
                    port,
                    behavior: e.behavior,
                    flavor: e.flavor,
                };
                if let Err(h) = out.push_within_capacity(h) {
                    // Cannot happen: one entry per type at most.
                    drop(h);
                    break;
                }
            }
        }
    }
    Ok(out)
}

// Linux's fault signals and the si_codes the mapping looks at.
const SIGILL: i32 = 4;
const SIGBUS: i32 = 7;
const SIGFPE: i32 = 8;
const SIGSEGV: i32 = 11;
const SEGV_ACCERR: i32 = 2;
const FPE_INTDIV: i32 = 1;
const TRAP_TRACE: i32 = 2;

/// The exception a fault stands for, and its two codes.
fn classify(f: &Fault) -> (u32, [i64; 2]) {
    match f.sig {
        SIGSEGV => {
            let c = if f.code == SEGV_ACCERR {
                KERN_PROTECTION_FAILURE_CODE
            } else {
                KERN_INVALID_ADDRESS_CODE
            };
            (EXC_BAD_ACCESS, [c, f.addr as i64])
        }
        SIGBUS => (
            EXC_BAD_ACCESS,
            [KERN_PROTECTION_FAILURE_CODE, f.addr as i64],
        ),
        SIGILL => (EXC_BAD_INSTRUCTION, [EXC_I386_INVOP, 0]),
        SIGFPE => {
            let c = if f.code == FPE_INTDIV {
                EXC_I386_DIV
            } else {
                EXC_I386_EXTERR
            };
            (EXC_ARITHMETIC, [c, 0])
        }
        // SIGTRAP, the one other signal the shim records.
        _ => {
            let c = if f.code == TRAP_TRACE {
                EXC_I386_SGL
            } else {
                EXC_I386_BPT
            };
            (EXC_BREAKPOINT, [c, 0])
        }
    }
}

/// What libmach's handler asks [`raise`] for.
pub(crate) struct RaiseArgs {
    /// The signal the handler runs for.
    pub(crate) signo: i32,
    /// The thread's own handler (send right), or null for the task's.
    pub(crate) port: u32,
    pub(crate) behavior: u32,
    /// Ignored: the request names the calling thread's kernel port.
    #[allow(dead_code)]
    pub(crate) thread: u32,
    /// The receive right the reply comes to.
    pub(crate) reply: u32,
    /// User address of the thread's `x86_thread_state64_t`.
    pub(crate) state: usize,
}

/// What [`raise`] sent.
pub(crate) struct Raised {
    pub(crate) exception: u32,
    pub(crate) code: [i64; 2],
    pub(crate) id: i32,
    pub(crate) behavior: u32,
    /// The request, addressed to the handler, for the caller to send
    /// (`mach_msg::send_from_kernel`): this layer does not deliver.
    pub(crate) request: KmsgBox,
}

/// The body of an exception request, in MIG's layout for `behavior`.
struct Layout {
    identity: bool,
    wide: bool,
    state: bool,
    id: i32,
}

impl Layout {
    fn new(behavior: u32) -> MachResult<Layout> {
        let wide = behavior & MACH_EXCEPTION_CODES != 0;
        let b = behavior & !MACH_EXCEPTION_MASK;
        let (identity, state, ids) = match b {
            EXCEPTION_DEFAULT => (true, false, [MIG_EXCEPTION_RAISE, MIG_MACH_EXCEPTION_RAISE]),
            EXCEPTION_STATE => (
                false,
                true,
                [MIG_EXCEPTION_RAISE_STATE, MIG_MACH_EXCEPTION_RAISE_STATE],
            ),
            EXCEPTION_STATE_IDENTITY => (
                true,
                true,
                [
                    MIG_EXCEPTION_RAISE_STATE_IDENTITY,
                    MIG_MACH_EXCEPTION_RAISE_STATE_IDENTITY,
                ],
            ),
            // The protected behaviors carry a task id token and thread
            // id, which machipc does not have.
            _ => return Err(KERN_NOT_SUPPORTED),
        };
        let id = ids[usize::from(wide)];
        Ok(Layout {
            identity,
            wide,
            state,
            id,
        })
    }

    /// Offset of the arguments ([`ExcArgs`]) in the body: after the port
    /// descriptors, if any.
    fn args(&self) -> usize {
        if self.identity {
            size_of::<ExcIdentity>()
        } else {
            0
        }
    }

    /// Size of one code.
    fn code_size(&self) -> usize {
        if self.wide {
            size_of::<i64>()
        } else {
            size_of::<i32>()
        }
    }

    /// Offset of the thread state ([`ExcState`]), after the two codes.
    fn state_at(&self) -> usize {
        self.args() + size_of::<ExcArgs>() + 2 * self.code_size()
    }

    fn len(&self) -> usize {
        let state = if self.state {
            size_of::<ExcState>() + X86_THREAD_STATE64_COUNT * size_of::<u32>()
        } else {
            0
        };
        self.state_at() + state
    }
}

/// The handler of exception `exc` for the caller: the thread's (from
/// libmach), else the task's; a send right to it and its behavior.
fn handler(space: &Space, a: &RaiseArgs, exc: u32, d: &mut Deferred) -> MachResult<(Right, u32)> {
    let mut g = space.inner.lock();
    if name_valid(a.port) {
        return match g.copyin(space.id, a.port, MACH_MSG_TYPE_COPY_SEND, d) {
            Ok(Carried::Right(r)) => Ok((r, a.behavior)),
            _ => Err(MACH_SEND_INVALID_DEST),
        };
    }
    let e = &g.exc[exc as usize];
    match &e.port {
        Some(r) => Ok((
            r.port().copy_send().map_err(|_| MACH_SEND_INVALID_DEST)?,
            e.behavior,
        )),
        None => Err(MACH_SEND_INVALID_DEST),
    }
}

/// The request's body but for its rights: the arguments, the codes, and
/// the thread's registers (as its signal frame holds them, read from
/// `state`) if the behavior carries state.
fn request(l: &Layout, exc: u32, code: [i64; 2], state: usize) -> MachResult<KmsgBox> {
    let mut k = Kmsg::new(l.len(), Sender::kernel()).map_err(|_| MACH_SEND_NO_BUFFER)?;
    if l.state {
        let at = l.state_at();
        let st = ExcState {
            flavor: X86_THREAD_STATE64,
            old_state_cnt: X86_THREAD_STATE64_COUNT as u32,
        };
        k.set_body_at(at, &st);
        let words = at + size_of::<ExcState>();
        UserSlice::new(UserPtr::from_addr(state), k.body.len() - words)
            .reader()
            .read_slice(&mut k.body[words..])
            .map_err(|_| KERN_INVALID_ADDRESS)?;
    }
    let args = ExcArgs {
        ndr: NDR_RECORD,
        exception: exc,
        code_cnt: 2,
    };
    k.set_body_at(l.args(), &args);
    let mut at = l.args() + size_of::<ExcArgs>();
    for c in code {
        if l.wide {
            k.set_body_at(at, &c);
        } else {
            k.set_body_at(at, &(c as i32));
        }
        at += l.code_size();
    }
    if l.identity {
        k.set_body_at(
            0,
            &MsgBody {
                descriptor_count: 2,
            },
        );
        k.descs
            .reserve(2, GFP_KERNEL_ACCOUNT)
            .map_err(|_| MACH_SEND_NO_BUFFER)?;
    }
    Ok(k)
}

/// Copies in the request's rights: the reply port (a send-once right made
/// from `a.reply`) and, for an identity behavior, send rights to the
/// calling thread's kernel port and the task's own port.
fn attach_rights(
    space: &Space,
    a: &RaiseArgs,
    l: &Layout,
    k: &mut Kmsg,
    d: &mut Deferred,
) -> MachResult {
    // The thread is the calling one, by its kernel port (made now if it
    // has none), whatever name libmach passed.
    let thread = if l.identity {
        crate::thread::self_send_right(space).map_or(Carried::Null, Carried::Right)
    } else {
        Carried::Null
    };
    let mut g = space.inner.lock();
    k.reply = match g.copyin(space.id, a.reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, d) {
        Ok(c @ Carried::Right(_)) => c,
        _ => {
            d.carried(thread);
            return Err(MACH_SEND_INVALID_REPLY);
        }
    };
    if !l.identity {
        return Ok(());
    }
    let task = g
        .task_port
        .as_ref()
        .and_then(|r| r.port().copy_send().ok())
        .map_or(Carried::Null, Carried::Right);
    let at = [
        offset_of!(ExcIdentity, thread),
        offset_of!(ExcIdentity, task),
    ];
    for (c, at) in [thread, task].into_iter().zip(at) {
        let desc = PortDescriptor::of_type(MACH_MSG_TYPE_PORT_SEND);
        if let Err(c) = k.put_port(at, desc, c) {
            // Not reached (room was reserved); the right goes after the
            // lock.
            d.carried(c);
            return Err(MACH_SEND_NO_BUFFER);
        }
    }
    Ok(())
}

/// Raises the exception of the fault the calling thread is handling: builds
/// the request to the handler, sent as the kernel, with the reply port
/// `a.reply`.
pub(crate) fn raise(space: &Space, a: &RaiseArgs) -> MachResult<Raised> {
    let fault = crate::ffi::take_fault().ok_or(KERN_FAILURE)?;
    if fault.sig != a.signo {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let (exc, code) = classify(&fault);
    let mut d = Deferred::new();
    // A right to the handler is taken now; the space is locked again for
    // the other names once the request is built.
    let (dest, behavior) = handler(space, a, exc, &mut d)?;
    let l = Layout::new(behavior)?;
    let mut k = request(&l, exc, code, a.state)?;
    attach_rights(space, a, &l, &mut k, &mut d)?;
    d.release();
    let complex = if l.identity {
        MACH_MSGH_BITS_COMPLEX
    } else {
        0
    };
    k.bits =
        complex | msgh_bits_set_ports(0, MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE);
    k.id = l.id;
    k.dest = Some(dest);
    Ok(Raised {
        exception: exc,
        code,
        id: l.id,
        behavior,
        request: k,
    })
}
