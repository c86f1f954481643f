//! The oids of the extension's own functions, looked up by name (an
//! extension's functions have no fixed oids) once per backend, and
//! forgotten whenever a pg_proc row changes (the extension may be dropped
//! and created again).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::CStr;

use pgrx::pg_sys::{self, Oid};
use pgrx::prelude::*;

thread_local! {
    static KNOWN: RefCell<HashMap<(&'static CStr, Vec<Oid>), Oid>> = RefCell::new(HashMap::new());
    /// Set while we call pg_proc's callbacks ourselves to re-plan (no row
    /// changed then): the oids stay known.
    static REPLANNING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `invalidate`, which calls pg_proc's syscache callbacks to mark plans
/// for re-planning without any pg_proc row having changed, keeping the oids
/// known (each context change does this; forgetting them made the next
/// statement look every one up again).
pub(crate) fn replanning<R>(invalidate: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            REPLANNING.set(self.0);
        }
    }
    let _reset = Reset(REPLANNING.replace(true));
    invalidate()
}

/// `vital.<name>(<argument types>)`, if it exists.
pub(crate) fn ours(name: &'static CStr, argument_types: &[Oid]) -> Option<Oid> {
    let key = (name, argument_types.to_vec());
    if let Some(found) = KNOWN.with_borrow(|known| known.get(&key).copied()) {
        return Some(found);
    }
    // SAFETY: builds a qualified name list in the current memory context
    // and looks it up (a catalog cache search) with missing_ok.
    let function = unsafe {
        let mut qualified = std::ptr::null_mut();
        for part in [c"vital", name] {
            let word = pg_sys::makeString(pg_sys::pstrdup(part.as_ptr()));
            qualified = pg_sys::lappend(qualified, word.cast());
        }
        pg_sys::LookupFuncName(
            qualified,
            argument_types.len() as i32,
            argument_types.as_ptr(),
            true,
        )
    };
    if function == pg_sys::InvalidOid {
        return None;
    }
    KNOWN.with_borrow_mut(|known| known.insert(key, function));
    Some(function)
}

/// Syscache callback on pg_proc (registered in `_PG_init`).
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn function_changed(
    _arg: pg_sys::Datum,
    _cache_id: i32,
    _hash: u32,
) {
    if REPLANNING.get() {
        return;
    }
    // try_borrow: a lookup in progress may be interrupted by the callback.
    KNOWN.with(|known| {
        if let Ok(mut known) = known.try_borrow_mut() {
            known.clear();
        }
    });
}
