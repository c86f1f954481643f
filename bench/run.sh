#!/usr/bin/env bash
# Benchmarks of vital_tenancy's row-level security against a hand-written
# policy, the original PL/pgSQL design and no RLS at all. Builds and installs
# the extension (release), starts a throwaway cluster, generates the data
# (bench/generate.sql), times every query as the non-superuser role
# bench_app, prints medians, ratios against the targets, the plans and a
# micro-benchmark of the per-call cost, and removes the cluster (also on
# failure). It reports; it does not gate: the exit status is 0 whether the
# targets are met or missed (non-zero only when something fails to run).
#
# Usage: bench/run.sh                      (as root, from anywhere)
# Env:   ROWS (1000000)  TENANTS (1000)  GLOBAL_PCT (2)  SELECTIVE_PCT (1)
#        SHARE_WITH (3)  LOOKUPS (500)   RUNS (7)        MICRO_CALLS (1000000)
#        MICRO_RUNS (5)  PLPGSQL_RUNS (3: rounds that include the slow PL/pgSQL variant)
#        SEED (0.42)     BENCH_PORT (54335)
#        QUERIES ("a b b_prepared c d")  MICRO (1: run the micro-benchmark)
#        SKIP_SETUP=1 (skip scripts/setup.sh)  SKIP_INSTALL=1 (use the installed build)
#        BENCH_CONF ("line;line": extra postgresql.conf lines)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/cluster.sh

ROWS="${ROWS:-1000000}"
TENANTS="${TENANTS:-1000}"
GLOBAL_PCT="${GLOBAL_PCT:-2}"
SELECTIVE_PCT="${SELECTIVE_PCT:-1}"
SHARE_WITH="${SHARE_WITH:-3}"
LOOKUPS="${LOOKUPS:-500}"
RUNS="${RUNS:-7}"
MICRO_CALLS="${MICRO_CALLS:-1000000}"
MICRO_RUNS="${MICRO_RUNS:-5}"
PLPGSQL_RUNS="${PLPGSQL_RUNS:-3}"
SEED="${SEED:-0.42}"
QUERIES="${QUERIES:-a b b_prepared c d}"
MICRO="${MICRO:-1}"
DB=vital_bench

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
now() { date +%s; }
started=$(now)

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
fi
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  say "building and installing vital_tenancy (release)"
  install_extension
fi

export CLUSTER_PORT="${BENCH_PORT:-54335}"
conf=(
  "shared_buffers = 4GB"   # every table and index stays in shared buffers (about 1.5 GB at the defaults)
  "work_mem = 64MB"
  "maintenance_work_mem = 1GB"
  "effective_cache_size = 8GB"
  "max_wal_size = 8GB"
  "checkpoint_timeout = 1h"
  "synchronous_commit = off"
  "autovacuum = off"   # the data is vacuumed and analysed once, before any timing
  "jit = off"          # JIT compile times are noise at these query sizes
)
if [ -n "${BENCH_CONF:-}" ]; then
  IFS=';' read -r -a extra <<<"$BENCH_CONF"
  conf+=("${extra[@]}")
fi
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
echo "library:  $RELEASE_LIB (built $(stat -c %y "$RELEASE_LIB" | cut -d. -f1), md5 $(md5sum "$LIB" | cut -d' ' -f1)), loaded from a private copy"
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

say "generating data (bench/generate.sql)"
gen_started=$(now)
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
  -v rows="$ROWS" -v tenants="$TENANTS" -v global_pct="$GLOBAL_PCT" -v selective_pct="$SELECTIVE_PCT" \
  -v share_with="$SHARE_WITH" -v lookups="$LOOKUPS" -v micro_calls="$MICRO_CALLS" -v seed="$SEED" \
  -f bench/generate.sql
echo "generated in $(( $(now) - gen_started )) s"
# Read every table and index into shared buffers, so that no variant pays
# for pages another variant's scan pushed out.
psql -X -q -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
  -c "SELECT pg_size_pretty(sum(pg_prewarm(c.oid)) * current_setting('block_size')::bigint) AS prewarmed
        FROM pg_class c WHERE c.relnamespace IN ('public'::regnamespace, 'bench'::regnamespace, 'vital'::regnamespace)
         AND c.relkind IN ('r', 'i') AND c.relpersistence = 'p'"

cfg() { psql -X -At -d "$DB" -c "SELECT value FROM bench.config WHERE key = '$1'"; }
BENCH_TENANT="$(cfg bench_tenant)"
BENCH_USER="$(cfg bench_user)"
ADMIN_USER="$(cfg admin_user)"
echo "bench_installed: $(cfg installed_via)"
echo "(tenant_id, name) index: $(cfg tenant_name_index)"
echo "benchmarked tenant $BENCH_TENANT (member $BENCH_USER) sees $(cfg expected_visible) of $(cfg expected_all) rows:" \
     "$(cfg expected_own) own, $(cfg expected_global) global, $(cfg expected_selective) shared with it"
psql -X -q -d "$DB" -c "SELECT relname AS table, pg_size_pretty(pg_table_size(oid)) AS heap,
                               pg_size_pretty(pg_indexes_size(oid)) AS indexes
                          FROM pg_class WHERE relname LIKE 'bench\_%' AND relkind = 'r' ORDER BY 1"

# The session prologue of bench_app for a context:
#   tenant: a member of the benchmarked tenant acting for it (the PL/pgSQL
#           variant reads the same from app.current_tenant / app.current_user)
#   admin:  a platform admin with no tenant
#   micro:  the tenant context, no parallel workers (one process makes every call)
context_sql() {
  echo '\set ON_ERROR_STOP on'
  echo '\o /dev/null'
  case "$1" in
    tenant | micro)
      echo "SELECT vital.set_user_context('$BENCH_USER', false);"
      echo "SELECT vital.set_tenant_context('$BENCH_TENANT', false);"
      echo "SELECT set_config('app.current_user', '$BENCH_USER', false);"
      echo "SELECT set_config('app.current_tenant', '$BENCH_TENANT', false);"
      ;;
    admin)
      echo "SELECT vital.set_user_context('$ADMIN_USER', false);"
      echo "SELECT set_config('app.current_user', '$ADMIN_USER', false);"
      ;;
  esac
  [ "$1" = micro ] && echo "SET max_parallel_workers_per_gather = 0;"
  echo '\o'
}
as_app() { psql -X -q -v ON_ERROR_STOP=1 -U bench_app -d "$DB" "$@"; }

query_context() {
  case "$1" in
    d) echo admin ;;
    m_*) echo micro ;;
    *) echo tenant ;;
  esac
}
query_variants() {
  psql -X -At -d "$DB" -c "SELECT variant FROM bench.queries WHERE query = '$1' ORDER BY pos"
}

# Every variant must give the same answer, and the tenant the rows the rules allow.
say "answers (untimed; every variant of a query must agree)"
mismatches=0
checked="$QUERIES"
[ "$MICRO" = 1 ] && checked="$checked m_access m_getter"
for q in $checked; do
  answers=()
  for v in $(query_variants "$q"); do
    a="$( { context_sql "$(query_context "$q")"; echo "SELECT bench.answer('$q', '$v');"; } | as_app -At)"
    printf '%-11s %-16s %s\n' "$q" "$v" "$a"
    case "$q" in m_*) [ "$v" = base ] && continue ;; esac
    answers+=("$a")
  done
  if [ "$(printf '%s\n' "${answers[@]}" | sort -u | wc -l)" -ne 1 ]; then
    echo "ANSWER MISMATCH in query $q"
    mismatches=$((mismatches + 1))
  fi
done
[ "$(cfg expected_visible)" = "$( { context_sql tenant; echo 'SELECT count(*) FROM bench_installed;'; } | as_app -At)" ] \
  || { echo "ANSWER MISMATCH: bench_installed does not show the tenant exactly the rows the rules allow"; mismatches=$((mismatches + 1)); }

say "plans (EXPLAIN ANALYZE, as bench_app)"
LOOKUP_ID="$(psql -X -At -d "$DB" -c 'SELECT ids[1] FROM bench.lookup_ids')"
explain() { # context, label, statement
  printf '\n-- %s\n' "$2"
  { context_sql "$1"; echo "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $3;"; } | as_app -At
}
for v in installed hand plpgsql; do
  explain tenant "a, $v: the tenant counts what it sees" "SELECT count(*) FROM bench_$v"
done
for v in installed hand; do
  explain tenant "b, $v: one point lookup" "SELECT name FROM bench_$v WHERE id = '$LOOKUP_ID'"
done
for v in installed hand; do
  explain tenant "c, $v: the tenant's own list" \
    "SELECT id, name FROM bench_$v WHERE tenant_id = '$BENCH_TENANT' ORDER BY name LIMIT 50"
done
for v in installed norls; do
  explain admin "d, $v: a platform admin (no tenant) counts everything" "SELECT count(*) FROM bench_$v"
done

# Interleaved rounds: round 0 warms up and is not kept; in round r the
# variants run in turn, starting at a different one each round. Every run is
# one statement (one transaction) of one bench_app session per query. The
# PL/pgSQL variant (seconds per run) is in the first PLPGSQL_RUNS rounds only.
run_query() { # query, rounds
  local q="$1" rounds="$2" variants n r i v
  read -r -a variants <<<"$(query_variants "$q" | tr '\n' ' ')"
  n=${#variants[@]}
  {
    context_sql "$(query_context "$q")"
    echo '\o /dev/null'
    for r in $(seq 0 "$rounds"); do
      for i in $(seq 0 $((n - 1))); do
        v="${variants[$(((i + r) % n))]}"
        if [ "$q" = a ] && [ "$v" = plpgsql ] && [ "$r" -gt "$PLPGSQL_RUNS" ]; then continue; fi
        echo "SELECT bench.time_run('$q', '$v', $r);"
      done
    done
  } | as_app
}

say "timing: $RUNS interleaved rounds after a warm-up round"
for q in $QUERIES; do
  t0=$(now)
  run_query "$q" "$RUNS"
  echo "query $q: $(( $(now) - t0 )) s"
done
if [ "$MICRO" = 1 ]; then
  for q in m_access m_getter; do
    t0=$(now)
    run_query "$q" "$MICRO_RUNS"
    echo "micro $q: $(( $(now) - t0 )) s"
  done
fi

say "results: milliseconds per execution (planning + execution, server-side)"
psql -X -q -d "$DB" <<'SQL'
SELECT query, variant, count(*) AS runs,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS median_ms,
       round(min(ms)::numeric, 2) AS min_ms, round(max(ms)::numeric, 2) AS max_ms
  FROM bench.results r JOIN bench.queries USING (query, variant)
 WHERE query NOT LIKE 'm\_%'
 GROUP BY query, variant, pos ORDER BY query, pos;
SQL

say "targets (ratios of medians)"
psql -X -q -d "$DB" <<'SQL'
WITH med AS (
    SELECT query, variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms
      FROM bench.results GROUP BY query, variant
), target (ord, description, query, variant, reference, op, bound) AS (VALUES
    (1, 'a  count visible: installed / hand',        'a',          'installed', 'hand',      '<=', 1.1),
    (2, 'a  count visible: plpgsql / installed',     'a',          'plpgsql',   'installed', '>=', 50),
    (3, 'b  500 lookups, one-shot: installed / hand', 'b',          'installed', 'hand',      '<=', 1.2),
    (4, 'b  500 lookups, prepared: installed / hand', 'b_prepared', 'installed', 'hand',      '<=', 1.2),
    (5, 'c  own list, 50 by name: installed / hand', 'c',          'installed', 'hand',      '<=', 1.2),
    (6, 'd  admin counts all: installed / norls',    'd',          'installed', 'norls',     '<=', 1.2)
)
SELECT t.description AS target, round(m.ms::numeric, 2) AS ms, round(r.ms::numeric, 2) AS reference_ms,
       round((m.ms / r.ms)::numeric, 2) AS ratio, t.op || ' ' || t.bound AS bound,
       CASE WHEN m.ms IS NULL OR r.ms IS NULL THEN 'not run'
            WHEN (t.op = '<=' AND m.ms / r.ms <= t.bound) OR (t.op = '>=' AND m.ms / r.ms >= t.bound) THEN 'PASS'
            ELSE 'MISS' END AS verdict
  FROM target t
  LEFT JOIN med m ON m.query = t.query AND m.variant = t.variant
  LEFT JOIN med r ON r.query = t.query AND r.variant = t.reference
 ORDER BY t.ord;
SQL

if [ "$MICRO" = 1 ]; then
  say "micro-benchmark: nanoseconds per call (median of $MICRO_RUNS scans of $MICRO_CALLS rows, minus the same scan without the call)"
  psql -X -q -d "$DB" <<'SQL'
WITH med AS (
    SELECT query, variant, pos, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms
      FROM bench.results JOIN bench.queries USING (query, variant)
     WHERE query LIKE 'm\_%' GROUP BY query, variant, pos
), calls AS (SELECT value::numeric AS n FROM bench.config WHERE key = 'micro_calls')
SELECT m.query AS micro, m.variant,
       CASE m.query || '/' || m.variant
            WHEN 'm_access/base'            THEN 'the scan alone'
            WHEN 'm_access/native'          THEN 'vital.can_access_resource(owner, is_shared, mode, shared_with)'
            WHEN 'm_access/plpgsql'         THEN 'bench.plpgsql_can_access_resource: settings + admin query'
            WHEN 'm_access/plpgsql_noadmin' THEN 'the same rules in PL/pgSQL, no admin query'
            WHEN 'm_getter/base'            THEN 'the scan alone'
            WHEN 'm_getter/native'          THEN 'vital.get_current_tenant_id()'
            WHEN 'm_getter/plpgsql'         THEN 'PL/pgSQL current_setting(''app.current_tenant'')::uuid'
            WHEN 'm_getter/sql'             THEN 'SQL (inlined) current_setting(''app.current_tenant'')::uuid'
       END AS what,
       round(m.ms::numeric, 1) AS median_ms,
       CASE WHEN m.variant = 'base' THEN NULL
            ELSE round(((m.ms - b.ms) * 1e6)::numeric / calls.n, 0) END AS ns_per_call
  FROM med m JOIN med b ON b.query = m.query AND b.variant = 'base', calls
 ORDER BY m.query, m.pos;
SQL
fi

if [ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM pg_proc WHERE probin LIKE '%vital_tenancy' AND probin <> '${LIB%.so}'")" != 0 ]; then
  echo "WARNING: some vital functions were not pinned to $LIB"
fi
[ "$mismatches" -eq 0 ] || echo "WARNING: $mismatches answer mismatch(es): see 'answers' above"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(now) - started )) s"
