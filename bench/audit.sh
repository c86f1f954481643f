#!/usr/bin/env bash
# What the sharing audit triggers cost.
#
# 1. A bulk share: an UPDATE that shares ROWS rows (private to selective,
#    with one tenant), run as a tenant under the installed policies, with
#    the audit triggers enabled (one audit row per row: the row trigger
#    buffers, the statement trigger writes them) and disabled (no audit),
#    on the same table, in interleaved rounds. Bound: the UPDATE with the triggers at most 1.5 times the
#    UPDATE alone (the issue's first bound, the triggers' added cost at
#    most 2 times the UPDATE alone, is shown too).
# 2. Private rows: an INSERT of INSERT_ROWS private rows into a protected
#    table (enable_tenancy's policies and audit triggers) and into the same
#    table with a hand-written tenant policy and no audit triggers, in
#    interleaved rounds. Bound: at most 1.1 times. The WHEN conditions
#    queue no trigger event for a private row; what is left is one
#    statement event (the flush) and the policies.
#
# Prints medians (wall clock and the backend's on-CPU time) and the ratios
# against the bounds in both clocks, with a verdict. It
# reports; it does not gate.
#
# Usage: bench/audit.sh                (as root, from anywhere)
# Env:   ROWS (100000)  INSERT_ROWS (10000)  RUNS (7)  BENCH_PORT (54335)
#        PG_BIN (see scripts/lib/cluster.sh)
#        SKIP_SETUP=1 (skip scripts/setup.sh)
#        SKIP_INSTALL=1 (use the build already installed into PG_BIN's PostgreSQL)
#        PARTS (share insert: which parts to run)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/cluster.sh

ROWS="${ROWS:-100000}"
INSERT_ROWS="${INSERT_ROWS:-10000}"
RUNS="${RUNS:-7}"
PARTS="${PARTS:-share insert}"
DB=vital_bench_audit
VARIANTS=(trigger no_trigger)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
fi
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  say "building and installing vital_tenancy (release) into $PG_BIN"
  install_extension
fi

export CLUSTER_PORT="${BENCH_PORT:-54335}"
conf=(
  "shared_buffers = 1GB"
  "work_mem = 64MB"
  "maintenance_work_mem = 512MB"
  "max_wal_size = 8GB"
  "checkpoint_timeout = 1h"
  "synchronous_commit = off"
  "autovacuum = off"   # vacuumed explicitly between runs
  "jit = off"
)
trap cluster_stop EXIT
cluster_start "${conf[@]}"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION vital_tenancy"
pin_release_library "$DB"
LIB="$PINNED_LIB"

say "machine"
echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "memory:   $(free -g | awk '/^Mem:/ {print $2}') GB"
echo "postgres: $(psql -X -At -d "$DB" -c 'SELECT version()')"
echo "settings: ${conf[*]}"
echo "library:  $RELEASE_LIB (built $(stat -c %y "$RELEASE_LIB" | cut -d. -f1), md5 $(md5sum "$LIB" | cut -d' ' -f1))"
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

say "setup: $ROWS private rows of one tenant"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v rows="$ROWS" <<'SQL'
CREATE ROLE bench_app LOGIN;
GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO bench_app;
SELECT vital.create_tenant('bench-owner', 'Owner', 'client', 'free', 'a0000000-0000-4000-8000-000000000001');
SELECT vital.create_tenant('bench-reader', 'Reader', 'client', 'free', 'b0000000-0000-4000-8000-000000000002');
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'owner');
CREATE TABLE bench_docs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    description text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO bench_docs (name, description)
SELECT 'doc ' || g, repeat(md5(g::text), 2) FROM generate_series(1, :rows) g;
SELECT vital.enable_tenancy('bench_docs', 'a0000000-0000-4000-8000-000000000001');
GRANT SELECT, UPDATE ON bench_docs TO bench_app;
VACUUM ANALYZE bench_docs;
-- Part 2: the protected table, and the same table (columns, defaults,
-- constraints, indexes, foreign key) with a hand-written policy and no
-- audit triggers.
CREATE TABLE bench_ins_protected (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    description text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
SELECT vital.enable_tenancy('bench_ins_protected', 'a0000000-0000-4000-8000-000000000001');
CREATE TABLE bench_ins_hand_written (LIKE bench_ins_protected INCLUDING ALL);
ALTER TABLE bench_ins_hand_written ADD FOREIGN KEY (tenant_id) REFERENCES vital.tenants (id);
ALTER TABLE bench_ins_hand_written ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON bench_ins_hand_written
    USING (tenant_id = nullif(current_setting('vital.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('vital.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON bench_ins_protected, bench_ins_hand_written TO bench_app;
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO PUBLIC;
-- One timed statement, planning and execution (the AFTER ROW triggers fire
-- at the statement's end, inside it), on the server: no client in the number.
-- Wall-clock time, and the backend's own on-CPU time (utime + stime of
-- /proc/self/stat, in clock ticks), which other processes on a busy machine
-- do not stretch. bench.cpu_ms (created below, with the machine's clock
-- tick) reads the file as its owner, since pg_read_file needs a superuser;
-- it runs between statements, never around one, so the timed statement
-- still runs as bench_app under the policies.
CREATE FUNCTION bench.time_ms(statement text, OUT ms float8, OUT cpu_ms float8) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    c0 float8 := bench.cpu_ms();
BEGIN
    t0 := clock_timestamp();
    EXECUTE statement;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    cpu_ms := bench.cpu_ms() - c0;
END $$;
CREATE TABLE bench.timings (part text, variant text, run int, ms float8, cpu_ms float8, audited bigint);
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE FUNCTION bench.cpu_ms() RETURNS float8 LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS \$\$
    SELECT ((f[12])::float8 + (f[13])::float8) * 1000 / $(getconf CLK_TCK)
      FROM (SELECT string_to_array(substring(pg_read_file('/proc/self/stat') FROM '\) (.*)\$'), ' ') AS f) s
\$\$;
GRANT EXECUTE ON FUNCTION bench.cpu_ms() TO PUBLIC;
SQL
psql -X -q -d "$DB" -c "SELECT pg_size_pretty(pg_table_size('bench_docs')) AS heap, pg_size_pretty(pg_indexes_size('bench_docs')) AS indexes"

SHARE="UPDATE bench_docs SET is_shared = true, sharing_mode = 'selective', shared_with = '{b0000000-0000-4000-8000-000000000002}'"

AUDIT_TRIGGERS=(vital_tenancy_audit_insert vital_tenancy_audit_update vital_tenancy_audit_delete vital_tenancy_audit_flush)
triggers() { # ENABLE|DISABLE: the ALTER TABLE for all four audit triggers of bench_docs
  local clauses=() t
  for t in "${AUDIT_TRIGGERS[@]}"; do clauses+=("$1 TRIGGER $t"); done
  local IFS=,
  echo "ALTER TABLE bench_docs ${clauses[*]}"
}

# Puts the table and the trail in the variant's state, with the rows
# private again (reset without the trigger), vacuumed, and a checkpoint so
# every timed run starts alike.
prepare() {
  local variant=$1 trigger=ENABLE
  [ "$variant" = no_trigger ] && trigger=DISABLE
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "SET client_min_messages = warning" \
    -c "$(triggers DISABLE)" \
    -c "UPDATE bench_docs SET is_shared = false, sharing_mode = 'private', shared_with = '{}' WHERE is_shared" \
    -c "TRUNCATE vital.resource_sharing_audit" \
    -c "$(triggers $trigger)" \
    -c "VACUUM ANALYZE bench_docs" -c "VACUUM vital.resource_sharing_audit" -c "CHECKPOINT"
}

timed() {
  local variant=$1 run=$2
  prepare "$variant"
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL
SET ROLE bench_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
CREATE TEMP TABLE t AS SELECT * FROM bench.time_ms(\$q\$$SHARE\$q\$);
RESET ROLE;
INSERT INTO bench.timings SELECT 'share', '$variant', $run, ms, cpu_ms, (SELECT count(*) FROM vital.resource_sharing_audit) FROM t;
SQL
}

INSERT_SQL="INSERT INTO %s (name, description) SELECT 'doc ' || g, repeat(md5(g::text), 2) FROM generate_series(1, $INSERT_ROWS) g"

# Part 2: the table empty again, vacuumed, after a checkpoint.
timed_insert() {
  local variant=$1 run=$2 table=bench_ins_$1
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "TRUNCATE $table" -c "VACUUM ANALYZE $table" -c "CHECKPOINT"
  # shellcheck disable=SC2059 # the table name goes into INSERT_SQL's %s
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL
SET ROLE bench_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
CREATE TEMP TABLE t AS SELECT * FROM bench.time_ms(\$q\$$(printf "$INSERT_SQL" "$table")\$q\$);
RESET ROLE;
INSERT INTO bench.timings SELECT 'insert', '$variant', $run, ms, cpu_ms, (SELECT count(*) FROM $table) FROM t;
SQL
}

rounds() { # part, function, variants...
  local part=$1 fn=$2
  shift 2
  local variants=("$@") n=$# run i
  say "$part: 1 warm-up round, then $RUNS interleaved rounds"
  for ((run = 0; run <= RUNS; run++)); do
    for ((i = 0; i < n; i++)); do
      "$fn" "${variants[$(((i + run) % n))]}" "$run"
    done
  done
}

case " $PARTS " in *" share "*) rounds share timed "${VARIANTS[@]}" ;; esac
case " $PARTS " in *" insert "*) rounds insert timed_insert protected hand_written ;; esac

say "results (ms per statement, wall clock and the backend's on-CPU time; run 0 is the warm-up, not counted; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
psql -X -d "$DB" <<'SQL'
SELECT part, variant, count(*) AS runs,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median,
       round(min(ms)::numeric, 1) AS min, round(max(ms)::numeric, 1) AS max,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_ms)::numeric, 1) AS cpu_median,
       round(min(cpu_ms)::numeric, 1) AS cpu_min, round(max(cpu_ms)::numeric, 1) AS cpu_max,
       min(audited) AS rows_min, max(audited) AS rows_max
  FROM bench.timings WHERE run > 0 GROUP BY part, variant ORDER BY part DESC, variant;
-- The ratios in both clocks. On a quiet machine they agree; on a busy one
-- the wall clock also counts waiting for a core, and the on-CPU time decides.
WITH m AS (SELECT part, variant, clock, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median
             FROM bench.timings, LATERAL (VALUES ('wall', ms), ('cpu', cpu_ms)) c (clock, v)
            WHERE run > 0 GROUP BY part, variant, clock),
r AS (
    -- The bound: the UPDATE with the triggers at most 1.5 times the UPDATE alone.
    SELECT 1 AS o, t.variant || ' / no_trigger (share UPDATE, total)' AS ratio, t.clock, t.median / n.median AS value, 1.5 AS bound
      FROM m t JOIN m n ON n.part = 'share' AND n.variant = 'no_trigger' AND n.clock = t.clock
     WHERE t.part = 'share' AND t.variant <> 'no_trigger'
    UNION ALL
    -- The issue's first bound: the triggers' added cost at most 2 times the UPDATE alone.
    SELECT 2, t.variant || ': added cost / no_trigger (share UPDATE)', t.clock, (t.median - n.median) / n.median, 2
      FROM m t JOIN m n ON n.part = 'share' AND n.variant = 'no_trigger' AND n.clock = t.clock
     WHERE t.part = 'share' AND t.variant <> 'no_trigger'
    UNION ALL
    -- Private rows: the protected table at most 1.1 times the hand-written one.
    SELECT 3, 'protected / hand_written (INSERT of private rows)', p.clock, p.median / h.median, 1.1
      FROM m p JOIN m h ON h.part = 'insert' AND h.variant = 'hand_written' AND h.clock = p.clock
     WHERE p.part = 'insert' AND p.variant = 'protected')
SELECT ratio, clock, round(value::numeric, 2) AS value, '<= ' || bound AS bound,
       CASE WHEN value <= bound THEN 'PASS' ELSE 'MISS' END AS verdict
  FROM r ORDER BY o, ratio, clock DESC;
SQL
