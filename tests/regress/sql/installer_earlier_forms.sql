-- A table protected by version 0.1.0 has three declarative CHECKs instead of
-- vital_tenancy_sharing_check, and an update trigger whose WHEN condition
-- compares the columns one by one. It stays protected as it is (the rewrite
-- still trusts 0.1.0's tie between is_shared and sharing_mode); the doctor
-- says its triggers are not ok, and enable_tenancy run again moves it to the
-- current forms, partitions included (a partition attached with copies of
-- the old CHECKs of its own loses them too).
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY, title text NOT NULL);
CREATE TABLE regress_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_events_1 PARTITION OF regress_events FOR VALUES FROM (0) TO (100);
ALTER TABLE regress_docs OWNER TO vt_app;
ALTER TABLE regress_events OWNER TO vt_app;
ALTER TABLE regress_events_1 OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.enable_tenancy('regress_events');
RESET ROLE;
-- what 0.1.0 installed
CREATE FUNCTION pg_temp.make_0_1_0(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT vital_tenancy_sharing_check', t);
    EXECUTE format($f$ALTER TABLE %s
        ADD CONSTRAINT vital_tenancy_sharing_mode_check CHECK (sharing_mode IN ('private', 'global', 'selective')),
        ADD CONSTRAINT vital_tenancy_resource_type_check CHECK (resource_type IN ('platform', 'solution', 'industry', 'custom')),
        ADD CONSTRAINT vital_tenancy_is_shared_check CHECK (is_shared = (sharing_mode <> 'private'))$f$, t);
    EXECUTE format('DROP TRIGGER vital_tenancy_audit_update ON %s', t);
    EXECUTE format($f$CREATE TRIGGER vital_tenancy_audit_update AFTER UPDATE ON %s FOR EACH ROW
        WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.is_shared IS DISTINCT FROM NEW.is_shared
              OR OLD.sharing_mode COLLATE "C" IS DISTINCT FROM NEW.sharing_mode COLLATE "C"
              OR OLD.shared_with IS DISTINCT FROM NEW.shared_with)
        EXECUTE FUNCTION vital.audit_sharing()$f$, t);
END $$;
SELECT pg_temp.make_0_1_0('regress_docs');
SELECT pg_temp.make_0_1_0('regress_events');
-- a partition made later, with the CHECKs of its own (as ATTACH requires)
CREATE TABLE regress_events_2 (LIKE regress_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE regress_events_2 OWNER TO vt_app;
ALTER TABLE regress_events ATTACH PARTITION regress_events_2 FOR VALUES FROM (100) TO (200);
CREATE FUNCTION pg_temp.checks() RETURNS TABLE (relation regclass, name name, own boolean, inherited int2) LANGUAGE sql AS $$
    SELECT conrelid::regclass, conname, conislocal, coninhcount FROM pg_constraint
     WHERE conrelid IN ('regress_docs'::regclass, 'regress_events'::regclass,
                        'regress_events_1'::regclass, 'regress_events_2'::regclass)
       AND contype = 'c' ORDER BY 1, 2 $$;
SELECT * FROM pg_temp.checks();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status() ORDER BY 1;
-- still protected as before: a tenant sees its own and global rows; the
-- rewrite leaves is_shared out (0.1.0's tie CHECK holds)
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id, title) VALUES (1, 'own');
EXPLAIN (COSTS OFF) SELECT id FROM regress_docs;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.enable_tenancy('regress_events');
SELECT * FROM pg_temp.checks();
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status() ORDER BY 1;
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND tgname = 'vital_tenancy_audit_update';
EXPLAIN (COSTS OFF) SELECT id FROM regress_docs;
-- and the new CHECK holds: the tie and the words
SELECT regress.try($$INSERT INTO regress_docs (id, title, is_shared) VALUES (2, 'shared but private', true)$$);
SELECT regress.try($$INSERT INTO regress_docs (id, title, is_shared, sharing_mode) VALUES (2, 'drifted', true, 'public')$$);
SELECT regress.try($$INSERT INTO regress_docs (id, title, resource_type) VALUES (2, 'drifted', 'template')$$);
SELECT regress.try($$INSERT INTO regress_events (id, is_shared, sharing_mode) VALUES (150, false, 'global')$$);
-- a run on current forms changes nothing
SELECT vital.enable_tenancy('regress_docs');
SELECT count(*) AS checks FROM pg_constraint WHERE conrelid = 'regress_docs'::regclass AND contype = 'c';
-- a constraint of that name that is not ours as created is replaced
RESET ROLE;
ALTER TABLE regress_docs DROP CONSTRAINT vital_tenancy_sharing_check,
    ADD CONSTRAINT vital_tenancy_sharing_check CHECK (true);
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'regress_docs'::regclass AND conname = 'vital_tenancy_sharing_check';
ROLLBACK;
