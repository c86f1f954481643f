#!/usr/bin/env bash
# OLTP benchmark of a per-transaction tenant context, directly and behind a
# PgBouncer in transaction pooling mode: pgbench runs short transactions of a
# random tenant (and its member user) against the same 1,000,000 rows of
# 1,000 tenants, protected four ways, plus no RLS:
#
#   vital     vital.enable_tenancy; per transaction vital.set_context(u, t, true)
#             (vital.set_user_context then set_tenant_context: checked membership)
#   hand      a hand-written policy on current_setting('app.current_tenant');
#             set_config('app.current_tenant', t, true) (not checked)
#   supabase  a policy with a membership subquery on auth.uid() (the JWT's sub);
#             set_config('request.jwt.claims', '{"sub": u, ...}', true)
#   seeds     the platform's PL/pgSQL design: seeds.set_tenant_context(t, true)
#             (PL/pgSQL membership check + set_config), a per-row PL/pgSQL policy
#   norls     no RLS, the same queries, no context
#
# Mixes: lookups (5 point lookups of ids the tenant sees), list (the 5 lookups
# and the tenant's own list, 50 by name), write (insert a row, update an own
# row), jwt (what PostgREST sends: SET LOCAL ROLE, the claims, then lookups and
# list). Every transaction first reads its tenant, user and ids from the small
# table oltp.slots (the same query for every design). The designs run one
# after another for each configuration, round after round (interleaved); the
# report gives medians and min-max of the rounds, vital's throughput over the
# best of hand, supabase and seeds with the target ">= 1.0" as PASS/MISS, and
# the microseconds that set_tenant_context and set_user_context cost alone.
# It reports; it does not gate: exit 0 when everything ran, non-zero only
# when something failed to run (a pgbench client aborted, a check failed).
# See BENCHMARKS.md, "OLTP behind a pooler".
#
# Usage: bench/oltp.sh                           (as root, from anywhere)
#        ROWS=100000 DURATION=5 ROUNDS=2 CLIENTS=8 bench/oltp.sh      (a quick run)
# Env:   ROWS (1000000)  TENANTS (1000)  GLOBAL_PCT (2)  SELECTIVE_PCT (1)  SHARE_WITH (3)
#        SEED (0.42)  SLOTS (8: input rows per tenant)
#        PEER_FK (on: the other designs' tenant_id references a tenants table, as vital's does
#                 and as the seeds' schema declares; off: no foreign key but vital's)
#        DURATION (10: seconds per pgbench run)  ROUNDS (3)  WARMUP (3: seconds per design, 0 = none)
#        CLIENTS ("8 32")  JOBS (2: pgbench threads)  MODES ("simple prepared")
#        MIXES ("lookups list write jwt")  DESIGNS ("vital hand supabase seeds norls")
#        VIA ("direct pgbouncer")  POOL_SIZE (8: PgBouncer server connections)
#        CTX (1: time the context calls alone)  CTX_DURATION (3 s)  CTX_ROUNDS (5)
#        PLANS (1: print the plans of one lookup and the own list per design)
#        BENCH_PORT (54352)  BOUNCER_PORT (6452)  SHARED_BUFFERS (3GB)
#        BENCH_CONF ("line;line": extra postgresql.conf lines)
#        RESULTS_FILE (also write every run's numbers there, tab-separated)
#        SKIP_SETUP=1 (skip scripts/setup.sh)  SKIP_INSTALL=1 (use the build in target/release)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/cluster.sh

ROWS="${ROWS:-1000000}"
TENANTS="${TENANTS:-1000}"
GLOBAL_PCT="${GLOBAL_PCT:-2}"
SELECTIVE_PCT="${SELECTIVE_PCT:-1}"
SHARE_WITH="${SHARE_WITH:-3}"
SEED="${SEED:-0.42}"
SLOTS="${SLOTS:-8}"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-3}"
CLIENTS="${CLIENTS:-8 32}"
JOBS="${JOBS:-2}"
MODES="${MODES:-simple prepared}"
MIXES="${MIXES:-lookups list write jwt}"
DESIGNS="${DESIGNS:-vital hand supabase seeds norls}"
VIA="${VIA:-direct pgbouncer}"
POOL_SIZE="${POOL_SIZE:-8}"
CTX="${CTX:-1}"
PEER_FK="${PEER_FK:-on}"
CTX_DURATION="${CTX_DURATION:-3}"
# Single-client latencies swing with the machine's load; many short,
# interleaved rounds pair each transaction with its reference closely in time.
CTX_ROUNDS="${CTX_ROUNDS:-5}"
PLANS="${PLANS:-1}"
BOUNCER_PORT="${BOUNCER_PORT:-6452}"
SHARED_BUFFERS="${SHARED_BUFFERS:-3GB}"
DB=vital_oltp
PGBENCH="$PG_BIN/pgbench"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
now() { date +%s; }
started=$(now)
failures=0

for v in $VIA; do
  case "$v" in direct | pgbouncer) ;; *) echo "oltp: VIA: unknown '$v' (direct, pgbouncer)" >&2; exit 2 ;; esac
done
for m in $MODES; do
  case "$m" in simple | extended | prepared) ;; *) echo "oltp: MODES: unknown '$m'" >&2; exit 2 ;; esac
done
for x in $MIXES; do
  case "$x" in lookups | list | write | jwt) ;; *) echo "oltp: MIXES: unknown '$x' (lookups list write jwt)" >&2; exit 2 ;; esac
done
for d in $DESIGNS; do
  case "$d" in vital | hand | supabase | seeds | norls) ;; *) echo "oltp: DESIGNS: unknown '$d'" >&2; exit 2 ;; esac
done
[ -x "$PGBENCH" ] || { echo "oltp: no pgbench at $PGBENCH (Debian's postgresql-15 has it)" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Cleanup: PgBouncer (by the pid it wrote), then the cluster; on any exit.
bouncer_pid=
bdir=
cleanup() {
  local status=$?
  bouncer_stop "$bdir"
  cluster_stop
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
fi
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  say "building and installing vital_tenancy (release)"
  install_extension
fi

export CLUSTER_PORT="${BENCH_PORT:-54352}"
conf=(
  "shared_buffers = $SHARED_BUFFERS"   # all five tables and their indexes stay in memory (about 2 GB at the defaults)
  "max_connections = 200"              # the largest client count, PgBouncer's pool and psql
  "work_mem = 16MB"
  "maintenance_work_mem = 1GB"
  "effective_cache_size = 8GB"
  "max_wal_size = 8GB"
  "checkpoint_timeout = 1h"
  "synchronous_commit = off"  # the write mix measures the policies and triggers, not the disk
  "autovacuum = off"          # the harness vacuums after each write run, the same for every design
  "jit = off"
)
if [ -n "${BENCH_CONF:-}" ]; then
  IFS=';' read -r -a extra <<<"$BENCH_CONF"
  conf+=("${extra[@]}")
fi
cluster_start "${conf[@]}"
WORK="$CLUSTER_DIR/oltp"
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION vital_tenancy"
pin_release_library "$DB"
# JWT mode, as a superuser would turn it on for PostgREST's database: vital
# takes the user from request.jwt.claims when no user context is set.
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "ALTER DATABASE $DB SET vital.trust_jwt_claims = on"

say "machine"
echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "memory:   $(free -g | awk '/^Mem:/ {print $2}') GB"
echo "postgres: $(psql -X -At -d "$DB" -c 'SELECT version()')"
echo "pgbench:  $("$PGBENCH" --version)"
echo "settings: ${conf[*]}"
echo "peer FKs: $PEER_FK (the other designs' tenant_id references seeds.tenants)"
echo "library:  $RELEASE_LIB (built $(stat -c %y "$RELEASE_LIB" | cut -d. -f1), md5 $(md5sum "$PINNED_LIB" | cut -d' ' -f1)), loaded from a private copy"
echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

say "generating data (bench/generate.sql, bench/oltp.sql)"
gen_started=$(now)
# generate.sql's micro-benchmark table and lookup list are for run.sh: keep them tiny.
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
  -v rows="$ROWS" -v tenants="$TENANTS" -v global_pct="$GLOBAL_PCT" -v selective_pct="$SELECTIVE_PCT" \
  -v share_with="$SHARE_WITH" -v lookups=10 -v micro_calls=1 -v seed="$SEED" \
  -f bench/generate.sql
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v tenants="$TENANTS" -v slots="$SLOTS" -v peer_fk="$PEER_FK" -f bench/oltp.sql
echo "generated in $(( $(now) - gen_started )) s"
psql -X -q -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
  -c "SELECT pg_size_pretty(sum(pg_prewarm(c.oid)) * current_setting('block_size')::bigint) AS prewarmed
        FROM pg_class c
       WHERE c.relnamespace IN ('public'::regnamespace, 'oltp'::regnamespace, 'seeds'::regnamespace, 'vital'::regnamespace)
         AND c.relkind IN ('r', 'i') AND c.relpersistence = 'p'"
psql -X -q -d "$DB" -c "SELECT relname AS table, pg_size_pretty(pg_table_size(oid)) AS heap,
                               pg_size_pretty(pg_indexes_size(oid)) AS indexes
                          FROM pg_class WHERE relname LIKE 'bench\_%' AND relkind = 'r' ORDER BY 1"
echo "bench_installed: $(psql -X -At -d "$DB" -c "SELECT value FROM bench.config WHERE key = 'installed_via'")"

# ---------------------------------------------------------------------------
# PgBouncer: transaction pooling, Unix socket only, in the cluster's
# directory (as scripts/integration.sh starts it).
bouncer_prepared=0
if [[ " $VIA " == *" pgbouncer "* ]]; then
  say "starting PgBouncer (transaction pooling, pool size $POOL_SIZE)"
  bouncer_version="$(/usr/sbin/pgbouncer --version | awk 'NR == 1 {print $2}')"
  # Named prepared statements survive transaction pooling only from
  # PgBouncer 1.21 on (max_prepared_statements); older ones hand the next
  # transaction a server connection that never saw the statement.
  if [ "$(printf '%s\n' 1.21 "$bouncer_version" | sort -V | head -1)" = 1.21 ]; then bouncer_prepared=1; fi
  bdir="$CLUSTER_DIR/pgbouncer"
  mkdir -p "$bdir"
  echo '"bench_app" ""' >"$bdir/userlist.txt"
  bouncer_write_ini "$bdir" "$BOUNCER_PORT" "$POOL_SIZE" 500 "$DB = host=$CLUSTER_DIR port=$CLUSTER_PORT dbname=$DB"
  [ "$bouncer_prepared" = 1 ] && echo "max_prepared_statements = 200" >>"$bdir/pgbouncer.ini"
  bouncer_start "$bdir" "$BOUNCER_PORT" bench_app "$DB" || { echo "oltp: PgBouncer did not start" >&2; exit 1; }
  echo "PgBouncer $bouncer_version on $bdir port $BOUNCER_PORT;" \
       "prepared statements through it: $([ "$bouncer_prepared" = 1 ] && echo yes || echo 'no (needs 1.21+): -M prepared runs only directly')"
fi

# ---------------------------------------------------------------------------
# The transactions. Templates name the per-transaction values @tenant@,
# @member@, @claims@, @id1@ ... (read by the first statement with \gset);
# render() turns them into what the client needs: quoted text for pgbench's
# simple mode (it substitutes variables as raw text), bare :name for
# extended and prepared mode (pgbench sends them as parameters), :'name'
# for psql (the checks).
table_of() {
  case "$1" in
    vital) echo public.bench_installed ;;
    hand) echo public.bench_hand ;;
    supabase) echo public.bench_supabase ;;
    seeds) echo public.bench_plpgsql ;;
    norls) echo public.bench_norls ;;
  esac
}

# What each design does to set the context of one transaction.
context_tpl() { # design, kind (plain | jwt)
  if [ "$2" = jwt ]; then
    # PostgREST: the role of the JWT, its claims; then each design's own way.
    echo "SET LOCAL ROLE bench_authenticated;"
    echo "SELECT set_config('request.jwt.claims', @claims@, true);"
    case "$1" in
      vital) echo "SELECT vital.set_tenant_context(@tenant@, true);" ;;   # the user is the sub claim
      hand) echo "SELECT set_config('app.current_tenant', @tenant@, true);" ;;
      seeds) echo "SELECT seeds.set_tenant_context(@tenant@, true);" ;;   # reads the sub claim
      supabase | norls) ;;
    esac
    return
  fi
  case "$1" in
    # Each design sets its context in one statement, one round trip, as an
    # application would.
    vital) echo "SELECT vital.set_context(@member@, @tenant@, true);" ;;
    hand) echo "SELECT set_config('app.current_tenant', @tenant@, true);" ;;
    supabase) echo "SELECT set_config('request.jwt.claims', @claims@, true);" ;;
    seeds) echo "SELECT set_config('app.current_user', @member@, true), seeds.set_tenant_context(@tenant@, true);" ;;
    norls) ;;
  esac
}

LOOKUP_SQL='SELECT tenant, member, claims, id1, id2, id3, id4, id5 FROM oltp.slots WHERE t = :t AND s = :s \gset'

# One transaction of a mix, as a template.
tx_tpl() { # design, mix
  local tbl kind=plain i
  tbl="$(table_of "$1")"
  [ "$2" = jwt ] && kind=jwt
  echo '\set t random(1, :tenants)'
  echo '\set s random(1, :slots)'
  echo 'BEGIN;'
  echo "$LOOKUP_SQL"
  context_tpl "$1" "$kind"
  case "$2" in
    lookups | list | jwt)
      for i in 1 2 3 4 5; do echo "SELECT name FROM $tbl WHERE id = @id$i@;"; done
      [ "$2" = lookups ] || echo "SELECT id, name FROM $tbl WHERE tenant_id = @tenant@ ORDER BY name LIMIT 50;"
      ;;
    write)
      echo "INSERT INTO $tbl (name, description, tenant_id) VALUES ('oltp-insert', 'inserted by bench/oltp.sh', @tenant@);"
      echo "UPDATE $tbl SET description = 'updated by bench/oltp.sh' WHERE id = @id1@;"
      ;;
  esac
  echo 'END;'
}

# The context calls alone: the same transaction with one more call each.
ctx_tpl() { # what
  echo '\set t random(1, :tenants)'
  echo '\set s random(1, :slots)'
  echo 'BEGIN;'
  echo "$LOOKUP_SQL"
  case "$1" in
    empty) ;;
    vital_user) echo "SELECT vital.set_user_context(@member@, true);" ;;
    vital_user_tenant) echo "SELECT vital.set_user_context(@member@, true), vital.set_tenant_context(@tenant@, true);" ;;
    vital_both) context_tpl vital plain ;;
    hand) context_tpl hand plain ;;
    seeds_user) echo "SELECT set_config('app.current_user', @member@, true);" ;;
    seeds_both) context_tpl seeds plain ;;
  esac
  echo 'END;'
}

render() { # mode (simple | extended | prepared | psql)
  case "$1" in
    simple) sed -E "s/@([a-z0-9_]+)@/':\\1'/g" ;;
    extended | prepared) sed -E 's/@([a-z0-9_]+)@/:\1/g' ;;
    psql) sed -E "s/@([a-z0-9_]+)@/:'\\1'/g" ;;
  esac
}

SCRIPTS="$WORK/scripts"
mkdir -p "$SCRIPTS"
for m in $MODES; do
  for d in $DESIGNS; do
    for x in $MIXES; do tx_tpl "$d" "$x" | render "$m" >"$SCRIPTS/$d.$x.$m.sql"; done
  done
  for c in empty vital_user vital_user_tenant vital_both hand seeds_user seeds_both; do
    ctx_tpl "$c" | render "$m" >"$SCRIPTS/ctx_$c.$m.sql"
  done
done
chmod -R a+rX "$WORK"

say "the transactions (-M ${MODES##* }; simple mode quotes the variables)"
show_mix="${MIXES%% *}"
[[ " $MIXES " == *" list "* ]] && show_mix=list
for d in $DESIGNS; do
  printf -- '-- %s, mix %s\n' "$d" "$show_mix"; cat "$SCRIPTS/$d.$show_mix.${MODES##* }.sql"
done
[[ " $MIXES " == *" write "* ]] && { printf -- '-- vital, mix write\n'; grep -v '^\\set\|BEGIN\|END\|gset\|context' "$SCRIPTS/vital.write.${MODES##* }.sql"; }
[[ " $MIXES " == *" jwt "* ]] && for d in $DESIGNS; do
  printf -- '-- %s, mix jwt (context)\n' "$d"; context_tpl "$d" jwt | render prepared
done

# ---------------------------------------------------------------------------
# Checks (untimed): for a few tenants, each design's context shows the
# transaction's ids, hides other tenants' private rows, gives the same own
# list as no RLS, lets the tenant update its own row and no other's, and
# refuses an insert for another tenant; in both kinds of context (the
# application's, the JWT). All in transactions that are rolled back.
say "checks (as bench_app, rolled back)"
check_one() { # design, kind, t
  local tbl
  tbl="$(table_of "$1")"
  {
    echo '\set ON_ERROR_STOP on'
    echo "\\set t $3"
    echo '\set s 1'
    echo 'BEGIN;'
    echo 'SELECT tenant, member, claims, id1, id2, id3, id4, id5, foreign1, foreign2, foreign3 FROM oltp.slots WHERE t = :t AND s = :s \gset'
    echo "SELECT bench.tenant_uuid(1 + :t % $TENANTS) AS other \\gset"
    echo '\o /dev/null'
    context_tpl "$1" "$2" | render psql
    echo '\o'
    echo "SELECT (SELECT count(*) FROM $tbl WHERE id IN (:'id1', :'id2', :'id3', :'id4', :'id5')) AS seen,
                 (SELECT count(*) FROM $tbl WHERE id IN (:'foreign1', :'foreign2', :'foreign3')) AS foreign_seen,
                 (SELECT md5(string_agg(id::text || name, ',')) FROM
                    (SELECT id, name FROM $tbl WHERE tenant_id = :'tenant' ORDER BY name LIMIT 50) l) AS own_list \\gset"
    echo "WITH u AS (UPDATE $tbl SET description = description WHERE id = :'id1' RETURNING 1) SELECT count(*) AS upd_own FROM u \\gset"
    echo "WITH u AS (UPDATE $tbl SET description = description WHERE id = :'foreign1' RETURNING 1) SELECT count(*) AS upd_foreign FROM u \\gset"
    echo "INSERT INTO $tbl (name, description, tenant_id) VALUES ('oltp-check', 'check', :'tenant');"
    echo 'SAVEPOINT foreign_insert;'
    echo '\set ON_ERROR_STOP off'
    echo "INSERT INTO $tbl (name, description, tenant_id) VALUES ('oltp-check', 'check', :'other');"
    echo '\set ins_foreign_refused :ERROR'
    echo '\set ON_ERROR_STOP on'
    echo 'ROLLBACK TO SAVEPOINT foreign_insert;'
    echo '\echo :seen :foreign_seen :own_list :upd_own :upd_foreign :ins_foreign_refused'
    echo 'ROLLBACK;'
  } | psql -X -q -At -U bench_app -d "$DB" 2>"$WORK/check.err"
}
echo "each line: seen (of 5 ids), foreign rows seen (of 3), md5 of the own list, own row updated, foreign row updated, foreign insert refused"
check_tenants="1 $(( (TENANTS + 2) / 3 )) $(( (2 * TENANTS + 2) / 3 )) $TENANTS"
bad=0
for t in $check_tenants; do
  ref="$(check_one norls plain "$t" || true)"
  ref_list="$(echo "$ref" | awk '{print $3}')"
  for d in $DESIGNS; do
    for kind in plain jwt; do
      [ "$kind" = jwt ] && [[ " $MIXES " != *" jwt "* ]] && continue
      got="$(check_one "$d" "$kind" "$t" 2>&1)" || { got="ERROR $(cat "$WORK/check.err")"; }
      if [ "$d" = norls ]; then want="5 3 $ref_list 1 1 false"; else want="5 0 $ref_list 1 0 true"; fi
      if [ "$got" = "$want" ]; then verdict=ok; else verdict="WRONG (want: $want)"; bad=$((bad + 1)); fi
      printf 'tenant %-5s %-9s %-6s %s  %s\n' "$t" "$d" "$kind" "$got" "$verdict"
    done
  done
done
if [ "$bad" -ne 0 ]; then
  echo "oltp: $bad check(s) failed: the designs do not show the same rows; not timing" >&2
  exit 1
fi

# The plans behind the numbers: one lookup and the own list of each design,
# in the application's context of tenant 1 (the same statements as the
# scripts, with the values in place: a one-shot plan, as -M simple gets).
if [ "$PLANS" = 1 ]; then
  say "plans (EXPLAIN ANALYZE as bench_app, tenant 1, slot 1)"
  for d in $DESIGNS; do
    tbl="$(table_of "$d")"
    for q in "SELECT name FROM $tbl WHERE id = :'id1'" \
             "SELECT id, name FROM $tbl WHERE tenant_id = :'tenant' ORDER BY name LIMIT 50"; do
      printf -- '-- %s: %s\n' "$d" "$q"
      {
        echo '\set ON_ERROR_STOP on'
        echo 'BEGIN;'
        echo 'SELECT tenant, member, claims, id1 FROM oltp.slots WHERE t = 1 AND s = 1 \gset'
        echo '\o /dev/null'
        context_tpl "$d" plain | render psql
        echo '\o'
        echo "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $q;"
        echo 'ROLLBACK;'
      } | psql -X -q -At -U bench_app -d "$DB" | grep -v '^Planning:\|^  Buffers:' || true
    done
  done
fi

# ---------------------------------------------------------------------------
# One pgbench run; appends "via clients mode mix design round tps latency_ms load"
# to the results. A run whose clients aborted counts as a failure (the
# report marks it), and the harness goes on with the others.
run_pgbench() { # via, clients, mode, mix, design, round, duration, script
  local via="$1" clients="$2" mode="$3" mix="$4" design="$5" round="$6" duration="$7" script="$8"
  local host="$CLUSTER_DIR" port="$CLUSTER_PORT" out tps lat jobs="$JOBS" status=0
  if [ "$via" = pgbouncer ]; then host="$bdir"; port="$BOUNCER_PORT"; fi
  [ "$jobs" -gt "$clients" ] && jobs="$clients"
  out="$("$PGBENCH" -n -h "$host" -p "$port" -U bench_app -M "$mode" -c "$clients" -j "$jobs" -T "$duration" \
           -D tenants="$TENANTS" -D slots="$SLOTS" -f "$script" "$DB" 2>&1)" || status=$?
  tps="$(sed -n -E 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | head -1)"
  lat="$(sed -n -E 's/^latency average = ([0-9.]+) ms.*/\1/p' <<<"$out" | head -1)"
  load="$(cut -d' ' -f1 /proc/loadavg)"   # the machine's 1-minute load as the run ends (this run's own share included)
  if [ "$status" -ne 0 ] || [ -z "$tps" ] || grep -q 'aborted' <<<"$out"; then
    failures=$((failures + 1))
    echo "FAILED: $via $clients clients -M $mode $mix $design round $round (pgbench exit $status):" >&2
    grep -m5 -i 'error\|abort\|fatal' <<<"$out" >&2 || tail -5 <<<"$out" >&2
    return 0
  fi
  if [ "$round" -gt 0 ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$via" "$clients" "$mode" "$mix" "$design" "$round" "$tps" "${lat:-0}" "$load" >>"$RESULTS"
  fi
  printf '%-9s c=%-3s %-8s %-7s %-10s r%s  %10.1f tps  (load %s)\n' "$via" "$clients" "$mode" "$mix" "$design" "$round" "$tps" "$load"
}

# The write mix leaves rows behind: remove them and vacuum, so that every
# design and every later run reads tables of the same size.
after_write() { # design
  psql -X -q -d "$DB" -c "DELETE FROM $(table_of "$1") WHERE description = 'inserted by bench/oltp.sh'" \
       -c "VACUUM $(table_of "$1")" >/dev/null
}

rotate() { # round, words...: the words rotated left by round
  local r="$1" n i; shift
  local w=("$@"); n=${#w[@]}
  for i in $(seq 0 $((n - 1))); do printf '%s ' "${w[$(((i + r) % n))]}"; done
}

skip_combo() { # via, mode
  [ "$1" = pgbouncer ] && [ "$2" = prepared ] && [ "$bouncer_prepared" != 1 ]
}

if [ "$WARMUP" != 0 ]; then
  # the first mix asked for (its scripts exist; list reads the most pages)
  warm_mix=list
  [[ " $MIXES " == *" list "* ]] || warm_mix="${MIXES%% *}"
  say "warm-up (${WARMUP} s per design and way in, mix $warm_mix, not kept)"
  max_clients="$(tr ' ' '\n' <<<"$CLIENTS" | sort -n | tail -1)"
  for d in $DESIGNS; do
    for v in $VIA; do
      run_pgbench "$v" "$max_clients" "${MODES%% *}" "$warm_mix" "$d" 0 "$WARMUP" "$SCRIPTS/$d.$warm_mix.${MODES%% *}.sql" >/dev/null
    done
  done
fi

if [ "$CTX" = 1 ]; then
  say "the context calls alone: 1 client, directly, $CTX_ROUNDS rounds of $CTX_DURATION s"
  for r in $(seq 1 "$CTX_ROUNDS"); do
    for m in $MODES; do
      # shellcheck disable=SC2046
      for c in $(rotate "$r" empty vital_user vital_user_tenant vital_both hand seeds_user seeds_both); do
        run_pgbench direct 1 "$m" ctx "$c" "$r" "$CTX_DURATION" "$SCRIPTS/ctx_$c.$m.sql"
      done
    done
  done
fi

n_runs=0
for _v in $VIA; do for _c in $CLIENTS; do for _m in $MODES; do
  skip_combo "$_v" "$_m" && continue
  for _x in $MIXES; do for _d in $DESIGNS; do n_runs=$((n_runs + 1)); done; done
done; done; done
say "timing: $ROUNDS interleaved rounds of $n_runs runs of $DURATION s (about $(( ROUNDS * n_runs * (DURATION + 1) / 60 )) min)"
read -r -a design_list <<<"$DESIGNS"
for r in $(seq 1 "$ROUNDS"); do
  for v in $VIA; do
    for c in $CLIENTS; do
      for m in $MODES; do
        skip_combo "$v" "$m" && continue
        for x in $MIXES; do
          for d in $(rotate "$r" "${design_list[@]}"); do
            run_pgbench "$v" "$c" "$m" "$x" "$d" "$r" "$DURATION" "$SCRIPTS/$d.$x.$m.sql"
            [ "$x" = write ] && after_write "$d"
          done
        done
      done
    done
  done
done

# ---------------------------------------------------------------------------
say "results"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE TABLE oltp.results (via text, clients int, mode text, mix text, design text, round int, tps float8, latency_ms float8, load float8);
\\copy oltp.results FROM '$RESULTS'
SQL
[ -n "${RESULTS_FILE:-}" ] && cp "$RESULTS" "$RESULTS_FILE"

psql -X -At -d "$DB" -c "SELECT format('load average (1 min) at the end of the %s timed runs: median %s, min %s, max %s (2 cores; pgbench and PgBouncer run on them too)',
                                 count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY load), min(load), max(load)) FROM oltp.results"
echo
echo "Transactions per second: median of the rounds (min-max). ratio = vital / the best of hand, supabase, seeds"
echo "(medians); target >= 1.0. norls is the no-RLS reference, not a peer."
mix_order="$(for x in $MIXES; do printf "'%s'," "$x"; done)"
psql -X -q -d "$DB" <<SQL
WITH med AS (
    SELECT via, clients, mode, mix, design, count(*) AS runs,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY tps) AS tps, min(tps) AS lo, max(tps) AS hi
      FROM oltp.results WHERE mix <> 'ctx' GROUP BY 1, 2, 3, 4, 5
), cell AS (
    SELECT *, to_char(tps, 'FM999,999,990') || ' (' || to_char(lo, 'FM999,999,990') || '-' || to_char(hi, 'FM999,999,990') || ')' AS txt
      FROM med
), cfg AS (
    SELECT via, clients, mode, mix,
           max(txt) FILTER (WHERE design = 'vital')    AS vital,
           max(txt) FILTER (WHERE design = 'hand')     AS hand,
           max(txt) FILTER (WHERE design = 'supabase') AS supabase,
           max(txt) FILTER (WHERE design = 'seeds')    AS seeds,
           max(txt) FILTER (WHERE design = 'norls')    AS norls,
           max(tps) FILTER (WHERE design = 'vital')    AS vital_tps,
           (array_agg(design ORDER BY tps DESC) FILTER (WHERE design IN ('hand', 'supabase', 'seeds')))[1] AS best_peer,
           max(tps) FILTER (WHERE design IN ('hand', 'supabase', 'seeds')) AS best_tps,
           max(tps) FILTER (WHERE design = 'norls')    AS norls_tps
      FROM cell GROUP BY 1, 2, 3, 4
)
SELECT via, clients, mode, mix, vital, hand, supabase, seeds, norls, best_peer,
       round((vital_tps / best_tps)::numeric, 2) AS ratio,
       CASE WHEN vital_tps IS NULL OR best_tps IS NULL THEN 'not run'
            WHEN vital_tps / best_tps >= 1.0 THEN 'PASS' ELSE 'MISS' END AS "target >= 1.0",
       round((vital_tps / norls_tps)::numeric, 2) AS "vital/norls"
  FROM cfg
 ORDER BY via, clients, array_position(ARRAY[$mix_order NULL]::text[], mix), mode;
SQL
if [[ " $VIA " == *" pgbouncer "* ]] && [[ " $MODES " == *" prepared "* ]] && [ "$bouncer_prepared" != 1 ]; then
  echo "pgbouncer with -M prepared: not run (PgBouncer ${bouncer_version:-?} keeps no prepared statements in transaction pooling; 1.21+ does)"
fi

if [ "$CTX" = 1 ]; then
  echo
  echo "The context calls alone (1 client, directly): microseconds per call = the latency of the"
  echo "transaction with the call minus the one without, per round (median, min-max of the rounds)."
  echo "The transaction reads oltp.slots (as every benchmark transaction does) and commits."
  psql -X -q -d "$DB" <<'SQL'
WITH lat AS (
    SELECT mode, round, design, 1e6 / tps AS us FROM oltp.results WHERE mix = 'ctx'
), diff (ord, call, minus, plus) AS (VALUES
    (1, 'vital.set_user_context(u, true)',            'empty',      'vital_user'),
    (2, 'vital.set_tenant_context(t, true)',          'vital_user', 'vital_user_tenant'),
    (3, 'vital.set_context(u, t, true)',              'empty',      'vital_both'),
    (4, 'set_config(''app.current_tenant'', t, true) (hand)', 'empty', 'hand'),
    (5, 'set_config(''app.current_user'', u, true) (seeds)',  'empty', 'seeds_user'),
    (6, 'seeds.set_tenant_context(t, true) (PL/pgSQL)', 'seeds_user', 'seeds_both')
), per_round AS (
    SELECT d.ord, d.call, a.mode, b.us - a.us AS us
      FROM diff d JOIN lat a ON a.design = d.minus JOIN lat b ON b.design = d.plus AND b.mode = a.mode AND b.round = a.round
)
SELECT call, mode, count(*) AS rounds,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY us)::numeric, 1) AS us_per_call,
       round(min(us)::numeric, 1) AS min, round(max(us)::numeric, 1) AS max,
       CASE WHEN ord IN (1, 2) THEN CASE WHEN percentile_cont(0.5) WITHIN GROUP (ORDER BY us) <= 25 THEN 'PASS' ELSE 'MISS' END || ' (<= 25)' END AS target
  FROM per_round GROUP BY ord, call, mode ORDER BY ord, mode;
SQL
  psql -X -q -d "$DB" <<'SQL'
SELECT mode, design AS transaction, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY 1e6 / tps)::numeric, 1) AS median_us
  FROM oltp.results WHERE mix = 'ctx' GROUP BY mode, design ORDER BY mode, median_us;
SQL
fi

if [ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM pg_proc WHERE probin LIKE '%vital_tenancy' AND probin <> '${PINNED_LIB%.so}'")" != 0 ]; then
  echo "WARNING: some vital functions were not pinned to $PINNED_LIB"
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(now) - started )) s"
if [ "$failures" -ne 0 ]; then
  echo "oltp: $failures pgbench run(s) failed (see FAILED above)" >&2
  exit 1
fi
