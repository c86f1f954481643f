"""Prepared statements behind PgBouncer in transaction pooling mode: many
clients, each transaction a random tenant's, share a few server connections
and the statements prepared on them. Every execution returns that tenant's
rows only, and each statement is planned about once per server connection,
not once per tenant switch (pg_stat_statements counts the plannings)."""

import random
import threading

import pytest

from conftest import APP, BOUNCER_POOL_SIZE, DB, N_TENANTS, SUPERUSER, TENANTS, USERS, connect, connection

PLATFORM = "00000000-0000-0000-0000-000000000001"
N_CLIENTS = 16
TRANSACTIONS = 40
ROWS_PER_TENANT = 3


def setup_module():
    with connection(SUPERUSER, autocommit=True) as admin:
        with admin.cursor() as cur:
            cur.execute("select count(*) from pg_extension where extname = 'pg_stat_statements'")
            if cur.fetchone()[0] == 0:
                # scripts/integration.sh creates it where the server has it
                # (PostgreSQL 16's and 17's wheels carry no contrib modules).
                pytest.skip("no pg_stat_statements in this PostgreSQL: the plannings cannot be counted")
            cur.execute("delete from bouncer.docs")
            rows = []
            for i, tenant in enumerate(TENANTS):
                for k in range(ROWS_PER_TENANT):
                    rows.append((i * 10 + k, tenant, False, "private"))
            rows += [(1000, PLATFORM, True, "global"), (1001, PLATFORM, True, "global")]
            cur.executemany(
                "insert into bouncer.docs (id, tenant_id, is_shared, sharing_mode) values (%s, %s, %s, %s)", rows
            )
            cur.execute("select pg_stat_statements_reset()")


def client(index, errors):
    rng = random.Random(index)
    conn = connect(APP, bouncer=True, dbname=DB + "_prepared")
    try:
        for _ in range(TRANSACTIONS):
            me = rng.randrange(N_TENANTS)
            with conn.cursor() as cur:
                cur.execute("select vital.set_user_context(%s, true)", (USERS[me],))
                cur.execute("select vital.set_tenant_context(%s, true)", (TENANTS[me],))
                cur.execute("execute bouncer_rows")
                rows = cur.fetchall()
            conn.commit()
            own = [r for r in rows if r[0] == TENANTS[me]]
            shared = [r for r in rows if r[0] == PLATFORM and r[1] == "global"]
            if len(own) != ROWS_PER_TENANT or len(shared) != 2 or len(rows) != ROWS_PER_TENANT + 2:
                errors.append("client %d as tenant %d saw %r" % (index, me, rows))
                return
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append("client %d: %r" % (index, e))
    finally:
        conn.close()


def test_prepared_statements_serve_every_tenant_and_are_planned_once_per_connection():
    errors = []
    threads = [threading.Thread(target=client, args=(i, errors)) for i in range(N_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:5]
    with connection(SUPERUSER, autocommit=True) as admin:
        with admin.cursor() as cur:
            cur.execute(
                "select coalesce(sum(calls), 0), coalesce(sum(plans), 0) from pg_stat_statements"
                " where query like 'PREPARE bouncer_rows%%'"
            )
            calls, plans = cur.fetchone()
    assert calls == N_CLIENTS * TRANSACTIONS
    # one planning per server connection (a few more if a connection was
    # replaced), never one per tenant switch
    assert plans <= 2 * BOUNCER_POOL_SIZE, (calls, plans)
