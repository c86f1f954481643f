"""Many clients through PgBouncer in transaction pooling mode share a few
server connections; each transaction takes a local context, and no client
ever sees another client's tenant or user."""

import random
import threading
import time
from collections import defaultdict

import psycopg2

from conftest import APP, BOUNCER_POOL_SIZE, N_TENANTS, TENANTS, USERS, connect

N_CLIENTS = 40
TRANSACTIONS = 50
DEADLINE_SECONDS = 120


def client(index, results, errors, stop_at):
    rng = random.Random(index)
    me = index % N_TENANTS
    user, tenant = USERS[me], TENANTS[me]
    other = TENANTS[(me + 1) % N_TENANTS]
    seen = []  # (backend pid, tenant, user, raw tenant, raw user, phase)
    try:
        conn = connect(APP, bouncer=True)
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append("client %d: connect: %r" % (index, e))
        return
    try:
        for n in range(TRANSACTIONS):
            if time.monotonic() > stop_at:
                errors.append("client %d: deadline after %d transactions" % (index, n))
                return
            with conn.cursor() as cur:
                if n % 3 == 0:
                    # Before setting anything, nothing is inherited.
                    cur.execute(
                        "select pg_backend_pid(), vital.get_current_tenant_id()::text,"
                        " vital.current_user_id()::text,"
                        " current_setting('vital.tenant_id', true), current_setting('vital.user_id', true)"
                    )
                    seen.append(cur.fetchone() + ("before",))
                cur.execute("select vital.set_user_context(%s, true)", (user,))
                cur.execute("select vital.set_tenant_context(%s, true)", (tenant,))
                cur.execute(
                    "select pg_backend_pid(), vital.get_current_tenant_id()::text,"
                    " vital.current_user_id()::text,"
                    " current_setting('vital.tenant_id'), current_setting('vital.user_id')"
                )
                seen.append(cur.fetchone() + ("after",))
                if n % 7 == 3:
                    # Ask for a tenant this user does not belong to: refused,
                    # and the transaction aborts; the next one starts clean.
                    try:
                        cur.execute("select vital.set_tenant_context(%s, true)", (other,))
                    except psycopg2.Error as e:
                        if e.pgcode != "42501":
                            errors.append("client %d: foreign tenant: %s %s" % (index, e.pgcode, e))
                        conn.rollback()
                        continue
                    errors.append("client %d: took foreign tenant %s" % (index, other))
            if rng.random() < 0.05:
                time.sleep(rng.random() / 100)
            if n % 5 == 4:
                conn.rollback()
            else:
                conn.commit()
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append("client %d: %r" % (index, e))
    finally:
        results[index] = seen
        conn.close()


def test_transaction_pooling_never_leaks_a_context():
    results = {}
    errors = []
    stop_at = time.monotonic() + DEADLINE_SECONDS
    start = threading.Barrier(N_CLIENTS)

    def run(i):
        try:
            start.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        client(i, results, errors, stop_at)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(N_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, stop_at + 30 - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "clients still running after the deadline"
    assert errors == []
    assert sorted(results) == list(range(N_CLIENTS))

    pids = set()
    tenants_by_pid = defaultdict(set)
    befores = 0
    for index, seen in results.items():
        me = index % N_TENANTS
        expected_after = (TENANTS[me], USERS[me], TENANTS[me], USERS[me])
        assert len(seen) >= TRANSACTIONS, (index, len(seen))
        for pid, tenant, user, raw_tenant, raw_user, phase in seen:
            pids.add(pid)
            if phase == "before":
                befores += 1
                assert (tenant, user) == (None, None), (index, pid, tenant, user)
                assert (raw_tenant, raw_user) == ("", ""), (index, raw_tenant, raw_user)
            else:
                assert (tenant, user, raw_tenant, raw_user) == expected_after, (index, pid)
                tenants_by_pid[pid].add(tenant)
    assert befores >= N_CLIENTS * (TRANSACTIONS // 3)
    # The server connections were shared: fewer backends than clients, at
    # most the pool size, and some backend served several tenants.
    assert len(pids) < N_CLIENTS
    assert len(pids) <= BOUNCER_POOL_SIZE, pids
    assert max(len(t) for t in tenants_by_pid.values()) > 1
