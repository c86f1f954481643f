"""Shared fixtures for the multi-connection integration tests.

scripts/integration.sh starts the cluster and PgBouncer, creates the database,
the extension and the roles, and says where to connect in VT_* variables.
The data below is loaded once, as the superuser; every test connects only as
the non-superuser roles `app` (may vouch for users: EXECUTE on
vital.set_user_context) and `tenant_reader` (may not).
"""

import contextlib
import os

import psycopg2
import psycopg2.errors
import pytest

PGHOST = os.environ.get("VT_PGHOST", "/tmp")
PGPORT = int(os.environ.get("VT_PGPORT", "54331"))
DB = os.environ.get("VT_DB", "vital_it")
SUPERUSER = os.environ.get("VT_SUPERUSER", "postgres")
BOUNCER_HOST = os.environ.get("VT_BOUNCER_HOST", PGHOST)
BOUNCER_PORT = int(os.environ.get("VT_BOUNCER_PORT", "6433"))
BOUNCER_POOL_SIZE = int(os.environ.get("VT_BOUNCER_POOL_SIZE", "4"))

APP = "app"
READER = "tenant_reader"

N_TENANTS = 10
# Tenant i is TENANTS[i]; its only member is USERS[i].
TENANTS = ["10000000-0000-4000-8000-%012d" % i for i in range(N_TENANTS)]
USERS = ["20000000-0000-4000-8000-%012d" % i for i in range(N_TENANTS)]
# A user belonging to tenants 0, 1 and 2, to move between tenants.
MULTI_USER = "30000000-0000-4000-8000-000000000001"
MULTI_TENANTS = TENANTS[:3]
# Never a member of anything, never a tenant.
FORGED = "f0f0f0f0-f0f0-4f0f-8f0f-f0f0f0f0f0f0"

PARALLEL_ROWS = 200_000


def connect(user, *, bouncer=False, dbname=None, autocommit=False, **kwargs):
    """A new psycopg2 connection: directly to PostgreSQL, or through PgBouncer."""
    conn = psycopg2.connect(
        host=BOUNCER_HOST if bouncer else PGHOST,
        port=BOUNCER_PORT if bouncer else PGPORT,
        dbname=dbname or DB,
        user=user,
        connect_timeout=10,
        application_name="vital_it",
        **kwargs,
    )
    conn.autocommit = autocommit
    return conn


def one(conn, sql, args=None):
    """The first column of the single row `sql` returns."""
    with conn.cursor() as cur:
        cur.execute(sql, args)
        rows = cur.fetchall()
    assert len(rows) == 1, rows
    return rows[0][0] if len(rows[0]) == 1 else rows[0]


def context(conn):
    """(tenant, user, raw vital.tenant_id, raw vital.user_id) as the session sees them."""
    with conn.cursor() as cur:
        cur.execute(
            "select vital.get_current_tenant_id()::text, vital.current_user_id()::text,"
            " current_setting('vital.tenant_id'), current_setting('vital.user_id')"
        )
        return cur.fetchone()


NO_CONTEXT = (None, None, "", "")


def sqlstate_of(conn, sql, args=None):
    """Runs `sql`, which must fail; returns its SQLSTATE. Leaves an aborted
    transaction to the caller when not in autocommit."""
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as info:
            cur.execute(sql, args)
    return info.value.pgcode


@contextlib.contextmanager
def connection(user, **kwargs):
    conn = connect(user, **kwargs)
    try:
        yield conn
    finally:
        conn.close()


SETUP_SQL = [
    "create schema it",
    "grant usage on schema it to public",
    "create table it.parallel_rows (g int not null, pad text not null)",
    "insert into it.parallel_rows select g, repeat('x', 40) from generate_series(1, %d) g"
    % PARALLEL_ROWS,
    "vacuum analyze it.parallel_rows",
    "grant select on it.parallel_rows to public",
    # Calls the reader only where it runs: in a parallel worker when the plan
    # is a single-copy Gather, so the worker is the first to load the library.
    """create function it.tenant_via_plpgsql() returns uuid
        language plpgsql stable parallel safe
        as $$ begin return vital.get_current_tenant_id(); end $$""",
    # pg_backend_pid() is parallel restricted; this wrapper claims to be safe
    # so that a query can tell it ran in a parallel worker.
    """create function it.backend_pid() returns int
        language plpgsql stable parallel safe
        as $$ begin return pg_backend_pid(); end $$""",
]


@pytest.fixture(scope="session", autouse=True)
def fixtures():
    """Tenants, memberships and the table for the parallel tests, as the superuser."""
    conn = connect(SUPERUSER, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*) from vital.tenants where id = any(%s::uuid[])", (TENANTS,))
            if cur.fetchone()[0] == 0:
                for i, (tenant, user) in enumerate(zip(TENANTS, USERS)):
                    cur.execute(
                        "select vital.create_tenant(%s, %s, 'client', 'free', %s)",
                        ("it-tenant-%02d" % i, "Integration tenant %d" % i, tenant),
                    )
                    cur.execute("select vital.add_tenant_member(%s, %s, 'member')", (tenant, user))
                for tenant in MULTI_TENANTS:
                    cur.execute("select vital.add_tenant_member(%s, %s, 'member')", (tenant, MULTI_USER))
                for statement in SETUP_SQL:
                    cur.execute(statement)
    finally:
        conn.close()
    yield
