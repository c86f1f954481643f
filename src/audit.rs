//! The sharing audit trail: one row in `vital.resource_sharing_audit` for
//! every change of who may see a resource, written by the row trigger
//! `vital.audit_sharing()` in the transaction that makes the change (a
//! rollback takes the row with it; a row that cannot be written fails the
//! change). The table, its policy and its append-only guard are in
//! `sql/audit.sql`; installing the trigger is the installer's job.
//!
//! The trigger fires for every row, so its hot path does no catalog query
//! and parses no SQL: per-relation facts (sharing column numbers, primary
//! key column, the registered root table's name, whether a flush trigger
//! covers the relation) live in a backend cache cleared on every relcache
//! or schema invalidation. The row trigger only computes the record and
//! buffers it in backend memory, tagged with its subtransaction; the same
//! function fired AFTER … FOR EACH STATEMENT writes the statement's records
//! in one INSERT … SELECT FROM unnest(…) through an SPI plan prepared once
//! per backend and kept. Subtransaction and transaction callbacks drop the
//! records of what rolls back, and a commit with records left unwritten
//! fails instead of losing them.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::num::NonZeroUsize;
use std::rc::Rc;

use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::prelude::*;
use pgrx::{PgSqlErrorCode, PgTupleDesc};
use uuid::Uuid;

use crate::access::admin_bypass;
use crate::context::{current_tenant, current_user, to_pg};
use crate::errors::{error, INSUFFICIENT_PRIVILEGE};
use crate::privileged::{as_registry_owner, caller_is_superuser, calling_role};

use PgSqlErrorCode::{
    ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED as TRIGGER_PROTOCOL_VIOLATED,
    ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE as OBJECT_NOT_IN_PREREQUISITE_STATE,
};

/// The name `enable_tenancy` gives the row trigger on every protected table.
pub(crate) const TRIGGER_NAME: &str = "vital_tenancy_audit";
/// The name of its companion statement trigger, which writes the buffered
/// records (on every protected table and on each of its partitions).
pub(crate) const FLUSH_TRIGGER_NAME: &str = "vital_tenancy_audit_flush";

/// What a change did to a resource's sharing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    CreateShared,
    Share,
    Unshare,
    ChangeSharing,
    Transfer,
    DeleteShared,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::CreateShared => "create_shared",
            Action::Share => "share",
            Action::Unshare => "unshare",
            Action::ChangeSharing => "change_sharing",
            Action::Transfer => "transfer",
            Action::DeleteShared => "delete_shared",
        }
    }
}

/// The sharing columns, in the order of the recorded state.
const SHARING_COLUMNS: [(&str, &[Oid]); 5] = [
    ("tenant_id", &[pg_sys::UUIDOID]),
    ("is_shared", &[pg_sys::BOOLOID]),
    ("sharing_mode", &[pg_sys::TEXTOID, pg_sys::VARCHAROID]),
    ("shared_with", &[pg_sys::UUIDARRAYOID]),
    ("resource_type", &[pg_sys::TEXTOID, pg_sys::VARCHAROID]),
];

/// The sharing state of one row version, as far as deciding the action needs.
#[derive(PartialEq, Eq, Debug)]
struct Sharing {
    owner: Option<Uuid>,
    shared: bool,
    mode: Option<String>,
    /// Sorted and without repeats: the list is compared as a set.
    with: Option<Vec<Option<Uuid>>>,
}

/// The action a change records, if any. An owner change is a transfer
/// whatever else changed with it. While a row stays private its list and
/// mode do not matter (nobody else sees it), so they record nothing.
/// `resource_type` is recorded in the states but never decides an action on
/// its own: it does not change who may read or change the row, and the
/// trail answers exactly that question; the type a resource had at each
/// sharing event is still in the row's states.
fn classify(old: Option<&Sharing>, new: Option<&Sharing>) -> Option<Action> {
    match (old, new) {
        (None, Some(new)) => new.shared.then_some(Action::CreateShared),
        (Some(old), None) => old.shared.then_some(Action::DeleteShared),
        (Some(old), Some(new)) => {
            if old.owner != new.owner {
                Some(Action::Transfer)
            } else if !old.shared && new.shared {
                Some(Action::Share)
            } else if old.shared && !new.shared {
                Some(Action::Unshare)
            } else if old.shared && (old.mode != new.mode || old.with != new.with) {
                Some(Action::ChangeSharing)
            } else {
                None
            }
        }
        (None, None) => None,
    }
}

/// What the trigger needs to know about one relation (a table or a leaf
/// partition), looked up once per backend.
struct Layout {
    /// Attribute numbers of SHARING_COLUMNS, in that order.
    columns: [NonZeroUsize; 5],
    key: NonZeroUsize,
    key_output: Oid,
    /// The registered root table (for a partition, the partitioned table
    /// enable_tenancy protected), schema-qualified and quoted.
    table_name: Rc<str>,
    /// Whether this relation and every ancestor (any of which a statement
    /// reaching this relation's rows can have targeted) have an enabled
    /// statement trigger running vital.audit_sharing(): only then may the
    /// row trigger leave its record for the statement's flush. Otherwise
    /// (say, a partition attached after enable_tenancy, read directly) it
    /// writes the record at once.
    flushed_by_statement: bool,
}

thread_local! {
    static LAYOUTS: RefCell<HashMap<Oid, Rc<Layout>>> = RefCell::new(HashMap::new());
    /// Set when an invalidation arrived while the cache was borrowed.
    static CLEAR_PENDING: Cell<bool> = const { Cell::new(false) };
    static CALLBACKS_REGISTERED: Cell<bool> = const { Cell::new(false) };
    static INSERT_PLAN: Cell<pg_sys::SPIPlanPtr> = const { Cell::new(std::ptr::null_mut()) };
    /// Records computed by the row trigger, waiting for their statement's
    /// flush, in the order of the changes.
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
    /// The last old and new state recorded, with their JSON text.
    static LAST_STATES: RefCell<[Option<Interned>; 2]> = const { RefCell::new([None, None]) };
    /// The last relation's layout, skipping the hash lookup for a
    /// statement's rows after the first.
    static LAST_LAYOUT: RefCell<Option<(Oid, Rc<Layout>)>> = const { RefCell::new(None) };
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

/// Any relcache invalidation clears the whole cache: a partition's entry
/// holds its root's name, and renaming the root invalidates only the root.
#[pg_guard]
unsafe extern "C-unwind" fn relation_changed(_arg: Datum, _relid: Oid) {
    forget_layouts();
}

/// Renaming a schema sends no relcache invalidation for its tables.
#[pg_guard]
unsafe extern "C-unwind" fn schema_changed(_arg: Datum, _cache_id: i32, _hash: u32) {
    forget_layouts();
}

fn register_callbacks() {
    if CALLBACKS_REGISTERED.get() {
        return;
    }
    // SAFETY: registers #[pg_guard] callbacks for the life of the backend
    // (PostgreSQL offers no way to unregister the cache ones), once per
    // backend.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(relation_changed), Datum::from(0));
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::NAMESPACEOID as i32,
            Some(schema_changed),
            Datum::from(0),
        );
        pg_sys::RegisterXactCallback(Some(xact_event), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(subxact_event), std::ptr::null_mut());
    }
    CALLBACKS_REGISTERED.set(true);
}

fn layout_of(rel: pg_sys::Relation) -> Rc<Layout> {
    register_callbacks();
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
    let mut columns = [NonZeroUsize::MIN; 5];
    for (slot, (name, types)) in columns.iter_mut().zip(SHARING_COLUMNS) {
        let found = tupdesc
            .iter()
            .find(|a| !a.is_dropped() && a.name() == name && types.contains(&a.atttypid));
        let Some(attribute) = found else {
            error(
                OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("table {display} has no sharing column \"{name}\" of a suitable type"),
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
        key_output,
        table_name: root_table_name(relid),
        flushed_by_statement: flushed_by_statement(relid),
    }
}

/// See `Layout::flushed_by_statement`. Modes 'O' and 'A' fire in every
/// session but a replica one, where the row trigger never buffers.
fn flushed_by_statement(relid: Oid) -> bool {
    as_registry_owner(|| {
        Spi::get_one_with_args::<bool>(
            "with recursive chain(relid) as (
                 select $1::pg_catalog.oid
                 union
                 select i.inhparent from pg_catalog.pg_inherits i join chain c on i.inhrelid = c.relid)
             select pg_catalog.bool_and(exists(
                        select from pg_catalog.pg_trigger t
                         where t.tgrelid = chain.relid
                           and t.tgfoid = 'vital.audit_sharing()'::pg_catalog.regprocedure
                           and t.tgtype::pg_catalog.int4 & 99 = 0   -- AFTER, FOR EACH STATEMENT
                           and t.tgtype::pg_catalog.int4 & 28 = 28  -- INSERT, UPDATE, DELETE
                           and t.tgqual is null
                           and t.tgenabled in ('O', 'A')))
               from chain",
            &[relid.into()],
        )
    })
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// The primary key's column, from the relcache (no catalog query).
fn primary_key_column(rel: pg_sys::Relation, display: &str) -> NonZeroUsize {
    // SAFETY: the relation is open; the relcache computes its index list on
    // demand. The primary key index is opened only to read its pg_index
    // row (the executor holds a lock on it for the statement) and closed.
    let column = unsafe {
        let index_oid = pg_sys::RelationGetPrimaryKeyIndex(rel);
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
        .hint("Add a single-column primary key, or drop the trigger vital_tenancy_audit with vital.disable_tenancy().")
        .raise(),
    }
}

fn relation_display(relid: Oid) -> String {
    as_registry_owner(|| {
        Spi::get_one_with_args::<String>(
            "select $1::pg_catalog.regclass::pg_catalog.text",
            &[relid.into()],
        )
    })
    .ok()
    .flatten()
    .unwrap_or_else(|| format!("with OID {}", relid.to_u32()))
}

/// The name recorded for rows of `relid`: the topmost ancestor registered in
/// vital.tenant_tables (a partition's rows are recorded under the table
/// enable_tenancy protected, so one query gives a resource's history), or
/// the relation itself when none is.
fn root_table_name(relid: Oid) -> Rc<str> {
    let name = as_registry_owner(|| {
        Spi::get_one_with_args::<String>(
            "select pg_catalog.format('%I.%I', n.nspname, c.relname)
               from pg_catalog.pg_partition_ancestors($1::pg_catalog.regclass) with ordinality as a (relid, depth)
               join pg_catalog.pg_class c on c.oid = a.relid
               join pg_catalog.pg_namespace n on n.oid = c.relnamespace
               left join vital.tenant_tables t on t.table_name = a.relid
              order by t.table_name is not null desc,
                       case when t.table_name is not null then -a.depth else a.depth end
              limit 1",
            &[relid.into()],
        )
    });
    let name = name
        .ok()
        .flatten()
        .unwrap_or_else(|| relation_display(relid));
    name.into()
}

/// One row version: its sharing columns as they are (for the recorded
/// state) and what deciding the action needs.
struct Version {
    state: State,
    sharing: Sharing,
}

/// A state and its JSON text.
type Interned = (State, Rc<str>);

/// The sharing columns of a row version, decoded, in column order.
#[derive(PartialEq, Eq, Debug)]
struct State {
    owner: Option<Uuid>,
    shared: Option<bool>,
    mode: Option<String>,
    with: Option<Vec<Option<Uuid>>>,
    resource_type: Option<String>,
}

/// Reads a row version's sharing columns.
///
/// # Safety
/// `tuple` and `tupdesc` must be the trigger's tuple and its relation's
/// descriptor, and `layout` that relation's.
unsafe fn read_version(
    tuple: *mut pg_sys::HeapTupleData,
    tupdesc: pg_sys::TupleDesc,
    layout: &Layout,
) -> Version {
    let mut values = [None; 5];
    for (value, attno) in values.iter_mut().zip(layout.columns) {
        // SAFETY: per this function's contract.
        *value = unsafe { pgrx::heap_getattr_raw(tuple, attno, tupdesc) };
    }
    // SAFETY: each datum comes from a column checked to be of the type read
    // (varchar is read as text: same representation).
    let state = unsafe {
        State {
            owner: values[0]
                .and_then(|d| pgrx::Uuid::from_datum(d, false))
                .map(crate::context::from_pg),
            shared: values[1].and_then(|d| bool::from_datum(d, false)),
            mode: values[2].and_then(|d| String::from_datum(d, false)),
            with: values[3]
                .and_then(|d| Array::<pgrx::Uuid>::from_datum(d, false))
                .map(|list| {
                    list.iter()
                        .map(|m| m.map(crate::context::from_pg))
                        .collect()
                }),
            resource_type: values[4].and_then(|d| String::from_datum(d, false)),
        }
    };
    let sharing = Sharing {
        owner: state.owner,
        shared: state.shared == Some(true),
        mode: state.mode.clone(),
        with: state.with.as_ref().map(|list| {
            let mut set = list.clone();
            set.sort_unstable();
            set.dedup();
            set
        }),
    };
    Version { state, sharing }
}

/// The entry point of `vital.audit_sharing()` (created in `sql/audit.sql`;
/// the symbol is the one pgrx's `#[pg_trigger]` used, so catalogs made by
/// earlier builds keep resolving). Written by hand so that a call outside a
/// trigger gets a clean 39P01 instead of pgrx's internal error.
///
/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo`.
#[pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn audit_sharing_wrapper(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    // SAFETY: per this function's contract.
    let Some(data) = (unsafe { trigger_data(fcinfo) }) else {
        not_called_as_trigger("vital.audit_sharing()")
    };
    audit_sharing(data);
    // AFTER triggers' results are ignored; the protocol wants a null pointer
    // (not an SQL null).
    Datum::from(0)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_audit_sharing_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// The trigger data of a trigger call, or None when the function was called
/// some other way (`SELECT vital.audit_sharing()`).
///
/// # Safety
/// `fcinfo` must be the function manager's call information.
unsafe fn trigger_data<'a>(fcinfo: pg_sys::FunctionCallInfo) -> Option<&'a pg_sys::TriggerData> {
    // SAFETY: per this function's contract; the context is read as
    // TriggerData only when its node tag says it is one (CALLED_AS_TRIGGER).
    unsafe {
        if pgrx::trigger_support::called_as_trigger(fcinfo) {
            ((*fcinfo).context as *const pg_sys::TriggerData).as_ref()
        } else {
            None
        }
    }
}

fn not_called_as_trigger(function: &str) -> ! {
    error(
        TRIGGER_PROTOCOL_VIOLATED,
        format!("{function} can only be called as a trigger"),
    )
    .raise()
}

/// Records a change of who may see a row; see the README. Installed by
/// enable_tenancy twice on every protected table (and partition): AFTER
/// INSERT OR UPDATE OR DELETE FOR EACH ROW it computes the record and
/// buffers it; AFTER INSERT OR UPDATE OR DELETE FOR EACH STATEMENT (which
/// PostgreSQL fires after the statement's row events) it writes the
/// buffered records of the current subtransaction in one INSERT.
fn audit_sharing(data: &pg_sys::TriggerData) {
    let event = data.tg_event;
    let after = pgrx::trigger_support::trigger_fired_after(event);
    let truncate = pgrx::trigger_support::trigger_fired_by_truncate(event);
    if after && !truncate && !pgrx::trigger_support::trigger_fired_for_row(event) {
        register_callbacks();
        flush();
        return;
    }
    if !(after && pgrx::trigger_support::trigger_fired_for_row(event)) {
        error(
            TRIGGER_PROTOCOL_VIOLATED,
            "vital.audit_sharing() must be fired AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW or FOR EACH STATEMENT",
        )
        .hint("Let vital.enable_tenancy() create the triggers.")
        .raise()
    }
    let rel = data.tg_relation;
    let layout = layout_of(rel);
    // SAFETY: the relation is open for the statement.
    let tupdesc = unsafe { (*rel).rd_att };
    let (old, new) = if pgrx::trigger_support::trigger_fired_by_insert(event) {
        (None, Some(data.tg_trigtuple))
    } else if pgrx::trigger_support::trigger_fired_by_delete(event) {
        (Some(data.tg_trigtuple), None)
    } else {
        (Some(data.tg_trigtuple), Some(data.tg_newtuple))
    };
    // SAFETY: PostgreSQL's tuples for this event, with the relation's descriptor.
    let old = old.map(|t| unsafe { read_version(t, tupdesc, &layout) });
    // SAFETY: as above.
    let new = new.map(|t| unsafe { read_version(t, tupdesc, &layout) });
    let Some(action) = classify(
        old.as_ref().map(|v| &v.sharing),
        new.as_ref().map(|v| &v.sharing),
    ) else {
        return;
    };
    // The new version's key on UPDATE (a changed key is the row's key from now on).
    let keyed = if pgrx::trigger_support::trigger_fired_by_update(event) {
        data.tg_newtuple
    } else {
        data.tg_trigtuple
    };
    // SAFETY: the key column of this relation, in this event's tuple.
    let key = unsafe { pgrx::heap_getattr_raw(keyed, layout.key, tupdesc) };
    let resource_id = key.map(|datum| {
        // SAFETY: the key column's output function on a non-null value of
        // its type; it returns a palloc'd C string.
        unsafe {
            let shown = pg_sys::OidOutputFunctionCall(layout.key_output, datum);
            CStr::from_ptr(shown).to_string_lossy().into_owned()
        }
    });
    let record = Pending {
        // SAFETY: a plain read of the transaction state.
        subxact: unsafe { pg_sys::GetCurrentSubTransactionId() },
        table_name: layout.table_name.clone(),
        resource_id,
        action,
        old_state: old.map(|v| intern(0, v.state)),
        new_state: new.map(|v| intern(1, v.state)),
        actor_user: current_user().map(to_pg),
        actor_tenant: current_tenant().map(to_pg),
        actor_role: calling_role(),
    };
    // Buffered only when a flush is sure to follow in this statement: every
    // relation the statement can have targeted (this one and its ancestors)
    // has an enabled flush trigger, and the session is not applying
    // replicated changes (the apply worker fires no statement triggers).
    // SAFETY: a plain read of a setting.
    let replica = unsafe { pg_sys::SessionReplicationRole }
        == pg_sys::SESSION_REPLICATION_ROLE_REPLICA as i32;
    let buffered = PENDING.with_borrow_mut(|pending| {
        pending.push(record);
        pending.len()
    });
    if !layout.flushed_by_statement || replica || buffered >= BUFFER_LIMIT {
        flush();
    }
}

/// Records buffered in the row trigger beyond which it writes them itself,
/// bounding the backend's memory on huge statements.
const BUFFER_LIMIT: usize = 50_000;

/// One sharing change, computed by the row trigger and waiting for the
/// statement's flush. Plain Rust values: nothing here points into memory
/// PostgreSQL may reset before the flush.
struct Pending {
    /// The subtransaction that made the change: only a flush in the same
    /// subtransaction writes it (see the subtransaction callback).
    subxact: pg_sys::SubTransactionId,
    table_name: Rc<str>,
    resource_id: Option<String>,
    action: Action,
    /// jsonb text of the states, shared between records with equal states.
    old_state: Option<Rc<str>>,
    new_state: Option<Rc<str>>,
    actor_user: Option<pgrx::Uuid>,
    actor_tenant: Option<pgrx::Uuid>,
    actor_role: Oid,
}

/// The JSON text of a state, shared with the previous record's when the
/// state is the same (`slot` 0 for old states, 1 for new): a bulk change
/// mostly records the same states over and over.
fn intern(slot: usize, state: State) -> Rc<str> {
    LAST_STATES.with_borrow_mut(|last| {
        if let Some((kept, text)) = &last[slot] {
            if *kept == state {
                return text.clone();
            }
        }
        let text: Rc<str> = state_json(&state).into();
        last[slot] = Some((state, text.clone()));
        text
    })
}

/// The recorded state of a row version: the JSON text of what
/// `jsonb_build_object('tenant_id', …, 'is_shared', …, 'sharing_mode', …,
/// 'shared_with', …, 'resource_type', …)` gives for its sharing columns.
fn state_json(state: &State) -> String {
    use serde_json::Value;
    let uuid = |u: &Option<Uuid>| {
        u.map(|u| Value::String(u.to_string()))
            .unwrap_or(Value::Null)
    };
    let text = |t: &Option<String>| t.clone().map(Value::String).unwrap_or(Value::Null);
    let mut object = serde_json::Map::new();
    object.insert("tenant_id".into(), uuid(&state.owner));
    object.insert(
        "is_shared".into(),
        state.shared.map(Value::Bool).unwrap_or(Value::Null),
    );
    object.insert("sharing_mode".into(), text(&state.mode));
    object.insert(
        "shared_with".into(),
        state
            .with
            .as_ref()
            .map(|list| Value::Array(list.iter().map(uuid).collect()))
            .unwrap_or(Value::Null),
    );
    object.insert("resource_type".into(), text(&state.resource_type));
    Value::Object(object).to_string()
}

/// Writes the buffered records of the current subtransaction. Records of
/// an enclosing subtransaction stay: this one may still roll back, and they
/// belong to a statement whose own flush writes them.
fn flush() {
    // SAFETY: a plain read of the transaction state.
    let current = unsafe { pg_sys::GetCurrentSubTransactionId() };
    let mut batch: Vec<Pending> = PENDING.with_borrow_mut(|pending| {
        if pending.iter().all(|r| r.subxact == current) {
            std::mem::take(pending)
        } else {
            let (mine, rest) = std::mem::take(pending)
                .into_iter()
                .partition(|r| r.subxact == current);
            *pending = rest;
            mine
        }
    });
    if batch.is_empty() {
        return;
    }
    // In the order of the trail's history index: its insertions then walk
    // the index instead of jumping about it (a third of the flush's cost
    // in random order). The sort is stable, so one resource's records keep
    // the order of its changes (a row moved to another partition: its
    // delete_shared before its create_shared).
    batch.sort_by(|a, b| {
        (&*a.table_name, a.resource_id.as_deref()).cmp(&(&*b.table_name, b.resource_id.as_deref()))
    });
    write(&batch);
}

const INSERT_SQL: &CStr = c"
    insert into vital.resource_sharing_audit
        (occurred_at, table_name, resource_id, action, old_state, new_state,
         actor_user_id, actor_tenant_id, actor_role, transaction_id)
    select pg_catalog.now(), r.table_name, r.resource_id, r.action,
           r.old_state, r.new_state,
           r.actor_user_id, r.actor_tenant_id, pg_catalog.pg_get_userbyid(r.actor_role),
           pg_catalog.pg_current_xact_id()
      from rows from (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),
                      pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),
                      pg_catalog.unnest($7), pg_catalog.unnest($8))
           as r (table_name, resource_id, action, old_state, new_state,
                 actor_user_id, actor_tenant_id, actor_role)";

const INSERT_TYPES: [Oid; 8] = [
    pg_sys::TEXTARRAYOID,
    pg_sys::TEXTARRAYOID,
    pg_sys::TEXTARRAYOID,
    pg_sys::JSONBARRAYOID,
    pg_sys::JSONBARRAYOID,
    pg_sys::UUIDARRAYOID,
    pg_sys::UUIDARRAYOID,
    pg_sys::OIDARRAYOID,
];

/// Inserts the records with the registry owner's rights (tenants have no
/// INSERT privilege on the trail), in one execution of the kept plan.
fn write(batch: &[Pending]) {
    let arrays = [
        batch
            .iter()
            .map(|r| &*r.table_name)
            .collect::<Vec<&str>>()
            .into_datum(),
        batch
            .iter()
            .map(|r| r.resource_id.as_deref())
            .collect::<Vec<_>>()
            .into_datum(),
        batch
            .iter()
            .map(|r| r.action.as_str())
            .collect::<Vec<&str>>()
            .into_datum(),
        {
            let mut parsed = HashMap::new();
            // SAFETY: the states are JSON texts made by state_json.
            unsafe { jsonb_array(batch.iter().map(|r| r.old_state.as_ref()), &mut parsed) }
        },
        {
            let mut parsed = HashMap::new();
            // SAFETY: as above.
            unsafe { jsonb_array(batch.iter().map(|r| r.new_state.as_ref()), &mut parsed) }
        },
        batch
            .iter()
            .map(|r| r.actor_user)
            .collect::<Vec<_>>()
            .into_datum(),
        batch
            .iter()
            .map(|r| r.actor_tenant)
            .collect::<Vec<_>>()
            .into_datum(),
        batch
            .iter()
            .map(|r| r.actor_role)
            .collect::<Vec<_>>()
            .into_datum(),
    ];
    let mut datums: Vec<Datum> = arrays
        .iter()
        .map(|a| a.expect("an array of records is never null"))
        .collect();
    let nulls: Vec<c_char> = vec![b' ' as c_char; datums.len()];
    as_registry_owner(|| {
        // SAFETY: a balanced SPI connection around one execution of a plan
        // with exactly INSERT_TYPES.len() parameters, given as many values
        // (arrays of those types) and null flags; errors abort the
        // (sub)transaction, which closes the connection.
        unsafe {
            pg_sys::SPI_connect();
            let plan = insert_plan();
            let rc = pg_sys::SPI_execute_plan(plan, datums.as_mut_ptr(), nulls.as_ptr(), false, 0);
            let written = pg_sys::SPI_processed;
            if rc != pg_sys::SPI_OK_INSERT as i32 || written != batch.len() as u64 {
                error(
                    PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                    "could not record the sharing change",
                )
                .detail(format!(
                    "SPI_execute_plan returned {rc} after writing {written} of {} records.",
                    batch.len()
                ))
                .raise()
            }
            pg_sys::SPI_finish();
        }
    });
}

/// A jsonb[] of the states, each distinct text parsed once: a bulk change
/// gives many rows the same state (with the same owner and sharing), and
/// parsing was a quarter of the flush's cost.
///
/// # Safety
/// Every text must be valid JSON (an invalid one raises an error).
unsafe fn jsonb_array<'a>(
    states: impl Iterator<Item = Option<&'a Rc<str>>>,
    parsed: &mut HashMap<&'a str, Datum>,
) -> Option<Datum> {
    let (mut input, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
    // SAFETY: a type cache lookup for a built-in type.
    unsafe { pg_sys::getTypeInputInfo(pg_sys::JSONBOID, &mut input, &mut ioparam) };
    let mut elems = Vec::new();
    let mut nulls = Vec::new();
    let mut previous: Option<(&Rc<str>, Datum)> = None;
    for state in states {
        let datum = state.map(|text| match previous {
            // interned: the same text as the previous record's
            Some((last, datum)) if Rc::ptr_eq(last, text) => datum,
            _ => {
                let datum = *parsed.entry(text).or_insert_with(|| {
                    let text = CString::new(&**text).expect("JSON text has no NUL");
                    // SAFETY: jsonb's input function on a C string it copies from.
                    unsafe {
                        pg_sys::OidInputFunctionCall(input, text.as_ptr().cast_mut(), ioparam, -1)
                    }
                });
                previous = Some((text, datum));
                datum
            }
        });
        elems.push(datum.unwrap_or(Datum::from(0)));
        nulls.push(datum.is_none());
    }
    let mut dims = [elems.len() as i32];
    let mut lbs = [1];
    // SAFETY: one dimension of elems.len() jsonb values (varlena, int
    // aligned) with as many null flags; the array copies them.
    let array = unsafe {
        pg_sys::construct_md_array(
            elems.as_mut_ptr(),
            nulls.as_mut_ptr(),
            1,
            dims.as_mut_ptr(),
            lbs.as_mut_ptr(),
            pg_sys::JSONBOID,
            -1,
            false,
            pg_sys::TYPALIGN_INT as c_char,
        )
    };
    Some(Datum::from(array))
}

/// The INSERT's plan, prepared on first use and kept for the backend.
/// PostgreSQL's plan cache re-plans it when the trail's table changes.
///
/// # Safety
/// Must be called inside an SPI connection.
unsafe fn insert_plan() -> pg_sys::SPIPlanPtr {
    let kept = INSERT_PLAN.get();
    if !kept.is_null() {
        return kept;
    }
    let mut types = INSERT_TYPES;
    // SAFETY: per this function's contract; the argument types match the SQL.
    let plan =
        unsafe { pg_sys::SPI_prepare(INSERT_SQL.as_ptr(), types.len() as i32, types.as_mut_ptr()) };
    // SAFETY: keeps a valid plan (checked non-null) out of SPI's memory.
    if plan.is_null() || unsafe { pg_sys::SPI_keepplan(plan) } != 0 {
        error(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            "could not prepare the sharing audit insert",
        )
        .raise()
    }
    INSERT_PLAN.set(plan);
    plan
}

/// A subtransaction's records: dropped when it aborts, handed to its
/// parent when it commits (the parent's statement flushes them).
#[pg_guard]
unsafe extern "C-unwind" fn subxact_event(
    event: pg_sys::SubXactEvent::Type,
    my_subid: pg_sys::SubTransactionId,
    parent_subid: pg_sys::SubTransactionId,
    _arg: *mut c_void,
) {
    // Subtransaction ids only grow within a transaction, and the children
    // of an ending subtransaction have ended before it: every record tagged
    // `my_subid` or later is this subtransaction's.
    match event {
        pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB => {
            PENDING.with_borrow_mut(|pending| pending.retain(|r| r.subxact < my_subid));
        }
        pg_sys::SubXactEvent::SUBXACT_EVENT_COMMIT_SUB => {
            PENDING.with_borrow_mut(|pending| {
                for record in pending.iter_mut().filter(|r| r.subxact >= my_subid) {
                    record.subxact = parent_subid;
                }
            });
        }
        _ => {}
    }
}

/// The transaction's end: an abort drops every record; a commit (or
/// PREPARE) with records still unwritten fails rather than lose them. The
/// statement triggers flush every record before that point, so this error
/// means a bug or a trigger missing despite the checks.
#[pg_guard]
unsafe extern "C-unwind" fn xact_event(event: pg_sys::XactEvent::Type, _arg: *mut c_void) {
    match event {
        pg_sys::XactEvent::XACT_EVENT_PRE_COMMIT | pg_sys::XactEvent::XACT_EVENT_PRE_PREPARE => {
            let left = PENDING.with_borrow_mut(|pending| std::mem::take(pending).len());
            if left > 0 {
                error(
                    OBJECT_NOT_IN_PREREQUISITE_STATE,
                    "sharing audit records were not written",
                )
                .detail(format!(
                    "{left} records of sharing changes were still waiting for their statement's flush at commit."
                ))
                .hint("Check the triggers with vital.tenancy_status() and repair them with vital.enable_tenancy().")
                .raise()
            }
        }
        pg_sys::XactEvent::XACT_EVENT_ABORT
        | pg_sys::XactEvent::XACT_EVENT_PARALLEL_ABORT
        | pg_sys::XactEvent::XACT_EVENT_COMMIT
        | pg_sys::XactEvent::XACT_EVENT_PREPARE => {
            PENDING.with_borrow_mut(|pending| pending.clear());
        }
        _ => {}
    }
}

/// The entry point of `vital.refuse_audit_change()` (see
/// `audit_sharing_wrapper`).
///
/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo`.
#[pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn refuse_audit_change_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> Datum {
    // SAFETY: per this function's contract.
    if unsafe { trigger_data(fcinfo) }.is_none() {
        not_called_as_trigger("vital.refuse_audit_change()")
    }
    refuse_audit_change();
    Datum::from(0)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_refuse_audit_change_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// Refuses UPDATE, DELETE and TRUNCATE of the trail to everyone but
/// superusers. Privileges already do for everyone but the table's owner;
/// this also covers an owner who is not a superuser.
fn refuse_audit_change() {
    if !caller_is_superuser() {
        error(
            INSUFFICIENT_PRIVILEGE,
            "permission denied to change the sharing audit trail",
        )
        .detail("The sharing audit trail is append-only: only vital_tenancy's trigger writes it, and only a superuser may change or remove its rows.")
        .raise()
    }
}

/// Whether the current context may read an audit row: a platform admin
/// bypassing (the same rule as `can_access_resource`), else a tenant that
/// acted, owned the resource before or after, or was in its list before or
/// after. No context reads nothing.
#[pg_extern(stable, parallel_safe)]
fn can_read_sharing_audit(
    actor_tenant: Option<pgrx::Uuid>,
    old_state: Option<pgrx::JsonB>,
    new_state: Option<pgrx::JsonB>,
) -> bool {
    let tenant = current_tenant();
    if admin_bypass(tenant) {
        return true;
    }
    let Some(tenant) = tenant else {
        return false;
    };
    actor_tenant.map(crate::context::from_pg) == Some(tenant)
        || [old_state, new_state]
            .iter()
            .flatten()
            .any(|state| state_mentions(&state.0, tenant))
}

fn state_mentions(state: &serde_json::Value, tenant: Uuid) -> bool {
    let is_tenant = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|s| Uuid::try_parse(s).ok())
            .is_some_and(|u| u == tenant)
    };
    state.get("tenant_id").is_some_and(is_tenant)
        || state
            .get("shared_with")
            .and_then(|list| list.as_array())
            .is_some_and(|list| list.iter().any(is_tenant))
}
