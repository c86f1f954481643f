//! What the row trigger needs to know about a relation (a table or a leaf
//! partition), looked up once per backend and forgotten on every relcache
//! or schema invalidation.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::CStr;
use std::num::NonZeroUsize;
use std::rc::Rc;

use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::prelude::*;
use pgrx::PgTupleDesc;

use crate::errors::{error, OBJECT_NOT_IN_PREREQUISITE_STATE};
use crate::privileged::as_registry_owner;
use crate::spi;
use crate::vocabulary::{fires_sql, AuditTrigger, COLUMNS};

pub(crate) struct Layout {
    /// Attribute numbers of the sharing columns, in `COLUMNS` order.
    pub(super) columns: [NonZeroUsize; 5],
    pub(super) key: NonZeroUsize,
    pub(super) key_type: Oid,
    pub(super) key_output: Oid,
    /// The registered root table (for a partition, the partitioned table
    /// enable_tenancy protected), schema-qualified and quoted.
    pub(super) table_name: Rc<str>,
    /// Whether this relation and every ancestor (any of which a statement
    /// reaching this relation's rows can have targeted) have our flush
    /// trigger, firing: only then may the row trigger leave its record for
    /// the statement's flush. Otherwise (say, a partition attached after
    /// enable_tenancy, written directly) it writes the record at once.
    pub(super) flushed_by_statement: bool,
}

thread_local! {
    static LAYOUTS: RefCell<HashMap<Oid, Rc<Layout>>> = RefCell::new(HashMap::new());
    /// The last relation's layout, skipping the hash lookup for a
    /// statement's rows after the first.
    static LAST_LAYOUT: RefCell<Option<(Oid, Rc<Layout>)>> = const { RefCell::new(None) };
    /// Set when an invalidation arrived while the cache was borrowed.
    static CLEAR_PENDING: Cell<bool> = const { Cell::new(false) };
}

fn forget_layouts() {
    LAYOUTS.with(|cache| match cache.try_borrow_mut() {
        Ok(mut cache) => cache.clear(),
        Err(_) => CLEAR_PENDING.set(true),
    });
    LAST_LAYOUT.with(|last| match last.try_borrow_mut() {
        Ok(mut last) => *last = None,
        Err(_) => CLEAR_PENDING.set(true),
    });
}

/// Relcache callback (registered in `_PG_init`). Any invalidation clears
/// the whole cache: a partition's entry holds its root's name, and renaming
/// the root invalidates only the root.
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn relation_changed(_arg: Datum, _relid: Oid) {
    forget_layouts();
}

/// Syscache callback on schemas (registered in `_PG_init`): renaming a
/// schema sends no relcache invalidation for its tables.
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn schema_changed(_arg: Datum, _cache_id: i32, _hash: u32) {
    forget_layouts();
}

pub(super) fn layout_of(rel: pg_sys::Relation) -> Rc<Layout> {
    if CLEAR_PENDING.replace(false) {
        forget_layouts();
    }
    // SAFETY: the trigger's relation is open and locked for the statement.
    let relid = unsafe { (*rel).rd_id };
    if let Some(found) = LAST_LAYOUT.with_borrow(|last| {
        last.as_ref()
            .filter(|(id, _)| *id == relid)
            .map(|(_, layout)| layout.clone())
    }) {
        return found;
    }
    if let Some(found) = LAYOUTS.with_borrow(|cache| cache.get(&relid).cloned()) {
        LAST_LAYOUT.set(Some((relid, found.clone())));
        return found;
    }
    // Built without holding the borrow: building runs queries, and an
    // invalidation may arrive meanwhile.
    let layout = Rc::new(build_layout(rel));
    LAYOUTS.with_borrow_mut(|cache| cache.insert(relid, layout.clone()));
    LAST_LAYOUT.set(Some((relid, layout.clone())));
    layout
}

fn build_layout(rel: pg_sys::Relation) -> Layout {
    // SAFETY: the relation is open and locked; its descriptor lives as long.
    let (relid, tupdesc) = unsafe { ((*rel).rd_id, PgTupleDesc::from_pg_unchecked((*rel).rd_att)) };
    let display = relation_display(relid);
    let Some(table_name) = registered_root(relid) else {
        error(
            OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("table {display} is not under vital_tenancy"),
        )
        .detail("vital.audit_sharing() records sharing changes only of tables protected with vital.enable_tenancy() and their partitions.")
        .hint("Drop this trigger, and protect the table with vital.enable_tenancy(), which installs the audit triggers.")
        .raise()
    };
    let mut columns = [NonZeroUsize::MIN; 5];
    for (slot, column) in columns.iter_mut().zip(COLUMNS) {
        let found = tupdesc.iter().find(|a| {
            !a.is_dropped() && a.name() == column.name() && column.type_oids().contains(&a.atttypid)
        });
        let Some(attribute) = found else {
            error(
                OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "table {display} has no sharing column \"{}\" of a suitable type",
                    column.name()
                ),
            )
            .detail("vital.audit_sharing() records the sharing columns tenant_id, is_shared, sharing_mode, shared_with and resource_type.")
            .hint("Put the table under vital_tenancy with vital.enable_tenancy(), which adds the columns and the trigger.")
            .raise()
        };
        *slot =
            NonZeroUsize::new(attribute.attnum as usize).expect("user columns are numbered from 1");
    }
    let key = primary_key_column(rel, &display);
    let key_type = tupdesc
        .get(key.get() - 1)
        .map(|a| a.atttypid)
        .unwrap_or(pg_sys::InvalidOid);
    let mut key_output = pg_sys::InvalidOid;
    let mut varlena = false;
    // SAFETY: a type cache lookup for the key column's (existing) type.
    unsafe { pg_sys::getTypeOutputInfo(key_type, &mut key_output, &mut varlena) };
    Layout {
        columns,
        key,
        key_type,
        key_output,
        table_name,
        flushed_by_statement: flushed_by_statement(relid),
    }
}

/// The primary key's value as text, as its type's output function gives
/// it: written here for the usual key types (uuid, integers, text), through
/// the output function for the others.
///
/// # Safety
/// `datum` is a non-null value of the layout's key type.
pub(super) unsafe fn key_text(datum: Datum, layout: &Layout) -> String {
    // SAFETY: per this function's contract: a uuid points to its 16 bytes,
    // integers are by value, text and varchar are varlenas.
    unsafe {
        match layout.key_type {
            pg_sys::UUIDOID => {
                let bytes = std::slice::from_raw_parts(datum.cast_mut_ptr::<u8>(), 16);
                let bytes: [u8; 16] = bytes.try_into().expect("16 bytes");
                uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
            }
            pg_sys::INT2OID => (datum.value() as i16).to_string(),
            pg_sys::INT4OID => (datum.value() as i32).to_string(),
            pg_sys::INT8OID => (datum.value() as i64).to_string(),
            _ => {
                let shown = pg_sys::OidOutputFunctionCall(layout.key_output, datum);
                CStr::from_ptr(shown).to_string_lossy().into_owned()
            }
        }
    }
}

/// See `Layout::flushed_by_statement`. A trigger firing only for replicas
/// does not count: there the row trigger never buffers.
fn flushed_by_statement(relid: Oid) -> bool {
    let sql = format!(
        "with recursive chain(relid) as (
             select $1::pg_catalog.oid
             union
             select i.inhparent from pg_catalog.pg_inherits i join chain c on i.inhrelid = c.relid)
         select pg_catalog.bool_and(exists(
                    select from pg_catalog.pg_trigger t
                     where t.tgrelid = chain.relid and {ours} and {fires}))
           from chain",
        ours = AuditTrigger::Flush.is_ours_sql("t"),
        fires = fires_sql("t"),
    );
    as_registry_owner(|| spi::select_value::<bool>(&sql, &[relid.into()])).unwrap_or(false)
}

/// The primary key's column, from the relcache (no catalog query).
fn primary_key_column(rel: pg_sys::Relation, display: &str) -> NonZeroUsize {
    // SAFETY: the relation is open; the relcache computes its index list on
    // demand. The primary key index is opened only to read its pg_index
    // row (the executor holds a lock on it for the statement) and closed.
    let column = unsafe {
        let index_oid = primary_key_index(rel);
        if index_oid == pg_sys::InvalidOid {
            None
        } else {
            let index = pg_sys::RelationIdGetRelation(index_oid);
            let column = if index.is_null() || (*index).rd_index.is_null() {
                None
            } else {
                let form = &*(*index).rd_index;
                let keys = form.indkey.values.as_slice(form.indnatts as usize);
                (form.indnkeyatts == 1).then(|| keys[0])
            };
            if !index.is_null() {
                pg_sys::RelationClose(index);
            }
            column
        }
    };
    match column.and_then(|c| NonZeroUsize::new(c.max(0) as usize)) {
        Some(column) => column,
        None => error(
            OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("table {display} has no single-column primary key"),
        )
        .detail("The sharing audit trail identifies each resource by its primary key.")
        .hint("Add a single-column primary key, or drop the audit triggers with vital.disable_tenancy().")
        .raise(),
    }
}

/// # Safety
/// `rel` is an open relation.
unsafe fn primary_key_index(rel: pg_sys::Relation) -> Oid {
    // SAFETY: per this function's contract. Since PostgreSQL 18 the call
    // says whether a deferrable key counts; a primary key is what we need
    // either way.
    unsafe {
        #[cfg(feature = "pg18")]
        {
            pg_sys::RelationGetPrimaryKeyIndex(rel, true)
        }
        #[cfg(not(feature = "pg18"))]
        {
            pg_sys::RelationGetPrimaryKeyIndex(rel)
        }
    }
}

fn relation_display(relid: Oid) -> String {
    as_registry_owner(|| {
        spi::select_value::<String>(
            "select $1::pg_catalog.regclass::pg_catalog.text",
            &[relid.into()],
        )
    })
    .unwrap_or_else(|| format!("with OID {}", relid.to_u32()))
}

/// The name recorded for rows of `relid`: the topmost ancestor registered in
/// vital.tenant_tables (a partition's rows are recorded under the table
/// enable_tenancy protected, so one query gives a resource's history), or
/// None when neither the relation nor any ancestor is registered.
fn registered_root(relid: Oid) -> Option<Rc<str>> {
    as_registry_owner(|| {
        spi::select_value::<String>(
            // pg_partition_ancestors lists nothing for a plain table.
            "select pg_catalog.format('%I.%I', n.nspname, c.relname)
               from (select $1::pg_catalog.regclass, 0::pg_catalog.int8
                     union all
                     select * from pg_catalog.pg_partition_ancestors($1::pg_catalog.regclass) with ordinality)
                    as a (relid, depth)
               join pg_catalog.pg_class c on c.oid = a.relid
               join pg_catalog.pg_namespace n on n.oid = c.relnamespace
               join vital.tenant_tables t on t.table_name = a.relid
              order by a.depth desc
              limit 1",
            &[relid.into()],
        )
    })
    .map(Rc::from)
}
