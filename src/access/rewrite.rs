//! Plan-time rewriting of the access checks, and keeping cached plans honest.
//!
//! A policy that calls a function per row cannot use an index, however fast
//! the function. So `can_access_resource(...)` and `can_modify_resource(...)`
//! carry a planner support function that answers `SupportRequestSimplify`:
//!
//! - when the admin bypass applies, the call becomes `true`, and a platform
//!   admin's scan costs what the same scan costs without RLS;
//! - with no tenant context it becomes `false`;
//! - otherwise it becomes the index-friendly expression a DBA would write by
//!   hand, with the current tenant `T` as a constant (so the planner also
//!   estimates that tenant's share of the table exactly):
//!   `owner = T OR (is_shared AND mode = 'global')
//!    OR (is_shared AND mode = 'selective' AND shared_with @> ARRAY[T])`.
//!
//! Only calls whose arguments are NOT NULL columns of one table are
//! rewritten (as in the installed policies; the installer makes the columns
//! so); any other call runs natively, with its exact NULL semantics. There
//! the rewrite gives the same answers as the native function, also where an
//! outer join null-extends the table's rows (an `owner IS NOT NULL` guard).
//!
//! A rewritten plan belongs to one context. So every cached plan (prepared
//! statements, PL/pgSQL) is invalidated whenever the context settings change
//! (including at the end of a transaction that set them locally, on
//! rollback and on reset), and, when a plan was made while the admin status
//! mattered, at the end of the transaction as well: a plan never carries one
//! person's visibility over to the next, and a revoked admin loses the bypass
//! no later than the next transaction.

use std::cell::Cell;
use std::ffi::{c_char, c_void};

use pgrx::datum::Internal;
use pgrx::pg_sys::{self, Node, Oid};
use pgrx::prelude::*;
use uuid::Uuid;

use crate::context::current_tenant;
use crate::ids::to_pg;
use crate::vocabulary::{GLOBAL, SELECTIVE};

use super::rules::{admin_bypass, bypass_possible, forget_admin_status};

/// `uuid = uuid` (built in, fixed since PostgreSQL 8.3; pg_sys names no constant for it).
const UUID_EQ_OP: Oid = Oid::from_u32(2972);
/// `text = text`
const TEXT_EQ_OP: Oid = Oid::from_u32(pg_sys::TextEqualOperator);
/// `anyarray @> anyarray`
const ARRAY_CONTAINS_OP: Oid = Oid::from_u32(pg_sys::OID_ARRAY_CONTAINS_OP);

thread_local! {
    /// Some cached plan may hold a rewritten access check.
    static PLANS_HOLD_REWRITES: Cell<bool> = const { Cell::new(false) };
    /// Some plan was rewritten while the admin status decided the outcome.
    static PLANS_HOLD_ADMIN_DECISION: Cell<bool> = const { Cell::new(false) };
}

fn invalidate_cached_plans() {
    // SAFETY: marks cached plans invalid; allocates nothing and cannot fail.
    unsafe { pg_sys::ResetPlanCache() };
    PLANS_HOLD_REWRITES.set(false);
    PLANS_HOLD_ADMIN_DECISION.set(false);
}

/// Assign hook of `vital.tenant_id` and `vital.user_id` (handed to
/// `settings` in `_PG_init`): runs on every change, including rollbacks,
/// resets and `DISCARD ALL`.
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn context_changed(
    _newval: *const c_char,
    _extra: *mut c_void,
) {
    if PLANS_HOLD_REWRITES.get() {
        invalidate_cached_plans();
    }
}

/// Transaction callback (registered in `_PG_init`).
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn transaction_ended(
    event: pg_sys::XactEvent::Type,
    _arg: *mut c_void,
) {
    use pg_sys::XactEvent::{
        XACT_EVENT_ABORT, XACT_EVENT_COMMIT, XACT_EVENT_PARALLEL_ABORT, XACT_EVENT_PARALLEL_COMMIT,
        XACT_EVENT_PREPARE,
    };
    if matches!(
        event,
        XACT_EVENT_COMMIT
            | XACT_EVENT_ABORT
            | XACT_EVENT_PARALLEL_COMMIT
            | XACT_EVENT_PARALLEL_ABORT
            | XACT_EVENT_PREPARE
    ) {
        forget_admin_status();
        if PLANS_HOLD_ADMIN_DECISION.get() {
            invalidate_cached_plans();
        }
    }
}

/// The outcome of planning an access check in the current context.
enum Rewrite {
    /// The admin bypass applies: the check is `true`.
    Bypass,
    /// No tenant context: the check is `false`.
    Nobody,
    /// The tenant rules for this tenant, as an index-friendly expression.
    Tenant(Uuid),
}

fn decide() -> Rewrite {
    let tenant = current_tenant();
    PLANS_HOLD_REWRITES.set(true);
    if bypass_possible(tenant) {
        PLANS_HOLD_ADMIN_DECISION.set(true);
    }
    if admin_bypass(tenant) {
        Rewrite::Bypass
    } else {
        match tenant {
            None => Rewrite::Nobody,
            Some(tenant) => Rewrite::Tenant(tenant),
        }
    }
}

/// The arguments of a call PostgreSQL asks to simplify, when they are NOT
/// NULL columns of one table (as in the installed policies); any other call
/// is left alone and runs natively.
struct Columns {
    args: Vec<*mut Node>,
    /// The table's rows may be null-extended where the call is evaluated
    /// (the table is on the nullable side of an outer join and the call is
    /// above it): there the columns are NULL after all, and the rewrite
    /// must still say false, as the function does.
    null_extendable: bool,
}

/// # Safety
/// `request` must be the support request PostgreSQL passed in.
unsafe fn simplify_arguments(request: Internal, expected: usize) -> Option<Columns> {
    let node = request.unwrap()?.cast_mut_ptr::<Node>();
    // SAFETY: PostgreSQL passes a valid node; we check its tag before the cast.
    unsafe {
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_SupportRequestSimplify {
            return None;
        }
        let request = node.cast::<pg_sys::SupportRequestSimplify>();
        let (root, call) = ((*request).root, (*request).fcall);
        let list = (*call).args;
        if list.is_null() || (*list).length as usize != expected {
            return None;
        }
        let args: Vec<*mut Node> = (0..expected)
            .map(|i| (*(*list).elements.add(i)).ptr_value.cast::<Node>())
            .collect();
        let vars = args
            .iter()
            .map(|&a| not_null_column(root, a))
            .collect::<Option<Vec<*mut pg_sys::Var>>>()?;
        let varno = (*vars[0]).varno;
        if vars.iter().any(|&v| (*v).varno != varno) {
            return None;
        }
        Some(Columns {
            args,
            null_extendable: null_extendable(root, vars[0]),
        })
    }
}

/// The column, when an expression is a column of a table declared NOT
/// NULL: there the rewritten expression and the native function agree on
/// every row.
///
/// # Safety
/// `root` is the planner state of the request (or NULL), `node` a valid expression.
unsafe fn not_null_column(
    root: *mut pg_sys::PlannerInfo,
    node: *mut Node,
) -> Option<*mut pg_sys::Var> {
    // SAFETY: every pointer is checked before it is followed; the syscache
    // tuple is released before returning.
    unsafe {
        // A varchar column reaches a text parameter through a binary
        // relabelling, which changes no value and no nullness.
        let mut node = node;
        while !node.is_null() && (*node).type_ == pg_sys::NodeTag::T_RelabelType {
            node = (*node.cast::<pg_sys::RelabelType>()).arg.cast::<Node>();
        }
        if root.is_null()
            || (*root).parse.is_null()
            || node.is_null()
            || (*node).type_ != pg_sys::NodeTag::T_Var
        {
            return None;
        }
        let var = node.cast::<pg_sys::Var>();
        let rtable = (*(*root).parse).rtable;
        let index = (*var).varno as usize;
        if (*var).varlevelsup != 0
            || (*var).varattno <= 0
            || rtable.is_null()
            || index == 0
            || index > (*rtable).length as usize
        {
            return None;
        }
        let rte = (*(*rtable).elements.add(index - 1))
            .ptr_value
            .cast::<pg_sys::RangeTblEntry>();
        if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION {
            return None;
        }
        let tuple = pg_sys::SearchSysCache2(
            pg_sys::SysCacheIdentifier::ATTNUM as i32,
            pg_sys::Datum::from((*rte).relid),
            pg_sys::Datum::from((*var).varattno),
        );
        if tuple.is_null() {
            return None;
        }
        let not_null =
            (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_attribute>(tuple)).attnotnull;
        pg_sys::ReleaseSysCache(tuple);
        not_null.then_some(var)
    }
}

/// Since PostgreSQL 16 every Var says which outer joins can null it.
///
/// # Safety
/// `var` is a valid Var.
#[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
unsafe fn null_extendable(_root: *mut pg_sys::PlannerInfo, var: *mut pg_sys::Var) -> bool {
    // SAFETY: per this function's contract; an empty set is a NULL pointer.
    unsafe { !(*var).varnullingrels.is_null() }
}

/// Before PostgreSQL 16 a Var does not say; the query's join tree does: the
/// table is below the nullable side of an outer join. (Cautious: a policy's
/// own check, evaluated at the scan, gets the guard too, which costs a
/// NULL test per row and keeps its index plan.)
///
/// # Safety
/// `root` and `var` are the valid planner state and Var of the request.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
unsafe fn null_extendable(root: *mut pg_sys::PlannerInfo, var: *mut pg_sys::Var) -> bool {
    // SAFETY: per this function's contract (not_null_column checked root.parse).
    unsafe { below_nullable_side((*(*root).parse).jointree.cast(), (*var).varno as i64, false) }
}

/// Whether range table entry `rtindex` appears in the join tree `node`
/// below the nullable side of an outer join (`nullable`: already below one).
///
/// # Safety
/// `node` is NULL or a valid join tree node.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
unsafe fn below_nullable_side(node: *mut Node, rtindex: i64, nullable: bool) -> bool {
    use pg_sys::JoinType::{JOIN_ANTI, JOIN_FULL, JOIN_LEFT, JOIN_RIGHT};
    // SAFETY: each node is read as the type its tag names.
    unsafe {
        if node.is_null() {
            return false;
        }
        match (*node).type_ {
            pg_sys::NodeTag::T_RangeTblRef => {
                nullable && (*node.cast::<pg_sys::RangeTblRef>()).rtindex as i64 == rtindex
            }
            pg_sys::NodeTag::T_FromExpr => {
                let list = (*node.cast::<pg_sys::FromExpr>()).fromlist;
                !list.is_null()
                    && (0..(*list).length as usize).any(|i| {
                        let item = (*(*list).elements.add(i)).ptr_value.cast::<Node>();
                        below_nullable_side(item, rtindex, nullable)
                    })
            }
            pg_sys::NodeTag::T_JoinExpr => {
                let join = node.cast::<pg_sys::JoinExpr>();
                let (left, right) = match (*join).jointype {
                    JOIN_LEFT | JOIN_ANTI => (false, true),
                    JOIN_RIGHT => (true, false),
                    JOIN_FULL => (true, true),
                    _ => (false, false),
                };
                below_nullable_side((*join).larg, rtindex, nullable || left)
                    || below_nullable_side((*join).rarg, rtindex, nullable || right)
            }
            _ => false,
        }
    }
}

/// The tenant rules as built, with `owner IS NOT NULL` added where the
/// table's rows may be null-extended: a null-extended row then gives false,
/// not NULL, and the rules stay indexable.
///
/// # Safety
/// `rules` is a valid boolean expression over `columns`.
unsafe fn null_safe(rules: *mut Node, columns: &Columns) -> *mut Node {
    if !columns.null_extendable {
        return rules;
    }
    // SAFETY: a fresh NullTest over a copy of the owner column.
    unsafe {
        let mut test = PgBox::<pg_sys::NullTest>::alloc_node(pg_sys::NodeTag::T_NullTest);
        test.arg = copy(columns.args[0]).cast();
        test.nulltesttype = pg_sys::NullTestType::IS_NOT_NULL;
        test.argisrow = false;
        test.location = -1;
        and(&[rules, test.into_pg().cast()])
    }
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
    // SAFETY: `request` comes from the planner.
    let Some(columns) = (unsafe { simplify_arguments(request, 4) }) else {
        return leave_alone();
    };
    match decide() {
        Rewrite::Bypass => into_internal(bool_const(true)),
        Rewrite::Nobody => into_internal(bool_const(false)),
        // SAFETY: the arguments are valid expression nodes of the declared types.
        Rewrite::Tenant(tenant) => {
            into_internal(unsafe { null_safe(tenant_read_rules(&columns.args, tenant), &columns) })
        }
    }
}

/// Support function of `vital.can_modify_resource(uuid)`.
#[pg_extern(immutable, strict, parallel_safe)]
fn simplify_can_modify_resource(request: Internal) -> Internal {
    // SAFETY: `request` comes from the planner.
    let Some(columns) = (unsafe { simplify_arguments(request, 1) }) else {
        return leave_alone();
    };
    match decide() {
        Rewrite::Bypass => into_internal(bool_const(true)),
        Rewrite::Nobody => into_internal(bool_const(false)),
        // SAFETY: the argument is a valid uuid expression (copied: the
        // guard may use it too).
        Rewrite::Tenant(tenant) => into_internal(unsafe {
            let own = operator(UUID_EQ_OP, copy(columns.args[0]), uuid_const(tenant));
            null_safe(own, &columns)
        }),
    }
}

fn bool_const(value: bool) -> *mut Node {
    // SAFETY: builds a fresh node in the current (planner) memory context.
    unsafe { pg_sys::makeBoolConst(value, false) }
}

/// `owner = T OR (is_shared AND mode = 'global')
///  OR (is_shared AND mode = 'selective' AND shared_with @> ARRAY[T])`
///
/// # Safety
/// `args` are the four argument expressions of can_access_resource.
unsafe fn tenant_read_rules(args: &[*mut Node], tenant: Uuid) -> *mut Node {
    let (owner, is_shared, mode, shared_with) = (args[0], args[1], args[2], args[3]);
    // SAFETY: every node is freshly built or copied; the planner owns them.
    unsafe {
        let own = operator(UUID_EQ_OP, owner, uuid_const(tenant));
        let global = and(&[
            copy(is_shared),
            operator(TEXT_EQ_OP, copy(mode), text_const(GLOBAL)),
        ]);
        let selective = and(&[
            copy(is_shared),
            operator(TEXT_EQ_OP, copy(mode), text_const(SELECTIVE)),
            operator(
                ARRAY_CONTAINS_OP,
                shared_with,
                uuid_array_of(uuid_const(tenant)),
            ),
        ]);
        or(&[own, global, selective])
    }
}

unsafe fn copy(node: *mut Node) -> *mut Node {
    // SAFETY: copies a valid node tree.
    unsafe { pg_sys::copyObjectImpl(node.cast()).cast() }
}

unsafe fn list_of(nodes: &[*mut Node]) -> *mut pg_sys::List {
    let mut list = std::ptr::null_mut();
    for &node in nodes {
        // SAFETY: appends a valid node pointer to a (possibly empty) list.
        list = unsafe { pg_sys::lappend(list, node.cast()) };
    }
    list
}

unsafe fn and(nodes: &[*mut Node]) -> *mut Node {
    // SAFETY: a boolean AND of valid boolean expressions.
    unsafe { pg_sys::makeBoolExpr(pg_sys::BoolExprType::AND_EXPR, list_of(nodes), -1).cast() }
}

unsafe fn or(nodes: &[*mut Node]) -> *mut Node {
    // SAFETY: a boolean OR of valid boolean expressions.
    unsafe { pg_sys::makeBoolExpr(pg_sys::BoolExprType::OR_EXPR, list_of(nodes), -1).cast() }
}

/// A boolean binary operator; text comparisons use the left side's collation.
unsafe fn operator(opno: Oid, left: *mut Node, right: *mut Node) -> *mut Node {
    // SAFETY: valid expressions of the operator's input types.
    unsafe {
        let input_collation = pg_sys::exprCollation(left);
        pg_sys::make_opclause(
            opno,
            pg_sys::BOOLOID,
            false,
            left.cast(),
            right.cast(),
            pg_sys::InvalidOid,
            input_collation,
        )
        .cast()
    }
}

unsafe fn uuid_array_of(element: *mut Node) -> *mut Node {
    // SAFETY: a fresh one-element ARRAY[...] of uuid.
    unsafe {
        let mut array = PgBox::<pg_sys::ArrayExpr>::alloc_node(pg_sys::NodeTag::T_ArrayExpr);
        array.array_typeid = pg_sys::UUIDARRAYOID;
        array.array_collid = pg_sys::InvalidOid;
        array.element_typeid = pg_sys::UUIDOID;
        array.elements = list_of(&[element]);
        array.multidims = false;
        array.location = -1;
        array.into_pg().cast()
    }
}

fn text_const(value: &str) -> *mut Node {
    // SAFETY: makeConst copies nothing; the text datum is palloc'd in the planner's context.
    unsafe {
        let datum = value.into_datum().expect("text is never NULL");
        pg_sys::makeConst(
            pg_sys::TEXTOID,
            -1,
            pg_sys::DEFAULT_COLLATION_OID,
            -1,
            datum,
            false,
            false,
        )
        .cast()
    }
}

fn uuid_const(value: Uuid) -> *mut Node {
    let datum = to_pg(value).into_datum().expect("a uuid is never NULL");
    // SAFETY: a fresh by-reference constant whose datum lives in the planner's context.
    unsafe {
        pg_sys::makeConst(
            pg_sys::UUIDOID,
            -1,
            pg_sys::InvalidOid,
            16,
            datum,
            false,
            false,
        )
        .cast()
    }
}
