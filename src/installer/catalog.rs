//! What the installer reads from the catalogs.

use pgrx::pg_sys::{self, Oid};

use crate::errors::{error, INSUFFICIENT_PRIVILEGE, UNDEFINED_TABLE};
use crate::privileged::{caller_is_superuser, calling_role};
use crate::regclass::RegClass;
use crate::spi::{self, flag, oid, text, Row};
use crate::vocabulary::{column_names, Column, COLUMNS};

use super::objects::{ExistingIndex, FoundColumn, Policy, POLICIES};

/// Reads rows with a fresh snapshot (see `spi`), or with the statement's
/// (for the STABLE status report).
fn read<T>(
    sql: &str,
    args: &[pgrx::datum::DatumWithOid],
    fresh: bool,
    f: impl Fn(&Row) -> pgrx::spi::Result<T>,
) -> Vec<T> {
    if fresh {
        spi::run_rows(sql, args, f)
    } else {
        spi::select_rows(sql, args, f)
    }
}

/// A relation as the installer sees it.
pub(super) struct Rel {
    pub(super) oid: Oid,
    /// The name for messages (regclass output: schema-qualified, quoted where needed).
    pub(super) display: String,
    /// The name for statements: always schema-qualified and quoted.
    pub(super) qualified: String,
    /// `pg_class.relname`, unquoted.
    pub(super) name: String,
    pub(super) schema: String,
    pub(super) kind: String,
    pub(super) persistence: String,
    pub(super) in_my_temp_schema: bool,
    pub(super) is_partition: bool,
    pub(super) partition_root: String,
    pub(super) inherits: bool,
    pub(super) has_children: bool,
    pub(super) row_security: bool,
    pub(super) force_row_security: bool,
    pub(super) owner: Oid,
    pub(super) caller_owns: bool,
    pub(super) mode_is_varchar: bool,
}

/// The relation columns; `$1` is the calling role. Run with search_path
/// pinned, so regclass output is schema-qualified outside pg_catalog.
pub(super) const REL_COLUMNS: &str = "
    select c.oid, c.oid::regclass::text as display,
           format('%I.%I', n.nspname, c.relname) as qualified, c.relname::text as name,
           n.nspname::text as schema, c.relkind::text as kind,
           c.relpersistence::text as persistence,
           c.relnamespace = pg_my_temp_schema() as in_my_temp_schema,
           c.relispartition as is_partition,
           coalesce(pg_partition_root(c.oid)::text, '') as partition_root,
           exists (select from pg_inherits i where i.inhrelid = c.oid) as inherits,
           exists (select from pg_inherits i where i.inhparent = c.oid) as has_children,
           c.relrowsecurity as row_security, c.relforcerowsecurity as force_row_security,
           c.relowner as owner, pg_has_role($1, c.relowner, 'USAGE') as caller_owns,
           coalesce((select a.atttypid = 'pg_catalog.varchar'::pg_catalog.regtype
                       from pg_attribute a
                      where a.attrelid = c.oid and a.attname = 'sharing_mode'
                        and not a.attisdropped), false) as mode_is_varchar
      from pg_class c join pg_namespace n on n.oid = c.relnamespace";

pub(super) fn rel_from_row(row: &Row) -> pgrx::spi::Result<Rel> {
    Ok(Rel {
        oid: oid(row, "oid")?,
        display: text(row, "display")?,
        qualified: text(row, "qualified")?,
        name: text(row, "name")?,
        schema: text(row, "schema")?,
        kind: text(row, "kind")?,
        persistence: text(row, "persistence")?,
        in_my_temp_schema: flag(row, "in_my_temp_schema")?,
        is_partition: flag(row, "is_partition")?,
        partition_root: text(row, "partition_root")?,
        inherits: flag(row, "inherits")?,
        has_children: flag(row, "has_children")?,
        row_security: flag(row, "row_security")?,
        force_row_security: flag(row, "force_row_security")?,
        owner: oid(row, "owner")?,
        caller_owns: flag(row, "caller_owns")?,
        mode_is_varchar: flag(row, "mode_is_varchar")?,
    })
}

pub(super) fn relation(relid: Oid) -> Option<Rel> {
    spi::run_rows(
        &format!("{REL_COLUMNS} where c.oid = $2"),
        &[calling_role().into(), relid.into()],
        rel_from_row,
    )
    .into_iter()
    .next()
}

/// Every partition (and sub-partition) below a table, in oid order.
pub(super) fn descendants(relid: Oid, fresh: bool) -> Vec<Rel> {
    let sql = format!(
        "with recursive tree(relid) as (
             select inhrelid from pg_inherits where inhparent = $2
             union
             select i.inhrelid from pg_inherits i join tree t on i.inhparent = t.relid)
         {REL_COLUMNS} join tree on tree.relid = c.oid order by c.oid"
    );
    read(
        &sql,
        &[calling_role().into(), relid.into()],
        fresh,
        rel_from_row,
    )
}

/// The relation named by `table`, which the caller must own (or be a superuser).
pub(super) fn owned_relation(table: RegClass) -> Rel {
    let rel = relation(table.0).unwrap_or_else(|| {
        error(
            UNDEFINED_TABLE,
            format!("relation with OID {} does not exist", table.0.to_u32()),
        )
        .raise()
    });
    require_owner(&rel);
    rel
}

pub(super) fn require_owner(rel: &Rel) {
    if !(rel.caller_owns || caller_is_superuser()) {
        error(
            INSUFFICIENT_PRIVILEGE,
            format!("must be owner of table {}", rel.display),
        )
        .hint("Only the table's owner (or a member of the owning role) and superusers may change its row-level security.")
        .raise()
    }
}

/// Waits for (and keeps until the end of the transaction) a lock that lets
/// readers and nothing else in, and that a second installer run also waits
/// for. The DDL that follows upgrades it where it needs to.
pub(super) fn lock(relid: Oid) {
    // SAFETY: a plain lock request on an oid; PostgreSQL releases it at
    // transaction end, or raises (deadlock, lock timeout, cancel).
    unsafe { pg_sys::LockRelationOid(relid, pg_sys::ShareRowExclusiveLock as pg_sys::LOCKMODE) };
}

/// Locks a table and every partition below it, and reads them afresh
/// (something may have changed while we waited). Partitions cannot be
/// attached or detached while the parent is locked so.
pub(super) fn lock_tree(table: RegClass) -> (Rel, Vec<Rel>) {
    lock(table.0);
    let rel = owned_relation(table);
    for part in descendants(rel.oid, true) {
        lock(part.oid);
    }
    let parts = descendants(rel.oid, true);
    (rel, parts)
}

pub(super) fn found_columns(relid: Oid) -> Vec<FoundColumn> {
    spi::run_rows(
        "select a.attname::text as name, a.atttypid, a.atttypmod,
                format_type(a.atttypid, a.atttypmod) as type_name,
                a.attnotnull, a.attgenerated <> '' as generated,
                pg_get_expr(d.adbin, d.adrelid) as default_shown
           from pg_attribute a
           left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
          where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
            and a.attname = any ($2)",
        &[relid.into(), column_names().into()],
        |row| {
            let name = text(row, "name")?;
            let Some(column) = COLUMNS.into_iter().find(|c: &Column| c.name() == name) else {
                return Ok(None);
            };
            Ok(Some(FoundColumn {
                column,
                type_oid: oid(row, "atttypid")?,
                typmod: row.get_by_name::<i32, _>("atttypmod")?.unwrap_or(-1),
                type_name: text(row, "type_name")?,
                not_null: flag(row, "attnotnull")?,
                generated: flag(row, "generated")?,
                default_shown: row.get_by_name::<String, _>("default_shown")?,
            }))
        },
    )
    .into_iter()
    .flatten()
    .collect()
}

pub(super) fn primary_key(relid: Oid) -> Vec<String> {
    spi::run_rows(
        "select a.attname::text as name
           from pg_index i
           join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
          where i.indrelid = $1 and i.indisprimary
          order by array_position(i.indkey::int2[], a.attnum)",
        &[relid.into()],
        |row| text(row, "name"),
    )
}

pub(super) fn existing_indexes(relid: Oid) -> Vec<ExistingIndex> {
    spi::run_rows(
        "select i.indexrelid, ic.relname::text as name, am.amname::text as method, i.indnatts::int4 as columns,
                a.attname::text as first_column, pg_get_expr(i.indpred, i.indrelid) as predicate,
                i.indisvalid and i.indisready as valid, coalesce(opc.opcdefault, false) as default_opclass
           from pg_index i
           join pg_class ic on ic.oid = i.indexrelid
           join pg_am am on am.oid = ic.relam
           left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0] and i.indkey[0] <> 0
           left join pg_opclass opc on opc.oid = i.indclass[0]
          where i.indrelid = $1
          order by i.indexrelid",
        &[relid.into()],
        |row| {
            Ok(ExistingIndex {
                oid: oid(row, "indexrelid")?,
                name: text(row, "name")?,
                method: text(row, "method")?,
                columns: row.get_by_name::<i32, _>("columns")?.unwrap_or(0),
                first_column: row.get_by_name::<String, _>("first_column")?,
                predicate: row.get_by_name::<String, _>("predicate")?,
                valid: flag(row, "valid")?,
                default_opclass: flag(row, "default_opclass")?,
            })
        },
    )
}

pub(super) struct ExistingPolicy {
    pub(super) name: String,
    pub(super) polcmd: String,
    pub(super) permissive: bool,
    pub(super) to_public: bool,
    pub(super) qual: Option<String>,
    pub(super) with_check: Option<String>,
}

pub(super) fn policies_of(relid: Oid, fresh: bool) -> Vec<ExistingPolicy> {
    let sql = "select p.polname::text as name, p.polcmd::text as polcmd, p.polpermissive,
                      p.polroles = '{0}'::oid[] as to_public,
                      pg_get_expr(p.polqual, p.polrelid) as qual,
                      pg_get_expr(p.polwithcheck, p.polrelid) as with_check
                 from pg_policy p where p.polrelid = $1 order by p.polname";
    let map = |row: &Row| {
        Ok(ExistingPolicy {
            name: text(row, "name")?,
            polcmd: text(row, "polcmd")?,
            permissive: flag(row, "polpermissive")?,
            to_public: flag(row, "to_public")?,
            qual: row.get_by_name::<String, _>("qual")?,
            with_check: row.get_by_name::<String, _>("with_check")?,
        })
    };
    read(sql, &[relid.into()], fresh, map)
}

/// How a relation's policies compare with what the installer puts there.
pub(super) struct PolicyAudit {
    /// Ours, missing or different from what we install.
    pub(super) wrong: Vec<Policy>,
    /// Ours by name but different (to drop before recreating).
    pub(super) changed: Vec<Policy>,
    /// Everyone else's, by name.
    pub(super) extra: Vec<String>,
    /// Everyone else's permissive ones: they widen what tenants see.
    pub(super) extra_permissive: Vec<String>,
}

pub(super) fn audit_policies(rel: &Rel, existing: &[ExistingPolicy]) -> PolicyAudit {
    let mut audit = PolicyAudit {
        wrong: Vec::new(),
        changed: Vec::new(),
        extra: Vec::new(),
        extra_permissive: Vec::new(),
    };
    for policy in POLICIES {
        let (qual, with_check) = policy.shown(rel.mode_is_varchar);
        match existing.iter().find(|p| p.name == policy.name()) {
            None => audit.wrong.push(policy),
            Some(p) => {
                let same = p.polcmd == policy.polcmd()
                    && p.permissive
                    && p.to_public
                    && p.qual == qual
                    && p.with_check == with_check;
                if !same {
                    audit.wrong.push(policy);
                    audit.changed.push(policy);
                }
            }
        }
    }
    for p in existing.iter().filter(|p| !Policy::is_ours(&p.name)) {
        audit.extra.push(p.name.clone());
        if p.permissive {
            audit.extra_permissive.push(p.name.clone());
        }
    }
    audit
}

/// An identifier read from the catalogs, quoted for a statement.
pub(super) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
