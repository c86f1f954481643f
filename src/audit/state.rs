//! A row version's sharing columns, decoded from the trigger's tuple, and
//! the JSON the trail records them as.

use std::cell::RefCell;
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use uuid::Uuid;

use crate::ids::from_pg;
use crate::vocabulary::COLUMNS;

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

/// A state and its JSON text.
type Interned = (State, Rc<str>);

thread_local! {
    /// The last old and new state recorded, with their JSON text.
    static LAST_STATES: RefCell<[Option<Interned>; 2]> = const { RefCell::new([None, None]) };
}

/// Which of a record's two states.
#[derive(Clone, Copy)]
pub(super) enum Side {
    Old = 0,
    New = 1,
}

/// Reads a row version's sharing columns.
///
/// # Safety
/// `tuple` and `tupdesc` must be the trigger's tuple and its relation's
/// descriptor, and `layout` that relation's.
pub(super) unsafe fn read_state(
    tuple: *mut pg_sys::HeapTupleData,
    tupdesc: pg_sys::TupleDesc,
    layout: &Layout,
) -> State {
    let mut values = [None; 5];
    for (value, attno) in values.iter_mut().zip(layout.columns) {
        // SAFETY: per this function's contract.
        *value = unsafe { pgrx::heap_getattr_raw(tuple, attno, tupdesc) };
    }
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

/// The JSON text of a state, shared with the previous record's when the
/// state is the same: a bulk change mostly records the same states over and
/// over.
pub(super) fn intern(side: Side, state: State) -> Rc<str> {
    LAST_STATES.with_borrow_mut(|last| {
        let slot = &mut last[side as usize];
        if let Some((kept, text)) = slot {
            if *kept == state {
                return text.clone();
            }
        }
        let text: Rc<str> = state_json(&state).into();
        *slot = Some((state, text.clone()));
        text
    })
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
