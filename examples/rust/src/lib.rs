//! vital_tenancy with tokio-postgres: one transaction per request, its
//! context set inside it.
//!
//! ```ignore
//! let tx = tenant_transaction(&mut client, user_id, tenant_id).await?;
//! let rows = tx.query("SELECT body FROM notes", &[]).await?;
//! tx.commit().await?;
//! ```
//!
//! The context is set with `is_local => true`: it ends with the
//! transaction, commit or rollback, so behind PgBouncer in transaction
//! pooling mode it can neither leak into the next transaction of the server
//! connection nor be missing from its own.

use tokio_postgres::types::Type;
use tokio_postgres::{Client, Error, Transaction};
use uuid::Uuid;

/// Starts a transaction acting for `user_id` in `tenant_id`. Commit it
/// with [`Transaction::commit`]; dropping it rolls back. A refused context
/// (42501, say) is an error, and the transaction is rolled back.
pub async fn tenant_transaction(
    client: &mut Client,
    user_id: Uuid,
    tenant_id: Uuid,
) -> Result<Transaction<'_>, Error> {
    let transaction = client.transaction().await?;
    // An unnamed statement with its parameter types given: one round trip,
    // and no server-side prepared statement for a pooler to lose.
    transaction
        .query_typed(
            "SELECT vital.set_context($1, $2, true)",
            &[(&user_id, Type::UUID), (&tenant_id, Type::UUID)],
        )
        .await?;
    Ok(transaction)
}
