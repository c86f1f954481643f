"""vital_tenancy with psycopg 3: one transaction per request, its context set in it.

    with psycopg.connect(dsn, prepare_threshold=None) as conn:
        with tenant_transaction(conn, user_id, tenant_id):
            rows = conn.execute("SELECT body FROM notes").fetchall()

Behind PgBouncer in transaction pooling mode each transaction may run on
another server connection; a context set with is_local => true lives and
dies with the transaction, so it can neither leak into another client's
transaction nor be missing from its own.
"""

from contextlib import ExitStack, contextmanager

SET_CONTEXT = "SELECT vital.set_context(%s, %s, true)"


@contextmanager
def tenant_transaction(conn, user_id, tenant_id):
    """Opens a transaction on conn acting for user_id in tenant_id, yields
    conn, and commits when the block ends (rolls back if it raises).

    BEGIN and vital.set_context go to the server in one round trip (a
    pipeline); a refused context (42501, say) raises here, and nothing of
    the block runs. Works in autocommit mode and out of it, and inside an
    open transaction as a savepoint (the context then lasts until the outer
    transaction ends: prefer a fresh transaction per tenant).
    """
    with ExitStack() as transaction:
        with conn.pipeline():
            transaction.enter_context(conn.transaction())
            conn.execute(SET_CONTEXT, (user_id, tenant_id))
        yield conn
