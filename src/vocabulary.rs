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

/// The CHECK `enable_tenancy` installs: `vital.sharing_columns_valid(...)`,
/// which also ties `is_shared` to `sharing_mode` (`is_shared = (sharing_mode
/// <> 'private')`). Where it holds, the plan-time rewrite reads
/// `sharing_mode` alone. One native call, because PostgreSQL reads and
/// prepares every CHECK expression again for each INSERT and UPDATE
/// statement: three declarative CHECKs were a tenth of a one-row write.
pub(crate) const SHARING_CHECK: &str = "vital_tenancy_sharing_check";
/// The function the CHECK calls (in schema `vital`).
pub(crate) const SHARING_CHECK_FUNCTION: &str = "sharing_columns_valid";
/// The three CHECKs of version 0.1.0, replaced by [`SHARING_CHECK`] when
/// `enable_tenancy` runs again; the last one tied `is_shared` to
/// `sharing_mode` on its own, so the rewrite still trusts it until then.
pub(crate) const CHECKS_OF_0_1_0: [&str; 3] = [
    "vital_tenancy_sharing_mode_check",
    "vital_tenancy_resource_type_check",
    "vital_tenancy_is_shared_check",
];
/// The CHECKs that tie `is_shared` to `sharing_mode`, by name.
pub(crate) const TIE_CHECKS: [&str; 2] = [SHARING_CHECK, CHECKS_OF_0_1_0[2]];

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

/// The trigger function every audit trigger runs.
pub(crate) const AUDIT_FUNCTION: &str = "vital.audit_sharing()";

/// The four triggers `enable_tenancy` puts on every protected table and
/// partition, all running [`AUDIT_FUNCTION`] AFTER the event. The three row
/// triggers compute and buffer each record; their WHEN conditions keep
/// PostgreSQL from even queueing an event for a change that records
/// nothing (a private row inserted or deleted, an update that leaves the
/// sharing columns as they were). The flush trigger (per statement, every
/// event) writes the statement's records. A WHEN condition may let through
/// more than `audit::classify` records (classify decides), never less.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AuditTrigger {
    Insert,
    Update,
    Delete,
    Flush,
}

// `pg_trigger.tgtype` bits (PostgreSQL's TRIGGER_TYPE_*).
const TRIGGER_TYPE_ROW: i16 = 1 << 0;
const TRIGGER_TYPE_INSERT: i16 = 1 << 2;
const TRIGGER_TYPE_DELETE: i16 = 1 << 3;
const TRIGGER_TYPE_UPDATE: i16 = 1 << 4;

/// The columns whose change can make `audit::classify` record an update:
/// all sharing columns but `resource_type` (which never decides an action on
/// its own). The update trigger's WHEN condition compares exactly these.
pub(crate) const DECIDING_COLUMNS: [Column; 4] = [
    Column::TenantId,
    Column::IsShared,
    Column::SharingMode,
    Column::SharedWith,
];

/// The update trigger's WHEN condition (in schema `vital`, defined in
/// `sql/audit.sql`): whether any of the [`DECIDING_COLUMNS`] changed.
pub(crate) const SHARING_CHANGED: &str = "vital.sharing_changed";

/// `vital.sharing_changed(old.tenant_id, new.tenant_id, …)`, the record
/// names spelled `old` and `new`; `varchar`: sharing_mode is a varchar,
/// shown cast to text.
fn sharing_changed_call(old: &str, new: &str, varchar: bool) -> String {
    let arguments: Vec<String> = DECIDING_COLUMNS
        .iter()
        .flat_map(|c| {
            let cast = varchar && !c.words().is_empty();
            [old, new].map(|side| {
                if cast {
                    format!("({side}.{})::text", c.name())
                } else {
                    format!("{side}.{}", c.name())
                }
            })
        })
        .collect();
    format!("{SHARING_CHANGED}({})", arguments.join(", "))
}

impl AuditTrigger {
    pub(crate) const ALL: [AuditTrigger; 4] = [
        AuditTrigger::Insert,
        AuditTrigger::Update,
        AuditTrigger::Delete,
        AuditTrigger::Flush,
    ];
    pub(crate) const ROW: [AuditTrigger; 3] = [
        AuditTrigger::Insert,
        AuditTrigger::Update,
        AuditTrigger::Delete,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            AuditTrigger::Insert => "vital_tenancy_audit_insert",
            AuditTrigger::Update => "vital_tenancy_audit_update",
            AuditTrigger::Delete => "vital_tenancy_audit_delete",
            AuditTrigger::Flush => "vital_tenancy_audit_flush",
        }
    }

    pub(crate) fn is_row(self) -> bool {
        self != AuditTrigger::Flush
    }

    /// The exact `tgtype`: AFTER (no BEFORE or INSTEAD bit), the events,
    /// and FOR EACH ROW for the row triggers.
    pub(crate) fn tgtype(self) -> i16 {
        match self {
            AuditTrigger::Insert => TRIGGER_TYPE_INSERT | TRIGGER_TYPE_ROW,
            AuditTrigger::Update => TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_ROW,
            AuditTrigger::Delete => TRIGGER_TYPE_DELETE | TRIGGER_TYPE_ROW,
            AuditTrigger::Flush => TRIGGER_TYPE_INSERT | TRIGGER_TYPE_DELETE | TRIGGER_TYPE_UPDATE,
        }
    }

    /// The events in CREATE TRIGGER, as `pg_get_triggerdef` also shows them.
    fn events(self) -> &'static str {
        match self {
            AuditTrigger::Insert => "INSERT",
            AuditTrigger::Update => "UPDATE",
            AuditTrigger::Delete => "DELETE",
            AuditTrigger::Flush => "INSERT OR UPDATE OR DELETE",
        }
    }

    /// `FOR EACH …` in CREATE TRIGGER.
    pub(crate) fn level(self) -> &'static str {
        if self.is_row() {
            "ROW"
        } else {
            "STATEMENT"
        }
    }

    /// The WHEN condition as written in CREATE TRIGGER. The update
    /// trigger's is one native call, [`SHARING_CHANGED`] on the old and new
    /// [`DECIDING_COLUMNS`] (PostgreSQL prepares a WHEN condition again for
    /// every statement, so its size is paid on every one-row update); it
    /// compares stored bytes, as classify compares text (under a
    /// nondeterministic collation `=` could call different modes equal).
    /// No column list (`UPDATE OF …`): changes a BEFORE trigger makes to
    /// columns outside the SET list would not fire it.
    pub(crate) fn when_sql(self) -> Option<String> {
        let shared = Column::IsShared.name();
        match self {
            AuditTrigger::Insert => Some(format!("NEW.{shared}")),
            AuditTrigger::Delete => Some(format!("OLD.{shared}")),
            AuditTrigger::Update => Some(sharing_changed_call("OLD", "NEW", false)),
            AuditTrigger::Flush => None,
        }
    }

    /// The WHEN condition as `pg_get_triggerdef` shows it: one form per
    /// type the text column may have (a varchar column shows its cast to
    /// text).
    pub(crate) fn when_shown(self) -> Vec<String> {
        let shared = Column::IsShared.name();
        match self {
            AuditTrigger::Insert => vec![format!("new.{shared}")],
            AuditTrigger::Delete => vec![format!("old.{shared}")],
            // unqualified: `is_ours_sql` strips the schema pg_get_triggerdef
            // shows or not (by search_path) and checks the function's oid
            AuditTrigger::Update => [false, true]
                .iter()
                .map(|&varchar| {
                    sharing_changed_call("old", "new", varchar)
                        .trim_start_matches("vital.")
                        .to_string()
                })
                .collect(),
            AuditTrigger::Flush => vec![],
        }
    }

    /// The CREATE TRIGGER statement for the relation `qualified`
    /// (schema-qualified and quoted).
    pub(crate) fn create_sql(self, qualified: &str) -> String {
        let when = self
            .when_sql()
            .map(|w| format!(" WHEN ({w})"))
            .unwrap_or_default();
        format!(
            "CREATE TRIGGER {} AFTER {} ON {qualified} FOR EACH {}{when} EXECUTE FUNCTION {AUDIT_FUNCTION}",
            self.name(),
            self.events(),
            self.level(),
        )
    }

    /// A SQL condition on the `pg_trigger` row `t`: this trigger, exactly
    /// as enable_tenancy creates it (name, function, events, level, the
    /// WHEN condition or none, and no column list, arguments or transition
    /// tables). The WHEN condition is compared as `pg_get_triggerdef`
    /// deparses it (no whitespace or spelling of the original, and the
    /// same on a partition's clone, whose attribute numbers may differ).
    pub(crate) fn is_ours_sql(self, t: &str) -> String {
        let when = if self.is_row() {
            let mut def = format!(
                "pg_catalog.replace(pg_catalog.pg_get_triggerdef({t}.oid), 'COLLATE pg_catalog.\"C\"', 'COLLATE \"C\"')"
            );
            let mut same_function = String::new();
            if self == AuditTrigger::Update {
                // The call is shown with or without `vital.` as the
                // search_path makes it visible; which function it calls is
                // checked by oid in the stored expression.
                def = format!("pg_catalog.replace({def}, 'WHEN ({SHARING_CHANGED}(', 'WHEN (sharing_changed(')");
                same_function = format!(
                    " and pg_catalog.strpos({t}.tgqual::pg_catalog.text, ' :funcid ' || '{SHARING_CHANGED}(uuid, uuid, boolean, boolean, text, text, uuid[], uuid[])'::pg_catalog.regprocedure::pg_catalog.oid || ' ') > 0"
                );
            }
            let prefix = format!(
                "(select pg_catalog.format('CREATE TRIGGER %I AFTER {events} ON %I.%I FOR EACH ROW WHEN (',
                                           {t}.tgname, n.nspname, c.relname)
                    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                   where c.oid = {t}.tgrelid)",
                events = self.events()
            );
            let forms: Vec<String> = self
                .when_shown()
                .iter()
                .map(|w| {
                    format!(
                        "pg_catalog.starts_with({def}, {prefix} || {})",
                        quote_literal(&format!("{w}) EXECUTE FUNCTION "))
                    )
                })
                .collect();
            format!(
                "{t}.tgqual is not null and ({}){same_function}",
                forms.join(" or ")
            )
        } else {
            format!("{t}.tgqual is null")
        };
        format!(
            "({t}.tgname = '{name}' and {t}.tgfoid = '{AUDIT_FUNCTION}'::pg_catalog.regprocedure
              and {t}.tgtype = {tgtype} and pg_catalog.cardinality({t}.tgattr::pg_catalog.int2[]) = 0
              and {t}.tgnargs = 0 and {t}.tgconstraint = 0
              and {t}.tgoldtable is null and {t}.tgnewtable is null and {when})",
            name = self.name(),
            tgtype = self.tgtype(),
        )
    }
}

/// A SQL condition on the `pg_trigger` row `t`: it runs [`AUDIT_FUNCTION`]
/// under a name that is none of ours: the single row trigger
/// `vital_tenancy_audit` of earlier versions (AFTER INSERT OR UPDATE OR
/// DELETE FOR EACH ROW, no WHEN condition: it fired for every row), or one
/// made by hand. It would record changes a second time.
pub(crate) fn is_stray_sql(t: &str) -> String {
    let names: Vec<String> = AuditTrigger::ALL
        .iter()
        .map(|k| format!("'{}'", k.name()))
        .collect();
    format!(
        "({t}.tgfoid = '{AUDIT_FUNCTION}'::pg_catalog.regprocedure and {t}.tgname not in ({}))",
        names.join(", ")
    )
}

/// A SQL string literal (our own constant texts: no backslashes).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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
    use crate::testing::{exec, query_one};

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
    fn trigger_types_are_after_their_events() {
        // PostgreSQL's TRIGGER_TYPE_* bits: ROW 1, BEFORE 2, INSERT 4,
        // DELETE 8, UPDATE 16, INSTEAD 64.
        for (trigger, events) in [
            (AuditTrigger::Insert, 4),
            (AuditTrigger::Update, 16),
            (AuditTrigger::Delete, 8),
            (AuditTrigger::Flush, 4 | 8 | 16),
        ] {
            let tgtype = trigger.tgtype();
            assert_eq!(
                tgtype & (1 << 1 | 1 << 6),
                0,
                "{trigger:?}: neither BEFORE nor INSTEAD"
            );
            assert_eq!(tgtype & 0b11100, events, "{trigger:?}");
            assert_eq!(tgtype & 1 == 1, trigger.is_row(), "{trigger:?}");
            assert_eq!(trigger.level() == "ROW", trigger.is_row());
            assert_eq!(trigger.when_sql().is_some(), trigger.is_row());
        }
    }

    /// Whether the triggers on `table` are recognised as ours, by kind.
    fn recognised(table: &str) -> Vec<(String, bool)> {
        AuditTrigger::ALL
            .iter()
            .map(|kind| {
                let ours = query_one::<bool>(&format!(
                    "select {} from pg_trigger t where t.tgrelid = '{table}'::regclass and t.tgname = '{}'",
                    kind.is_ours_sql("t"),
                    kind.name()
                ));
                (format!("{table} {kind:?}"), ours == Some(true))
            })
            .collect()
    }

    /// The triggers as created are recognised on text and varchar columns,
    /// in a partition's clones (other attribute numbers), and under any
    /// search_path; the same condition spelt otherwise too; another
    /// condition, or none, is not.
    #[pg_test]
    fn created_triggers_are_recognised_by_their_when_condition() {
        let columns = "tenant_id uuid, is_shared boolean, sharing_mode {t}, shared_with uuid[], resource_type {t}";
        exec(&format!(
            "create table vt_text (id int primary key, {})",
            columns.replace("{t}", "text")
        ));
        exec(&format!(
            "create table \"vt Var\" (id int primary key, {})",
            columns.replace("{t}", "varchar(20)")
        ));
        exec(&format!(
            "create table vt_parts (id int primary key, {}) partition by range (id)",
            columns.replace("{t}", "text")
        ));
        exec(&format!(
            "create table vt_part (x int, {}, id int not null)",
            columns.replace("{t}", "text")
        ));
        exec("alter table vt_part drop column x");
        for table in ["public.vt_text", "public.\"vt Var\"", "public.vt_parts"] {
            for kind in AuditTrigger::ALL {
                exec(&kind.create_sql(table));
            }
        }
        exec("alter table vt_parts attach partition vt_part for values from (0) to (10)");
        // Row triggers are cloned onto the partition; the statement
        // trigger is not, and gets its own.
        exec(&AuditTrigger::Flush.create_sql("public.vt_part"));
        for path in ["pg_catalog, pg_temp", "public, vital"] {
            exec(&format!("set local search_path = {path}"));
            for table in ["vt_text", "\"vt Var\"", "vt_parts", "vt_part"] {
                for (what, ours) in recognised(&format!("public.{table}")) {
                    assert!(ours, "{what} with search_path {path}");
                }
            }
        }
        exec("set local search_path = public");
        exec("drop trigger vital_tenancy_audit_insert on vt_text");
        exec("create trigger vital_tenancy_audit_insert after   insert on vt_text for each row when ( ( new.IS_SHARED ) ) execute function vital.audit_sharing()");
        exec("drop trigger vital_tenancy_audit_update on vt_text");
        exec("create trigger vital_tenancy_audit_update after update on vt_text for each row when (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.is_shared IS DISTINCT FROM NEW.is_shared OR OLD.sharing_mode IS DISTINCT FROM NEW.sharing_mode OR OLD.shared_with IS DISTINCT FROM NEW.shared_with) execute function vital.audit_sharing()");
        exec("drop trigger vital_tenancy_audit_delete on vt_text");
        exec("create trigger vital_tenancy_audit_delete after delete on vt_text for each row execute function vital.audit_sharing()");
        let found = recognised("public.vt_text");
        assert_eq!(
            found.iter().map(|(_, ours)| *ours).collect::<Vec<_>>(),
            [true, false, false, true],
            "the same condition respelt; no COLLATE; no condition; {found:?}"
        );
        exec("drop table vt_text, \"vt Var\", vt_parts");
    }
}
