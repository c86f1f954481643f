//! The records the row trigger computed, waiting for their statement's
//! flush, tagged with the subtransaction that made each change; and the
//! (sub)transaction callbacks that drop what rolls back and refuse to
//! commit what was never written.

use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;

use pgrx::pg_sys::{self, Oid};
use pgrx::prelude::*;

use crate::errors::{error, OBJECT_NOT_IN_PREREQUISITE_STATE};
use crate::settings::AUDIT_BUFFER_RECORDS_SETTING;

use super::classify::Action;

/// Records buffered in the row trigger beyond which it writes them itself,
/// bounding the backend's memory on huge statements
/// (`vital.audit_buffer_records`).
pub(super) fn buffer_limit() -> usize {
    AUDIT_BUFFER_RECORDS_SETTING.get().max(1) as usize
}

/// One sharing change. Plain Rust values: nothing here points into memory
/// PostgreSQL may reset before the flush.
pub(super) struct Pending {
    /// The subtransaction that made the change: only a flush in the same
    /// subtransaction writes it (see `subtransaction_ended`).
    pub(super) subxact: pg_sys::SubTransactionId,
    pub(super) table_name: Rc<str>,
    pub(super) resource_id: Option<String>,
    pub(super) action: Action,
    /// jsonb text of the states, shared between records with equal states.
    pub(super) old_state: Option<Rc<str>>,
    pub(super) new_state: Option<Rc<str>>,
    pub(super) actor_user: Option<pgrx::Uuid>,
    pub(super) actor_tenant: Option<pgrx::Uuid>,
    pub(super) actor_role: Oid,
}

thread_local! {
    /// In the order of the changes.
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
}

/// Buffers a record; how many are waiting now.
pub(super) fn push(record: Pending) -> usize {
    PENDING.with_borrow_mut(|pending| {
        pending.push(record);
        pending.len()
    })
}

/// Takes the records of the current subtransaction. Records of an
/// enclosing subtransaction stay: this one may still roll back, and they
/// belong to a statement whose own flush writes them.
pub(super) fn take_current() -> Vec<Pending> {
    // SAFETY: a plain read of the transaction state.
    let current = unsafe { pg_sys::GetCurrentSubTransactionId() };
    PENDING.with_borrow_mut(|pending| {
        if pending.iter().all(|r| r.subxact == current) {
            std::mem::take(pending)
        } else {
            let (mine, rest) = std::mem::take(pending)
                .into_iter()
                .partition(|r| r.subxact == current);
            *pending = rest;
            mine
        }
    })
}

/// Subtransaction callback (registered in `_PG_init`): a subtransaction's
/// records are dropped when it aborts, and handed to its parent when it
/// commits (the parent's statement flushes them).
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn subtransaction_ended(
    event: pg_sys::SubXactEvent::Type,
    my_subid: pg_sys::SubTransactionId,
    parent_subid: pg_sys::SubTransactionId,
    _arg: *mut c_void,
) {
    // Subtransaction ids only grow within a transaction, and the children
    // of an ending subtransaction have ended before it: every record tagged
    // `my_subid` or later is this subtransaction's.
    match event {
        pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB => {
            PENDING.with_borrow_mut(|pending| pending.retain(|r| r.subxact < my_subid));
        }
        pg_sys::SubXactEvent::SUBXACT_EVENT_COMMIT_SUB => {
            PENDING.with_borrow_mut(|pending| {
                for record in pending.iter_mut().filter(|r| r.subxact >= my_subid) {
                    record.subxact = parent_subid;
                }
            });
        }
        _ => {}
    }
}

/// Transaction callback (registered in `_PG_init`): an abort drops every
/// record; a commit (or PREPARE) with records still unwritten fails rather
/// than lose them. The statement triggers flush every record before that
/// point, so this error means a bug or a trigger missing despite the checks.
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn transaction_ended(
    event: pg_sys::XactEvent::Type,
    _arg: *mut c_void,
) {
    match event {
        pg_sys::XactEvent::XACT_EVENT_PRE_COMMIT | pg_sys::XactEvent::XACT_EVENT_PRE_PREPARE => {
            let left = PENDING.with_borrow_mut(|pending| std::mem::take(pending).len());
            if left > 0 {
                error(
                    OBJECT_NOT_IN_PREREQUISITE_STATE,
                    "sharing audit records were not written",
                )
                .detail(format!(
                    "{left} records of sharing changes were still waiting for their statement's flush at commit."
                ))
                .hint("Check the triggers with vital.tenancy_status() and repair them with vital.enable_tenancy().")
                .raise()
            }
        }
        pg_sys::XactEvent::XACT_EVENT_ABORT
        | pg_sys::XactEvent::XACT_EVENT_PARALLEL_ABORT
        | pg_sys::XactEvent::XACT_EVENT_COMMIT
        | pg_sys::XactEvent::XACT_EVENT_PREPARE => {
            PENDING.with_borrow_mut(|pending| pending.clear());
        }
        _ => {}
    }
}
