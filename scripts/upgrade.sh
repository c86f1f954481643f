#!/usr/bin/env bash
# The upgrade test: a database made by the previous release is brought to
# the current one with ALTER EXTENSION vital_tenancy UPDATE, and must then
# be indistinguishable from a fresh install.
#
#  1. The previous release (its tag, built from a git worktree) is installed
#     into PG_BIN's PostgreSQL; a database gets the regression fixtures
#     (tests/regress/setup.sql) and tests/upgrade/before.sql: protected
#     tables, shared rows, trail records.
#  2. The current build is installed. Every C symbol the previous release's
#     SQL names must be exported by its library (the old functions keep
#     pointing at them); tests/upgrade/sql/window.sql runs on the old
#     objects with the new library (what a session sees between the
#     package update and ALTER EXTENSION ... UPDATE).
#  4. ALTER EXTENSION vital_tenancy UPDATE; tests/upgrade/sql/after.sql
#     checks the fixture's tables, rows and trail; then the fixture goes
#     and the whole regression suite runs against the updated database.
#  5. Its schema equals a fresh install's: both databases are copied, the
#     copies' extension membership is lifted (so pg_dump dumps the objects
#     themselves), and pg_dump --schema-only of each is compared; so are
#     the member lists, initial privileges and dumped configuration tables.
#
# It leaves the current build (release) installed.
# Usage: scripts/upgrade.sh            (as root; after scripts/setup.sh)
# Env:   PREVIOUS (the release to upgrade from, default v0.1.0)
#        PG_BIN (the server's, see scripts/lib/cluster.sh; 15's pg_regress and
#        psql drive every major, see scripts/lib/majors.sh)  UPGRADE_PORT (54332)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/cluster.sh
source scripts/lib/majors.sh
export PATH="$PG15_BIN:$PATH"

PREVIOUS="${PREVIOUS:-v0.1.0}"
# The commit of each release, for a clone that did not fetch the tags.
declare -A RELEASE_COMMITS=([v0.1.0]=e444100ee3aec64bcbdff08ceefe50be29eb612c)
PG_CONFIG="$PG_BIN/pg_config"
# PostgreSQL 15's pg_regress and psql for every major's server.
PG_REGRESS="$(dirname "$("$PG15_BIN/pg_config" --pgxs)")/../test/regress/pg_regress"
MAJOR="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
PG_DUMP="$(pg_dump_of "$MAJOR")"
work="target/upgrade/$PREVIOUS-pg$MAJOR"

say() { printf '\n== upgrade: %s\n' "$*"; }

# A release that cannot be built for a major (0.1.0 does not compile
# against PostgreSQL 18) left no database there to upgrade.
newest_major_of() { case "$1" in v0.1.0) echo 17 ;; *) echo 99 ;; esac; }
if [ "$MAJOR" -gt "$(newest_major_of "$PREVIOUS")" ]; then
  say "$PREVIOUS was never built for PostgreSQL $MAJOR: nothing to upgrade from, skipped"
  exit 0
fi

commit="$(git rev-parse -q --verify "refs/tags/$PREVIOUS^{commit}" || true)"
commit="${commit:-${RELEASE_COMMITS[$PREVIOUS]:-}}"
if [ -z "$commit" ] || ! git cat-file -e "$commit^{commit}" 2>/dev/null; then
  echo "upgrade: release $PREVIOUS is not in this clone (git fetch --tags)" >&2
  exit 1
fi

say "building $PREVIOUS ($commit) for PostgreSQL $MAJOR"
mkdir -p "$work"
src="$work/src"
if [ "$(git -C "$src" rev-parse HEAD 2>/dev/null || true)" != "$commit" ]; then
  rm -rf "$src"
  git worktree prune
  git worktree add --detach "$src" "$commit" >/dev/null
fi
# A debug build: it only makes the old database. Its own target directory
# (kept between runs) so the current build's stays as it is.
(cd "$src" && CARGO_TARGET_DIR="$PWD/../target" cargo pgrx install --pg-config "$PG_CONFIG" \
  >"$PWD/../install.log" 2>&1) \
  || { cat "$work/install.log" >&2; exit 1; }
previous_version="$(sed -nE 's/^version = "(.*)"/\1/p' "$src/Cargo.toml" | head -1)"
current_version="$(sed -nE 's/^version = "(.*)"/\1/p' Cargo.toml | head -1)"
sharedir="$("$PG_CONFIG" --sharedir)/extension"
cp "$sharedir/vital_tenancy--$previous_version.sql" "$work/previous.sql"

export CLUSTER_ENV="${CLUSTER_ENV:-RUST_BACKTRACE=1}"
CLUSTER_PORT="${UPGRADE_PORT:-54332}"
out="$(mktemp -d /tmp/vital_upgrade.XXXXXX)"
chmod 755 "$out"
trap 'rm -rf tests/upgrade/results; cp -r "$out/upgrade/results" tests/upgrade/results 2>/dev/null; cluster_stop; rm -rf "$out"' EXIT
stat_statements_setup "$PG_BIN"
cluster_start "${STAT_CONF[@]}"

say "a database made by $PREVIOUS"
psql -X -q -d postgres -c 'CREATE DATABASE vital_regress'
psql -X -q -v ON_ERROR_STOP=1 -v stat_statements="$STAT_STATEMENTS" -d vital_regress -f tests/regress/setup.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d vital_regress -f tests/upgrade/before.sql >/dev/null
psql -X -At -d vital_regress -c "SELECT 'extension ' || extversion || ', ' || (SELECT count(*) FROM vital.resource_sharing_audit) || ' trail records, ' || (SELECT count(*) FROM vital.tenant_tables) || ' protected tables' FROM pg_extension WHERE extname = 'vital_tenancy'"

regress() { # inputdir tests...
  local dir="$1" status=0
  shift
  mkdir -p "$out/$(basename "$dir")"
  "$PG_REGRESS" --use-existing --bindir="$PG15_BIN" --dbname=vital_regress --inputdir="$dir" --outputdir="$out/$(basename "$dir")" \
    --host="$PGHOST" --port="$PGPORT" --user=postgres "$@" || status=$?
  if [ "$status" -ne 0 ] && [ -f "$out/$(basename "$dir")/regression.diffs" ]; then
    cat "$out/$(basename "$dir")/regression.diffs"
  fi
  return "$status"
}

say "the current library on $PREVIOUS's objects"
cargo pgrx install --release --pg-config "$PG_CONFIG" >"$work/current-install.log" 2>&1 \
  || { cat "$work/current-install.log" >&2; exit 1; }
library="$("$PG_CONFIG" --pkglibdir)/vital_tenancy.so"
status=0
exported="$(nm -D --defined-only "$library" | awk '{print $3}')"
while read -r symbol; do
  for name in "$symbol" "pg_finfo_$symbol"; do
    if ! grep -qx "$name" <<<"$exported"; then
      echo "upgrade: $PREVIOUS's SQL names $name, which the current library does not export" >&2
      status=1
    fi
  done
done < <(grep -oE "'MODULE_PATHNAME', *'[A-Za-z0-9_]+'" "$work/previous.sql" | sed -E "s/.*'([A-Za-z0-9_]+)'$/\1/" | sort -u)
echo "the C symbols $PREVIOUS's SQL names ($(grep -c "MODULE_PATHNAME" "$work/previous.sql") references): $([ "$status" = 0 ] && echo 'all exported' || echo 'MISSING')"
regress tests/upgrade window || status=1

say "ALTER EXTENSION vital_tenancy UPDATE ($previous_version to $current_version)"
psql -X -q -v ON_ERROR_STOP=1 -d vital_regress -c 'ALTER EXTENSION vital_tenancy UPDATE'
regress tests/upgrade after || status=1

say "the regression suite on the updated database"
# The suite expects only its own fixtures: the upgrade's tables and their
# trail records go (the trail's append-only guard lifted for that).
psql -X -q -v ON_ERROR_STOP=1 -d vital_regress <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA upgrade_fixture CASCADE;
ALTER TABLE vital.resource_sharing_audit DISABLE TRIGGER resource_sharing_audit_append_only;
DELETE FROM vital.resource_sharing_audit;
ALTER TABLE vital.resource_sharing_audit ENABLE TRIGGER resource_sharing_audit_append_only;
SQL
tests=()
for f in tests/regress/sql/*.sql; do
  t="$(basename "$f" .sql)"
  # It counts plannings with pg_stat_statements.
  [ "$t" = access_plans_kept ] && [ "$STAT_STATEMENTS" = off ] && continue
  tests+=("$t")
done
regress tests/regress "${tests[@]}" || status=1

say "the updated schema against a fresh install's"
psql -X -q -d postgres -c 'CREATE DATABASE vital_fresh'
# The extension alone (the fixtures' roles exist in the cluster already);
# the dumps leave out the schemas the fixtures make.
psql -X -q -v ON_ERROR_STOP=1 -d vital_fresh -c 'CREATE EXTENSION vital_tenancy' \
  -c 'GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO vt_app'
if [ "$STAT_STATEMENTS" = on ] || [ "$STAT_STATEMENTS" = true ] || [ "$STAT_STATEMENTS" = 1 ]; then
  psql -X -q -v ON_ERROR_STOP=1 -d vital_fresh -c 'CREATE EXTENSION pg_stat_statements'
fi
# What belongs to the extension, with its initial privileges and dumped
# tables; then the copies without membership, dumped whole.
describe_extension() { # database
  psql -X -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'member ' || pg_describe_object(classid, objid, objsubid)
  FROM pg_depend
 WHERE deptype = 'e' AND refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vital_tenancy')
 ORDER BY 1;
SELECT 'initial privileges ' || pg_describe_object(classoid, objoid, objsubid) || ': ' || initprivs::text
  FROM pg_init_privs WHERE privtype = 'e' ORDER BY 1;
SELECT 'dumped ' || c::regclass::text || coalesce(' ' || nullif(w, ''), '')
  FROM pg_extension, unnest(extconfig, extcondition) AS x (c, w)
 WHERE extname = 'vital_tenancy' ORDER BY 1;
SQL
}
dump_without_membership() { # database file
  psql -X -q -d postgres -c "CREATE DATABASE ${1}_copy TEMPLATE $1"
  psql -X -q -v ON_ERROR_STOP=1 -d "${1}_copy" <<'SQL'
DELETE FROM pg_depend
 WHERE deptype = 'e' AND refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vital_tenancy');
DELETE FROM pg_init_privs WHERE privtype = 'e';
DELETE FROM pg_extension WHERE extname = 'vital_tenancy';
SQL
  # (\restrict lines carry a random key per dump.)
  "$PG_DUMP" --schema-only --no-owner --exclude-schema=upgrade_fixture --exclude-schema=regress --exclude-schema=attacker -d "${1}_copy" \
    | grep -v '^\\\(un\)\?restrict ' >"$2"
}
describe_extension vital_regress >"$out/updated.members"
describe_extension vital_fresh >"$out/fresh.members"
dump_without_membership vital_regress "$out/updated.sql"
dump_without_membership vital_fresh "$out/fresh.sql"
if diff -u "$out/fresh.members" "$out/updated.members" && diff -u "$out/fresh.sql" "$out/updated.sql"; then
  echo "no difference ($(grep -c . "$out/fresh.members") members, $(wc -l <"$out/fresh.sql") lines of schema)"
else
  echo "upgrade: the updated database differs from a fresh install (above: - fresh, + updated)" >&2
  status=1
fi
exit "$status"
