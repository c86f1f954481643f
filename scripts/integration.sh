#!/usr/bin/env bash
# The multi-connection integration tests: several clients, one connection
# reused by two clients, PgBouncer in transaction pooling mode, parallel
# workers. Starts a throwaway cluster and a PgBouncer in front of it, creates
# the database, the extension and the non-superuser roles, then runs
# tests/integration with pytest (Debian's python3, psycopg2). The tests load
# their own data as the superuser (conftest.py) and then connect only as the
# non-superuser roles.
# Usage: scripts/integration.sh [pytest args...]   (run from anywhere, as root)
# Env: CLUSTER_PORT (default 54331), BOUNCER_PORT (default 6433).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/cluster.sh
# What a user sees must not depend on the server's environment: with
# RUST_BACKTRACE set, pgrx would put a Rust backtrace into error details.
export CLUSTER_ENV="${CLUSTER_ENV:-RUST_BACKTRACE=1}"

export CLUSTER_PORT="${CLUSTER_PORT:-54331}"
BOUNCER_PORT="${BOUNCER_PORT:-6433}"
BOUNCER_POOL_SIZE=4
DB=vital_it
PYTHON=/usr/bin/python3

bouncer_pid=
cleanup() {
  local status=$?
  bouncer_stop "${bdir:-}"
  cluster_stop
  exit "$status"
}
trap cleanup EXIT

if ! "$PYTHON" -c 'import pytest, psycopg2' 2>/dev/null; then
  echo "integration: $PYTHON needs pytest and psycopg2 (apt-get install python3-pytest python3-psycopg2)" >&2
  exit 1
fi

source scripts/lib/majors.sh
# pg_stat_statements where the server has it (test_pgbouncer_prepared.py counts plannings).
stat_statements_setup "$PG_BIN"
cluster_start "max_worker_processes = 8" "max_parallel_workers = 8" "${STAT_CONF[@]}"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
if [ "$STAT_STATEMENTS" = on ]; then
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c 'CREATE EXTENSION pg_stat_statements'
fi
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
CREATE EXTENSION vital_tenancy;
-- The application's pooled role: it vouches for users.
CREATE ROLE app LOGIN;
GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO app;
-- A client with its own SQL prompt: it may not vouch for users.
CREATE ROLE tenant_reader LOGIN;
-- The table the prepared statements of the vital_it_prepared pool read
-- (it must exist before PgBouncer opens a server connection there).
CREATE SCHEMA bouncer;
CREATE TABLE bouncer.docs (id int PRIMARY KEY);
SELECT vital.enable_tenancy('bouncer.docs');
GRANT USAGE ON SCHEMA bouncer TO app;
GRANT SELECT ON bouncer.docs TO app;
SQL

# PgBouncer: transaction pooling, Unix socket only, in the cluster's directory.
# vital_it_session is the same database in session pooling with one server
# connection, to check server_reset_query between two clients.
bdir="$CLUSTER_DIR/pgbouncer"
mkdir -p "$bdir"
cat >"$bdir/userlist.txt" <<'EOF'
"app" ""
"tenant_reader" ""
EOF
# PgBouncer 1.18 keeps no protocol-level prepared statements in transaction
# pooling: on ${DB}_prepared every server connection prepares the statements
# once, as it opens, and clients execute them by name
# (test_pgbouncer_prepared.py).
bouncer_write_ini "$bdir" "$BOUNCER_PORT" "$BOUNCER_POOL_SIZE" 200 \
  "$DB = host=$CLUSTER_DIR port=$CLUSTER_PORT dbname=$DB" \
  "${DB}_session = host=$CLUSTER_DIR port=$CLUSTER_PORT dbname=$DB pool_mode=session pool_size=1" \
  "${DB}_prepared = host=$CLUSTER_DIR port=$CLUSTER_PORT dbname=$DB connect_query='PREPARE bouncer_rows AS SELECT tenant_id::text, sharing_mode FROM bouncer.docs ORDER BY id'"
bouncer_start "$bdir" "$BOUNCER_PORT" app "$DB" || { echo "integration: PgBouncer did not start" >&2; exit 1; }

status=0
env VT_PGHOST="$PGHOST" VT_PGPORT="$PGPORT" VT_DB="$DB" VT_SUPERUSER=postgres VT_PG_BIN="$PG_BIN" \
  VT_BOUNCER_HOST="$bdir" VT_BOUNCER_PORT="$BOUNCER_PORT" VT_BOUNCER_POOL_SIZE="$BOUNCER_POOL_SIZE" \
  PYTHONDONTWRITEBYTECODE=1 \
  "$PYTHON" -m pytest -p no:cacheprovider -v tests/integration "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail) ---" >&2
  tail -n 50 "$CLUSTER_DIR/server.log" >&2 || true
  echo "--- pgbouncer log (tail) ---" >&2
  tail -n 20 "$bdir/pgbouncer.log" >&2 || true
fi
exit "$status"
