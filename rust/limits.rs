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
//! shares its account. A caller with `CAP_SYS_RESOURCE` is counted but not
//! limited per user (system services share root's account); the per-space
//! quota binds everyone. The allocations themselves use
//! `GFP_KERNEL_ACCOUNT`, so the memory cgroup sees them too.
//!
//! The user is the one the space's process *is* when it makes the charge,
//! not the one that opened the space: XNU judges a task by its process's
//! current credentials, and a root parent's forked child that drops to
//! another user must be limited as that user. When the caller's
//! credentials change, [`Quota::rekey`] (run by `security_token.rs` before
//! the call) points the quota at that user's [`Account`], and the space's
//! open count moves there, as a process's count does on `setuid`. What is
//! already held stays where it was charged (as the kernel's mqueue bytes
//! stay with the queue's creator), so every [`Charge`] remembers its
//! account; the name table's charge moves with [`Charge::rehome`]. A quota
//! keeps every account it ever charged until it is freed: one per user
//! (and exemption) the space's process has been.
//!
//! A space that its own limits (this quota, or its name table's size in
//! `space.rs`) leave without room for another name or port is full, XNU's
//! space "at its max limit": [`Quota::space_full`] kills the space's task
//! if the call that found no room is its own. The per-user limits, shared
//! by every space of a user, and a full message quota
//! (`MACH_SEND_NO_BUFFER`) only answer errors.
//!
//! `USERS` is a leaf lock; `Quota::accounts` is taken after `Space::inner`
//! and before `USERS` (see the lock order in the crate root,
//! `machipc_main.rs`).

use core::ptr::NonNull;
use core::sync::atomic::{AtomicI64, AtomicPtr, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

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
    // Core atomics, as [`Quota::bytes`]: every message takes and gives
    // back bytes here, and each `kernel::sync::atomic` operation is a call
    // to a C helper.
    spaces: AtomicI64,
    ports: AtomicI64,
    bytes: AtomicI64,
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
    fn counter(&self, r: Res) -> &AtomicI64 {
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
            c.fetch_add(n, Ordering::SeqCst);
            return true;
        }
        // Compare and exchange, so that a refused request never shows in
        // the counter, where it would refuse others that fit.
        let mut cur = c.load(Ordering::Relaxed);
        loop {
            match cur.checked_add(n) {
                Some(t) if t <= max => {
                    match c.compare_exchange(cur, t, Ordering::SeqCst, Ordering::Relaxed) {
                        Ok(_) => return true,
                        Err(now) => cur = now,
                    }
                }
                _ => return false,
            }
        }
    }

    /// Gives `n` of `r` back; the account goes once nothing is held.
    fn give(&self, r: Res, n: i64) {
        if n != 0 && self.counter(r).fetch_sub(n, Ordering::SeqCst) == n {
            self.forget_if_idle();
        }
    }

    fn idle(&self) -> bool {
        // The fully ordered updates before these loads make the last of
        // concurrent releases see every counter at zero.
        self.spaces.load(Ordering::Relaxed) == 0
            && self.ports.load(Ordering::Relaxed) == 0
            && self.bytes.load(Ordering::Relaxed) == 0
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
                        spaces: AtomicI64::new(0),
                        ports: AtomicI64::new(0),
                        bytes: AtomicI64::new(0),
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

/// One user as a quota charges it: the user and whether the caller was
/// exempt from its limits then. Immutable once made.
struct Account {
    user: Arc<User>,
    exempt: bool,
}

/// Which limit refused a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The space's own quota, [`SPACE_BYTES_MAX`].
    Space,
    /// Its user's, shared with the user's other spaces.
    User,
}

/// A space's account: its own byte quota and the [`User`] its process is.
///
/// # Invariants
///
/// `current` points at one of the accounts `accounts` owns; an account is
/// never removed from `accounts` (nor moved: each is boxed) while the
/// quota lives, so a pointer to one stays valid as long as a reference to
/// the quota is held.
#[pin_data]
pub(crate) struct Quota {
    /// A `core` atomic, as `stats::Counter` and for the same reason: a
    /// count that orders nothing, charged and given back with every
    /// message, where each `Atomic<i64>` operation costs two calls.
    bytes: AtomicI64,
    /// The account new charges go to; read without a lock by every
    /// charge, changed by [`Quota::rekey`] (release, after the account is
    /// made).
    current: AtomicPtr<Account>,
    /// Every account this quota has charged.
    #[pin]
    accounts: Mutex<KVec<KBox<Account>>>,
    /// The process whose space this is (the opener), which
    /// [`Quota::space_full`] kills; `None` for the kernel's accounts.
    owner: Option<crate::ffi::PidRef>,
}

// SAFETY: The accounts `current` points at are immutable and owned by the
// quota (type invariant); `Account` holds only an `Arc<User>` (atomics) and
// a bool, both safe to share and send; `owner` is a pid reference.
unsafe impl Send for Quota {}
// SAFETY: As for `Send`: shared access only reads an immutable account.
unsafe impl Sync for Quota {}

impl Quota {
    /// A quota on `user` alone. Takes nothing from the user.
    fn with(
        user: Arc<User>,
        exempt: bool,
        owner: Option<crate::ffi::PidRef>,
    ) -> Result<Arc<Quota>> {
        let mut first = KBox::new(Account { user, exempt }, GFP_KERNEL_ACCOUNT)?;
        let current = AtomicPtr::new(NonNull::from(&mut *first).as_ptr());
        let mut accounts = KVec::with_capacity(1, GFP_KERNEL_ACCOUNT)?;
        accounts.push(first, GFP_KERNEL_ACCOUNT)?;
        // INVARIANT: `current` points at the one account, which `accounts`
        // owns from here on (moving the box does not move the account).
        Arc::pin_init(
            pin_init!(Quota {
                bytes: AtomicI64::new(0),
                current,
                accounts <- new_mutex!(accounts, "Quota::accounts"),
                owner,
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The account new charges go to.
    fn current(&self) -> NonNull<Account> {
        // Acquire: pairs with `rekey`'s release, so the account's fields
        // are seen as made.
        let p = self.current.load(Ordering::Acquire);
        // SAFETY: Never null: set from a box in `with` and `rekey`.
        unsafe { NonNull::new_unchecked(p) }
    }

    /// The account `a` of this quota.
    fn account(&self, a: NonNull<Account>) -> &Account {
        // SAFETY: `a` came from `current` of this quota, so by the type
        // invariant the quota owns it and does not free it while `self`
        // lives.
        unsafe { a.as_ref() }
    }

    /// A separate byte account on the same user, for what one object
    /// makes the kernel hold on its own (a timer's expiry message): the
    /// user's limits apply, and [`Quota::held`] tells whether any of it is
    /// still held.
    pub(crate) fn sub_account(&self) -> Result<Arc<Quota>> {
        let a = self.account(self.current());
        // A timer's expiry messages are no names or ports: no owner.
        Quota::with(a.user.clone(), a.exempt, None)
    }

    /// Makes the caller's user (effective kuid `kuid`, exempt from the
    /// per-user limits if `exempt`) the one new charges go to, and moves
    /// the space's open count to it. What is held stays where it was
    /// charged. The caller serializes calls for one quota (the space's
    /// lock); a quota without an open space (the kernel's, a sub-account)
    /// is never rekeyed.
    pub(crate) fn rekey(&self, kuid: u32, exempt: bool) -> Result {
        let mut accounts = self.accounts.lock();
        let old = self.current();
        let (old_user, old_exempt) = {
            let a = self.account(old);
            (a.user.clone(), a.exempt)
        };
        if old_user.kuid == kuid && old_exempt == exempt {
            return Ok(());
        }
        // Counted on the new user now, over its limit if need be: the
        // space is already open and cannot be refused.
        let user = User::open(kuid, true)?;
        let found = accounts
            .iter_mut()
            .find(|a| Arc::ptr_eq(&a.user, &user) && a.exempt == exempt)
            .map(|a| NonNull::from(&mut **a));
        let new = match found {
            Some(a) => a,
            None => {
                let made = KBox::new(
                    Account {
                        user: user.clone(),
                        exempt,
                    },
                    GFP_KERNEL_ACCOUNT,
                )
                .and_then(|mut b| {
                    let p = NonNull::from(&mut *b);
                    accounts.push(b, GFP_KERNEL_ACCOUNT).map(|()| p)
                });
                match made {
                    Ok(p) => p,
                    Err(e) => {
                        drop(accounts);
                        user.give(Res::Spaces, 1);
                        return Err(e.into());
                    }
                }
            }
        };
        // INVARIANT: `new` is owned by `accounts`.
        self.current.store(new.as_ptr(), Ordering::Release);
        drop(accounts);
        drop(user);
        old_user.give(Res::Spaces, 1);
        Ok(())
    }

    /// The effective kuid new charges go to (for tests).
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn kuid(&self) -> u32 {
        self.account(self.current()).user.kuid
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

/// One open space on its quota's current user; dropped with the space.
pub(crate) struct OpenSpace {
    quota: Arc<Quota>,
}

impl Drop for OpenSpace {
    fn drop(&mut self) {
        // The space is gone, so nothing rekeys its quota any more.
        let q = &self.quota;
        q.account(q.current()).user.give(Res::Spaces, 1);
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
        match Quota::with(user.clone(), exempt, owner) {
            Ok(q) => Ok((q.clone(), OpenSpace { quota: q })),
            Err(e) => {
                user.give(Res::Spaces, 1);
                Err(e)
            }
        }
    }
}

/// What one object holds on a [`Quota`] (and its user), given back when the
/// charge is dropped.
///
/// # Invariants
///
/// `account` is one of `quota`'s accounts. `bytes` were taken from `quota`
/// and from `account`'s user, `ports` from that user, and are given back
/// exactly once.
pub(crate) struct Charge {
    quota: Arc<Quota>,
    account: NonNull<Account>,
    bytes: i64,
    ports: i64,
}

// SAFETY: `account` points at an immutable account that `quota` owns
// (type invariant), safe to share and send as the quota is.
unsafe impl Send for Charge {}
// SAFETY: As for `Send`.
unsafe impl Sync for Charge {}

impl Charge {
    /// A charge of nothing yet, on the quota's current account.
    pub(crate) fn empty(quota: &Arc<Quota>) -> Charge {
        // INVARIANT: the quota's current account is one of its own.
        Charge {
            quota: quota.clone(),
            account: quota.current(),
            bytes: 0,
            ports: 0,
        }
    }

    fn account(&self) -> &Account {
        self.quota.account(self.account)
    }

    /// Moves what this charge holds to the quota's current account (for a
    /// charge that keeps growing, the space's name table, after a rekey):
    /// taken there whatever the limit, as the kernel already holds it.
    /// Returns a charge holding it on the old account, which the caller
    /// drops once it holds no spinlock (giving back may forget a user).
    pub(crate) fn rehome(&mut self) -> Charge {
        let now = self.quota.current();
        if now == self.account {
            return Charge::empty(&self.quota);
        }
        // INVARIANT: the old holding moves, as it is, into `old`.
        let old = Charge {
            quota: self.quota.clone(),
            account: self.account,
            bytes: self.bytes,
            ports: self.ports,
        };
        let to = self.quota.account(now);
        to.user.take(Res::Bytes, self.bytes, true);
        to.user.take(Res::Ports, self.ports, true);
        // The space's own count of bytes is the same before and after:
        // taken once more for `self`, given back with `old`.
        self.quota.bytes.fetch_add(self.bytes, Ordering::Relaxed);
        stats::CHARGED_BYTES.add(self.bytes);
        // INVARIANT: `now` is the quota's, and holds what `self` holds.
        self.account = now;
        old
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
        let a = self.account();
        if !a.user.take(Res::Bytes, n, a.exempt) {
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
        self.account().user.give(Res::Bytes, n);
    }

    /// Counts one more port on the user, if it has room.
    pub(crate) fn add_port(&mut self) -> bool {
        let a = self.account();
        if !a.user.take(Res::Ports, 1, a.exempt) {
            return false;
        }
        self.ports += 1;
        true
    }

    /// Takes over what `other` holds; if the quotas or their accounts
    /// differ it is not taken over but released, and the result is false.
    pub(crate) fn merge(&mut self, mut other: Charge) -> bool {
        if !Arc::ptr_eq(&self.quota, &other.quota) || self.account != other.account {
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
            self.account().user.give(Res::Ports, self.ports);
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

    /// After a rekey new charges, and the space's open count, are the new
    /// user's; what was charged before stays on the old one and is given
    /// back there; a growing charge moves with [`Charge::rehome`]; going
    /// back reuses the first account.
    #[test]
    fn rekey_charges_the_caller_from_then_on() -> Result {
        // A kuid no process of the test kernel has.
        const OTHER: u32 = 0x7654_3210;
        let (q, open) = Quota::open()?;
        let (me, exempt) = {
            let a = q.account(q.current());
            (a.user.kuid, a.exempt)
        };
        let before = Charge::new(&q, 100).ok_or(ENOMEM)?;
        let mut table = Charge::new(&q, 10).ok_or(ENOMEM)?;
        q.rekey(OTHER, false)?;
        assert_eq!(q.kuid(), OTHER);
        let after = Charge::new(&q, 50).ok_or(ENOMEM)?;
        let old = before.account().user.clone();
        let new = after.account().user.clone();
        assert_eq!(old.kuid, me);
        assert_eq!(new.bytes.load(Ordering::Relaxed), 50);
        assert_eq!(new.spaces.load(Ordering::Relaxed), 1);
        let was = table.rehome();
        assert_eq!(new.bytes.load(Ordering::Relaxed), 60);
        drop(was);
        assert_eq!(q.bytes.load(Ordering::Relaxed), 160);
        q.rekey(me, exempt)?;
        assert_eq!(new.spaces.load(Ordering::Relaxed), 0);
        assert!(core::ptr::eq(Charge::empty(&q).account(), before.account()));
        drop(after);
        drop(table);
        assert_eq!(new.bytes.load(Ordering::Relaxed), 0);
        drop(before);
        assert_eq!(q.bytes.load(Ordering::Relaxed), 0);
        drop(open);
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
