//! `tenancy_preflight`: what `enable_tenancy` would do to a table with the
//! same options, and what would stop it, changing nothing. One row per
//! finding:
//!
//! - `blocker`: it would refuse (policies or owner keys it was not asked to
//!   drop, rows its CHECK or foreign key would reject, with up to ten of
//!   them);
//! - `hazard`: what reads the table around its policies;
//! - `change`: what it would add, set, drop or backfill;
//! - `keep`: what it leaves as it is and says so (restrictive policies);
//! - `lock` and `rows`: the lock it takes and the table's size.
//!
//! Objects it refuses outright (a view, a catalog, a partition, a table
//! without a single-column key) are refused here with the same error.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::{json, Value};

use crate::errors::required;
use crate::ids::from_pg;
use crate::privileged::as_registry_owner;
use crate::regclass::RegClass;
use crate::spi::{self, flag};
use crate::vocabulary::{Column, COLUMNS};

use super::blockers::{rows_failing_check, rows_without_tenant, Effective, FailingRow};
use super::catalog::{
    audit_policies, descendants, existing_indexes, owned_relation, policies_of, Rel,
};
use super::hazards::hazards_of;
use super::objects::INDEXES;
use super::openings::openings_of;
use super::refusals::{
    compatible_columns, refuse_outdated_schema, refuse_partition, refuse_unprotectable,
    single_column_primary_key,
};
use super::trigger::audit_triggers_ok;

/// Rows of failing data shown per blocker.
const SAMPLE: usize = 10;

type Finding = (String, String, String, Option<i64>, Option<JsonB>);

fn finding(kind: &str, subject: impl Into<String>, text: impl Into<String>) -> Finding {
    (kind.to_string(), subject.into(), text.into(), None, None)
}

/// What `enable_tenancy` with these options would do; see the README.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
#[allow(clippy::type_complexity)] // the column names must be spelled out here
fn tenancy_preflight(
    table_name: Option<RegClass>,
    default_owner: default!(Option<pgrx::Uuid>, "'00000000-0000-0000-0000-000000000001'"),
    default_sharing: default!(Option<&str>, "'private'"),
    default_resource_type: default!(Option<&str>, "'custom'"),
    replace_policies: default!(Option<bool>, "false"),
    replace_tenant_fk: default!(Option<bool>, "false"),
) -> TableIterator<
    'static,
    (
        name!(kind, String),
        name!(subject, String),
        name!(finding, String),
        name!(rows, Option<i64>),
        name!(sample, Option<JsonB>),
    ),
> {
    let table = required(table_name, "table_name");
    let super::Options {
        default_owner,
        default_sharing,
        default_resource_type,
        replace_policies,
        replace_tenant_fk,
    } = super::Options::checked(
        default_owner,
        default_sharing,
        default_resource_type,
        replace_policies,
        replace_tenant_fk,
    );
    refuse_outdated_schema();

    let rel = owned_relation(table);
    refuse_unprotectable(&rel);
    let parts = descendants(rel.oid, false);
    for part in &parts {
        refuse_partition(&rel, part);
    }
    let key = single_column_primary_key(&rel);
    let found = compatible_columns(&rel);
    let mut out: Vec<Finding> = Vec::new();

    let total: i64 = as_registry_owner(|| {
        spi::run_value::<i64>(&format!("select count(*) from {}", rel.qualified), &[])
    })
    .unwrap_or(0);
    out.push((
        "rows".into(),
        rel.display.clone(),
        format!("{total} rows, partitions included"),
        Some(total),
        None,
    ));
    out.push(finding(
        "lock",
        rel.display.clone(),
        format!(
            "SHARE ROW EXCLUSIVE on the table{}, then ACCESS EXCLUSIVE for its ALTER TABLE steps (the backfill and the constraints' validation run under it), both held until the transaction ends: readers and writers wait",
            if parts.is_empty() {
                String::new()
            } else {
                format!(" and its {} partitions", parts.len())
            }
        ),
    ));

    let openings = openings_of(&rel, &parts);
    for policy in openings.permissive() {
        out.push(if replace_policies {
            finding("change", policy.describe(), "would be dropped (replace_policies)")
        } else {
            finding(
                "blocker",
                policy.describe(),
                "a permissive policy vital_tenancy did not install: drop it, or pass replace_policies => true",
            )
        });
    }
    for policy in openings.restrictive() {
        out.push(finding(
            "keep",
            policy.describe(),
            "a restrictive policy: kept, it can only narrow what the installed policies allow",
        ));
    }
    for key in &openings.tenant_keys {
        out.push(if replace_tenant_fk {
            finding("change", key.describe(), "would be dropped (replace_tenant_fk)")
        } else {
            finding(
                "blocker",
                key.describe(),
                "tenant_id references another table than vital.tenants: drop it, or pass replace_tenant_fk => true",
            )
        });
    }
    let relids: Vec<pgrx::pg_sys::Oid> =
        std::iter::once(&rel).chain(&parts).map(|r| r.oid).collect();
    for hazard in hazards_of(&relids) {
        out.push(finding(
            "hazard",
            rel.display.clone(),
            format!("{}. {}", hazard.finding, hazard.remedy),
        ));
    }

    let effective = Effective::of(
        &found,
        default_owner,
        default_sharing,
        default_resource_type,
    );
    let (rows, failing) = rows_failing_check(&rel, &key, &effective, SAMPLE);
    if !rows.is_empty() {
        out.push((
            "blocker".into(),
            "check vital_tenancy_sharing_check".into(),
            "rows that would fail the sharing CHECK (sample: up to ten, in key order)".into(),
            Some(failing),
            Some(sample(&key, &rows)),
        ));
    }
    let (rows, failing) = rows_without_tenant(&rel, &key, &effective, SAMPLE);
    if !rows.is_empty() {
        out.push((
            "blocker".into(),
            "foreign key vital_tenancy_tenant_fk".into(),
            "rows whose owner is no tenant in vital.tenants (sample: up to ten, in key order)"
                .into(),
            Some(failing),
            Some(sample(&key, &rows)),
        ));
    }

    out.extend(column_changes(
        &rel,
        &found,
        total,
        default_owner,
        default_sharing,
    ));
    out.extend(object_changes(&rel, &parts));
    TableIterator::new(out)
}

fn sample(key: &str, rows: &[FailingRow]) -> JsonB {
    JsonB(Value::Array(
        rows.iter()
            .map(|r| {
                let mut object = serde_json::Map::new();
                object.insert(key.to_string(), json!(r.key));
                for (name, value) in &r.values {
                    object.insert((*name).to_string(), json!(value));
                }
                object.insert("problems".into(), json!(r.problems));
                Value::Object(object)
            })
            .collect(),
    ))
}

fn column_changes(
    rel: &Rel,
    found: &[super::objects::FoundColumn],
    total: i64,
    default_owner: pgrx::Uuid,
    default_sharing: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for column in COLUMNS {
        let subject = format!("column {}", column.name());
        match found.iter().find(|f| f.column == column) {
            None => out.push(finding(
                "change",
                subject,
                format!(
                    "would be added: {} NOT NULL DEFAULT {}",
                    column.sql_type(),
                    column.default_sql()
                ),
            )),
            Some(f) => {
                if !f.not_null {
                    out.push(finding("change", subject.clone(), "would be set NOT NULL"));
                }
                if f.default_shown.as_deref() != Some(column.default_shown(f.varchar()).as_str()) {
                    out.push(finding(
                        "change",
                        subject,
                        format!("its default would become {}", column.default_sql()),
                    ));
                }
            }
        }
    }
    let adopted = if found.iter().any(|f| f.column == Column::TenantId) {
        as_registry_owner(|| {
            spi::run_value::<i64>(
                &format!(
                    "select count(*) from {} where tenant_id is null",
                    rel.qualified
                ),
                &[],
            )
        })
        .unwrap_or(0)
    } else {
        total
    };
    if adopted > 0 {
        out.push((
            "change".into(),
            "rows without an owner".into(),
            format!(
                "would belong to tenant {}, sharing {default_sharing}",
                from_pg(default_owner)
            ),
            Some(adopted),
            None,
        ));
    }
    out
}

fn object_changes(rel: &Rel, parts: &[Rel]) -> Vec<Finding> {
    let mut out = Vec::new();
    let existing = existing_indexes(rel.oid);
    for index in INDEXES {
        if !existing
            .iter()
            .any(|e| index.served_by(e, rel.mode_is_varchar))
        {
            out.push(finding(
                "change",
                format!("index on {}", index.column().name()),
                format!("would be created: {}", index.create_sql(&rel.qualified)),
            ));
        }
    }
    for r in std::iter::once(rel).chain(parts) {
        if !r.row_security || !r.force_row_security {
            out.push(finding(
                "change",
                r.display.clone(),
                "row-level security would be enabled and forced",
            ));
        }
        let audit = audit_policies(r, &policies_of(r.oid, false));
        for policy in &audit.wrong {
            let verb = if audit.changed.contains(policy) {
                "would be replaced (it differs from what vital_tenancy installs)"
            } else {
                "would be created"
            };
            out.push(finding(
                "change",
                format!("policy {} on {}", policy.name(), r.display),
                verb,
            ));
        }
        if !audit_triggers_ok(r.oid, false) {
            out.push(finding(
                "change",
                format!("audit triggers on {}", r.display),
                "would be installed (or moved to the current set)",
            ));
        }
    }
    let registered = spi::select_rows(
        "select exists (select from vital.tenant_tables where table_name = $1::regclass) as registered",
        &[rel.oid.into()],
        |row| flag(row, "registered"),
    )
    .into_iter()
    .any(|r| r);
    if !registered {
        out.push(finding(
            "change",
            rel.display.clone(),
            "would be registered in vital.tenant_tables",
        ));
    }
    out
}
