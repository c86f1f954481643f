//! The columns, constraints, indexes and policies the installer manages,
//! and how each is recognised when it already exists.

use pgrx::pg_sys::Oid;

use crate::vocabulary::Column;

/// A column as the catalog describes it.
pub(super) struct FoundColumn {
    pub(super) column: Column,
    pub(super) type_oid: Oid,
    pub(super) typmod: i32,
    pub(super) type_name: String,
    pub(super) not_null: bool,
    pub(super) generated: bool,
    pub(super) default_shown: Option<String>,
}

impl FoundColumn {
    pub(super) fn varchar(&self) -> bool {
        self.type_oid == pgrx::pg_sys::VARCHAROID
    }
}

pub(super) const FOREIGN_KEY: &str = "vital_tenancy_tenant_fk";

/// The four policies, in the order they are reported.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Policy {
    Select,
    Insert,
    Update,
    Delete,
}

pub(super) const POLICIES: [Policy; 4] = [
    Policy::Select,
    Policy::Insert,
    Policy::Update,
    Policy::Delete,
];

pub(super) const READ_CHECK: &str =
    "vital.can_access_resource(tenant_id, is_shared, sharing_mode, shared_with)";
pub(super) const MODIFY_CHECK: &str = "vital.can_modify_resource(tenant_id)";

impl Policy {
    pub(super) fn name(self) -> &'static str {
        match self {
            Policy::Select => "vital_tenancy_select",
            Policy::Insert => "vital_tenancy_insert",
            Policy::Update => "vital_tenancy_update",
            Policy::Delete => "vital_tenancy_delete",
        }
    }

    /// `pg_policy.polcmd`
    pub(super) fn polcmd(self) -> &'static str {
        match self {
            Policy::Select => "r",
            Policy::Insert => "a",
            Policy::Update => "w",
            Policy::Delete => "d",
        }
    }

    pub(super) fn create_sql(self, table: &str) -> String {
        let (command, clauses) = match self {
            Policy::Select => ("SELECT", format!("USING ({READ_CHECK})")),
            Policy::Insert => ("INSERT", format!("WITH CHECK ({MODIFY_CHECK})")),
            Policy::Update => (
                "UPDATE",
                format!("USING ({MODIFY_CHECK}) WITH CHECK ({MODIFY_CHECK})"),
            ),
            Policy::Delete => ("DELETE", format!("USING ({MODIFY_CHECK})")),
        };
        format!(
            "CREATE POLICY {} ON {table} AS PERMISSIVE FOR {command} TO PUBLIC {clauses}",
            self.name()
        )
    }

    /// USING and WITH CHECK as `pg_get_expr` shows them (search_path pinned,
    /// so `vital.` is always shown). A varchar sharing_mode is passed as text.
    pub(super) fn shown(self, mode_is_varchar: bool) -> (Option<String>, Option<String>) {
        let mode = if mode_is_varchar {
            "(sharing_mode)::text"
        } else {
            "sharing_mode"
        };
        let read = format!("vital.can_access_resource(tenant_id, is_shared, {mode}, shared_with)");
        let modify = MODIFY_CHECK.to_string();
        match self {
            Policy::Select => (Some(read), None),
            Policy::Insert => (None, Some(modify)),
            Policy::Update => (Some(modify.clone()), Some(modify)),
            Policy::Delete => (Some(modify), None),
        }
    }

    pub(super) fn is_ours(name: &str) -> bool {
        POLICIES.iter().any(|p| p.name() == name)
    }
}

/// The indexes the policies need.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Index {
    /// btree (tenant_id): own rows
    Owner,
    /// btree (sharing_mode) WHERE sharing_mode <> 'private': shared rows
    /// (the rewrite reads `sharing_mode = 'global'` on installed tables,
    /// which the CHECK ties `is_shared` to)
    Shared,
    /// gin (shared_with) WHERE sharing_mode = 'selective': rows shared with a
    /// tenant (the whole arm of the policy, so no row needs a recheck)
    SharedWith,
}

pub(super) const INDEXES: [Index; 3] = [Index::Owner, Index::Shared, Index::SharedWith];

impl Index {
    pub(super) fn create_sql(self, table: &str) -> String {
        match self {
            Index::Owner => format!("CREATE INDEX ON {table} USING btree (tenant_id)"),
            Index::Shared => format!(
                "CREATE INDEX ON {table} USING btree (sharing_mode) WHERE sharing_mode <> 'private'"
            ),
            Index::SharedWith => format!(
                "CREATE INDEX ON {table} USING gin (shared_with) WHERE sharing_mode = 'selective'"
            ),
        }
    }

    /// The sharing column the index is on.
    pub(super) fn column(self) -> Column {
        match self {
            Index::Owner => Column::TenantId,
            Index::Shared => Column::SharingMode,
            Index::SharedWith => Column::SharedWith,
        }
    }

    /// Whether an existing index is exactly what [`Index::create_sql`]
    /// makes (valid or not): how an index of ours is recognised on a table
    /// no longer registered, with its name (see `leftovers`).
    pub(super) fn is_as_created(self, index: &ExistingIndex, mode_is_varchar: bool) -> bool {
        let mode = if mode_is_varchar {
            "(sharing_mode)::text"
        } else {
            "sharing_mode"
        };
        let (method, predicate) = match self {
            Index::Owner => ("btree", None),
            Index::Shared => ("btree", Some(format!("({mode} <> 'private'::text)"))),
            Index::SharedWith => ("gin", Some(format!("({mode} = 'selective'::text)"))),
        };
        index.default_opclass
            && index.method == method
            && index.columns == 1
            && index.first_column.as_deref() == Some(self.column().name())
            && index.predicate == predicate
    }

    /// Whether an existing index serves the policies as well as this one:
    /// valid, of the same access method and default operator class, led by
    /// the same column, and no more partial than this one. (The forms of
    /// earlier versions, partial on `is_shared`, do not: the rewrite no
    /// longer reads `is_shared` on installed tables.)
    pub(super) fn served_by(self, index: &ExistingIndex, mode_is_varchar: bool) -> bool {
        let mode = if mode_is_varchar {
            "(sharing_mode)::text"
        } else {
            "sharing_mode"
        };
        let predicate = index.predicate.as_deref();
        if !index.valid || !index.default_opclass {
            return false;
        }
        match self {
            Index::Owner => {
                index.method == "btree"
                    && index.first_column.as_deref() == Some(Column::TenantId.name())
                    && predicate.is_none()
            }
            Index::Shared => {
                let shared = format!("({mode} <> 'private'::text)");
                index.method == "btree"
                    && index.first_column.as_deref() == Some(Column::SharingMode.name())
                    && (predicate.is_none() || predicate == Some(shared.as_str()))
            }
            Index::SharedWith => {
                let selective = format!("({mode} = 'selective'::text)");
                index.method == "gin"
                    && index.columns == 1
                    && index.first_column.as_deref() == Some(Column::SharedWith.name())
                    && (predicate.is_none() || predicate == Some(selective.as_str()))
            }
        }
    }
}

pub(super) struct ExistingIndex {
    pub(super) oid: Oid,
    pub(super) name: String,
    pub(super) method: String,
    pub(super) columns: i32,
    pub(super) first_column: Option<String>,
    pub(super) predicate: Option<String>,
    pub(super) valid: bool,
    pub(super) default_opclass: bool,
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use super::{ExistingIndex, Index, Oid};

    fn index(method: &str, first: &str, predicate: Option<&str>) -> ExistingIndex {
        ExistingIndex {
            oid: Oid::from_u32(1),
            name: "i".into(),
            method: method.into(),
            columns: 1,
            first_column: Some(first.into()),
            predicate: predicate.map(String::from),
            valid: true,
            default_opclass: true,
        }
    }

    #[pg_test]
    fn an_index_serves_only_if_no_more_partial_than_ours() {
        assert!(Index::Owner.served_by(&index("btree", "tenant_id", None), false));
        assert!(!Index::Owner.served_by(&index("btree", "tenant_id", Some("is_shared")), false));
        assert!(!Index::Owner.served_by(&index("hash", "tenant_id", None), false));
        assert!(Index::Shared.served_by(
            &index(
                "btree",
                "sharing_mode",
                Some("(sharing_mode <> 'private'::text)")
            ),
            false
        ));
        assert!(
            !Index::Shared.served_by(&index("btree", "sharing_mode", Some("is_shared")), false),
            "the form of 0.1: partial on is_shared"
        );
        assert!(!Index::Shared.served_by(
            &index(
                "btree",
                "sharing_mode",
                Some("(sharing_mode = 'global'::text)")
            ),
            false
        ));
        let ours = "(sharing_mode = 'selective'::text)";
        assert!(Index::SharedWith.served_by(&index("gin", "shared_with", Some(ours)), false));
        let old = "(is_shared AND (sharing_mode = 'selective'::text))";
        assert!(!Index::SharedWith.served_by(&index("gin", "shared_with", Some(old)), false));
        assert!(Index::SharedWith.served_by(&index("gin", "shared_with", None), false));
        assert!(!Index::SharedWith.served_by(
            &index(
                "gin",
                "shared_with",
                Some("(sharing_mode = 'global'::text)")
            ),
            false
        ));
        let varchar = "((sharing_mode)::text = 'selective'::text)";
        assert!(Index::SharedWith.served_by(&index("gin", "shared_with", Some(varchar)), true));
        let mut invalid = index("btree", "tenant_id", None);
        invalid.valid = false;
        assert!(!Index::Owner.served_by(&invalid, false));
    }
}
