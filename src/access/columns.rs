//! Which calls the planner may rewrite: their arguments must be NOT NULL
//! columns of one table; and what the query around them says (outer joins
//! that null-extend the table, a qual naming the current tenant, the
//! table's CHECK tying `is_shared` to `sharing_mode`).

use std::ffi::CStr;

use pgrx::pg_sys::{self, Node, Oid};

use crate::vocabulary::TIE_CHECKS;

use super::nodes::UUID_EQ_OP;

/// The arguments of a call PostgreSQL asks to simplify, when they are NOT
/// NULL columns of one table (as in the installed policies); any other call
/// is left alone and runs natively.
pub(super) struct Columns {
    pub(super) args: Vec<*mut Node>,
    /// The table the columns belong to.
    pub(super) relid: Oid,
    /// The table's rows may be null-extended where the call is evaluated
    /// (the table is on the nullable side of an outer join and the call is
    /// above it): there the columns are NULL after all, and the rewrite
    /// must still say false, as the function does.
    pub(super) null_extendable: bool,
}

/// # Safety
/// `node` must be the support request PostgreSQL passed in.
pub(super) unsafe fn simplify_arguments(node: *mut Node, expected: usize) -> Option<Columns> {
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
        let rte = (*(*(*root).parse).rtable)
            .elements
            .add(varno as usize - 1)
            .read()
            .ptr_value
            .cast::<pg_sys::RangeTblEntry>();
        Some(Columns {
            args,
            relid: (*rte).relid,
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

/// Whether the table has a validated CHECK `enable_tenancy` installs
/// tying `is_shared` to `sharing_mode` (`is_shared = (sharing_mode <>
/// 'private')`; today's or 0.1.0's): then `sharing_mode` alone says whether a row is shared,
/// and the rewrite leaves `is_shared` out, which the planner estimates
/// right (it takes the two columns as independent otherwise).
pub(super) fn has_tie_check(relid: Oid) -> bool {
    // SAFETY: the planner holds a lock on the relation; its relcache entry
    // is opened and closed around reading the CHECK constraints.
    unsafe {
        let rel = pg_sys::RelationIdGetRelation(relid);
        if rel.is_null() {
            return false;
        }
        let constraints = (*(*rel).rd_att).constr;
        let found = !constraints.is_null()
            && (0..(*constraints).num_check as usize).any(|i| {
                let check = &*(*constraints).check.add(i);
                check.ccvalid
                    && !check.ccname.is_null()
                    && TIE_CHECKS
                        .iter()
                        .any(|name| CStr::from_ptr(check.ccname).to_bytes() == name.as_bytes())
            });
        pg_sys::RelationClose(rel);
        found
    }
}

/// What the query's WHERE clause says of the table's owner column at its
/// top level (ANDed with everything else).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum OwnerQual {
    /// Nothing usable.
    Nothing,
    /// `owner = vital.get_current_tenant_id()`: every row it returns is the
    /// current tenant's own.
    CurrentTenant,
    /// `owner = <a constant or parameter>`: one tenant's rows, maybe not
    /// the current tenant's.
    OneTenant,
}

/// # Safety
/// `root` is the planner state of the request, `columns` its columns.
pub(super) unsafe fn owner_qual(
    root: *mut pg_sys::PlannerInfo,
    columns: &Columns,
    tenant_function: Oid,
) -> OwnerQual {
    // SAFETY: every node is read as the type its tag names.
    unsafe {
        let jointree = (*(*root).parse).jointree;
        if jointree.is_null() {
            return OwnerQual::Nothing;
        }
        let owner = columns.args[0].cast::<pg_sys::Var>();
        conjuncts((*jointree).quals)
            .into_iter()
            .map(|clause| owner_equals(clause, owner, tenant_function))
            .max_by_key(|found| match found {
                OwnerQual::Nothing => 0,
                OwnerQual::OneTenant => 1,
                OwnerQual::CurrentTenant => 2,
            })
            .unwrap_or(OwnerQual::Nothing)
    }
}

/// Whether the query's WHERE clause, at its top level, says `<the table's
/// single-column primary key> = <a constant or parameter>`: it reads at
/// most one row of the table, found by its key.
///
/// # Safety
/// `root` is the planner state of the request, `columns` its columns.
pub(super) unsafe fn key_lookup(root: *mut pg_sys::PlannerInfo, columns: &Columns) -> bool {
    // SAFETY: every node is read as the type its tag names.
    unsafe {
        let jointree = (*(*root).parse).jointree;
        let Some(key) = primary_key_column(columns.relid) else {
            return false;
        };
        if jointree.is_null() {
            return false;
        }
        let varno = (*columns.args[0].cast::<pg_sys::Var>()).varno;
        conjuncts((*jointree).quals).into_iter().any(|clause| {
            if (*clause).type_ != pg_sys::NodeTag::T_OpExpr {
                return false;
            }
            let op = clause.cast::<pg_sys::OpExpr>();
            let args = (*op).args;
            if args.is_null() || (*args).length != 2 || !is_equality((*op).opno) {
                return false;
            }
            let sides = [0, 1].map(|i| (*(*args).elements.add(i)).ptr_value.cast::<Node>());
            let is_key = |node: *mut Node| {
                (*node).type_ == pg_sys::NodeTag::T_Var && {
                    let var = node.cast::<pg_sys::Var>();
                    (*var).varno == varno && (*var).varattno == key && (*var).varlevelsup == 0
                }
            };
            let is_value = |node: *mut Node| {
                matches!(
                    (*node).type_,
                    pg_sys::NodeTag::T_Const | pg_sys::NodeTag::T_Param
                )
            };
            (is_key(sides[0]) && is_value(sides[1])) || (is_value(sides[0]) && is_key(sides[1]))
        })
    }
}

/// An operator named `=` (on a primary key's type, its equality).
fn is_equality(operator: Oid) -> bool {
    // SAFETY: a catalog cache lookup; NULL for an unknown operator.
    unsafe {
        let name = pg_sys::get_opname(operator);
        !name.is_null() && CStr::from_ptr(name).to_bytes() == b"="
    }
}

/// The attribute number of a table's single-column primary key.
fn primary_key_column(relid: Oid) -> Option<i16> {
    // SAFETY: the planner holds a lock on the relation; its relcache entry
    // and its primary key index's are opened and closed around the reads.
    unsafe {
        let rel = pg_sys::RelationIdGetRelation(relid);
        if rel.is_null() {
            return None;
        }
        #[cfg(feature = "pg18")]
        let index_oid = pg_sys::RelationGetPrimaryKeyIndex(rel, true);
        #[cfg(not(feature = "pg18"))]
        let index_oid = pg_sys::RelationGetPrimaryKeyIndex(rel);
        pg_sys::RelationClose(rel);
        if index_oid == pg_sys::InvalidOid {
            return None;
        }
        let index = pg_sys::RelationIdGetRelation(index_oid);
        if index.is_null() {
            return None;
        }
        let form = (*index).rd_index;
        let column = (!form.is_null() && (*form).indnkeyatts == 1)
            .then(|| (*form).indkey.values.as_slice(1)[0]);
        pg_sys::RelationClose(index);
        column.filter(|&c| c > 0)
    }
}

/// The top-level conjuncts of a qual: an implicit-AND list (after the
/// planner's preprocessing), an AND expression, or a single clause.
///
/// # Safety
/// `qual` is NULL or a valid expression or list.
unsafe fn conjuncts(qual: *mut Node) -> Vec<*mut Node> {
    // SAFETY: each node is read as the type its tag names.
    unsafe {
        if qual.is_null() {
            return Vec::new();
        }
        let list = match (*qual).type_ {
            pg_sys::NodeTag::T_List => qual.cast::<pg_sys::List>(),
            pg_sys::NodeTag::T_BoolExpr
                if (*qual.cast::<pg_sys::BoolExpr>()).boolop == pg_sys::BoolExprType::AND_EXPR =>
            {
                (*qual.cast::<pg_sys::BoolExpr>()).args
            }
            _ => return vec![qual],
        };
        if list.is_null() {
            return Vec::new();
        }
        (0..(*list).length as usize)
            .flat_map(|i| conjuncts((*(*list).elements.add(i)).ptr_value.cast()))
            .collect()
    }
}

/// `owner = …` (either way round) on exactly this column: with the
/// current tenant's reader, or with a constant or parameter.
///
/// # Safety
/// `clause` and `owner` are valid nodes.
unsafe fn owner_equals(
    clause: *mut Node,
    owner: *mut pg_sys::Var,
    tenant_function: Oid,
) -> OwnerQual {
    // SAFETY: each node is read as the type its tag names.
    unsafe {
        if (*clause).type_ != pg_sys::NodeTag::T_OpExpr {
            return OwnerQual::Nothing;
        }
        let op = clause.cast::<pg_sys::OpExpr>();
        let args = (*op).args;
        if (*op).opno != UUID_EQ_OP || args.is_null() || (*args).length != 2 {
            return OwnerQual::Nothing;
        }
        let left = (*(*args).elements.add(0)).ptr_value.cast::<Node>();
        let right = (*(*args).elements.add(1)).ptr_value.cast::<Node>();
        let is_owner = |node: *mut Node| {
            (*node).type_ == pg_sys::NodeTag::T_Var && {
                let var = node.cast::<pg_sys::Var>();
                (*var).varno == (*owner).varno
                    && (*var).varattno == (*owner).varattno
                    && (*var).varlevelsup == 0
            }
        };
        let other = if is_owner(left) {
            right
        } else if is_owner(right) {
            left
        } else {
            return OwnerQual::Nothing;
        };
        match (*other).type_ {
            pg_sys::NodeTag::T_FuncExpr => {
                let call = other.cast::<pg_sys::FuncExpr>();
                if (*call).funcid == tenant_function
                    && ((*call).args.is_null() || (*(*call).args).length == 0)
                {
                    OwnerQual::CurrentTenant
                } else {
                    OwnerQual::Nothing
                }
            }
            pg_sys::NodeTag::T_Const if !(*other.cast::<pg_sys::Const>()).constisnull => {
                OwnerQual::OneTenant
            }
            pg_sys::NodeTag::T_Param => OwnerQual::OneTenant,
            _ => OwnerQual::Nothing,
        }
    }
}
