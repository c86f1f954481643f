"""vital_tenancy with psycopg 3: one transaction per request, its context set in it.

    with psycopg.connect(dsn, prepare_threshold=None) as conn:
        with tenant_transaction(conn, user_id, tenant_id):
            rows = conn.execute("SELECT body FROM notes").fetchall()

Behind PgBouncer in transaction pooling mode each transaction may run on
another server connection; a context set with is_local => true lives and
dies with the transaction, so it can neither leak into another client's
transaction nor be missing from its own.
"""

from contextlib import contextmanager

SET_CONTEXT = "SELECT vital.set_context(%s, %s, true)"


@contextmanager
def tenant_transaction(conn, user_id, tenant_id):
    """Opens a transaction on conn acting for user_id in tenant_id, yields
    conn, and commits when the block ends (rolls back if it raises).

    A refused context (42501, say) raises here, and nothing of the block
    runs. Works in autocommit mode and out of it. Two round trips: psycopg
    sends BEGIN on its own (3.1 waits for its result even in a pipeline),
    then one call sets both the user and the tenant.
    """
    with conn.transaction():
        conn.execute(SET_CONTEXT, (user_id, tenant_id))
        yield conn
