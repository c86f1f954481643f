"""Backups: who can dump a database with protected tables, and what whole and
data-only restores keep.

A source database gets tenants, members, a platform admin, a protected
table with private and shared rows (owned by a non-superuser), and trail
records. Then:

- its table owner cannot dump it: the whole database is refused (the trail's
  sequence), the table alone is refused by row-level security, and with
  --enable-row-security the dump succeeds but holds none of the rows;
- a role with BYPASSRLS and pg_read_all_data can, as a superuser can;
- a whole restore (pg_restore into an empty database) keeps everything:
  rows, policies, triggers, the registry, the trail and its sequence;
- a data-only restore into a database whose schema was restored with
  --schema-only fails on the foreign key to vital.tenants without
  --disable-triggers, and keeps everything with it (the audit triggers do
  not fire, so the trail is not written twice); --disable-triggers leaves
  the registry's registry_changed triggers enabled in origin mode instead
  of ALWAYS, which the README's restore steps put back.
"""

import os
import subprocess

import pytest

from conftest import APP, SUPERUSER, PGHOST, PGPORT, connect, one

PG_BIN = os.environ.get("VT_PG_BIN", "/usr/lib/postgresql/15/bin")

SOURCE = "vital_backup_src"
OWNER = "backup_owner"
READER = "backup_reader"

ACME = "a1000000-0000-4000-8000-000000000001"
GLOBEX = "b1000000-0000-4000-8000-000000000002"
ALICE = "a1aaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
BOB = "b1bbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
ADMIN = "d1dddddd-dddd-4ddd-8ddd-dddddddddddd"

SOURCE_SQL = [
    "create extension vital_tenancy",
    "select vital.create_tenant('backup-acme', 'Acme', 'client', 'free', '%s')" % ACME,
    "select vital.create_tenant('backup-globex', 'Globex', 'industry', 'enterprise', '%s')" % GLOBEX,
    "select vital.add_tenant_member('%s', '%s', 'owner')" % (ACME, ALICE),
    "select vital.add_tenant_member('%s', '%s', 'member')" % (GLOBEX, BOB),
    "select vital.grant_platform_admin('%s')" % ADMIN,
    "grant execute on function vital.set_user_context(uuid, boolean) to %s" % APP,
    "create schema app authorization %s" % OWNER,
    "create table app.docs (id int primary key, title text not null)",
    "alter table app.docs owner to %s" % OWNER,
    "grant usage on schema app to %s" % APP,
    "grant select, insert, update, delete on app.docs to %s" % APP,
    "select vital.enable_tenancy('app.docs')",
    # rows of two tenants, one shared globally (recorded), one with globex
    # (recorded), then a share changed and one withdrawn (recorded)
    """insert into app.docs (id, title, tenant_id, is_shared, sharing_mode, shared_with) values
         (1, 'acme private', '%(a)s', false, 'private', '{}'),
         (2, 'acme global', '%(a)s', true, 'global', '{}'),
         (3, 'acme with globex', '%(a)s', true, 'selective', '{%(g)s}'),
         (4, 'globex private', '%(g)s', false, 'private', '{}')"""
    % {"a": ACME, "g": GLOBEX},
    "update app.docs set is_shared = false, sharing_mode = 'private' where id = 2",
    "update app.docs set is_shared = true, sharing_mode = 'global' where id = 4",
]


def run(*args, user=SUPERUSER, check=True):
    """Runs a PostgreSQL client program against the integration cluster."""
    program, *rest = args
    result = subprocess.run(
        [os.path.join(PG_BIN, program), "-h", PGHOST, "-p", str(PGPORT), "-U", user, *rest],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def recreate(db):
    conn = connect(SUPERUSER, dbname="postgres", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute('drop database if exists "%s"' % db)
            cur.execute('create database "%s"' % db)
    finally:
        conn.close()


def state(db):
    """Everything a restore must keep, as comparable rows."""
    conn = connect(SUPERUSER, dbname=db, autocommit=True)
    queries = {
        "rows": "select id, title, tenant_id::text, is_shared, sharing_mode, shared_with::text, resource_type"
        " from app.docs order by id",
        "tenants": "select id::text, slug, name, tenant_type, subscription_tier, status from vital.tenants order by id",
        "members": "select user_id::text, tenant_id::text, role, status from vital.user_tenants order by 1, 2",
        "admins": "select user_id::text, role from vital.user_roles order by 1",
        "registry": "select table_name::text, primary_key, created_indexes::text, enabled_at, enabled_by"
        " from vital.tenant_tables order by 1",
        "trail": "select * from vital.resource_sharing_audit order by id",
        "trail_sequence": "select last_value from vital.resource_sharing_audit_id_seq",
        "security": "select relrowsecurity, relforcerowsecurity from pg_class where oid = 'app.docs'::regclass",
        "policies": "select polname, polcmd, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)"
        " from pg_policy where polrelid = 'app.docs'::regclass order by polname",
        "triggers": "select tgname, tgenabled, pg_get_triggerdef(oid) from pg_trigger"
        " where tgrelid = 'app.docs'::regclass and not tgisinternal order by tgname",
        "registry_triggers": "select tgrelid::regclass::text, tgname, tgenabled from pg_trigger"
        " where tgname = 'registry_changed' order by 1",
        "doctor": "select table_name::text, healthy from vital.tenancy_status() order by 1",
    }
    try:
        with conn.cursor() as cur:
            result = {}
            for name, sql in queries.items():
                cur.execute(sql)
                result[name] = cur.fetchall()
            return result
    finally:
        conn.close()


def visible_to_globex(db):
    """The ids bob, of globex, reads through the policies."""
    conn = connect(APP, dbname=db)
    try:
        with conn.cursor() as cur:
            cur.execute("select vital.set_context(%s, %s, true)", (BOB, GLOBEX))
            cur.execute("select id from app.docs order by id")
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="module")
def source():
    conn = connect(SUPERUSER, dbname="postgres", autocommit=True)
    try:
        with conn.cursor() as cur:
            for role, options in ((OWNER, "login"), (READER, "login bypassrls")):
                cur.execute("select 1 from pg_roles where rolname = %s", (role,))
                if cur.fetchone() is None:
                    cur.execute("create role %s %s" % (role, options))
            cur.execute("grant pg_read_all_data to %s" % READER)
    finally:
        conn.close()
    recreate(SOURCE)
    conn = connect(SUPERUSER, dbname=SOURCE, autocommit=True)
    try:
        with conn.cursor() as cur:
            for sql in SOURCE_SQL:
                cur.execute(sql)
    finally:
        conn.close()
    before = state(SOURCE)
    # the fixture is what the tests say it is
    assert len(before["rows"]) == 4
    assert len(before["trail"]) == 4, before["trail"]
    assert len(before["members"]) == 2 and len(before["admins"]) == 1
    assert before["doctor"] == [("app.docs", True)]
    assert visible_to_globex(SOURCE) == [3, 4]
    return before


@pytest.fixture(scope="module")
def dump(source, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("backup") / "source.dump")
    run("pg_dump", "-d", SOURCE, "-Fc", "-f", path)
    os.chmod(path, 0o644)
    return path


def test_the_table_owner_cannot_dump(source, tmp_path):
    out = str(tmp_path / "owner.sql")
    whole = run("pg_dump", "-d", SOURCE, "-f", out, user=OWNER, check=False)
    assert whole.returncode != 0
    # PostgreSQL 18's pg_dump words the refusal differently; both name the trail's sequence.
    assert "resource_sharing_audit_id_seq" in whole.stderr
    assert ("permission denied for sequence" in whole.stderr
            or "may lack SELECT privilege on the sequence" in whole.stderr)
    table = run("pg_dump", "-d", SOURCE, "-t", "app.docs", "-f", out, user=OWNER, check=False)
    assert table.returncode != 0
    assert 'query would be affected by row-level security policy for table "docs"' in table.stderr
    # With --enable-row-security the dump "succeeds", filtered: no rows at all.
    filtered = run("pg_dump", "-d", SOURCE, "-t", "app.docs", "--enable-row-security", "-f", out, user=OWNER)
    assert filtered.returncode == 0
    text = open(out).read()
    copy = text.split("COPY app.docs ")[1]
    data = copy.split("\n", 1)[1].split("\\.\n", 1)[0]
    assert data == "", data


def test_a_bypassrls_reader_can_dump(source, tmp_path):
    path = str(tmp_path / "reader.dump")
    run("pg_dump", "-d", SOURCE, "-Fc", "-f", path, user=READER)
    os.chmod(path, 0o644)
    recreate("vital_backup_reader")
    run("pg_restore", "-d", "vital_backup_reader", "--exit-on-error", path)
    assert state("vital_backup_reader") == source


def test_a_whole_restore_keeps_everything(source, dump):
    recreate("vital_backup_whole")
    run("pg_restore", "-d", "vital_backup_whole", "--exit-on-error", dump)
    assert state("vital_backup_whole") == source
    assert visible_to_globex("vital_backup_whole") == [3, 4]


def test_a_data_only_restore_needs_disable_triggers(source, dump):
    db = "vital_backup_data"
    recreate(db)
    run("pg_restore", "-d", db, "--schema-only", "--exit-on-error", dump)
    # Without --disable-triggers the protected table's rows come before the
    # tenants they reference: the foreign key refuses them (and the one
    # transaction leaves nothing behind).
    refused = run("pg_restore", "-d", db, "--data-only", "--single-transaction", dump, check=False)
    assert refused.returncode != 0
    assert 'violates foreign key constraint "vital_tenancy_tenant_fk"' in refused.stderr
    conn = connect(SUPERUSER, dbname=db, autocommit=True)
    try:
        assert one(conn, "select count(*) from app.docs") == 0
        assert one(conn, "select count(*) from vital.tenant_tables") == 0
    finally:
        conn.close()

    run("pg_restore", "-d", db, "--data-only", "--disable-triggers", "--single-transaction", dump)
    restored = state(db)
    # ENABLE TRIGGER ALL after the load puts the registry's triggers back in
    # origin mode; everything else is as it was, the trail written once.
    assert restored["registry_triggers"] == [(t, n, "O") for t, n, _ in source["registry_triggers"]]
    assert {k: v for k, v in restored.items() if k != "registry_triggers"} == {
        k: v for k, v in source.items() if k != "registry_triggers"
    }
    conn = connect(SUPERUSER, dbname=db, autocommit=True)
    try:
        with conn.cursor() as cur:
            for table in ("vital.tenants", "vital.user_tenants", "vital.user_roles"):
                cur.execute("alter table %s enable always trigger registry_changed" % table)
    finally:
        conn.close()
    assert state(db) == source
    assert visible_to_globex(db) == [3, 4]
