//! vital_tenancy: multi-tenant isolation enforced inside PostgreSQL.
//!
//! - `settings`: the superuser-only settings that hold the context
//! - `context`: reading and setting the tenant and user context
//! - `jwt`: the user named by PostgREST's JWT claims
//! - `registry`: tenants, memberships, platform admins
//! - `privileged`: the raised rights the registry functions use
//! - `errors`: every user-facing error, with its SQLSTATE

mod context;
mod errors;
mod jwt;
mod privileged;
mod registry;
mod settings;
#[cfg(any(test, feature = "pg_test"))]
mod testing;

pgrx::pg_module_magic!();

pgrx::extension_sql_file!("../sql/registry.sql", name = "registry", bootstrap);
pgrx::extension_sql_file!(
    "../sql/registry_policies.sql",
    name = "registry_policies",
    finalize
);

#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::init();
}

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
