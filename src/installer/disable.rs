//! `disable_tenancy`: takes a table out of vital_tenancy's row-level
//! security, leaving it open (the default) or closed (`keep_closed`), and
//! with `drop_columns` removes the sharing columns, also from a table that
//! is no longer registered (see `leftovers`).

use pgrx::pg_sys::{self, Oid};
use pgrx::prelude::*;

use crate::errors::{notice, required};
use crate::privileged::as_registry_owner;
use crate::regclass::RegClass;
use crate::spi::{self, execute};
use crate::vocabulary::{Column, COLUMNS};

use super::catalog::{lock_tree, owned_relation, policies_of, require_owner, Rel};
use super::leftovers::leftovers;
use super::objects::{Policy, POLICIES};
use super::refusals::refuse_outdated_schema;
use super::trigger::drop_audit_trigger;

/// For a registered table, the indexes enable_tenancy created that are still
/// there, by qualified name; None for a table not registered.
pub(super) fn created_indexes(relid: Oid) -> Option<Vec<String>> {
    spi::run_rows(
        "select array(select format('%I.%I', n.nspname, c.relname)
                        from pg_index i
                        join pg_class c on c.oid = i.indexrelid
                        join pg_namespace n on n.oid = c.relnamespace
                       where i.indrelid = t.table_name and c.relname = any (t.created_indexes)
                       order by c.relname) as indexes
           from vital.tenant_tables t where t.table_name = $1::regclass",
        &[relid.into()],
        |row| {
            Ok(row
                .get_by_name::<Vec<String>, _>("indexes")?
                .unwrap_or_default())
        },
    )
    .into_iter()
    .next()
}

/// Takes a table out of vital_tenancy's row-level security; see the README.
/// (Its symbol is not `disable_tenancy_wrapper`: 0.1.0's two-argument
/// declaration names that one, see [`disable_tenancy_wrapper`].)
#[pg_extern(name = "disable_tenancy", volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
pub(super) fn disable_tenancy_in_mode(
    table_name: Option<RegClass>,
    drop_columns: default!(Option<bool>, "false"),
    keep_closed: default!(Option<bool>, "false"),
) {
    let table = required(table_name, "table_name");
    let drop_columns = required(drop_columns, "drop_columns");
    let keep_closed = required(keep_closed, "keep_closed");
    disable(table, drop_columns, keep_closed)
}

/// The entry point 0.1.0's declaration `vital.disable_tenancy(regclass,
/// boolean)` names, until `ALTER EXTENSION … UPDATE` replaces it with the
/// three-argument one: pgrx's wrapper of that one would fail (XX000) to read
/// a third argument from a two-argument call. On the old schema it refuses
/// as every installer function does; on a current one (a declaration made
/// by hand) it runs the default mode.
///
/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo`.
#[pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn disable_tenancy_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    refuse_outdated_schema();
    // SAFETY: per this function's contract; the function manager passes
    // `nargs` arguments, by value here (regclass, boolean).
    let (table, drop_columns) = unsafe {
        let args = (*fcinfo).args.as_slice((*fcinfo).nargs.max(0) as usize);
        let arg = |i: usize| args.get(i).filter(|a| !a.isnull).map(|a| a.value);
        (
            arg(0).map(|d| RegClass(Oid::from_u32(d.value() as u32))),
            if args.len() > 1 {
                arg(1).map(|d| d.value() != 0)
            } else {
                Some(false)
            },
        )
    };
    disable(
        required(table, "table_name"),
        required(drop_columns, "drop_columns"),
        false,
    );
    pg_sys::Datum::from(0)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_disable_tenancy_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

fn disable(table: RegClass, drop_columns: bool, keep_closed: bool) {
    refuse_outdated_schema();
    // Registered? Asked before locking, so that a call on a table never
    // enabled (a catalog, say) locks nothing; and again once locked.
    let rel = owned_relation(table);
    if created_indexes(rel.oid).is_none() {
        return unregistered(table, &rel, drop_columns, keep_closed);
    }
    let (rel, parts) = lock_tree(table);
    for part in &parts {
        require_owner(part);
    }
    let Some(created_indexes) = created_indexes(rel.oid) else {
        // disabled by a concurrent call while we waited
        return unregistered(table, &rel, drop_columns, keep_closed);
    };

    drop_audit_trigger(&rel, &parts);

    // Other policies keep row-level security on: disabling it would make
    // them stop applying. Said once everything else is done.
    let mut kept_on = Vec::new();
    let mut tables = vec![&rel];
    tables.extend(parts.iter());
    for r in tables {
        let mut statements: Vec<String> = POLICIES
            .iter()
            .map(|p| format!("DROP POLICY IF EXISTS {} ON {}", p.name(), r.qualified))
            .collect();
        let others: Vec<String> = policies_of(r.oid, true)
            .into_iter()
            .map(|p| p.name)
            .filter(|name| !Policy::is_ours(name))
            .collect();
        if keep_closed {
            if !r.row_security || !r.force_row_security {
                statements.push(format!(
                    "ALTER TABLE {} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY",
                    r.qualified
                ));
            }
        } else if others.is_empty() {
            statements.push(format!(
                "ALTER TABLE {} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY",
                r.qualified
            ));
        }
        if !others.is_empty() {
            kept_on.push((r.display.clone(), others));
        }
        as_registry_owner(|| {
            for sql in &statements {
                execute(sql, &[]);
            }
        });
    }

    as_registry_owner(|| {
        for name in &created_indexes {
            execute(&format!("DROP INDEX {name}"), &[]);
        }
    });

    if drop_columns {
        let clauses: Vec<String> = COLUMNS
            .iter()
            .map(|c| format!("DROP COLUMN IF EXISTS {}", c.name()))
            .collect();
        let sql = format!("ALTER TABLE {} {}", rel.qualified, clauses.join(", "));
        as_registry_owner(|| execute(&sql, &[]));
    }

    as_registry_owner(|| {
        execute(
            "delete from vital.tenant_tables where table_name = $1::regclass",
            &[rel.oid.into()],
        )
    });

    report_state(&rel, !parts.is_empty(), keep_closed, &kept_on);
}

/// Says what state the table is left in: open, closed, or under the
/// policies that remain.
fn report_state(
    rel: &Rel,
    partitioned: bool,
    keep_closed: bool,
    kept_on: &[(String, Vec<String>)],
) {
    let partitions = if partitioned {
        " Its partitions are left the same way."
    } else {
        ""
    };
    let root_has_others = kept_on.first().is_some_and(|(t, _)| *t == rel.display);
    if keep_closed {
        notice(format!(
            "table {} is closed: row-level security stays enabled and forced, with no policy of vital_tenancy's",
            rel.display
        ))
        .detail(format!(
            "Only superusers and roles with BYPASSRLS can read or change its rows; its owner cannot.{partitions}"
        ))
        .hint("Run vital.enable_tenancy on it to protect it again, or ALTER TABLE … NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY to open it.")
        .send();
        for (table, others) in kept_on {
            notice(format!("other policies still apply on table {table}"))
                .detail(format!(
                    "They let through the rows they allow: {}.",
                    others.join(", ")
                ))
                .send();
        }
        return;
    }
    if !root_has_others {
        notice(format!(
            "table {} is open: row-level security is disabled",
            rel.display
        ))
        .detail(format!(
            "Every role with privileges on it reads and changes all its rows, of every tenant.{partitions}"
        ))
        .hint("To keep a table closed instead, roll back and call vital.disable_tenancy(…, keep_closed => true).")
        .send();
    }
    for (table, others) in kept_on {
        notice(format!("row-level security stays enabled on table {table}"))
            .detail(format!("Other policies remain on it: {}.", others.join(", ")))
            .hint("Drop them and run ALTER TABLE … DISABLE ROW LEVEL SECURITY if the table should be open.")
            .send();
    }
}

/// A table that is not registered: with `drop_columns`, removes the
/// sharing columns that are recognisably ours; otherwise nothing to do.
fn unregistered(table: RegClass, rel: &Rel, drop_columns: bool, keep_closed: bool) {
    let found = leftovers(rel);
    if found.ours.is_empty() {
        return not_enabled(rel, &[]);
    }
    if !drop_columns {
        return not_enabled(rel, &found.ours);
    }
    let (rel, parts) = lock_tree(table);
    for part in &parts {
        require_owner(part);
    }
    if created_indexes(rel.oid).is_some() {
        // enabled by a concurrent call while we waited
        return disable(table, drop_columns, keep_closed);
    }
    let found = leftovers(&rel);
    if found.ours.is_empty() {
        return not_enabled(&rel, &[]);
    }
    let clauses: Vec<String> = found
        .ours
        .iter()
        .map(|c| format!("DROP COLUMN {}", c.name()))
        .collect();
    let sql = format!("ALTER TABLE {} {}", rel.qualified, clauses.join(", "));
    as_registry_owner(|| execute(&sql, &[]));
    let security = match (rel.row_security, rel.force_row_security) {
        (true, true) => "enabled and forced",
        (true, false) => "enabled, not forced",
        (false, _) => "disabled",
    };
    notice(format!(
        "dropped the columns vital_tenancy added to table {}: {}",
        rel.display,
        names(&found.ours)
    ))
    .detail(format!(
        "The table was no longer registered; its constraints and indexes on those columns went with them. Row-level security is left as it was: {security}."
    ))
    .send();
    if !found.kept.is_empty() {
        let (what, them, hint) = if found.kept.len() == 1 {
            (
                "column",
                "it",
                "Drop it yourself if it is not the table's own.",
            )
        } else {
            (
                "columns",
                "them",
                "Drop them yourself if they are not the table's own.",
            )
        };
        notice(format!(
            "kept {what} {} of table {}",
            names(&found.kept),
            rel.display
        ))
        .detail(format!("Nothing marks {them} as added by vital_tenancy: no foreign key to vital.tenants, default vital.get_current_tenant_id(), CHECK vital_tenancy_sharing_check or index it creates is on {them}, and the type or default is not the one it gives."))
        .hint(hint)
        .send();
    }
}

fn names(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_enabled(rel: &Rel, left: &[Column]) {
    let report = notice(format!(
        "table {} is not tenancy-enabled, nothing to do",
        rel.display
    ));
    if left.is_empty() {
        report.send()
    } else {
        report
            .detail(format!(
                "Columns vital_tenancy added are still there: {}.",
                names(left)
            ))
            .hint("vital.disable_tenancy(…, drop_columns => true) drops them.")
            .send()
    }
}
