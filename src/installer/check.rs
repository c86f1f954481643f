//! The CHECK constraint `enable_tenancy` adds to every protected table, as
//! one native function: PostgreSQL reads a CHECK expression from its stored
//! text and prepares it again for every INSERT and UPDATE statement, so its
//! size is paid on each one-row write (the three declarative CHECKs of
//! version 0.1.0 cost a tenth of such a write).

use pgrx::prelude::*;

use crate::vocabulary::{
    PRIVATE, RESOURCE_TYPES, SHARING_CHECK, SHARING_CHECK_FUNCTION, SHARING_MODES,
};

/// Whether a row's sharing columns are consistent: a known sharing mode, a
/// known resource type, and `is_shared` true exactly when the mode is not
/// `private` (the plan-time rewrite relies on that tie). Compared byte for
/// byte, whatever the columns' collation.
#[pg_extern(immutable, strict, parallel_safe)]
fn sharing_columns_valid(is_shared: bool, sharing_mode: &str, resource_type: &str) -> bool {
    SHARING_MODES.contains(&sharing_mode)
        && RESOURCE_TYPES.contains(&resource_type)
        && is_shared == (sharing_mode != PRIVATE)
}

/// The constraint as `ALTER TABLE ... ADD` takes it.
pub(super) fn add_sql() -> String {
    format!(
        "ADD CONSTRAINT {SHARING_CHECK} CHECK (vital.{SHARING_CHECK_FUNCTION}(is_shared, sharing_mode, resource_type))"
    )
}

/// The constraint as `pg_get_constraintdef` shows it (search_path pinned, so
/// `vital.` is shown); a varchar column is passed as text.
pub(super) fn shown(mode_is_varchar: bool, type_is_varchar: bool) -> String {
    let as_text = |column: &str, varchar: bool| {
        if varchar {
            format!("({column})::text")
        } else {
            column.to_string()
        }
    };
    format!(
        "CHECK (vital.{SHARING_CHECK_FUNCTION}(is_shared, {}, {}))",
        as_text("sharing_mode", mode_is_varchar),
        as_text("resource_type", type_is_varchar)
    )
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn the_check_accepts_exactly_the_consistent_rows() {
        let cases: &[(bool, &str, &str, bool)] = &[
            (false, "private", "custom", true),
            (true, "global", "platform", true),
            (true, "selective", "solution", true),
            (true, "global", "industry", true),
            (true, "private", "custom", false),
            (false, "global", "custom", false),
            (false, "selective", "custom", false),
            (true, "public", "custom", false),
            (false, "Private", "custom", false),
            (false, "private", "template", false),
            (false, "private", "", false),
        ];
        for &(shared, mode, kind, valid) in cases {
            assert_eq!(
                super::sharing_columns_valid(shared, mode, kind),
                valid,
                "is_shared {shared}, sharing_mode {mode:?}, resource_type {kind:?}"
            );
        }
    }
}
