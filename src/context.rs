//! Reading the tenant and user context: who the session acts for. (The
//! checked setters are in `session`.)
//!
//! Readers run once per row under RLS, so they do no SPI and allocate
//! nothing but their result: the parsed UUID is cached against the raw
//! setting bytes and reused while those bytes are unchanged. The cache is
//! keyed on the bytes, not the pointer, because PostgreSQL frees and
//! re-allocates setting strings and a new value can land at an old address.

use std::cell::RefCell;

use pgrx::prelude::*;
use uuid::Uuid;

use crate::ids::to_pg;
use crate::jwt;
use crate::settings;

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
    settings::with_value(&settings::TENANT_ID_SETTING, |raw| {
        TENANT.with_borrow_mut(|cache| cache.get(raw, parse_uuid))
    })
}

/// The user set with `set_user_context`, ignoring JWT claims.
pub(crate) fn explicit_user() -> Option<Uuid> {
    settings::with_value(&settings::USER_ID_SETTING, |raw| {
        USER.with_borrow_mut(|cache| cache.get(raw, parse_uuid))
    })
}

/// The current user: the explicit user context, else (when the DBA trusts
/// them) the `sub` claim of PostgREST's `request.jwt.claims`, else None.
pub(crate) fn current_user() -> Option<Uuid> {
    explicit_user().or_else(jwt_user)
}

/// The `sub` claim of `request.jwt.claims`, when the DBA trusts the claims.
pub(crate) fn jwt_user() -> Option<Uuid> {
    if !settings::TRUST_JWT_CLAIMS_SETTING.get() {
        return None;
    }
    settings::with_foreign_value(settings::JWT_CLAIMS, |claims| {
        JWT_SUB.with_borrow_mut(|cache| cache.get(claims?, jwt::subject))
    })
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

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::*;
    use crate::testing::exec;

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
