"""Runs against the cluster and PgBouncer (transaction pooling) that
scripts/examples.sh starts, as its non-superuser role `app`."""

import os
import threading

import psycopg
import pytest

from tenant_transaction import tenant_transaction

ACME = "a0000000-0000-4000-8000-000000000001"
GLOBEX = "b0000000-0000-4000-8000-000000000002"
ALICE = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
BOB = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
SEES = {
    ACME: ["acme: first", "acme: second", "platform: for everybody"],
    GLOBEX: ["globex: first", "platform: for everybody"],
}
POOL_SIZE = int(os.environ["EX_POOL_SIZE"])


def connect(dbname=None, **kwargs):
    # prepare_threshold=None: PgBouncer 1.18 in transaction mode keeps no
    # server-side prepared statements, which psycopg makes by itself for a
    # query run five times on a connection.
    return psycopg.connect(
        host=os.environ["EX_BOUNCER_HOST"],
        port=os.environ["EX_BOUNCER_PORT"],
        dbname=dbname or os.environ["EX_DB"],
        user="app",
        prepare_threshold=None,
        **kwargs,
    )


def bodies(conn):
    return [body for (body,) in conn.execute("SELECT body FROM notes ORDER BY body")]


@pytest.mark.parametrize("autocommit", [False, True])
def test_a_tenant_sees_only_its_own_rows_and_the_shared_ones(autocommit):
    with connect(autocommit=autocommit) as conn:
        with tenant_transaction(conn, ALICE, ACME):
            assert bodies(conn) == SEES[ACME]
        with tenant_transaction(conn, BOB, GLOBEX):
            assert bodies(conn) == SEES[GLOBEX]


def test_many_concurrent_transactions_over_few_server_connections_stay_apart():
    results, errors = [], []

    def client(index):
        try:
            with connect() as conn:
                for n in range(5):
                    user, tenant = (BOB, GLOBEX) if (index + n) % 2 else (ALICE, ACME)
                    with tenant_transaction(conn, user, tenant):
                        (pid,) = conn.execute("SELECT pg_backend_pid()").fetchone()
                        results.append((tenant, pid, bodies(conn)))
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(3 * POOL_SIZE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(results) == 15 * POOL_SIZE
    for tenant, _, seen in results:
        assert seen == SEES[tenant]
    servers = {pid for _, pid, _ in results}
    assert len(servers) <= POOL_SIZE < len(results)


def test_the_context_is_gone_in_the_next_transaction_on_the_same_server_connection():
    with connect(os.environ["EX_DB_ONE"]) as conn:
        with tenant_transaction(conn, ALICE, ACME):
            (first,) = conn.execute("SELECT pg_backend_pid()").fetchone()
        with conn.transaction():
            after = conn.execute(
                "SELECT pg_backend_pid(), vital.get_current_tenant_id(), vital.current_user_id(),"
                " (SELECT count(*) FROM notes)"
            ).fetchone()
        assert after == (first, None, None, 0)


def test_an_exception_rolls_the_transaction_back():
    with connect() as conn:
        with pytest.raises(RuntimeError):
            with tenant_transaction(conn, ALICE, ACME):
                conn.execute("INSERT INTO notes (body) VALUES ('acme: draft')")
                raise RuntimeError("the request failed")
        with tenant_transaction(conn, ALICE, ACME):
            assert bodies(conn) == SEES[ACME]


def test_a_refused_context_raises_before_the_block_runs():
    ran = False
    with connect() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with tenant_transaction(conn, ALICE, GLOBEX):
                ran = True
        assert not ran
        # the connection is usable again
        with tenant_transaction(conn, ALICE, ACME):
            assert bodies(conn) == SEES[ACME]


def test_the_mistake_a_context_set_outside_a_transaction_is_lost_with_a_warning():
    notices = []
    with connect(autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append((d.severity_nonlocalized, d.sqlstate)))
        conn.execute("SELECT vital.set_context(%s, %s, true)", (ALICE, ACME))
        assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    assert notices == [("WARNING", "25P01")]
