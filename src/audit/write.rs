//! Writing buffered records, with the registry owner's rights (tenants have
//! no INSERT privilege on the trail): directly into the heap and indexes
//! (`direct`) while the trail is as created, otherwise one INSERT … SELECT
//! FROM ROWS FROM (unnest(…)) per flush, through a plan prepared once per
//! backend and kept.

use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::rc::Rc;

use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::prelude::*;

use crate::errors::{error, INTERNAL_ERROR};
use crate::privileged::as_registry_owner;
use crate::spi::KeptPlan;

use super::buffer::{self, Pending};
use super::direct::write_direct;

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

thread_local! {
    static INSERT: KeptPlan = const {
        KeptPlan::new(
            c"
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
                 actor_user_id, actor_tenant_id, actor_role)",
            &INSERT_TYPES,
        )
    };
}

/// Writes the buffered records of the current subtransaction.
pub(super) fn flush() {
    let batch = buffer::take_current();
    if batch.is_empty() {
        return;
    }
    // In the order of the trail's history index: its insertions then walk
    // the index instead of jumping about it (a third of the flush's cost
    // in random order). The sort is stable, so one resource's records keep
    // the order of its changes (a row moved to another partition: its
    // delete_shared before its create_shared).
    // (Sorting references: the records themselves are large to move; the
    // position breaks ties, which keeps the order stable; records of one
    // table share their name, so the names are compared only when they are
    // different strings.)
    let mut order: Vec<(usize, &Pending)> = batch.iter().enumerate().collect();
    order.sort_unstable_by(|(i, a), (j, b)| {
        let tables = if Rc::ptr_eq(&a.table_name, &b.table_name) {
            std::cmp::Ordering::Equal
        } else {
            a.table_name.cmp(&b.table_name)
        };
        tables
            .then_with(|| a.resource_id.cmp(&b.resource_id))
            .then(i.cmp(j))
    });
    let sorted: Vec<&Pending> = order.into_iter().map(|(_, r)| r).collect();
    if !as_registry_owner(|| write_direct(&sorted)) {
        write(&sorted);
    }
}

/// Inserts the records in one execution of the kept plan.
fn write(batch: &[&Pending]) {
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
        jsonb_array(batch.iter().map(|r| r.old_state.as_ref())),
        jsonb_array(batch.iter().map(|r| r.new_state.as_ref())),
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
    let mut values: Vec<Datum> = arrays
        .iter()
        .map(|a| a.expect("an array of records is never null"))
        .collect();
    let written = as_registry_owner(|| INSERT.with(|plan| plan.execute(&mut values)));
    if written != batch.len() as u64 {
        error(INTERNAL_ERROR, "could not record the sharing change")
            .detail(format!(
                "The audit insert wrote {written} of {} records.",
                batch.len()
            ))
            .raise()
    }
}

/// A jsonb[] of the states, each distinct text parsed once: a bulk change
/// gives many rows the same state (with the same owner and sharing), and
/// parsing was a quarter of the flush's cost. The texts are made by
/// `state::state_json`, so they are valid JSON.
fn jsonb_array<'a>(states: impl Iterator<Item = Option<&'a Rc<str>>>) -> Option<Datum> {
    let (mut input, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
    // SAFETY: a type cache lookup for a built-in type.
    unsafe { pg_sys::getTypeInputInfo(pg_sys::JSONBOID, &mut input, &mut ioparam) };
    let mut parsed: HashMap<&'a str, Datum> = HashMap::new();
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
