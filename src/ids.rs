//! Tenant and user ids: the `uuid` crate's type inside, pgrx's at the SQL
//! boundary (both are the same 16 bytes).

use uuid::Uuid;

pub(crate) fn to_pg(id: Uuid) -> pgrx::Uuid {
    pgrx::Uuid::from_bytes(id.into_bytes())
}

pub(crate) fn from_pg(id: pgrx::Uuid) -> Uuid {
    Uuid::from_bytes(*id.as_bytes())
}
