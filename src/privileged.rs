//! Reading and writing the registry with the registry owner's rights.
//!
//! The registry tables are under RLS for the people reading them, and
//! nobody but this extension writes them. The native functions therefore run
//! as the caller (so `superuser()` and EXECUTE checks see the real caller) and
//! raise their rights only around their own fixed queries, the way
//! PostgreSQL's foreign-key triggers do. The search_path is pinned for that
//! span, so no operator or type can be redirected by the caller's path.

use pgrx::pg_sys;

/// Runs `f` as the bootstrap superuser with `search_path` pinned to
/// `pg_catalog, pg_temp`. If `f` raises an error, the (sub)transaction abort
/// that follows restores the user and the setting, as it does for
/// `SECURITY DEFINER` functions.
pub(crate) fn as_registry_owner<R>(f: impl FnOnce() -> R) -> R {
    as_role(pg_sys::Oid::from_u32(pg_sys::BOOTSTRAP_SUPERUSERID), 0, f)
}

/// Runs `f` as a table's owner, exempt from FORCE ROW LEVEL SECURITY (as
/// PostgreSQL's own foreign-key checks are): how PostgreSQL runs index builds
/// and VACUUM on a table, so the owner's triggers, rules and index
/// expressions never run with anyone else's rights.
pub(crate) fn as_table_owner<R>(owner: pg_sys::Oid, f: impl FnOnce() -> R) -> R {
    as_role(owner, pg_sys::SECURITY_NOFORCE_RLS as i32, f)
}

/// Runs `f` as `role` in a restricted security context (no SET ROLE, no
/// SET SESSION AUTHORIZATION, no temporary objects) with `search_path`
/// pinned, and undoes both afterwards; an error undoes them through the
/// (sub)transaction abort.
fn as_role<R>(role: pg_sys::Oid, extra_flags: i32, f: impl FnOnce() -> R) -> R {
    let mut saved_user = pg_sys::InvalidOid;
    let mut saved_context = 0;
    // SAFETY: plain calls into PostgreSQL's user and setting stacks, paired
    // below; the restriction flags forbid SET ROLE and similar in between.
    let nest_level = unsafe {
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_context);
        pg_sys::SetUserIdAndSecContext(
            role,
            saved_context
                | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32
                | pg_sys::SECURITY_RESTRICTED_OPERATION as i32
                | extra_flags,
        );
        let nest_level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            c"pg_catalog, pg_temp".as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        nest_level
    };
    let result = f();
    // SAFETY: undoes exactly what was done above, in reverse order.
    unsafe {
        pg_sys::AtEOXact_GUC(true, nest_level);
        pg_sys::SetUserIdAndSecContext(saved_user, saved_context);
    }
    result
}

/// The role that called us (not the raised one).
pub(crate) fn calling_role() -> pg_sys::Oid {
    // SAFETY: a plain read of the current user id.
    unsafe { pg_sys::GetUserId() }
}

pub(crate) fn caller_is_superuser() -> bool {
    // SAFETY: a catalog lookup of the current user; no arguments to get wrong.
    unsafe { pg_sys::superuser() }
}
