//! vital_tenancy: multi-tenant isolation enforced inside PostgreSQL.
//!
//! - `settings`: the superuser-only settings that hold the context
//! - `context`: reading and setting the tenant and user context
//! - `jwt`: the user named by PostgREST's JWT claims
//! - `access`: the access checks RLS policies call
//! - `plans`: rewriting those checks at plan time, and invalidating cached plans
//! - `audit`: the sharing audit trail's trigger and read check
//! - `registry`: tenants, memberships, platform admins
//! - `privileged`: the raised rights the registry functions use
//! - `errors`: every user-facing error, with its SQLSTATE

mod access;
mod audit;
mod context;
mod errors;
mod installer;
mod jwt;
mod plans;
mod privileged;
mod regclass;
mod registry;
mod settings;
mod sharing;
#[cfg(any(test, feature = "pg_test"))]
mod testing;

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
    requires = ["installer", audit::can_read_sharing_audit,]
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
        plans::simplify_can_access_resource,
        plans::simplify_can_modify_resource,
    ]
);

#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::init();
    plans::init();
}

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
