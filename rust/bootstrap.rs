// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! The bootstrap registry: launchd's name service (`<servers/bootstrap.h>`)
//! served by the kernel, one registry per IPC namespace, so that any two
//! processes of one namespace meet by name with no daemon to start.
//!
//! The registry is a kernel-served port (its own kernel-object kind, next
//! to the task port of `kobject.rs`): requests to it are answered here,
//! with the routine ids and MIG layouts of launchd's classic
//! `bootstrap.defs` (subsystem 400): `bootstrap_check_in` (402),
//! `bootstrap_register` (403), `bootstrap_look_up` (404) and
//! `bootstrap_parent` (406). Other ids get `MIG_BAD_ID`; a request of the
//! wrong size or shape, or whose name has no NUL within its 128 bytes,
//! `MIG_BAD_ARGUMENTS`, as MIG's server checks answer.
//!
//! # Rules
//!
//! - A name is held by the user (effective kuid) who checked it in or
//!   registered it, and each user has names of its own, as each user has
//!   its own bootstrap under launchd, whose parent is the system's: root's
//!   names (kuid 0, the initial user namespace's root) are the system's,
//!   found by everyone, before the user's own; a name held by another user
//!   is `BOOTSTRAP_UNKNOWN_SERVICE` to the others. So no user can take a
//!   name from another, nor keep it from them by taking it first (a
//!   service started by root checks in a name a user took before it).
//! - `bootstrap_check_in` of a free name makes a port, gives the caller its
//!   receive right and keeps a send right for lookups. A name whose port
//!   lives cannot be taken again: `BOOTSTRAP_SERVICE_ACTIVE` for its own
//!   user; `BOOTSTRAP_NOT_PRIVILEGED` for another user while root holds it
//!   (launchd's answers to a second check-in and to a hijack of a system
//!   service).
//! - `bootstrap_register` binds a name to a send right the caller gives,
//!   with the same rules; registering `MACH_PORT_NULL` or a dead name binds
//!   nothing and succeeds, as launchd.
//! - A name is released when its port dies: at once through the port's
//!   death watch ([`crate::port::DeathWatch`]), which every checked-in
//!   port has; a registered port that another name already watches is
//!   found dead and released by the next check-in, register or lookup of
//!   its name.
//! - Each user holds at most `max_user_bootstrap_names` names (module
//!   parameter) in one registry: `BOOTSTRAP_NO_MEMORY` beyond, launchd's
//!   answer when it cannot make a service. A sender with
//!   `CAP_SYS_RESOURCE` is not limited, as for the limits of `limits.rs`.
//! - `bootstrap_parent` answers the registry itself: it is the root of its
//!   namespace (launchd's answer for the root bootstrap).
//!
//! # Lifetime
//!
//! Each space joins the registry of the IPC namespace of the task that
//! opened it, and leaves it when torn down; the registry is torn down with
//! the last space of its namespace (its port dies, its names and their
//! send rights go, its namespace reference is dropped), so a registry
//! lives no longer than its namespace's spaces and none outlives the
//! module. Every allocation is charged: the registry's port to the kernel's
//! account (as the host's ports, `host.rs`), each name to its holder.
//!
//! # Locks
//!
//! `REGISTRIES` is taken alone. `Table::inner` is a spinlock taken with no
//! other lock held; under it only `Port::inner` is taken (to count a send
//! right). Rights leave the table under the lock and are dropped after it.

use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode, RBTreeNodeReservation};
use kernel::sync::{Arc, SpinLock};

use crate::defs::*;
use crate::error::*;
use crate::ffi::IpcNs;
use crate::kmsg::{Kmsg, KmsgBox};
use crate::kobject::{error, Layout, Reply};
use crate::limits::{Charge, OpenSpace, Quota};
use crate::port::{DeathWatch, KernelObject, Port};
use crate::rights::*;

/// `BOOTSTRAP_MAX_NAME_LEN`: a name with its NUL, as `name_t` travels.
pub(crate) const BOOTSTRAP_MAX_NAME_LEN: usize = 128;

// launchd's return codes (`servers/bootstrap.h`).
pub(crate) const BOOTSTRAP_NOT_PRIVILEGED: MachError = MachError(1100);
pub(crate) const BOOTSTRAP_UNKNOWN_SERVICE: MachError = MachError(1102);
pub(crate) const BOOTSTRAP_SERVICE_ACTIVE: MachError = MachError(1103);
pub(crate) const BOOTSTRAP_NO_MEMORY: MachError = MachError(1105);

/// A name: the bytes before the NUL, zero-padded, so that whatever
/// follows the NUL in a request does not matter.
type Name = [u8; BOOTSTRAP_MAX_NAME_LEN];

/// A binding as the table keys it: its holder's effective kuid and its
/// name, so each user's names are its own.
type Key = (u32, Name);

/// The kuid whose names every user finds (the system's, root's).
const ROOT: u32 = 0;

/// What one name costs its holder: its node, its watch and a send right.
const NAME_BYTES: usize = 2 * core::mem::size_of::<Name>() + 128;

kernel::sync::global_lock! {
    // SAFETY: `init` is called in the module initializer, before any space
    // (and so any registry) exists.
    pub(crate) unsafe(uninit) static REGISTRIES: Mutex<RegistryList> = RegistryList { list: KVec::new() };
}

/// Every live registry with its namespace and how many spaces joined it.
/// A handful in practice (one per IPC namespace with Mach users).
pub(crate) struct RegistryList {
    list: KVec<Member>,
}

struct Member {
    /// The namespace's address ([`IpcNs::key`]); the registry holds a
    /// reference, so no other namespace has it meanwhile.
    ns: usize,
    registry: Arc<Registry>,
    spaces: usize,
}

/// One namespace's registry: its port (served by the kernel) and its
/// names.
pub(crate) struct Registry {
    port: Arc<Port>,
    table: Arc<Table>,
    /// The kernel's account, which the registry's port is charged to.
    _account: OpenSpace,
}

/// The names of a registry, shared with the death watches of their ports.
#[pin_data]
struct Table {
    #[pin]
    inner: SpinLock<TableInner>,
}

/// # Invariants
///
/// `held` counts, per user, the entries of `services` that user holds
/// (those keyed by its kuid); users holding none have no node. Once
/// `active` is false, `services`, `held`, `receive` and `ns` are empty
/// and stay so.
struct TableInner {
    active: bool,
    /// The receive right of the registry's port, held by the kernel.
    receive: Option<Right>,
    /// The namespace this registry serves, referenced while it does.
    ns: Option<IpcNs>,
    services: RBTree<Key, Service>,
    held: RBTree<u32, u32>,
}

/// A name's binding (its holder is its key's kuid).
struct Service {
    /// The registry's send right to the service's port.
    send: Right,
    /// The name's memory on its holder's account.
    _charge: Charge,
}

/// Who sends a request: its effective kuid, and whether it is exempt from
/// the per-user limit (`CAP_SYS_RESOURCE`, as for the limits of
/// `limits.rs`).
#[derive(Clone, Copy)]
struct Caller {
    uid: u32,
    exempt: bool,
}

/// Tells the table when a checked-in (or registered) port dies.
struct Watch {
    table: Arc<Table>,
    key: Key,
}

impl DeathWatch for Watch {
    fn port_died(&self, port: &Port) {
        let gone = {
            let mut g = self.table.inner.lock();
            match g.services.get(&self.key) {
                Some(s) if core::ptr::eq(&**s.send.port(), port) => g.remove(&self.key),
                _ => None,
            }
        };
        drop(gone);
    }
}

/// Everything a name needs, allocated before the table is locked.
struct Reserved {
    node: RBTreeNodeReservation<Key, Service>,
    count: RBTreeNodeReservation<u32, u32>,
    charge: Charge,
}

impl Reserved {
    fn new(quota: &Arc<Quota>) -> MachResult<Self> {
        Ok(Reserved {
            node: RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)
                .map_err(|_| BOOTSTRAP_NO_MEMORY)?,
            count: RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)
                .map_err(|_| BOOTSTRAP_NO_MEMORY)?,
            charge: Charge::new(quota, NAME_BYTES).ok_or(BOOTSTRAP_NO_MEMORY)?,
        })
    }
}

/// What leaves the table under its lock, dropped after it.
type Gone = Option<RBTreeNode<Key, Service>>;

impl TableInner {
    /// Removes `key`, uncounting it from its holder.
    fn remove(&mut self, key: &Key) -> Option<Service> {
        let s = self.services.remove(key)?;
        let owner = key.0;
        let last = match self.held.get_mut(&owner) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n == 0
            }
            None => false,
        };
        if last {
            self.held.remove(&owner);
        }
        Some(s)
    }

    /// The live binding of `key`; one whose port died is removed into
    /// `gone` and reads as absent.
    fn live(&mut self, key: &Key, gone: &mut Option<Service>) -> Option<&Service> {
        let dead = !self.services.get(key)?.send.port().is_active();
        if dead {
            *gone = self.remove(key);
            return None;
        }
        self.services.get(key)
    }

    /// Why `owner` may not bind `name` now: its own live binding of it
    /// (`BOOTSTRAP_SERVICE_ACTIVE`), or root's, for another user
    /// (`BOOTSTRAP_NOT_PRIVILEGED`). Dead bindings met go into `gone`.
    fn taken(
        &mut self,
        name: &Name,
        owner: u32,
        gone: &mut [Option<Service>; 2],
    ) -> Option<MachError> {
        let [own, root] = gone;
        if self.live(&(owner, *name), own).is_some() {
            return Some(BOOTSTRAP_SERVICE_ACTIVE);
        }
        if owner != ROOT && self.live(&(ROOT, *name), root).is_some() {
            return Some(BOOTSTRAP_NOT_PRIVILEGED);
        }
        None
    }

    /// Binds `name` to `send` for `owner`, unless it is taken
    /// ([`TableInner::taken`]) or `owner` is at the limit. On refusal
    /// everything comes back, to be dropped after the lock.
    fn bind(
        &mut self,
        name: &Name,
        owner: u32,
        exempt: bool,
        send: Right,
        r: Reserved,
        gone: &mut [Option<Service>; 2],
    ) -> core::result::Result<(), (MachError, Gone)> {
        let node = r.node.into_node(
            (owner, *name),
            Service {
                send,
                _charge: r.charge,
            },
        );
        if !self.active {
            return Err((BOOTSTRAP_NO_MEMORY, Some(node)));
        }
        if let Some(e) = self.taken(name, owner, gone) {
            return Err((e, Some(node)));
        }
        let max = if exempt {
            0
        } else {
            crate::ffi::max_bootstrap_names()
        };
        match self.held.get_mut(&owner) {
            Some(n) if max != 0 && *n >= max => return Err((BOOTSTRAP_NO_MEMORY, Some(node))),
            Some(n) => *n = n.saturating_add(1),
            None => {
                self.held.insert(r.count.into_node(owner, 1));
            }
        }
        // No binding of `(owner, name)` is left: nothing is replaced.
        let replaced = self.services.insert(node);
        debug_assert!(replaced.is_none());
        Ok(())
    }
}

impl Registry {
    /// A registry for `ns`, its port on the kernel's account (no user's).
    fn new(ns: IpcNs) -> Result<Arc<Registry>> {
        let (quota, account) = Quota::kernel()?;
        let port = Port::new(&quota).map_err(|_| ENOMEM)?;
        let receive = Right::from_counted(Kind::Receive, port.clone());
        let table = Arc::pin_init(
            pin_init!(Table {
                inner <- new_spinlock!(TableInner {
                    active: true,
                    receive: Some(receive),
                    ns: Some(ns),
                    services: RBTree::new(),
                    held: RBTree::new(),
                }, "bootstrap::Table::inner"),
            }),
            GFP_KERNEL_ACCOUNT,
        )?;
        let r = match Arc::new(
            Registry {
                port: port.clone(),
                table: table.clone(),
                _account: account,
            },
            GFP_KERNEL_ACCOUNT,
        ) {
            Ok(r) => r,
            Err(e) => {
                Table::teardown(&table);
                return Err(e.into());
            }
        };
        port.set_kobject(r.clone());
        Ok(r)
    }

    /// A new send right to the registry's port.
    pub(crate) fn make_send(&self) -> MachResult<Right> {
        self.port.make_send()
    }

    /// What binding `name` needs, allocated before the table is locked:
    /// its node, its holder's count, its charge and its port's watch.
    fn reserve(&self, key: Key, quota: &Arc<Quota>) -> MachResult<(Reserved, Arc<Watch>)> {
        let r = Reserved::new(quota)?;
        let watch = Arc::new(
            Watch {
                table: self.table.clone(),
                key,
            },
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| BOOTSTRAP_NO_MEMORY)?;
        Ok((r, watch))
    }

    /// Binds `name` to `send` ([`TableInner::bind`]); what is refused, or
    /// replaced, is dropped after the lock.
    fn bind(&self, name: &Name, caller: Caller, send: Right, r: Reserved) -> MachResult {
        let mut gone = [None, None];
        let res = self
            .table
            .inner
            .lock()
            .bind(name, caller.uid, caller.exempt, send, r, &mut gone);
        drop(gone);
        res.map_err(|(e, node)| {
            drop(node);
            e
        })
    }

    fn check_in(&self, name: &Name, caller: Caller, quota: &Arc<Quota>) -> MachResult<Right> {
        let (r, watch) = self.reserve((caller.uid, *name), quota)?;
        let port = Port::new(quota).map_err(|_| BOOTSTRAP_NO_MEMORY)?;
        // Until the reply carries it away, dropping `receive` destroys the
        // port, which the table then forgets.
        let receive = Right::from_counted(Kind::Receive, port.clone());
        let send = port.make_send().map_err(|_| BOOTSTRAP_NO_MEMORY)?;
        // A new port has no watch yet.
        port.set_death_watch(watch);
        self.bind(name, caller, send, r)?;
        Ok(receive)
    }

    fn register(
        &self,
        name: &Name,
        caller: Caller,
        quota: &Arc<Quota>,
        port: Carried,
    ) -> MachResult {
        let send = match port {
            Carried::Right(r) => r,
            // launchd binds nothing to a null or dead port and succeeds.
            Carried::Null | Carried::Dead => {
                let mut gone = [None, None];
                let taken = self.table.inner.lock().taken(name, caller.uid, &mut gone);
                drop(gone);
                return taken.map_or(Ok(()), Err);
            }
        };
        let key = (caller.uid, *name);
        let (r, watch) = self.reserve(key, quota)?;
        let target = send.port().clone();
        self.bind(name, caller, send, r)?;
        // A port already watched for another name is released lazily (see
        // the rules above). If it died before the watch was set, the name
        // is found dead and released now.
        target.set_death_watch(watch);
        if !target.is_active() {
            let mut gone = None;
            let _ = self.table.inner.lock().live(&key, &mut gone);
            drop(gone);
        }
        Ok(())
    }

    /// Root's binding of `name` if it lives, else the caller's own.
    fn look_up(&self, name: &Name, caller: u32) -> MachResult<Right> {
        let [mut root, mut own] = [None, None];
        let res = {
            let mut g = self.table.inner.lock();
            let port = match g.live(&(ROOT, *name), &mut root) {
                Some(s) => Some(s.send.port().clone()),
                None => g
                    .live(&(caller, *name), &mut own)
                    .map(|s| s.send.port().clone()),
            };
            // The binding holds a send right: the copy counts without the
            // port's lock.
            match port {
                Some(p) => p.copy_send().map_err(|_| BOOTSTRAP_NO_MEMORY),
                None => Err(BOOTSTRAP_UNKNOWN_SERVICE),
            }
        };
        drop(root);
        drop(own);
        res
    }

    /// Serves one request (see the module doc for the routines).
    fn dispatch(&self, req: &mut Kmsg) -> Reply {
        let caller = Caller {
            uid: req.sender.ids.euid(),
            // Served in the sender's context: the sender's capability, as
            // the per-user limits of `limits.rs` exempt it.
            exempt: crate::ffi::capable_resource(),
        };
        let quota = req.charge.as_ref().map(|c| c.quota().clone());
        match req.id {
            MIG_BOOTSTRAP_PARENT => {
                if crate::kobject::check(req, Layout::Bare).is_none() {
                    return error(MachError(MIG_BAD_ARGUMENTS));
                }
                port_reply(self.make_send())
            }
            MIG_BOOTSTRAP_CHECK_IN | MIG_BOOTSTRAP_LOOK_UP => {
                let name = match name_arg(req, Layout::Simple(BOOTSTRAP_MAX_NAME_LEN)) {
                    Some((n, _)) => n,
                    None => return error(MachError(MIG_BAD_ARGUMENTS)),
                };
                if req.id == MIG_BOOTSTRAP_LOOK_UP {
                    return port_reply(self.look_up(&name, caller.uid));
                }
                match quota {
                    Some(q) => port_reply(self.check_in(&name, caller, &q)),
                    None => error(BOOTSTRAP_NO_MEMORY),
                }
            }
            MIG_BOOTSTRAP_REGISTER => {
                let (name, disposition) =
                    match name_arg(req, Layout::OnePort(BOOTSTRAP_MAX_NAME_LEN)) {
                        Some(x) => x,
                        None => return error(MachError(MIG_BAD_ARGUMENTS)),
                    };
                // MIG's server takes a `mach_port_t` argument as a send
                // right only.
                if u32::from(disposition) != MACH_MSG_TYPE_PORT_SEND {
                    return error(MachError(MIG_TYPE_ERROR));
                }
                let port = crate::kobject::take_port(req);
                let r = match quota {
                    Some(q) => self.register(&name, caller, &q, port),
                    None => Err(BOOTSTRAP_NO_MEMORY),
                };
                Reply::Simple(to_code(r), KVec::new())
            }
            _ => error(MachError(MIG_BAD_ID)),
        }
    }
}

/// The name argument of a request of `layout`, and its port descriptor's
/// disposition: `None` if the layout differs or the name has no NUL
/// within its bytes (MIG's check of a `c_string`).
fn name_arg(req: &Kmsg, layout: Layout) -> Option<(Name, u8)> {
    let (at, disposition) = crate::kobject::check(req, layout)?;
    let bytes = req.body.get(at..at + BOOTSTRAP_MAX_NAME_LEN)?;
    let len = bytes.iter().position(|&b| b == 0)?;
    let mut name = [0u8; BOOTSTRAP_MAX_NAME_LEN];
    name[..len].copy_from_slice(&bytes[..len]);
    Some((name, disposition))
}

fn port_reply(r: MachResult<Right>) -> Reply {
    match r {
        Ok(r) => Reply::Port(Carried::Right(r)),
        Err(e) => error(e),
    }
}

impl Table {
    /// Ends the table: its names, the registry's receive right (the port
    /// dies) and the namespace reference go, outside the lock.
    fn teardown(this: &Table) {
        let (services, held, receive, ns) = {
            let mut g = this.inner.lock();
            g.active = false;
            (
                core::mem::take(&mut g.services),
                core::mem::take(&mut g.held),
                g.receive.take(),
                g.ns.take(),
            )
        };
        drop(held);
        drop(services);
        drop(receive);
        drop(ns);
    }
}

impl KernelObject for Registry {
    fn serve(&self, req: KmsgBox) {
        crate::kobject::serve_request(req, |req| self.dispatch(req));
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// The registry of the caller's IPC namespace, made if it has none, joined
/// by one more space; `None` if memory is short: the space then starts
/// with no bootstrap port.
pub(crate) fn join() -> Option<Arc<Registry>> {
    let ns = IpcNs::current();
    let key = ns.key();
    let mut g = REGISTRIES.lock();
    if let Some(m) = g.list.iter_mut().find(|m| m.ns == key) {
        m.spaces = m.spaces.checked_add(1)?;
        let r = m.registry.clone();
        drop(g);
        drop(ns);
        return Some(r);
    }
    let registry = Registry::new(ns).ok()?;
    let m = Member {
        ns: key,
        registry: registry.clone(),
        spaces: 1,
    };
    if g.list.push(m, GFP_KERNEL_ACCOUNT).is_err() {
        drop(g);
        Table::teardown(&registry.table);
        return None;
    }
    Some(registry)
}

/// A space that joined `registry` is torn down; the last one ends it.
pub(crate) fn leave(registry: Arc<Registry>) {
    let mut g = REGISTRIES.lock();
    let gone = match g
        .list
        .iter()
        .position(|m| Arc::ptr_eq(&m.registry, &registry))
    {
        Some(i) => {
            g.list[i].spaces -= 1;
            if g.list[i].spaces == 0 {
                g.list.remove(i).ok()
            } else {
                None
            }
        }
        None => None,
    };
    drop(g);
    if let Some(m) = gone {
        Table::teardown(&m.registry.table);
    }
}

/// Whether `obj` is a bootstrap registry (`mach_port_kobject`).
pub(crate) fn is_registry(obj: &dyn core::any::Any) -> bool {
    obj.is::<Registry>()
}
