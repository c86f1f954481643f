//! What enable_tenancy leaves on a table that is no longer registered (a
//! table disabled without `drop_columns`, or one that lost its registry row
//! with `DROP EXTENSION … CASCADE`), and which of the sharing columns it
//! makes recognisably ours: the only ones `disable_tenancy(…, drop_columns
//! => true)` drops there.
//!
//! A column is ours when one of the objects the installer makes is on it:
//! the foreign key to `vital.tenants` or the default
//! `vital.get_current_tenant_id()` (tenant_id), the CHECK
//! `vital_tenancy_sharing_check` or one of 0.1.0's (the columns it reads),
//! one of the two partial indexes exactly as the installer creates them
//! under the name PostgreSQL chose for them. Once one of those is there,
//! the plain btree index on tenant_id under its chosen name marks tenant_id
//! too (alone it is what any multi-tenant table has), and a sharing column
//! with exactly the type and default the installer gives it is ours too.
//! Anything else is the owner's, whatever its name.

use std::ffi::{CStr, CString};

use pgrx::pg_sys;

use crate::spi::{self, text};
use crate::vocabulary::{Column, CHECKS_OF_0_1_0, COLUMNS, SHARING_CHECK};

use super::catalog::{existing_indexes, found_columns, Rel};
use super::objects::INDEXES;

pub(super) struct Leftovers {
    /// The sharing columns that are recognisably ours, in [`COLUMNS`] order.
    pub(super) ours: Vec<Column>,
    /// The sharing columns there that nothing marks as ours.
    pub(super) kept: Vec<Column>,
}

pub(super) fn leftovers(rel: &Rel) -> Leftovers {
    let found = found_columns(rel.oid);
    let indexed = index_columns(rel);
    let mut marked: Vec<Column> = Vec::new();
    marked.extend(foreign_key_columns(rel));
    marked.extend(check_columns(rel));
    marked.extend(indexed.iter().copied().filter(|c| *c != Column::TenantId));
    if found.iter().any(|f| {
        f.column == Column::TenantId
            && f.default_shown.as_deref() == Some(Column::TenantId.default_shown(false).as_str())
    }) {
        marked.push(Column::TenantId);
    }
    let mut ours = Vec::new();
    let mut kept = Vec::new();
    for column in COLUMNS {
        let Some(f) = found.iter().find(|f| f.column == column) else {
            continue;
        };
        let as_installed = !f.generated
            && column.accepts(f.type_oid, f.typmod)
            && f.default_shown.as_deref() == Some(column.default_shown(f.varchar()).as_str());
        let ours_too = !marked.is_empty() && (as_installed || indexed.contains(&column));
        if marked.contains(&column) || ours_too {
            ours.push(column);
        } else {
            kept.push(column);
        }
    }
    Leftovers { ours, kept }
}

fn sharing_column(name: &str) -> Option<Column> {
    COLUMNS.into_iter().find(|c| c.name() == name)
}

/// tenant_id, when a foreign key on it alone references `vital.tenants (id)`.
fn foreign_key_columns(rel: &Rel) -> Vec<Column> {
    spi::run_rows(
        "select a.attname::text as name
           from pg_constraint c
           join pg_attribute a on a.attrelid = c.conrelid and c.conkey = array[a.attnum]
          where c.conrelid = $1 and c.contype = 'f'
            and c.confrelid = 'vital.tenants'::regclass",
        &[rel.oid.into()],
        |row| text(row, "name"),
    )
    .iter()
    .filter_map(|name| sharing_column(name))
    .filter(|c| *c == Column::TenantId)
    .collect()
}

/// The sharing columns the installer's CHECKs (this version's, 0.1.0's) read.
fn check_columns(rel: &Rel) -> Vec<Column> {
    let mut names = vec![SHARING_CHECK];
    names.extend(CHECKS_OF_0_1_0);
    spi::run_rows(
        "select a.attname::text as name
           from pg_constraint c
           join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
          where c.conrelid = $1 and c.contype = 'c' and c.conname = any ($2)",
        &[rel.oid.into(), names.into()],
        |row| text(row, "name"),
    )
    .iter()
    .filter_map(|name| sharing_column(name))
    .collect()
}

/// The columns of the indexes that are exactly as the installer creates
/// them and carry a name PostgreSQL would have given them.
fn index_columns(rel: &Rel) -> Vec<Column> {
    let existing = existing_indexes(rel.oid);
    INDEXES
        .iter()
        .filter(|index| {
            let names = generated_names(&rel.name, index.column().name());
            existing
                .iter()
                .any(|e| index.is_as_created(e, rel.mode_is_varchar) && names.contains(&e.name))
        })
        .map(|index| index.column())
        .collect()
}

/// The names `CREATE INDEX ON table (column)` chooses: `table_column_idx`,
/// or with a number when that is taken (`…_idx1`, `…_idx2`, …), shortened
/// as PostgreSQL shortens them (ChooseRelationName, makeObjectName).
fn generated_names(table: &str, column: &str) -> Vec<String> {
    let (Ok(table), Ok(column)) = (CString::new(table), CString::new(column)) else {
        return Vec::new();
    };
    (0..10)
        .map(|n| {
            let label = if n == 0 {
                c"idx".to_owned()
            } else {
                CString::new(format!("idx{n}")).expect("no NUL in a number")
            };
            // SAFETY: three NUL-terminated strings; makeObjectName returns a
            // palloc'd NUL-terminated name, copied out at once.
            unsafe {
                let made = pg_sys::makeObjectName(table.as_ptr(), column.as_ptr(), label.as_ptr());
                let name = CStr::from_ptr(made).to_string_lossy().into_owned();
                pg_sys::pfree(made.cast());
                name
            }
        })
        .collect()
}
