//! The sharing API: share, unshare, transfer and clone one resource (a row
//! of a table registered with `vital.enable_tenancy`, named by its uuid
//! primary key).
//!
//! Every statement on the table runs as the caller, so the table's
//! privileges and row-level security decide what the caller may touch: a
//! tenant changes only rows it owns, and a row it may not change answers
//! exactly like a row that does not exist (P0002). Only the registry lookups
//! (do these tenants exist, is the new owner active, is the caller a
//! platform admin) use raised rights. The audit trigger records the changes,
//! which are plain UPDATEs and INSERTs.

mod table;

use pgrx::prelude::*;
use uuid::Uuid;

use crate::access::rules::bypass_possible;
use crate::context::{current_tenant, current_user};
use crate::errors::{
    error, one_of, required, INSUFFICIENT_PRIVILEGE, INVALID_PARAMETER_VALUE,
    NULL_VALUE_NOT_ALLOWED, OBJECT_NOT_IN_PREREQUISITE_STATE, PROGRAM_LIMIT_EXCEEDED,
};
use crate::ids::{from_pg, to_pg};
use crate::privileged::{as_registry_owner, caller_is_superuser};
use crate::regclass::RegClass;
use crate::registry::{is_admin, tenant_status, TenantStatus, PLATFORM_TENANT};
use crate::spi;
use crate::vocabulary::{Column, COLUMNS, CUSTOM, GLOBAL, PRIVATE, SELECTIVE, SHARE_MODES};

use table::{not_found, registered, run, RowSharing};

/// The most tenants one resource may be shared with selectively.
const MAX_SHARED_WITH: usize = 1000;

/// Shares a resource the current context owns, globally or with a list of
/// tenants; sharing a shared resource again replaces how it is shared.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn share_resource(
    table_name: Option<RegClass>,
    resource_id: Option<pgrx::Uuid>,
    mode: Option<&str>,
    tenants: default!(Option<Array<pgrx::Uuid>>, "'{}'"),
) {
    let table = required(table_name, "table_name");
    let id = from_pg(required(resource_id, "resource_id"));
    let mode = required(mode, "mode");
    let tenants = required(tenants, "tenants");
    if mode == PRIVATE {
        error(INVALID_PARAMETER_VALUE, "invalid mode \"private\"")
            .detail("mode must be one of: global, selective.")
            .hint("Use vital.unshare_resource() to make a resource private.")
            .raise()
    }
    let mode = one_of(mode, SHARE_MODES, "mode");
    let listed = distinct_tenants(tenants);
    match mode {
        GLOBAL if !listed.is_empty() => error(
            INVALID_PARAMETER_VALUE,
            "tenants apply only to selective sharing",
        )
        .detail("A globally shared resource is visible to every tenant.")
        .hint("Pass no tenants with mode global, or use mode selective.")
        .raise(),
        SELECTIVE if listed.is_empty() => refuse_empty_selective(),
        _ => {}
    }
    if listed.len() > MAX_SHARED_WITH {
        error(
            PROGRAM_LIMIT_EXCEEDED,
            format!("cannot share a resource with more than {MAX_SHARED_WITH} tenants"),
        )
        .detail(format!("{} distinct tenants were listed.", listed.len()))
        .hint("Share the resource globally instead.")
        .raise()
    }
    require_tenants_exist(&listed);

    let table = registered(table);
    let row = table.lock_row(id, "share");
    let Some(owner) = row.owner else {
        not_found(&table, id, "share")
    };
    let shared_with: Vec<Uuid> = listed.into_iter().filter(|t| *t != owner).collect();
    if mode == SELECTIVE && shared_with.is_empty() {
        refuse_empty_selective()
    }
    let new = RowSharing {
        owner: Some(owner),
        is_shared: true,
        mode: mode.to_string(),
        shared_with,
    };
    if !same_sharing(&row, &new) {
        table.write_row(id, owner, &new, "share");
    }
}

/// Makes a resource the current context owns private again; a private
/// resource stays as it is.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn unshare_resource(table_name: Option<RegClass>, resource_id: Option<pgrx::Uuid>) {
    let table = required(table_name, "table_name");
    let id = from_pg(required(resource_id, "resource_id"));
    let table = registered(table);
    let row = table.lock_row(id, "unshare");
    let Some(owner) = row.owner else {
        not_found(&table, id, "unshare")
    };
    let new = RowSharing {
        owner: Some(owner),
        is_shared: false,
        mode: PRIVATE.to_string(),
        shared_with: Vec::new(),
    };
    if !same_sharing(&row, &new) {
        table.write_row(id, owner, &new, "unshare");
    }
}

/// Gives a resource to another tenant. Platform admins only, acting with
/// the admin bypass (no tenant context, or the platform tenant's).
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn transfer_resource(
    table_name: Option<RegClass>,
    resource_id: Option<pgrx::Uuid>,
    new_owner: Option<pgrx::Uuid>,
) {
    let table = required(table_name, "table_name");
    let id = from_pg(required(resource_id, "resource_id"));
    let new_owner = from_pg(required(new_owner, "new_owner"));
    // Who may: decided before anything about the row is looked at.
    if !caller_is_superuser() {
        if !current_user().is_some_and(is_admin) {
            error(
                INSUFFICIENT_PRIVILEGE,
                "permission denied to transfer resources",
            )
            .detail("Only platform admins may transfer a resource to another tenant.")
            .raise()
        }
        let tenant = current_tenant();
        if !bypass_possible(tenant) {
            let tenant = tenant.unwrap_or(PLATFORM_TENANT);
            error(
                INSUFFICIENT_PRIVILEGE,
                format!("permission denied to transfer resources while acting for tenant {tenant}"),
            )
            .detail(format!(
                "A platform admin acting for tenant {tenant} sees and changes only what that tenant may."
            ))
            .hint(format!(
                "Act as the platform tenant with vital.set_tenant_context('{PLATFORM_TENANT}'), or with no tenant context."
            ))
            .raise()
        }
    }
    match tenant_status(new_owner) {
        None => error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {new_owner} does not exist"),
        )
        .raise(),
        // Only an active tenant takes ownership: a tenant on trial may
        // still end without becoming a customer, and what it owns would go
        // with it.
        Some(TenantStatus::Active) => {}
        Some(status) => error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {new_owner} is {}", status.as_str()),
        )
        .detail("Resources can be transferred only to active tenants.")
        .hint("Activate the tenant first with vital.set_tenant_status(…, 'active'), or share the resource with it.")
        .raise(),
    }

    let table = registered(table);
    let row = table.lock_row(id, "transfer");
    // The owner is never in its own list; a selective share left with
    // nobody else is private (share_resource never makes such a row).
    let shared_with: Vec<Uuid> = row
        .shared_with
        .iter()
        .copied()
        .filter(|t| *t != new_owner)
        .collect();
    let emptied = row.mode == SELECTIVE && shared_with.is_empty();
    let new = RowSharing {
        owner: Some(new_owner),
        is_shared: row.is_shared && !emptied,
        mode: if emptied {
            PRIVATE.to_string()
        } else {
            row.mode.clone()
        },
        shared_with,
    };
    if !same_sharing(&row, &new) {
        table.write_row(id, new_owner, &new, "transfer");
    }
}

/// Copies a resource the current tenant can see into a new private resource
/// it owns, of resource type custom; returns the new resource's key.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn clone_resource(table_name: Option<RegClass>, resource_id: Option<pgrx::Uuid>) -> pgrx::Uuid {
    let table = required(table_name, "table_name");
    let id = from_pg(required(resource_id, "resource_id"));
    let Some(tenant) = current_tenant() else {
        error(
            OBJECT_NOT_IN_PREREQUISITE_STATE,
            "cloning a resource needs a tenant context",
        )
        .detail("The clone is owned by the current tenant, and none is set.")
        .hint("Set the tenant first with vital.set_tenant_context().")
        .raise()
    };
    let table = registered(table);
    let copied = table.copied_columns();
    let mut targets = copied.clone();
    let mut values = copied;
    // The clone's sharing columns: the current tenant's, private, custom.
    for column in COLUMNS {
        targets.push(column.name().to_string());
        values.push(match column {
            Column::TenantId => "$2".to_string(),
            Column::IsShared => "false".to_string(),
            Column::SharingMode => format!("'{PRIVATE}'"),
            Column::SharedWith => "'{}'".to_string(),
            Column::ResourceType => format!("'{CUSTOM}'"),
        });
    }
    if !table.key_has_default {
        targets.push(table.key.clone());
        values.push("pg_catalog.gen_random_uuid()".to_string());
    }
    let sql = format!(
        "INSERT INTO {q} ({targets}) SELECT {values} FROM {q} WHERE {key} = $1 RETURNING {key} AS new_id",
        q = table.qualified,
        key = table.key,
        targets = targets.join(", "),
        values = values.join(", "),
    );
    let new_ids = run(&sql, &[to_pg(id).into(), to_pg(tenant).into()], |row| {
        row.get_by_name::<pgrx::Uuid, _>("new_id")
    });
    match new_ids.into_iter().next() {
        Some(Some(new_id)) => new_id,
        Some(None) => error(
            NULL_VALUE_NOT_ALLOWED,
            format!("the clone in table {} has no key", table.display),
        )
        .detail("The primary key's default produced NULL.")
        .raise(),
        None => not_found(&table, id, "read"),
    }
}

/// The listed tenants, de-duplicated and sorted (as uuid sorts); a NULL
/// element is refused (22004) rather than silently dropped.
fn distinct_tenants(tenants: Array<pgrx::Uuid>) -> Vec<Uuid> {
    let mut listed = Vec::with_capacity(tenants.len());
    for tenant in tenants.iter() {
        match tenant {
            Some(tenant) => listed.push(from_pg(tenant)),
            None => error(NULL_VALUE_NOT_ALLOWED, "tenants must not contain null").raise(),
        }
    }
    listed.sort_unstable();
    listed.dedup();
    listed
}

fn refuse_empty_selective() -> ! {
    error(
        INVALID_PARAMETER_VALUE,
        "selective sharing needs at least one tenant other than the owner",
    )
    .hint("List the tenants to share with, or use vital.unshare_resource() to make the resource private.")
    .raise()
}

/// Every listed tenant exists, else 22023 naming the first missing one.
fn require_tenants_exist(listed: &[Uuid]) {
    if listed.is_empty() {
        return;
    }
    let ids: Vec<pgrx::Uuid> = listed.iter().copied().map(to_pg).collect();
    let missing = as_registry_owner(|| {
        spi::select_value::<Vec<pgrx::Uuid>>(
            "select coalesce(array_agg(x order by x), '{}')
               from unnest($1::uuid[]) x
              where not exists (select from vital.tenants t where t.id = x)",
            &[ids.into()],
        )
        .unwrap_or_default()
    });
    if let Some(first) = missing.first() {
        let mut failure = error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {} does not exist", from_pg(*first)),
        );
        if missing.len() > 1 {
            failure = failure.detail(format!(
                "{} of the listed tenants do not exist.",
                missing.len()
            ));
        }
        failure.raise()
    }
}

fn same_sharing(old: &RowSharing, new: &RowSharing) -> bool {
    old.owner == new.owner
        && old.is_shared == new.is_shared
        && old.mode == new.mode
        && old.shared_with == new.shared_with
}
