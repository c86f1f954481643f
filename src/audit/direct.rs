//! Writing a batch of records the way COPY does: tuples formed from datums
//! (no SQL, no arrays to unnest), checked against the trail's constraints,
//! inserted into the heap a thousand at a time with `table_multi_insert`,
//! then into every index. It applies only while the trail is as
//! `sql/audit.sql` creates it: a plain table with exactly its columns, an
//! identity sequence, no rules and no INSERT triggers (a trigger, a rule, a
//! foreign key or a column added by hand would be skipped here); otherwise
//! `write` takes the executor's path.
//!
//! What the executor's INSERT did and this does too: the identity value
//! from the trail's sequence (`nextval`), `occurred_at` as `now()` (the
//! transaction's start), `transaction_id` as `pg_current_xact_id()`,
//! `actor_role` as `pg_get_userbyid`, NOT NULL and CHECK constraints
//! (`ExecConstraints`), unique and other index entries
//! (`ExecInsertIndexTuples`), the command counter stepped around the
//! insert as SPI steps it. Row-level security does not apply: the writer
//! runs with the registry owner's rights (a superuser), as before.

use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::rc::Rc;

use pgrx::pg_sys::{self, Datum, Oid};

use super::buffer::Pending;

/// The trail's columns, in order, with their types: what the direct path
/// fills in.
const COLUMNS: [(&str, Oid); 11] = [
    ("id", pg_sys::INT8OID),
    ("occurred_at", pg_sys::TIMESTAMPTZOID),
    ("table_name", pg_sys::TEXTOID),
    ("resource_id", pg_sys::TEXTOID),
    ("action", pg_sys::TEXTOID),
    ("old_state", pg_sys::JSONBOID),
    ("new_state", pg_sys::JSONBOID),
    ("actor_user_id", pg_sys::UUIDOID),
    ("actor_tenant_id", pg_sys::UUIDOID),
    ("actor_role", pg_sys::TEXTOID),
    ("transaction_id", pg_sys::XID8OID),
];

/// Tuples per `table_multi_insert` call (COPY's MAX_BUFFERED_TUPLES).
const MULTI_INSERT_TUPLES: usize = 1000;

unsafe extern "C-unwind" {
    /// `commands/sequence.h`: the next value of a sequence, as `nextval`.
    /// Not in pgrx's bindings; called through [`next_id`].
    fn nextval_internal(relid: Oid, check_permissions: bool) -> i64;
}

/// The sequence's next value; an error PostgreSQL raises (the sequence at
/// its maximum, say) becomes a Rust panic as for pgrx's own bindings.
///
/// # Safety
/// `sequence` is a sequence's OID.
unsafe fn next_id(sequence: Oid) -> i64 {
    // SAFETY: per this function's contract; the boundary catches the
    // longjmp of an ERROR.
    unsafe { pg_sys::submodules::ffi::pg_guard_ffi_boundary(|| nextval_internal(sequence, false)) }
}

/// The trail, if it is as created: schema `vital`, table
/// `resource_sharing_audit`.
fn trail_oid() -> Option<Oid> {
    // SAFETY: catalog cache lookups by name.
    unsafe {
        let schema = pg_sys::get_namespace_oid(c"vital".as_ptr(), true);
        if schema == pg_sys::InvalidOid {
            return None;
        }
        let rel = pg_sys::get_relname_relid(c"resource_sharing_audit".as_ptr(), schema);
        (rel != pg_sys::InvalidOid).then_some(rel)
    }
}

/// Whether the open relation is the trail as created (see the module
/// documentation), and its identity sequence.
///
/// # Safety
/// `rel` is open.
unsafe fn as_created(rel: pg_sys::Relation) -> Option<Oid> {
    // SAFETY: per this function's contract; the relcache entry's fields.
    unsafe {
        let form = &*(*rel).rd_rel;
        if form.relkind != pg_sys::RELKIND_RELATION as c_char || form.relhasrules {
            return None;
        }
        let triggers = (*rel).trigdesc;
        if !triggers.is_null() {
            let t = &*triggers;
            if t.trig_insert_before_row
                || t.trig_insert_after_row
                || t.trig_insert_instead_row
                || t.trig_insert_before_statement
                || t.trig_insert_after_statement
                || t.trig_insert_new_table
            {
                return None;
            }
        }
        let desc = (*rel).rd_att;
        if (*desc).natts as usize != COLUMNS.len() {
            return None;
        }
        let constr = (*desc).constr;
        if !constr.is_null() && (*constr).has_generated_stored {
            return None;
        }
        for (i, (name, type_oid)) in COLUMNS.into_iter().enumerate() {
            let attr = attribute(desc, i);
            let attname = CStr::from_ptr(attr.attname.data.as_ptr());
            if attr.attisdropped
                || attr.atttypid != type_oid
                || attname.to_bytes() != name.as_bytes()
            {
                return None;
            }
        }
        // Since PostgreSQL 17 it takes the relation (for a partition's parent).
        #[cfg(any(feature = "pg17", feature = "pg18"))]
        let sequence = pg_sys::getIdentitySequence(rel, 1, true);
        #[cfg(not(any(feature = "pg17", feature = "pg18")))]
        let sequence = pg_sys::getIdentitySequence((*rel).rd_id, 1, true);
        (sequence != pg_sys::InvalidOid).then_some(sequence)
    }
}

/// The attribute `i` (from 0) of `desc`.
///
/// # Safety
/// `desc` is a valid tuple descriptor with more than `i` attributes.
unsafe fn attribute<'a>(desc: pg_sys::TupleDesc, i: usize) -> &'a pg_sys::FormData_pg_attribute {
    // SAFETY: per this function's contract. Since PostgreSQL 18 the full
    // attributes follow the compact ones and are reached through TupleDescAttr.
    unsafe {
        #[cfg(feature = "pg18")]
        {
            &*pg_sys::TupleDescAttr(desc, i as i32)
        }
        #[cfg(not(feature = "pg18"))]
        {
            &*(*desc).attrs.as_ptr().add(i)
        }
    }
}

/// Writes the batch directly, or returns false (writing nothing) when the
/// trail is not as created.
pub(super) fn write_direct(batch: &[&Pending]) -> bool {
    let Some(relid) = trail_oid() else {
        return false;
    };
    // SAFETY: the trail is opened with the lock an INSERT takes and kept
    // locked to the end of the transaction; everything below works on it
    // while open, with datums allocated in a memory context deleted at the
    // end (an error unwinds through the transaction abort, which releases
    // the relation, buffers and memory).
    unsafe {
        let rel = pg_sys::table_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        let Some(sequence) = as_created(rel) else {
            pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
            return false;
        };
        let memory = pg_sys::AllocSetContextCreateExtended(
            pg_sys::CurrentMemoryContext,
            c"vital audit write".as_ptr(),
            pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
        );
        let previous = pg_sys::MemoryContextSwitchTo(memory);
        insert(rel, sequence, batch);
        pg_sys::MemoryContextSwitchTo(previous);
        pg_sys::MemoryContextDelete(memory);
        pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
    }
    true
}

/// Datums shared between records: most of a bulk change's records have
/// the same table, action, states and actors.
struct Values {
    texts: HashMap<*const u8, Datum>,
    uuids: HashMap<[u8; 16], Datum>,
    roles: HashMap<Oid, Datum>,
    jsonb: HashMap<*const u8, Datum>,
    jsonb_input: (Oid, Oid),
}

impl Values {
    fn new() -> Values {
        let (mut input, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
        // SAFETY: a type cache lookup for a built-in type.
        unsafe { pg_sys::getTypeInputInfo(pg_sys::JSONBOID, &mut input, &mut ioparam) };
        Values {
            texts: HashMap::new(),
            uuids: HashMap::new(),
            roles: HashMap::new(),
            jsonb: HashMap::new(),
            jsonb_input: (input, ioparam),
        }
    }

    /// A text datum (palloc'd in the current memory context).
    fn text(text: &str) -> Datum {
        // SAFETY: copies `text.len()` bytes into a new varlena.
        Datum::from(unsafe {
            pg_sys::cstring_to_text_with_len(text.as_ptr().cast(), text.len() as i32)
        })
    }

    /// A text datum for a string shared between records (an `Rc<str>` or
    /// a `&'static str`), made once per distinct pointer.
    fn shared_text(&mut self, text: &str) -> Datum {
        *self
            .texts
            .entry(text.as_ptr())
            .or_insert_with(|| Values::text(text))
    }

    fn uuid(&mut self, uuid: &pgrx::Uuid) -> Datum {
        *self.uuids.entry(*uuid.as_bytes()).or_insert_with(|| {
            // SAFETY: a 16-byte pg_uuid_t, copied from the value.
            unsafe {
                let bytes = pg_sys::palloc(16).cast::<u8>();
                std::ptr::copy_nonoverlapping(uuid.as_bytes().as_ptr(), bytes, 16);
                Datum::from(bytes)
            }
        })
    }

    /// `pg_get_userbyid(role)` as a text datum.
    fn role(&mut self, role: Oid) -> Datum {
        *self.roles.entry(role).or_insert_with(|| {
            // SAFETY: a syscache lookup; the name is copied into a text
            // datum in the current memory context.
            unsafe {
                let found = pg_sys::GetUserNameFromId(role, true);
                let name = if found.is_null() {
                    format!("unknown (OID={})", role.to_u32())
                } else {
                    CStr::from_ptr(found).to_string_lossy().into_owned()
                };
                Datum::from(pgrx::varlena::rust_str_to_text_p(&name).into_pg())
            }
        })
    }

    /// The jsonb of a state text, parsed once per distinct text.
    fn jsonb(&mut self, state: &Rc<str>) -> Datum {
        let (input, ioparam) = self.jsonb_input;
        *self.jsonb.entry(state.as_ptr()).or_insert_with(|| {
            let text = CString::new(&**state).expect("JSON text has no NUL");
            // SAFETY: jsonb's input function on a C string it copies from;
            // the texts are made by `state::state_json`, so valid JSON.
            unsafe { pg_sys::OidInputFunctionCall(input, text.as_ptr().cast_mut(), ioparam, -1) }
        })
    }
}

/// A bulk insert state as COPY's, but reading the trail's pages through
/// shared buffers like any insert: the state keeps the page being filled
/// pinned between batches (and since PostgreSQL 16 extends the trail by
/// many pages at once), while COPY's ring of 16 MB would make the statement
/// write out, and flush the WAL of, its own pages once the ring comes round.
///
/// # Safety
/// Inside a transaction; the caller frees it with `FreeBulkInsertState`.
unsafe fn bulk_insert_state() -> pg_sys::BulkInsertState {
    // SAFETY: `strategy` is the first member of BulkInsertStateData in
    // every supported major (access/hio.h); a null strategy means the
    // shared buffers' normal replacement, and FreeBulkInsertState accepts
    // it (FreeAccessStrategy of null does nothing).
    unsafe {
        let state = pg_sys::GetBulkInsertState();
        let strategy = state.cast::<pg_sys::BufferAccessStrategy>();
        pg_sys::FreeAccessStrategy(*strategy);
        *strategy = std::ptr::null_mut();
        state
    }
}

/// # Safety
/// `rel` is the open trail, as created; `sequence` its identity sequence.
unsafe fn insert(rel: pg_sys::Relation, sequence: Oid, batch: &[&Pending]) {
    // SAFETY: per this function's contract. The executor state, result
    // relation and slots are made, used and freed here, as COPY FROM does.
    unsafe {
        pg_sys::CommandCounterIncrement();
        let estate = pg_sys::CreateExecutorState();
        // For index expressions and exclusion checks a superuser may have
        // added: the trigger's snapshot, and our command id.
        if pg_sys::ActiveSnapshotSet() {
            (*estate).es_snapshot = pg_sys::GetActiveSnapshot();
        }
        let info = pg_sys::palloc0(std::mem::size_of::<pg_sys::ResultRelInfo>())
            .cast::<pg_sys::ResultRelInfo>();
        pg_sys::InitResultRelInfo(info, rel, 0, std::ptr::null_mut(), 0);
        pg_sys::ExecOpenIndices(info, false);
        let constrained = !(*(*rel).rd_att).constr.is_null();
        let slots: Vec<*mut pg_sys::TupleTableSlot> = (0..batch.len().min(MULTI_INSERT_TUPLES))
            .map(|_| pg_sys::table_slot_create(rel, std::ptr::null_mut()))
            .collect();
        let command = pg_sys::GetCurrentCommandId(true);
        (*estate).es_output_cid = command;
        let started = Datum::from(pg_sys::GetCurrentTransactionStartTimestamp());
        let xact = Datum::from(pg_sys::GetTopFullTransactionId().value);
        let mut values = Values::new();
        let bulk = bulk_insert_state();
        for chunk in batch.chunks(MULTI_INSERT_TUPLES) {
            for (record, &slot) in chunk.iter().zip(&slots) {
                pg_sys::ExecClearTuple(slot);
                let datums = std::slice::from_raw_parts_mut((*slot).tts_values, COLUMNS.len());
                let nulls = std::slice::from_raw_parts_mut((*slot).tts_isnull, COLUMNS.len());
                let mut set = |i: usize, value: Option<Datum>| {
                    datums[i] = value.unwrap_or(Datum::from(0));
                    nulls[i] = value.is_none();
                };
                set(0, Some(Datum::from(next_id(sequence))));
                set(1, Some(started));
                set(2, Some(values.shared_text(&record.table_name)));
                set(3, record.resource_id.as_deref().map(Values::text));
                set(4, Some(values.shared_text(record.action.as_str())));
                set(5, record.old_state.as_ref().map(|s| values.jsonb(s)));
                set(6, record.new_state.as_ref().map(|s| values.jsonb(s)));
                set(7, record.actor_user.as_ref().map(|u| values.uuid(u)));
                set(8, record.actor_tenant.as_ref().map(|u| values.uuid(u)));
                set(9, Some(values.role(record.actor_role)));
                set(10, Some(xact));
                pg_sys::ExecStoreVirtualTuple(slot);
                if constrained {
                    pg_sys::ExecConstraints(info, slot, estate);
                }
            }
            let filled = chunk.len();
            pg_sys::table_multi_insert(
                rel,
                slots.as_ptr().cast_mut(),
                filled as i32,
                command,
                0,
                bulk,
            );
            for &slot in &slots[..filled] {
                let context = (*estate).es_per_tuple_exprcontext;
                if !context.is_null() {
                    pg_sys::MemoryContextReset((*context).ecxt_per_tuple_memory);
                }
                // Since PostgreSQL 16 the last argument restricts the call
                // to summarizing indexes (for HOT updates); a new row goes into all.
                #[cfg(any(feature = "pg16", feature = "pg17", feature = "pg18"))]
                let recheck = pg_sys::ExecInsertIndexTuples(
                    info,
                    slot,
                    estate,
                    false,
                    false,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    false,
                );
                #[cfg(not(any(feature = "pg16", feature = "pg17", feature = "pg18")))]
                let recheck = pg_sys::ExecInsertIndexTuples(
                    info,
                    slot,
                    estate,
                    false,
                    false,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                );
                pg_sys::list_free(recheck);
            }
        }
        pg_sys::FreeBulkInsertState(bulk);
        for slot in slots {
            pg_sys::ExecDropSingleTupleTableSlot(slot);
        }
        pg_sys::ExecCloseIndices(info);
        pg_sys::FreeExecutorState(estate);
        pg_sys::CommandCounterIncrement();
    }
}
