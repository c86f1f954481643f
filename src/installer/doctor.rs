//! `tenancy_status`: whether what `enable_tenancy` installed is still intact.

use pgrx::prelude::*;

use crate::privileged::calling_role;
use crate::regclass::RegClass;
use crate::spi;

use super::catalog::{audit_policies, descendants, policies_of, rel_from_row, Rel, REL_COLUMNS};
use super::trigger::audit_triggers_ok;

pub(super) type StatusRow = (RegClass, bool, bool, bool, Vec<String>, Option<bool>, bool);

/// One row per registered table, each followed by its partitions: whether
/// what enable_tenancy installed is intact. See the README.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
#[allow(clippy::type_complexity)] // the column names must be spelled out here
pub(super) fn tenancy_status() -> TableIterator<
    'static,
    (
        name!(table_name, RegClass),
        name!(rls_enabled, bool),
        name!(rls_forced, bool),
        name!(policies_ok, bool),
        name!(extra_policies, Vec<String>),
        name!(audit_trigger_ok, Option<bool>),
        name!(healthy, bool),
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
        report.push((own.0, own.1, own.2, own.3, own.4, own.5, all_healthy));
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
    )
}
