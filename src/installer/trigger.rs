//! The audit trigger on a protected table: how it is recognised, put back
//! when missing, wrong or disabled, and removed.
//!
//! On a partitioned table the trigger is created on the parent, and
//! PostgreSQL clones it onto every partition, present and future (a clone
//! cannot be dropped on its own, but it can be disabled).

use pgrx::pg_sys::Oid;

use crate::audit::TRIGGER_NAME;
use crate::privileged::as_registry_owner;

use super::catalog::*;

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

pub(super) struct Found {
    pub(super) state: TriggerState,
    /// A clone of the parent's trigger (on a partition).
    pub(super) cloned: bool,
}

/// AFTER (no BEFORE or INSTEAD bit), FOR EACH ROW (1), INSERT (4), DELETE
/// (8), UPDATE (16): `pg_trigger.tgtype`.
const TGTYPE: i32 = 1 | 4 | 8 | 16;

pub(super) fn audit_trigger(relid: Oid, fresh: bool) -> Found {
    let sql = format!(
        "select t.tgfoid = 'vital.audit_sharing()'::regprocedure
                and t.tgtype = {TGTYPE} and t.tgattr::int2[] = '{{}}'::int2[]
                and t.tgqual is null and t.tgnargs = 0 and t.tgconstraint = 0
                and t.tgoldtable is null and t.tgnewtable is null as right,
                t.tgenabled in ('O', 'A') as enabled,
                t.tgparentid <> 0 as cloned
           from pg_trigger t where t.tgrelid = $1 and t.tgname = '{TRIGGER_NAME}'"
    );
    let map = |row: &pgrx::spi::SpiHeapTupleData| {
        Ok((
            flag(row, "right")?,
            flag(row, "enabled")?,
            flag(row, "cloned")?,
        ))
    };
    let found = if fresh {
        fresh_rows(&sql, &[relid.into()], map)
    } else {
        rows(&sql, &[relid.into()], map)
    };
    match found.first() {
        None => Found {
            state: TriggerState::Missing,
            cloned: false,
        },
        Some(&(right, enabled, cloned)) => Found {
            state: match (right, enabled) {
                (false, _) => TriggerState::Wrong,
                (true, false) => TriggerState::Disabled,
                (true, true) => TriggerState::Ok,
            },
            cloned,
        },
    }
}

fn create_sql(rel: &Rel) -> String {
    format!(
        "CREATE TRIGGER {TRIGGER_NAME} AFTER INSERT OR UPDATE OR DELETE ON {}
         FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing()",
        rel.qualified
    )
}

fn drop_sql(rel: &Rel) -> String {
    format!("DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON {}", rel.qualified)
}

fn enable_sql(rel: &Rel) -> String {
    format!(
        "ALTER TABLE {} ENABLE TRIGGER {TRIGGER_NAME}",
        rel.qualified
    )
}

/// Makes the trigger right on the table and every partition: creates it
/// when missing, re-creates it when it is not ours or not as created (on
/// the parent, so the partitions get fresh clones), enables it where it is
/// disabled. Changes nothing when all is well.
pub(super) fn install_audit_trigger(rel: &Rel, parts: &[Rel]) {
    let part_states: Vec<Found> = parts.iter().map(|p| audit_trigger(p.oid, true)).collect();
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
                statements.push(drop_sql(part));
            }
        }
        if root.state != TriggerState::Missing {
            statements.push(drop_sql(rel));
        }
        statements.push(create_sql(rel));
    } else if root.state == TriggerState::Disabled {
        statements.push(enable_sql(rel));
    }
    run(&statements);
    // Clones disabled on their own stay disabled when the parent's is enabled.
    let disabled: Vec<String> = parts
        .iter()
        .filter(|p| audit_trigger(p.oid, true).state == TriggerState::Disabled)
        .map(enable_sql)
        .collect();
    run(&disabled);
}

/// Removes the trigger from the table (and so its clones) and any of the
/// same name left on partitions.
pub(super) fn drop_audit_trigger(rel: &Rel, parts: &[Rel]) {
    if audit_trigger(rel.oid, true).state != TriggerState::Missing {
        run(&[drop_sql(rel)]);
    }
    let left: Vec<String> = parts
        .iter()
        .filter(|p| audit_trigger(p.oid, true).state != TriggerState::Missing)
        .map(drop_sql)
        .collect();
    run(&left);
}

fn run(statements: &[String]) {
    if statements.is_empty() {
        return;
    }
    as_registry_owner(|| {
        for sql in statements {
            execute(sql, &[]);
        }
    });
}
