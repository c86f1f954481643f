//! The registry facts the context checks need (a tenant's status, who is a
//! platform admin, memberships), cached per backend.
//!
//! Every write of a registry table, in any session, reaches every cache in
//! time: a statement trigger on the three tables (`vital.registry_changed()`)
//! sends PostgreSQL's relcache invalidation for the table, which every
//! backend processes at the start of its next transaction (and this
//! backend after the writing statement; on abort, PostgreSQL processes the
//! transaction's invalidations again, so nothing it read is kept). So a
//! member removed, a tenant suspended or an admin revoked in another
//! session takes effect at the first check in a transaction that starts
//! after that change commits. A miss costs one execution of a query
//! prepared once per backend, with the registry owner's rights.
//!
//! Nothing is cached unless all three tables have that trigger, enabled
//! ALWAYS (so a session with `session_replication_role = replica`, which
//! skips ordinary triggers, fires it too). A library installed before
//! `ALTER EXTENSION ... UPDATE` ran, on a 0.1.0 schema without the
//! triggers, or a trigger a superuser disabled, makes every check look the
//! registry up again instead of trusting a cache nothing would clear.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::Hash;

use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::prelude::*;
use uuid::Uuid;

use crate::ids::to_pg;
use crate::privileged::as_registry_owner;
use crate::spi::KeptPlan;
use crate::trigger_entry::trigger_entry_point;

use super::TenantStatus;

/// A membership, whatever its status.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct Membership {
    pub(super) role: String,
    pub(super) active: bool,
}

/// Entries kept per cache before it starts afresh.
const ENTRIES: usize = 16_384;

thread_local! {
    static STATUSES: RefCell<HashMap<Uuid, Option<TenantStatus>>> = RefCell::new(HashMap::new());
    static ADMINS: RefCell<HashMap<Uuid, bool>> = RefCell::new(HashMap::new());
    static MEMBERSHIPS: RefCell<HashMap<(Uuid, Uuid), Option<Membership>>> =
        RefCell::new(HashMap::new());
    /// The registry tables' oids, known once a cache was filled.
    static TABLES: Cell<Option<[Oid; 3]>> = const { Cell::new(None) };
    /// Whether every registry table has the invalidation trigger (known with
    /// the tables: a change of a table's triggers invalidates its relcache).
    static CACHING: Cell<bool> = const { Cell::new(false) };

    static STATUS_QUERY: KeptPlan = const {
        KeptPlan::new(c"select status from vital.tenants where id = $1", &[pg_sys::UUIDOID])
    };
    static ADMIN_QUERY: KeptPlan = const {
        KeptPlan::new(
            c"select true from vital.user_roles where user_id = $1 and role = 'platform_admin'",
            &[pg_sys::UUIDOID],
        )
    };
    static MEMBERSHIP_QUERY: KeptPlan = const {
        KeptPlan::new(
            c"select array[role, status] from vital.user_tenants where user_id = $1 and tenant_id = $2",
            &[pg_sys::UUIDOID, pg_sys::UUIDOID],
        )
    };
    /// What a tenant context check reads, in one query: the tenant's
    /// status, whether the user is a platform admin, and the membership.
    static CONTEXT_QUERY: KeptPlan = const {
        KeptPlan::new(
            c"select array[(select status from vital.tenants where id = $2),
                           (select 'admin' from vital.user_roles
                             where user_id = $1 and role = 'platform_admin' limit 1),
                           (select role from vital.user_tenants where user_id = $1 and tenant_id = $2),
                           (select status from vital.user_tenants where user_id = $1 and tenant_id = $2)]",
            &[pg_sys::UUIDOID, pg_sys::UUIDOID],
        )
    };
}

/// Fills the three caches a tenant context check reads, with one query,
/// when any of them lacks its entry: a new backend (every pgbench run, a
/// pooler's new server connection) meets each user and tenant fresh, and
/// three lookups cost three executions. Caches nothing while caching is
/// off (the individual lookups then read the registry each time).
pub(super) fn prefetch(user: Uuid, tenant: Uuid) {
    let missing = STATUSES.with_borrow(|e| !e.contains_key(&tenant))
        || ADMINS.with_borrow(|e| !e.contains_key(&user))
        || MEMBERSHIPS.with_borrow(|e| !e.contains_key(&(user, tenant)));
    if !missing {
        return;
    }
    remember_tables();
    if !CACHING.get() {
        return;
    }
    let found: Option<Vec<Option<String>>> = as_registry_owner(|| {
        CONTEXT_QUERY.with(|query| query.value(&mut [uuid_datum(user), uuid_datum(tenant)]))
    });
    let Some(found) = found else {
        return;
    };
    let field = |i: usize| found.get(i).cloned().flatten();
    let status = field(0).map(|word| TenantStatus::parse(&word));
    let admin = field(1).is_some();
    let membership = match (field(2), field(3)) {
        (Some(role), Some(state)) => Some(Membership {
            role,
            active: state == "active",
        }),
        _ => None,
    };
    remember(&STATUSES, tenant, status);
    remember(&ADMINS, user, admin);
    remember(&MEMBERSHIPS, (user, tenant), membership);
}

fn remember<K: Eq + Hash, V>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<K, V>>>,
    key: K,
    value: V,
) {
    cache.with_borrow_mut(|entries| {
        if entries.len() >= ENTRIES {
            entries.clear();
        }
        entries.insert(key, value);
    });
}

fn cached<K: Eq + Hash + Copy, V: Clone>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<K, V>>>,
    key: K,
    look_up: impl FnOnce() -> V,
) -> V {
    if let Some(found) = cache.with_borrow(|entries| entries.get(&key).cloned()) {
        return found;
    }
    remember_tables();
    let value = look_up();
    if !CACHING.get() {
        return value;
    }
    remember(cache, key, value.clone());
    value
}

fn uuid_datum(id: Uuid) -> Datum {
    to_pg(id).into_datum().expect("a uuid is never NULL")
}

pub(super) fn tenant_status(tenant: Uuid) -> Option<TenantStatus> {
    cached(&STATUSES, tenant, || {
        let status: Option<String> =
            as_registry_owner(|| STATUS_QUERY.with(|query| query.value(&mut [uuid_datum(tenant)])));
        status.map(|word| TenantStatus::parse(&word))
    })
}

pub(super) fn is_admin(user: Uuid) -> bool {
    cached(&ADMINS, user, || {
        as_registry_owner(|| ADMIN_QUERY.with(|query| query.value::<bool>(&mut [uuid_datum(user)])))
            .unwrap_or(false)
    })
}

pub(super) fn membership(user: Uuid, tenant: Uuid) -> Option<Membership> {
    cached(&MEMBERSHIPS, (user, tenant), || {
        let found: Option<Vec<String>> = as_registry_owner(|| {
            MEMBERSHIP_QUERY.with(|query| query.value(&mut [uuid_datum(user), uuid_datum(tenant)]))
        });
        match found.as_deref() {
            Some([role, status]) => Some(Membership {
                role: role.clone(),
                active: status == "active",
            }),
            _ => None,
        }
    })
}

fn forget_everything() {
    STATUSES.with_borrow_mut(HashMap::clear);
    ADMINS.with_borrow_mut(HashMap::clear);
    MEMBERSHIPS.with_borrow_mut(HashMap::clear);
}

/// Looks up the registry tables' oids (from the catalog caches) the first
/// time anything is cached, so the invalidation callback knows them, and
/// whether each has the invalidation trigger.
fn remember_tables() {
    if TABLES.get().is_some() {
        return;
    }
    // SAFETY: catalog cache lookups by name; called in a transaction.
    let tables = unsafe {
        let schema = pg_sys::get_namespace_oid(c"vital".as_ptr(), true);
        [c"tenants", c"user_tenants", c"user_roles"]
            .map(|name| pg_sys::get_relname_relid(name.as_ptr(), schema))
    };
    let trigger_function = crate::functions::ours(c"registry_changed", &[]);
    let caching = trigger_function.is_some_and(|function| {
        tables
            .iter()
            // SAFETY: the relcache entry is opened and closed here, in a transaction.
            .all(|&table| unsafe { fires_always_on_every_write(table, function) })
    });
    CACHING.set(caching);
    TABLES.set(Some(tables));
}

/// Whether `table` has an enabled-ALWAYS AFTER statement trigger running
/// `function` after every INSERT, UPDATE, DELETE and TRUNCATE.
///
/// # Safety
/// Called in a transaction.
unsafe fn fires_always_on_every_write(table: Oid, function: Oid) -> bool {
    const EVERY_WRITE: u32 = pg_sys::TRIGGER_TYPE_INSERT
        | pg_sys::TRIGGER_TYPE_UPDATE
        | pg_sys::TRIGGER_TYPE_DELETE
        | pg_sys::TRIGGER_TYPE_TRUNCATE;
    if table == pg_sys::InvalidOid {
        return false;
    }
    // SAFETY: see the function's contract; a missing relation gives NULL.
    unsafe {
        let relation = pg_sys::RelationIdGetRelation(table);
        if relation.is_null() {
            return false;
        }
        let triggers = (*relation).trigdesc;
        let found = !triggers.is_null()
            && (0..(*triggers).numtriggers as usize).any(|i| {
                let trigger = &*(*triggers).triggers.add(i);
                let kind = u32::from(trigger.tgtype as u16);
                let not_after = pg_sys::TRIGGER_TYPE_ROW
                    | pg_sys::TRIGGER_TYPE_BEFORE
                    | pg_sys::TRIGGER_TYPE_INSTEAD;
                trigger.tgfoid == function
                    && trigger.tgenabled as u8 == pg_sys::TRIGGER_FIRES_ALWAYS
                    && kind & not_after == 0
                    && kind & EVERY_WRITE == EVERY_WRITE
            });
        pg_sys::RelationClose(relation);
        found
    }
}

/// Relcache callback (registered in `_PG_init`): a registry table changed
/// (or every relation did, `relid` invalid).
#[pg_guard]
pub(crate) unsafe extern "C-unwind" fn relation_changed(_arg: Datum, relid: Oid) {
    // (Nothing is cached while the oids are unknown.) The oids are looked
    // up again next time: the extension may have been dropped and created
    // again, with new tables.
    if let Some(tables) = TABLES.get() {
        if relid == pg_sys::InvalidOid || tables.contains(&relid) {
            TABLES.set(None);
            forget_everything();
        }
    }
}

trigger_entry_point!(
    registry_changed_wrapper,
    pg_finfo_registry_changed_wrapper,
    "vital.registry_changed()",
    registry_changed
);

/// AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT on the
/// registry tables: every backend forgets what it cached (see the module's
/// comment).
fn registry_changed(data: &pg_sys::TriggerData) {
    // SAFETY: the trigger's relation is open; the invalidation is sent at
    // commit (and processed here at the end of the statement).
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid((*data.tg_relation).rd_id) };
}
