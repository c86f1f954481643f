//! Hand-written version-1 entry points for our trigger functions.
//!
//! pgrx's `#[pg_trigger]` wrapper fails with an internal error (XX000) when
//! the function is called outside a trigger; these raise 39P01 instead, and
//! keep the symbol names SQL's `CREATE FUNCTION … AS 'MODULE_PATHNAME',
//! '<symbol>'` refers to.

use pgrx::pg_sys;

use crate::errors::{error, TRIGGER_PROTOCOL_VIOLATED};

/// Defines the C entry point `$symbol` (with its `pg_finfo_` record
/// `$finfo`) that runs `$body(&TriggerData)` when called as a trigger, or
/// raises 39P01 naming `$sql_name` when called some other way.
macro_rules! trigger_entry_point {
    ($symbol:ident, $finfo:ident, $sql_name:literal, $body:path) => {
        /// # Safety
        /// Called by PostgreSQL's function manager with a valid `fcinfo`.
        #[pgrx::pg_guard]
        #[no_mangle]
        #[doc(hidden)]
        pub unsafe extern "C-unwind" fn $symbol(
            fcinfo: pgrx::pg_sys::FunctionCallInfo,
        ) -> pgrx::pg_sys::Datum {
            // SAFETY: per this function's contract.
            let Some(data) = (unsafe { $crate::trigger_entry::trigger_data(fcinfo) }) else {
                $crate::trigger_entry::not_called_as_trigger($sql_name)
            };
            $body(data);
            // AFTER and statement triggers' results are ignored; the
            // protocol wants a null pointer (not an SQL null).
            pgrx::pg_sys::Datum::from(0)
        }

        #[no_mangle]
        #[doc(hidden)]
        pub extern "C" fn $finfo() -> &'static pgrx::pg_sys::Pg_finfo_record {
            const V1: pgrx::pg_sys::Pg_finfo_record =
                pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
            &V1
        }
    };
}
pub(crate) use trigger_entry_point;

/// The trigger data of a trigger call, or None when the function was called
/// some other way.
///
/// # Safety
/// `fcinfo` must be the function manager's call information.
pub(crate) unsafe fn trigger_data<'a>(
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<&'a pg_sys::TriggerData> {
    // SAFETY: per this function's contract; the context is read as
    // TriggerData only when its node tag says it is one (CALLED_AS_TRIGGER).
    unsafe {
        if pgrx::trigger_support::called_as_trigger(fcinfo) {
            ((*fcinfo).context as *const pg_sys::TriggerData).as_ref()
        } else {
            None
        }
    }
}

pub(crate) fn not_called_as_trigger(function: &str) -> ! {
    error(
        TRIGGER_PROTOCOL_VIOLATED,
        format!("{function} can only be called as a trigger"),
    )
    .raise()
}
