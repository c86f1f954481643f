#!/usr/bin/env bash
# The client recipes of examples/, tested: psycopg 3 (examples/python),
# node-postgres (examples/node), tokio-postgres (examples/rust) and the
# pgTAP template (examples/pgtap). Starts a throwaway cluster with the
# installed extension and examples/fixture.sql, and a PgBouncer in
# transaction pooling mode in front of it with fewer server connections
# than the tests run transactions; the driver tests connect only through
# PgBouncer, as the non-superuser role app. pgTAP runs on PostgreSQL 15,
# where scripts/setup.sh installs it.
# Usage: scripts/examples.sh   (run from anywhere, as root; scripts/setup.sh first)
# Env: PG_BIN, EXAMPLES_PORT (default 55340; PgBouncer listens on the next port).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/cluster.sh
export CLUSTER_ENV="${CLUSTER_ENV:-RUST_BACKTRACE=1}"
export PATH="$HOME/.cargo/bin:$PATH"

export CLUSTER_PORT="${EXAMPLES_PORT:-55340}"
BOUNCER_PORT=$((CLUSTER_PORT + 1))
POOL_SIZE=2
DB=vital_ex
PYTHON=/usr/bin/python3

for need in "$PYTHON -c 'import psycopg, pytest'" "command -v node" "test -d examples/node/node_modules/pg" "command -v cargo"; do
  if ! bash -c "$need" >/dev/null 2>&1; then
    echo "examples: missing ($need): run scripts/setup.sh" >&2
    exit 1
  fi
done

bouncer_pid=
cleanup() {
  local status=$?
  bouncer_stop "${bdir:-}"
  cluster_stop
  exit "$status"
}
trap cleanup EXIT

# Built before the cluster starts, so that its compile time holds no server.
printf '==> building examples/rust\n'
cargo test --quiet --manifest-path examples/rust/Cargo.toml --target-dir examples/rust/target --no-run

cluster_start
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f examples/fixture.sql >/dev/null

bdir="$CLUSTER_DIR/pgbouncer"
mkdir -p "$bdir"
echo '"app" ""' >"$bdir/userlist.txt"
# ${DB}_one: the same database through a single server connection, so that
# consecutive transactions share it.
bouncer_write_ini "$bdir" "$BOUNCER_PORT" "$POOL_SIZE" 100 \
  "$DB = host=$CLUSTER_DIR port=$CLUSTER_PORT dbname=$DB" \
  "${DB}_one = host=$CLUSTER_DIR port=$CLUSTER_PORT dbname=$DB pool_size=1"
bouncer_start "$bdir" "$BOUNCER_PORT" app "$DB" || { echo "examples: PgBouncer did not start" >&2; exit 1; }
export EX_BOUNCER_HOST="$bdir" EX_BOUNCER_PORT="$BOUNCER_PORT" EX_DB="$DB" EX_DB_ONE="${DB}_one" EX_POOL_SIZE="$POOL_SIZE"

passed=0
failed=0
skipped=0
step() {
  local name="$1"; shift
  printf '\n==> %s\n' "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf '==> FAILED: %s\n' "$name"
  fi
}

python_tests() {
  (cd examples/python && PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m pytest -p no:cacheprovider -v .)
}
node_tests() {
  (cd examples/node && node --test)
}
rust_tests() {
  cargo test --manifest-path examples/rust/Cargo.toml --target-dir examples/rust/target
}
# Runs the template with psql (as pg_prove would) and fails on any "not ok",
# on a plan that was not run in full, or on an error.
pgtap_tests() {
  local out planned ran
  out="$(psql -X -d "$DB" -f examples/pgtap/isolation_test.sql 2>&1)" || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$out"
  planned="$(sed -n 's/^1\.\.\([0-9]\+\)$/\1/p' <<<"$out")"
  ran="$(grep -c '^ok ' <<<"$out" || true)"
  ! grep -q '^not ok' <<<"$out" && [ -n "$planned" ] && [ "$ran" -eq "$planned" ]
}

step "examples/python (psycopg 3)" python_tests
step "examples/node (node-postgres)" node_tests
step "examples/rust (tokio-postgres)" rust_tests
if [ "$("$PG_BIN/pg_config" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')" = 15 ] \
  && [ -f "$("$PG_BIN/pg_config" --sharedir)/extension/pgtap.control" ]; then
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c 'CREATE EXTENSION pgtap'
  step "examples/pgtap (isolation_test.sql)" pgtap_tests
else
  printf '\n==> examples/pgtap: skipped (pgTAP is installed for PostgreSQL 15 only)\n'
  skipped=$((skipped + 1))
fi

if [ "$failed" -ne 0 ]; then
  echo "--- pgbouncer log (tail) ---" >&2
  tail -n 20 "$bdir/pgbouncer.log" >&2 || true
fi
printf '\nexamples: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
