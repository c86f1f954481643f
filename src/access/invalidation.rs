//! Keeping cached plans honest without throwing them all away.
//!
//! A rewritten check holds one of three assumptions, each recorded in the
//! plan as a dependency on a pg_proc row (a plan invalidation item):
//!
//! - **bypass**: folded to `true` for a platform admin acting with no
//!   tenant or as the platform tenant; depends on `vital.is_platform_admin`.
//!   Re-planned when the context stops allowing the bypass, and at the end
//!   of every transaction (a revoked admin loses the bypass by the next one,
//!   and PostgREST's JWT user changes without any setting of ours changing).
//! - **no context**: folded to `false`; depends on `vital.set_tenant_context`.
//!   Re-planned when a tenant is set, or the bypass may start to apply.
//! - **run time**: the rules reading the tenant when the plan runs, right
//!   for every tenant (and, reading nothing, for no context); depends on
//!   `vital.get_current_tenant_id`. Re-planned only when the bypass may start
//!   to apply: a user who is (or may be) a platform admin with no tenant or
//!   the platform tenant's context.
//!
//! Re-planning is local and narrow: PostgreSQL's own syscache callbacks are
//! called for those pg_proc rows (`CallSyscacheCallbacks`), which marks the
//! plans depending on them, and no other, for re-planning. A tenant
//! switching to another tenant re-plans nothing.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CStr};

use pgrx::pg_sys::{self, Oid};
use pgrx::prelude::*;
use uuid::Uuid;

use crate::context;
use crate::functions;

use super::rules::{bypass_possible, forget_admin_status, known_admin};

/// What a rewritten plan assumes about the context.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Assumption {
    Bypass,
    NoContext,
    RunTime,
}

thread_local! {
    /// Per assumption, the hash values (in the PROCOID syscache) of the
    /// pg_proc rows plans holding it depend on; empty when no such plan may
    /// exist.
    static PLANS: RefCell<[Vec<u32>; 3]> = const { RefCell::new([Vec::new(), Vec::new(), Vec::new()]) };
    /// While one of our setters assigns the context it decides about plans
    /// itself, once, with fresh knowledge of the admin status.
    static SETTER_ACTIVE: Cell<bool> = const { Cell::new(false) };
}

fn proc_hash(function: Oid) -> u32 {
    // SAFETY: a hash of a key; the pg_proc syscache is initialised by the
    // time anything is planned.
    unsafe {
        pg_sys::GetSysCacheHashValue(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(function),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
        )
    }
}

/// The plan being made holds `assumption`, recorded as a dependency on the
/// pg_proc row of `marker`.
pub(super) fn plan_assumes(root: *mut pg_sys::PlannerInfo, assumption: Assumption, marker: Oid) {
    // SAFETY: adds a plan invalidation item to the plan being made.
    unsafe { pg_sys::record_plan_function_dependency(root, marker) };
    let hash = proc_hash(marker);
    PLANS.with_borrow_mut(|plans| {
        let hashes = &mut plans[assumption as usize];
        if !hashes.contains(&hash) {
            hashes.push(hash);
        }
    });
}

fn replan(assumption: Assumption) {
    let hashes = PLANS.with_borrow_mut(|plans| std::mem::take(&mut plans[assumption as usize]));
    functions::replanning(|| {
        for hash in hashes {
            // SAFETY: runs PostgreSQL's own invalidation callbacks for one
            // pg_proc row; they only mark cached plans and caches invalid,
            // and touch no catalog (safe in transaction abort too).
            unsafe {
                pg_sys::CallSyscacheCallbacks(pg_sys::SysCacheIdentifier::PROCOID as i32, hash)
            };
        }
    });
}

/// Re-plans what the context `user`, `tenant` makes wrong. `admin`:
/// whether `user` is a platform admin, None when not known here (then both
/// kinds of plan that could be wrong are re-planned).
pub(crate) fn reconsider(user: Option<Uuid>, tenant: Option<Uuid>, admin: Option<bool>) {
    for assumption in made_wrong(
        user.is_some(),
        bypass_possible(tenant),
        tenant.is_some(),
        admin,
    ) {
        replan(assumption);
    }
}

/// The assumptions a context makes wrong: a user (or none), whether the
/// tenant context leaves room for the bypass (none, or the platform's),
/// whether a tenant is set, and the user's admin status if known.
fn made_wrong(
    user: bool,
    bypass_room: bool,
    tenant_set: bool,
    admin: Option<bool>,
) -> Vec<Assumption> {
    let possible = user && bypass_room;
    let holds = possible && admin == Some(true);
    let may_hold = possible && admin != Some(false);
    let mut wrong = Vec::new();
    if !holds {
        wrong.push(Assumption::Bypass);
    }
    if may_hold {
        wrong.push(Assumption::RunTime);
    }
    if may_hold || tenant_set {
        wrong.push(Assumption::NoContext);
    }
    wrong
}

/// Runs `f`, one of our setters assigning the context, without the assign
/// hooks deciding about plans: the setter calls [`reconsider`] afterwards.
pub(crate) fn while_setting<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the flag back however `f` ends (an error unwinds through it).
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SETTER_ACTIVE.set(self.0);
        }
    }
    let _restore = Restore(SETTER_ACTIVE.replace(true));
    f()
}

/// The value an assign hook is given: a UUID or empty (the check hook
/// admits nothing else).
///
/// # Safety
/// `newval` is NULL or a NUL-terminated string.
unsafe fn parsed(newval: *const c_char) -> Option<Uuid> {
    if newval.is_null() {
        return None;
    }
    // SAFETY: per this function's contract.
    Uuid::try_parse_ascii(unsafe { CStr::from_ptr(newval) }.to_bytes()).ok()
}

/// Assign hook of `vital.tenant_id` (handed to `settings` in `_PG_init`):
/// runs on every change, including the end of a transaction that set it
/// locally, rollbacks, resets and `DISCARD ALL`. The setting itself still
/// holds the old value while the hook runs.
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn tenant_setting_changed(
    newval: *const c_char,
    _extra: *mut c_void,
) {
    if SETTER_ACTIVE.get() {
        return;
    }
    // SAFETY: PostgreSQL passes the new value.
    let tenant = unsafe { parsed(newval) };
    let user = context::current_user();
    reconsider(user, tenant, user.and_then(known_admin));
}

/// Assign hook of `vital.user_id`; see [`tenant_setting_changed`].
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn user_setting_changed(
    newval: *const c_char,
    _extra: *mut c_void,
) {
    if SETTER_ACTIVE.get() {
        return;
    }
    // SAFETY: PostgreSQL passes the new value.
    let user = unsafe { parsed(newval) }.or_else(context::jwt_user);
    reconsider(user, context::current_tenant(), user.and_then(known_admin));
}

/// Transaction callback (registered in `_PG_init`): the admin status is
/// looked up afresh in the next transaction, and plans that folded the
/// bypass are re-planned then.
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn transaction_ended(
    event: pg_sys::XactEvent::Type,
    _arg: *mut c_void,
) {
    use pg_sys::XactEvent::{
        XACT_EVENT_ABORT, XACT_EVENT_COMMIT, XACT_EVENT_PARALLEL_ABORT, XACT_EVENT_PARALLEL_COMMIT,
        XACT_EVENT_PREPARE,
    };
    if matches!(
        event,
        XACT_EVENT_COMMIT
            | XACT_EVENT_ABORT
            | XACT_EVENT_PARALLEL_COMMIT
            | XACT_EVENT_PARALLEL_ABORT
            | XACT_EVENT_PREPARE
    ) {
        forget_admin_status();
        SETTER_ACTIVE.set(false);
        replan(Assumption::Bypass);
    }
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use super::made_wrong;
    use super::Assumption::{Bypass, NoContext, RunTime};

    #[pg_test]
    fn each_context_replans_exactly_what_it_makes_wrong() {
        // (user, room for the bypass, tenant set, admin) -> re-planned
        let cases = [
            // a tenant's member acting for it: only bypass plans are wrong
            ((true, false, true, None), vec![Bypass, NoContext]),
            ((true, false, true, Some(false)), vec![Bypass, NoContext]),
            // a non-admin user, no tenant yet: plans for tenants stay
            ((true, true, false, Some(false)), vec![Bypass]),
            // an admin, no tenant: bypass holds
            ((true, true, false, Some(true)), vec![RunTime, NoContext]),
            // an admin as the platform tenant
            ((true, true, true, Some(true)), vec![RunTime, NoContext]),
            // a user of unknown status, no tenant: both may be wrong
            ((true, true, false, None), vec![Bypass, RunTime, NoContext]),
            // no user, no tenant: nothing can bypass
            ((false, true, false, None), vec![Bypass]),
            // a trusted service acting for a tenant with no user
            ((false, false, true, None), vec![Bypass, NoContext]),
        ];
        for ((user, room, tenant, admin), expected) in cases {
            assert_eq!(
                made_wrong(user, room, tenant, admin),
                expected,
                "user {user}, room {room}, tenant {tenant}, admin {admin:?}"
            );
        }
    }
}
