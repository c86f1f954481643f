-- Made by the previous release, before the upgrade test installs the
-- current build (scripts/upgrade.sh): protected tables (a plain one and a
-- partitioned one), rows of several tenants, rows shared globally and
-- selectively through the sharing API, so the trail has records; all in
-- schema upgrade_fixture, which the regression suite does not touch.
-- Runs as the superuser, after tests/regress/setup.sql.
\set ON_ERROR_STOP on
CREATE SCHEMA upgrade_fixture;
GRANT USAGE ON SCHEMA upgrade_fixture TO vt_app;
CREATE TABLE upgrade_fixture.agents (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO upgrade_fixture.agents VALUES
    ('00000a01-0000-4000-8000-000000000001', 'platform agent'),
    ('00000a01-0000-4000-8000-000000000002', 'platform template');
SELECT vital.enable_tenancy('upgrade_fixture.agents');
CREATE TABLE upgrade_fixture.events (
    id      uuid NOT NULL,
    day     date NOT NULL,
    payload text,
    PRIMARY KEY (id)
);
SELECT vital.enable_tenancy('upgrade_fixture.events', 'b0000000-0000-4000-8000-000000000002');
CREATE TABLE upgrade_fixture.logs (
    id   int PRIMARY KEY,
    kind text NOT NULL
) PARTITION BY RANGE (id);
CREATE TABLE upgrade_fixture.logs_1 PARTITION OF upgrade_fixture.logs FOR VALUES FROM (0) TO (100);
CREATE TABLE upgrade_fixture.logs_2 PARTITION OF upgrade_fixture.logs FOR VALUES FROM (100) TO (200);
GRANT SELECT, INSERT, UPDATE, DELETE ON upgrade_fixture.agents, upgrade_fixture.events TO vt_app;

BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', true) IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true) IS NOT NULL AS acme;
INSERT INTO upgrade_fixture.agents (id, name) VALUES
    ('00000a01-0000-4000-8000-0000000000a1', 'acme private'),
    ('00000a01-0000-4000-8000-0000000000a2', 'acme shared with globex'),
    ('00000a01-0000-4000-8000-0000000000a3', 'acme global');
SELECT vital.share_resource('upgrade_fixture.agents', '00000a01-0000-4000-8000-0000000000a2', 'selective',
                            '{b0000000-0000-4000-8000-000000000002}');
SELECT vital.share_resource('upgrade_fixture.agents', '00000a01-0000-4000-8000-0000000000a3', 'global');
COMMIT;
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', true) IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002', true) IS NOT NULL AS globex;
INSERT INTO upgrade_fixture.agents (id, name, is_shared, sharing_mode, shared_with) VALUES
    ('00000a01-0000-4000-8000-0000000000b1', 'globex private', false, 'private', '{}'),
    ('00000a01-0000-4000-8000-0000000000b2', 'globex shared with acme', true, 'selective', '{a0000000-0000-4000-8000-000000000001}');
INSERT INTO upgrade_fixture.events (id, day, payload) VALUES
    ('00000e01-0000-4000-8000-000000000001', '2026-11-01', 'globex event');
COMMIT;
-- The partitioned table is protected after its rows arrived (the backfill
-- gives them the platform tenant).
INSERT INTO upgrade_fixture.logs VALUES (1, 'info'), (150, 'error');
SELECT vital.enable_tenancy('upgrade_fixture.logs');
-- A protected table that someone opened afterwards with a Supabase-style
-- read policy: the update leaves it as 0.1.0 installed it, with a WARNING
-- (0.2.0's enable_tenancy refuses it until the DBA decides).
CREATE TABLE upgrade_fixture.open_tools (id uuid PRIMARY KEY, name text NOT NULL);
SELECT vital.enable_tenancy('upgrade_fixture.open_tools');
CREATE POLICY "Enable read access for all users" ON upgrade_fixture.open_tools FOR SELECT USING (true);
SELECT count(*) AS trail_records FROM vital.resource_sharing_audit;
