//! Relations that read a protected table around its policies, which the
//! installer cannot fix for the DBA and reports instead (`enable_tenancy`
//! with a WARNING each, the doctor in `hazards`):
//!
//! - a materialized view over it: it has no row-level security, holds what
//!   its last `REFRESH` saw (with that session's context, or none), and
//!   shows all of it to anyone who may read it;
//! - a view owned by a superuser or a BYPASSRLS role: it reads the table as
//!   its owner, past every policy, unless it is `security_invoker`;
//! - any other view that is not `security_invoker`: the policies apply
//!   (they read the session's context, not the role), but its readers need
//!   no privilege on the table.

use pgrx::pg_sys::Oid;

use crate::errors::{warning, WARNING};
use crate::spi::{self, flag, text};

/// A relation over a protected table, and what is wrong with it.
pub(super) struct Hazard {
    /// `view public.agent_names over public.agents: …`
    pub(super) finding: String,
    pub(super) remedy: String,
}

/// The hazards of the relations in `relids` (a table and its partitions).
pub(super) fn hazards_of(relids: &[Oid]) -> Vec<Hazard> {
    let rows = spi::select_rows(
        "select distinct v.oid::regclass::text as reader, v.relkind::text as kind,
                t.oid::regclass::text as read,
                pg_get_userbyid(v.relowner)::text as owner,
                r.rolsuper or r.rolbypassrls as owner_bypasses,
                exists (select from unnest(v.reloptions) o
                         where lower(o) in ('security_invoker=true', 'security_invoker=on',
                                            'security_invoker=yes', 'security_invoker=1')) as invoker
           from pg_depend d
           join pg_rewrite w on d.classid = 'pg_rewrite'::regclass and w.oid = d.objid
           join pg_class v on v.oid = w.ev_class
           join pg_class t on t.oid = d.refobjid
           join pg_roles r on r.oid = v.relowner
          where d.refclassid = 'pg_class'::regclass and d.refobjid = any ($1)
            and v.oid <> all ($1) and v.relkind in ('v', 'm')
          order by 1, 3",
        &[relids.to_vec().into()],
        |row| {
            Ok((
                text(row, "reader")?,
                text(row, "kind")?,
                text(row, "read")?,
                text(row, "owner")?,
                flag(row, "owner_bypasses")?,
                flag(row, "invoker")?,
            ))
        },
    );
    rows.into_iter()
        .filter_map(|(reader, kind, read, owner, bypasses, invoker)| {
            if kind == "m" {
                Some(Hazard {
                    finding: format!(
                        "materialized view {reader} over {read} has no row-level security: it shows everyone who may read it what its last REFRESH saw"
                    ),
                    remedy: format!(
                        "Do not grant {reader} to tenants' roles; replace it with a view WITH (security_invoker = true), or refresh and read it only as a platform admin."
                    ),
                })
            } else if invoker {
                None
            } else if bypasses {
                Some(Hazard {
                    finding: format!(
                        "view {reader} over {read} reads it as its owner {owner}, who bypasses row-level security: its readers see every tenant's rows"
                    ),
                    remedy: format!("ALTER VIEW {reader} SET (security_invoker = true), or give it an owner without SUPERUSER and BYPASSRLS."),
                })
            } else {
                Some(Hazard {
                    finding: format!(
                        "view {reader} over {read} is not security_invoker: its readers need no privilege on {read} (the policies still apply)"
                    ),
                    remedy: format!("ALTER VIEW {reader} SET (security_invoker = true)."),
                })
            }
        })
        .collect()
}

/// Sends each hazard as a WARNING.
pub(super) fn warn_hazards(hazards: &[Hazard]) {
    for hazard in hazards {
        warning(WARNING, &hazard.finding)
            .hint(&hazard.remedy)
            .send();
    }
}
