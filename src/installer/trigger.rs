//! The audit triggers on a protected table: how they are recognised, put
//! back when missing, wrong or disabled, and removed.
//!
//! Two triggers run `vital.audit_sharing()`: the row trigger
//! (`vital_tenancy_audit`, AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW),
//! which computes and buffers each record, and the flush trigger
//! (`vital_tenancy_audit_flush`, the same events FOR EACH STATEMENT), which
//! writes them once the statement's row events have fired.
//!
//! On a partitioned table the row trigger is created on the parent, and
//! PostgreSQL clones it onto every partition, present and future (a clone
//! cannot be dropped on its own, but it can be disabled). Statement
//! triggers are not cloned, and a statement fires only the target's: the
//! flush trigger is created on the table and on every partition, each its
//! own. A partition attached later has none until enable_tenancy runs
//! again; meanwhile the row trigger writes its records one by one.

use pgrx::pg_sys::Oid;

use crate::privileged::as_registry_owner;
use crate::spi::{self, flag, Row};
use crate::vocabulary::{fires_sql, AuditTrigger, AUDIT_FUNCTION};

use super::catalog::Rel;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum TriggerState {
    /// Ours, as created, and firing.
    Ok,
    /// Ours and as created, but disabled (or firing only for replicas).
    Disabled,
    /// The name is taken by something else: another function, other
    /// events, a WHEN condition, arguments, a column list.
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

pub(super) fn audit_trigger(relid: Oid, fresh: bool) -> FoundTrigger {
    find(AuditTrigger::Row, relid, fresh)
}

pub(super) fn flush_trigger(relid: Oid, fresh: bool) -> FoundTrigger {
    find(AuditTrigger::Flush, relid, fresh)
}

/// Whether both triggers are ours, as created, and fire in the same
/// sessions: the doctor's `audit_trigger_ok`.
pub(super) fn audit_triggers_ok(relid: Oid, fresh: bool) -> bool {
    let row = audit_trigger(relid, fresh);
    let flush = flush_trigger(relid, fresh);
    row.state == TriggerState::Ok && flush.state == TriggerState::Ok && row.mode == flush.mode
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

fn create_sql(kind: AuditTrigger, rel: &Rel) -> String {
    format!(
        "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {}
         FOR EACH {} EXECUTE FUNCTION {AUDIT_FUNCTION}",
        kind.name(),
        rel.qualified,
        kind.level()
    )
}

fn drop_sql(kind: AuditTrigger, rel: &Rel) -> String {
    format!(
        "DROP TRIGGER IF EXISTS {} ON {}",
        kind.name(),
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

/// Makes both triggers right on the table and every partition. Changes
/// nothing when all is well.
pub(super) fn install_audit_trigger(rel: &Rel, parts: &[Rel]) {
    install_row_trigger(rel, parts);
    install_flush_triggers(rel, parts);
}

/// Makes the row trigger right on the table and every partition: creates
/// it when missing, re-creates it when it is not ours or not as created (on
/// the parent, so the partitions get fresh clones), enables it where it is
/// disabled.
fn install_row_trigger(rel: &Rel, parts: &[Rel]) {
    let part_states: Vec<FoundTrigger> = parts.iter().map(|p| audit_trigger(p.oid, true)).collect();
    let root = audit_trigger(rel.oid, true);
    let recreate = matches!(root.state, TriggerState::Wrong | TriggerState::Missing)
        || part_states
            .iter()
            .any(|f| matches!(f.state, TriggerState::Wrong | TriggerState::Missing));
    let mut statements = Vec::new();
    if recreate {
        // A partition's own trigger of that name would block the clone.
        for (part, found) in parts.iter().zip(&part_states) {
            if found.state != TriggerState::Missing && !found.cloned {
                statements.push(drop_sql(AuditTrigger::Row, part));
            }
        }
        if root.state != TriggerState::Missing {
            statements.push(drop_sql(AuditTrigger::Row, rel));
        }
        statements.push(create_sql(AuditTrigger::Row, rel));
    } else if root.state == TriggerState::Disabled {
        statements.push(enable_sql(AuditTrigger::Row, rel, false));
    }
    run(&statements);
    // Clones disabled on their own stay disabled when the parent's is enabled.
    let disabled: Vec<String> = parts
        .iter()
        .filter(|p| audit_trigger(p.oid, true).state == TriggerState::Disabled)
        .map(|p| enable_sql(AuditTrigger::Row, p, false))
        .collect();
    run(&disabled);
}

/// Makes the flush trigger right on the table and on every partition, each
/// its own, firing in the same sessions as the row trigger there (which is
/// enabled by now: 'O', or 'A' if someone chose ENABLE ALWAYS).
fn install_flush_triggers(rel: &Rel, parts: &[Rel]) {
    let mut statements = Vec::new();
    for r in std::iter::once(rel).chain(parts) {
        let row_mode = audit_trigger(r.oid, true).mode;
        let found = flush_trigger(r.oid, true);
        match found.state {
            TriggerState::Missing => statements.push(create_sql(AuditTrigger::Flush, r)),
            TriggerState::Wrong => {
                statements.push(drop_sql(AuditTrigger::Flush, r));
                statements.push(create_sql(AuditTrigger::Flush, r));
            }
            TriggerState::Ok | TriggerState::Disabled => {}
        }
        let created_mode = match found.state {
            TriggerState::Missing | TriggerState::Wrong => 'O',
            _ => found.mode,
        };
        if created_mode != row_mode {
            statements.push(enable_sql(AuditTrigger::Flush, r, row_mode == 'A'));
        }
    }
    run(&statements);
}

/// Removes both triggers from the table (and so the row trigger's clones)
/// and any of the same names left on partitions.
pub(super) fn drop_audit_trigger(rel: &Rel, parts: &[Rel]) {
    for kind in AuditTrigger::BOTH {
        if find(kind, rel.oid, true).state != TriggerState::Missing {
            run(&[drop_sql(kind, rel)]);
        }
        let left: Vec<String> = parts
            .iter()
            .filter(|p| find(kind, p.oid, true).state != TriggerState::Missing)
            .map(|p| drop_sql(kind, p))
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
