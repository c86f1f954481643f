//! Rows that would make a constraint `enable_tenancy` adds fail. They are
//! looked for before anything changes, on the values the backfill would
//! leave, so that the error names the first such row by its key and says
//! what is wrong with it (PostgreSQL's own error names neither), and the
//! preflight lists up to ten.
//!
//! The rows are read with the registry owner's rights: the table's owner
//! may not see `vital.tenants`, and row-level security must not hide
//! rows from the check. Only built-in expressions run. A column is shown
//! through its type's output function (`format('%s', …)`), not through a
//! cast that a user could have defined.

use pgrx::PgSqlErrorCode;

use crate::errors::{error, CHECK_VIOLATION, FOREIGN_KEY_VIOLATION};
use crate::ids::from_pg;
use crate::privileged::as_registry_owner;
use crate::spi::{self, text};
use crate::vocabulary::{Column, PRIVATE, RESOURCE_TYPES, SHARING_CHECK, SHARING_MODES};

use super::catalog::{quote_ident, Rel};
use super::objects::{FoundColumn, FOREIGN_KEY};

/// Rows counted beyond the first, at most.
const COUNTED: i64 = 1000;

/// What is wrong with a row's sharing columns, as sentences for a DETAIL.
pub(super) fn check_problems(
    is_shared: Option<bool>,
    mode: &str,
    resource_type: &str,
) -> Vec<String> {
    let shown = |value: &str| {
        let mut short: String = value.chars().take(64).collect();
        if short.len() < value.len() {
            short.push('…');
        }
        format!("'{}'", short.replace('\'', "''"))
    };
    let mut problems = Vec::new();
    if !SHARING_MODES.contains(&mode) {
        problems.push(format!(
            "sharing_mode is {}, which is not one of {}.",
            shown(mode),
            SHARING_MODES.join(", ")
        ));
    }
    if !RESOURCE_TYPES.contains(&resource_type) {
        problems.push(format!(
            "resource_type is {}, which is not one of {}.",
            shown(resource_type),
            RESOURCE_TYPES.join(", ")
        ));
    }
    let shared = is_shared.unwrap_or(false);
    if SHARING_MODES.contains(&mode) && shared != (mode != PRIVATE) {
        problems.push(format!(
            "is_shared is {shared}, but sharing_mode is {}: is_shared must be true exactly when the row is not private.",
            shown(mode)
        ));
    }
    problems
}

fn many(failing: i64) -> String {
    match failing {
        1 => "It is the only such row.".to_string(),
        n if n > COUNTED => format!("More than {COUNTED} rows fail it."),
        n => format!("{n} rows fail it."),
    }
}

fn row_name(key: &str, value: &str) -> String {
    format!("row ({key})=({value})")
}

/// The sharing columns of a row as `enable_tenancy` will leave them, as SQL
/// expressions over the table as it is now: the backfill's rules, with NULL
/// for a column not there yet (which is what adding it gives the backfill).
pub(super) struct Effective {
    owner: String,
    shared: String,
    mode: String,
    resource_type: String,
}

impl Effective {
    /// `default_sharing` and `default_resource_type` are words of the
    /// vocabulary, checked by the caller: they go into the SQL as literals.
    pub(super) fn of(
        found: &[FoundColumn],
        default_owner: pgrx::Uuid,
        default_sharing: &str,
        default_resource_type: &str,
    ) -> Effective {
        let column = |c: Column| {
            if found.iter().any(|f| f.column == c) {
                format!("t.{}", c.name())
            } else {
                format!("null::{}", c.sql_type())
            }
        };
        let (owner, shared, mode, kind) = (
            column(Column::TenantId),
            column(Column::IsShared),
            column(Column::SharingMode),
            column(Column::ResourceType),
        );
        let owner_literal = format!("'{}'::uuid", from_pg(default_owner));
        Effective {
            owner: format!("coalesce({owner}, {owner_literal})"),
            shared: format!(
                "case when {owner} is null then {adopted}
                      when {mode} is null then false
                      else coalesce({shared}, {mode} <> '{PRIVATE}') end",
                adopted = default_sharing != PRIVATE
            ),
            mode: format!(
                "case when {owner} is null then '{default_sharing}'::text
                      else coalesce({mode}::text, '{PRIVATE}') end"
            ),
            resource_type: format!("coalesce({kind}::text, '{default_resource_type}')"),
        }
    }
}

/// A row that would fail, by its key, with the values that fail.
pub(super) struct FailingRow {
    pub(super) key: String,
    pub(super) values: Vec<(&'static str, Option<String>)>,
    /// What is wrong with it, as sentences.
    pub(super) problems: Vec<String>,
}

/// Up to `limit` rows the sharing CHECK would reject, in key order, and how
/// many rows fail (counted up to a little over [`COUNTED`]).
pub(super) fn rows_failing_check(
    rel: &Rel,
    key: &str,
    effective: &Effective,
    limit: usize,
) -> (Vec<FailingRow>, i64) {
    let sql = format!(
        "select format('%s', k) as key, shared, format('%s', mode) as mode,
                format('%s', resource_type) as resource_type, count(*) over () as failing
           from (select k, shared, mode, resource_type
                   from (select t.{column} as k, {shared} as shared, {mode} as mode,
                                {kind} as resource_type
                           from {table} t) e
                  where not vital.sharing_columns_valid(shared, mode, resource_type)
                  limit {counted}) f
          order by f.k limit {limit}",
        column = quote_ident(key),
        table = rel.qualified,
        shared = effective.shared,
        mode = effective.mode,
        kind = effective.resource_type,
        counted = COUNTED + 1,
    );
    let rows = as_registry_owner(|| {
        spi::run_rows(&sql, &[], |row| {
            Ok((
                text(row, "key")?,
                row.get_by_name::<bool, _>("shared")?,
                text(row, "mode")?,
                text(row, "resource_type")?,
                row.get_by_name::<i64, _>("failing")?.unwrap_or(0),
            ))
        })
    });
    let failing = rows.first().map_or(0, |r| r.4);
    let rows = rows
        .into_iter()
        .map(|(key, shared, mode, kind, _)| FailingRow {
            problems: check_problems(shared, &mode, &kind),
            values: vec![
                ("is_shared", shared.map(|b| b.to_string())),
                ("sharing_mode", Some(mode)),
                ("resource_type", Some(kind)),
            ],
            key,
        })
        .collect();
    (rows, failing)
}

/// Up to `limit` rows whose owner would be no tenant, in key order, and how
/// many there are (counted up to a little over [`COUNTED`]).
pub(super) fn rows_without_tenant(
    rel: &Rel,
    key: &str,
    effective: &Effective,
    limit: usize,
) -> (Vec<FailingRow>, i64) {
    let sql = format!(
        "select format('%s', k) as key, owner::text as owner, count(*) over () as failing
           from (select k, owner
                   from (select t.{column} as k, {owner} as owner from {table} t) e
                  where not exists (select from vital.tenants v where v.id = e.owner)
                  limit {counted}) f
          order by f.k limit {limit}",
        column = quote_ident(key),
        table = rel.qualified,
        owner = effective.owner,
        counted = COUNTED + 1,
    );
    let rows = as_registry_owner(|| {
        spi::run_rows(&sql, &[], |row| {
            Ok((
                text(row, "key")?,
                text(row, "owner")?,
                row.get_by_name::<i64, _>("failing")?.unwrap_or(0),
            ))
        })
    });
    let failing = rows.first().map_or(0, |r| r.2);
    let rows = rows
        .into_iter()
        .map(|(key, owner, _)| FailingRow {
            problems: vec![format!(
                "Its tenant_id {owner} is no tenant in vital.tenants."
            )],
            values: vec![("tenant_id", Some(owner))],
            key,
        })
        .collect();
    (rows, failing)
}

/// Whether a constraint of this name exists on the table, validated (the
/// rows passed it: no need to look for failing ones).
fn validated(rel: &Rel, name: &str) -> bool {
    spi::select_rows(
        "select convalidated from pg_constraint where conrelid = $1 and conname = $2",
        &[rel.oid.into(), name.into()],
        |row| row.get_by_name::<bool, _>("convalidated"),
    )
    .into_iter()
    .any(|valid| valid == Some(true))
}

/// Refuses, before anything changes, a table with rows the sharing CHECK
/// would reject (23514) or whose owner would be no tenant (23503), naming
/// the first such row.
pub(super) fn refuse_blocked_rows(rel: &Rel, key: &str, effective: &Effective) {
    if !validated(rel, SHARING_CHECK) {
        let (rows, failing) = rows_failing_check(rel, key, effective, 1);
        refuse_first(
            rel,
            key,
            (CHECK_VIOLATION, "check constraint", SHARING_CHECK),
            rows.first(),
            failing,
            "Correct these rows, then run vital.enable_tenancy again; vital.tenancy_preflight lists up to ten of them.",
        );
    }
    if !validated(rel, FOREIGN_KEY) {
        let (rows, failing) = rows_without_tenant(rel, key, effective, 1);
        refuse_first(
            rel,
            key,
            (FOREIGN_KEY_VIOLATION, "foreign key constraint", FOREIGN_KEY),
            rows.first(),
            failing,
            "Create the tenants with vital.create_tenant (or import them with their ids), or give the rows an existing owner, then run vital.enable_tenancy again.",
        );
    }
}

/// Raises the error for the first failing row of a constraint, if any.
fn refuse_first(
    rel: &Rel,
    key: &str,
    (code, kind, constraint): (PgSqlErrorCode, &str, &str),
    first: Option<&FailingRow>,
    failing: i64,
    hint: &str,
) {
    let Some(first) = first else {
        return;
    };
    error(
        code,
        format!(
            "{} of table {} would violate {kind} \"{constraint}\"",
            row_name(key, &first.key),
            rel.display
        ),
    )
    .detail(format!(
        "{} {} Nothing was changed.",
        first.problems.join(" "),
        many(failing)
    ))
    .hint(hint)
    .table(&rel.schema, &rel.name)
    .constraint(constraint)
    .raise()
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use super::check_problems;

    #[pg_test]
    fn check_problems_name_each_fault() {
        let cases: [(Option<bool>, &str, &str, &[&str]); 7] = [
            (Some(false), "private", "custom", &[]),
            (Some(true), "global", "platform", &[]),
            (
                Some(true),
                "public",
                "custom",
                &["sharing_mode is 'public'"],
            ),
            (
                Some(false),
                "global",
                "custom",
                &["is_shared is false, but sharing_mode is 'global'"],
            ),
            (
                Some(true),
                "private",
                "template",
                &["resource_type is 'template'", "is_shared is true"],
            ),
            // a mode that is not a word says only that, not the tie as well
            (
                Some(false),
                "Global",
                "custom",
                &["sharing_mode is 'Global'"],
            ),
            (Some(false), "it's", "custom", &["sharing_mode is 'it''s'"]),
        ];
        for (shared, mode, kind, expected) in cases {
            let problems = check_problems(shared, mode, kind);
            assert_eq!(
                problems.len(),
                expected.len(),
                "{shared:?} {mode} {kind}: {problems:?}"
            );
            for (problem, start) in problems.iter().zip(expected) {
                assert!(problem.starts_with(start), "{problem} starts with {start}");
            }
        }
    }
}
