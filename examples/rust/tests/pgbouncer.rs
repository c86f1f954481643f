//! Runs against the cluster and PgBouncer (transaction pooling) that
//! scripts/examples.sh starts, as its non-superuser role `app`.

use std::collections::HashSet;

use futures_util::{future, stream, StreamExt};
use tokio::sync::mpsc;
use tokio_postgres::error::{DbError, SqlState};
use tokio_postgres::types::Type;
use tokio_postgres::{AsyncMessage, Client, GenericClient, NoTls};
use uuid::{uuid, Uuid};
use vital_tenancy_client_example::tenant_transaction;

const ACME: Uuid = uuid!("a0000000-0000-4000-8000-000000000001");
const GLOBEX: Uuid = uuid!("b0000000-0000-4000-8000-000000000002");
const ALICE: Uuid = uuid!("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
const BOB: Uuid = uuid!("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");

fn sees(tenant: Uuid) -> Vec<&'static str> {
    if tenant == ACME {
        vec!["acme: first", "acme: second", "platform: for everybody"]
    } else {
        vec!["globex: first", "platform: for everybody"]
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/examples.sh"))
}

fn pool_size() -> usize {
    env("EX_POOL_SIZE")
        .parse()
        .expect("EX_POOL_SIZE is a number")
}

/// A client through PgBouncer, and the notices (warnings) the server sends it.
async fn connect(database: &str) -> (Client, mpsc::UnboundedReceiver<DbError>) {
    let mut config = tokio_postgres::Config::new();
    config
        .host_path(env("EX_BOUNCER_HOST"))
        .port(env("EX_BOUNCER_PORT").parse().expect("a port"))
        .user("app")
        .dbname(database);
    let (client, mut connection) = config
        .connect(NoTls)
        .await
        .expect("connect through PgBouncer");
    let (notices, received) = mpsc::unbounded_channel();
    let messages = stream::poll_fn(move |cx| connection.poll_message(cx));
    tokio::spawn(messages.for_each(move |message| {
        if let Ok(AsyncMessage::Notice(notice)) = message {
            let _ = notices.send(notice);
        }
        future::ready(())
    }));
    (client, received)
}

async fn bodies(client: &impl GenericClient) -> Vec<String> {
    let rows = client
        .query("SELECT body FROM notes ORDER BY body", &[])
        .await
        .expect("read notes");
    rows.iter().map(|row| row.get(0)).collect()
}

async fn backend_pid(client: &impl GenericClient) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pg_backend_pid")
        .get(0)
}

#[tokio::test]
async fn a_tenant_sees_only_its_own_rows_and_the_shared_ones() {
    let (mut client, _) = connect(&env("EX_DB")).await;
    for (user, tenant) in [(ALICE, ACME), (BOB, GLOBEX)] {
        let tx = tenant_transaction(&mut client, user, tenant).await.unwrap();
        assert_eq!(bodies(&tx).await, sees(tenant));
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn many_concurrent_transactions_over_few_server_connections_stay_apart() {
    let clients = (0..3 * pool_size()).map(|index| {
        tokio::spawn(async move {
            let (mut client, _) = connect(&env("EX_DB")).await;
            let mut seen = Vec::new();
            for n in 0..5 {
                let (user, tenant) = if (index + n) % 2 == 1 {
                    (BOB, GLOBEX)
                } else {
                    (ALICE, ACME)
                };
                let tx = tenant_transaction(&mut client, user, tenant).await.unwrap();
                seen.push((tenant, backend_pid(&tx).await, bodies(&tx).await));
                tx.commit().await.unwrap();
            }
            seen
        })
    });
    let mut results = Vec::new();
    for client in future::join_all(clients).await {
        results.extend(client.expect("a client task"));
    }
    assert_eq!(results.len(), 15 * pool_size());
    for (tenant, _, seen) in &results {
        assert_eq!(seen, &sees(*tenant));
    }
    let servers: HashSet<i32> = results.iter().map(|(_, pid, _)| *pid).collect();
    assert!(
        servers.len() <= pool_size(),
        "{} server connections",
        servers.len()
    );
    assert!(results.len() > servers.len());
}

#[tokio::test]
async fn the_context_is_gone_in_the_next_transaction_on_the_same_server_connection() {
    let (mut client, _) = connect(&env("EX_DB_ONE")).await;
    let tx = tenant_transaction(&mut client, ALICE, ACME).await.unwrap();
    let first = backend_pid(&tx).await;
    tx.commit().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let row = tx
        .query_one(
            "SELECT pg_backend_pid(), vital.get_current_tenant_id(), vital.current_user_id(), \
             (SELECT count(*) FROM notes)",
            &[],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(row.get::<_, i32>(0), first);
    assert_eq!(row.get::<_, Option<Uuid>>(1), None);
    assert_eq!(row.get::<_, Option<Uuid>>(2), None);
    assert_eq!(row.get::<_, i64>(3), 0);
}

#[tokio::test]
async fn dropping_the_transaction_rolls_it_back() {
    let (mut client, _) = connect(&env("EX_DB")).await;
    let tx = tenant_transaction(&mut client, ALICE, ACME).await.unwrap();
    tx.execute("INSERT INTO notes (body) VALUES ('acme: draft')", &[])
        .await
        .unwrap();
    drop(tx);
    let tx = tenant_transaction(&mut client, ALICE, ACME).await.unwrap();
    assert_eq!(bodies(&tx).await, sees(ACME));
}

#[tokio::test]
async fn a_refused_context_is_an_error_and_the_client_stays_usable() {
    let (mut client, _) = connect(&env("EX_DB")).await;
    let refused = tenant_transaction(&mut client, ALICE, GLOBEX)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    let tx = tenant_transaction(&mut client, ALICE, ACME).await.unwrap();
    assert_eq!(bodies(&tx).await, sees(ACME));
}

#[tokio::test]
async fn the_mistake_a_context_set_outside_a_transaction_is_lost_with_a_warning() {
    let (client, mut notices) = connect(&env("EX_DB")).await;
    // Unnamed statements: outside a transaction PgBouncer may run every
    // message group on another server connection.
    client
        .query_typed(
            "SELECT vital.set_context($1, $2, true)",
            &[(&ALICE, Type::UUID), (&ACME, Type::UUID)],
        )
        .await
        .unwrap();
    let visible = client
        .query_typed("SELECT count(*) FROM notes", &[])
        .await
        .unwrap();
    assert_eq!(visible[0].get::<_, i64>(0), 0);
    let warning = notices.try_recv().expect("a warning");
    assert_eq!(
        (warning.severity(), warning.code()),
        ("WARNING", &SqlState::NO_ACTIVE_SQL_TRANSACTION)
    );
    assert!(notices.try_recv().is_err(), "one warning only");
}
