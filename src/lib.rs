//! vital_tenancy: multi-tenant isolation enforced inside PostgreSQL.
//!
//! The modules, in layers: each imports only from the layers below it.
//!
//! 1. Foundations, importing nothing of ours but `errors`:
//!    - `errors`: every user-facing message with its SQLSTATE; PostgreSQL's
//!      errors kept whole through SPI; no backtrace ever shown
//!    - `ids`: uuid conversions between pgrx and the `uuid` crate
//!    - `vocabulary`: the sharing columns, modes, resource types, usable
//!      tenant states and audit triggers, defined once
//!    - `spi`: the one way SQL is run
//!    - `privileged`: the raised rights the registry and installer use
//!    - `regclass`: `regclass` as an argument type
//!    - `jwt`: the `sub` claim of PostgREST's `request.jwt.claims`
//!    - `settings`: the superuser-only settings that hold the context
//!    - `trigger_entry`: hand-written entry points for trigger functions
//!    - `functions`: the oids of our own functions, cached
//! 2. `context`: reading who the session acts for
//! 3. `registry/`: tenants, memberships, platform admins (`cache`: what the
//!    context checks read, cached per backend, invalidated by every write)
//! 4. `access/` (`rules`: the visibility rule and the admin cache;
//!    `columns`, `nodes`, `rewrite`: the rule at plan time; `invalidation`:
//!    which cached plans a context change makes wrong; the SQL-callable
//!    checks)
//! 5. `session`: the checked setters, which tell `access` what changed
//! 6. `audit/`: the sharing audit trail, one file per phase
//! 7. `sharing/`: share, unshare, transfer, clone
//! 8. `installer/`: enable_tenancy, disable_tenancy, tenancy_status
//!
//! This file wires every callback PostgreSQL calls us back through, in
//! `_PG_init`; no module registers one on its own.

mod access;
mod audit;
mod context;
mod errors;
mod functions;
mod ids;
mod installer;
mod jwt;
mod privileged;
mod regclass;
mod registry;
mod session;
mod settings;
mod sharing;
mod spi;
#[cfg(any(test, feature = "pg_test"))]
mod testing;
mod trigger_entry;
mod vocabulary;

use pgrx::pg_sys;

pgrx::pg_module_magic!();

pgrx::extension_sql_file!("../sql/registry.sql", name = "registry", bootstrap);
pgrx::extension_sql_file!(
    "../sql/installer.sql",
    name = "installer",
    requires = ["registry"]
);
pgrx::extension_sql_file!(
    "../sql/audit.sql",
    name = "audit",
    requires = ["installer", audit::read::can_read_sharing_audit,]
);
pgrx::extension_sql_file!(
    "../sql/registry_policies.sql",
    name = "registry_policies",
    finalize
);

pgrx::extension_sql_file!(
    "../sql/access.sql",
    name = "access",
    requires = [
        access::can_access_resource,
        access::can_access_resource_for_tenant,
        access::can_modify_resource,
        context::get_current_tenant_id,
        context::current_user_id,
        access::rewrite::simplify_can_access_resource,
        access::rewrite::simplify_can_modify_resource,
    ]
);

#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    errors::init();
    settings::init(
        access::invalidation::tenant_setting_changed,
        access::invalidation::user_setting_changed,
    );
    // SAFETY: registers #[pg_guard] callbacks for the life of the backend
    // (PostgreSQL offers no way to unregister the cache ones), once: a
    // library is initialised once per process.
    unsafe {
        pg_sys::RegisterXactCallback(
            Some(access::invalidation::transaction_ended),
            std::ptr::null_mut(),
        );
        pg_sys::RegisterXactCallback(Some(audit::buffer::transaction_ended), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(
            Some(audit::buffer::subtransaction_ended),
            std::ptr::null_mut(),
        );
        pg_sys::CacheRegisterRelcacheCallback(
            Some(audit::layout::relation_changed),
            pg_sys::Datum::from(0),
        );
        pg_sys::CacheRegisterRelcacheCallback(
            Some(registry::cache::relation_changed),
            pg_sys::Datum::from(0),
        );
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::NAMESPACEOID as i32,
            Some(audit::layout::schema_changed),
            pg_sys::Datum::from(0),
        );
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            Some(functions::function_changed),
            pg_sys::Datum::from(0),
        );
    }
}

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
