//! The guard on `DROP EXTENSION vital_tenancy`: an event trigger on
//! `ddl_command_start` (`sql/installer.sql`) that refuses the drop without
//! CASCADE while tables are protected, and warns with CASCADE.
//!
//! Without it, the drop fails on the policies' dependencies with a message
//! that names neither the way out nor the price, and `CASCADE` goes ahead
//! in silence: it destroys the registry and the trail and leaves every
//! protected table forced under row-level security with no policy.
//! Written by hand, in C's calling convention, because the statement is
//! read from the event trigger's data (`parsetree`), which pgrx does not
//! hand to an `#[pg_extern]`.

use std::ffi::CStr;

use pgrx::pg_sys;

use crate::errors::{
    error, warning, DEPENDENT_OBJECTS_STILL_EXIST, EVENT_TRIGGER_PROTOCOL_VIOLATED, WARNING,
};
use crate::privileged::as_registry_owner;
use crate::spi::{self, text};

const EXTENSION: &str = "vital_tenancy";
/// How many protected tables a message names.
const NAMED: usize = 5;

/// `vital._guard_drop_extension()`, the function of the event trigger
/// `vital_guard_drop_extension`.
///
/// # Safety
/// Called by PostgreSQL's function manager with a valid `fcinfo`.
#[pgrx::pg_guard]
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C-unwind" fn guard_drop_extension_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: per this function's contract; the context is read as
    // EventTriggerData only when its node tag says it is one
    // (CALLED_AS_EVENT_TRIGGER), and its parse tree as a DropStmt only when
    // its tag says so.
    let drop = unsafe {
        let context = (*fcinfo).context;
        if context.is_null() || (*context).type_ != pg_sys::NodeTag::T_EventTriggerData {
            error(
                EVENT_TRIGGER_PROTOCOL_VIOLATED,
                "vital._guard_drop_extension() can only be called as an event trigger",
            )
            .raise()
        }
        let data = &*(context as *const pg_sys::EventTriggerData);
        let tree = data.parsetree;
        if tree.is_null() || (*tree).type_ != pg_sys::NodeTag::T_DropStmt {
            None
        } else {
            let stmt = &*(tree as *const pg_sys::DropStmt);
            (stmt.removeType == pg_sys::ObjectType::OBJECT_EXTENSION
                && dropped_names(stmt).iter().any(|name| name == EXTENSION))
            .then_some(stmt.behavior == pg_sys::DropBehavior::DROP_CASCADE)
        }
    };
    if let Some(cascade) = drop {
        guard(cascade);
    }
    pg_sys::Datum::from(0)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_guard_drop_extension_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// The extension names a `DROP EXTENSION` lists (String nodes).
///
/// # Safety
/// `stmt` must be the DropStmt of a `DROP EXTENSION`.
unsafe fn dropped_names(stmt: &pg_sys::DropStmt) -> Vec<String> {
    // SAFETY: per this function's contract, `objects` is a List (an array
    // of `length` cells since PostgreSQL 13) of String nodes (Value nodes
    // before PostgreSQL 15); NIL is a null pointer.
    unsafe {
        let Some(list) = stmt.objects.as_ref() else {
            return Vec::new();
        };
        (0..list.length.max(0) as usize)
            .filter_map(|i| node_string((*list.elements.add(i)).ptr_value.cast()))
            .collect()
    }
}

/// # Safety
/// `node` must be a String node (a Value node before PostgreSQL 15).
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe fn node_string(node: *const pg_sys::Node) -> Option<String> {
    // SAFETY: per this function's contract.
    unsafe {
        let string = node.cast::<pg_sys::String>().as_ref()?;
        (!string.sval.is_null()).then(|| CStr::from_ptr(string.sval).to_string_lossy().into_owned())
    }
}

/// # Safety
/// `node` must be a String node (a Value node before PostgreSQL 15).
#[cfg(any(feature = "pg13", feature = "pg14"))]
unsafe fn node_string(node: *const pg_sys::Node) -> Option<String> {
    // SAFETY: per this function's contract.
    unsafe {
        let value = node.cast::<pg_sys::Value>().as_ref()?;
        let sval = value.val.str_;
        (!sval.is_null()).then(|| CStr::from_ptr(sval).to_string_lossy().into_owned())
    }
}

/// Refuses the drop (without CASCADE) or warns (with it) while tables are
/// registered; says nothing when none is.
fn guard(cascade: bool) {
    // With search_path pinned, the names come out schema-qualified.
    let tables: Vec<String> = as_registry_owner(|| {
        spi::run_rows(
            "select t.table_name::text as name from vital.tenant_tables t order by 1",
            &[],
            |row| text(row, "name"),
        )
    });
    if tables.is_empty() {
        return;
    }
    let count = match tables.len() {
        1 => "1 table".to_string(),
        n => format!("{n} tables"),
    };
    let mut named = tables
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if tables.len() > NAMED {
        named.push_str(&format!(" and {} more", tables.len() - NAMED));
    }
    let destroyed =
        "CASCADE destroys the tenant registry (tenants, memberships, platform admins), \
         the list of protected tables and the sharing audit trail, and drops the tables' policies, \
         foreign keys to vital.tenants and audit triggers: the tables stay forced under row-level \
         security with no policy, readable only by superusers and roles with BYPASSRLS, and their \
         tenant ids no longer resolve to any tenant.";
    if cascade {
        warning(WARNING, format!(
            "dropping extension {EXTENSION} while it protects {count}: {named}"
        ))
        .detail(destroyed)
        .hint("Unless that is what you want, roll back, take a pg_dump, and take each table out first with vital.disable_tenancy(table_name, keep_closed => true); see \"Uninstalling\" in the README.")
        .send();
    } else {
        error(
            DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop extension {EXTENSION} while it protects {count}: {named}"),
        )
        .detail(destroyed)
        .hint("Take a pg_dump, then take each table out with vital.disable_tenancy(table_name, keep_closed => true) (or drop_columns => true) before dropping the extension; see \"Uninstalling\" in the README.")
        .raise()
    }
}
