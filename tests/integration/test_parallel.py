"""Parallel workers see the leader's context: PostgreSQL copies the settings
to each worker. A worker that saw no context (or another one) would filter
out its share of the rows, and the count would come up short."""

import json

import pytest

from conftest import (
    APP,
    FORGED,
    PARALLEL_ROWS,
    READER,
    TENANTS,
    USERS,
    connection,
    one,
)

TENANT, USER = TENANTS[6], USERS[6]

PARALLEL_SETTINGS = [
    "set max_parallel_workers_per_gather = 2",
    "set parallel_setup_cost = 0",
    "set parallel_tuple_cost = 0",
    "set min_parallel_table_scan_size = 0",
]

# The tenant test is written so that it cannot be hoisted into a one-time
# filter evaluated once by the leader: it is compared per row with a Var.
QUERIES = {
    "one-time": "select count(*) from it.parallel_rows"
    " where vital.get_current_tenant_id() = %(t)s::uuid and g %% 1 = 0",
    "per-row": "select count(*) from it.parallel_rows"
    " where (vital.get_current_tenant_id() = %(t)s::uuid) = (g %% 1 = 0)",
    "per-row-user": "select count(*) from it.parallel_rows"
    " where (vital.current_user_id() = %(u)s::uuid and vital.get_current_tenant_id() = %(t)s::uuid)"
    " = (g > 0)",
}


def force_parallel(cur):
    """Runs the rest of the transaction's queries in a worker: the setting
    is force_parallel_mode until PostgreSQL 15, debug_parallel_query since 16."""
    cur.execute("select current_setting('server_version_num')::int")
    name = "debug_parallel_query" if cur.fetchone()[0] >= 160000 else "force_parallel_mode"
    cur.execute(f"set local {name} = on")


def explain(conn, query, args):
    with conn.cursor() as cur:
        cur.execute("explain (analyze, verbose, format json) " + query, args)
        plan = cur.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Plan"]


def nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def workers_launched(plan):
    return sum(n.get("Workers Launched", 0) for n in nodes(plan))


def worker_rows(plan):
    """Rows the parallel workers (not the leader) produced at their scans."""
    total = 0
    for n in nodes(plan):
        if n["Node Type"] == "Seq Scan":
            for w in n.get("Workers", []):
                total += w.get("Actual Rows", 0) * max(1, w.get("Actual Loops", 1))
    return total


def set_context(conn, user, tenant):
    with conn.cursor() as cur:
        cur.execute("select vital.set_user_context(%s)", (user,))
        cur.execute("select vital.set_tenant_context(%s)", (tenant,))


def parallel_session(conn, extra=()):
    with conn.cursor() as cur:
        for s in PARALLEL_SETTINGS + list(extra):
            cur.execute(s)


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("local", [False, True], ids=["session", "local"])
def test_parallel_workers_see_the_context(name, local):
    query = QUERIES[name]
    args = {"t": TENANT, "u": USER}
    with connection(APP) as conn:
        with conn.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, %s)", (USER, local))
            cur.execute("select vital.set_tenant_context(%s, %s)", (TENANT, local))
        # Without the leader's help, the workers alone must find every row.
        parallel_session(conn, ["set local parallel_leader_participation = off"])
        plan = explain(conn, query, args)
        assert workers_launched(plan) >= 1, plan
        assert worker_rows(plan) == PARALLEL_ROWS, plan
        assert one(conn, query, args) == PARALLEL_ROWS
        # With the leader participating too.
        with conn.cursor() as cur:
            cur.execute("set local parallel_leader_participation = on")
        plan = explain(conn, query, args)
        assert workers_launched(plan) >= 1, plan
        assert one(conn, query, args) == PARALLEL_ROWS
        # Another tenant's id matches nothing, in leader and workers alike.
        assert one(conn, query, {"t": TENANTS[7], "u": USER}) == 0
        conn.rollback() if local else conn.commit()


def test_parallel_workers_see_no_context_when_there_is_none():
    with connection(READER) as conn:
        parallel_session(conn, ["set local parallel_leader_participation = off"])
        query = (
            "select count(*) from it.parallel_rows"
            " where (vital.get_current_tenant_id() is null and vital.current_user_id() is null) = (g > 0)"
        )
        plan = explain(conn, query, None)
        assert workers_launched(plan) >= 1, plan
        assert worker_rows(plan) == PARALLEL_ROWS, plan
        assert one(conn, query) == PARALLEL_ROWS


@pytest.mark.parametrize("local", [False, True], ids=["session", "local"])
def test_force_parallel_mode_worker_returns_the_context(local):
    """force_parallel_mode runs the whole query in one worker (single-copy
    Gather): the values returned are the worker's."""
    with connection(APP) as conn:
        with conn.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, %s)", (USER, local))
            cur.execute("select vital.set_tenant_context(%s, %s)", (TENANT, local))
            force_parallel(cur)
        query = (
            "select vital.get_current_tenant_id()::text, vital.current_user_id()::text,"
            " current_setting('vital.tenant_id'), it.backend_pid() <> %(leader)s"
        )
        leader = one(conn, "select pg_backend_pid()")
        args = {"leader": leader, "t": TENANT}
        plan = explain(conn, query, args)
        assert plan["Node Type"] == "Gather", plan
        assert workers_launched(plan) == 1, plan
        tenant, user, raw, in_worker = one(conn, query, args)
        assert in_worker is True
        assert (tenant, user, raw) == (TENANT, USER, TENANT)
        # The counts, every row scanned by workers (force_parallel_mode
        # keeps the planner's parallel aggregate; the leader stays out).
        with conn.cursor() as cur:
            cur.execute("set local parallel_leader_participation = off")
        for name in sorted(QUERIES):
            q = QUERIES[name]
            qargs = {"t": TENANT, "u": USER}
            plan = explain(conn, q, qargs)
            assert workers_launched(plan) >= 1, (name, plan)
            assert worker_rows(plan) == PARALLEL_ROWS, (name, plan)
            assert one(conn, q, qargs) == PARALLEL_ROWS, name
        conn.rollback() if local else conn.commit()


def test_force_parallel_mode_worker_loading_the_library_drops_a_forged_placeholder():
    """The leader never loads the library: a non-superuser sets the
    vital.tenant_id placeholder, then a single-copy Gather runs a plpgsql
    function that calls the reader only in the worker, which loads the
    library there. The forged value must not be the tenant."""
    with connection(READER) as conn:
        with conn.cursor() as cur:
            cur.execute("select count(*) from pg_settings where name = 'vital.tenant_id'")
            if cur.fetchone()[0] != 0:
                pytest.skip("the library is preloaded")
            cur.execute("set vital.tenant_id = %s", (FORGED,))
            force_parallel(cur)
            leader = one(conn, "select pg_backend_pid()")
            cur.execute("select it.tenant_via_plpgsql()::text, it.backend_pid() <> %s", (leader,))
            tenant, in_worker = cur.fetchone()
        assert in_worker is True
        assert tenant != FORGED
        assert tenant is None
        # And the leader, loading it now, drops the placeholder as well.
        assert one(conn, "select vital.get_current_tenant_id()") is None
        conn.rollback()
