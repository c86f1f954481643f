//! The three settings behind the tenant context.
//!
//! The context lives in PostgreSQL's own setting machinery, so `SET LOCAL`
//! lifetimes, rollback, `ROLLBACK TO SAVEPOINT`, `RESET ALL`, `DISCARD ALL`
//! and the copy handed to parallel workers all come from PostgreSQL and stay
//! correct. The settings are superuser-only (`Suset`): a client can read them
//! but never assign them; only the native functions in `context` assign them,
//! after their checks (in `session`).
//!
//! This module is at the bottom of the layers: what must happen when the
//! context changes (invalidating plans) is passed in by `lib.rs`.

use std::ffi::{c_char, c_void, CStr, CString};

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::errors::INVALID_TEXT_REPRESENTATION;

pub(crate) const TENANT_ID: &CStr = c"vital.tenant_id";
pub(crate) const USER_ID: &CStr = c"vital.user_id";
pub(crate) const TRUST_JWT_CLAIMS: &CStr = c"vital.trust_jwt_claims";
pub(crate) const AUDIT_BUFFER_RECORDS: &CStr = c"vital.audit_buffer_records";
/// The setting PostgREST writes for every request.
pub(crate) const JWT_CLAIMS: &CStr = c"request.jwt.claims";

/// The tenant the session acts for: a UUID, or empty when unset.
pub(crate) static TENANT_ID_SETTING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(None);
/// The person the session acts for: a UUID, or empty when unset.
pub(crate) static USER_ID_SETTING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(None);
/// Whether the `sub` claim of `request.jwt.claims` names the user when no
/// user context is set. Superuser-only: turning it on is a decision about
/// which clients can write that setting.
pub(crate) static TRUST_JWT_CLAIMS_SETTING: GucSetting<bool> = GucSetting::<bool>::new(false);
/// How many sharing records one statement may keep in backend memory
/// before the row trigger writes them itself (about 170 bytes each). A
/// statement's records are written sorted in one pass when they fit: a
/// second pass inserts into the middle of the trail's history index, which
/// makes every record of it cost about twice as much.
pub(crate) static AUDIT_BUFFER_RECORDS_SETTING: GucSetting<i32> = GucSetting::<i32>::new(200_000);

/// An assign hook of a context setting: runs on every change, including
/// rollbacks, resets and `DISCARD ALL`.
pub(crate) type ContextChanged = unsafe extern "C-unwind" fn(*const c_char, *mut c_void);

/// Registers the settings. Their flags, and why:
/// - `vital.tenant_id`, `vital.user_id`: `Suset` so that no client can
///   assign them (only our checked functions do, with superuser authority);
///   no flags, so they are shown, reset by `RESET ALL` and `DISCARD ALL`,
///   and copied into parallel workers like any setting;
/// - `vital.trust_jwt_claims`: `Suset`, because turning it on is a decision
///   about which clients can write `request.jwt.claims`; default flags;
/// - `vital.audit_buffer_records`: `Suset`, because it spends the backend's
///   memory (like `work_mem`, but a client has no reason to raise it).
pub(crate) fn init(tenant_changed: ContextChanged, user_changed: ContextChanged) {
    // SAFETY: the hooks are #[pg_guard] functions that cannot unwind into
    // PostgreSQL, and the settings are 'static.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            TENANT_ID,
            c"The tenant this session acts for.",
            c"Set only through vital.set_tenant_context(), which checks membership.",
            &TENANT_ID_SETTING,
            GucContext::Suset,
            GucFlags::empty(),
            Some(check_uuid_or_empty),
            Some(tenant_changed),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            USER_ID,
            c"The user this session acts for.",
            c"Set only through vital.set_user_context(), which the DBA grants to the application's role.",
            &USER_ID_SETTING,
            GucContext::Suset,
            GucFlags::empty(),
            Some(check_uuid_or_empty),
            Some(user_changed),
            None,
        );
    }
    GucRegistry::define_bool_guc(
        TRUST_JWT_CLAIMS,
        c"Take the user from the sub claim of request.jwt.claims when no user context is set.",
        c"Safe only when no client can run its own SQL, as behind PostgREST.",
        &TRUST_JWT_CLAIMS_SETTING,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        AUDIT_BUFFER_RECORDS,
        c"Sharing audit records a statement keeps in memory before writing them.",
        c"A statement that changes the sharing of more rows writes its records in several passes, each slower.",
        &AUDIT_BUFFER_RECORDS_SETTING,
        1_000,
        10_000_000,
        GucContext::Suset,
        GucFlags::default(),
    );
    reserve_prefix();
}

/// Claims the `vital.` prefix: a placeholder such as a misspelt
/// `vital.tenant` is dropped, and a later `SET vital.anything` that is not
/// ours fails instead of silently creating a setting nobody reads.
fn reserve_prefix() {
    // SAFETY: called from _PG_init with a static C string.
    #[cfg(not(any(feature = "pg13", feature = "pg14")))]
    unsafe {
        pg_sys::MarkGUCPrefixReserved(c"vital".as_ptr());
    }
    #[cfg(any(feature = "pg13", feature = "pg14"))]
    unsafe {
        pg_sys::EmitWarningsOnPlaceholders(c"vital".as_ptr());
    }
}

/// Only the canonical empty value or a UUID may be stored, even by a
/// superuser's `SET`, so readers never meet anything else.
#[pg_guard]
unsafe extern "C-unwind" fn check_uuid_or_empty(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: PostgreSQL hands the hook a valid pointer to a NUL-terminated string (or NULL).
    let value = unsafe {
        let raw = *newval;
        if raw.is_null() {
            return true;
        }
        CStr::from_ptr(raw).to_bytes()
    };
    if value.is_empty() || uuid::Uuid::try_parse_ascii(value).is_ok() {
        return true;
    }
    // SAFETY: these are PostgreSQL's documented way for a check hook to shape its error.
    unsafe {
        pg_sys::GUC_check_errcode(INVALID_TEXT_REPRESENTATION as i32);
        pg_sys::GUC_check_errdetail_string =
            pg_sys::pstrdup(c"The value must be a UUID, or empty for none.".as_ptr());
    }
    false
}

/// Calls `f` with the raw bytes of one of our string settings, without
/// copying them. The borrow ends with `f`: PostgreSQL frees the string when
/// the setting next changes, which nothing `f` does here can cause.
pub(crate) fn with_value<R>(
    setting: &'static GucSetting<Option<CString>>,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    // SAFETY: PostgreSQL owns the string and keeps the pointer either NULL
    // or pointing at a NUL-terminated value; we only read it, within f.
    let bytes = unsafe {
        let raw = *setting.as_ptr();
        if raw.is_null() {
            &b""[..]
        } else {
            CStr::from_ptr(raw).to_bytes()
        }
    };
    f(bytes)
}

/// Calls `f` with the value of a setting we do not own (such as
/// `request.jwt.claims`), or None when it does not exist in this session.
/// Borrowed for the duration of `f`, not copied.
pub(crate) fn with_foreign_value<R>(name: &CStr, f: impl FnOnce(Option<&[u8]>) -> R) -> R {
    // SAFETY: GetConfigOption with missing_ok returns NULL or a pointer into
    // the setting's storage, valid until the setting changes (not within f).
    let bytes = unsafe {
        let raw = pg_sys::GetConfigOption(name.as_ptr(), true, false);
        if raw.is_null() {
            None
        } else {
            Some(CStr::from_ptr(raw).to_bytes())
        }
    };
    f(bytes)
}

/// How long an assignment lasts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lifetime {
    Session,
    Transaction,
}

impl Lifetime {
    pub(crate) fn from_is_local(is_local: bool) -> Self {
        if is_local {
            Lifetime::Transaction
        } else {
            Lifetime::Session
        }
    }
}

/// Assigns one of our settings through PostgreSQL's machinery, with superuser
/// authority: the callers in `session` have done the checks that authority
/// stands for. Behaves exactly like `SET` / `SET LOCAL` from there on.
pub(crate) fn assign(name: &CStr, value: &str, lifetime: Lifetime) {
    let value = CString::new(value).expect("a UUID or empty string has no NUL byte");
    let action = match lifetime {
        Lifetime::Session => pg_sys::GucAction::GUC_ACTION_SET,
        Lifetime::Transaction => pg_sys::GucAction::GUC_ACTION_LOCAL,
    };
    // SAFETY: both strings are valid for the call; errors (for instance in a
    // parallel worker) are raised by PostgreSQL as ordinary ERRORs.
    unsafe {
        pg_sys::set_config_option(
            name.as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_SESSION,
            action,
            true,
            pgrx::PgLogLevel::ERROR as i32,
            false,
        );
    }
}
