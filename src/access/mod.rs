//! The access check RLS policies rely on, for the current context.
//!
//! The rules, in order: a platform admin acting with no tenant or with the
//! platform tenant sees everything; with no tenant nothing is visible; a
//! tenant sees what it owns, what is shared globally, and what is shared
//! selectively with it. Nothing here raises on any input: NULLs and unknown
//! modes are simply "no".
//!
//! The rule itself is in `rules`; policies do not pay for these calls per
//! row: `rewrite` turns them at plan time into expressions the planner can
//! serve from indexes (which calls qualify: `columns`; the expressions'
//! nodes: `nodes`), and `invalidation` re-plans exactly the cached plans a
//! context change makes wrong.

mod columns;
pub(crate) mod invalidation;
mod nodes;
pub(crate) mod rewrite;
pub(crate) mod rules;

use pgrx::prelude::*;

use crate::context::current_tenant;
use crate::ids::from_pg;

use rules::{admin_bypass, tenant_may_read};

/// Whether the current context may read a resource with these sharing columns.
#[pg_extern(stable, parallel_safe, support = rewrite::simplify_can_access_resource)]
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
#[pg_extern(stable, parallel_safe, support = rewrite::simplify_can_modify_resource)]
fn can_modify_resource(owner_tenant: Option<pgrx::Uuid>) -> bool {
    let tenant = current_tenant();
    admin_bypass(tenant) || (tenant.is_some() && owner_tenant.map(from_pg) == tenant)
}
