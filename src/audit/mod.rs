//! The sharing audit trail: one row in `vital.resource_sharing_audit` for
//! every change of who may see a resource, written by the trigger function
//! `vital.audit_sharing()` in the transaction that makes the change (a
//! rollback takes the row with it; a row that cannot be written fails the
//! change). The table, its policy and its append-only guard are in
//! `sql/audit.sql`; installing the triggers is the installer's job.
//!
//! The row triggers fire for every row that can record something (their
//! WHEN conditions keep the others from being queued at all), so their hot
//! path does no catalog query and parses no SQL. One file per phase:
//!
//! - `changed`: the update trigger's WHEN condition, one native call;
//! - `entry`: the hand-written entry points PostgreSQL calls, and what a
//!   row event and a statement event do;
//! - `layout`: per-relation facts (sharing column numbers, primary key, the
//!   registered root table's name, whether a flush trigger covers the
//!   relation), cached per backend and cleared on invalidation;
//! - `state`: a row version's sharing columns, decoded, and their JSON;
//! - `classify`: which action a change records, if any;
//! - `buffer`: the records waiting for their statement's flush, per
//!   subtransaction, and the transaction callbacks that drop or refuse them;
//! - `write`: writing a batch: `direct` (as COPY does: heap multi-insert
//!   and index insertion) while the trail is as created, otherwise an
//!   INSERT through a kept plan;
//! - `read`: the check the trail's own policy calls.

pub(crate) mod buffer;
mod changed;
mod classify;
mod direct;
mod entry;
pub(crate) mod layout;
pub(crate) mod read;
mod state;
mod write;
