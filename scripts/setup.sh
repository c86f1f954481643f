#!/usr/bin/env bash
# Installs everything vital_tenancy needs to build, test and demo on a fresh
# Debian 12 machine, as root. Idempotent: a second run only checks.
set -euo pipefail

PGRX_VERSION=0.18.0
PG_MAJOR=15
PG_CONFIG=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config
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

PGRX_HOME="${PGRX_HOME:-$HOME/.pgrx}"
if ! grep -qs "pg${PG_MAJOR}" "${PGRX_HOME}/config.toml"; then
  log "cargo pgrx init --pg${PG_MAJOR}"
  cargo pgrx init "--pg${PG_MAJOR}" "${PG_CONFIG}"
fi

# examples/node's dependencies, exactly as its package-lock.json says.
if [ ! -d "$NODE_EXAMPLE/node_modules/pg" ] \
  || [ "$NODE_EXAMPLE/package-lock.json" -nt "$NODE_EXAMPLE/node_modules/.package-lock.json" ]; then
  log "npm ci in examples/node"
  (cd "$NODE_EXAMPLE" && npm ci --no-audit --no-fund --loglevel=error)
fi

log "ready: $(cargo pgrx --version), $(${PG_CONFIG} --version), node $(node --version)"
