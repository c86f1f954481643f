//! `regclass` as a pgrx argument and result type.

use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::pg_sys::{self, Oid};
use pgrx::prelude::*;

/// A relation's oid, as SQL `regclass`. (pgrx's `PgRelation` would open and
/// lock the relation before the caller's rights are checked, and fail with
/// XX000 on an oid that names nothing.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RegClass(pub(crate) Oid);

impl FromDatum for RegClass {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        typoid: Oid,
    ) -> Option<Self> {
        // SAFETY: a regclass datum is an oid, passed by value.
        unsafe { Oid::from_polymorphic_datum(datum, is_null, typoid) }.map(RegClass)
    }
}

impl IntoDatum for RegClass {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        self.0.into_datum()
    }

    fn type_oid() -> Oid {
        pg_sys::REGCLASSOID
    }
}

pgrx::impl_sql_translatable!(RegClass, "regclass");

// SAFETY: the argument is declared regclass, an oid passed by value.
unsafe impl<'fcx> ArgAbi<'fcx> for RegClass {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        // SAFETY: pgrx calls this only for a non-null regclass argument.
        unsafe { arg.unbox_arg_using_from_datum() }.unwrap_or(RegClass(pg_sys::InvalidOid))
    }
}

// SAFETY: returns the oid by value, as regclass.
unsafe impl BoxRet for RegClass {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        match self.into_datum() {
            // SAFETY: a by-value datum of the declared return type.
            Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
            None => fcinfo.return_null(),
        }
    }
}
