#!/usr/bin/env bash
# Everything CI checks, in order: setup, formatting, the module layers, lints, the #[pg_test]s,
# the SQL regression suite (as non-superuser roles), the multi-connection
# integration tests (including PgBouncer) and the client recipes of examples/
# (psycopg, node-postgres, tokio-postgres and pgTAP, through PgBouncer).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

passed=0
failed=0
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

bash scripts/setup.sh

pgrx_test() {
  local dir
  dir="$(mktemp -d /tmp/vital_pgrx_test.XXXXXX)"
  chmod 755 "$dir"
  chown postgres: "$dir"
  local status=0
  cargo pgrx test pg15 --runas postgres --pgdata "$dir/data" || status=$?
  rm -rf "$dir"
  return "$status"
}

step "cargo fmt --check" cargo fmt --check
step "layers (scripts/check_layers.py)" python3 scripts/check_layers.py
step "cargo clippy" cargo clippy --all-targets --features "pg15 pg_test" --no-default-features -- -D warnings
step "cargo pgrx test (#[pg_test])" pgrx_test
# cargo pgrx test installs its own test build; the suites below use the release build.
step "install the release build" cargo pgrx install --release --pg-config /usr/lib/postgresql/15/bin/pg_config
step "SQL regression suite" bash scripts/regress.sh
step "integration tests" bash scripts/integration.sh
step "client recipes (scripts/examples.sh)" bash scripts/examples.sh

printf '\nsummary: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
