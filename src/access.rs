//! The access check RLS policies rely on, for the current context.
//!
//! The rules, in order: a platform admin acting with no tenant or with the
//! platform tenant sees everything; with no tenant nothing is visible; a
//! tenant sees what it owns, what is shared globally, and what is shared
//! selectively with it. Nothing here raises on any input: NULLs and unknown
//! modes are simply "no".
//!
//! Policies do not pay for these calls per row: `plans` rewrites them at
//! plan time into expressions the planner can serve from indexes.

use std::cell::Cell;

use pgrx::prelude::*;
use uuid::Uuid;

use crate::context::{current_tenant, current_user, from_pg};
#[allow(unused_imports)] // named by the support attributes below
use crate::plans;
use crate::registry::{is_admin, PLATFORM_TENANT};

thread_local! {
    /// Whether a user is a platform admin, looked up once per transaction
    /// (cleared at transaction end), so a revoked admin loses the bypass no
    /// later than the next transaction and a row scan never repeats the lookup.
    static ADMIN_THIS_TRANSACTION: Cell<Option<(Uuid, bool)>> = const { Cell::new(None) };
}

fn is_admin_this_transaction(user: Uuid) -> bool {
    if let Some((cached_user, admin)) = ADMIN_THIS_TRANSACTION.get() {
        if cached_user == user {
            return admin;
        }
    }
    let admin = is_admin(user);
    ADMIN_THIS_TRANSACTION.set(Some((user, admin)));
    admin
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
    bypass_possible(tenant) && current_user().is_some_and(is_admin_this_transaction)
}

/// Rules 2–6 for an explicit tenant.
fn tenant_may_read(
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
        Some("global") => true,
        Some("selective") => shared_with.is_some_and(|list| {
            list.iter()
                .any(|member| member.is_some_and(|m| from_pg(m) == tenant))
        }),
        _ => false,
    }
}

/// Whether the current context may read a resource with these sharing columns.
#[pg_extern(stable, parallel_safe, support = plans::simplify_can_access_resource)]
fn can_access_resource(
    owner_tenant: Option<pgrx::Uuid>,
    is_shared: Option<bool>,
    sharing_mode: Option<&str>,
    shared_with: Option<Array<pgrx::Uuid>>,
) -> bool {
    let tenant = current_tenant();
    admin_bypass(tenant)
        || tenant_may_read(
            tenant,
            owner_tenant.map(from_pg),
            is_shared,
            sharing_mode,
            shared_with,
        )
}

/// The same rules for an explicit tenant, with no admin bypass.
#[pg_extern(stable, parallel_safe, name = "can_access_resource")]
fn can_access_resource_for_tenant(
    owner_tenant: Option<pgrx::Uuid>,
    is_shared: Option<bool>,
    sharing_mode: Option<&str>,
    shared_with: Option<Array<pgrx::Uuid>>,
    tenant_id: Option<pgrx::Uuid>,
) -> bool {
    tenant_may_read(
        tenant_id.map(from_pg),
        owner_tenant.map(from_pg),
        is_shared,
        sharing_mode,
        shared_with,
    )
}

/// Whether the current context may insert, change or delete a resource
/// owned by `owner_tenant`: only its owner, or the admin bypass. A tenant a
/// resource is shared with reads it but never changes it.
#[pg_extern(stable, parallel_safe, support = plans::simplify_can_modify_resource)]
fn can_modify_resource(owner_tenant: Option<pgrx::Uuid>) -> bool {
    let tenant = current_tenant();
    admin_bypass(tenant) || (tenant.is_some() && owner_tenant.map(from_pg) == tenant)
}
