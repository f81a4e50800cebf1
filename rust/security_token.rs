// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The task's security token: who its process is, as its space acts on it.
//!
//! XNU judges a task by its process's *current* credentials. Whenever they
//! change (`setuid`, `setgid`, an exec of a set-id program), XNU recomputes
//! the task's security token and its host port (`set_security_token`): the
//! privileged host port for root, the plain one for anyone else. A space
//! here is opened once per process, often by a root parent's fork handler
//! before its child drops privileges, so what its opener was says little
//! about who uses it.
//!
//! Linux gives a module no hook on a change of credentials, so every call
//! on a space compares the caller's credentials with those the space was
//! last brought up to date with, by address: one load and a compare. The
//! space keeps a reference on those credentials, so no other credentials
//! can have their address meanwhile. When they differ, the space is
//! brought up to date before the call runs:
//! - its quota is rekeyed to the caller's effective user and
//!   `CAP_SYS_RESOURCE` exemption (`limits.rs`): what the space makes from
//!   now on is charged to that user and limited as that user, its open
//!   count moves there, and its name table's charge with it;
//! - `TASK_HOST_PORT` holds the host port the caller's privilege gives
//!   (`host.rs`: the privileged one with `CAP_SYS_ADMIN` over the IPC
//!   namespace), so `mach_host_self()` answers as on XNU. Send rights to
//!   the privileged port that the task already holds stay, as on XNU.
//!
//! Everything else already takes the caller's credentials at the call:
//! message trailers (`mach_msg.rs`), `task_for_pid`'s checks (`task.rs`),
//! bootstrap names (`bootstrap.rs`), `task_info`'s tokens (`task_info.rs`).
//! A space used by threads or processes with other credentials follows
//! them, call by call.

use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::ffi::{current_cred_addr, Creds};
use crate::space::{Space, TASK_HOST_PORT};

/// Brings `space` up to date with the caller's credentials if they are
/// not those it last saw. `ENOMEM` if the caller's user account cannot be
/// made: the call must not run on another user's account.
#[inline]
pub(crate) fn refresh(space: &Space) -> Result {
    if space.creds_seen.load(Relaxed) == current_cred_addr() {
        return Ok(());
    }
    update(space)
}

#[cold]
fn update(space: &Space) -> Result {
    let creds = Creds::current();
    // Made before the lock: a send right for the caller's host port.
    let host_port = space.host.task_host_port().map_err(|_| ENOMEM)?;
    let mut g = space.inner.lock();
    if !g.active || g.creds.addr() == creds.addr() {
        // Torn down, or another thread of these credentials was first.
        drop(g);
        drop(host_port);
        return Ok(());
    }
    space.quota.rekey(
        crate::ffi::current_euid_key(),
        crate::ffi::capable_resource(),
    )?;
    let old_table = g.table_charge.rehome();
    let same = match (&g.special[TASK_HOST_PORT], &host_port) {
        (Some(a), Some(b)) => Arc::ptr_eq(a.port(), b.port()),
        (None, None) => true,
        _ => false,
    };
    let old_host = if same {
        host_port
    } else {
        core::mem::replace(&mut g.special[TASK_HOST_PORT], host_port)
    };
    space.creds_seen.store(creds.addr(), Relaxed);
    let old_creds = core::mem::replace(&mut g.creds, creds);
    drop(g);
    drop(old_host);
    drop(old_table);
    drop(old_creds);
    Ok(())
}
