//! A row version's sharing columns, decoded from the trigger's tuple (once
//! per distinct state: a bulk change sees the same few over and over), who
//! may see it, and the JSON the trail records it as.

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use uuid::Uuid;

use crate::ids::from_pg;
use crate::vocabulary::{Column, COLUMNS};

use super::layout::Layout;

/// The sharing columns of a row version, decoded, in column order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct State {
    pub(super) owner: Option<Uuid>,
    pub(super) shared: Option<bool>,
    pub(super) mode: Option<String>,
    pub(super) with: Option<Vec<Option<Uuid>>>,
    pub(super) resource_type: Option<String>,
}

/// Who may see a row version, as far as deciding the action needs.
#[derive(PartialEq, Eq, Debug)]
pub(super) struct Visibility {
    pub(super) owner: Option<Uuid>,
    pub(super) shared: bool,
    pub(super) mode: Option<String>,
    /// Sorted and without repeats: the list is compared as a set.
    pub(super) with: Option<Vec<Option<Uuid>>>,
}

impl State {
    pub(super) fn visibility(&self) -> Visibility {
        Visibility {
            owner: self.owner,
            shared: self.shared == Some(true),
            mode: self.mode.clone(),
            with: self.with.as_ref().map(|list| {
                let mut set = list.clone();
                set.sort_unstable();
                set.dedup();
                set
            }),
        }
    }
}

/// A row version's sharing columns as the trigger works with them: what
/// decides the action, and the recorded JSON.
pub(super) struct Decoded {
    pub(super) visibility: Visibility,
    pub(super) json: Rc<str>,
}

/// A row version's columns, deformed once.
pub(super) struct Deformed {
    values: Vec<pg_sys::Datum>,
    nulls: Vec<bool>,
}

impl Deformed {
    /// Deforms every column of the trigger's tuple.
    ///
    /// # Safety
    /// `tuple` and `tupdesc` must be the trigger's tuple and its relation's
    /// descriptor; the datums point into the tuple, valid while it is.
    pub(super) unsafe fn read(
        tuple: *mut pg_sys::HeapTupleData,
        tupdesc: pg_sys::TupleDesc,
    ) -> Deformed {
        // SAFETY: per this function's contract; the arrays hold natts entries.
        unsafe {
            let natts = (*tupdesc).natts.max(0) as usize;
            let mut values = vec![pg_sys::Datum::from(0); natts];
            let mut nulls = vec![true; natts];
            pg_sys::heap_deform_tuple(tuple, tupdesc, values.as_mut_ptr(), nulls.as_mut_ptr());
            Deformed { values, nulls }
        }
    }

    /// The value of column `attno` (from 1), None when null.
    pub(super) fn get(&self, attno: NonZeroUsize) -> Option<pg_sys::Datum> {
        let i = attno.get() - 1;
        (!self.nulls.get(i).copied().unwrap_or(true)).then(|| self.values[i])
    }
}

/// A decoded row version and the raw bytes of its sharing columns.
type Remembered = (Vec<u8>, Rc<Decoded>);

thread_local! {
    /// The last old and new row version decoded, by the raw bytes of their
    /// sharing columns: a bulk change mostly sees the same states over and
    /// over, and equal bytes are equal values.
    static LAST: RefCell<[Option<Remembered>; 2]> = const { RefCell::new([None, None]) };
    /// Where the raw bytes of the current row version are gathered.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Which of a record's two states.
#[derive(Clone, Copy)]
pub(super) enum Side {
    Old = 0,
    New = 1,
}

/// The bytes of a plain (not toasted, not compressed) varlena's data, or
/// None.
///
/// # Safety
/// `datum` points to a varlena.
unsafe fn plain_varlena<'a>(datum: pg_sys::Datum) -> Option<&'a [u8]> {
    let ptr = datum.cast_mut_ptr::<pg_sys::varlena>();
    // SAFETY: per this function's contract; header reads in Rust.
    unsafe {
        if pgrx::varlena::varatt_is_1b_e(ptr) || pgrx::varlena::varatt_is_4b_c(ptr) {
            return None;
        }
        Some(std::slice::from_raw_parts(
            pgrx::varlena::vardata_any(ptr).cast::<u8>(),
            pgrx::varlena::varsize_any_exhdr(ptr),
        ))
    }
}

/// Gathers the raw bytes of the sharing columns into `key`; false when a
/// value is toasted or compressed (then it is decoded every time).
///
/// # Safety
/// `row` is a row version of the relation `layout` describes.
unsafe fn raw_key(row: &Deformed, layout: &Layout, key: &mut Vec<u8>) -> bool {
    key.clear();
    for (attno, column) in layout.columns.iter().zip(COLUMNS) {
        let Some(datum) = row.get(*attno) else {
            key.push(0);
            continue;
        };
        key.push(1);
        match column {
            Column::IsShared => key.push(datum.value() as u8),
            // SAFETY: a uuid datum points to its 16 bytes.
            Column::TenantId => key.extend_from_slice(unsafe {
                std::slice::from_raw_parts(datum.cast_mut_ptr::<u8>(), 16)
            }),
            // SAFETY: text, varchar and uuid[] are varlenas.
            _ => match unsafe { plain_varlena(datum) } {
                Some(bytes) => {
                    key.extend_from_slice(&(bytes.len() as u32).to_ne_bytes());
                    key.extend_from_slice(bytes);
                }
                None => return false,
            },
        }
    }
    true
}

/// A row version's sharing state, decoded, its visibility and its JSON;
/// the previous one of this side again when the raw bytes are the same.
///
/// # Safety
/// `row` is a row version of the relation `layout` describes.
pub(super) unsafe fn decode(side: Side, row: &Deformed, layout: &Layout) -> Rc<Decoded> {
    SCRATCH.with_borrow_mut(|key| {
        // SAFETY: per this function's contract.
        let cacheable = unsafe { raw_key(row, layout, key) };
        if cacheable {
            let hit = LAST.with_borrow(|last| {
                last[side as usize]
                    .as_ref()
                    .filter(|(raw, _)| raw == key)
                    .map(|(_, decoded)| decoded.clone())
            });
            if let Some(decoded) = hit {
                return decoded;
            }
        }
        // SAFETY: per this function's contract.
        let state = unsafe { read_state(row, layout) };
        let decoded = Rc::new(Decoded {
            visibility: state.visibility(),
            json: state_json(&state).into(),
        });
        if cacheable {
            LAST.with_borrow_mut(|last| {
                last[side as usize] = Some((std::mem::take(key), decoded.clone()));
            });
        }
        decoded
    })
}

/// Reads a row version's sharing columns.
///
/// # Safety
/// `row` is a row version of the relation `layout` describes.
unsafe fn read_state(row: &Deformed, layout: &Layout) -> State {
    let values: Vec<Option<pg_sys::Datum>> = layout.columns.iter().map(|a| row.get(*a)).collect();
    // SAFETY: each datum comes from a column checked to be of the type read
    // (varchar is read as text: same representation).
    unsafe {
        State {
            owner: values[0]
                .and_then(|d| pgrx::Uuid::from_datum(d, false))
                .map(from_pg),
            shared: values[1].and_then(|d| bool::from_datum(d, false)),
            mode: values[2].and_then(|d| String::from_datum(d, false)),
            with: values[3]
                .and_then(|d| Array::<pgrx::Uuid>::from_datum(d, false))
                .map(|list| list.iter().map(|m| m.map(from_pg)).collect()),
            resource_type: values[4].and_then(|d| String::from_datum(d, false)),
        }
    }
}

/// The recorded state of a row version: the JSON text of what
/// `jsonb_build_object('tenant_id', …, 'is_shared', …, 'sharing_mode', …,
/// 'shared_with', …, 'resource_type', …)` gives for its sharing columns.
pub(super) fn state_json(state: &State) -> String {
    use serde_json::Value;
    let uuid = |u: &Option<Uuid>| {
        u.map(|u| Value::String(u.to_string()))
            .unwrap_or(Value::Null)
    };
    let text = |t: &Option<String>| t.clone().map(Value::String).unwrap_or(Value::Null);
    let values = [
        uuid(&state.owner),
        state.shared.map(Value::Bool).unwrap_or(Value::Null),
        text(&state.mode),
        state
            .with
            .as_ref()
            .map(|list| Value::Array(list.iter().map(uuid).collect()))
            .unwrap_or(Value::Null),
        text(&state.resource_type),
    ];
    let object: serde_json::Map<String, Value> = COLUMNS
        .iter()
        .map(|c| c.name().to_string())
        .zip(values)
        .collect();
    Value::Object(object).to_string()
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;
    use uuid::Uuid;

    use super::{state_json, State};
    use crate::ids::to_pg;
    use crate::testing::exec;

    const A: Uuid = Uuid::from_u128(0xa0000000_0000_4000_8000_000000000001);
    const B: Uuid = Uuid::from_u128(0xb0000000_0000_4000_8000_000000000002);

    fn states() -> Vec<State> {
        vec![
            State {
                owner: Some(A),
                shared: Some(false),
                mode: Some("private".into()),
                with: Some(vec![]),
                resource_type: Some("custom".into()),
            },
            State {
                owner: Some(A),
                shared: Some(true),
                mode: Some("selective".into()),
                with: Some(vec![Some(B), None, Some(B)]),
                resource_type: Some("platform".into()),
            },
            State {
                owner: None,
                shared: None,
                mode: None,
                with: None,
                resource_type: None,
            },
            State {
                owner: Some(B),
                shared: Some(true),
                mode: Some("it's \"quoted\" \\ ünïcode".into()),
                with: Some(vec![None]),
                resource_type: Some("custom".into()),
            },
        ]
    }

    /// Our JSON is what PostgreSQL's jsonb_build_object gives for the same
    /// columns, and reads back (natively, as the trail's policy reads it)
    /// to the same owner and list.
    #[pg_test]
    fn state_json_round_trips_through_jsonb() {
        for state in states() {
            let json = state_json(&state);
            let with: Option<Vec<Option<pgrx::Uuid>>> = state
                .with
                .as_ref()
                .map(|list| list.iter().map(|m| m.map(to_pg)).collect());
            let same = Spi::connect(|client| {
                client
                    .select(
                        "select $1::jsonb = jsonb_build_object('tenant_id', $2::uuid,
                                'is_shared', $3::boolean, 'sharing_mode', $4::text,
                                'shared_with', $5::uuid[], 'resource_type', $6::text)",
                        Some(1),
                        &[
                            json.as_str().into(),
                            state.owner.map(to_pg).into(),
                            state.shared.into(),
                            state.mode.as_deref().into(),
                            with.into(),
                            state.resource_type.as_deref().into(),
                        ],
                    )?
                    .first()
                    .get_one::<bool>()
            })
            .expect("the comparison runs");
            assert_eq!(same, Some(true), "{json}");
            for tenant in [A, B] {
                let listed = state
                    .with
                    .as_ref()
                    .is_some_and(|list| list.contains(&Some(tenant)));
                let expected = state.owner == Some(tenant) || listed;
                exec(&format!("set vital.tenant_id = '{tenant}'"));
                for (old, new) in [("$1", "null"), ("null", "$1")] {
                    let read = Spi::connect(|client| {
                        client
                            .select(
                                &format!("select vital.can_read_sharing_audit(null, {old}::jsonb, {new}::jsonb)"),
                                Some(1),
                                &[json.as_str().into()],
                            )?
                            .first()
                            .get_one::<bool>()
                    })
                    .expect("the read check runs");
                    assert_eq!(read, Some(expected), "{json} read by {tenant}");
                }
            }
        }
        exec("reset vital.tenant_id");
    }
}
