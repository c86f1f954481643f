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
    let sorted: Vec<&Pending> = history_order(&batch)
        .into_iter()
        .map(|i| &batch[i])
        .collect();
    if !as_registry_owner(|| write_direct(&sorted)) {
        write(&sorted);
    }
}

/// The positions of the records in the order of the trail's history index,
/// `(table_name, resource_id)`: its insertions then walk the index instead
/// of jumping about it (a third of the flush's cost in random order). The
/// order is stable, so one resource's records keep the order of its changes
/// (a row moved to another partition: its delete_shared before its
/// create_shared).
///
/// The sort compares small keys held in the vector (the table's rank among
/// the batch's few tables, the first eight bytes of the resource id) and
/// reads the records only on a tie: comparing the records themselves chases
/// two pointers per side, and took a tenth of a bulk share's trail cost.
pub(super) fn history_order(batch: &[Pending]) -> Vec<usize> {
    // The batch's tables (records of one table share one name), ranked by name.
    let mut tables: Vec<&Rc<str>> = Vec::new();
    for record in batch {
        if !tables.iter().any(|t| Rc::ptr_eq(t, &record.table_name)) {
            tables.push(&record.table_name);
        }
    }
    tables.sort();
    let rank = |name: &Rc<str>| -> usize {
        // Equal names in different strings get the first one's rank.
        tables.partition_point(|t| ***t < **name)
    };
    let prefix = |id: Option<&str>| -> u64 {
        let mut bytes = [0u8; 8];
        if let Some(id) = id {
            let n = id.len().min(8);
            bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
        }
        u64::from_be_bytes(bytes)
    };
    let mut keys: Vec<(usize, u64, usize)> = Vec::with_capacity(batch.len());
    let mut last: Option<(&Rc<str>, usize)> = None;
    for (i, record) in batch.iter().enumerate() {
        let table = match last {
            Some((name, r)) if Rc::ptr_eq(name, &record.table_name) => r,
            _ => {
                let r = rank(&record.table_name);
                last = Some((&record.table_name, r));
                r
            }
        };
        keys.push((table, prefix(record.resource_id.as_deref()), i));
    }
    keys.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then_with(|| batch[a.2].resource_id.cmp(&batch[b.2].resource_id))
            .then(a.2.cmp(&b.2))
    });
    keys.into_iter().map(|(_, _, i)| i).collect()
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

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use std::rc::Rc;

    use pgrx::prelude::*;

    use super::super::buffer::Pending;
    use super::super::classify::Action;
    use super::history_order;

    fn record(table: &Rc<str>, id: Option<&str>) -> Pending {
        Pending {
            subxact: 1,
            table_name: Rc::clone(table),
            resource_id: id.map(str::to_string),
            action: Action::Share,
            old_state: None,
            new_state: None,
            actor_user: None,
            actor_tenant: None,
            actor_role: pgrx::pg_sys::InvalidOid,
        }
    }

    /// The order of comparing whole records: table name, resource id,
    /// then arrival.
    fn expected(batch: &[Pending]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by(|&i, &j| {
            (&*batch[i].table_name, &batch[i].resource_id)
                .cmp(&(&*batch[j].table_name, &batch[j].resource_id))
        });
        order
    }

    #[pg_test]
    fn history_order_is_the_history_index_order_and_stable() {
        let a: Rc<str> = Rc::from("public.agents");
        let b: Rc<str> = Rc::from("public.tools");
        // the same name in another string (a table reached through two partitions' layouts)
        let a2: Rc<str> = Rc::from("public.agents");
        let cases: Vec<Vec<Pending>> = vec![
            vec![],
            vec![record(&a, Some("x"))],
            // prefixes alike in the first eight bytes, and shorter than eight
            vec![
                record(&a, Some("12345678b")),
                record(&a, Some("12345678a")),
                record(&a, Some("1234")),
                record(&a, Some("1234\0")),
                record(&a, Some("")),
                record(&a, None),
                record(&a, Some("12345678")),
            ],
            // two tables, repeated resources (stable: arrival order kept)
            vec![
                record(&b, Some("2")),
                record(&a, Some("2")),
                record(&b, Some("1")),
                record(&a2, Some("2")),
                record(&a, Some("1")),
                record(&b, Some("2")),
                record(&a2, Some("1")),
            ],
            // uuids in random order, as a bulk share sees them
            (0..2000)
                .map(|i: u32| {
                    let id = format!(
                        "{:08x}-0000-4000-8000-{:012x}",
                        i.wrapping_mul(2_654_435_761),
                        i % 7
                    );
                    record(if i.is_multiple_of(3) { &b } else { &a }, Some(&id))
                })
                .collect(),
        ];
        for batch in &cases {
            assert_eq!(
                history_order(batch),
                expected(batch),
                "a batch of {}",
                batch.len()
            );
        }
    }
}
