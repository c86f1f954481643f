//! The words vital_tenancy's objects are made of, defined once: the sharing
//! columns and their types, the sharing modes and resource types, the
//! tenant states a context may use, and the audit triggers with how to tell
//! that one of ours is installed and firing. Every other module takes them
//! from here.

use pgrx::pg_sys::{self, Oid};

/// `varchar(n)` is stored with typmod n + VARHDRSZ.
const VARHDRSZ: i32 = 4;

/// The five sharing columns of a protected table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Column {
    TenantId,
    IsShared,
    SharingMode,
    SharedWith,
    ResourceType,
}

/// In the order of the recorded audit state and of the installer's reports.
pub(crate) const COLUMNS: [Column; 5] = [
    Column::TenantId,
    Column::IsShared,
    Column::SharingMode,
    Column::SharedWith,
    Column::ResourceType,
];

/// The columns' names, for SQL (`attname = any($n)`).
pub(crate) fn column_names() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.name()).collect()
}

pub(crate) const PRIVATE: &str = "private";
pub(crate) const GLOBAL: &str = "global";
pub(crate) const SELECTIVE: &str = "selective";
/// Every value of `sharing_mode`.
pub(crate) const SHARING_MODES: &[&str] = &[PRIVATE, GLOBAL, SELECTIVE];
/// The modes a resource is shared in.
pub(crate) const SHARE_MODES: &[&str] = &[GLOBAL, SELECTIVE];
/// The modes `enable_tenancy` may give adopted rows (no list to share with).
pub(crate) const DEFAULT_SHARING_MODES: &[&str] = &[PRIVATE, GLOBAL];

/// The resource type of anything a tenant made itself (clones included).
pub(crate) const CUSTOM: &str = "custom";
/// Every value of `resource_type`.
pub(crate) const RESOURCE_TYPES: &[&str] = &["platform", "solution", "industry", CUSTOM];

/// The CHECK `enable_tenancy` installs tying `is_shared` to `sharing_mode`
/// (`is_shared = (sharing_mode <> 'private')`). Where it holds, the plan-time
/// rewrite reads `sharing_mode` alone.
pub(crate) const IS_SHARED_CHECK: &str = "vital_tenancy_is_shared_check";

/// The tenant states a context may be set to and a membership counts in.
pub(crate) const USABLE_TENANT_STATES: &[&str] = &["active", "trial"];

impl Column {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Column::TenantId => "tenant_id",
            Column::IsShared => "is_shared",
            Column::SharingMode => "sharing_mode",
            Column::SharedWith => "shared_with",
            Column::ResourceType => "resource_type",
        }
    }

    /// The type the installer gives the column when it adds it.
    pub(crate) fn sql_type(self) -> &'static str {
        match self {
            Column::TenantId => "uuid",
            Column::IsShared => "boolean",
            Column::SharingMode | Column::ResourceType => "text",
            Column::SharedWith => "uuid[]",
        }
    }

    /// The types an existing column may have (varchar is read as text:
    /// the same representation).
    pub(crate) fn type_oids(self) -> &'static [Oid] {
        match self {
            Column::TenantId => &[pg_sys::UUIDOID],
            Column::IsShared => &[pg_sys::BOOLOID],
            Column::SharingMode | Column::ResourceType => &[pg_sys::TEXTOID, pg_sys::VARCHAROID],
            Column::SharedWith => &[pg_sys::UUIDARRAYOID],
        }
    }

    /// [`Column::type_oids`] in words, for messages.
    pub(crate) fn accepted_types(self) -> &'static str {
        match self {
            Column::SharingMode | Column::ResourceType => "text or varchar",
            other => other.sql_type(),
        }
    }

    /// The words a text column must be able to hold.
    pub(crate) fn words(self) -> &'static [&'static str] {
        match self {
            Column::SharingMode => SHARING_MODES,
            Column::ResourceType => RESOURCE_TYPES,
            _ => &[],
        }
    }

    /// Whether a column of this type (and typmod) can stay as it is.
    pub(crate) fn accepts(self, type_oid: Oid, typmod: i32) -> bool {
        if !self.type_oids().contains(&type_oid) {
            return false;
        }
        let longest = self.words().iter().map(|w| w.len()).max().unwrap_or(0);
        type_oid != pg_sys::VARCHAROID || typmod < 0 || (typmod - VARHDRSZ) as usize >= longest
    }

    /// The default the column keeps once installed.
    pub(crate) fn default_sql(self) -> &'static str {
        match self {
            Column::TenantId => "vital.get_current_tenant_id()",
            Column::IsShared => "false",
            Column::SharingMode => "'private'",
            Column::SharedWith => "'{}'",
            Column::ResourceType => "'custom'",
        }
    }

    /// That default as `pg_get_expr` shows it, on a column of this type.
    pub(crate) fn default_shown(self, varchar: bool) -> String {
        let text = if varchar { "character varying" } else { "text" };
        match self {
            Column::TenantId => "vital.get_current_tenant_id()".into(),
            Column::IsShared => "false".into(),
            Column::SharingMode => format!("'private'::{text}"),
            Column::SharedWith => "'{}'::uuid[]".into(),
            Column::ResourceType => format!("'custom'::{text}"),
        }
    }
}

/// The trigger function both audit triggers run.
pub(crate) const AUDIT_FUNCTION: &str = "vital.audit_sharing()";

/// The two triggers `enable_tenancy` puts on every protected table and
/// partition, both running [`AUDIT_FUNCTION`] AFTER INSERT OR UPDATE OR
/// DELETE: the row trigger computes and buffers each record, the flush
/// trigger (per statement) writes them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AuditTrigger {
    Row,
    Flush,
}

// `pg_trigger.tgtype` bits (PostgreSQL's TRIGGER_TYPE_*).
const TRIGGER_TYPE_ROW: i16 = 1 << 0;
const TRIGGER_TYPE_INSERT: i16 = 1 << 2;
const TRIGGER_TYPE_DELETE: i16 = 1 << 3;
const TRIGGER_TYPE_UPDATE: i16 = 1 << 4;

impl AuditTrigger {
    pub(crate) const BOTH: [AuditTrigger; 2] = [AuditTrigger::Row, AuditTrigger::Flush];

    pub(crate) fn name(self) -> &'static str {
        match self {
            AuditTrigger::Row => "vital_tenancy_audit",
            AuditTrigger::Flush => "vital_tenancy_audit_flush",
        }
    }

    /// The exact `tgtype`: AFTER (no BEFORE or INSTEAD bit), the three
    /// events, and FOR EACH ROW for the row trigger.
    pub(crate) fn tgtype(self) -> i16 {
        let events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_DELETE | TRIGGER_TYPE_UPDATE;
        match self {
            AuditTrigger::Row => events | TRIGGER_TYPE_ROW,
            AuditTrigger::Flush => events,
        }
    }

    /// `FOR EACH …` in CREATE TRIGGER.
    pub(crate) fn level(self) -> &'static str {
        match self {
            AuditTrigger::Row => "ROW",
            AuditTrigger::Flush => "STATEMENT",
        }
    }

    /// A SQL condition on the `pg_trigger` row `t`: this trigger, exactly
    /// as enable_tenancy creates it (name, function, events, level, and no
    /// WHEN condition, column list, arguments or transition tables).
    pub(crate) fn is_ours_sql(self, t: &str) -> String {
        format!(
            "({t}.tgname = '{name}' and {t}.tgfoid = '{AUDIT_FUNCTION}'::pg_catalog.regprocedure
              and {t}.tgtype = {tgtype} and pg_catalog.cardinality({t}.tgattr::pg_catalog.int2[]) = 0
              and {t}.tgqual is null and {t}.tgnargs = 0 and {t}.tgconstraint = 0
              and {t}.tgoldtable is null and {t}.tgnewtable is null)",
            name = self.name(),
            tgtype = self.tgtype(),
        )
    }
}

/// `pg_trigger.tgenabled` values with which a trigger fires in ordinary
/// sessions: 'O' (origin and local) and 'A' (always); 'R' fires only while
/// applying replicated changes, 'D' never.
pub(crate) const FIRING_MODES: [char; 2] = ['O', 'A'];

/// A SQL condition on the `pg_trigger` row `t`: it fires in ordinary sessions.
pub(crate) fn fires_sql(t: &str) -> String {
    format!(
        "{t}.tgenabled in ('{}', '{}')",
        FIRING_MODES[0], FIRING_MODES[1]
    )
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::pg_sys::{TEXTOID, UUIDOID, VARCHAROID};
    use pgrx::prelude::*;

    use super::Column::{ResourceType, SharedWith, SharingMode, TenantId};
    use super::{AuditTrigger, VARHDRSZ};

    #[pg_test]
    fn text_columns_accept_text_and_wide_enough_varchar() {
        let varchar = |n: i32| n + VARHDRSZ;
        assert!(SharingMode.accepts(TEXTOID, -1));
        assert!(SharingMode.accepts(VARCHAROID, -1));
        assert!(SharingMode.accepts(VARCHAROID, varchar(9)));
        assert!(
            !SharingMode.accepts(VARCHAROID, varchar(8)),
            "'selective' needs 9"
        );
        assert!(ResourceType.accepts(VARCHAROID, varchar(8)));
        assert!(
            !ResourceType.accepts(VARCHAROID, varchar(7)),
            "'platform' needs 8"
        );
        assert!(!TenantId.accepts(TEXTOID, -1));
        assert!(!SharedWith.accepts(UUIDOID, -1));
    }

    #[pg_test]
    fn trigger_types_are_after_insert_update_delete() {
        // PostgreSQL's own decoding of tgtype, for triggers as we create them.
        for (trigger, level) in [
            (AuditTrigger::Row, "ROW"),
            (AuditTrigger::Flush, "STATEMENT"),
        ] {
            assert_eq!(trigger.level(), level);
            assert_eq!(
                trigger.tgtype() & (1 << 1 | 1 << 6),
                0,
                "neither BEFORE nor INSTEAD"
            );
            assert_eq!(
                trigger.tgtype() & 0b11100,
                0b11100,
                "INSERT, DELETE and UPDATE"
            );
            assert_eq!(trigger.tgtype() & 1 == 1, level == "ROW");
        }
    }
}
