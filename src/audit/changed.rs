//! `vital.sharing_changed(...)`, the update trigger's WHEN condition: whether
//! an update changed any column that can make `classify` record it.
//!
//! One native call rather than four `IS DISTINCT FROM`s, because PostgreSQL
//! reads a trigger's WHEN condition from its stored text and prepares it
//! again for every UPDATE statement: the four comparisons were 1.6 kB of
//! node text, a twentieth of a one-row update. Values are compared as
//! stored bytes (after detoasting), which is `IS DISTINCT FROM` under
//! `COLLATE "C"` for text and at least as strict for arrays: a condition may
//! let through more than classify records, never less.

use pgrx::pg_sys;
use pgrx::varlena::{varlena_to_byte_slice, varsize_any};

/// The arguments, in pairs (old, new): tenant_id, is_shared, sharing_mode,
/// shared_with.
const PAIRS: [(usize, Kind); 4] = [
    (0, Kind::Uuid),
    (2, Kind::Bool),
    (4, Kind::Varlena),
    (6, Kind::Varlena),
];

#[derive(Clone, Copy)]
enum Kind {
    Uuid,
    Bool,
    Varlena,
}

/// Whether two non-null values of `kind` are stored alike.
///
/// # Safety
/// Both datums must be non-null values of `kind`.
unsafe fn same(kind: Kind, old: pg_sys::Datum, new: pg_sys::Datum) -> bool {
    // SAFETY: per this function's contract: a uuid points to 16 bytes, a
    // varlena to its header; detoasting copies into the current (per-tuple)
    // memory context.
    unsafe {
        match kind {
            Kind::Bool => old.value() == new.value(),
            Kind::Uuid => {
                std::slice::from_raw_parts(old.cast_mut_ptr::<u8>(), 16)
                    == std::slice::from_raw_parts(new.cast_mut_ptr::<u8>(), 16)
            }
            Kind::Varlena => {
                let (a, b) = (
                    old.cast_mut_ptr::<pg_sys::varlena>(),
                    new.cast_mut_ptr::<pg_sys::varlena>(),
                );
                if a == b || raw_bytes(a) == raw_bytes(b) {
                    // the same bytes, toast pointer included: an unchanged
                    // column of an updated row keeps its toast pointer
                    return true;
                }
                let (a, b) = (
                    pg_sys::pg_detoast_datum_packed(a),
                    pg_sys::pg_detoast_datum_packed(b),
                );
                varlena_to_byte_slice(a) == varlena_to_byte_slice(b)
            }
        }
    }
}

/// A varlena's bytes as stored (header included; a toast pointer's own).
///
/// # Safety
/// `v` must point to a valid varlena.
unsafe fn raw_bytes<'a>(v: *const pg_sys::varlena) -> &'a [u8] {
    // SAFETY: per this function's contract; varsize_any reads the header.
    unsafe { std::slice::from_raw_parts(v.cast::<u8>(), varsize_any(v)) }
}

/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo` of eight
/// arguments typed as in `sql/audit.sql`.
#[pgrx::pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn sharing_changed_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: per this function's contract: the function manager passes
    // eight arguments (the SQL declaration says so).
    let changed = unsafe {
        let args = (*fcinfo).args.as_slice(8);
        PAIRS.iter().any(|&(i, kind)| {
            let (old, new) = (&args[i], &args[i + 1]);
            match (old.isnull, new.isnull) {
                (true, true) => false,
                (false, false) => !same(kind, old.value, new.value),
                _ => true,
            }
        })
    };
    pg_sys::Datum::from(changed)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_sharing_changed_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn changed(arguments: &str) -> bool {
        Spi::connect(|client| {
            client
                .select(
                    &format!("select vital.sharing_changed({arguments})"),
                    None,
                    &[],
                )?
                .first()
                .get_one::<bool>()
        })
        .expect("sharing_changed runs")
        .expect("sharing_changed returns a boolean")
    }

    #[pg_test]
    fn sharing_changed_sees_every_change_of_the_deciding_columns() {
        let t1 = "'10000000-0000-4000-8000-000000000001'::uuid";
        let t2 = "'10000000-0000-4000-8000-000000000002'::uuid";
        let big = "(select array_agg(gen_random_uuid()) from generate_series(1, 5000))";
        let cases: Vec<(String, bool)> = vec![
            (format!("{t1}, {t1}, false, false, 'private', 'private', '{{}}', '{{}}'"), false),
            (format!("{t1}, {t2}, false, false, 'private', 'private', '{{}}', '{{}}'"), true),
            (format!("{t1}, {t1}, false, true, 'private', 'private', '{{}}', '{{}}'"), true),
            (format!("{t1}, {t1}, true, true, 'global', 'selective', '{{}}', '{{}}'"), true),
            (format!("{t1}, {t1}, true, true, 'global', 'Global', '{{}}', '{{}}'"), true),
            (format!("{t1}, {t1}, true, true, 'selective', 'selective', array[{t1}], array[{t1}]"), false),
            (format!("{t1}, {t1}, true, true, 'selective', 'selective', array[{t1}], array[{t2}]"), true),
            (format!("{t1}, {t1}, true, true, 'selective', 'selective', array[{t1}], array[{t1}, {t2}]"), true),
            ("null, null, null, null, null, null, null, null".to_string(), false),
            (format!("null, {t1}, false, false, 'private', 'private', '{{}}', '{{}}'"), true),
            (format!("{t1}, {t1}, false, false, 'private', 'private', '{{}}', null"), true),
            // a long list (in memory here; stored out of line in audit_trigger_events), equal by value
            (format!("{t1}, {t1}, true, true, 'selective', 'selective', a, a) from {big} as l(a"), false),
            (format!("{t1}, {t1}, true, true, 'selective', 'selective', a, a || {t1}) from {big} as l(a"), true),
        ];
        for (arguments, expected) in cases {
            assert_eq!(
                changed(&arguments),
                expected,
                "sharing_changed({arguments})"
            );
        }
    }
}
