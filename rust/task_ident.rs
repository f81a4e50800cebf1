// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Task identity tokens (XNU's `task_ident.c`, `IKOT_TASK_ID_TOKEN`): a
//! port that names one task, one program image of one process, without
//! giving any right over it. `task_create_identity_token` (a routine of
//! the task control port) makes a new token each time;
//! `task_identity_token_get_task_port` (a routine of the token's port)
//! gives back the task's port of a flavor, if the task still runs that
//! image and the caller may have that port.
//!
//! The token's port is a kernel object whose receive right the
//! [`IdentityToken`] holds, as a fileport's; the last send right's release
//! destroys it. The token keeps a reference to the task's space (memory
//! only: a space torn down stays torn down), never its process alive.
//! `IdentityToken::receive` is a leaf lock.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use crate::defs::*;
use crate::error::*;
use crate::kmsg::KmsgBox;
use crate::kobject::{dispatch, port_reply, routine, serve_request, ReplyLayout, Routine};
use crate::port::{KernelObject, Port};
use crate::rights::*;
use crate::space::Space;
use crate::task_port::{TASK_FLAVOR_CONTROL, TASK_FLAVOR_NAME, TASK_FLAVOR_READ};

/// A task identity token: the task it names, and its port's receive
/// right until the last send right goes.
#[pin_data]
pub(crate) struct IdentityToken {
    space: Arc<Space>,
    #[pin]
    receive: Mutex<Option<Right>>,
}

impl KernelObject for IdentityToken {
    fn serve(&self, request: KmsgBox) {
        serve_request(request, |req| {
            dispatch(self, ROUTINES, req, 0, |_, _| Ok(()))
        });
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }

    /// No one can name the token again: its port is destroyed, which lets
    /// go of this object and its reference to the space.
    fn no_senders(&self) {
        let receive = self.receive.lock().take();
        drop(receive);
    }
}

/// The routines served on a token's port (`task.defs`).
#[rustfmt::skip]
const ROUTINES: &[Routine<IdentityToken>] = &[
    routine!(<IdentityToken> MIG_TASK_IDENTITY_TOKEN_GET_TASK_PORT, Simple(MigTaskFlavorRequest),
        ReplyLayout::Port,
        |t, r, _| port_reply(t.task_port(r.flavor))),
];

/// `task_create_identity_token` on the control port of `space`'s task: a
/// send right to a new token, charged to that task. A task torn down has
/// none: `KERN_INVALID_ARGUMENT`, as XNU's for an inactive task.
pub(crate) fn create(space: &Space) -> MachResult<Carried> {
    let this = {
        let g = space.inner.lock();
        if !g.active {
            return Err(KERN_INVALID_ARGUMENT);
        }
        g.this().ok_or(KERN_INVALID_ARGUMENT)?
    };
    let port = Port::new(&space.quota)?;
    // Until the token holds it, dropping this right destroys the port.
    let receive = Right::from_counted(Kind::Receive, port.clone());
    let token = Arc::pin_init(
        pin_init!(IdentityToken {
            space: this,
            receive <- new_mutex!(Some(receive), "IdentityToken::receive"),
        }),
        GFP_KERNEL_ACCOUNT,
    )
    .map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    port.set_kobject(token.clone());
    match port.make_send() {
        Ok(send) => Ok(Carried::Right(send)),
        Err(e) => {
            // No send right was ever made: destroy the port by hand.
            token.no_senders();
            Err(e)
        }
    }
}

impl IdentityToken {
    /// `task_identity_token_get_task_port`: a send right to the named
    /// task's port of `flavor`. As XNU's: a flavor past the name port is
    /// `KERN_INVALID_ARGUMENT`; a task that exited or exec'd since is
    /// `KERN_NOT_FOUND`; the caller's own control port is always given.
    /// Another task's control and read ports follow `task_for_pid`'s rule
    /// (XNU's `task_conversion_eval`, `KERN_INVALID_ARGUMENT` when
    /// refused), its inspect port too and its name port
    /// `task_name_for_pid`'s (XNU's MAC check, `KERN_DENIED`).
    fn task_port(&self, flavor: u32) -> MachResult<Carried> {
        if flavor > TASK_FLAVOR_NAME {
            return Err(KERN_INVALID_ARGUMENT);
        }
        let space = &*self.space;
        if !crate::task::is_current_image(space) {
            return Err(KERN_NOT_FOUND);
        }
        if !crate::task::is_caller(space) {
            let pid = space.pid.as_ref().ok_or(KERN_NOT_FOUND)?;
            let allowed = match flavor {
                TASK_FLAVOR_NAME => pid.may_name(),
                _ => pid.may_attach(),
            };
            if !allowed {
                return Err(if flavor <= TASK_FLAVOR_READ {
                    KERN_INVALID_ARGUMENT
                } else {
                    KERN_DENIED
                });
            }
        }
        let port = crate::mach_port::locked(space, |g, _, _| {
            if !g.active {
                return Err(KERN_NOT_FOUND);
            }
            if flavor == TASK_FLAVOR_CONTROL {
                g.task_port
                    .as_ref()
                    .map(|r| r.port().clone())
                    .ok_or(KERN_NOT_FOUND)
            } else {
                crate::task_port::flavor_port(g, flavor)
            }
        })?;
        let send = port.copy_send_live()?.ok_or(KERN_NOT_FOUND)?;
        Ok(Carried::Right(send))
    }
}
