"""A non-superuser cannot forge a context: not with SET, not with set_config,
not in the startup packet, not before the library is loaded, and not by
asking for a tenant its user does not belong to."""

import psycopg2
import pytest

from conftest import (
    APP,
    FORGED,
    NO_CONTEXT,
    READER,
    TENANTS,
    USERS,
    connect,
    connection,
    context,
    one,
    sqlstate_of,
)

INSUFFICIENT_PRIVILEGE = "42501"
FORGE_STATEMENTS = [
    ("set vital.tenant_id = %s", (FORGED,)),
    ("set local vital.tenant_id = %s", (FORGED,)),
    ("set vital.user_id = %s", (USERS[0],)),
    ("select set_config('vital.tenant_id', %s, false)", (FORGED,)),
    ("select set_config('vital.tenant_id', %s, true)", (TENANTS[0],)),
    ("select set_config('vital.user_id', %s, false)", (USERS[0],)),
    ("reset vital.tenant_id", None),
]


@pytest.mark.parametrize("role", [APP, READER])
@pytest.mark.parametrize("statement,args", FORGE_STATEMENTS)
def test_setting_is_refused_once_loaded(role, statement, args):
    with connection(role) as conn:
        assert context(conn) == NO_CONTEXT  # loads the library
        conn.commit()
        assert sqlstate_of(conn, statement, args) == INSUFFICIENT_PRIVILEGE
        conn.rollback()
        assert context(conn) == NO_CONTEXT


def test_setting_is_refused_over_a_real_context():
    with connection(APP, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("select vital.set_user_context(%s)", (USERS[0],))
            cur.execute("select vital.set_tenant_context(%s)", (TENANTS[0],))
        for statement, args in FORGE_STATEMENTS:
            assert sqlstate_of(conn, statement, args) == INSUFFICIENT_PRIVILEGE, statement
            assert context(conn) == (TENANTS[0], USERS[0], TENANTS[0], USERS[0]), statement


@pytest.mark.parametrize("role", [APP, READER])
def test_startup_options_cannot_forge(role):
    """PGOPTIONS='-c vital.tenant_id=...': refused at connection, or dropped
    (with a WARNING) when the library loads. Never the forged value."""
    options = "-c vital.tenant_id=%s -c vital.user_id=%s" % (FORGED, USERS[0])
    try:
        conn = connect(role, options=options)
    except psycopg2.OperationalError as e:
        assert "vital" in str(e) or "permission denied" in str(e), e
        return
    try:
        tenant, user, raw_tenant, raw_user = context(conn)
        assert tenant != FORGED and raw_tenant != FORGED
        assert user != USERS[0] and raw_user != USERS[0]
        assert (tenant, user, raw_tenant, raw_user) == NO_CONTEXT
        # Later in the session too.
        conn.commit()
        assert context(conn) == NO_CONTEXT
        assert one(conn, "show vital.tenant_id") == ""
    finally:
        conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "set vital.tenant_id = '%s'" % FORGED,
        "select set_config('vital.tenant_id', '%s', false)" % FORGED,
    ],
)
def test_placeholder_set_before_the_library_loads_is_dropped(statement):
    """Before the library is loaded in a backend, vital.tenant_id is only a
    placeholder that anyone may set; loading the library must drop it."""
    with connection(READER, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("select count(*) from pg_settings where name = 'vital.tenant_id'")
            if cur.fetchone()[0] != 0:
                pytest.skip("the library is preloaded: there is no placeholder to forge")
            cur.execute(statement)
            assert one(conn, "select current_setting('vital.tenant_id')") == FORGED
        assert context(conn) == NO_CONTEXT
        assert one(conn, "select current_setting('vital.tenant_id')") == ""


def test_placeholder_set_local_before_the_library_loads_is_dropped():
    with connection(APP) as conn:
        with conn.cursor() as cur:
            cur.execute("set local vital.tenant_id = %s", (FORGED,))
        assert one(conn, "select vital.get_current_tenant_id()") is None
        assert one(conn, "select current_setting('vital.tenant_id')") == ""
        conn.commit()
        assert context(conn) == NO_CONTEXT


def test_member_of_one_tenant_cannot_take_another():
    x, y = TENANTS[0], TENANTS[1]
    ux = USERS[0]
    with connection(APP, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("select vital.set_user_context(%s)", (ux,))
            cur.execute("select vital.set_tenant_context(%s)", (x,))
        assert context(conn) == (x, ux, x, ux)
        for is_local in (False, True):
            assert (
                sqlstate_of(conn, "select vital.set_tenant_context(%s, %s)", (y, is_local))
                == INSUFFICIENT_PRIVILEGE
            )
            assert context(conn) == (x, ux, x, ux)
        # A tenant that does not exist is refused too (not necessarily 42501).
        with pytest.raises(psycopg2.Error):
            with conn.cursor() as cur:
                cur.execute("select vital.set_tenant_context(%s)", (FORGED,))
        assert context(conn) == (x, ux, x, ux)
    # Inside a transaction, the failure aborts it and the context is unchanged after.
    with connection(APP) as conn:
        with conn.cursor() as cur:
            cur.execute("select vital.set_user_context(%s)", (ux,))
            cur.execute("select vital.set_tenant_context(%s)", (x,))
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("savepoint s")
        assert sqlstate_of(conn, "select vital.set_tenant_context(%s, true)", (y,)) == INSUFFICIENT_PRIVILEGE
        with conn.cursor() as cur:
            cur.execute("rollback to savepoint s")
        assert context(conn) == (x, ux, x, ux)
        conn.rollback()
        assert context(conn) == (x, ux, x, ux)


def test_new_user_loses_the_previous_users_tenant():
    with connection(APP, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("select vital.set_user_context(%s)", (USERS[0],))
            cur.execute("select vital.set_tenant_context(%s)", (TENANTS[0],))
            cur.execute("select vital.set_user_context(%s)", (USERS[1],))
        assert context(conn) == (None, USERS[1], "", USERS[1])
        assert sqlstate_of(conn, "select vital.set_tenant_context(%s)", (TENANTS[0],)) == INSUFFICIENT_PRIVILEGE
        assert context(conn) == (None, USERS[1], "", USERS[1])


def test_role_without_set_user_context_cannot_vouch_or_take_a_tenant():
    with connection(READER, autocommit=True) as conn:
        assert (
            sqlstate_of(conn, "select vital.set_user_context(%s)", (USERS[0],))
            == INSUFFICIENT_PRIVILEGE
        )
        assert (
            sqlstate_of(conn, "select vital.set_tenant_context(%s)", (TENANTS[0],))
            == INSUFFICIENT_PRIVILEGE
        )
        assert context(conn) == NO_CONTEXT


def test_role_with_set_user_context_may_take_a_tenant_without_a_user():
    """The documented exception: with no user set, a role that may execute
    set_user_context acts as a trusted service."""
    with connection(APP, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("select vital.set_tenant_context(%s)", (TENANTS[4],))
        assert context(conn) == (TENANTS[4], None, TENANTS[4], "")
