//! The CHECK constraint `enable_tenancy` adds to every protected table, as
//! one native function: PostgreSQL reads a CHECK expression from its stored
//! text and prepares it again for every INSERT and UPDATE statement, so its
//! size is paid on each one-row write (the three declarative CHECKs of
//! version 0.1.0 cost a tenth of such a write).

use pgrx::pg_sys;
use pgrx::varlena::varlena_to_byte_slice;

use crate::vocabulary::{
    PRIVATE, RESOURCE_TYPES, SHARING_CHECK, SHARING_CHECK_FUNCTION, SHARING_MODES,
};

/// Whether a row's sharing columns are consistent: a known sharing mode, a
/// known resource type, and `is_shared` true exactly when the mode is not
/// `private` (the plan-time rewrite relies on that tie). Compared as bytes,
/// whatever the columns' collation and the database's encoding (a drifted
/// value that is not UTF-8 is simply not one of the words).
fn columns_valid(is_shared: bool, sharing_mode: &[u8], resource_type: &[u8]) -> bool {
    let known = |words: &[&str], value: &[u8]| words.iter().any(|w| w.as_bytes() == value);
    known(SHARING_MODES, sharing_mode)
        && known(RESOURCE_TYPES, resource_type)
        && is_shared == (sharing_mode != PRIVATE.as_bytes())
}

/// `vital.sharing_columns_valid(boolean, text, text)`, declared STRICT in
/// `sql/installer.sql`: written by hand so the text arguments are read as
/// bytes (pgrx's `&str` fails on bytes that are not UTF-8).
///
/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo` of three
/// non-null arguments typed as in `sql/installer.sql`.
#[pgrx::pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn sharing_columns_valid_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: per this function's contract (STRICT: no argument is null);
    // detoasting copies into the current memory context.
    let valid = unsafe {
        let args = (*fcinfo).args.as_slice(3);
        let text = |i: usize| {
            varlena_to_byte_slice(pg_sys::pg_detoast_datum_packed(
                args[i].value.cast_mut_ptr(),
            ))
        };
        columns_valid(args[0].value.value() != 0, text(1), text(2))
    };
    pg_sys::Datum::from(valid)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_sharing_columns_valid_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
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
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn the_check_accepts_exactly_the_consistent_rows() {
        let cases: &[(bool, &[u8], &[u8], bool)] = &[
            (false, b"private", b"custom", true),
            (true, b"global", b"platform", true),
            (true, b"selective", b"solution", true),
            (true, b"global", b"industry", true),
            (true, b"private", b"custom", false),
            (false, b"global", b"custom", false),
            (false, b"selective", b"custom", false),
            (true, b"public", b"custom", false),
            (false, b"Private", b"custom", false),
            (false, b"private ", b"custom", false),
            (false, b"private", b"template", false),
            (false, b"private", b"", false),
            (false, b"priv\xe9", b"custom", false), // not UTF-8 (a LATIN1 database)
        ];
        for &(shared, mode, kind, valid) in cases {
            assert_eq!(
                super::columns_valid(shared, mode, kind),
                valid,
                "is_shared {shared}, sharing_mode {mode:?}, resource_type {kind:?}"
            );
        }
    }

    /// Through SQL: the text and varchar arguments, and STRICT.
    #[pg_test]
    fn the_check_is_callable_as_declared() {
        let answers: Vec<Option<bool>> = Spi::connect(|client| {
            client
                .select(
                    "select vital.sharing_columns_valid(v.s, v.m, v.k) as ok
                       from (values (1, true, 'global', 'platform'),
                                    (2, true, 'global'::varchar, 'custom'::varchar),
                                    (3, false, 'global', 'custom'),
                                    (4, null, 'private', 'custom')) as v(n, s, m, k)
                      order by v.n",
                    None,
                    &[],
                )?
                .map(|row| row.get::<bool>(1))
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("the check runs");
        assert_eq!(answers, [Some(true), Some(true), Some(false), None]);
    }
}
