//! The policy installer: puts an application table under vital_tenancy's
//! row-level security (`enable_tenancy`), takes it out (`disable_tenancy`),
//! reports whether what it installed is still intact (`tenancy_status`),
//! and guards `DROP EXTENSION` while tables are protected (`uninstall`).
//!
//! `enable_tenancy` runs in the caller's transaction and is all or nothing:
//! it checks everything it can before it changes anything, and any later
//! error aborts the transaction with everything it did. It is idempotent: a
//! second run changes only what is missing or different, and a lock makes
//! concurrent runs queue. Whose rights each step uses:
//!
//! - catalog reads run as the caller (the catalogs are readable by all);
//! - DDL runs as the bootstrap superuser (`as_registry_owner`): the foreign
//!   key to `vital.tenants` needs a privilege table owners do not have. DDL
//!   fires no triggers or rules and evaluates only the installer's own
//!   expressions, so none of the table owner's code runs with those rights;
//! - the backfill, the only DML, runs as the table's owner in a restricted
//!   context (as PostgreSQL runs index builds and VACUUM), so the owner's
//!   triggers, rules and index expressions never run with raised rights.
//!
//! Everything it installs names `vital` objects schema-qualified, and every
//! statement it builds quotes identifiers read from the catalogs.

mod blockers;
mod catalog;
mod check;
mod disable;
mod doctor;
mod hazards;
mod leftovers;
mod objects;
mod openings;
mod preflight;
mod refusals;
mod trigger;
mod uninstall;

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::errors::{error, one_of, required, INVALID_PARAMETER_VALUE};
use crate::ids::from_pg;
use crate::privileged::{as_registry_owner, as_table_owner, calling_role};
use crate::regclass::RegClass;
use crate::registry::tenant_status;
use crate::spi::{self, execute, flag, text};
use crate::vocabulary::{
    Column, CHECKS_OF_0_1_0, COLUMNS, CUSTOM, DEFAULT_SHARING_MODES, PRIVATE, RESOURCE_TYPES,
    SHARING_CHECK,
};

use blockers::{refuse_blocked_rows, Effective};
use catalog::{
    audit_policies, existing_indexes, found_columns, lock_tree, owned_relation, policies_of, Rel,
};
use hazards::{hazards_of, warn_hazards};
use objects::{FoundColumn, FOREIGN_KEY, INDEXES};
use openings::{openings_of, refuse_openings, remove_openings};
use refusals::{
    compatible_columns, refuse_outdated_schema, refuse_partition, refuse_unprotectable,
    single_column_primary_key,
};
use trigger::install_audit_trigger;

/// What `enable_tenancy` is asked to do besides protecting the table.
struct Options<'a> {
    default_owner: pgrx::Uuid,
    default_sharing: &'a str,
    /// The resource type of rows that have none yet.
    default_resource_type: &'a str,
    /// Drop the permissive policies it did not install.
    replace_policies: bool,
    /// Drop foreign keys from tenant_id to other tables than vital.tenants.
    replace_tenant_fk: bool,
}

/// Puts a table under vital_tenancy's row-level security; see the README.
/// (Its symbol is not `enable_tenancy_wrapper`: 0.1.0's three-argument
/// declaration names that one, see [`enable_tenancy_wrapper`].)
#[pg_extern(name = "enable_tenancy", volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn enable_tenancy_with_options(
    table_name: Option<RegClass>,
    default_owner: default!(Option<pgrx::Uuid>, "'00000000-0000-0000-0000-000000000001'"),
    default_sharing: default!(Option<&str>, "'private'"),
    default_resource_type: default!(Option<&str>, "'custom'"),
    replace_policies: default!(Option<bool>, "false"),
    replace_tenant_fk: default!(Option<bool>, "false"),
) {
    let table = required(table_name, "table_name");
    let options = Options::checked(
        default_owner,
        default_sharing,
        default_resource_type,
        replace_policies,
        replace_tenant_fk,
    );
    enable(table, &options)
}

impl<'a> Options<'a> {
    /// The options as SQL passed them (enable_tenancy's and the
    /// preflight's): none NULL (22004), words of the vocabulary (22023).
    fn checked(
        default_owner: Option<pgrx::Uuid>,
        default_sharing: Option<&'a str>,
        default_resource_type: Option<&'a str>,
        replace_policies: Option<bool>,
        replace_tenant_fk: Option<bool>,
    ) -> Options<'a> {
        Options {
            default_owner: required(default_owner, "default_owner"),
            default_sharing: one_of(
                required(default_sharing, "default_sharing"),
                DEFAULT_SHARING_MODES,
                "default_sharing",
            ),
            default_resource_type: one_of(
                required(default_resource_type, "default_resource_type"),
                RESOURCE_TYPES,
                "default_resource_type",
            ),
            replace_policies: required(replace_policies, "replace_policies"),
            replace_tenant_fk: required(replace_tenant_fk, "replace_tenant_fk"),
        }
    }
}

/// The entry point 0.1.0's declaration `vital.enable_tenancy(regclass,
/// uuid, text)` names, until `ALTER EXTENSION … UPDATE` replaces it with
/// the current one: pgrx's wrapper of that one would fail (XX000) to read
/// arguments a three-argument call does not pass. On the old schema it
/// refuses as every installer function does; on a current one (a
/// declaration made by hand) it runs with the new options off.
///
/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo`.
#[pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn enable_tenancy_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    refuse_outdated_schema();
    // SAFETY: per this function's contract; the function manager passes
    // `nargs` arguments: a regclass by value, a uuid and a text by reference.
    let (table, owner, sharing) = unsafe {
        let args = (*fcinfo).args.as_slice((*fcinfo).nargs.max(0) as usize);
        let arg = |i: usize| args.get(i).filter(|a| !a.isnull).map(|a| a.value);
        (
            arg(0).map(|d| RegClass(pg_sys::Oid::from_u32(d.value() as u32))),
            arg(1).and_then(|d| pgrx::Uuid::from_datum(d, false)),
            arg(2).and_then(|d| String::from_datum(d, false)),
        )
    };
    let sharing = required(sharing, "default_sharing");
    let options = Options {
        default_owner: required(owner, "default_owner"),
        default_sharing: one_of(&sharing, DEFAULT_SHARING_MODES, "default_sharing"),
        default_resource_type: CUSTOM,
        replace_policies: false,
        replace_tenant_fk: false,
    };
    enable(required(table, "table_name"), &options);
    pg_sys::Datum::from(0)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_enable_tenancy_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

fn enable(table: RegClass, options: &Options) {
    let Options {
        default_owner,
        default_sharing,
        default_resource_type,
        ..
    } = *options;
    refuse_outdated_schema();
    // Who may, and on what: checked before taking any lock, and again after.
    let rel = owned_relation(table);
    refuse_unprotectable(&rel);
    let (rel, parts) = lock_tree(table);
    refuse_unprotectable(&rel);
    for part in &parts {
        refuse_partition(&rel, part);
    }
    let key = single_column_primary_key(&rel);
    let found = compatible_columns(&rel);
    let openings = openings_of(&rel, &parts);
    refuse_openings(
        &rel,
        &openings,
        options.replace_policies,
        options.replace_tenant_fk,
    );
    if tenant_status(from_pg(default_owner)).is_none() {
        error(
            INVALID_PARAMETER_VALUE,
            format!("tenant {} does not exist", from_pg(default_owner)),
        )
        .detail("default_owner owns the rows that have no owner yet.")
        .hint("Pass the id of an existing tenant; the default is the platform tenant.")
        .raise()
    }
    let effective = Effective::of(
        &found,
        default_owner,
        default_sharing,
        default_resource_type,
    );
    refuse_blocked_rows(&rel, &key, &effective);

    // From here on, changes.
    remove_openings(
        &openings,
        options.replace_policies,
        options.replace_tenant_fk,
    );
    let needs_backfill = add_columns(&rel, &found, options);
    if needs_backfill {
        backfill(&rel, default_owner, default_sharing, default_resource_type);
    }
    let found = found_columns(rel.oid);
    set_not_null_and_defaults(&rel, &found);
    add_constraints(&rel, &parts, &found);
    let created = add_indexes(&rel);
    let mut protected = vec![&rel];
    protected.extend(parts.iter());
    for r in protected {
        protect(r);
    }
    install_audit_trigger(&rel, &parts);
    register(&rel, &key, &created);
    let relids: Vec<pg_sys::Oid> = std::iter::once(&rel).chain(&parts).map(|r| r.oid).collect();
    warn_hazards(&hazards_of(&relids));
}

/// Adds the missing columns. New columns take a constant default where one
/// value is right for every existing row (then PostgreSQL fills them without
/// rewriting the table); the others are added nullable, for the backfill.
/// Returns whether a backfill is needed.
fn add_columns(rel: &Rel, found: &[FoundColumn], options: &Options) -> bool {
    use Column::{IsShared, ResourceType, SharedWith, SharingMode, TenantId};
    let has = |c: Column| found.iter().find(|f| f.column == c);
    let owner = from_pg(options.default_owner);
    let default_sharing = options.default_sharing;
    // Rows without an owner are adopted: default owner, default sharing.
    // With no tenant_id column yet, every row is one.
    let adopt_all = has(TenantId).is_none();
    let sharing_missing = [IsShared, SharingMode, SharedWith]
        .iter()
        .all(|c| has(*c).is_none());
    let owners_known = has(TenantId).is_some_and(|f| f.not_null);
    let mut clauses = Vec::new();
    let mut nullable_added = false;
    for column in COLUMNS {
        if has(column).is_some() {
            continue;
        }
        let constant: Option<String> = match column {
            // (A word of the vocabulary, checked: no quoting needed.)
            ResourceType => Some(format!("'{}'", options.default_resource_type)),
            TenantId => sharing_missing.then(|| format!("'{owner}'::uuid")),
            // Every row is adopted: the default sharing, unless some
            // sharing column already holds values to overwrite row by row.
            _ if adopt_all => sharing_missing.then(|| match column {
                IsShared => (default_sharing != PRIVATE).to_string(),
                SharingMode => format!("'{default_sharing}'"),
                _ => "'{}'".to_string(),
            }),
            // Every row has an owner and nothing says it is shared: private.
            // (is_shared and sharing_mode must agree: one is derived from
            // the other if only one exists.)
            SharedWith if owners_known => Some(column.default_sql().to_string()),
            IsShared | SharingMode
                if owners_known && has(IsShared).is_none() && has(SharingMode).is_none() =>
            {
                Some(column.default_sql().to_string())
            }
            _ => None,
        };
        let name = column.name();
        let sql_type = column.sql_type();
        match constant {
            Some(value) => clauses.push(format!(
                "ADD COLUMN {name} {sql_type} NOT NULL DEFAULT {value}"
            )),
            None => {
                nullable_added = true;
                clauses.push(format!("ADD COLUMN {name} {sql_type}"))
            }
        }
    }
    if !clauses.is_empty() {
        let sql = format!("ALTER TABLE {} {}", rel.qualified, clauses.join(", "));
        as_registry_owner(|| execute(&sql, &[]));
    }
    nullable_added || found.iter().any(|f| !f.not_null)
}

/// Fills what is NULL. Rows without an owner are adopted by the default
/// owner with the default sharing; rows with an owner keep their values,
/// missing sharing reads as private; a missing resource type is the
/// default one.
fn backfill(
    rel: &Rel,
    default_owner: pgrx::Uuid,
    default_sharing: &str,
    default_resource_type: &str,
) {
    let sql = format!(
        "UPDATE {} SET
             tenant_id     = coalesce(tenant_id, $1),
             sharing_mode  = CASE WHEN tenant_id IS NULL THEN $2
                                  ELSE coalesce(sharing_mode, 'private') END,
             is_shared     = CASE WHEN tenant_id IS NULL THEN $2 <> 'private'
                                  WHEN sharing_mode IS NULL THEN false
                                  ELSE coalesce(is_shared, sharing_mode <> 'private') END,
             shared_with   = CASE WHEN tenant_id IS NULL THEN '{{}}'
                                  ELSE coalesce(shared_with, '{{}}') END,
             resource_type = coalesce(resource_type, $3)
         WHERE tenant_id IS NULL OR is_shared IS NULL OR sharing_mode IS NULL
            OR shared_with IS NULL OR resource_type IS NULL",
        rel.qualified
    );
    as_table_owner(rel.owner, || {
        execute(
            &sql,
            &[
                default_owner.into(),
                default_sharing.into(),
                default_resource_type.into(),
            ],
        )
    });
}

fn set_not_null_and_defaults(rel: &Rel, found: &[FoundColumn]) {
    let mut clauses = Vec::new();
    for f in found {
        let name = f.column.name();
        if !f.not_null {
            clauses.push(format!("ALTER COLUMN {name} SET NOT NULL"));
        }
        if f.default_shown.as_deref() != Some(f.column.default_shown(f.varchar()).as_str()) {
            clauses.push(format!(
                "ALTER COLUMN {name} SET DEFAULT {}",
                f.column.default_sql()
            ));
        }
    }
    if !clauses.is_empty() {
        let sql = format!("ALTER TABLE {} {}", rel.qualified, clauses.join(", "));
        as_registry_owner(|| execute(&sql, &[]));
    }
}

/// Adds the CHECK and the foreign key where missing. The CHECK of an earlier
/// version (or one of that name that is not ours as created, or not
/// validated) is replaced: dropped, on the partitions too where they hold
/// copies of their own.
fn add_constraints(rel: &Rel, parts: &[Rel], found: &[FoundColumn]) {
    let existing = spi::run_rows(
        "select conname::text as name, pg_get_constraintdef(oid) as shown, convalidated as valid
           from pg_constraint where conrelid = $1",
        &[rel.oid.into()],
        |row| Ok((text(row, "name")?, text(row, "shown")?, flag(row, "valid")?)),
    );
    let varchar = |column: Column| found.iter().any(|f| f.column == column && f.varchar());
    let expected = check::shown(varchar(Column::SharingMode), varchar(Column::ResourceType));
    let mut clauses: Vec<String> = Vec::new();
    match existing.iter().find(|(name, _, _)| name == SHARING_CHECK) {
        Some((_, shown, valid)) if *shown == expected && *valid => {}
        Some(_) => {
            clauses.push(format!("DROP CONSTRAINT {SHARING_CHECK}"));
            clauses.push(check::add_sql());
        }
        None => clauses.push(check::add_sql()),
    }
    let obsolete: Vec<&str> = CHECKS_OF_0_1_0
        .iter()
        .copied()
        .filter(|old| existing.iter().any(|(name, _, _)| name == old))
        .collect();
    clauses.extend(obsolete.iter().map(|old| format!("DROP CONSTRAINT {old}")));
    let has_foreign_key = spi::run_rows(
        "select exists (
             select from pg_constraint c
              where c.conrelid = $1 and c.contype = 'f'
                and c.confrelid = 'vital.tenants'::regclass
                and c.conkey = (select array[a.attnum] from pg_attribute a
                                 where a.attrelid = $1 and a.attname = $2)
                and c.confkey = (select array[a.attnum] from pg_attribute a
                                  where a.attrelid = 'vital.tenants'::regclass and a.attname = 'id')
         ) as present",
        &[rel.oid.into(), Column::TenantId.name().into()],
        |row| flag(row, "present"),
    )
    .into_iter()
    .any(|present| present);
    if !has_foreign_key && !existing.iter().any(|(name, _, _)| name == FOREIGN_KEY) {
        clauses.push(format!(
            "ADD CONSTRAINT {FOREIGN_KEY} FOREIGN KEY (tenant_id) REFERENCES vital.tenants (id)"
        ));
    }
    if !clauses.is_empty() {
        let sql = format!("ALTER TABLE {} {}", rel.qualified, clauses.join(", "));
        as_registry_owner(|| execute(&sql, &[]));
    }
    // A partition attached with copies of the old CHECKs keeps them (as its
    // own) when the parent's go.
    for part in parts {
        let left: Vec<String> = spi::run_rows(
            "select conname::text as name from pg_constraint
              where conrelid = $1 and contype = 'c' and conname = any($2)",
            &[part.oid.into(), CHECKS_OF_0_1_0.to_vec().into()],
            |row| text(row, "name"),
        );
        if !left.is_empty() {
            let drops: Vec<String> = left
                .iter()
                .map(|name| format!("DROP CONSTRAINT {name}"))
                .collect();
            let sql = format!("ALTER TABLE {} {}", part.qualified, drops.join(", "));
            as_registry_owner(|| execute(&sql, &[]));
        }
    }
}

/// Creates the indexes no existing index serves; returns the names of the
/// ones it made (in the table's schema). On a partitioned table they are
/// partitioned indexes, which PostgreSQL builds (or adopts) on every
/// partition, present and future.
fn add_indexes(rel: &Rel) -> Vec<String> {
    let mut created = Vec::new();
    for index in INDEXES {
        let existing = existing_indexes(rel.oid);
        if existing
            .iter()
            .any(|e| index.served_by(e, rel.mode_is_varchar))
        {
            continue;
        }
        let sql = index.create_sql(&rel.qualified);
        as_registry_owner(|| execute(&sql, &[]));
        created.extend(
            existing_indexes(rel.oid)
                .into_iter()
                .filter(|new| !existing.iter().any(|e| e.oid == new.oid))
                .map(|new| new.name),
        );
    }
    drop_obsolete_indexes(rel);
    created
}

/// Drops the indexes an earlier run of enable_tenancy created that serve no
/// policy any more (the forms of earlier versions, partial on `is_shared`).
/// Indexes the installer did not create are left alone.
fn drop_obsolete_indexes(rel: &Rel) {
    let ours: Vec<String> = spi::run_value::<Vec<String>>(
        "select created_indexes::text[] from vital.tenant_tables where table_name = $1::regclass",
        &[rel.oid.into()],
    )
    .unwrap_or_default();
    let obsolete: Vec<String> = existing_indexes(rel.oid)
        .into_iter()
        .filter(|e| ours.contains(&e.name))
        .filter(|e| !INDEXES.iter().any(|i| i.served_by(e, rel.mode_is_varchar)))
        .map(|e| {
            format!(
                "DROP INDEX {}",
                pgrx::spi::quote_qualified_identifier(&rel.schema, &e.name)
            )
        })
        .collect();
    if !obsolete.is_empty() {
        as_registry_owner(|| {
            for sql in &obsolete {
                execute(sql, &[]);
            }
        });
    }
}

/// Row-level security, enabled and forced, and the four policies, on one
/// table or partition.
fn protect(rel: &Rel) {
    let mut statements = Vec::new();
    if !rel.row_security || !rel.force_row_security {
        statements.push(format!(
            "ALTER TABLE {} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY",
            rel.qualified
        ));
    }
    let audit = audit_policies(rel, &policies_of(rel.oid, true));
    for policy in &audit.changed {
        statements.push(format!(
            "DROP POLICY {} ON {}",
            policy.name(),
            rel.qualified
        ));
    }
    for policy in &audit.wrong {
        statements.push(policy.create_sql(&rel.qualified));
    }
    if !statements.is_empty() {
        as_registry_owner(|| {
            for sql in &statements {
                execute(sql, &[]);
            }
        });
    }
}

/// Records the table, with the indexes this run and earlier ones created
/// (by name: a dump restores the registry before it builds the indexes).
fn register(rel: &Rel, key: &str, created: &[String]) {
    let caller = calling_role();
    let mut created = created.to_vec();
    created.sort();
    as_registry_owner(|| {
        execute(
            "insert into vital.tenant_tables as t (table_name, primary_key, created_indexes, enabled_by)
             values ($1::regclass, $2::name, $3::name[], pg_get_userbyid($4))
             on conflict (table_name) do update
                set primary_key = excluded.primary_key,
                    created_indexes = array(
                        select distinct n from unnest(t.created_indexes || excluded.created_indexes) n
                         where exists (select from pg_index i join pg_class c on c.oid = i.indexrelid
                                        where i.indrelid = t.table_name and c.relname = n)
                         order by n)",
            &[
                rel.oid.into(),
                key.into(),
                created.into(),
                caller.into(),
            ],
        )
    });
}
