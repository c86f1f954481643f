//! The tables the installer will not protect, and the columns it will not keep.

use pgrx::pg_sys;

use crate::errors::{
    error, DATATYPE_MISMATCH, FEATURE_NOT_SUPPORTED, INSUFFICIENT_PRIVILEGE,
    INVALID_TABLE_DEFINITION, OBJECT_NOT_IN_PREREQUISITE_STATE, WRONG_OBJECT_TYPE,
};
use crate::spi::select_value;

use super::catalog::{found_columns, primary_key, require_owner, Rel};
use super::objects::FoundColumn;

pub(super) fn refuse_unprotectable(rel: &Rel) {
    let name = &rel.display;
    if matches!(rel.schema.as_str(), "pg_catalog" | "information_schema")
        || rel.schema.starts_with("pg_toast")
    {
        error(
            INSUFFICIENT_PRIVILEGE,
            format!("permission denied: {name} is a system catalog"),
        )
        .hint("vital_tenancy protects application tables, not PostgreSQL's own.")
        .raise()
    }
    if rel.schema == "vital" {
        error(
            INSUFFICIENT_PRIVILEGE,
            format!("permission denied: {name} belongs to vital_tenancy"),
        )
        .hint("vital_tenancy's own tables are protected by its own policies.")
        .raise()
    }
    match rel.kind.as_str() {
        "r" | "p" => {}
        "v" => error(WRONG_OBJECT_TYPE, format!("{name} is a view"))
            .hint("Enable tenancy on the tables it reads, and create the view WITH (security_invoker = true) so that their policies apply to its users.")
            .raise(),
        "m" => error(WRONG_OBJECT_TYPE, format!("{name} is a materialized view"))
            .hint("Materialized views cannot have row-level security. Enable tenancy on the tables it reads, and do not let tenants read the materialized view.")
            .raise(),
        "f" => error(WRONG_OBJECT_TYPE, format!("{name} is a foreign table"))
            .hint("Row-level security cannot be enforced on a foreign table. Protect the table on the server that holds it.")
            .raise(),
        _ => error(WRONG_OBJECT_TYPE, format!("{name} is not a table"))
            .hint("Only plain and partitioned tables can be protected.")
            .raise(),
    }
    if rel.persistence == "t" {
        if !rel.in_my_temp_schema {
            error(
                FEATURE_NOT_SUPPORTED,
                "cannot access temporary tables of other sessions",
            )
            .raise()
        }
        error(
            FEATURE_NOT_SUPPORTED,
            format!("cannot enable tenancy on temporary table {name}"),
        )
        .detail("A temporary table cannot have a foreign key to vital.tenants.")
        .hint("Protect a permanent or unlogged table.")
        .raise()
    }
    if rel.is_partition {
        error(
            WRONG_OBJECT_TYPE,
            format!("{name} is a partition of {}", rel.partition_root),
        )
        .detail("Partitions are protected together with their partitioned table.")
        .hint(format!(
            "Run vital.enable_tenancy on {}.",
            rel.partition_root
        ))
        .raise()
    }
    if rel.inherits || (rel.kind == "r" && rel.has_children) {
        error(
            FEATURE_NOT_SUPPORTED,
            format!("{name} uses table inheritance"),
        )
        .detail("Rows of inheritance children read through the parent get the parent's policies only, and the children get none of its indexes.")
        .hint("Use declarative partitioning: vital_tenancy protects plain and partitioned tables.")
        .raise()
    }
}

pub(super) fn refuse_partition(parent: &Rel, part: &Rel) {
    require_owner(part);
    if part.kind != "r" && part.kind != "p" {
        error(
            WRONG_OBJECT_TYPE,
            format!(
                "partition {} of {} is not a table",
                part.display, parent.display
            ),
        )
        .hint(
            "Row-level security cannot be enforced on a foreign table partition. Detach it first.",
        )
        .raise()
    }
}

pub(super) fn single_column_primary_key(rel: &Rel) -> String {
    let key = primary_key(rel.oid);
    match key.as_slice() {
        [column] => column.clone(),
        [] => error(
            INVALID_TABLE_DEFINITION,
            format!("table {} has no primary key", rel.display),
        )
        .hint("Add a single-column primary key first: vital_tenancy identifies rows by it.")
        .raise(),
        columns => error(
            INVALID_TABLE_DEFINITION,
            format!("table {} has a composite primary key", rel.display),
        )
        .detail(format!(
            "Its primary key has {} columns: {}.",
            columns.len(),
            columns.join(", ")
        ))
        .hint("vital_tenancy identifies rows by a single-column primary key.")
        .raise(),
    }
}

/// The existing tenancy columns, each of a type the installer keeps.
pub(super) fn compatible_columns(rel: &Rel) -> Vec<FoundColumn> {
    let found = found_columns(rel.oid);
    for f in &found {
        let name = f.column.name();
        if !f.column.accepts(f.type_oid, f.typmod) {
            let shorter = f.type_oid == pg_sys::VARCHAROID;
            let problem = if shorter {
                let longest = f
                    .column
                    .words()
                    .iter()
                    .max_by_key(|w| w.len())
                    .unwrap_or(&"");
                format!("too short for \"{longest}\"")
            } else {
                format!("not {}", f.column.accepted_types())
            };
            let mut failure = error(
                DATATYPE_MISMATCH,
                format!(
                    "column {name} of table {} has type {}, {problem}",
                    rel.display, f.type_name
                ),
            )
            .detail("Nothing was changed.");
            failure = if shorter {
                failure.hint(format!(
                    "Widen it (ALTER TABLE {} ALTER COLUMN {name} TYPE text), then run vital.enable_tenancy again.",
                    rel.display
                ))
            } else {
                failure.hint(format!(
                    "Convert or rename the column (ALTER TABLE {} ALTER COLUMN {name} TYPE {} USING …, or RENAME COLUMN {name} TO …), then run vital.enable_tenancy again.",
                    rel.display,
                    f.column.sql_type()
                ))
            };
            failure.raise()
        }
        if f.generated {
            error(
                INVALID_TABLE_DEFINITION,
                format!("column {name} of table {} is a generated column", rel.display),
            )
            .detail("Nothing was changed.")
            .hint("vital_tenancy needs a plain column it can set and backfill; drop or rename the generated column first.")
            .raise()
        }
    }
    found
}

/// Refuses to install into, or take out of, a database whose extension
/// objects are of another version than this library: after a new build is
/// installed, every session runs its code at once, while each database's
/// SQL objects stay as they were until `ALTER EXTENSION vital_tenancy
/// UPDATE` (the installer would name functions and forms the old objects
/// lack). During that command's script the catalog already says the new
/// version.
pub(super) fn refuse_outdated_schema() {
    const LIBRARY: &str = env!("CARGO_PKG_VERSION");
    let installed: Option<String> = select_value(
        "select extversion from pg_catalog.pg_extension where extname = 'vital_tenancy'",
        &[],
    );
    match installed {
        Some(version) if version == LIBRARY => {}
        installed => error(
            OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "vital_tenancy's SQL objects in this database are of version {}, its library of version {LIBRARY}",
                installed.as_deref().unwrap_or("(none)")
            ),
        )
        .hint("Run ALTER EXTENSION vital_tenancy UPDATE in this database first (see UPDATING.md).")
        .raise(),
    }
}
