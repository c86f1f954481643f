//! The audit triggers on a protected table: how they are recognised, put
//! back when missing, wrong or disabled, and removed.
//!
//! Four triggers run `vital.audit_sharing()` (`vocabulary::AuditTrigger`):
//! three row triggers, one per event, whose WHEN conditions let through
//! only changes that can record something (a shared row inserted or
//! deleted, an update that changes a sharing column), which compute and
//! buffer each record; and the flush trigger (`vital_tenancy_audit_flush`,
//! AFTER INSERT OR UPDATE OR DELETE FOR EACH STATEMENT), which writes them
//! once the statement's row events have fired. The flush trigger cannot
//! have a condition: a statement trigger's WHEN is evaluated when the
//! statement's event is queued, before any of its row events has fired,
//! so nothing would be buffered yet to test. It costs one event per
//! statement.
//!
//! On a partitioned table the row triggers are created on the parent, and
//! PostgreSQL clones them (WHEN conditions included, with the partition's
//! attribute numbers) onto every partition, present and future (a clone
//! cannot be dropped on its own, but it can be disabled). Statement
//! triggers are not cloned, and a statement fires only the target's: the
//! flush trigger is created on the table and on every partition, each its
//! own. A partition attached later has none until enable_tenancy runs
//! again; meanwhile the row triggers write its records one by one.
//!
//! Any other trigger running `vital.audit_sharing()` (the single row
//! trigger `vital_tenancy_audit` of earlier versions, which fired for every
//! row, or one made by hand) would record changes twice: enable_tenancy
//! and disable_tenancy drop it, and the doctor reports it.

use pgrx::pg_sys::Oid;

use crate::privileged::as_registry_owner;
use crate::spi::{self, flag, Row};
use crate::vocabulary::{fires_sql, is_stray_sql, AuditTrigger};

use super::catalog::{quote_ident, Rel};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum TriggerState {
    /// Ours, as created, and firing.
    Ok,
    /// Ours and as created, but disabled (or firing only for replicas).
    Disabled,
    /// The name is taken by something else: another function, other
    /// events, another WHEN condition or none, arguments, a column list.
    Wrong,
    Missing,
}

pub(super) struct FoundTrigger {
    pub(super) state: TriggerState,
    /// A clone of the parent's trigger (on a partition).
    pub(super) cloned: bool,
    /// `pg_trigger.tgenabled`: 'O' (origin and local sessions), 'A'
    /// (always), 'R' (replicas only), 'D' (disabled).
    pub(super) mode: char,
}

/// Whether all four triggers are ours, as created, and fire in the same
/// sessions, and no other trigger runs the audit function: the doctor's
/// `audit_trigger_ok`.
pub(super) fn audit_triggers_ok(relid: Oid, fresh: bool) -> bool {
    let found: Vec<FoundTrigger> = AuditTrigger::ALL
        .iter()
        .map(|&kind| find(kind, relid, fresh))
        .collect();
    found.iter().all(|f| f.state == TriggerState::Ok)
        && found.iter().all(|f| f.mode == found[0].mode)
        && strays(relid, fresh).is_empty()
}

fn find(kind: AuditTrigger, relid: Oid, fresh: bool) -> FoundTrigger {
    let sql = format!(
        "select {ours} as right, {fires} as enabled,
                t.tgparentid <> 0 as cloned, t.tgenabled::text as mode
           from pg_trigger t where t.tgrelid = $1 and t.tgname = $2",
        ours = kind.is_ours_sql("t"),
        fires = fires_sql("t"),
    );
    let map = |row: &Row| {
        Ok((
            flag(row, "right")?,
            flag(row, "enabled")?,
            flag(row, "cloned")?,
            row.get_by_name::<String, _>("mode")?
                .and_then(|m| m.chars().next())
                .unwrap_or('D'),
        ))
    };
    let args = [relid.into(), kind.name().into()];
    let found = if fresh {
        spi::run_rows(&sql, &args, map)
    } else {
        spi::select_rows(&sql, &args, map)
    };
    match found.first() {
        None => FoundTrigger {
            state: TriggerState::Missing,
            cloned: false,
            mode: 'D',
        },
        Some(&(right, enabled, cloned, mode)) => FoundTrigger {
            state: match (right, enabled) {
                (false, _) => TriggerState::Wrong,
                (true, false) => TriggerState::Disabled,
                (true, true) => TriggerState::Ok,
            },
            cloned,
            mode,
        },
    }
}

/// The other triggers on the relation that run the audit function: name
/// and whether it is a clone of the parent's.
fn strays(relid: Oid, fresh: bool) -> Vec<(String, bool)> {
    let sql = format!(
        "select t.tgname::text as name, t.tgparentid <> 0 as cloned
           from pg_trigger t where t.tgrelid = $1 and {stray} order by t.tgname",
        stray = is_stray_sql("t"),
    );
    let map = |row: &Row| Ok((spi::text(row, "name")?, flag(row, "cloned")?));
    let args = [relid.into()];
    if fresh {
        spi::run_rows(&sql, &args, map)
    } else {
        spi::select_rows(&sql, &args, map)
    }
}

fn drop_sql(name: &str, rel: &Rel) -> String {
    format!(
        "DROP TRIGGER IF EXISTS {} ON {}",
        quote_ident(name),
        rel.qualified
    )
}

fn enable_sql(kind: AuditTrigger, rel: &Rel, always: bool) -> String {
    format!(
        "ALTER TABLE {} ENABLE {}TRIGGER {}",
        rel.qualified,
        if always { "ALWAYS " } else { "" },
        kind.name()
    )
}

/// Makes the four triggers right on the table and every partition, and
/// drops any other trigger running the audit function. Changes nothing
/// when all is well.
pub(super) fn install_audit_trigger(rel: &Rel, parts: &[Rel]) {
    drop_strays(rel, parts);
    for kind in AuditTrigger::ROW {
        install_row_trigger(kind, rel, parts);
    }
    install_flush_triggers(rel, parts);
    align_modes(rel, parts);
}

/// Drops the other triggers running the audit function: on the table (and
/// so their clones), then those of a partition's own.
fn drop_strays(rel: &Rel, parts: &[Rel]) {
    for r in std::iter::once(rel).chain(parts) {
        let own: Vec<String> = strays(r.oid, true)
            .into_iter()
            .filter(|(_, cloned)| !cloned)
            .map(|(name, _)| drop_sql(&name, r))
            .collect();
        run(&own);
    }
}

/// Makes one row trigger right on the table and every partition: creates
/// it when missing, re-creates it when it is not ours or not as created (on
/// the parent, so the partitions get fresh clones), enables it where it is
/// disabled.
fn install_row_trigger(kind: AuditTrigger, rel: &Rel, parts: &[Rel]) {
    let part_states: Vec<FoundTrigger> = parts.iter().map(|p| find(kind, p.oid, true)).collect();
    let root = find(kind, rel.oid, true);
    let recreate = matches!(root.state, TriggerState::Wrong | TriggerState::Missing)
        || part_states
            .iter()
            .any(|f| matches!(f.state, TriggerState::Wrong | TriggerState::Missing));
    let mut statements = Vec::new();
    if recreate {
        // A partition's own trigger of that name would block the clone.
        for (part, found) in parts.iter().zip(&part_states) {
            if found.state != TriggerState::Missing && !found.cloned {
                statements.push(drop_sql(kind.name(), part));
            }
        }
        if root.state != TriggerState::Missing {
            statements.push(drop_sql(kind.name(), rel));
        }
        statements.push(kind.create_sql(&rel.qualified));
    } else if root.state == TriggerState::Disabled {
        statements.push(enable_sql(kind, rel, false));
    }
    run(&statements);
    // Clones disabled on their own stay disabled when the parent's is enabled.
    let disabled: Vec<String> = parts
        .iter()
        .filter(|p| find(kind, p.oid, true).state == TriggerState::Disabled)
        .map(|p| enable_sql(kind, p, false))
        .collect();
    run(&disabled);
}

/// Makes the flush trigger right on the table and on every partition, each
/// its own.
fn install_flush_triggers(rel: &Rel, parts: &[Rel]) {
    let kind = AuditTrigger::Flush;
    let mut statements = Vec::new();
    for r in std::iter::once(rel).chain(parts) {
        match find(kind, r.oid, true).state {
            TriggerState::Missing => statements.push(kind.create_sql(&r.qualified)),
            TriggerState::Wrong => {
                statements.push(drop_sql(kind.name(), r));
                statements.push(kind.create_sql(&r.qualified));
            }
            TriggerState::Ok | TriggerState::Disabled => {}
        }
    }
    run(&statements);
}

/// Makes the four triggers of each relation fire in the same sessions:
/// ALWAYS if someone chose ENABLE ALWAYS for all three row triggers there,
/// otherwise in origin and local sessions (the default).
fn align_modes(rel: &Rel, parts: &[Rel]) {
    let mut statements = Vec::new();
    for r in std::iter::once(rel).chain(parts) {
        let modes: Vec<(AuditTrigger, char)> = AuditTrigger::ALL
            .iter()
            .map(|&kind| (kind, find(kind, r.oid, true).mode))
            .collect();
        let always = modes
            .iter()
            .filter(|(kind, _)| kind.is_row())
            .all(|&(_, mode)| mode == 'A');
        let target = if always { 'A' } else { 'O' };
        for (kind, mode) in modes {
            if mode != target {
                statements.push(enable_sql(kind, r, always));
            }
        }
    }
    run(&statements);
}

/// Removes the four triggers from the table (and so the row triggers'
/// clones), any of the same names left on partitions, and every other
/// trigger running the audit function.
pub(super) fn drop_audit_trigger(rel: &Rel, parts: &[Rel]) {
    drop_strays(rel, parts);
    for kind in AuditTrigger::ALL {
        if find(kind, rel.oid, true).state != TriggerState::Missing {
            run(&[drop_sql(kind.name(), rel)]);
        }
        let left: Vec<String> = parts
            .iter()
            .filter(|p| find(kind, p.oid, true).state != TriggerState::Missing)
            .map(|p| drop_sql(kind.name(), p))
            .collect();
        run(&left);
    }
}

fn run(statements: &[String]) {
    if statements.is_empty() {
        return;
    }
    as_registry_owner(|| {
        for sql in statements {
            spi::execute(sql, &[]);
        }
    });
}
