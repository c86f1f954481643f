//! The sharing audit trail: one row in `vital.resource_sharing_audit` for
//! every change of who may see a resource, written by the row trigger
//! `vital.audit_sharing()` in the transaction that makes the change (a
//! rollback takes the row with it; a row that cannot be written fails the
//! change). The table, its policy and its append-only guard are in
//! `sql/audit.sql`; installing the trigger is the installer's job.
//!
//! The trigger fires for every row, so its hot path does no catalog query
//! and parses no SQL: per-relation facts (sharing column numbers, primary
//! key column, the registered root table's name) live in a backend cache
//! cleared on every relcache or schema invalidation, and the INSERT is one
//! SPI plan prepared once per backend and kept.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::convert::Infallible;
use std::ffi::{c_char, CStr, CString};
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

/// The name `enable_tenancy` gives the trigger on every protected table.
pub(crate) const TRIGGER_NAME: &str = "vital_tenancy_audit";

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
    fn as_cstr(self) -> &'static CStr {
        match self {
            Action::CreateShared => c"create_shared",
            Action::Share => c"share",
            Action::Unshare => c"unshare",
            Action::ChangeSharing => c"change_sharing",
            Action::Transfer => c"transfer",
            Action::DeleteShared => c"delete_shared",
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
    table_name: CString,
}

thread_local! {
    static LAYOUTS: RefCell<HashMap<Oid, Rc<Layout>>> = RefCell::new(HashMap::new());
    /// Set when an invalidation arrived while the cache was borrowed.
    static CLEAR_PENDING: Cell<bool> = const { Cell::new(false) };
    static CALLBACKS_REGISTERED: Cell<bool> = const { Cell::new(false) };
    static INSERT_PLAN: Cell<pg_sys::SPIPlanPtr> = const { Cell::new(std::ptr::null_mut()) };
}

fn forget_layouts() {
    LAYOUTS.with(|cache| match cache.try_borrow_mut() {
        Ok(mut cache) => cache.clear(),
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
    // SAFETY: registers two #[pg_guard] callbacks for the life of the
    // backend (PostgreSQL offers no way to unregister), once per backend.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(relation_changed), Datum::from(0));
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::NAMESPACEOID as i32,
            Some(schema_changed),
            Datum::from(0),
        );
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
    if let Some(found) = LAYOUTS.with_borrow(|cache| cache.get(&relid).cloned()) {
        return found;
    }
    // Built without holding the borrow: building runs queries, and an
    // invalidation may arrive meanwhile.
    let layout = Rc::new(build_layout(rel));
    LAYOUTS.with_borrow_mut(|cache| cache.insert(relid, layout.clone()));
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
    }
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
fn root_table_name(relid: Oid) -> CString {
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
    CString::new(name).unwrap_or_default()
}

/// One row version: its raw sharing column values (for the recorded state)
/// and what deciding the action needs.
struct Version {
    values: [Option<Datum>; 5],
    sharing: Sharing,
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
    let sharing = unsafe {
        Sharing {
            owner: values[0]
                .and_then(|d| pgrx::Uuid::from_datum(d, false))
                .map(crate::context::from_pg),
            shared: values[1].and_then(|d| bool::from_datum(d, false)) == Some(true),
            mode: values[2].and_then(|d| String::from_datum(d, false)),
            with: values[3]
                .and_then(|d| Array::<pgrx::Uuid>::from_datum(d, false))
                .map(|list| {
                    let mut set: Vec<Option<Uuid>> = list
                        .iter()
                        .map(|m| m.map(crate::context::from_pg))
                        .collect();
                    set.sort_unstable();
                    set.dedup();
                    set
                }),
        }
    };
    Version { values, sharing }
}

/// Records a change of who may see a row; see the README. Fired AFTER
/// INSERT OR UPDATE OR DELETE FOR EACH ROW, installed by enable_tenancy.
#[pg_trigger]
fn audit_sharing<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, Infallible> {
    let data = trigger.trigger_data();
    let event = data.tg_event;
    if !(pgrx::trigger_support::trigger_fired_after(event)
        && pgrx::trigger_support::trigger_fired_for_row(event))
    {
        error(
            TRIGGER_PROTOCOL_VIOLATED,
            "vital.audit_sharing() must be fired AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW",
        )
        .hint("Let vital.enable_tenancy() create the trigger.")
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
        return Ok(None);
    };
    // The new version's key on UPDATE (a changed key is the row's key from now on).
    let keyed = if pgrx::trigger_support::trigger_fired_by_update(event) {
        data.tg_newtuple
    } else {
        data.tg_trigtuple
    };
    // SAFETY: the key column of this relation, in this event's tuple.
    let key = unsafe { pgrx::heap_getattr_raw(keyed, layout.key, tupdesc) };
    write(&layout, action, key, old.as_ref(), new.as_ref());
    Ok(None)
}

const INSERT_SQL: &CStr = c"
    insert into vital.resource_sharing_audit
        (occurred_at, table_name, resource_id, action, old_state, new_state,
         actor_user_id, actor_tenant_id, actor_role, transaction_id)
    values (pg_catalog.now(), $1, $2, $3,
            case when $4 then pg_catalog.jsonb_build_object(
                'tenant_id', $5, 'is_shared', $6, 'sharing_mode', $7,
                'shared_with', $8, 'resource_type', $9) end,
            case when $10 then pg_catalog.jsonb_build_object(
                'tenant_id', $11, 'is_shared', $12, 'sharing_mode', $13,
                'shared_with', $14, 'resource_type', $15) end,
            $16, $17, pg_catalog.pg_get_userbyid($18), pg_catalog.pg_current_xact_id())";

const INSERT_TYPES: [Oid; 18] = [
    pg_sys::TEXTOID,
    pg_sys::TEXTOID,
    pg_sys::TEXTOID,
    pg_sys::BOOLOID,
    pg_sys::UUIDOID,
    pg_sys::BOOLOID,
    pg_sys::TEXTOID,
    pg_sys::UUIDARRAYOID,
    pg_sys::TEXTOID,
    pg_sys::BOOLOID,
    pg_sys::UUIDOID,
    pg_sys::BOOLOID,
    pg_sys::TEXTOID,
    pg_sys::UUIDARRAYOID,
    pg_sys::TEXTOID,
    pg_sys::UUIDOID,
    pg_sys::UUIDOID,
    pg_sys::OIDOID,
];

/// Inserts the audit row with the registry owner's rights (tenants have no
/// INSERT privilege on the trail), through the kept plan.
fn write(
    layout: &Layout,
    action: Action,
    key: Option<Datum>,
    old: Option<&Version>,
    new: Option<&Version>,
) {
    let text = |s: *const c_char| {
        // SAFETY: copies a NUL-terminated string into a palloc'd text.
        Some(Datum::from(unsafe { pg_sys::cstring_to_text(s) }))
    };
    let resource_id = key.and_then(|datum| {
        // SAFETY: the key column's output function on a non-null value of its type.
        let shown = unsafe { pg_sys::OidOutputFunctionCall(layout.key_output, datum) };
        text(shown)
    });
    let mut values: Vec<Option<Datum>> = vec![
        text(layout.table_name.as_ptr()),
        resource_id,
        text(action.as_cstr().as_ptr()),
    ];
    for version in [old, new] {
        values.push(Some(Datum::from(version.is_some())));
        match version {
            Some(v) => values.extend(v.values),
            None => values.extend([None; 5]),
        }
    }
    values.push(current_user().map(to_pg).and_then(|u| u.into_datum()));
    values.push(current_tenant().map(to_pg).and_then(|u| u.into_datum()));
    values.push(Some(Datum::from(calling_role())));

    let mut datums: Vec<Datum> = values.iter().map(|v| v.unwrap_or(Datum::from(0))).collect();
    let nulls: Vec<c_char> = values
        .iter()
        .map(|v| if v.is_some() { b' ' } else { b'n' } as c_char)
        .collect();
    as_registry_owner(|| {
        // SAFETY: a balanced SPI connection around one execution of a plan
        // with exactly INSERT_TYPES.len() parameters, given as many values
        // and null flags; errors abort the (sub)transaction, which closes
        // the connection.
        unsafe {
            pg_sys::SPI_connect();
            let plan = insert_plan();
            let rc = pg_sys::SPI_execute_plan(plan, datums.as_mut_ptr(), nulls.as_ptr(), false, 0);
            if rc != pg_sys::SPI_OK_INSERT as i32 {
                error(
                    PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                    "could not record the sharing change",
                )
                .detail(format!("SPI_execute_plan returned {rc}."))
                .raise()
            }
            pg_sys::SPI_finish();
        }
    });
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

/// Refuses UPDATE, DELETE and TRUNCATE of the trail to everyone but
/// superusers. Privileges already do for everyone but the table's owner;
/// this also covers an owner who is not a superuser.
#[pg_trigger]
fn refuse_audit_change<'a>(
    _trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, Infallible> {
    if !caller_is_superuser() {
        error(
            INSUFFICIENT_PRIVILEGE,
            "permission denied for table resource_sharing_audit",
        )
        .detail("The sharing audit trail is append-only: only vital_tenancy's trigger writes it, and only a superuser may change or remove its rows.")
        .raise()
    }
    Ok(None)
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
