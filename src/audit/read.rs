//! The check the trail's own policy calls: may the current context read an
//! audit row.
//!
//! Any role can call it with any jsonb, so it reads the two keys it needs
//! from jsonb's binary form in place: nothing is converted to text or
//! parsed, and no nesting depth or malformed state makes it raise; a state
//! that is not what the trigger writes simply mentions nobody.

use pgrx::callconv::{Arg, ArgAbi};
use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::prelude::*;
use uuid::Uuid;

use crate::access::rules::admin_bypass;
use crate::context::current_tenant;
use crate::ids::from_pg;
use crate::vocabulary::Column;

/// A jsonb argument, detoasted, read in place.
pub(crate) struct JsonbArg(*const pg_sys::Jsonb);

impl FromDatum for JsonbArg {
    unsafe fn from_polymorphic_datum(datum: Datum, is_null: bool, _typoid: Oid) -> Option<Self> {
        if is_null {
            return None;
        }
        // SAFETY: a non-null jsonb datum is a varlena; detoasting copies it
        // into the call's memory context when it is compressed or external.
        let value = unsafe { pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) };
        Some(JsonbArg(value.cast()))
    }
}

impl IntoDatum for JsonbArg {
    fn into_datum(self) -> Option<Datum> {
        Some(Datum::from(self.0))
    }

    fn type_oid() -> Oid {
        pg_sys::JSONBOID
    }
}

pgrx::impl_sql_translatable!(JsonbArg, "jsonb");

// SAFETY: the argument is declared jsonb, a varlena passed by reference.
unsafe impl<'fcx> ArgAbi<'fcx> for JsonbArg {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        // SAFETY: pgrx calls this only for a non-null jsonb argument.
        unsafe { arg.unbox_arg_using_from_datum() }.unwrap_or(JsonbArg(std::ptr::null()))
    }
}

/// Whether the current context may read an audit row: a platform admin
/// bypassing (the same rule as `can_access_resource`), else a tenant that
/// acted, owned the resource before or after, or was in its list before or
/// after. No context reads nothing.
#[pg_extern(stable, parallel_safe)]
fn can_read_sharing_audit(
    actor_tenant: Option<pgrx::Uuid>,
    old_state: Option<JsonbArg>,
    new_state: Option<JsonbArg>,
) -> bool {
    let tenant = current_tenant();
    if admin_bypass(tenant) {
        return true;
    }
    let Some(tenant) = tenant else {
        return false;
    };
    actor_tenant.map(from_pg) == Some(tenant)
        || [old_state, new_state]
            .iter()
            .flatten()
            // SAFETY: each is a detoasted jsonb value for this call.
            .any(|state| unsafe { mentions(state, tenant) })
}

/// Whether a recorded state names `tenant` as its owner or in its list.
///
/// # Safety
/// `state` holds a valid, detoasted jsonb value (or NULL).
unsafe fn mentions(state: &JsonbArg, tenant: Uuid) -> bool {
    if state.0.is_null() {
        return false;
    }
    // SAFETY: per this function's contract; the root container is read
    // through PostgreSQL's own accessors, after checking it is an object.
    unsafe {
        let root = (&raw const (*state.0).root).cast_mut();
        if (*root).header & pg_sys::JB_FOBJECT == 0 {
            return false;
        }
        let is_tenant = |value: *const pg_sys::JsonbValue| {
            string_of(value).is_some_and(|s| Uuid::try_parse_ascii(s).is_ok_and(|u| u == tenant))
        };
        let mut found: pg_sys::JsonbValue = std::mem::zeroed();
        if !key(root, Column::TenantId.name(), &mut found).is_null() && is_tenant(&found) {
            return true;
        }
        if key(root, Column::SharedWith.name(), &mut found).is_null()
            || found.type_ != pg_sys::jbvType::jbvBinary
        {
            return false;
        }
        let list = found.val.binary.data;
        if list.is_null() || (*list).header & pg_sys::JB_FARRAY == 0 {
            return false;
        }
        let size = (*list).header & pg_sys::JB_CMASK;
        (0..size).any(|i| is_tenant(pg_sys::getIthJsonbValueFromContainer(list, i)))
    }
}

/// # Safety
/// `object` is a valid jsonb object container.
unsafe fn key(
    object: *mut pg_sys::JsonbContainer,
    name: &str,
    found: &mut pg_sys::JsonbValue,
) -> *mut pg_sys::JsonbValue {
    // SAFETY: per this function's contract; the key needs no terminator.
    unsafe {
        pg_sys::getKeyJsonValueFromContainer(object, name.as_ptr().cast(), name.len() as i32, found)
    }
}

/// The bytes of a jsonb string value.
///
/// # Safety
/// `value` is NULL or a valid JsonbValue.
unsafe fn string_of<'a>(value: *const pg_sys::JsonbValue) -> Option<&'a [u8]> {
    // SAFETY: per this function's contract; a string's bytes live in the
    // jsonb value it was read from.
    unsafe {
        if value.is_null() || (*value).type_ != pg_sys::jbvType::jbvString {
            return None;
        }
        let string = (*value).val.string;
        Some(std::slice::from_raw_parts(
            string.val.cast::<u8>(),
            string.len.max(0) as usize,
        ))
    }
}
