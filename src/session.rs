//! Setting the context: who the session acts for, after the checks that
//! stand for the superuser authority the settings need.
//!
//! The setters have no `SET search_path` clause, unlike the extension's
//! other functions that change things: they run on every pooled
//! transaction, the clause costs more than the rest of the call (about
//! 4 µs: a GUC nest level, and the search path computed again twice), and
//! they resolve no name under the caller's path. Their registry queries run
//! through `privileged::as_registry_owner`, which pins `search_path` itself,
//! and the plan-time lookups use qualified names.

use pgrx::prelude::*;
use uuid::Uuid;

use crate::access::invalidation::{reconsider, while_setting};
use crate::access::rules::{admin_this_transaction, bypass_possible};
use crate::context::{current_tenant, current_user, explicit_user};
use crate::errors::{
    error, required, warning, INSUFFICIENT_PRIVILEGE, INVALID_PARAMETER_VALUE,
    NO_ACTIVE_SQL_TRANSACTION,
};
use crate::ids::{from_pg, to_pg};
use crate::registry;
use crate::settings::{self, Lifetime};
use crate::vocabulary::USABLE_TENANT_STATES;

/// Says which person the session acts for. EXECUTE is revoked from PUBLIC:
/// only the role that authenticated the person may vouch for it. Changing the
/// user clears the tenant, which was checked against the previous user.
#[pg_extern(volatile, parallel_unsafe)]
fn set_user_context(
    user_id: Option<pgrx::Uuid>,
    is_local: default!(Option<bool>, false),
) -> pgrx::Uuid {
    let user = from_pg(required(user_id, "user_id"));
    let lifetime = Lifetime::from_is_local(required(is_local, "is_local"));
    assign_user(user, lifetime);
    context_now_set();
    warn_if_gone_after_statement("set_user_context", lifetime);
    to_pg(user)
}

/// Says which person and which tenant the session acts for, in one call
/// (one round trip per pooled transaction): `set_user_context` then
/// `set_tenant_context`, with their checks. Anyone may call it, but only a
/// role that may execute `set_user_context` vouches for a user with it. A
/// failed call changes nothing.
#[pg_extern(volatile, parallel_unsafe)]
fn set_context(
    user_id: Option<pgrx::Uuid>,
    tenant_id: Option<pgrx::Uuid>,
    is_local: default!(Option<bool>, false),
) -> pgrx::Uuid {
    let user = from_pg(required(user_id, "user_id"));
    let tenant = from_pg(required(tenant_id, "tenant_id"));
    let lifetime = Lifetime::from_is_local(required(is_local, "is_local"));
    if !registry::caller_is_trusted_service() {
        error(
            INSUFFICIENT_PRIVILEGE,
            "permission denied to vouch for a user",
        )
        .detail("vital.set_context() sets the user, which only roles that may execute vital.set_user_context() may do.")
        .hint("Grant EXECUTE on vital.set_user_context(uuid, boolean) to the application's role.")
        .raise()
    }
    // The user's change would be undone with the rest of the transaction
    // (or subtransaction) if the tenant is refused.
    assign_user(user, lifetime);
    check_and_assign_tenant(tenant, lifetime);
    context_now_set();
    warn_if_gone_after_statement("set_context", lifetime);
    to_pg(tenant)
}

/// Changing the user clears the tenant, which was checked against the
/// previous user.
fn assign_user(user: Uuid, lifetime: Lifetime) {
    while_setting(|| {
        if explicit_user() != Some(user) {
            settings::assign(settings::TENANT_ID, "", lifetime);
        }
        settings::assign(settings::USER_ID, &user.hyphenated().to_string(), lifetime);
    });
}

/// Says which tenant the session acts for, after checking that the current
/// user may act for it. A failed call changes nothing.
#[pg_extern(volatile, parallel_unsafe)]
fn set_tenant_context(
    tenant_id: Option<pgrx::Uuid>,
    is_local: default!(Option<bool>, false),
) -> pgrx::Uuid {
    let tenant = from_pg(required(tenant_id, "tenant_id"));
    let lifetime = Lifetime::from_is_local(required(is_local, "is_local"));
    check_and_assign_tenant(tenant, lifetime);
    context_now_set();
    warn_if_gone_after_statement("set_tenant_context", lifetime);
    to_pg(tenant)
}

/// The checks of `set_tenant_context`, then the assignment.
fn check_and_assign_tenant(tenant: Uuid, lifetime: Lifetime) {
    let user = current_user();
    if let Some(user) = user {
        registry::prefetch_context_check(user, tenant);
    }
    let Some(status) = registry::tenant_status(tenant) else {
        error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {tenant} does not exist"),
        )
        .raise()
    };
    // Who may act for the tenant is decided before its status is told: a
    // member learns that her tenant is suspended, anyone else learns nothing.
    match user {
        Some(user) => {
            if !(admin_this_transaction(user) || registry::is_active_member(user, tenant)) {
                error(
                    INSUFFICIENT_PRIVILEGE,
                    format!("permission denied for tenant {tenant}"),
                )
                .detail(format!(
                    "User {user} is not an active member of that tenant."
                ))
                .raise()
            }
        }
        None => {
            if !registry::caller_is_trusted_service() {
                error(
                    INSUFFICIENT_PRIVILEGE,
                    format!("permission denied for tenant {tenant}"),
                )
                .detail("No user context is set, and the current role may not act for a tenant on its own.")
                .hint("Set the user first with vital.set_user_context(), or grant EXECUTE on it to this role.")
                .raise()
            }
        }
    }
    if !status.is_usable() {
        error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {tenant} is {}", status.as_str()),
        )
        .detail(format!(
            "Only {} tenants can be used as a context.",
            USABLE_TENANT_STATES.join(" and ")
        ))
        .raise()
    }
    while_setting(|| {
        settings::assign(
            settings::TENANT_ID,
            &tenant.hyphenated().to_string(),
            lifetime,
        )
    });
}

/// Forgets the tenant and the user. Anyone may call it: it can only take access away.
#[pg_extern(volatile, parallel_unsafe)]
fn clear_context(is_local: default!(Option<bool>, false)) {
    let lifetime = Lifetime::from_is_local(required(is_local, "is_local"));
    while_setting(|| {
        settings::assign(settings::TENANT_ID, "", lifetime);
        settings::assign(settings::USER_ID, "", lifetime);
    });
    context_now_set();
    warn_if_gone_after_statement("clear_context", lifetime);
}

/// A transaction-long value set outside a transaction block lasts only for
/// the statement that set it: the next one runs without it, and its queries
/// see nothing (the policies fail closed). That is nearly always a client
/// that meant `BEGIN` first, or a pool that ran the call and the queries on
/// different connections, so it warns as PostgreSQL's `SET LOCAL` does
/// (25P01), after the call did its work. A multi-statement simple query is
/// an implicit block, and the value lasts for all of it: no warning; nor
/// inside a subtransaction, as for `SET LOCAL`.
fn warn_if_gone_after_statement(function: &str, lifetime: Lifetime) {
    // SAFETY: reads the current transaction's state, which always exists
    // while a function runs.
    if lifetime == Lifetime::Session || unsafe { pg_sys::IsTransactionBlock() } {
        return;
    }
    warning(
        NO_ACTIVE_SQL_TRANSACTION,
        format!("vital.{function}() with is_local => true can only be used in transaction blocks"),
    )
    .detail("Outside a transaction block the value lasts only until this statement ends: the next statement runs without it.")
    .hint(format!(
        "Call vital.{function}() after BEGIN, in the transaction it is for, or with is_local => false for a session-level context."
    ))
    .send()
}

/// Tells the plan cache what the context now is, with the admin status
/// looked up afresh (once per transaction) where it decides the bypass.
fn context_now_set() {
    let (user, tenant) = (current_user(), current_tenant());
    let admin = user
        .filter(|_| bypass_possible(tenant))
        .map(admin_this_transaction);
    reconsider(user, tenant, admin);
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::context::current_tenant;
    use crate::registry::PLATFORM_TENANT;
    use crate::testing::{exec, query_one};

    #[pg_test]
    fn set_user_context_drops_the_tenant_of_another_user() {
        exec("select vital.grant_platform_admin('dddddddd-dddd-4ddd-8ddd-dddddddddddd')");
        exec("select vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd')");
        exec("select vital.set_tenant_context('00000000-0000-0000-0000-000000000001')");
        assert_eq!(current_tenant(), Some(PLATFORM_TENANT));
        exec("select vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd')");
        assert_eq!(current_tenant(), Some(PLATFORM_TENANT));
        exec("select vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')");
        assert_eq!(current_tenant(), None);
        assert_eq!(
            query_one::<String>("select current_setting('vital.user_id')").as_deref(),
            Some("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")
        );
    }

    #[pg_test(error = "permission denied for tenant 00000000-0000-0000-0000-000000000001")]
    fn a_user_without_membership_cannot_take_a_tenant() {
        exec("select vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')");
        exec("select vital.set_tenant_context('00000000-0000-0000-0000-000000000001')");
    }
}
