'use strict';
// vital_tenancy with node-postgres: one transaction per request, on ONE
// client checked out of the pool, its context set inside it.
//
//   const notes = await withTenant(pool, userId, tenantId, (client) =>
//     client.query('SELECT body FROM notes'));
//
// pool.query() would run each statement on whichever client (and, behind
// PgBouncer in transaction mode, whichever server connection) is free, each
// in a transaction of its own: a context set that way is gone before the
// next query runs.

const SET_CONTEXT = 'SELECT vital.set_context($1, $2, true)';

/**
 * Runs fn(client) in a transaction acting for userId in tenantId, and
 * commits when the promise it returns resolves (rolls back if it rejects,
 * or if the context is refused: 42501, say). Resolves to fn's result.
 */
async function withTenant(pool, userId, tenantId, fn) {
  const client = await pool.connect();
  let broken;
  try {
    await client.query('BEGIN');
    await client.query(SET_CONTEXT, [userId, tenantId]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A client whose ROLLBACK failed may be mid-transaction: it must not go
    // back to the pool.
    await client.query('ROLLBACK').catch((rollbackError) => {
      broken = rollbackError;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

module.exports = { withTenant };
