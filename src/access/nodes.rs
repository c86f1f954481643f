//! Building the expression nodes of the rewritten checks, in the
//! planner's memory context.

use pgrx::pg_sys::{self, Node, Oid};
use pgrx::prelude::*;

/// `uuid = uuid` (built in, fixed since PostgreSQL 8.3; pg_sys names no constant for it).
pub(super) const UUID_EQ_OP: Oid = Oid::from_u32(2972);
/// `text = text`
pub(super) const TEXT_EQ_OP: Oid = Oid::from_u32(pg_sys::TextEqualOperator);
/// `anyarray @> anyarray`
pub(super) const ARRAY_CONTAINS_OP: Oid = Oid::from_u32(pg_sys::OID_ARRAY_CONTAINS_OP);

pub(super) fn bool_const(value: bool) -> *mut Node {
    // SAFETY: builds a fresh node in the current (planner) memory context.
    unsafe { pg_sys::makeBoolConst(value, false) }
}

pub(super) unsafe fn copy(node: *mut Node) -> *mut Node {
    // SAFETY: copies a valid node tree.
    unsafe { pg_sys::copyObjectImpl(node.cast()).cast() }
}

pub(super) unsafe fn list_of(nodes: &[*mut Node]) -> *mut pg_sys::List {
    let mut list = std::ptr::null_mut();
    for &node in nodes {
        // SAFETY: appends a valid node pointer to a (possibly empty) list.
        list = unsafe { pg_sys::lappend(list, node.cast()) };
    }
    list
}

pub(super) unsafe fn and(nodes: &[*mut Node]) -> *mut Node {
    // SAFETY: a boolean AND of valid boolean expressions.
    unsafe { pg_sys::makeBoolExpr(pg_sys::BoolExprType::AND_EXPR, list_of(nodes), -1).cast() }
}

pub(super) unsafe fn or(nodes: &[*mut Node]) -> *mut Node {
    // SAFETY: a boolean OR of valid boolean expressions.
    unsafe { pg_sys::makeBoolExpr(pg_sys::BoolExprType::OR_EXPR, list_of(nodes), -1).cast() }
}

/// A boolean binary operator; text comparisons use the left side's collation.
pub(super) unsafe fn operator(opno: Oid, left: *mut Node, right: *mut Node) -> *mut Node {
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

pub(super) unsafe fn uuid_array_of(element: *mut Node) -> *mut Node {
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

pub(super) fn text_const(value: &str) -> *mut Node {
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

/// A call of a function without arguments returning uuid.
pub(super) fn uuid_call(function: Oid) -> *mut Node {
    // SAFETY: a fresh FuncExpr node; the function exists (looked up by the caller).
    unsafe {
        pg_sys::makeFuncExpr(
            function,
            pg_sys::UUIDOID,
            std::ptr::null_mut(),
            pg_sys::InvalidOid,
            pg_sys::InvalidOid,
            pg_sys::CoercionForm::COERCE_EXPLICIT_CALL,
        )
        .cast()
    }
}

/// `expression IS NOT NULL`
///
/// # Safety
/// `expression` is a valid scalar expression.
pub(super) unsafe fn is_not_null(expression: *mut Node) -> *mut Node {
    // SAFETY: a fresh NullTest node over the given expression.
    unsafe {
        let mut test = PgBox::<pg_sys::NullTest>::alloc_node(pg_sys::NodeTag::T_NullTest);
        test.arg = expression.cast();
        test.nulltesttype = pg_sys::NullTestType::IS_NOT_NULL;
        test.argisrow = false;
        test.location = -1;
        test.into_pg().cast()
    }
}
