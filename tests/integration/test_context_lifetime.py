"""How long a context lasts on one connection: DISCARD ALL / RESET ALL between
two clients of a pooled connection, SET LOCAL-like contexts, aborted
transactions and savepoints. All as the non-superuser role `app`."""

import psycopg2
import pytest

from conftest import (
    APP,
    MULTI_TENANTS,
    MULTI_USER,
    NO_CONTEXT,
    TENANTS,
    USERS,
    connect,
    connection,
    context,
    one,
)

T0, T1, T2 = MULTI_TENANTS


def set_context(conn, user, tenant, is_local=False):
    with conn.cursor() as cur:
        cur.execute("select vital.set_user_context(%s, %s)", (user, is_local))
        cur.execute("select vital.set_tenant_context(%s, %s)", (tenant, is_local))


def fail_the_transaction(conn):
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.DivisionByZero):
        cur.execute("select 1 / 0")


def test_discard_all_between_two_clients_of_one_connection():
    with connection(APP, autocommit=True) as conn:
        pid = one(conn, "select pg_backend_pid()")
        # Client A.
        set_context(conn, USERS[3], TENANTS[3])
        assert context(conn) == (TENANTS[3], USERS[3], TENANTS[3], USERS[3])
        with conn.cursor() as cur:
            cur.execute("DISCARD ALL")
        # Client B, on the same server connection.
        assert one(conn, "select pg_backend_pid()") == pid
        assert one(conn, "select vital.get_current_tenant_id()") is None
        assert one(conn, "select vital.current_user_id()") is None
        assert one(conn, "select current_setting('vital.tenant_id')") == ""
        assert context(conn) == NO_CONTEXT
        # Client B can take its own context, and only its own.
        set_context(conn, USERS[4], TENANTS[4])
        assert context(conn) == (TENANTS[4], USERS[4], TENANTS[4], USERS[4])


def test_reset_all_clears_the_context():
    with connection(APP, autocommit=True) as conn:
        set_context(conn, USERS[5], TENANTS[5])
        assert context(conn)[:2] == (TENANTS[5], USERS[5])
        with conn.cursor() as cur:
            cur.execute("RESET ALL")
        assert context(conn) == NO_CONTEXT


def test_clear_context_clears_both():
    with connection(APP, autocommit=True) as conn:
        set_context(conn, USERS[5], TENANTS[5])
        with conn.cursor() as cur:
            cur.execute("select vital.clear_context()")
        assert context(conn) == NO_CONTEXT


def test_local_context_ends_with_commit():
    with connection(APP) as conn:
        assert context(conn) == NO_CONTEXT
        set_context(conn, USERS[1], TENANTS[1], is_local=True)
        assert context(conn) == (TENANTS[1], USERS[1], TENANTS[1], USERS[1])
        conn.commit()
        assert context(conn) == NO_CONTEXT
        conn.commit()


def test_local_context_ends_with_rollback():
    with connection(APP) as conn:
        set_context(conn, USERS[2], TENANTS[2], is_local=True)
        assert context(conn)[:2] == (TENANTS[2], USERS[2])
        conn.rollback()
        assert context(conn) == NO_CONTEXT
        conn.rollback()


def test_local_context_ends_with_a_failed_transaction():
    with connection(APP) as conn:
        set_context(conn, USERS[2], TENANTS[2], is_local=True)
        fail_the_transaction(conn)
        conn.rollback()
        assert context(conn) == NO_CONTEXT


def test_local_context_over_a_session_context_reverts_to_it():
    with connection(APP) as conn:
        set_context(conn, MULTI_USER, T0)
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("select vital.set_tenant_context(%s, true)", (T1,))
        assert context(conn)[:2] == (T1, MULTI_USER)
        conn.commit()
        assert context(conn) == (T0, MULTI_USER, T0, MULTI_USER)
        # A local change of user (which drops the tenant) reverts as a whole.
        with conn.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (USERS[7],))
        assert context(conn) == (None, USERS[7], "", USERS[7])
        conn.rollback()
        assert context(conn) == (T0, MULTI_USER, T0, MULTI_USER)
        conn.commit()


def test_session_context_set_in_a_rolled_back_transaction_reverts():
    with connection(APP) as conn:
        set_context(conn, MULTI_USER, T0)
        conn.commit()
        set_context(conn, USERS[6], TENANTS[6])
        assert context(conn)[:2] == (TENANTS[6], USERS[6])
        conn.rollback()
        assert context(conn) == (T0, MULTI_USER, T0, MULTI_USER)
        conn.commit()


def test_session_context_set_in_a_failed_transaction_reverts():
    with connection(APP) as conn:
        set_context(conn, MULTI_USER, T1)
        fail_the_transaction(conn)
        conn.rollback()
        assert context(conn) == NO_CONTEXT
        conn.commit()


def test_session_context_set_in_a_committed_transaction_stays():
    with connection(APP) as conn:
        set_context(conn, MULTI_USER, T2)
        conn.commit()
        assert context(conn) == (T2, MULTI_USER, T2, MULTI_USER)
        conn.rollback()
        assert context(conn) == (T2, MULTI_USER, T2, MULTI_USER)
        conn.commit()


def test_rollback_to_savepoint_restores_the_local_context():
    with connection(APP) as conn:
        set_context(conn, MULTI_USER, T0, is_local=True)
        with conn.cursor() as cur:
            cur.execute("savepoint a")
            cur.execute("select vital.set_tenant_context(%s, true)", (T1,))
            assert context(conn)[:2] == (T1, MULTI_USER)
            cur.execute("savepoint b")
            cur.execute("select vital.set_tenant_context(%s, true)", (T2,))
            assert context(conn)[:2] == (T2, MULTI_USER)
            cur.execute("rollback to savepoint b")
            assert context(conn) == (T1, MULTI_USER, T1, MULTI_USER)
            cur.execute("rollback to savepoint a")
            assert context(conn) == (T0, MULTI_USER, T0, MULTI_USER)
            # A failed statement inside a savepoint, then back to it.
            cur.execute("savepoint c")
            cur.execute("select vital.set_user_context(%s, true)", (USERS[8],))
            try:
                cur.execute("select 1 / 0")
            except psycopg2.errors.DivisionByZero:
                pass
            cur.execute("rollback to savepoint c")
            assert context(conn) == (T0, MULTI_USER, T0, MULTI_USER)
        conn.commit()
        assert context(conn) == NO_CONTEXT
        conn.commit()


def test_rollback_to_savepoint_restores_the_session_context():
    with connection(APP) as conn:
        set_context(conn, MULTI_USER, T0)
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("select vital.set_tenant_context(%s)", (T1,))
            cur.execute("savepoint a")
            cur.execute("select vital.set_tenant_context(%s)", (T2,))
            assert context(conn)[:2] == (T2, MULTI_USER)
            cur.execute("rollback to savepoint a")
            assert context(conn)[:2] == (T1, MULTI_USER)
            cur.execute("savepoint b")
            cur.execute("select vital.set_tenant_context(%s)", (T2,))
            cur.execute("release savepoint b")
            assert context(conn)[:2] == (T2, MULTI_USER)
        conn.commit()
        # The released change was committed with its transaction.
        assert context(conn) == (T2, MULTI_USER, T2, MULTI_USER)
        conn.commit()


def test_context_is_per_connection():
    with connection(APP, autocommit=True) as a, connection(APP, autocommit=True) as b:
        set_context(a, USERS[0], TENANTS[0])
        set_context(b, USERS[9], TENANTS[9])
        assert context(a) == (TENANTS[0], USERS[0], TENANTS[0], USERS[0])
        assert context(b) == (TENANTS[9], USERS[9], TENANTS[9], USERS[9])
        c = connect(APP, autocommit=True)
        try:
            assert context(c) == NO_CONTEXT
        finally:
            c.close()


def test_pgbouncer_session_pool_resets_between_clients():
    """In session pooling PgBouncer runs server_reset_query (DISCARD ALL) when a
    client leaves; the next client on the same server connection starts clean."""
    with connection(APP, bouncer=True, dbname="vital_it_session", autocommit=True) as a:
        pid = one(a, "select pg_backend_pid()")
        set_context(a, USERS[3], TENANTS[3])
        assert context(a)[:2] == (TENANTS[3], USERS[3])
    with connection(APP, bouncer=True, dbname="vital_it_session", autocommit=True) as b:
        assert one(b, "select pg_backend_pid()") == pid, "the pool has one server connection"
        assert context(b) == NO_CONTEXT
