//! The tenant registry: tenants, memberships and platform admins, and the
//! functions that manage them and answer questions about them. What the
//! context checks read is cached per backend (`cache`).

pub(crate) mod cache;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;
use uuid::Uuid;

use crate::context::current_user;
use crate::errors::{
    error, one_of, required, INSUFFICIENT_PRIVILEGE, INVALID_PARAMETER_VALUE, NO_DATA_FOUND,
    UNIQUE_VIOLATION,
};
use crate::functions;
use crate::ids::{from_pg, to_pg};
use crate::privileged::{as_registry_owner, caller_is_superuser, calling_role};
use crate::spi;
use crate::vocabulary::USABLE_TENANT_STATES;

pub(crate) const PLATFORM_TENANT: Uuid = Uuid::from_u128(1);

const TENANT_TYPES: &[&str] = &["client", "solution", "industry", "platform"];
const SUBSCRIPTION_TIERS: &[&str] = &["free", "starter", "professional", "enterprise"];
const TENANT_STATUSES: &[&str] = &["active", "trial", "suspended", "archived"];
const MEMBER_ROLES: &[&str] = &["owner", "admin", "member", "viewer"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TenantStatus {
    Active,
    Trial,
    Suspended,
    Archived,
}

impl TenantStatus {
    fn parse(word: &str) -> Self {
        match word {
            "active" => TenantStatus::Active,
            "trial" => TenantStatus::Trial,
            "suspended" => TenantStatus::Suspended,
            // The table's CHECK admits nothing else.
            _ => TenantStatus::Archived,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Trial => "trial",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Archived => "archived",
        }
    }

    /// Whether a context may be set to a tenant in this state, and
    /// memberships in it count.
    pub(crate) fn is_usable(self) -> bool {
        USABLE_TENANT_STATES.contains(&self.as_str())
    }
}

/// [`USABLE_TENANT_STATES`] as a query parameter (`t.status = any($n)`).
fn usable_states() -> DatumWithOid<'static> {
    USABLE_TENANT_STATES.to_vec().into()
}

/// Runs a registry query with the registry owner's rights and returns the
/// first column of the first row, if any.
fn lookup<T: FromDatum + IntoDatum>(query: &str, args: &[DatumWithOid]) -> Option<T> {
    as_registry_owner(|| spi::select_value(query, args))
}

/// Runs a registry change with the registry owner's rights; returns the rows touched.
fn change(query: &str, args: &[DatumWithOid]) -> usize {
    as_registry_owner(|| spi::execute(query, args))
}

pub(crate) fn tenant_status(tenant: Uuid) -> Option<TenantStatus> {
    cache::tenant_status(tenant)
}

pub(crate) fn is_admin(user: Uuid) -> bool {
    cache::is_admin(user)
}

/// Reads, in one query, what the checks of a user acting for a tenant ask
/// next (status, admin, membership) when the per-backend cache lacks any.
pub(crate) fn prefetch_context_check(user: Uuid, tenant: Uuid) {
    cache::prefetch(user, tenant)
}

/// An active member of a usable tenant, or a platform admin.
pub(crate) fn has_access(user: Uuid, tenant: Uuid) -> bool {
    is_admin(user) || active_role(user, tenant).is_some()
}

/// An active membership, whatever the tenant's status.
pub(crate) fn is_active_member(user: Uuid, tenant: Uuid) -> bool {
    cache::membership(user, tenant).is_some_and(|m| m.active)
}

/// The role of an active membership in a usable tenant.
fn active_role(user: Uuid, tenant: Uuid) -> Option<String> {
    let membership = cache::membership(user, tenant).filter(|m| m.active)?;
    tenant_status(tenant)
        .is_some_and(TenantStatus::is_usable)
        .then_some(membership.role)
}

/// A role that may act for any tenant without naming a user: a superuser,
/// or the application role the DBA allowed to vouch for users.
pub(crate) fn caller_is_trusted_service() -> bool {
    if caller_is_superuser() {
        return true;
    }
    let argument_types = [pg_sys::UUIDOID, pg_sys::BOOLOID];
    // SAFETY: a privilege check of an existing function; no SPI.
    functions::ours(c"set_user_context", &argument_types)
        .is_some_and(|function| unsafe { execute_allowed(function, calling_role()) })
}

/// Whether `role` may execute `function`.
///
/// # Safety
/// `function` is an existing function's oid.
unsafe fn execute_allowed(function: pg_sys::Oid, role: pg_sys::Oid) -> bool {
    // SAFETY: per this function's contract.
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        let result =
            pg_sys::pg_proc_aclcheck(function, role, pg_sys::ACL_EXECUTE as pg_sys::AclMode);
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        let result = pg_sys::object_aclcheck(
            pg_sys::ProcedureRelationId,
            function,
            role,
            pg_sys::ACL_EXECUTE as pg_sys::AclMode,
        );
        result == pg_sys::AclResult::ACLCHECK_OK
    }
}

/// Who is managing the registry, as far as authorization goes.
enum Manager {
    /// A superuser, or the current user is a platform admin.
    Platform,
    /// The current user, an active owner or admin of the tenant at hand.
    TenantOwner,
    TenantAdmin,
}

fn platform_manager() -> Option<Manager> {
    if caller_is_superuser() || current_user().is_some_and(is_admin) {
        Some(Manager::Platform)
    } else {
        None
    }
}

fn require_platform_manager(action: &str) -> Manager {
    platform_manager().unwrap_or_else(|| {
        error(
            INSUFFICIENT_PRIVILEGE,
            format!("permission denied to {action}"),
        )
        .detail("Only platform admins and superusers may do this.")
        .raise()
    })
}

fn require_tenant_manager(tenant: Uuid, action: &str) -> Manager {
    if let Some(manager) = platform_manager() {
        return manager;
    }
    let role = current_user().and_then(|user| active_role(user, tenant));
    match role.as_deref() {
        Some("owner") => Manager::TenantOwner,
        Some("admin") => Manager::TenantAdmin,
        _ => error(INSUFFICIENT_PRIVILEGE, format!("permission denied to {action}"))
            .detail("Only platform admins, superusers, and active owners or admins of the tenant may do this.")
            .raise(),
    }
}

fn require_tenant_exists(tenant: Uuid) -> TenantStatus {
    tenant_status(tenant).unwrap_or_else(|| {
        error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {tenant} does not exist"),
        )
        .raise()
    })
}

fn valid_slug(slug: &str) -> bool {
    (3..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether a user is a platform admin; NULL means the current user.
#[pg_extern(stable, parallel_restricted)]
fn is_platform_admin(user_id: default!(Option<pgrx::Uuid>, "NULL")) -> bool {
    match user_id.map(from_pg).or_else(current_user) {
        Some(user) => {
            require_may_ask_about(user, None);
            is_admin(user)
        }
        None => false,
    }
}

/// Whether a user may act for a tenant: an active member of an active or
/// trial tenant, or a platform admin.
#[pg_extern(stable, strict, parallel_restricted)]
fn has_tenant_access(user_id: pgrx::Uuid, tenant_id: pgrx::Uuid) -> bool {
    let (user, tenant) = (from_pg(user_id), from_pg(tenant_id));
    require_may_ask_about(user, Some(tenant));
    has_access(user, tenant)
}

/// The questions answer about another user only to those who could read the
/// answer in the registry anyway, so that nobody can probe guessed user ids
/// for admin rights or memberships: the user themself, platform admins,
/// owners and admins of the tenant asked about, and the roles that vouch for
/// users (superusers, the application role).
fn require_may_ask_about(user: Uuid, tenant: Option<Uuid>) {
    let me = current_user();
    if me == Some(user) || caller_is_trusted_service() || me.is_some_and(is_admin) {
        return;
    }
    let administers = |t: Uuid| {
        me.and_then(|m| active_role(m, t))
            .is_some_and(|role| role == "owner" || role == "admin")
    };
    if tenant.is_some_and(administers) {
        return;
    }
    error(
        INSUFFICIENT_PRIVILEGE,
        "permission denied to ask about another user",
    )
    .detail("Only platform admins, the tenant's owners and admins, and the application role may ask about users other than the current one.")
    .hint("Ask about the current user: vital.is_platform_admin() or vital.has_tenant_access(vital.current_user_id(), …).")
    .raise()
}

/// The tenants the current user administers (active owner or admin); the
/// registry's own policies use it to show those tenants' memberships.
#[pg_extern(stable, parallel_restricted)]
fn administered_tenants() -> Vec<pgrx::Uuid> {
    let Some(user) = current_user() else {
        return Vec::new();
    };
    lookup::<Vec<pgrx::Uuid>>(
        "select coalesce(array_agg(m.tenant_id), '{}') from vital.user_tenants m
           join vital.tenants t on t.id = m.tenant_id
          where m.user_id = $1 and m.status = 'active' and m.role in ('owner', 'admin')
            and t.status = any($2)",
        &[to_pg(user).into(), usable_states()],
    )
    .unwrap_or_default()
}

#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn create_tenant(
    slug: Option<&str>,
    name: Option<&str>,
    tenant_type: Option<&str>,
    subscription_tier: default!(Option<&str>, "'free'"),
    id: default!(Option<pgrx::Uuid>, "NULL"),
) -> pgrx::Uuid {
    require_platform_manager("create tenants");
    let slug = required(slug, "slug");
    let name = required(name, "name");
    let tenant_type = one_of(
        required(tenant_type, "tenant_type"),
        TENANT_TYPES,
        "tenant_type",
    );
    let tier = one_of(
        required(subscription_tier, "subscription_tier"),
        SUBSCRIPTION_TIERS,
        "subscription_tier",
    );
    if !valid_slug(slug) {
        error(INVALID_PARAMETER_VALUE, format!("invalid slug \"{slug}\""))
            .detail("A slug is 3 to 63 lower-case letters, digits and hyphens.")
            .raise()
    }
    if name.trim().is_empty() {
        error(INVALID_PARAMETER_VALUE, "tenant name must not be empty").raise()
    }
    if let Some(id) = id {
        if tenant_status(from_pg(id)).is_some() {
            error(
                UNIQUE_VIOLATION,
                format!("tenant {} already exists", from_pg(id)),
            )
            .raise()
        }
    }
    if lookup::<bool>(
        "select true from vital.tenants where slug = $1",
        &[slug.into()],
    )
    .is_some()
    {
        error(
            UNIQUE_VIOLATION,
            format!("slug \"{slug}\" is already taken"),
        )
        .raise()
    }
    if tenant_type == "platform" {
        error(UNIQUE_VIOLATION, "a platform tenant already exists")
            .detail("There is exactly one platform tenant, created with the extension.")
            .hint("Use tenant type client, solution or industry.")
            .raise()
    }
    let id = as_registry_owner(|| {
        spi::run_value::<pgrx::Uuid>(
            "insert into vital.tenants (id, slug, name, tenant_type, subscription_tier)
             values (coalesce($1, gen_random_uuid()), $2, $3, $4, $5) returning id",
            &[
                id.into(),
                slug.into(),
                name.into(),
                tenant_type.into(),
                tier.into(),
            ],
        )
    });
    id.expect("insert ... returning yields the new id")
}

#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn set_tenant_status(tenant_id: Option<pgrx::Uuid>, status: Option<&str>) {
    require_platform_manager("change tenant status");
    let tenant = from_pg(required(tenant_id, "tenant_id"));
    let status = one_of(required(status, "status"), TENANT_STATUSES, "status");
    require_tenant_exists(tenant);
    if tenant == PLATFORM_TENANT && status != "active" {
        error(
            INVALID_PARAMETER_VALUE,
            format!("the platform tenant cannot be {status}"),
        )
        .detail("The platform tenant owns the resources shared with every tenant.")
        .raise()
    }
    change(
        "update vital.tenants set status = $2, updated_at = now() where id = $1",
        &[to_pg(tenant).into(), status.into()],
    );
}

#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn grant_platform_admin(user_id: Option<pgrx::Uuid>) {
    require_platform_manager("grant platform admin");
    let user = required(user_id, "user_id");
    change(
        "insert into vital.user_roles (user_id, role, granted_by)
         values ($1, 'platform_admin', $2) on conflict (user_id, role) do nothing",
        &[user.into(), current_user().map(to_pg).into()],
    );
}

#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn revoke_platform_admin(user_id: Option<pgrx::Uuid>) {
    require_platform_manager("revoke platform admin");
    let user = required(user_id, "user_id");
    change(
        "delete from vital.user_roles where user_id = $1 and role = 'platform_admin'",
        &[user.into()],
    );
}

/// Adds a member, or changes an existing member's role and re-activates it.
/// Tenant admins manage members and admins; only owners and platform
/// managers grant, change or take away ownership.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn add_tenant_member(
    tenant_id: Option<pgrx::Uuid>,
    user_id: Option<pgrx::Uuid>,
    role: default!(Option<&str>, "'member'"),
) {
    let tenant = from_pg(required(tenant_id, "tenant_id"));
    let user = from_pg(required(user_id, "user_id"));
    let role = one_of(required(role, "role"), MEMBER_ROLES, "role");
    let manager = require_tenant_manager(tenant, "manage members of this tenant");
    require_tenant_exists(tenant);
    if let Manager::TenantAdmin = manager {
        let current = member_role(user, tenant);
        if role == "owner" || current.as_deref() == Some("owner") {
            refuse_ownership_change()
        }
    }
    change(
        "insert into vital.user_tenants (user_id, tenant_id, role, status)
         values ($1, $2, $3, 'active')
         on conflict (user_id, tenant_id) do update set role = excluded.role, status = 'active'",
        &[to_pg(user).into(), to_pg(tenant).into(), role.into()],
    );
}

#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn remove_tenant_member(tenant_id: Option<pgrx::Uuid>, user_id: Option<pgrx::Uuid>) {
    let tenant = from_pg(required(tenant_id, "tenant_id"));
    let user = from_pg(required(user_id, "user_id"));
    let manager = require_tenant_manager(tenant, "manage members of this tenant");
    let Some(current) = member_role(user, tenant) else {
        error(
            NO_DATA_FOUND,
            format!("user {user} is not a member of tenant {tenant}"),
        )
        .raise()
    };
    if let Manager::TenantAdmin = manager {
        if current == "owner" {
            refuse_ownership_change()
        }
    }
    change(
        "delete from vital.user_tenants where user_id = $1 and tenant_id = $2",
        &[to_pg(user).into(), to_pg(tenant).into()],
    );
}

fn refuse_ownership_change() -> ! {
    error(
        INSUFFICIENT_PRIVILEGE,
        "permission denied to change ownership of this tenant",
    )
    .detail("Only owners and platform admins may grant, change or take away the owner role.")
    .raise()
}

/// The role of any membership, whatever its status.
fn member_role(user: Uuid, tenant: Uuid) -> Option<String> {
    cache::membership(user, tenant).map(|m| m.role)
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::*;
    use crate::testing::{exec, query_one};

    #[pg_test]
    fn slugs() {
        for good in ["abc", "vital-platform", "a1-b2", &"x".repeat(63)] {
            assert!(valid_slug(good), "{good}");
        }
        for bad in ["", "ab", "Abc", "a_b", "a b", "ümlaut", &"x".repeat(64)] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }

    #[pg_test]
    fn tenant_status_words_round_trip() {
        for word in TENANT_STATUSES {
            assert_eq!(TenantStatus::parse(word).as_str(), *word);
        }
    }

    #[pg_test]
    fn the_platform_tenant_is_seeded() {
        assert_eq!(tenant_status(PLATFORM_TENANT), Some(TenantStatus::Active));
        assert_eq!(
            query_one::<String>("select slug from vital.tenants where tenant_type = 'platform'")
                .as_deref(),
            Some("vital-platform")
        );
    }

    #[pg_test]
    fn access_follows_membership_status_and_tenant_status() {
        let tenant = Uuid::from_u128(0xa0000000_0000_4000_8000_000000000001);
        let user = Uuid::from_u128(0xaaaaaaaa_aaaa_4aaa_8aaa_aaaaaaaaaaaa);
        exec("select vital.create_tenant('acme', 'Acme', 'client', 'free', 'a0000000-0000-4000-8000-000000000001')");
        assert!(!has_access(user, tenant));
        exec("select vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')");
        assert!(has_access(user, tenant));
        exec("select vital.set_tenant_status('a0000000-0000-4000-8000-000000000001', 'trial')");
        assert!(has_access(user, tenant));
        exec("select vital.set_tenant_status('a0000000-0000-4000-8000-000000000001', 'suspended')");
        assert!(!has_access(user, tenant));
        exec("select vital.grant_platform_admin('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')");
        assert!(has_access(user, tenant));
    }

    #[pg_test]
    fn raised_rights_end_with_the_call() {
        let before = query_one::<String>("select current_setting('search_path')");
        let (role_inside, path_inside) = as_registry_owner(|| {
            (
                query_one::<String>("select current_user::text"),
                query_one::<String>("select current_setting('search_path')"),
            )
        });
        let bootstrap = query_one::<String>("select rolname::text from pg_roles where oid = 10");
        assert_eq!(role_inside, bootstrap);
        assert_eq!(path_inside.as_deref(), Some("pg_catalog, pg_temp"));
        assert_eq!(
            query_one::<String>("select current_setting('search_path')"),
            before
        );
        assert_eq!(calling_role(), unsafe { pgrx::pg_sys::GetSessionUserId() });
    }
}
