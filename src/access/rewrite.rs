//! Plan-time rewriting of the access checks.
//!
//! A policy that calls a function per row cannot use an index, however fast
//! the function. So `can_access_resource(...)` and `can_modify_resource(...)`
//! carry a planner support function that answers `SupportRequestSimplify`:
//!
//! - when the admin bypass applies, the call becomes `true`, and a platform
//!   admin's scan costs what the same scan costs without RLS;
//! - with no tenant context it becomes `false`;
//! - otherwise it becomes the index-friendly expression a DBA would write by
//!   hand, with the tenant read when the plan runs (`T()` below is
//!   `vital.get_current_tenant_id()`, STABLE, so an index condition):
//!   `(owner = T() OR mode = 'global' OR (mode = 'selective' AND
//!   shared_with @> ARRAY[T()])) AND T() IS NOT NULL`. A plan made so
//!   serves every tenant; the last part keeps it right (nothing is visible)
//!   if it runs with no context.
//!
//! On a table with the CHECK tying `is_shared` to `sharing_mode` (the
//! installer adds it) the rule reads `sharing_mode` alone, which the planner
//! estimates right and the installer's partial indexes serve; elsewhere it
//! reads `is_shared AND mode = …` as the function does. When the query
//! itself says `owner = vital.get_current_tenant_id()` at the top of its
//! WHERE clause, the check becomes `owner = T()`: the same rows, since the
//! query keeps only the tenant's own, and the planner sees one condition
//! instead of two it would take as independent (it can then walk the
//! tenant's ordered index). That form is narrower than the rule, never
//! wider, whatever the rest of the query says.
//!
//! Only calls whose arguments are NOT NULL columns of one table are
//! rewritten (as in the installed policies; the installer makes the columns
//! so); any other call runs natively, with its exact NULL semantics. There
//! the rewrite gives the same answers as the native function, also where an
//! outer join null-extends the table's rows (an `owner IS NOT NULL` guard).
//! Which cached plans are re-planned when the context changes is
//! `invalidation`'s business.

use pgrx::datum::Internal;
use pgrx::pg_sys::{self, Node, Oid};
use pgrx::prelude::*;

use crate::context::current_tenant;
use crate::functions;
use crate::vocabulary::{GLOBAL, SELECTIVE};

use super::columns::{
    has_tie_check, key_lookup, owner_qual, simplify_arguments, Columns, OwnerQual,
};
use super::invalidation::{plan_assumes, Assumption};
use super::nodes::{
    and, bool_const, copy, is_not_null, operator, or, text_const, uuid_array_of, uuid_call,
    ARRAY_CONTAINS_OP, TEXT_EQ_OP, UUID_EQ_OP,
};
use super::rules::admin_bypass;

/// The outcome of planning an access check in the current context.
enum Rewrite {
    /// The admin bypass applies: the check is `true`.
    Bypass,
    /// No tenant context: the check is `false`.
    Nobody,
    /// The rules, reading the tenant with this function when the plan runs.
    RunTime(Oid),
    /// The query reads one tenant's rows by a constant or parameter, or
    /// one row by its key: the check stays a call, a filter on those rows
    /// (see `decide`).
    KeepCall,
}

/// The rewrite for the current context, recorded in the plan being made
/// (see `invalidation` for the pg_proc rows each kind depends on); None
/// when one of our functions cannot be found (the call then runs natively).
///
/// A query that reads one tenant's rows by a constant or parameter
/// (`WHERE tenant_id = $1 ORDER BY name LIMIT 50`) keeps the call: as an
/// index condition the rules would be taken as independent of the
/// query's own condition and estimated 50 times too selective, and the
/// planner would sort every row instead of walking the tenant's ordered
/// index; as a filter on the tenant's rows the call costs its 150 ns per
/// row read, and the plan holds no assumption about the context. The same
/// for a query reading one row by its primary key (`WHERE id = $1`): the
/// call costs 150 ns once, and the planner has no OR of three index arms
/// to consider for a row its key finds anyway.
///
/// # Safety
/// `root` and `columns` are the request's.
unsafe fn decide(root: *mut pg_sys::PlannerInfo, columns: &Columns) -> Option<Rewrite> {
    let tenant = current_tenant();
    let (rewrite, assumption, marker) = if admin_bypass(tenant) {
        let marker = functions::ours(c"is_platform_admin", &[pg_sys::UUIDOID])?;
        (Rewrite::Bypass, Assumption::Bypass, marker)
    } else if tenant.is_none() {
        let marker = functions::ours(c"set_tenant_context", &[pg_sys::UUIDOID, pg_sys::BOOLOID])?;
        (Rewrite::Nobody, Assumption::NoContext, marker)
    } else {
        let reader = functions::ours(c"get_current_tenant_id", &[])?;
        // SAFETY: per this function's contract.
        if unsafe { owner_qual(root, columns, reader) } == OwnerQual::OneTenant
            || unsafe { key_lookup(root, columns) }
        {
            return Some(Rewrite::KeepCall);
        }
        (Rewrite::RunTime(reader), Assumption::RunTime, reader)
    };
    plan_assumes(root, assumption, marker);
    Some(rewrite)
}

/// The planner state of a simplify request.
///
/// # Safety
/// `node` was checked by `simplify_arguments` to be a SupportRequestSimplify.
unsafe fn planner(node: *mut Node) -> *mut pg_sys::PlannerInfo {
    // SAFETY: per this function's contract.
    unsafe { (*node.cast::<pg_sys::SupportRequestSimplify>()).root }
}

/// The node PostgreSQL passed, or NULL.
fn request_node(request: Internal) -> *mut Node {
    request
        .unwrap()
        .map_or(std::ptr::null_mut(), |datum| datum.cast_mut_ptr::<Node>())
}

/// "No simplification": a NULL pointer, which fmgr (unlike SQL NULL) accepts.
fn leave_alone() -> Internal {
    into_internal(std::ptr::null_mut())
}

fn into_internal(node: *mut Node) -> Internal {
    Internal::from(Some(pg_sys::Datum::from(node)))
}

/// Support function of `vital.can_access_resource(uuid, boolean, text, uuid[])`.
#[pg_extern(immutable, strict, parallel_safe)]
fn simplify_can_access_resource(request: Internal) -> Internal {
    // SAFETY: the rules are built from the request's own arguments.
    simplify(request, 4, |root, columns, tenant| unsafe {
        read_rules(root, columns, tenant)
    })
}

/// Support function of `vital.can_modify_resource(uuid)`.
#[pg_extern(immutable, strict, parallel_safe)]
fn simplify_can_modify_resource(request: Internal) -> Internal {
    // SAFETY: the rule is built from the request's own argument.
    simplify(request, 1, |_, columns, tenant| unsafe {
        // The owner only (copied: the guard may use it too), and nothing
        // without a tenant.
        let own = operator(UUID_EQ_OP, copy(columns.args[0]), uuid_call(tenant));
        and(&[own, is_not_null(uuid_call(tenant))])
    })
}

/// Answers a simplify request for a check of `expected` arguments;
/// `run_time` builds its rules for the tenant read at run time.
fn simplify(
    request: Internal,
    expected: usize,
    run_time: impl FnOnce(*mut pg_sys::PlannerInfo, &Columns, Oid) -> *mut Node,
) -> Internal {
    // SAFETY: `request` comes from the planner; the rest reads what
    // simplify_arguments checked.
    unsafe {
        let node = request_node(request);
        let Some(columns) = simplify_arguments(node, expected) else {
            return leave_alone();
        };
        let root = planner(node);
        match decide(root, &columns) {
            None | Some(Rewrite::KeepCall) => leave_alone(),
            Some(Rewrite::Bypass) => into_internal(bool_const(true)),
            Some(Rewrite::Nobody) => into_internal(bool_const(false)),
            Some(Rewrite::RunTime(tenant)) => {
                into_internal(null_safe(run_time(root, &columns, tenant), &columns))
            }
        }
    }
}

/// The read rules for the tenant the plan reads when it runs (see the
/// module's comment for the forms).
///
/// # Safety
/// `columns` are the four argument expressions of can_access_resource in
/// the query `root` plans.
unsafe fn read_rules(root: *mut pg_sys::PlannerInfo, columns: &Columns, tenant: Oid) -> *mut Node {
    let [owner, is_shared, mode, shared_with] = [
        columns.args[0],
        columns.args[1],
        columns.args[2],
        columns.args[3],
    ];
    // SAFETY: every node is freshly built or copied; the planner owns them.
    unsafe {
        let rules = if owner_qual(root, columns, tenant) == OwnerQual::CurrentTenant {
            operator(UUID_EQ_OP, owner, uuid_call(tenant))
        } else {
            let tied = has_tie_check(columns.relid);
            let shared_and = |mut conditions: Vec<*mut Node>| {
                if !tied {
                    conditions.push(copy(is_shared));
                }
                all(&conditions)
            };
            let own = operator(UUID_EQ_OP, owner, uuid_call(tenant));
            let global = shared_and(vec![operator(TEXT_EQ_OP, copy(mode), text_const(GLOBAL))]);
            // In the order PostgreSQL rebuilds a bitmap scan's condition
            // (index condition, then the partial index's predicate): a
            // policy equal to it is not evaluated again per row.
            let selective = shared_and(vec![
                operator(
                    ARRAY_CONTAINS_OP,
                    shared_with,
                    uuid_array_of(uuid_call(tenant)),
                ),
                operator(TEXT_EQ_OP, copy(mode), text_const(SELECTIVE)),
            ]);
            or(&[own, global, selective])
        };
        and(&[rules, is_not_null(uuid_call(tenant))])
    }
}

/// The conditions ANDed, or the one condition itself.
///
/// # Safety
/// Valid boolean expressions.
unsafe fn all(conditions: &[*mut Node]) -> *mut Node {
    match conditions {
        [one] => *one,
        // SAFETY: per this function's contract.
        many => unsafe { and(many) },
    }
}

/// The rules as built, with `owner IS NOT NULL` added where the table's
/// rows may be null-extended: a null-extended row then gives false, not
/// NULL, and the rules stay indexable.
///
/// # Safety
/// `rules` is a valid boolean expression over `columns`.
unsafe fn null_safe(rules: *mut Node, columns: &Columns) -> *mut Node {
    if !columns.null_extendable {
        return rules;
    }
    // SAFETY: a fresh NullTest over a copy of the owner column.
    unsafe { and(&[rules, is_not_null(copy(columns.args[0]))]) }
}
