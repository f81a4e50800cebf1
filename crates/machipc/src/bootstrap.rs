// SPDX-License-Identifier: MIT
//! The bootstrap name service (launchd's `<servers/bootstrap.h>`): a
//! service checks a name in and gets the receive right of a new port; a
//! client looks the name up and gets a send right to it. The requests are
//! MIG messages with the ids and layouts of launchd's classic
//! `bootstrap.defs` (subsystem 400), sent to the task's bootstrap port
//! ([`Task::bootstrap_port`]): the module serves a registry per IPC
//! namespace there, so unrelated processes meet by name with no daemon; a
//! launchd-like supervisor that sets its children's bootstrap port answers
//! the same messages.
//!
//! The registry's rules (see the top-level README, "Bootstrap"): a name is
//! found by lookups of the user who checked it in, and by everyone when
//! root did; a name whose port lives cannot be taken by anyone else; a
//! name is released when its port dies.
//!
//! ```no_run
//! use machipc::{bootstrap, Message, Task};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The service.
//! let service_task = Task::open()?;
//! let service = bootstrap::check_in(&service_task, "org.example.echo")?;
//!
//! // A client, here another space of the same process; usually another
//! // process started on its own.
//! let client_task = Task::open()?;
//! let to_service = bootstrap::look_up(&client_task, "org.example.echo")?;
//! client_task.send(Message::to(&to_service, 1))?;
//! assert_eq!(service.receive(64, Some(1000))?.id, 1);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use crate::{sys, Carry, MachError, Message, ReceiveRight, ReceivedRight, SendRight, Task};

/// `BOOTSTRAP_MAX_NAME_LEN`: a service name travels as 128 bytes, its NUL
/// included, so a name has at most 127 bytes.
pub const BOOTSTRAP_MAX_NAME_LEN: usize = 128;

/// `TASK_BOOTSTRAP_PORT`, the special port the registry's send right is.
const TASK_BOOTSTRAP_PORT: u32 = 4;

// launchd's classic bootstrap.defs routine ids (subsystem 400).
const BOOTSTRAP_CHECK_IN: i32 = 402;
const BOOTSTRAP_REGISTER: i32 = 403;
const BOOTSTRAP_LOOK_UP: i32 = 404;

/// `NDR_record` of this machine (little-endian integers, ASCII, IEEE
/// floats), as MIG puts it before the inline arguments.
const NDR_RECORD: [u8; 8] = [0, 0, 0, 0, 0, 1, 0, 0];

const MIG_TYPE_ERROR: i32 = -300;
const MIG_REPLY_MISMATCH: i32 = -301;

/// Why a bootstrap call failed: launchd's return codes, or another Mach
/// error (of the message exchange, or of MIG).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BootstrapError {
    /// `BOOTSTRAP_NOT_PRIVILEGED` (1100): root holds the name.
    NotPrivileged,
    /// `BOOTSTRAP_NAME_IN_USE` (1101).
    NameInUse,
    /// `BOOTSTRAP_UNKNOWN_SERVICE` (1102): no such name, or one this user
    /// may not see.
    UnknownService,
    /// `BOOTSTRAP_SERVICE_ACTIVE` (1103): the name's port lives (a second
    /// check-in).
    ServiceActive,
    /// `BOOTSTRAP_BAD_COUNT` (1104).
    BadCount,
    /// `BOOTSTRAP_NO_MEMORY` (1105): out of memory, or the user holds as
    /// many names as the registry allows.
    NoMemory,
    /// `BOOTSTRAP_NO_CHILDREN` (1106).
    NoChildren,
    /// Any other code: `KERN_INVALID_ARGUMENT` for a name the crate will
    /// not send (a NUL in it, or longer than 127 bytes), a `mach_msg`
    /// error when the bootstrap port is null or dead, a MIG error when the
    /// server answered something unexpected.
    Mach(MachError),
}

impl BootstrapError {
    /// The code as a `kern_return_t`.
    pub fn code(self) -> i32 {
        match self {
            BootstrapError::NotPrivileged => 1100,
            BootstrapError::NameInUse => 1101,
            BootstrapError::UnknownService => 1102,
            BootstrapError::ServiceActive => 1103,
            BootstrapError::BadCount => 1104,
            BootstrapError::NoMemory => 1105,
            BootstrapError::NoChildren => 1106,
            BootstrapError::Mach(e) => e.0,
        }
    }

    /// The error for a nonzero code.
    pub fn from_code(code: i32) -> BootstrapError {
        match code {
            1100 => BootstrapError::NotPrivileged,
            1101 => BootstrapError::NameInUse,
            1102 => BootstrapError::UnknownService,
            1103 => BootstrapError::ServiceActive,
            1104 => BootstrapError::BadCount,
            1105 => BootstrapError::NoMemory,
            1106 => BootstrapError::NoChildren,
            c => BootstrapError::Mach(MachError(c)),
        }
    }
}

impl From<MachError> for BootstrapError {
    fn from(e: MachError) -> Self {
        BootstrapError::from_code(e.0)
    }
}

impl fmt::Display for BootstrapError {
    /// launchd's texts (`bootstrap_strerror`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootstrapError::NotPrivileged => write!(f, "Permission denied"),
            BootstrapError::NameInUse | BootstrapError::ServiceActive => {
                write!(f, "Service name already exists")
            }
            BootstrapError::UnknownService => write!(f, "Unknown service name"),
            BootstrapError::BadCount => {
                write!(f, "Too many lookups were requested in one request")
            }
            BootstrapError::NoMemory => write!(f, "Out of memory"),
            BootstrapError::NoChildren => write!(f, "No children"),
            BootstrapError::Mach(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BootstrapError {}

/// Result of a bootstrap call.
pub type Result<T> = std::result::Result<T, BootstrapError>;

impl Task {
    /// `task_get_special_port(TASK_BOOTSTRAP_PORT)`: a send right to the
    /// task's bootstrap server, `None` if it has none. A new space has its
    /// IPC namespace's registry there.
    pub fn bootstrap_port(&self) -> crate::Result<Option<SendRight>> {
        let mut c = sys::PortCall {
            flavor: TASK_BOOTSTRAP_PORT,
            ..Default::default()
        };
        self.port_call(sys::GET_SPECIAL_PORT, &mut c)?;
        Ok(match c.name {
            0 => None,
            name => Some(SendRight {
                task: self.clone(),
                name,
            }),
        })
    }
}

/// The 128-byte `name_t` of `name`, NUL-padded.
fn name_t(name: &str) -> Result<[u8; BOOTSTRAP_MAX_NAME_LEN]> {
    let b = name.as_bytes();
    if b.len() >= BOOTSTRAP_MAX_NAME_LEN || b.contains(&0) {
        return Err(BootstrapError::Mach(MachError::KERN_INVALID_ARGUMENT));
    }
    let mut out = [0u8; BOOTSTRAP_MAX_NAME_LEN];
    out[..b.len()].copy_from_slice(b);
    Ok(out)
}

/// Sends the request `id` (carrying `ports`, then the NDR record and the
/// name) to the task's bootstrap port and returns the right the reply
/// carries, or the reply's error.
fn rpc(task: &Task, id: i32, name: &str, ports: Vec<Carry>) -> Result<Option<ReceivedRight>> {
    let name = name_t(name)?;
    let bp = task
        .bootstrap_port()?
        .ok_or(BootstrapError::Mach(MachError::MACH_SEND_INVALID_DEST))?;
    // A reply port per call: nothing of an earlier, interrupted call can
    // be queued on it.
    let reply = task.new_receive_right()?;
    let mut data = Vec::with_capacity(NDR_RECORD.len() + name.len());
    data.extend_from_slice(&NDR_RECORD);
    data.extend_from_slice(&name);
    task.send(Message {
        dest: Carry::CopySend(bp.name()),
        reply: Some(Carry::MakeSendOnce(reply.name())),
        id,
        data,
        ports,
        ool: Vec::new(),
    })?;
    let mut rep = reply.receive(256, None)?;
    if rep.id != id + 100 {
        return Err(BootstrapError::Mach(MachError(MIG_REPLY_MISMATCH)));
    }
    if rep.ports.is_empty() {
        // mig_reply_error_t: NDR record, then RetCode.
        let code = match rep.data.get(8..12) {
            Some(b) if rep.data.len() == 12 => i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            _ => MIG_TYPE_ERROR,
        };
        return match code {
            0 => Ok(None),
            c => Err(BootstrapError::from_code(c)),
        };
    }
    if rep.ports.len() != 1 || !rep.ool.is_empty() {
        return Err(BootstrapError::Mach(MachError(MIG_TYPE_ERROR)));
    }
    Ok(rep.ports.pop())
}

/// `bootstrap_check_in`: the receive right of the service `name`, made if
/// the name is free (or its earlier port died). Fails with
/// [`BootstrapError::ServiceActive`] while the name's port lives, and
/// [`BootstrapError::NotPrivileged`] if root holds it (for another user).
pub fn check_in(task: &Task, name: &str) -> Result<ReceiveRight> {
    match rpc(task, BOOTSTRAP_CHECK_IN, name, Vec::new())? {
        Some(ReceivedRight::Receive(r)) => Ok(r),
        _ => Err(BootstrapError::Mach(MachError(MIG_TYPE_ERROR))),
    }
}

/// `bootstrap_look_up`: a send right to the service `name`.
/// [`BootstrapError::UnknownService`] if there is none this user may see.
pub fn look_up(task: &Task, name: &str) -> Result<SendRight> {
    match rpc(task, BOOTSTRAP_LOOK_UP, name, Vec::new())? {
        Some(ReceivedRight::Send(s)) => Ok(s),
        _ => Err(BootstrapError::Mach(MachError(MIG_TYPE_ERROR))),
    }
}

/// `bootstrap_register` (deprecated on macOS, still served): binds `name`
/// to a copy of the send right `port`, with the rules of [`check_in`].
pub fn register(task: &Task, name: &str, port: &SendRight) -> Result<()> {
    match rpc(
        task,
        BOOTSTRAP_REGISTER,
        name,
        vec![Carry::CopySend(port.name())],
    )? {
        None => Ok(()),
        Some(_) => Err(BootstrapError::Mach(MachError(MIG_TYPE_ERROR))),
    }
}
