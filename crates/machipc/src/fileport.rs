// SPDX-License-Identifier: MIT
//! Descriptors and rights, both ways.
//!
//! - An open file inside Mach messages: a [`FilePort`] (XNU's
//!   `fileport_makeport` / `fileport_makefd`) is a send right to a kernel
//!   port that holds a reference to the open file. It travels in messages
//!   like any send right; the receiver makes a descriptor from it. The file
//!   is released with the port's last send right.
//! - A right outside Mach: [`SendRight::to_fd`] (`machipc_port_to_fd`)
//!   makes a descriptor that owns a send right, to pass with
//!   `SCM_RIGHTS`, inherit, or hand to a supervisor;
//!   [`Task::right_from_fd`] / [`SendRight::from_fd`]
//!   (`machipc_fd_to_port`) name that right in a space again. The right is
//!   released when the descriptor's last copy closes.
//!
//! ```no_run
//! use machipc::{Carry, FilePort, Message, ReceivedRight, Task};
//! use std::io::{Read, Write};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let task = Task::open()?;
//! let port = task.new_receive_right()?;
//! let to_port = port.make_send()?;
//! let (mut reader, writer) = std::io::pipe()?;
//!
//! // The pipe's write end goes through a message...
//! let mut m = Message::to(&to_port, 1);
//! m.ports.push(FilePort::from_fd(&task, &writer)?.into());
//! task.send(m)?;
//! drop(writer);
//!
//! // ...and comes out as a descriptor on the other side.
//! let got = port.receive(64, Some(1000))?;
//! if let Some(ReceivedRight::Send(s)) = got.ports.into_iter().next() {
//!     let mut w = std::fs::File::from(FilePort::from(s).into_fd()?);
//!     w.write_all(b"through a port")?;
//! }
//! let mut text = String::new();
//! reader.read_to_string(&mut text)?;
//! assert_eq!(text, "through a port");
//! # Ok(())
//! # }
//! ```

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use crate::{sys, Carry, FdRight, MachError, Name, Result, SendOnceRight, SendRight, Task};

/// An open file as a Mach port: a send right to a fileport.
///
/// Made from a descriptor with [`FilePort::from_fd`], or from a send right
/// received in a message with `FilePort::from(send_right)`; it goes into a
/// message as `Carry::from(file_port)` (moving the right).
#[derive(Debug)]
pub struct FilePort {
    right: SendRight,
}

impl FilePort {
    /// `fileport_makeport`: a new fileport holding a reference to the open
    /// file of `fd`, named in `task`'s space. Fails with XNU's errnos:
    /// `EBADF`, `EINVAL` for a file that may not cross (the machipc device,
    /// a port or right descriptor, io_uring, a UNIX socket), `EAGAIN` when
    /// out of memory or over a limit.
    pub fn from_fd(task: &Task, fd: impl AsFd) -> std::io::Result<FilePort> {
        let name = sys::fileport_makeport(task.dev.as_raw_fd(), fd.as_fd().as_raw_fd())?;
        Ok(FilePort {
            right: SendRight {
                task: task.clone(),
                name,
            },
        })
    }

    /// `fileport_makefd`: a new descriptor (close-on-exec) for the file;
    /// the fileport stays. `EINVAL` if the right is not a send right to a
    /// fileport (see [`FilePort::from`]).
    pub fn to_fd(&self) -> std::io::Result<OwnedFd> {
        sys::fileport_makefd(self.right.task.dev.as_raw_fd(), self.right.name)
    }

    /// As [`FilePort::to_fd`], then releases this send right.
    pub fn into_fd(self) -> std::io::Result<OwnedFd> {
        self.to_fd()
    }

    /// The send right's name in its space.
    pub fn name(&self) -> Name {
        self.right.name
    }

    /// The send right to the fileport.
    pub fn send_right(&self) -> &SendRight {
        &self.right
    }

    /// The send right, for messages or [`SendRight::to_fd`].
    pub fn into_send_right(self) -> SendRight {
        self.right
    }
}

impl From<SendRight> for FilePort {
    /// A received send right taken as a fileport. Nothing is checked here:
    /// [`FilePort::to_fd`] answers `EINVAL` if it is not one.
    fn from(right: SendRight) -> FilePort {
        FilePort { right }
    }
}

impl From<FilePort> for Carry {
    /// Moves the fileport's send right into a message.
    fn from(f: FilePort) -> Carry {
        Carry::MoveSend(f.right)
    }
}

impl SendRight {
    /// As [`SendRight::to_fd`], then releases this reference: the
    /// descriptor holds the right instead.
    pub fn into_fd(self) -> Result<OwnedFd> {
        self.to_fd()
    }

    /// `machipc_fd_to_port`: a new send right, in `task`'s space, to the
    /// port whose send right `fd` owns (the descriptor keeps its own).
    /// `KERN_INVALID_ARGUMENT` if `fd` owns no right; `KERN_INVALID_RIGHT`
    /// if it owns no live send right: the port died, or it held a
    /// send-once right, which this call moved out and released (use
    /// [`Task::right_from_fd`] for descriptors that may hold either).
    pub fn from_fd(task: &Task, fd: impl AsFd) -> Result<SendRight> {
        match task.right_from_fd(fd.as_fd())? {
            FdRight::Send(s) => Ok(s),
            _ => Err(MachError::KERN_INVALID_RIGHT),
        }
    }
}

impl SendOnceRight {
    /// `machipc_port_to_fd`: moves the send-once right into a new
    /// descriptor (close-on-exec). Closed unused, it sends its port a
    /// send-once notification.
    pub fn into_fd(mut self) -> Result<OwnedFd> {
        let fd = self.task.port_to_fd(self.name)?;
        // The right left the space: disarm `Drop`.
        self.name = 0;
        Ok(fd)
    }
}

impl Task {
    /// `machipc_port_to_fd(name)`.
    pub(crate) fn port_to_fd(&self, name: Name) -> Result<OwnedFd> {
        match sys::port_to_fd(self.dev.as_raw_fd(), name) {
            Ok((0, Some(fd))) => Ok(fd),
            Ok((ret, _)) => Err(MachError(ret)),
            Err(_) => Err(MachError::KERN_FAILURE),
        }
    }
}
