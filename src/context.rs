//! The tenant and user context: who the session acts for.
//!
//! Readers run once per row under RLS, so they do no SPI and allocate
//! nothing but their result: the parsed UUID is cached against the raw
//! setting bytes and reused while those bytes are unchanged. The cache is
//! keyed on the bytes, not the pointer, because PostgreSQL frees and
//! re-allocates setting strings and a new value can land at an old address.

use std::cell::RefCell;

use pgrx::prelude::*;
use uuid::Uuid;

use crate::errors::{error, required, INSUFFICIENT_PRIVILEGE, INVALID_PARAMETER_VALUE};
use crate::registry::{self, TenantStatus};
use crate::settings::{self, Lifetime};

/// A parsed UUID remembered against the raw text it came from.
struct ParsedUuid {
    raw: Vec<u8>,
    parsed: Option<Uuid>,
}

impl ParsedUuid {
    const fn new() -> Self {
        ParsedUuid {
            raw: Vec::new(),
            parsed: None,
        }
    }

    fn get(&mut self, raw: &[u8], parse: impl FnOnce(&[u8]) -> Option<Uuid>) -> Option<Uuid> {
        if self.raw != raw {
            self.parsed = parse(raw);
            self.raw.clear();
            self.raw.extend_from_slice(raw);
        }
        self.parsed
    }
}

thread_local! {
    static TENANT: RefCell<ParsedUuid> = const { RefCell::new(ParsedUuid::new()) };
    static USER: RefCell<ParsedUuid> = const { RefCell::new(ParsedUuid::new()) };
    static JWT_SUB: RefCell<ParsedUuid> = const { RefCell::new(ParsedUuid::new()) };
}

fn parse_uuid(raw: &[u8]) -> Option<Uuid> {
    // The check hook admits only UUIDs and the empty string; empty means unset.
    Uuid::try_parse_ascii(raw).ok()
}

/// The current tenant, or None: no context fails closed.
pub(crate) fn current_tenant() -> Option<Uuid> {
    let raw = settings::raw_bytes(&settings::TENANT_ID_SETTING);
    TENANT.with_borrow_mut(|cache| cache.get(raw, parse_uuid))
}

/// The user set with `set_user_context`, ignoring JWT claims.
fn explicit_user() -> Option<Uuid> {
    let raw = settings::raw_bytes(&settings::USER_ID_SETTING);
    USER.with_borrow_mut(|cache| cache.get(raw, parse_uuid))
}

/// The current user: the explicit user context, else (when the DBA trusts
/// them) the `sub` claim of PostgREST's `request.jwt.claims`, else None.
pub(crate) fn current_user() -> Option<Uuid> {
    explicit_user().or_else(|| {
        if !settings::TRUST_JWT_CLAIMS_SETTING.get() {
            return None;
        }
        let claims = settings::foreign_raw_bytes(settings::JWT_CLAIMS)?;
        JWT_SUB.with_borrow_mut(|cache| cache.get(claims, crate::jwt::subject))
    })
}

pub(crate) fn to_pg(id: Uuid) -> pgrx::Uuid {
    pgrx::Uuid::from_bytes(id.into_bytes())
}

pub(crate) fn from_pg(id: pgrx::Uuid) -> Uuid {
    Uuid::from_bytes(*id.as_bytes())
}

/// The tenant this session acts for, or NULL when none is set.
#[pg_extern(stable, parallel_safe)]
fn get_current_tenant_id() -> Option<pgrx::Uuid> {
    current_tenant().map(to_pg)
}

/// The user this session acts for, or NULL when none is set.
#[pg_extern(stable, parallel_safe)]
fn current_user_id() -> Option<pgrx::Uuid> {
    current_user().map(to_pg)
}

/// Says which person the session acts for. EXECUTE is revoked from PUBLIC:
/// only the role that authenticated the person may vouch for it. Changing the
/// user clears the tenant, which was checked against the previous user.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn set_user_context(
    user_id: Option<pgrx::Uuid>,
    is_local: default!(Option<bool>, false),
) -> pgrx::Uuid {
    let user = from_pg(required(user_id, "user_id"));
    let lifetime = Lifetime::from_is_local(required(is_local, "is_local"));
    if explicit_user() != Some(user) {
        settings::assign(settings::TENANT_ID, "", lifetime);
    }
    settings::assign(settings::USER_ID, &user.hyphenated().to_string(), lifetime);
    to_pg(user)
}

/// Says which tenant the session acts for, after checking that the current
/// user may act for it. A failed call changes nothing.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn set_tenant_context(
    tenant_id: Option<pgrx::Uuid>,
    is_local: default!(Option<bool>, false),
) -> pgrx::Uuid {
    let tenant = from_pg(required(tenant_id, "tenant_id"));
    let lifetime = Lifetime::from_is_local(required(is_local, "is_local"));

    let Some(status) = registry::tenant_status(tenant) else {
        error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {tenant} does not exist"),
        )
        .raise()
    };
    match current_user() {
        Some(user) => {
            if !registry::has_access(user, tenant) {
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
        .detail("Only active and trial tenants can be used as a context.")
        .raise()
    }
    settings::assign(
        settings::TENANT_ID,
        &tenant.hyphenated().to_string(),
        lifetime,
    );
    to_pg(tenant)
}

/// Forgets the tenant and the user. Anyone may call it: it can only take access away.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn clear_context(is_local: default!(Option<bool>, false)) {
    let lifetime = Lifetime::from_is_local(required(is_local, "is_local"));
    settings::assign(settings::TENANT_ID, "", lifetime);
    settings::assign(settings::USER_ID, "", lifetime);
}

impl TenantStatus {
    fn is_usable(self) -> bool {
        matches!(self, TenantStatus::Active | TenantStatus::Trial)
    }
}
