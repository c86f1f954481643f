//! The visibility rule, for the current context, and the per-transaction
//! cache of the one registry fact it needs (is the user a platform admin).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use pgrx::prelude::*;
use uuid::Uuid;

use crate::context::current_user;
use crate::ids::from_pg;
use crate::registry::{is_admin, PLATFORM_TENANT};
use crate::vocabulary::{GLOBAL, SELECTIVE};

thread_local! {
    /// Whether a user is a platform admin, looked up once per transaction
    /// (cleared at transaction end), so a revoked admin loses the bypass no
    /// later than the next transaction and a row scan never repeats the lookup.
    static ADMIN_THIS_TRANSACTION: Cell<Option<(Uuid, bool)>> = const { Cell::new(None) };
    /// What the last lookup in this backend said of each user, for the one
    /// place that cannot look up (the settings' assign hooks, which may run
    /// while a transaction aborts) deciding which cached plans to keep.
    /// Never used to grant anything.
    static LAST_KNOWN_ADMIN: RefCell<HashMap<Uuid, bool>> = RefCell::new(HashMap::new());
}

/// Users remembered in [`LAST_KNOWN_ADMIN`] before it starts afresh.
const REMEMBERED_USERS: usize = 4096;

/// Whether `user` is a platform admin, as of this transaction.
pub(crate) fn admin_this_transaction(user: Uuid) -> bool {
    if let Some((cached_user, admin)) = ADMIN_THIS_TRANSACTION.get() {
        if cached_user == user {
            return admin;
        }
    }
    let admin = is_admin(user);
    ADMIN_THIS_TRANSACTION.set(Some((user, admin)));
    LAST_KNOWN_ADMIN.with_borrow_mut(|known| {
        if known.len() >= REMEMBERED_USERS {
            known.clear();
        }
        known.insert(user, admin);
    });
    admin
}

/// The admin status of `user` as this transaction or the last lookup in
/// this backend found it, without looking up; None when never looked up.
pub(crate) fn known_admin(user: Uuid) -> Option<bool> {
    match ADMIN_THIS_TRANSACTION.get() {
        Some((cached_user, admin)) if cached_user == user => Some(admin),
        _ => LAST_KNOWN_ADMIN.with_borrow(|known| known.get(&user).copied()),
    }
}

pub(crate) fn forget_admin_status() {
    ADMIN_THIS_TRANSACTION.set(None);
}

/// Whether the tenant context leaves room for the admin bypass: none, or the platform's.
pub(crate) fn bypass_possible(tenant: Option<Uuid>) -> bool {
    tenant.is_none_or(|t| t == PLATFORM_TENANT)
}

/// A platform admin acting with no tenant, or as the platform tenant. An
/// admin who set another tenant's context sees exactly what it sees.
pub(crate) fn admin_bypass(tenant: Option<Uuid>) -> bool {
    bypass_possible(tenant) && current_user().is_some_and(admin_this_transaction)
}

/// Rules 2–6 for an explicit tenant.
pub(crate) fn tenant_may_read(
    tenant: Option<Uuid>,
    owner: Option<Uuid>,
    is_shared: Option<bool>,
    sharing_mode: Option<&str>,
    shared_with: Option<Array<pgrx::Uuid>>,
) -> bool {
    let Some(tenant) = tenant else {
        return false;
    };
    if owner == Some(tenant) {
        return true;
    }
    if is_shared != Some(true) {
        return false;
    }
    match sharing_mode {
        Some(GLOBAL) => true,
        Some(SELECTIVE) => shared_with.is_some_and(|list| {
            list.iter()
                .any(|member| member.is_some_and(|m| from_pg(m) == tenant))
        }),
        _ => false,
    }
}
