# Throwaway PostgreSQL clusters for the demo, the tests and the benchmarks.
# Source it, then: cluster_start [extra postgresql.conf lines...]; ...; cluster_stop.
# The server runs as the postgres user (PostgreSQL refuses root), listens on a
# Unix socket only, and lives in a temporary directory removed on stop.
# After cluster_start: PGHOST, PGPORT, PGUSER (postgres) are exported, and
# CLUSTER_DIR names the directory. CLUSTER_ENV (say "RUST_BACKTRACE=1")
# adds to the server's environment.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else sudo -n -u postgres -- "$@"; fi
}

cluster_start() {
  CLUSTER_DIR="$(mktemp -d /tmp/vital_tenancy.XXXXXX)"
  chmod 755 "$CLUSTER_DIR"
  chown postgres: "$CLUSTER_DIR" 2>/dev/null || true
  as_postgres "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust --no-sync >"$CLUSTER_DIR/initdb.log" 2>&1 \
    || { cat "$CLUSTER_DIR/initdb.log" >&2; return 1; }
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$CLUSTER_DIR'"
    echo "port = ${CLUSTER_PORT:-54329}"
    echo "fsync = off"
    echo "max_connections = 200"
    for line in "$@"; do echo "$line"; done
  } | as_postgres tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null
  # shellcheck disable=SC2086 # CLUSTER_ENV is a list of NAME=value words
  as_postgres env ${CLUSTER_ENV:-} "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w -t 60 start >/dev/null \
    || { cat "$CLUSTER_DIR/server.log" >&2; return 1; }
  export PGHOST="$CLUSTER_DIR" PGPORT="${CLUSTER_PORT:-54329}" PGUSER=postgres
  unset PGDATABASE PGOPTIONS
}

cluster_stop() {
  [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER_DIR"
  CLUSTER_DIR=
}

# Builds (release) and installs the extension into the system PostgreSQL.
install_extension() {
  cargo pgrx install --release --pg-config "$PG_BIN/pg_config" >/dev/null
}

# For the benchmarks: points a database's vital_tenancy functions at a
# private copy of the release library in the cluster's directory, so that a
# build installed meanwhile (cargo pgrx test installs a debug build) cannot
# change the library under a running benchmark. Sets PINNED_LIB.
RELEASE_LIB=target/release/libvital_tenancy.so
pin_release_library() { # database
  [ -f "$RELEASE_LIB" ] || { echo "bench: no $RELEASE_LIB: run without SKIP_INSTALL" >&2; return 1; }
  PINNED_LIB="$CLUSTER_DIR/lib/vital_tenancy.so"
  mkdir -p "$CLUSTER_DIR/lib"
  cp "$RELEASE_LIB" "$PINNED_LIB"
  chmod 755 "$CLUSTER_DIR/lib" "$PINNED_LIB"
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" \
    -c "UPDATE pg_catalog.pg_proc SET probin = '${PINNED_LIB%.so}' WHERE probin = '\$libdir/vital_tenancy'"
}

# Writes DIR/pgbouncer.ini: transaction pooling, a Unix socket in DIR only,
# trust authentication against DIR/userlist.txt, DISCARD ALL between
# clients; one [databases] line per further argument.
bouncer_write_ini() { # dir port pool_size max_client_conn database_line...
  local dir="$1" port="$2" pool="$3" clients="$4"
  shift 4
  {
    echo "[databases]"
    printf '%s\n' "$@"
    cat <<INI

[pgbouncer]
listen_addr =
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $pool
reserve_pool_size = 0
max_client_conn = $clients
server_reset_query = DISCARD ALL
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  } >"$dir/pgbouncer.ini"
}

# Starts PgBouncer as a daemon with DIR/pgbouncer.ini (its pidfile in DIR)
# and waits until USER can reach DB through it on PORT. Sets bouncer_pid.
# As a daemon it does not hold the caller's output open; stop it by that
# pid. Returns non-zero (with its log) if it did not start.
bouncer_start() { # dir port user db
  local dir="$1" port="$2" user="$3" db="$4" ready=
  chown -R postgres: "$dir"
  chmod 755 "$dir"
  as_postgres /usr/sbin/pgbouncer -d -q "$dir/pgbouncer.ini"
  for _ in $(seq 100); do [ -s "$dir/pgbouncer.pid" ] && break; sleep 0.1; done
  bouncer_pid="$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)"
  for _ in $(seq 100); do
    [ -n "$bouncer_pid" ] || break
    if psql -X -q -h "$dir" -p "$port" -U "$user" -d "$db" -Atc 'select 1' >/dev/null 2>&1; then
      ready=1; break
    fi
    kill -0 "$bouncer_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "PgBouncer did not start" >&2
    cat "$dir/pgbouncer.log" >&2 2>/dev/null || true
    return 1
  fi
}

# Stops the PgBouncer of DIR (by bouncer_pid, or the pid in DIR's pidfile
# when it was not read yet): TERM, up to 5 s, then KILL.
bouncer_stop() { # dir (may be empty)
  local dir="${1:-}"
  if [ -z "${bouncer_pid:-}" ] && [ -n "$dir" ] && [ -s "$dir/pgbouncer.pid" ]; then
    bouncer_pid="$(cat "$dir/pgbouncer.pid")"
  fi
  [ -n "${bouncer_pid:-}" ] || return 0
  kill "$bouncer_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$bouncer_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$bouncer_pid" 2>/dev/null || true
}
