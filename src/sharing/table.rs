//! The registered table a sharing call acts on, and the statements it runs
//! on it, all as the caller.
//!
//! Names come from the catalogs, quoted there (`format('%I.%I')`); values are
//! always `$n` parameters. Reads of the catalogs and of `vital.tenant_tables`
//! need no raised rights: both are readable by everyone.

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::{self, Oid};
use uuid::Uuid;

use crate::errors::{error, DATATYPE_MISMATCH, NO_DATA_FOUND, OBJECT_NOT_IN_PREREQUISITE_STATE};
use crate::ids::{from_pg, to_pg};
use crate::regclass::RegClass;
use crate::spi::{self, Row};
use crate::vocabulary::{column_names, Column};

/// Runs one statement (any kind) as the caller and maps its rows.
pub(super) fn run<T>(
    sql: &str,
    args: &[DatumWithOid],
    f: impl Fn(&Row) -> pgrx::spi::Result<T>,
) -> Vec<T> {
    spi::run_rows(sql, args, f)
}

/// A table registered with `vital.enable_tenancy`, with a uuid primary key.
pub(super) struct Table {
    pub(super) oid: Oid,
    /// For messages: regclass output (schema-qualified outside pg_catalog, quoted where needed).
    pub(super) display: String,
    /// For statements: schema-qualified and quoted.
    pub(super) qualified: String,
    /// The primary key column, quoted.
    pub(super) key: String,
    /// Whether the key column has a default (or is generated).
    pub(super) key_has_default: bool,
}

/// The registered table behind `table`, or a refusal: 55000 when it is not
/// registered, 42804 when its primary key is not a uuid.
pub(super) fn registered(table: RegClass) -> Table {
    let found = run(
        "select c.oid::regclass::text as display,
                format('%I.%I', n.nspname, c.relname) as qualified,
                format('%I', a.attname) as key, a.attname::text as key_name,
                a.atttypid as key_type, format_type(a.atttypid, a.atttypmod) as key_type_name,
                a.atthasdef as key_has_default
           from vital.tenant_tables t
           join pg_class c on c.oid = t.table_name
           join pg_namespace n on n.oid = c.relnamespace
           join pg_attribute a on a.attrelid = c.oid and a.attname = t.primary_key
                              and a.attnum > 0 and not a.attisdropped
          where t.table_name = $1",
        &[table.0.into()],
        |row| {
            Ok((
                row.get_by_name::<String, _>("display")?.unwrap_or_default(),
                row.get_by_name::<String, _>("qualified")?
                    .unwrap_or_default(),
                row.get_by_name::<String, _>("key")?.unwrap_or_default(),
                row.get_by_name::<String, _>("key_name")?
                    .unwrap_or_default(),
                row.get_by_name::<Oid, _>("key_type")?
                    .unwrap_or(pg_sys::InvalidOid),
                row.get_by_name::<String, _>("key_type_name")?
                    .unwrap_or_default(),
                row.get_by_name::<bool, _>("key_has_default")?
                    .unwrap_or(false),
            ))
        },
    );
    let Some((display, qualified, key, key_name, key_type, key_type_name, key_has_default)) =
        found.into_iter().next()
    else {
        let name = run(
            "select coalesce((select c.oid::regclass::text from pg_class c where c.oid = $1),
                             $1::oid::text) as name",
            &[table.0.into()],
            |row| Ok(row.get_by_name::<String, _>("name")?.unwrap_or_default()),
        )
        .into_iter()
        .next()
        .unwrap_or_default();
        error(
            OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("table {name} is not under vital_tenancy"),
        )
        .detail("The sharing functions act only on tables registered in vital.tenant_tables.")
        .hint(format!(
            "Run vital.enable_tenancy('{}') first.",
            name.replace('\'', "''")
        ))
        .raise()
    };
    if key_type != pg_sys::UUIDOID {
        error(
            DATATYPE_MISMATCH,
            format!("primary key of table {display} is not of type uuid"),
        )
        .detail(format!(
            "Column {key_name} is of type {key_type_name}; the sharing functions name resources by a uuid primary key."
        ))
        .hint("Change the sharing columns of this table's rows with UPDATE statements, or give the table a uuid primary key.")
        .raise()
    }
    Table {
        oid: table.0,
        display,
        qualified,
        key,
        key_has_default,
    }
}

/// The columns of a row's owner and sharing state, in `RowSharing` order.
const SHARING: [&str; 4] = [
    Column::TenantId.name(),
    Column::IsShared.name(),
    Column::SharingMode.name(),
    Column::SharedWith.name(),
];

/// A row's owner and sharing state, as stored.
pub(super) struct RowSharing {
    pub(super) owner: Option<Uuid>,
    pub(super) is_shared: bool,
    pub(super) mode: String,
    pub(super) shared_with: Vec<Uuid>,
}

/// The same answer for a row that does not exist and one the caller may not
/// see or change, so that nothing is learned about other tenants' rows.
pub(super) fn not_found(table: &Table, id: Uuid, action: &str) -> ! {
    error(
        NO_DATA_FOUND,
        format!("resource {id} not found in table {}", table.display),
    )
    .detail(format!(
        "No row with this key exists that the current context may {action}."
    ))
    .raise()
}

impl Table {
    /// Locks the row for the rest of the transaction and reads its sharing
    /// state, as the caller: `FOR UPDATE` applies the UPDATE policy as well
    /// as the SELECT policy, so only a row the caller may change is found.
    /// Any other row, and a missing one, is P0002.
    pub(super) fn lock_row(&self, id: Uuid, action: &str) -> RowSharing {
        let [owner, shared, mode, with] = SHARING;
        let sql = format!(
            "SELECT {owner}, {shared}, {mode}::text AS {mode}, {with}
               FROM {} WHERE {} = $1 FOR UPDATE",
            self.qualified, self.key
        );
        let rows = run(&sql, &[to_pg(id).into()], |row| {
            Ok(RowSharing {
                owner: row
                    .get_by_name::<pgrx::Uuid, _>(Column::TenantId.name())?
                    .map(from_pg),
                is_shared: spi::flag(row, Column::IsShared.name())?,
                mode: spi::text(row, Column::SharingMode.name())?,
                shared_with: row
                    .get_by_name::<Vec<Option<pgrx::Uuid>>, _>(Column::SharedWith.name())?
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                    .map(from_pg)
                    .collect(),
            })
        });
        match rows.into_iter().next() {
            Some(row) => row,
            None => not_found(self, id, action),
        }
    }

    /// Writes a row's owner and sharing state, as the caller.
    pub(super) fn write_row(&self, id: Uuid, owner: Uuid, sharing: &RowSharing, action: &str) {
        let [owner_column, shared, mode, with] = SHARING;
        let sql = format!(
            "UPDATE {} SET {owner_column} = $2, {shared} = $3, {mode} = $4, {with} = $5
              WHERE {} = $1 RETURNING true AS changed",
            self.qualified, self.key
        );
        let list: Vec<pgrx::Uuid> = sharing.shared_with.iter().copied().map(to_pg).collect();
        let changed = run(
            &sql,
            &[
                to_pg(id).into(),
                to_pg(owner).into(),
                sharing.is_shared.into(),
                sharing.mode.as_str().into(),
                list.into(),
            ],
            |_| Ok(()),
        );
        // The row is locked, so it is still there; but never report success for nothing.
        if changed.is_empty() {
            not_found(self, id, action)
        }
    }

    /// The columns a clone copies as they are: all but the key, the tenancy
    /// columns, generated columns and identity columns (which make their own
    /// values). Quoted.
    pub(super) fn copied_columns(&self) -> Vec<String> {
        run(
            "select format('%I', a.attname) as name
               from pg_attribute a
               join vital.tenant_tables t on t.table_name = a.attrelid
              where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
                and a.attgenerated = '' and a.attidentity = ''
                and a.attname <> t.primary_key
                and a.attname <> all ($2)
              order by a.attnum",
            &[self.oid.into(), column_names().into()],
            |row| Ok(row.get_by_name::<String, _>("name")?.unwrap_or_default()),
        )
    }
}
