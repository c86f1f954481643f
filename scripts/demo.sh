#!/usr/bin/env bash
# A guided tour for a DBA: builds and installs vital_tenancy, starts a
# throwaway cluster (Unix socket only, as the postgres user), and walks
# through demo/*.sql in psql. The cluster is removed at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/cluster.sh

bash scripts/setup.sh
echo "demo: building and installing vital_tenancy (release)"
install_extension

CLUSTER_PORT="${DEMO_PORT:-54332}"
trap cluster_stop EXIT
cluster_start
psql -X -q -d postgres -c 'CREATE DATABASE vital_demo'
for part in demo/*.sql; do
  printf '\n\033[1m=== %s\033[0m\n' "$part"
  psql -X -d vital_demo -v ON_ERROR_STOP=1 --echo-all -f "$part"
done
printf '\ndemo: done\n'
