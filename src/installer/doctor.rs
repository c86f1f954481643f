//! `tenancy_status`: whether what `enable_tenancy` installed is still intact.

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::errors::{error, OBJECT_NOT_IN_PREREQUISITE_STATE};

use crate::privileged::calling_role;
use crate::regclass::RegClass;
use crate::spi;

use super::catalog::{audit_policies, descendants, policies_of, rel_from_row, Rel, REL_COLUMNS};
use super::hazards::hazards_of;
use super::openings::{foreign_tenant_keys, quote_literal};
use super::refusals::refuse_outdated_schema;
use super::trigger::audit_triggers_ok;

pub(super) type StatusRow = (
    RegClass,
    bool,
    bool,
    bool,
    Vec<String>,
    Option<bool>,
    bool,
    Vec<String>,
);

/// One row per registered table, each followed by its partitions: whether
/// what enable_tenancy installed is intact. See the README. (Its symbol is
/// not `tenancy_status_wrapper`: 0.1.0's declaration, of one column less,
/// names that one, see [`tenancy_status_wrapper`].)
#[pg_extern(name = "tenancy_status", stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
#[allow(clippy::type_complexity)] // the column names must be spelled out here
pub(super) fn tenancy_status_with_hazards() -> TableIterator<
    'static,
    (
        name!(table_name, RegClass),
        name!(rls_enabled, bool),
        name!(rls_forced, bool),
        name!(policies_ok, bool),
        name!(extra_policies, Vec<String>),
        name!(audit_trigger_ok, Option<bool>),
        name!(healthy, bool),
        name!(hazards, Vec<String>),
    ),
> {
    let registered = spi::select_rows(
        &format!(
            "{REL_COLUMNS} join vital.tenant_tables t on t.table_name::oid = c.oid
              order by c.oid::regclass::text"
        ),
        &[calling_role().into()],
        rel_from_row,
    );
    let mut report: Vec<StatusRow> = Vec::new();
    for table in registered {
        let mut parts = descendants(table.oid, false);
        parts.sort_by(|a, b| a.display.cmp(&b.display));
        let own = status_of(&table);
        let parts_rows: Vec<StatusRow> = parts.iter().map(status_of).collect();
        let all_healthy = own.6 && parts_rows.iter().all(|row| row.6);
        report.push((own.0, own.1, own.2, own.3, own.4, own.5, all_healthy, own.7));
        report.extend(parts_rows);
    }
    TableIterator::new(report)
}

pub(super) fn status_of(rel: &Rel) -> StatusRow {
    let audit = audit_policies(rel, &policies_of(rel.oid, false));
    let policies_ok = audit.wrong.is_empty();
    // Missing or disabled, either trigger lets sharing changes go
    // unrecorded (or, for the flush trigger, written one by one or not at
    // all when the statement targets a table without it).
    let audit_trigger_ok = Some(audit_triggers_ok(rel.oid, false));
    let healthy = rel.row_security
        && rel.force_row_security
        && policies_ok
        && audit.extra_permissive.is_empty()
        && audit_trigger_ok != Some(false);
    (
        RegClass(rel.oid),
        rel.row_security,
        rel.force_row_security,
        policies_ok,
        audit.extra,
        audit_trigger_ok,
        healthy,
        hazards(rel),
    )
}

/// What reads the table around its policies, and other tables' owner keys:
/// each finding with what to do.
fn hazards(rel: &Rel) -> Vec<String> {
    let keys = foreign_tenant_keys(rel).into_iter().map(|key| {
        format!(
            "{} references another table than vital.tenants: rows of new tenants cannot be inserted. Run vital.enable_tenancy({}, replace_tenant_fk => true).",
            key.describe(),
            quote_literal(&rel.display)
        )
    });
    let readers = hazards_of(&[rel.oid])
        .into_iter()
        .map(|h| format!("{}. {}", h.finding, h.remedy));
    keys.chain(readers).collect()
}

/// The entry point 0.1.0's declaration of `vital.tenancy_status()` names,
/// until `ALTER EXTENSION … UPDATE` replaces it with the current one, which
/// returns one more column: it refuses, as the installer's functions do on
/// an outdated schema, and on a current one (a declaration made by hand)
/// says which declaration to use.
///
/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo`.
#[pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn tenancy_status_wrapper(
    _fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    refuse_outdated_schema();
    error(
        OBJECT_NOT_IN_PREREQUISITE_STATE,
        "this declaration of vital.tenancy_status() is of vital_tenancy 0.1.0",
    )
    .hint("Declare it as the extension's script does (it returns the column hazards too), or run ALTER EXTENSION vital_tenancy UPDATE.")
    .raise()
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_tenancy_status_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}
