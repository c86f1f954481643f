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

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::*;
    use crate::testing::{exec, query_one};

    #[pg_test]
    fn cache_parses_once_per_distinct_value() {
        let mut cache = ParsedUuid::new();
        let mut parses = 0;
        let mut get = |cache: &mut ParsedUuid, raw: &[u8]| {
            cache.get(raw, |r| {
                parses += 1;
                parse_uuid(r)
            })
        };
        let a = b"a0000000-0000-4000-8000-000000000001";
        assert_eq!(get(&mut cache, b""), None);
        assert_eq!(
            get(&mut cache, a).map(|u| u.as_u128()),
            Some(0xa0000000_0000_4000_8000_000000000001)
        );
        assert_eq!(
            get(&mut cache, a).map(|u| u.as_u128()),
            Some(0xa0000000_0000_4000_8000_000000000001)
        );
        assert_eq!(get(&mut cache, b""), None);
        // empty at start matched the initial cache: two parses, for a and for empty again
        assert_eq!(parses, 2);
    }

    #[pg_test]
    fn readers_follow_the_setting_through_set_and_reset() {
        assert_eq!(current_tenant(), None);
        exec("set vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'");
        assert_eq!(
            current_tenant().map(|u| u.as_u128()),
            Some(0xa0000000_0000_4000_8000_000000000001)
        );
        exec("set vital.tenant_id = 'B0000000-0000-4000-8000-000000000002'");
        assert_eq!(
            current_tenant().map(|u| u.as_u128()),
            Some(0xb0000000_0000_4000_8000_000000000002)
        );
        exec("reset vital.tenant_id");
        assert_eq!(current_tenant(), None);
    }

    #[pg_test]
    fn set_user_context_drops_the_tenant_of_another_user() {
        exec("select vital.grant_platform_admin('dddddddd-dddd-4ddd-8ddd-dddddddddddd')");
        exec("select vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd')");
        exec("select vital.set_tenant_context('00000000-0000-0000-0000-000000000001')");
        assert_eq!(current_tenant(), Some(crate::registry::PLATFORM_TENANT));
        exec("select vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd')");
        assert_eq!(current_tenant(), Some(crate::registry::PLATFORM_TENANT));
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

    #[pg_test]
    fn jwt_claims_only_count_when_trusted() {
        exec(r#"set request.jwt.claims = '{"sub":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}'"#);
        assert_eq!(current_user(), None);
        exec("set vital.trust_jwt_claims = on");
        assert_eq!(
            current_user().map(|u| u.as_u128()),
            Some(0xbbbbbbbb_bbbb_4bbb_8bbb_bbbbbbbbbbbb)
        );
        exec("select vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')");
        assert_eq!(
            current_user().map(|u| u.as_u128()),
            Some(0xaaaaaaaa_aaaa_4aaa_8aaa_aaaaaaaaaaaa)
        );
    }
}
