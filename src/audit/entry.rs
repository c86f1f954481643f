//! The entry points PostgreSQL calls (`vital.audit_sharing()` and
//! `vital.refuse_audit_change()`, created in `sql/audit.sql`), and what a
//! row event and a statement event do.
//!
//! The entry points are written by hand (see `trigger_entry`); their
//! symbols are the ones pgrx's wrapper used, so catalogs made by earlier
//! builds keep resolving.

use pgrx::pg_sys;
use pgrx::trigger_support::{
    trigger_fired_after, trigger_fired_by_delete, trigger_fired_by_insert,
    trigger_fired_by_truncate, trigger_fired_for_row,
};

use crate::context::{current_tenant, current_user};
use crate::errors::{error, INSUFFICIENT_PRIVILEGE, TRIGGER_PROTOCOL_VIOLATED};
use crate::ids::to_pg;
use crate::privileged::{caller_is_superuser, calling_role};
use crate::trigger_entry::trigger_entry_point;

use super::buffer::{self, buffer_limit, Pending};
use super::classify::classify;
use super::layout::{key_text, layout_of};
use super::state::{decode, Deformed, Side};
use super::write::flush;

trigger_entry_point!(
    audit_sharing_wrapper,
    pg_finfo_audit_sharing_wrapper,
    "vital.audit_sharing()",
    audit_sharing
);
trigger_entry_point!(
    refuse_audit_change_wrapper,
    pg_finfo_refuse_audit_change_wrapper,
    "vital.refuse_audit_change()",
    refuse_audit_change
);

/// Records a change of who may see a row; see the README. Installed by
/// enable_tenancy four times on every protected table (and partition):
/// AFTER INSERT, AFTER UPDATE and AFTER DELETE FOR EACH ROW, each with a
/// WHEN condition that lets through only changes that can record something,
/// it computes the record and buffers it; AFTER INSERT OR UPDATE OR DELETE
/// FOR EACH STATEMENT (which PostgreSQL fires after the statement's row
/// events) it writes the buffered records of the current subtransaction in
/// one INSERT. Whatever a WHEN condition lets through, `classify` decides.
fn audit_sharing(data: &pg_sys::TriggerData) {
    let event = data.tg_event;
    let after = trigger_fired_after(event);
    if after && !trigger_fired_by_truncate(event) && !trigger_fired_for_row(event) {
        flush();
        return;
    }
    if !(after && trigger_fired_for_row(event)) {
        error(
            TRIGGER_PROTOCOL_VIOLATED,
            "vital.audit_sharing() must be fired AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW or FOR EACH STATEMENT",
        )
        .hint("Let vital.enable_tenancy() create the triggers.")
        .raise()
    }
    let rel = data.tg_relation;
    let layout = layout_of(rel);
    // SAFETY: the relation is open for the statement.
    let tupdesc = unsafe { (*rel).rd_att };
    let (old, new) = if trigger_fired_by_insert(event) {
        (None, Some(data.tg_trigtuple))
    } else if trigger_fired_by_delete(event) {
        (Some(data.tg_trigtuple), None)
    } else {
        (Some(data.tg_trigtuple), Some(data.tg_newtuple))
    };
    // SAFETY: PostgreSQL's tuples for this event, with the relation's descriptor.
    let old = old.map(|t| unsafe { Deformed::read(t, tupdesc) });
    // SAFETY: as above.
    let new = new.map(|t| unsafe { Deformed::read(t, tupdesc) });
    // SAFETY: row versions of the relation the layout describes.
    let old_state = old
        .as_ref()
        .map(|r| unsafe { decode(Side::Old, r, &layout) });
    // SAFETY: as above.
    let new_state = new
        .as_ref()
        .map(|r| unsafe { decode(Side::New, r, &layout) });
    let Some(action) = classify(
        old_state.as_ref().map(|s| &s.visibility),
        new_state.as_ref().map(|s| &s.visibility),
    ) else {
        return;
    };
    // The new version's key on UPDATE (a changed key is the row's key from now on).
    let keyed = new
        .as_ref()
        .or(old.as_ref())
        .expect("a row event has a row");
    // SAFETY: the key column's value, of the layout's key type.
    let resource_id = keyed
        .get(layout.key)
        .map(|datum| unsafe { key_text(datum, &layout) });
    let buffered = buffer::push(Pending {
        // SAFETY: a plain read of the transaction state.
        subxact: unsafe { pg_sys::GetCurrentSubTransactionId() },
        table_name: layout.table_name.clone(),
        resource_id,
        action,
        old_state: old_state.map(|s| s.json.clone()),
        new_state: new_state.map(|s| s.json.clone()),
        actor_user: current_user().map(to_pg),
        actor_tenant: current_tenant().map(to_pg),
        actor_role: calling_role(),
    });
    // Left for the statement's flush only when one is sure to follow: every
    // relation the statement can have targeted (this one and its ancestors)
    // has an enabled flush trigger, and the session is not applying
    // replicated changes (the apply worker fires no statement triggers).
    // SAFETY: a plain read of a setting.
    let replica = unsafe { pg_sys::SessionReplicationRole }
        == pg_sys::SESSION_REPLICATION_ROLE_REPLICA as i32;
    if !layout.flushed_by_statement || replica || buffered >= buffer_limit() {
        flush();
    }
}

/// Refuses UPDATE, DELETE and TRUNCATE of the trail to everyone but
/// superusers. Privileges already do for everyone but the table's owner;
/// this also covers an owner who is not a superuser.
fn refuse_audit_change(_data: &pg_sys::TriggerData) {
    if !caller_is_superuser() {
        error(
            INSUFFICIENT_PRIVILEGE,
            "permission denied to change the sharing audit trail",
        )
        .detail("The sharing audit trail is append-only: only vital_tenancy's trigger writes it, and only a superuser may change or remove its rows.")
        .raise()
    }
}
