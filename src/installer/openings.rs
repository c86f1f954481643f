//! The ways around the installed policies that `enable_tenancy` can see on
//! a table before it protects it, and what it does with each:
//!
//! - permissive policies it did not install: PostgreSQL lets a row through
//!   when any permissive policy does, so one `USING (true)` opens the table
//!   to everyone. Refused, listing each; `replace_policies` drops them.
//! - restrictive policies: they can only narrow what the installed ones
//!   allow. Kept, and reported.
//! - foreign keys from the owner column to another table than
//!   `vital.tenants` (a legacy tenants table, typically `ON DELETE
//!   CASCADE`): rows of tenants made with `vital.create_tenant` could not be
//!   inserted, and a delete in the old table would still remove rows.
//!   Refused; `replace_tenant_fk` drops them. A key to a protected table
//!   (a parent's `(tenant_id, id)`) is not one of them.
//!
//! Found on the table and on each of its partitions (a partition's own
//! policies apply when it is queried directly).

use crate::errors::{error, notice, OBJECT_NOT_IN_PREREQUISITE_STATE};
use crate::privileged::as_registry_owner;
use crate::spi::{self, execute, flag, text};
use crate::vocabulary::Column;

use super::catalog::{quote_ident, Rel};
use super::objects::Policy;

/// At most this many objects are listed in one message.
const LISTED: usize = 20;

/// A policy on the table that the installer did not create.
pub(super) struct ForeignPolicy {
    table_display: String,
    table_qualified: String,
    name: String,
    permissive: bool,
    /// `FOR SELECT TO public USING (true)`, as `\d` would show it.
    shown: String,
}

impl ForeignPolicy {
    pub(super) fn describe(&self) -> String {
        format!(
            "policy \"{}\" on {}: {} {}",
            self.name,
            self.table_display,
            if self.permissive {
                "permissive"
            } else {
                "restrictive"
            },
            self.shown
        )
    }
}

/// A foreign key that makes the owner column reference another table.
pub(super) struct ForeignTenantKey {
    table_display: String,
    table_qualified: String,
    name: String,
    /// `FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE`
    shown: String,
}

impl ForeignTenantKey {
    pub(super) fn describe(&self) -> String {
        format!(
            "constraint \"{}\" on {}: {}",
            self.name, self.table_display, self.shown
        )
    }
}

/// What was found on a table and its partitions.
pub(super) struct Openings {
    pub(super) policies: Vec<ForeignPolicy>,
    pub(super) tenant_keys: Vec<ForeignTenantKey>,
}

impl Openings {
    pub(super) fn permissive(&self) -> impl Iterator<Item = &ForeignPolicy> {
        self.policies.iter().filter(|p| p.permissive)
    }

    pub(super) fn restrictive(&self) -> impl Iterator<Item = &ForeignPolicy> {
        self.policies.iter().filter(|p| !p.permissive)
    }
}

/// The openings of `rel` and its partitions, read as the caller.
pub(super) fn openings_of(rel: &Rel, parts: &[Rel]) -> Openings {
    let mut openings = Openings {
        policies: Vec::new(),
        tenant_keys: Vec::new(),
    };
    for r in std::iter::once(rel).chain(parts) {
        openings.policies.extend(foreign_policies(r));
        openings.tenant_keys.extend(foreign_tenant_keys(r));
    }
    openings
}

fn foreign_policies(rel: &Rel) -> Vec<ForeignPolicy> {
    let rows = spi::select_rows(
        "select p.polname::text as name, p.polpermissive as permissive,
                concat_ws(' ',
                    'FOR ' || case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT'
                                            when 'w' then 'UPDATE' when 'd' then 'DELETE'
                                            else 'ALL' end,
                    'TO ' || case when p.polroles = '{0}'::oid[] then 'public'
                                  else array_to_string(array(
                                           select quote_ident(r.rolname::text) from pg_roles r
                                            where r.oid = any (p.polroles) order by 1), ', ') end,
                    'USING (' || pg_get_expr(p.polqual, p.polrelid) || ')',
                    'WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')') as shown
           from pg_policy p where p.polrelid = $1 order by p.polname",
        &[rel.oid.into()],
        |row| {
            Ok((
                text(row, "name")?,
                flag(row, "permissive")?,
                text(row, "shown")?,
            ))
        },
    );
    rows.into_iter()
        .filter(|(name, _, _)| !Policy::is_ours(name))
        .map(|(name, permissive, shown)| ForeignPolicy {
            table_display: rel.display.clone(),
            table_qualified: rel.qualified.clone(),
            name,
            permissive,
            shown,
        })
        .collect()
}

/// Foreign keys of the table's own (not inherited from its parent) that
/// include the owner column and reference neither `vital.tenants` nor a
/// protected table.
pub(super) fn foreign_tenant_keys(rel: &Rel) -> Vec<ForeignTenantKey> {
    spi::select_rows(
        "select c.conname::text as name, pg_get_constraintdef(c.oid) as shown
           from pg_constraint c
          where c.conrelid = $1 and c.contype = 'f' and c.conparentid = 0
            and (select a.attnum from pg_attribute a
                  where a.attrelid = $1 and a.attname = $2 and not a.attisdropped) = any (c.conkey)
            and c.confrelid <> 'vital.tenants'::regclass
            and not exists (select from vital.tenant_tables t where t.table_name::oid = c.confrelid)
          order by c.conname",
        &[rel.oid.into(), Column::TenantId.name().into()],
        |row| {
            Ok(ForeignTenantKey {
                table_display: rel.display.clone(),
                table_qualified: rel.qualified.clone(),
                name: text(row, "name")?,
                shown: text(row, "shown")?,
            })
        },
    )
}

/// A table's name as an SQL literal, for a hint to copy.
pub(super) fn quote_literal(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

fn listed<'a>(lines: impl Iterator<Item = String> + 'a) -> String {
    let lines: Vec<String> = lines.collect();
    let mut shown: Vec<String> = lines.iter().take(LISTED).cloned().collect();
    if lines.len() > LISTED {
        shown.push(format!("… and {} more", lines.len() - LISTED));
    }
    shown.join("\n")
}

/// Refuses, before anything changes, the openings the caller did not ask
/// to remove: all of them in one error, so that one decision covers them.
pub(super) fn refuse_openings(
    rel: &Rel,
    openings: &Openings,
    replace_policies: bool,
    replace_tenant_fk: bool,
) {
    let policies = if replace_policies {
        0
    } else {
        openings.permissive().count()
    };
    let keys = if replace_tenant_fk {
        0
    } else {
        openings.tenant_keys.len()
    };
    if policies == 0 && keys == 0 {
        return;
    }
    let mut found = Vec::new();
    let mut why = Vec::new();
    let mut options = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    if policies > 0 {
        found.push(format!(
            "{policies} permissive {} that vital_tenancy did not install",
            if policies == 1 { "policy" } else { "policies" }
        ));
        why.push("PostgreSQL lets a row through when any permissive policy does, so the table would stay open beside the installed policies.");
        lines.extend(openings.permissive().map(ForeignPolicy::describe));
    }
    if keys > 0 {
        found.push(format!(
            "{} from tenant_id to another table than vital.tenants",
            if keys == 1 {
                "a foreign key".to_string()
            } else {
                format!("{keys} foreign keys")
            }
        ));
        why.push("Rows of tenants created with vital.create_tenant could not be inserted, and deleting from the referenced table would still act on these rows.");
        lines.extend(openings.tenant_keys.iter().map(ForeignTenantKey::describe));
    }
    // The call that goes ahead: with what the caller passed already.
    if openings.permissive().next().is_some() {
        options.push("replace_policies => true");
    }
    if !openings.tenant_keys.is_empty() {
        options.push("replace_tenant_fk => true");
    }
    let (them, drops) = if policies + keys == 1 {
        ("it", "drops it")
    } else {
        ("them", "drops them")
    };
    error(
        OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!("table {} has {}", rel.display, found.join(" and ")),
    )
    .detail(format!(
        "{} Nothing was changed.\n{}",
        why.join(" "),
        listed(lines.into_iter())
    ))
    .hint(format!(
        "Drop {them}, or run vital.enable_tenancy({}, {}), which {drops}{}.{}",
        quote_literal(&rel.display),
        options.join(", "),
        if keys > 0 {
            " and references vital.tenants instead"
        } else {
            ""
        },
        if policies > 0 {
            " Restrictive policies are kept."
        } else {
            ""
        }
    ))
    .raise()
}

/// Drops the openings the caller asked to remove, saying so, and reports
/// the restrictive policies it keeps. Runs after every check passed.
pub(super) fn remove_openings(
    openings: &Openings,
    replace_policies: bool,
    replace_tenant_fk: bool,
) {
    if replace_policies {
        for policy in openings.permissive() {
            as_registry_owner(|| {
                execute(
                    &format!(
                        "DROP POLICY {} ON {}",
                        quote_ident(&policy.name),
                        policy.table_qualified
                    ),
                    &[],
                )
            });
            notice(format!(
                "dropped policy \"{}\" on {}",
                policy.name, policy.table_display
            ))
            .detail(format!("It was {}.", policy.describe()))
            .send();
        }
    }
    if replace_tenant_fk {
        for key in &openings.tenant_keys {
            as_registry_owner(|| {
                execute(
                    &format!(
                        "ALTER TABLE {} DROP CONSTRAINT {}",
                        key.table_qualified,
                        quote_ident(&key.name)
                    ),
                    &[],
                )
            });
            notice(format!(
                "dropped constraint \"{}\" on {}",
                key.name, key.table_display
            ))
            .detail(format!("It was {}.", key.shown))
            .send();
        }
    }
    for policy in openings.restrictive() {
        notice(format!(
            "keeping restrictive policy \"{}\" on {}",
            policy.name, policy.table_display
        ))
        .detail(format!(
            "A restrictive policy can only narrow what the installed policies allow: {}.",
            policy.shown
        ))
        .send();
    }
}
