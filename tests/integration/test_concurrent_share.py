"""Two tenants' sessions sharing the same row at once: the second call waits
on the row lock the first one holds (share_resource locks the row with
SELECT ... FOR UPDATE), both succeed, the final state is the later call's,
and the audit trail keeps one row per call, each from its own transaction.
As the non-superuser role `app`; the table is made by the superuser."""

import threading
import time
import uuid

import pytest

from conftest import APP, SUPERUSER, TENANTS, USERS, connect, connection, one

OWNER, OWNER_USER = TENANTS[6], USERS[6]
FRIEND = TENANTS[7]
TABLE = "it.share_docs"


@pytest.fixture(scope="module", autouse=True)
def share_docs():
    with connection(SUPERUSER, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("drop table if exists it.share_docs")
        cur.execute("create table it.share_docs (id uuid primary key, title text not null)")
        cur.execute("select vital.enable_tenancy('it.share_docs')")
        cur.execute("grant select, insert, update on it.share_docs to app")
    yield


def new_row():
    """A private row owned by OWNER, inserted by the superuser."""
    row = str(uuid.uuid4())
    with connection(SUPERUSER, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "insert into it.share_docs (id, title, tenant_id) values (%s, 'doc', %s)",
            (row, OWNER),
        )
    return row


def owner_session():
    """A connection of `app` acting for OWNER, in a transaction of its own."""
    conn = connect(APP, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("select vital.set_user_context(%s)", (OWNER_USER,))
        cur.execute("select vital.set_tenant_context(%s)", (OWNER,))
        cur.execute("set lock_timeout = '30s'")
    conn.autocommit = False
    return conn


def wait_until_blocked(pid, timeout=15.0):
    """Whether backend `pid` is waiting for a lock within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with connection(SUPERUSER, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            if one(
                watcher,
                "select count(*) from pg_stat_activity where pid = %s and wait_event_type = 'Lock'",
                (pid,),
            ):
                return True
            time.sleep(0.05)
    return False


def share_concurrently(row):
    """Session A shares `row` selectively with FRIEND and keeps its
    transaction open; session B shares it globally and must wait for A's row
    lock; then A commits, B finishes and commits. Returns both transaction ids."""
    a, b = owner_session(), owner_session()
    try:
        with a.cursor() as cur:
            cur.execute(
                "select vital.share_resource(%s, %s, 'selective', %s::uuid[])",
                (TABLE, row, [FRIEND]),
            )
            cur.execute("select pg_current_xact_id()::text")
            xid_a = cur.fetchone()[0]
        b_pid = one(b, "select pg_backend_pid()")
        b.commit()
        outcome = {}

        def share_globally():
            try:
                with b.cursor() as cur:
                    cur.execute("select vital.share_resource(%s, %s, 'global')", (TABLE, row))
                    cur.execute("select pg_current_xact_id()::text")
                    outcome["xid"] = cur.fetchone()[0]
                b.commit()
            except Exception as e:  # reported by the main thread
                outcome["error"] = e

        worker = threading.Thread(target=share_globally)
        worker.start()
        blocked = wait_until_blocked(b_pid)
        a.commit()
        worker.join(60)
        assert not worker.is_alive(), "the second share did not finish"
        assert blocked, "the second share did not wait for the first one's row lock"
        assert "error" not in outcome, outcome.get("error")
        return xid_a, outcome["xid"]
    finally:
        a.close()
        b.close()


def final_state(row):
    with connection(SUPERUSER, autocommit=True) as conn:
        return one(
            conn,
            "select tenant_id::text, is_shared, sharing_mode, shared_with::text[]"
            " from it.share_docs where id = %s",
            (row,),
        )


def test_concurrent_shares_both_succeed_and_the_later_one_wins():
    row = new_row()
    xid_a, xid_b = share_concurrently(row)
    assert xid_a != xid_b
    selective = (OWNER, True, "selective", [FRIEND])
    global_ = (OWNER, True, "global", [])
    state = final_state(row)
    assert state in (selective, global_)
    # B read the row only after A committed, so B's change is the last one.
    assert state == global_


def test_concurrent_shares_are_both_audited():
    row = new_row()
    xid_a, xid_b = share_concurrently(row)
    with connection(SUPERUSER, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "select action, transaction_id::text, new_state->>'sharing_mode',"
            " actor_tenant_id::text, actor_user_id::text"
            " from vital.resource_sharing_audit where resource_id = %s order by id",
            (row,),
        )
        rows = cur.fetchall()
    assert [(r[1], r[2]) for r in rows] == [(xid_a, "selective"), (xid_b, "global")], rows
    assert all(r[3] == OWNER and r[4] == OWNER_USER for r in rows), rows
    # A made a private row shared; B changed how a shared row is shared.
    assert [r[0] for r in rows] == ["share", "change_sharing"], rows
