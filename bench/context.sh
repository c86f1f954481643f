#!/usr/bin/env bash
# What the context setters cost per call, inside the server: each call
# CALLS times in a PL/pgSQL loop, minus the same loop around
# set_config(..., true) (the least any design pays to set a value), as the
# application role, cycling through TENANTS tenants and their members (the
# registry cache warm, as in a pooled backend after its first transactions).
# Prints microseconds per call against the target (<= 25 us). It reports;
# it does not gate. (bench/oltp.sh times whole transactions; a single call
# is below its noise.)
#
# Usage: bench/context.sh          (as root, from anywhere)
# Env:   CALLS (20000)  TENANTS (100)  RUNS (5)  BENCH_PORT (54336)
#        SKIP_SETUP=1 (skip scripts/setup.sh)  SKIP_INSTALL=1 (use the installed build)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/cluster.sh

CALLS="${CALLS:-20000}"
TENANTS="${TENANTS:-100}"
RUNS="${RUNS:-5}"
export CLUSTER_PORT="${BENCH_PORT:-54336}"

[ "${SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh
[ "${SKIP_INSTALL:-}" = 1 ] || install_extension
trap cluster_stop EXIT
cluster_start "jit = off"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE vital_context"
psql -X -q -v ON_ERROR_STOP=1 -d vital_context -v tenants="$TENANTS" <<'SQL' >/dev/null
CREATE EXTENSION vital_tenancy;
CREATE FUNCTION pg_temp.id(prefix text, i int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN (prefix || '-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid;
SELECT vital.create_tenant('context-' || i, 'Tenant ' || i, 'client', 'free', pg_temp.id('10000000', i)),
       vital.add_tenant_member(pg_temp.id('10000000', i), pg_temp.id('20000000', i))
  FROM generate_series(1, :tenants) i;
CREATE ROLE bench_context_app;
GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO bench_context_app;
CREATE SCHEMA context;
GRANT USAGE ON SCHEMA context TO bench_context_app;
-- The inputs, computed once: the loops below read them from arrays.
CREATE TABLE context.pairs AS
SELECT array_agg(pg_temp.id('20000000', i) ORDER BY i) AS users,
       array_agg(pg_temp.id('10000000', i) ORDER BY i) AS tenants FROM generate_series(1, :tenants) i;
GRANT SELECT ON context.pairs TO bench_context_app;
-- One timed loop: milliseconds for n calls of `what` (a PL/pgSQL statement
-- using u and t, the i-th pair), each in its own subtransaction-free loop.
CREATE FUNCTION context.loop(what text, n int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
    body text := format($f$
        DECLARE users uuid[]; tenants uuid[]; u uuid; t uuid; k int;
        BEGIN
            SELECT p.users, p.tenants INTO users, tenants FROM context.pairs p;
            k := cardinality(users);
            FOR i IN 1..%s LOOP
                u := users[1 + i %% k]; t := tenants[1 + i %% k];
                %s;
            END LOOP;
        END $f$, n, what);
BEGIN
    EXECUTE format('CREATE OR REPLACE FUNCTION pg_temp.timed() RETURNS void LANGUAGE plpgsql AS %L', body);
    PERFORM pg_temp.timed();  -- warm: plans, the registry cache
    started := clock_timestamp();
    PERFORM pg_temp.timed();
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;
GRANT EXECUTE ON FUNCTION context.loop(text, int) TO bench_context_app;
CREATE TABLE context.results (run int, call text, ms float8);
GRANT INSERT ON context.results TO bench_context_app;
SQL

echo "bench/context.sh: $CALLS calls per loop, $TENANTS tenants, $RUNS runs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
  psql -X -q -v ON_ERROR_STOP=1 -d vital_context -v run="$r" -v calls="$CALLS" <<'SQL'
SET ROLE bench_context_app;
-- In a transaction block, as an application calls them: outside one each
-- call with is_local => true would warn (25P01), and the loop would time
-- the warnings.
BEGIN;
INSERT INTO context.results
SELECT :run, w, context.loop(w, :calls) FROM unnest(ARRAY[
    'PERFORM set_config(''app.current_tenant'', t::text, true)',
    'PERFORM vital.set_user_context(u, true)',
    'PERFORM vital.set_user_context(u, true), vital.set_tenant_context(t, true)',
    'PERFORM vital.set_context(u, t, true)',
    'PERFORM vital.set_user_context(u, true), vital.set_tenant_context(t, true), vital.set_tenant_context(t, true)'
]) WITH ORDINALITY AS c (w, ord) ORDER BY (ord + :run) % 5;
COMMIT;
SQL
done
psql -X -q -d vital_context -v calls="$CALLS" <<'SQL'
WITH med AS (
    SELECT call, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM context.results GROUP BY call
), base AS (SELECT ms FROM med WHERE call LIKE '%set_config%'),
   u AS (SELECT ms FROM med WHERE call = 'PERFORM vital.set_user_context(u, true)'),
   ut AS (SELECT ms FROM med WHERE call = 'PERFORM vital.set_user_context(u, true), vital.set_tenant_context(t, true)'),
   utt AS (SELECT ms FROM med WHERE call LIKE '%set_tenant_context(t, true), vital.set_tenant_context%'),
   c AS (SELECT ms FROM med WHERE call = 'PERFORM vital.set_context(u, t, true)')
SELECT call, round(us::numeric, 2) AS us_per_call, target,
       CASE WHEN target IS NULL THEN '' WHEN us <= substring(target FROM '[0-9]+')::float8 THEN 'PASS' ELSE 'MISS' END AS verdict
  FROM (VALUES
    ('set_config(..., true), the loop''s reference', (SELECT ms FROM base) * 1000 / :calls, NULL),
    ('vital.set_user_context(u, true) (a new user each call)', ((SELECT ms FROM u) - (SELECT ms FROM base)) * 1000 / :calls, '<= 25'),
    ('vital.set_tenant_context(t, true) (after the user)', ((SELECT ms FROM ut) - (SELECT ms FROM u)) * 1000 / :calls, '<= 25'),
    ('vital.set_tenant_context(t, true) again (the same tenant)', ((SELECT ms FROM utt) - (SELECT ms FROM ut)) * 1000 / :calls, '<= 25'),
    ('vital.set_context(u, t, true)', ((SELECT ms FROM c) - (SELECT ms FROM base)) * 1000 / :calls, '<= 50')
  ) AS r (call, us, target);
SQL
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
