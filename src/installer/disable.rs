//! `disable_tenancy`: takes a table out of vital_tenancy's row-level security.

use pgrx::pg_sys::Oid;
use pgrx::prelude::*;

use crate::errors::{notice, required};
use crate::privileged::as_registry_owner;
use crate::regclass::RegClass;
use crate::spi::{self, execute};
use crate::vocabulary::COLUMNS;

use super::catalog::{lock_tree, owned_relation, policies_of, require_owner, Rel};
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
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
pub(super) fn disable_tenancy(
    table_name: Option<RegClass>,
    drop_columns: default!(Option<bool>, "false"),
) {
    let table = required(table_name, "table_name");
    let drop_columns = required(drop_columns, "drop_columns");
    refuse_outdated_schema();
    // Registered? Asked before locking, so that a call on a table never
    // enabled (a catalog, say) locks nothing; and again once locked.
    let rel = owned_relation(table);
    if created_indexes(rel.oid).is_none() {
        return not_enabled(&rel);
    }
    let (rel, parts) = lock_tree(table);
    for part in &parts {
        require_owner(part);
    }
    let Some(created_indexes) = created_indexes(rel.oid) else {
        // disabled by a concurrent call while we waited
        return not_enabled(&rel);
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
        if others.is_empty() {
            statements.push(format!(
                "ALTER TABLE {} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY",
                r.qualified
            ));
        } else {
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

    for (table, others) in kept_on {
        notice(format!("row-level security stays enabled on table {table}"))
            .detail(format!("Other policies remain on it: {}.", others.join(", ")))
            .hint("Drop them and run ALTER TABLE … DISABLE ROW LEVEL SECURITY if the table should be open.")
            .send();
    }
}

fn not_enabled(rel: &Rel) {
    notice(format!(
        "table {} is not tenancy-enabled, nothing to do",
        rel.display
    ))
    .send();
}
