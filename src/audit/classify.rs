//! Which action a change of a row records, if any.

use super::state::Visibility;

/// What a change did to a resource's sharing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Action {
    CreateShared,
    Share,
    Unshare,
    ChangeSharing,
    Transfer,
    DeleteShared,
}

impl Action {
    /// The word stored in `resource_sharing_audit.action`.
    pub(super) fn as_str(self) -> &'static str {
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

/// The action a change records, if any. An owner change is a transfer
/// whatever else changed with it. While a row stays private its list and
/// mode do not matter (nobody else sees it), so they record nothing.
/// `resource_type` is recorded in the states but never decides an action on
/// its own: it does not change who may read or change the row, and the
/// trail answers exactly that question; the type a resource had at each
/// sharing event is still in the row's states.
pub(super) fn classify(old: Option<&Visibility>, new: Option<&Visibility>) -> Option<Action> {
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

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;
    use uuid::Uuid;

    use super::{classify, Action};
    use crate::audit::state::State;
    use crate::testing::query_one;
    use crate::vocabulary::{Column, COLUMNS, DECIDING_COLUMNS};

    /// A change's name, old and new versions, and the action it records.
    type Case<'a> = (
        &'a str,
        Option<&'a State>,
        Option<&'a State>,
        Option<Action>,
    );

    const A: Uuid = Uuid::from_u128(0xa);
    const B: Uuid = Uuid::from_u128(0xb);
    const C: Uuid = Uuid::from_u128(0xc);

    fn row(owner: Uuid, mode: &str, with: &[Uuid], resource_type: &str) -> State {
        State {
            owner: Some(owner),
            shared: Some(mode != "private"),
            mode: Some(mode.to_string()),
            with: Some(with.iter().copied().map(Some).collect()),
            resource_type: Some(resource_type.to_string()),
        }
    }

    #[pg_test]
    fn every_change_gets_its_action() {
        let private = row(A, "private", &[], "custom");
        let global = row(A, "global", &[], "custom");
        let with_b = row(A, "selective", &[B], "custom");
        let with_b_c = row(A, "selective", &[B, C], "custom");
        let with_c_b_b = row(A, "selective", &[C, B, B], "custom");
        let private_with_list = row(A, "private", &[B], "custom");
        let b_private = row(B, "private", &[], "custom");
        let b_global = row(B, "global", &[], "custom");
        let platform_global = row(A, "global", &[], "platform");
        let cases: &[Case] = &[
            ("insert private", None, Some(&private), None),
            (
                "insert shared",
                None,
                Some(&global),
                Some(Action::CreateShared),
            ),
            (
                "insert selective",
                None,
                Some(&with_b),
                Some(Action::CreateShared),
            ),
            ("delete private", Some(&private), None, None),
            (
                "delete shared",
                Some(&with_b),
                None,
                Some(Action::DeleteShared),
            ),
            (
                "share globally",
                Some(&private),
                Some(&global),
                Some(Action::Share),
            ),
            (
                "share selectively",
                Some(&private),
                Some(&with_b),
                Some(Action::Share),
            ),
            (
                "unshare",
                Some(&global),
                Some(&private),
                Some(Action::Unshare),
            ),
            (
                "global to selective",
                Some(&global),
                Some(&with_b),
                Some(Action::ChangeSharing),
            ),
            (
                "list grows",
                Some(&with_b),
                Some(&with_b_c),
                Some(Action::ChangeSharing),
            ),
            (
                "list reordered, repeated",
                Some(&with_b_c),
                Some(&with_c_b_b),
                None,
            ),
            (
                "list of a private row",
                Some(&private),
                Some(&private_with_list),
                None,
            ),
            (
                "transfer private",
                Some(&private),
                Some(&b_private),
                Some(Action::Transfer),
            ),
            (
                "transfer and share",
                Some(&private),
                Some(&b_global),
                Some(Action::Transfer),
            ),
            ("type only", Some(&global), Some(&platform_global), None),
            ("nothing", Some(&global), Some(&global), None),
            ("no versions", None, None, None),
        ];
        for (name, old, new, expected) in cases {
            let old = old.map(State::visibility);
            let new = new.map(State::visibility);
            assert_eq!(classify(old.as_ref(), new.as_ref()), *expected, "{name}");
        }
    }

    /// The row triggers' WHEN conditions (`vocabulary::AuditTrigger`) may
    /// let through more than classify records, never less: an insert or a
    /// delete records only a row with `is_shared` true (the condition
    /// `NEW.is_shared` / `OLD.is_shared`), and an update that changes none
    /// of `DECIDING_COLUMNS` records nothing.
    #[pg_test]
    fn the_trigger_conditions_cover_every_record() {
        let mut states = vec![
            row(A, "private", &[], "custom"),
            row(A, "global", &[], "custom"),
            row(A, "selective", &[B, C], "platform"),
        ];
        let mut unknown = row(A, "global", &[], "custom");
        unknown.shared = None;
        states.push(unknown);
        for state in &states {
            let v = state.visibility();
            let shared = state.shared == Some(true);
            assert_eq!(
                classify(None, Some(&v)).is_some(),
                shared,
                "insert {state:?}"
            );
            assert_eq!(
                classify(Some(&v), None).is_some(),
                shared,
                "delete {state:?}"
            );
            for column in COLUMNS {
                if DECIDING_COLUMNS.contains(&column) {
                    continue;
                }
                let mut changed = state.clone();
                match column {
                    Column::ResourceType => changed.resource_type = Some("solution".into()),
                    other => unreachable!("{other:?} decides"),
                }
                assert_eq!(
                    classify(Some(&v), Some(&changed.visibility())),
                    None,
                    "{column:?} alone on {state:?}"
                );
            }
        }
    }

    #[pg_test]
    fn action_words_match_the_trail_check() {
        let words: Vec<&str> = [
            Action::CreateShared,
            Action::Share,
            Action::Unshare,
            Action::ChangeSharing,
            Action::Transfer,
            Action::DeleteShared,
        ]
        .iter()
        .map(|a| a.as_str())
        .collect();
        let allowed = query_one::<String>(
            "select pg_get_constraintdef(oid) from pg_constraint
              where conrelid = 'vital.resource_sharing_audit'::regclass and contype = 'c'
                and pg_get_constraintdef(oid) like '%action%'
                and pg_get_constraintdef(oid) not like '%old_state%'",
        )
        .expect("the action check exists");
        for word in words {
            assert!(
                allowed.contains(&format!("'{word}'")),
                "{word} in {allowed}"
            );
        }
    }
}
