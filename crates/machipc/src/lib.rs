// SPDX-License-Identifier: MIT
//! Safe userspace access to machipc, XNU's Mach IPC on Linux.
//!
//! A [`Task`] is the calling process's IPC space (`/dev/machipc`). Rights
//! are owned values that release themselves on drop: [`ReceiveRight`],
//! [`SendRight`], [`SendOnceRight`], [`PortSet`]. Errors carry the Mach
//! return code.
//!
//! Receive rights and port sets implement [`AsFd`]: the descriptor
//! (`MACHIPC_IOC_PORT_FD`, made on first use and non-blocking) is readable
//! while a message is queued, so a port can sit in an epoll/poll loop next
//! to other descriptors; [`ReceiveRight::read_message`] and
//! [`PortSet::read_message`] then take the message. With the `tokio`
//! feature, `asyncio::AsyncReceiver` awaits messages on a tokio runtime.
//!
//! Notifications (dead-name, no-senders, port-destroyed, ...) are requested
//! on a right ([`SendRight::request_dead_name`],
//! [`ReceiveRight::request_no_senders`]) and arrive as [`Notification`]
//! values, received ([`ReceiveRight::receive_notification`]) or awaited
//! (`asyncio::AsyncReceiver::recv_notification`).
//!
//! Unrelated processes meet through the bootstrap name service:
//! [`bootstrap::check_in`] gives a service the receive right of a name,
//! [`bootstrap::look_up`] gives a client a send right to it.
//!
//! The crate talks to the kernel module directly (ioctls on
//! `/dev/machipc`), without libmach; it needs the module loaded and read-write
//! access to the device (see the crate's README).
//!
//! ```no_run
//! use machipc::{Message, Task};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let task = Task::open()?; // a new IPC space: one open of /dev/machipc
//! let port = task.new_receive_right()?;
//! let send = port.make_send()?;
//! let mut msg = Message::to(&send, 1234);
//! msg.data = b"hello".to_vec();
//! task.send(msg)?;
//! let got = port.receive(256, Some(1000))?;
//! assert_eq!((got.id, &got.data[..5]), (1234, &b"hello"[..]));
//! # Ok(())
//! # }
//! ```

#![deny(unsafe_op_in_unsafe_fn)]

pub mod bootstrap;
mod fileport;
mod notify;
mod sys;
mod sys_layout;

pub use fileport::FilePort;
pub use notify::*;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::{Arc, OnceLock};

pub use sys::{
    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE,
    MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE,
};

/// A Mach return code other than success (`kern_return_t` or
/// `mach_msg_return_t`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MachError(pub i32);

impl MachError {
    pub const KERN_INVALID_ARGUMENT: MachError = MachError(4);
    pub const KERN_FAILURE: MachError = MachError(5);
    pub const KERN_INVALID_NAME: MachError = MachError(15);
    pub const KERN_INVALID_RIGHT: MachError = MachError(17);
    pub const KERN_INVALID_VALUE: MachError = MachError(18);
    pub const KERN_INVALID_CAPABILITY: MachError = MachError(20);
    /// A MIG server does not know the message's id.
    pub const MIG_BAD_ID: MachError = MachError(-303);
    pub const MACH_SEND_INVALID_DEST: MachError = MachError(0x1000_0003);
    pub const MACH_RCV_TIMED_OUT: MachError = MachError(0x1000_4003);
    pub const MACH_RCV_TOO_LARGE: MachError = MachError(0x1000_4004);
    pub const MACH_RCV_PORT_DIED: MachError = MachError(0x1000_4009);
    pub const MACH_RCV_INVALID_DATA: MachError = MachError(0x1000_4008);
}

impl fmt::Debug for MachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MachError({:#x})", self.0)
    }
}

impl fmt::Display for MachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mach error {:#x}", self.0)
    }
}

impl std::error::Error for MachError {}

/// Result of a Mach call.
pub type Result<T> = std::result::Result<T, MachError>;

fn check(code: i32) -> Result<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(MachError(code))
    }
}

/// The calling process's IPC space: one open of `/dev/machipc`.
///
/// Clones share the space; it is destroyed, with every right in it, when
/// the last clone and the last right made from it are dropped. Each
/// [`Task::open`] is a separate space, as a separate process would be.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// let task = machipc::Task::open()?;
/// println!("machipc ABI {}", task.abi_version()?);
/// let port = task.new_receive_right().expect("mach_port_allocate");
/// println!("a receive right named {:#x}", port.name());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Task {
    dev: Arc<File>,
}

/// A port name in a task's space.
pub type Name = u32;

impl Task {
    /// Opens a new IPC space.
    pub fn open() -> std::io::Result<Task> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc_o_cloexec())
            .open("/dev/machipc")?;
        Ok(Task { dev: Arc::new(f) })
    }

    /// The module's ABI version.
    pub fn abi_version(&self) -> std::io::Result<u32> {
        let mut v = sys::Version::default();
        sys::ioctl(self.dev.as_raw_fd(), sys::IOC_VERSION, &mut v)?;
        Ok(v.version)
    }

    fn port_call(&self, nr: u32, c: &mut sys::PortCall) -> Result<()> {
        sys::ioctl(self.dev.as_raw_fd(), sys::port_ioc(nr), c).map_err(|_| MachError(5))?;
        check(c.ret)
    }

    /// `mach_port_allocate(MACH_PORT_RIGHT_RECEIVE)`.
    pub fn new_receive_right(&self) -> Result<ReceiveRight> {
        let mut c = sys::PortCall {
            right: sys::MACH_PORT_RIGHT_RECEIVE,
            ..Default::default()
        };
        self.port_call(sys::PORT_ALLOCATE, &mut c)?;
        Ok(ReceiveRight {
            task: self.clone(),
            name: c.name,
            fd: OnceLock::new(),
        })
    }

    /// `mach_port_allocate(MACH_PORT_RIGHT_PORT_SET)`.
    pub fn new_port_set(&self) -> Result<PortSet> {
        let mut c = sys::PortCall {
            right: sys::MACH_PORT_RIGHT_PORT_SET,
            ..Default::default()
        };
        self.port_call(sys::PORT_ALLOCATE, &mut c)?;
        Ok(PortSet {
            task: self.clone(),
            name: c.name,
            fd: OnceLock::new(),
        })
    }

    /// `mach_port_type`.
    pub fn port_type(&self, name: Name) -> Result<u32> {
        let mut c = sys::PortCall {
            name,
            ..Default::default()
        };
        self.port_call(sys::PORT_TYPE, &mut c)?;
        Ok(c.poly)
    }

    /// `mach_port_get_refs`.
    pub fn get_refs(&self, name: Name, right: u32) -> Result<u32> {
        let mut c = sys::PortCall {
            name,
            right,
            ..Default::default()
        };
        self.port_call(sys::PORT_GET_REFS, &mut c)?;
        Ok(c.delta as u32)
    }

    fn deallocate(&self, name: Name) -> Result<()> {
        let mut c = sys::PortCall {
            name,
            ..Default::default()
        };
        self.port_call(sys::PORT_DEALLOCATE, &mut c)
    }

    fn mod_refs(&self, name: Name, right: u32, delta: i32) -> Result<()> {
        let mut c = sys::PortCall {
            name,
            right,
            delta,
            ..Default::default()
        };
        self.port_call(sys::PORT_MOD_REFS, &mut c)
    }

    fn insert_right(&self, name: Name, poly: Name, disposition: u32) -> Result<()> {
        let mut c = sys::PortCall {
            name,
            poly,
            right: disposition,
            ..Default::default()
        };
        self.port_call(sys::PORT_INSERT_RIGHT, &mut c)
    }

    fn extract_right(&self, name: Name, disposition: u32) -> Result<(Name, u32)> {
        let mut c = sys::PortCall {
            name,
            right: disposition,
            ..Default::default()
        };
        self.port_call(sys::PORT_EXTRACT_RIGHT, &mut c)?;
        Ok((c.poly, c.notify_type))
    }

    /// Sends `msg` (`mach_msg(MACH_SEND_MSG)`), consuming the rights it
    /// carries.
    pub fn send(&self, msg: Message) -> Result<()> {
        let mut buf = msg.encode();
        let mut m = sys::MsgCall {
            send_msg: buf.as_mut_ptr() as u64,
            rcv_msg: 0,
            option: sys::MACH_SEND_MSG,
            send_size: buf.len() as u32,
            ..Default::default()
        };
        sys::ioctl(self.dev.as_raw_fd(), sys::IOC_MSG, &mut m)
            .map_err(|_| MachError(0x1000_0002))?;
        let r = check(m.ret);
        if r.is_ok() {
            msg.forget_rights();
        }
        r
    }

    /// Receives one message from `port` (`mach_msg(MACH_RCV_MSG)`),
    /// waiting at most `timeout_ms` if given.
    pub fn receive(
        &self,
        port: &ReceiveRight,
        max_size: usize,
        timeout_ms: Option<u32>,
    ) -> Result<Received> {
        self.receive_on(port.name, max_size, timeout_ms)
    }

    fn receive_on(&self, name: Name, max_size: usize, timeout_ms: Option<u32>) -> Result<Received> {
        let mut buf = vec![0u8; max_size + 68];
        let mut option = sys::MACH_RCV_MSG | sys::trailer_elements(3);
        if timeout_ms.is_some() {
            option |= sys::MACH_RCV_TIMEOUT;
        }
        let mut m = sys::MsgCall {
            send_msg: 0,
            rcv_msg: buf.as_mut_ptr() as u64,
            option,
            rcv_size: buf.len() as u32,
            rcv_name: name,
            timeout: timeout_ms.unwrap_or(0),
            ..Default::default()
        };
        sys::ioctl(self.dev.as_raw_fd(), sys::IOC_MSG, &mut m)
            .map_err(|_| MachError(0x1000_4008))?;
        check(m.ret)?;
        Ok(Received::decode(self, &buf))
    }

    /// The descriptor of `name`, made on first use and cached in `cell`.
    fn lazy_fd<'a>(
        &self,
        name: Name,
        cell: &'a OnceLock<OwnedFd>,
    ) -> std::io::Result<BorrowedFd<'a>> {
        if let Some(fd) = cell.get() {
            return Ok(fd.as_fd());
        }
        // The audit trailer, so that read(2) tells who sent a message
        // (notifications are the kernel's, pid 0), as `receive_on` does.
        let fd = sys::port_fd(self.dev.as_raw_fd(), name, sys::trailer_elements(3))?;
        // If another thread won the race, its descriptor stays and ours is
        // closed here.
        let _ = cell.set(fd);
        Ok(cell.get().expect("set above").as_fd())
    }

    /// Reads one message from a port descriptor (never blocks).
    fn read_fd(&self, fd: BorrowedFd<'_>) -> Result<Received> {
        let mut len = 1024;
        loop {
            let mut buf = vec![0u8; len];
            match sys::read(fd, &mut buf) {
                Ok(0) => return Err(MachError::MACH_RCV_PORT_DIED),
                Ok(n) => return Ok(Received::decode(self, &buf[..n])),
                Err(e) => match e.raw_os_error() {
                    Some(EAGAIN) => return Err(MachError::MACH_RCV_TIMED_OUT),
                    Some(EINTR) => continue,
                    Some(EMSGSIZE) if len < MAX_READ => len *= 4,
                    Some(EMSGSIZE) => return Err(MachError::MACH_RCV_TOO_LARGE),
                    _ => return Err(MachError::MACH_RCV_INVALID_DATA),
                },
            }
        }
    }
}

const EINTR: i32 = 4;
const EAGAIN: i32 = 11;
const EMSGSIZE: i32 = 90;
const MAX_READ: usize = 64 << 20;

fn fd_error(e: std::io::Error) -> MachError {
    match e.raw_os_error() {
        Some(2) => MachError::KERN_INVALID_NAME,   // ENOENT
        Some(22) => MachError::KERN_INVALID_RIGHT, // EINVAL
        _ => MachError(5),                         // KERN_FAILURE
    }
}

fn libc_o_cloexec() -> i32 {
    0o2000000
}

/// A receive right; dropping it destroys the port.
///
/// ```no_run
/// use std::os::fd::AsFd;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let task = machipc::Task::open()?;
/// let port = task.new_receive_right()?;
/// // Readable while a message is queued: put it in poll/epoll beside
/// // sockets and timers, then take the message without blocking.
/// let fd = port.as_fd();
/// # let _ = fd;
/// match port.read_message() {
///     Ok(msg) => println!("message {}", msg.id),
///     Err(e) => println!("nothing yet: {e}"),
/// }
/// # Ok(())
/// # }
/// ```
///
/// Its [`AsFd`] descriptor is made on first use (`MACHIPC_IOC_PORT_FD`,
/// non-blocking, close-on-exec) and closed with the right.
#[derive(Debug)]
pub struct ReceiveRight {
    task: Task,
    name: Name,
    fd: OnceLock<OwnedFd>,
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Task")
    }
}

impl ReceiveRight {
    /// The right's name in its space.
    pub fn name(&self) -> Name {
        self.name
    }

    /// The space that holds the right.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// Makes a send right to this port (`MACH_MSG_TYPE_MAKE_SEND`).
    pub fn make_send(&self) -> Result<SendRight> {
        let (name, _) = self
            .task
            .extract_right(self.name, MACH_MSG_TYPE_MAKE_SEND)?;
        Ok(SendRight {
            task: self.task.clone(),
            name,
        })
    }

    /// Makes a send-once right to this port.
    pub fn make_send_once(&self) -> Result<SendOnceRight> {
        let (name, _) = self
            .task
            .extract_right(self.name, MACH_MSG_TYPE_MAKE_SEND_ONCE)?;
        Ok(SendOnceRight {
            task: self.task.clone(),
            name,
        })
    }

    /// Inserts a send right under the receive right's own name.
    pub fn insert_send(&self) -> Result<()> {
        self.task
            .insert_right(self.name, self.name, MACH_MSG_TYPE_MAKE_SEND)
    }

    /// Receives one message (see [`Task::receive`]).
    pub fn receive(&self, max_size: usize, timeout_ms: Option<u32>) -> Result<Received> {
        self.task.receive(self, max_size, timeout_ms)
    }

    /// The pollable descriptor of this port, made on first use. Errors if
    /// the kernel refuses it (e.g. out of descriptors).
    pub fn port_fd(&self) -> Result<BorrowedFd<'_>> {
        self.task.lazy_fd(self.name, &self.fd).map_err(fd_error)
    }

    /// Takes the next queued message through the port's descriptor
    /// (`read(2)`). Never blocks: `MACH_RCV_TIMED_OUT` when the queue is
    /// empty, `MACH_RCV_PORT_DIED` once the right is gone. The message
    /// carries the audit trailer, as [`Task::receive`] asks for.
    pub fn read_message(&self) -> Result<Received> {
        self.task.read_fd(self.port_fd()?)
    }
}

impl AsFd for ReceiveRight {
    /// The port's descriptor (see [`ReceiveRight::port_fd`]).
    ///
    /// # Panics
    /// If the kernel cannot make the descriptor.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.port_fd().expect("MACHIPC_IOC_PORT_FD")
    }
}

impl Drop for ReceiveRight {
    fn drop(&mut self) {
        if self.name != 0 {
            let _ = self
                .task
                .mod_refs(self.name, sys::MACH_PORT_RIGHT_RECEIVE, -1);
        }
    }
}

/// A port set; dropping it destroys the set (its members stay).
///
/// Receiving on a set takes a message from any member port; `local` of the
/// [`Received`] names the member. Like [`ReceiveRight`] it implements
/// [`AsFd`].
#[derive(Debug)]
pub struct PortSet {
    task: Task,
    name: Name,
    fd: OnceLock<OwnedFd>,
}

impl PortSet {
    /// The set's name in its space.
    pub fn name(&self) -> Name {
        self.name
    }

    /// The space that holds the set.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// `mach_port_insert_member`: adds `port` to the set.
    pub fn insert(&self, port: &ReceiveRight) -> Result<()> {
        let mut c = sys::PortCall {
            name: port.name,
            poly: self.name,
            ..Default::default()
        };
        self.task.port_call(sys::PORT_INSERT_MEMBER, &mut c)
    }

    /// `mach_port_extract_member`: removes `port` from the set.
    pub fn extract(&self, port: &ReceiveRight) -> Result<()> {
        let mut c = sys::PortCall {
            name: port.name,
            poly: self.name,
            ..Default::default()
        };
        self.task.port_call(sys::PORT_EXTRACT_MEMBER, &mut c)
    }

    /// Receives one message from any member (see [`Task::receive`]).
    pub fn receive(&self, max_size: usize, timeout_ms: Option<u32>) -> Result<Received> {
        self.task.receive_on(self.name, max_size, timeout_ms)
    }

    /// The pollable descriptor of this set, made on first use.
    pub fn port_fd(&self) -> Result<BorrowedFd<'_>> {
        self.task.lazy_fd(self.name, &self.fd).map_err(fd_error)
    }

    /// Takes the next message of any member through the set's descriptor
    /// (see [`ReceiveRight::read_message`]).
    pub fn read_message(&self) -> Result<Received> {
        self.task.read_fd(self.port_fd()?)
    }
}

impl AsFd for PortSet {
    /// The set's descriptor (see [`PortSet::port_fd`]).
    ///
    /// # Panics
    /// If the kernel cannot make the descriptor.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.port_fd().expect("MACHIPC_IOC_PORT_FD")
    }
}

impl Drop for PortSet {
    fn drop(&mut self) {
        let _ = self
            .task
            .mod_refs(self.name, sys::MACH_PORT_RIGHT_PORT_SET, -1);
    }
}

/// Something whose messages can be read through its descriptor: a
/// [`ReceiveRight`] or a [`PortSet`].
pub trait MessageSource: AsFd {
    /// The space the messages arrive in.
    fn task(&self) -> &Task;
    /// See [`ReceiveRight::port_fd`].
    fn port_fd(&self) -> Result<BorrowedFd<'_>>;
    /// See [`ReceiveRight::read_message`].
    fn read_message(&self) -> Result<Received>;
}

impl MessageSource for ReceiveRight {
    fn task(&self) -> &Task {
        &self.task
    }
    fn port_fd(&self) -> Result<BorrowedFd<'_>> {
        ReceiveRight::port_fd(self)
    }
    fn read_message(&self) -> Result<Received> {
        ReceiveRight::read_message(self)
    }
}

impl MessageSource for PortSet {
    fn task(&self) -> &Task {
        &self.task
    }
    fn port_fd(&self) -> Result<BorrowedFd<'_>> {
        PortSet::port_fd(self)
    }
    fn read_message(&self) -> Result<Received> {
        PortSet::read_message(self)
    }
}

/// A send right (one user reference); dropping it deallocates it.
#[derive(Debug)]
pub struct SendRight {
    task: Task,
    name: Name,
}

impl SendRight {
    pub fn name(&self) -> Name {
        self.name
    }

    /// Another user reference to the same send right.
    pub fn try_clone(&self) -> Result<SendRight> {
        self.task
            .mod_refs(self.name, sys::MACH_PORT_RIGHT_SEND, 1)?;
        Ok(SendRight {
            task: self.task.clone(),
            name: self.name,
        })
    }
}

impl SendRight {
    /// `machipc_port_to_fd`: a close-on-exec descriptor that owns another
    /// send right to the same port, to pass over a UNIX socket
    /// (`SCM_RIGHTS`) or to a child; the right is released when the
    /// descriptor's last copy closes (no-senders may fire then).
    pub fn to_fd(&self) -> Result<OwnedFd> {
        self.task.port_to_fd(self.name)
    }
}

/// The right a descriptor made by `machipc_port_to_fd` ([`SendRight::to_fd`])
/// owned, named in a task by [`Task::right_from_fd`].
#[derive(Debug)]
pub enum FdRight {
    /// A new send right; the descriptor keeps its own.
    Send(SendRight),
    /// The descriptor's send-once right, moved out of it.
    SendOnce(SendOnceRight),
    /// A right to a port that died since.
    Dead,
}

impl Task {
    /// `machipc_fd_to_port`: names in this task the right `fd` owns.
    /// `KERN_INVALID_ARGUMENT` if `fd` is not a right descriptor,
    /// `KERN_INVALID_RIGHT` if its send-once right moved out already.
    pub fn right_from_fd(&self, fd: BorrowedFd<'_>) -> Result<FdRight> {
        let mut c = sys::PortCall {
            delta: fd.as_raw_fd(),
            ..Default::default()
        };
        self.port_call(sys::FD_TO_PORT, &mut c)?;
        let name = c.name;
        if name == u32::MAX {
            return Ok(FdRight::Dead);
        }
        let task = self.clone();
        // MACH_PORT_TYPE_SEND_ONCE: a send-once right has a name of its own.
        if self.port_type(name)? & (1 << 18) != 0 {
            Ok(FdRight::SendOnce(SendOnceRight { task, name }))
        } else {
            Ok(FdRight::Send(SendRight { task, name }))
        }
    }
}

impl Drop for SendRight {
    fn drop(&mut self) {
        if self.name != 0 {
            let _ = self.task.deallocate(self.name);
        }
    }
}

/// A send-once right; dropping it unused sends a send-once notification.
#[derive(Debug)]
pub struct SendOnceRight {
    task: Task,
    name: Name,
}

impl SendOnceRight {
    pub fn name(&self) -> Name {
        self.name
    }
}

impl Drop for SendOnceRight {
    fn drop(&mut self) {
        if self.name != 0 {
            let _ = self.task.deallocate(self.name);
        }
    }
}

/// A right a message carries, with how it travels.
pub enum Carry {
    /// Moves the send right (consumed when the send succeeds).
    MoveSend(SendRight),
    /// Copies a send right.
    CopySend(Name),
    /// Makes a send right from a receive right.
    MakeSend(Name),
    /// Makes a send-once right from a receive right.
    MakeSendOnce(Name),
    /// Moves a send-once right.
    MoveSendOnce(SendOnceRight),
    /// Moves a receive right.
    MoveReceive(ReceiveRight),
}

impl Carry {
    fn name_and_disposition(&self) -> (Name, u32) {
        match self {
            Carry::MoveSend(r) => (r.name, MACH_MSG_TYPE_MOVE_SEND),
            Carry::CopySend(n) => (*n, MACH_MSG_TYPE_COPY_SEND),
            Carry::MakeSend(n) => (*n, MACH_MSG_TYPE_MAKE_SEND),
            Carry::MakeSendOnce(n) => (*n, MACH_MSG_TYPE_MAKE_SEND_ONCE),
            Carry::MoveSendOnce(r) => (r.name, MACH_MSG_TYPE_MOVE_SEND_ONCE),
            Carry::MoveReceive(r) => (r.name, MACH_MSG_TYPE_MOVE_RECEIVE),
        }
    }

    /// The send moved the right away: drop the value without releasing
    /// the name (MACH_PORT_NULL disarms `Drop`), but still release the task
    /// reference and any port descriptor.
    fn forget(self) {
        match self {
            Carry::MoveSend(mut r) => r.name = 0,
            Carry::MoveSendOnce(mut r) => r.name = 0,
            Carry::MoveReceive(mut r) => r.name = 0,
            _ => {}
        }
    }
}

/// A message to send: a destination, an optional reply right, an id,
/// inline data, port descriptors and out-of-line memory.
///
/// A request that carries a send-once right for its answer, as MIG clients
/// do:
///
/// ```no_run
/// use machipc::{Carry, Message, ReceivedRight, Task};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let task = Task::open()?;
/// let server = task.new_receive_right()?;
/// let reply_port = task.new_receive_right()?;
/// let to_server = server.make_send()?;
/// let mut request = Message::to(&to_server, 100);
/// request.reply = Some(Carry::MakeSendOnce(reply_port.name()));
/// request.data = 7u32.to_ne_bytes().to_vec();
/// task.send(request)?;
///
/// let got = server.receive(256, None)?;
/// if let ReceivedRight::SendOnce(reply_to) = got.reply {
///     task.send(Message {
///         dest: Carry::MoveSendOnce(reply_to),
///         reply: None,
///         id: got.id + 100,
///         data: 49u32.to_ne_bytes().to_vec(),
///         ports: Vec::new(),
///         ool: Vec::new(),
///     })?;
/// }
/// let answer = reply_port.receive(256, Some(1000))?;
/// assert_eq!(answer.id, 200);
/// # Ok(())
/// # }
/// ```
pub struct Message {
    pub dest: Carry,
    pub reply: Option<Carry>,
    pub id: i32,
    pub data: Vec<u8>,
    pub ports: Vec<Carry>,
    /// Out-of-line regions (`MACH_MSG_OOL_DESCRIPTOR`, after the port
    /// descriptors); the kernel copies them when the message is sent.
    pub ool: Vec<Vec<u8>>,
}

const MACH_MSG_VIRTUAL_COPY: u8 = 1;

/// Out-of-line memory received in a message: a private mapping of this
/// process, unmapped (`vm_deallocate`) when dropped.
#[derive(Debug)]
pub struct OolMemory {
    addr: *mut u8,
    len: usize,
}

// SAFETY: The mapping is plain process memory owned by this value alone.
unsafe impl Send for OolMemory {}
// SAFETY: Shared access only reads it.
unsafe impl Sync for OolMemory {}

impl OolMemory {
    /// The address the region was mapped at (page-aligned).
    pub fn addr(&self) -> usize {
        self.addr as usize
    }
}

impl std::ops::Deref for OolMemory {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: The kernel mapped `len` readable bytes at `addr`, owned by
        // this value until it drops.
        unsafe { std::slice::from_raw_parts(self.addr, self.len) }
    }
}

impl std::ops::DerefMut for OolMemory {
    fn deref_mut(&mut self) -> &mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: As for `deref`; the mapping is writable and `&mut self`
        // makes the borrow exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.addr, self.len) }
    }
}

impl Drop for OolMemory {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: We own the mapping and no borrow of it outlives us.
            unsafe { sys::unmap(self.addr, self.len) };
        }
    }
}

impl Message {
    /// A message to `dest` with a copied send right.
    pub fn to(dest: &SendRight, id: i32) -> Message {
        Message {
            dest: Carry::CopySend(dest.name),
            reply: None,
            id,
            data: Vec::new(),
            ports: Vec::new(),
            ool: Vec::new(),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let (dname, dtype) = self.dest.name_and_disposition();
        let (rname, rtype) = self
            .reply
            .as_ref()
            .map(|r| r.name_and_disposition())
            .unwrap_or((0, 0));
        let complex = !self.ports.is_empty() || !self.ool.is_empty();
        let mut b = Vec::new();
        let bits = dtype | (rtype << 8) | if complex { 0x8000_0000 } else { 0 };
        for w in [bits, 0, dname, rname, 0, self.id as u32] {
            b.extend_from_slice(&w.to_ne_bytes());
        }
        if complex {
            b.extend_from_slice(&((self.ports.len() + self.ool.len()) as u32).to_ne_bytes());
            for p in &self.ports {
                let (n, t) = p.name_and_disposition();
                b.extend_from_slice(&n.to_ne_bytes());
                b.extend_from_slice(&0u32.to_ne_bytes());
                b.extend_from_slice(&0u16.to_ne_bytes());
                b.push(t as u8);
                b.push(0); // MACH_MSG_PORT_DESCRIPTOR
            }
            for r in &self.ool {
                // mach_msg_ool_descriptor_t (LP64): address, deallocate,
                // copy, pad, type, size. The buffer outlives the send call.
                b.extend_from_slice(&(r.as_ptr() as u64).to_ne_bytes());
                b.push(0); // deallocate
                b.push(MACH_MSG_VIRTUAL_COPY);
                b.push(0);
                b.push(1); // MACH_MSG_OOL_DESCRIPTOR
                b.extend_from_slice(&(r.len() as u32).to_ne_bytes());
            }
        }
        b.extend_from_slice(&self.data);
        while b.len() % 4 != 0 {
            b.push(0);
        }
        let size = b.len() as u32;
        b[4..8].copy_from_slice(&size.to_ne_bytes());
        b
    }

    fn forget_rights(self) {
        self.dest.forget();
        if let Some(r) = self.reply {
            r.forget();
        }
        for p in self.ports {
            p.forget();
        }
    }
}

/// A received right.
#[derive(Debug)]
pub enum ReceivedRight {
    Send(SendRight),
    SendOnce(SendOnceRight),
    Receive(ReceiveRight),
    /// `MACH_PORT_NULL` or `MACH_PORT_DEAD`.
    None(Name),
}

/// A received message.
#[derive(Debug)]
pub struct Received {
    pub id: i32,
    pub size: u32,
    /// The port the message arrived on (`msgh_local_port`).
    pub local: Name,
    pub reply: ReceivedRight,
    pub ports: Vec<ReceivedRight>,
    /// Out-of-line regions, in descriptor order.
    pub ool: Vec<OolMemory>,
    pub data: Vec<u8>,
    pub seqno: u32,
    /// Sender's pid, euid and egid from the audit trailer.
    pub sender_pid: i32,
    pub sender_euid: u32,
    pub sender_egid: u32,
    /// The whole audit token (`audit_token_t`: auid, euid, egid, ruid,
    /// rgid, pid, asid, pidversion); all zeros for the kernel's messages.
    pub audit_token: [u32; 8],
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn received_right(task: &Task, name: Name, t: u32) -> ReceivedRight {
    if name == 0 || name == !0 {
        return ReceivedRight::None(name);
    }
    match t {
        MACH_MSG_TYPE_MOVE_SEND => ReceivedRight::Send(SendRight {
            task: task.clone(),
            name,
        }),
        MACH_MSG_TYPE_MOVE_SEND_ONCE => ReceivedRight::SendOnce(SendOnceRight {
            task: task.clone(),
            name,
        }),
        MACH_MSG_TYPE_MOVE_RECEIVE => ReceivedRight::Receive(ReceiveRight {
            task: task.clone(),
            name,
            fd: OnceLock::new(),
        }),
        _ => ReceivedRight::None(name),
    }
}

impl Received {
    fn decode(task: &Task, b: &[u8]) -> Received {
        let bits = u32_at(b, 0);
        let size = u32_at(b, 4) as usize;
        let remote = u32_at(b, 8);
        let local = u32_at(b, 12);
        let id = u32_at(b, 20) as i32;
        let reply = received_right(task, remote, bits & 0x1f);
        let mut off = 24;
        let mut ports = Vec::new();
        let mut ool = Vec::new();
        if bits & 0x8000_0000 != 0 {
            let n = u32_at(b, off) as usize;
            off += 4;
            for _ in 0..n {
                if b[off + 11] == 1 || b[off + 11] == 3 {
                    // Out-of-line memory (16 bytes).
                    let addr = u64::from_ne_bytes(b[off..off + 8].try_into().unwrap());
                    let len = u32_at(b, off + 12) as usize;
                    ool.push(OolMemory {
                        addr: addr as *mut u8,
                        len: if addr == 0 { 0 } else { len },
                    });
                    off += 16;
                    continue;
                }
                if b[off + 11] != 0 {
                    // Out-of-line port arrays and guarded ports are not
                    // decoded by this crate (16 bytes each).
                    off += 16;
                    continue;
                }
                let name = u32_at(b, off);
                let t = b[off + 10] as u32;
                ports.push(received_right(task, name, t));
                off += 12;
            }
        }
        let data = b[off..size].to_vec();
        let t = &b[size..];
        // The trailer may be the minimal one (8 bytes): absent fields are 0.
        let tu32 = |o: usize| if o + 4 <= t.len() { u32_at(t, o) } else { 0 };
        Received {
            id,
            size: size as u32,
            local,
            reply,
            ports,
            ool,
            data,
            seqno: tu32(8),
            sender_euid: tu32(24),
            sender_egid: tu32(28),
            sender_pid: tu32(40) as i32,
            audit_token: std::array::from_fn(|i| tu32(20 + 4 * i)),
        }
    }
}

/// Awaiting messages on a tokio runtime (feature `tokio`).
#[cfg(feature = "tokio")]
pub mod asyncio {
    use super::{MachError, MessageSource, Notification, Received};
    use std::os::fd::BorrowedFd;
    use tokio::io::unix::AsyncFd;

    /// Registers a port's or set's descriptor with the tokio reactor.
    /// One `AsyncReceiver` per port at a time (epoll refuses a second
    /// registration of the same descriptor).
    pub struct AsyncReceiver<'a, P: MessageSource> {
        port: &'a P,
        fd: AsyncFd<BorrowedFd<'a>>,
    }

    impl<'a, P: MessageSource> AsyncReceiver<'a, P> {
        /// Must be called inside a tokio runtime with I/O enabled.
        pub fn new(port: &'a P) -> std::io::Result<Self> {
            let fd = crate::sys::async_fd(port.port_fd().map_err(std::io::Error::other)?)?;
            Ok(AsyncReceiver { port, fd })
        }

        /// Waits for and takes the next message. Mach errors other than an
        /// empty queue come back wrapped in `std::io::Error`.
        pub async fn recv(&self) -> std::io::Result<Received> {
            loop {
                let mut ready = self.fd.readable().await?;
                match self.port.read_message() {
                    Err(super::MachError::MACH_RCV_TIMED_OUT) => ready.clear_ready(),
                    Err(e) => return Err(std::io::Error::other(e)),
                    Ok(m) => return Ok(m),
                }
            }
        }

        /// Waits for the next message and parses it as a kernel
        /// [`Notification`]. A message that is not one is released and
        /// `MIG_BAD_ID` returned, wrapped in `std::io::Error` (see
        /// [`Notification::from_message`] for ports that take both).
        ///
        /// ```no_run
        /// # async fn f(task: machipc::Task) -> Result<(), Box<dyn std::error::Error>> {
        /// use machipc::{asyncio::AsyncReceiver, Notification};
        /// let service = task.new_receive_right()?;
        /// let notify = task.new_receive_right()?;
        /// let client = service.make_send()?;
        /// service.request_no_senders(&notify, 1)?;
        /// let notifications = AsyncReceiver::new(&notify)?;
        /// drop(client);
        /// match notifications.recv_notification().await? {
        ///     Notification::NoSenders { .. } => println!("no clients left"),
        ///     other => println!("{other:?}"),
        /// }
        /// # Ok(())
        /// # }
        /// ```
        pub async fn recv_notification(&self) -> std::io::Result<Notification> {
            let msg = self.recv().await?;
            Notification::from_message(self.port.task(), msg)
                .map_err(|_| std::io::Error::other(MachError::MIG_BAD_ID))
        }
    }
}
