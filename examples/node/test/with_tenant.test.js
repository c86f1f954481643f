'use strict';
// Runs against the cluster and PgBouncer (transaction pooling) that
// scripts/examples.sh starts, as its non-superuser role `app`.
const assert = require('node:assert/strict');
const { after, test } = require('node:test');
const { Pool } = require('pg');
const { withTenant } = require('../with_tenant');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/examples.sh`);
  return value;
};
const connection = (database) => ({
  host: env('EX_BOUNCER_HOST'),
  port: Number(env('EX_BOUNCER_PORT')),
  user: 'app',
  database,
});
const POOL_SIZE = Number(env('EX_POOL_SIZE'));

const ACME = 'a0000000-0000-4000-8000-000000000001';
const GLOBEX = 'b0000000-0000-4000-8000-000000000002';
const ALICE = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const BOB = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const SEES = {
  [ACME]: ['acme: first', 'acme: second', 'platform: for everybody'],
  [GLOBEX]: ['globex: first', 'platform: for everybody'],
};

// More clients than PgBouncer has server connections.
const pool = new Pool({ ...connection(env('EX_DB')), max: 3 * POOL_SIZE });
// Every server transaction on one server connection.
const onePool = new Pool({ ...connection(env('EX_DB_ONE')), max: 2 });
const notices = [];
for (const p of [pool, onePool]) {
  p.on('connect', (client) => client.on('notice', (n) => notices.push(n)));
}
after(() => Promise.all([pool.end(), onePool.end()]));

const bodies = async (client) =>
  (await client.query('SELECT body FROM notes ORDER BY body')).rows.map((r) => r.body);

test('a tenant sees only its own rows and the shared ones', async () => {
  assert.deepEqual(await withTenant(pool, ALICE, ACME, bodies), SEES[ACME]);
  assert.deepEqual(await withTenant(pool, BOB, GLOBEX, bodies), SEES[GLOBEX]);
});

test('many concurrent transactions over few server connections stay apart', async () => {
  const runs = Array.from({ length: 10 * POOL_SIZE }, (_, n) => {
    const [user, tenant] = n % 2 ? [BOB, GLOBEX] : [ALICE, ACME];
    return withTenant(pool, user, tenant, async (client) => {
      const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      return { tenant, pid, seen: await bodies(client) };
    });
  });
  const results = await Promise.all(runs);
  for (const { tenant, seen } of results) assert.deepEqual(seen, SEES[tenant]);
  const servers = new Set(results.map((r) => r.pid));
  assert.ok(servers.size <= POOL_SIZE, `${servers.size} server connections`);
  assert.ok(results.length > servers.size);
});

test('the context is gone in the next transaction on the same server connection', async () => {
  const first = await withTenant(onePool, ALICE, ACME, async (client) =>
    (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const client = await onePool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      `SELECT pg_backend_pid() AS pid, vital.get_current_tenant_id() AS tenant,
              vital.current_user_id() AS "user", (SELECT count(*)::int FROM notes) AS visible`);
    await client.query('COMMIT');
    assert.deepEqual(rows[0], { pid: first, tenant: null, user: null, visible: 0 });
  } finally {
    client.release();
  }
});

test('a failing callback rolls the transaction back', async () => {
  await assert.rejects(
    withTenant(pool, ALICE, ACME, async (client) => {
      await client.query("INSERT INTO notes (body) VALUES ('acme: draft')");
      throw new Error('the request failed');
    }),
    /the request failed/);
  assert.deepEqual(await withTenant(pool, ALICE, ACME, bodies), SEES[ACME]);
});

test('a refused context rejects before the callback runs', async () => {
  let ran = false;
  await assert.rejects(
    withTenant(pool, ALICE, GLOBEX, async () => { ran = true; }),
    (err) => err.code === '42501');
  assert.equal(ran, false);
});

test('the mistake: the context set with pool.query is lost, with a warning', async () => {
  notices.length = 0;
  await pool.query('SELECT vital.set_context($1, $2, true)', [ALICE, ACME]);
  const { rows } = await pool.query('SELECT count(*)::int AS visible FROM notes');
  assert.equal(rows[0].visible, 0);
  assert.deepEqual(notices.map((n) => [n.severity, n.code]), [['WARNING', '25P01']]);
});
