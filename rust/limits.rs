// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The machipc authors.

//! Resource limits: how much kernel memory, and how many ports and spaces,
//! one space and all the spaces of one user may make the kernel hold.
//!
//! Every allocation a space's calls make that outlives the call is charged
//! twice: to the space's [`Quota`] (at most [`SPACE_BYTES_MAX`]) and to the
//! [`User`] who opened the space (at most the `max_user_bytes` module
//! parameter). A [`Charge`] records what one object holds and gives it back
//! when it is dropped with that object: a message (its buffer, descriptors,
//! out-of-line memory and the rights it carries), a port, a port set and
//! its memberships, a notification request's reserved message, a space's
//! name table. Ports, wherever they are (in transit too), and open spaces
//! are also counted per user (`max_user_ports`, `max_user_spaces`).
//!
//! Users are keyed by effective kuid, as the kernel's `ucounts` key inotify
//! instances; a kuid is global, so every user namespace that maps one uid
//! shares its account. An opener with `CAP_SYS_RESOURCE` is counted but not
//! limited per user (system services share root's account); the per-space
//! quota binds everyone. The allocations themselves use
//! `GFP_KERNEL_ACCOUNT`, so the memory cgroup sees them too.
//!
//! A space that its own limits (this quota, or its name table's size in
//! `space.rs`) leave without room for another name or port is full, XNU's
//! space "at its max limit": [`Quota::space_full`] kills the space's task
//! if the call that found no room is its own. The per-user limits, shared
//! by every space of a user, and a full message quota
//! (`MACH_SEND_NO_BUFFER`) only answer errors.
//!
//! `USERS` is a leaf lock (see the lock order in the crate root,
//! `machipc_main.rs`).

use core::sync::atomic::{AtomicI64, Ordering};
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Full, Relaxed};
use kernel::sync::Arc;

use crate::error::{MachResult, KERN_NO_SPACE, KERN_RESOURCE_SHORTAGE};
use crate::stats;

/// Kernel memory one space may hold through its calls (bytes): queued
/// messages, ports, port sets, notification requests and its name table.
/// Beyond, sends fail with `MACH_SEND_NO_BUFFER`; port and set allocation
/// and name-table growth fail with `KERN_NO_SPACE`, and the space is full
/// ([`Quota::space_full`]).
pub(crate) const SPACE_BYTES_MAX: i64 = 64 << 20;

kernel::sync::global_lock! {
    // SAFETY: `init` is called in the module initializer, before any space
    // (and so any user account) exists.
    pub(crate) unsafe(uninit) static USERS: Mutex<UserList> = UserList { users: KVec::new() };
}

/// Every user that holds something. A handful in practice; a linear scan
/// at open is cheaper than a tree's node allocations.
pub(crate) struct UserList {
    users: KVec<Arc<User>>,
}

/// What the spaces opened by one user hold together.
pub(crate) struct User {
    kuid: u32,
    spaces: Atomic<i64>,
    ports: Atomic<i64>,
    bytes: Atomic<i64>,
}

#[derive(Clone, Copy)]
enum Res {
    Spaces,
    Ports,
    Bytes,
}

/// The limit on `r` (0: none), read from the module parameters each time so
/// that a write takes effect at once.
fn limit(r: Res) -> i64 {
    let (spaces, ports, bytes) = crate::ffi::user_limits();
    let l = match r {
        Res::Spaces => spaces,
        Res::Ports => ports,
        Res::Bytes => bytes,
    };
    i64::try_from(l).unwrap_or(i64::MAX)
}

impl User {
    fn counter(&self, r: Res) -> &Atomic<i64> {
        match r {
            Res::Spaces => &self.spaces,
            Res::Ports => &self.ports,
            Res::Bytes => &self.bytes,
        }
    }

    /// Takes `n` of `r` if the user stays within its limit (or is exempt).
    /// A refusal only undoes the count: the caller holds an open space or
    /// a port of this user, so the account is not idle, and `open` calls
    /// this under `USERS`, which `forget_if_idle` takes.
    fn take(&self, r: Res, n: i64, exempt: bool) -> bool {
        let c = self.counter(r);
        // The exempt (system services) need not read the limit.
        let max = if exempt { 0 } else { limit(r) };
        if max == 0 {
            c.fetch_add(n, Full);
            return true;
        }
        // Compare and exchange, so that a refused request never shows in
        // the counter, where it would refuse others that fit.
        let mut cur = c.load(Relaxed);
        loop {
            match cur.checked_add(n) {
                Some(t) if t <= max => match c.cmpxchg(cur, t, Full) {
                    Ok(_) => return true,
                    Err(now) => cur = now,
                },
                _ => return false,
            }
        }
    }

    /// Gives `n` of `r` back; the account goes once nothing is held.
    fn give(&self, r: Res, n: i64) {
        if n != 0 && self.counter(r).fetch_sub(n, Full) == n {
            self.forget_if_idle();
        }
    }

    fn idle(&self) -> bool {
        // The fully ordered updates before these loads make the last of
        // concurrent releases see every counter at zero.
        self.spaces.load(Relaxed) == 0
            && self.ports.load(Relaxed) == 0
            && self.bytes.load(Relaxed) == 0
    }

    /// Drops the registry's reference once the user holds nothing. Only an
    /// open (under `USERS`) makes an idle account busy again, so the check
    /// under the lock is final.
    fn forget_if_idle(&self) {
        if !self.idle() {
            return;
        }
        let mut g = USERS.lock();
        if !self.idle() {
            return;
        }
        let gone = g
            .users
            .iter()
            .position(|u| core::ptr::eq(&**u, self))
            .and_then(|i| g.users.remove(i).ok());
        drop(g);
        if gone.is_some() {
            stats::USERS.dec();
        }
        drop(gone);
    }

    /// Counts a space opened by `kuid` on its account (made if need be).
    /// `EMFILE` if the user has `max_user_spaces` open.
    fn open(kuid: u32, exempt: bool) -> Result<Arc<User>> {
        let mut g = USERS.lock();
        let u = match g.users.iter().find(|u| u.kuid == kuid) {
            Some(u) => u.clone(),
            None => {
                let u = Arc::new(
                    User {
                        kuid,
                        spaces: Atomic::new(0),
                        ports: Atomic::new(0),
                        bytes: Atomic::new(0),
                    },
                    GFP_KERNEL_ACCOUNT,
                )?;
                g.users.push(u.clone(), GFP_KERNEL_ACCOUNT)?;
                stats::USERS.inc();
                u
            }
        };
        // Taken under the lock: an account found here cannot be forgotten
        // before it counts this space.
        let ok = u.take(Res::Spaces, 1, exempt);
        drop(g);
        if !ok {
            return Err(EMFILE);
        }
        Ok(u)
    }
}

/// Which limit refused a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The space's own quota, [`SPACE_BYTES_MAX`].
    Space,
    /// Its user's, shared with the user's other spaces.
    User,
}

/// A space's account: its own byte quota and its opener's [`User`].
pub(crate) struct Quota {
    /// A `core` atomic, as `stats::Counter` and for the same reason: a
    /// count that orders nothing, charged and given back with every
    /// message, where each `Atomic<i64>` operation costs two calls.
    bytes: AtomicI64,
    user: Arc<User>,
    /// The opener had `CAP_SYS_RESOURCE`: the user's limits do not apply.
    exempt: bool,
    /// The process whose space this is (the opener), which
    /// [`Quota::space_full`] kills; `None` for the kernel's accounts.
    owner: Option<crate::ffi::PidRef>,
}

impl Quota {
    /// A separate byte account on the same user, for what one object
    /// makes the kernel hold on its own (a timer's expiry message): the
    /// user's limits apply, and [`Quota::held`] tells whether any of it is
    /// still held.
    pub(crate) fn sub_account(&self) -> Result<Arc<Quota>> {
        Ok(Arc::new(
            Quota {
                bytes: AtomicI64::new(0),
                user: self.user.clone(),
                exempt: self.exempt,
                // A timer's expiry messages are no names or ports.
                owner: None,
            },
            GFP_KERNEL_ACCOUNT,
        )?)
    }

    /// The bytes charged to this account and not yet given back.
    pub(crate) fn held(&self) -> i64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The space has no room for the name or port a call asked for: its
    /// name table is at `MAX_NAMES`, or this quota refused the table's
    /// growth, a port or a port set. As XNU's `ipc_space_set_at_max_limit`
    /// and the check it leaves for the return to user space, the caller's
    /// process is killed (SIGKILL) if the space is its own; it sees the
    /// call's error only if it is the init process, which XNU spares too.
    /// A call from another task (through the space's task port) only gets
    /// the error: XNU checks the current task's own space.
    pub(crate) fn space_full(&self) {
        if self.owner.as_ref().is_some_and(|o| o.is_current()) {
            crate::ffi::kill_current_for_full_space();
        }
    }
}

/// One open space on its user's account; dropped with the space.
pub(crate) struct OpenSpace {
    user: Arc<User>,
}

impl Drop for OpenSpace {
    fn drop(&mut self) {
        self.user.give(Res::Spaces, 1);
    }
}

impl Quota {
    /// The account of a space the caller opens. `EMFILE` if the caller's
    /// user already has `max_user_spaces` spaces open.
    pub(crate) fn open() -> Result<(Arc<Quota>, OpenSpace)> {
        Self::open_as(
            crate::ffi::current_euid_key(),
            crate::ffi::capable_resource(),
            Some(crate::ffi::PidRef::current_tgid()),
        )
    }

    /// The account of the ports the kernel makes for a whole IPC
    /// namespace (the host's, `host.rs`): kept apart from every user's,
    /// under `INVALID_UID`, which no process has, and never limited.
    pub(crate) fn kernel() -> Result<(Arc<Quota>, OpenSpace)> {
        Self::open_as(u32::MAX, true, None)
    }

    fn open_as(
        kuid: u32,
        exempt: bool,
        owner: Option<crate::ffi::PidRef>,
    ) -> Result<(Arc<Quota>, OpenSpace)> {
        let user = User::open(kuid, exempt)?;
        let open = OpenSpace { user: user.clone() };
        let q = Arc::new(
            Quota {
                bytes: AtomicI64::new(0),
                user,
                exempt,
                owner,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        Ok((q, open))
    }
}

/// What one object holds on a [`Quota`] (and its user), given back when the
/// charge is dropped.
///
/// # Invariants
///
/// `bytes` and `ports` were taken from `quota` and its user and are given
/// back exactly once.
pub(crate) struct Charge {
    quota: Arc<Quota>,
    bytes: i64,
    ports: i64,
}

impl Charge {
    /// A charge of nothing yet.
    pub(crate) fn empty(quota: &Arc<Quota>) -> Charge {
        Charge {
            quota: quota.clone(),
            bytes: 0,
            ports: 0,
        }
    }

    /// Charges `n` bytes to `quota`, if it has room.
    pub(crate) fn new(quota: &Arc<Quota>, n: usize) -> Option<Charge> {
        let mut c = Charge::empty(quota);
        c.add(n).then_some(c)
    }

    /// The quota this charge is held on.
    pub(crate) fn quota(&self) -> &Arc<Quota> {
        &self.quota
    }

    /// Charges `n` more bytes, if the space and its user have room.
    pub(crate) fn add(&mut self, n: usize) -> bool {
        self.try_add(n).is_ok()
    }

    /// Charges `n` more bytes, or says which limit refused them.
    pub(crate) fn try_add(&mut self, n: usize) -> core::result::Result<(), Refused> {
        let n = match i64::try_from(n) {
            Ok(n) if n <= SPACE_BYTES_MAX => n,
            _ => return Err(Refused::Space),
        };
        let q = &self.quota;
        // Compare and exchange: a refused large charge must not make a
        // small one from another thread of the space fail meanwhile.
        let mut cur = q.bytes.load(Ordering::Relaxed);
        loop {
            match cur.checked_add(n) {
                Some(t) if t <= SPACE_BYTES_MAX => {
                    match q
                        .bytes
                        .compare_exchange(cur, t, Ordering::Relaxed, Ordering::Relaxed)
                    {
                        Ok(_) => break,
                        Err(now) => cur = now,
                    }
                }
                _ => return Err(Refused::Space),
            }
        }
        if !q.user.take(Res::Bytes, n, q.exempt) {
            q.bytes.fetch_sub(n, Ordering::Relaxed);
            return Err(Refused::User);
        }
        stats::CHARGED_BYTES.add(n);
        // Cannot overflow: the total stays within SPACE_BYTES_MAX.
        self.bytes += n;
        Ok(())
    }

    /// Charges `n` bytes for a port or port set its space is to hold:
    /// `KERN_NO_SPACE` if the space's quota has no room for it (the space
    /// is full: [`Quota::space_full`]), `KERN_RESOURCE_SHORTAGE` if its
    /// user's limit refused.
    pub(crate) fn add_object(&mut self, n: usize) -> MachResult {
        match self.try_add(n) {
            Ok(()) => Ok(()),
            Err(Refused::Space) => {
                self.quota.space_full();
                Err(KERN_NO_SPACE)
            }
            Err(Refused::User) => Err(KERN_RESOURCE_SHORTAGE),
        }
    }

    /// Charges `n` more bytes for each of `count` items (checked).
    pub(crate) fn add_n(&mut self, count: usize, n: usize) -> bool {
        self.try_add_n(count, n).is_ok()
    }

    /// [`Charge::add_n`], saying which limit refused.
    pub(crate) fn try_add_n(
        &mut self,
        count: usize,
        n: usize,
    ) -> core::result::Result<(), Refused> {
        count
            .checked_mul(n)
            .map_or(Err(Refused::Space), |t| self.try_add(t))
    }

    /// Gives back `n` of the bytes this charge holds (at most all).
    pub(crate) fn release(&mut self, n: usize) {
        let n = i64::try_from(n).unwrap_or(i64::MAX).min(self.bytes);
        self.bytes -= n;
        self.quota.bytes.fetch_sub(n, Ordering::Relaxed);
        stats::CHARGED_BYTES.add(-n);
        self.quota.user.give(Res::Bytes, n);
    }

    /// Counts one more port on the user, if it has room.
    pub(crate) fn add_port(&mut self) -> bool {
        let q = &self.quota;
        if !q.user.take(Res::Ports, 1, q.exempt) {
            return false;
        }
        self.ports += 1;
        true
    }

    /// Takes over what `other` holds; if the quotas differ it is not taken
    /// over but released, and the result is false.
    pub(crate) fn merge(&mut self, mut other: Charge) -> bool {
        if !Arc::ptr_eq(&self.quota, &other.quota) {
            return false;
        }
        self.bytes += core::mem::take(&mut other.bytes);
        self.ports += core::mem::take(&mut other.ports);
        true
    }

    /// The bytes this charge holds.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn bytes(&self) -> i64 {
        self.bytes
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        let b = self.bytes;
        self.release(usize::try_from(b).unwrap_or(0));
        if self.ports != 0 {
            self.quota.user.give(Res::Ports, self.ports);
        }
    }
}

#[kunit_tests(machipc_limits)]
mod tests {
    use super::*;

    #[test]
    fn space_quota_refuses_and_gives_back() -> Result {
        let (q, open) = Quota::open()?;
        let mut a = Charge::empty(&q);
        assert!(a.add(SPACE_BYTES_MAX as usize - 100));
        assert!(!a.add(101));
        let mut b = Charge::new(&q, 100).ok_or(ENOMEM)?;
        assert!(Charge::new(&q, 1).is_none());
        b.release(50);
        assert!(Charge::new(&q, 50).is_some());
        drop(a);
        drop(b);
        assert_eq!(q.bytes.load(Ordering::Relaxed), 0);
        // Sizes that do not fit are refused, not wrapped.
        assert!(Charge::new(&q, usize::MAX).is_none());
        let mut c = Charge::empty(&q);
        assert!(!c.add_n(usize::MAX / 2, 3));
        assert_eq!(c.bytes(), 0);
        drop(open);
        Ok(())
    }

    #[test]
    fn a_refusal_names_its_limit() -> Result {
        let (q, _open) = Quota::open()?;
        let mut a = Charge::empty(&q);
        assert_eq!(a.try_add(SPACE_BYTES_MAX as usize), Ok(()));
        assert_eq!(a.try_add(1), Err(Refused::Space));
        assert_eq!(a.try_add_n(usize::MAX, 2), Err(Refused::Space));
        drop(a);
        // Spaces of one user, each filled to its quota, until the user's
        // `max_user_bytes` refuses a space with room of its own. (A
        // user of its own, which no opener has.)
        let mut held = KVec::new();
        let mut refused = None;
        for _ in 0..16 {
            let (u, open) = Quota::open_as(u32::MAX - 1, false, None)?;
            let mut c = Charge::empty(&u);
            match c.try_add(SPACE_BYTES_MAX as usize) {
                Ok(()) => held.push((c, open), GFP_KERNEL)?,
                Err(r) => {
                    refused = Some(r);
                    break;
                }
            }
        }
        let max = limit(Res::Bytes);
        if max > 0 && max < 16 * SPACE_BYTES_MAX {
            assert_eq!(refused, Some(Refused::User));
        }
        Ok(())
    }

    #[test]
    fn merge_moves_the_charge() -> Result {
        let (q, _open) = Quota::open()?;
        let (other, _o2) = Quota::open()?;
        let mut a = Charge::new(&q, 10).ok_or(ENOMEM)?;
        let b = Charge::new(&q, 20).ok_or(ENOMEM)?;
        assert!(a.merge(b));
        assert_eq!(a.bytes(), 30);
        assert!(!a.merge(Charge::new(&other, 1).ok_or(ENOMEM)?));
        assert_eq!(q.bytes.load(Ordering::Relaxed), 30);
        drop(a);
        assert_eq!(q.bytes.load(Ordering::Relaxed), 0);
        Ok(())
    }
}
