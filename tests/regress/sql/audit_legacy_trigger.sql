-- A table protected by an earlier version has the single row trigger
-- vital_tenancy_audit (AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, no
-- WHEN condition, cloned onto partitions) instead of the three per-event
-- row triggers: the doctor says its triggers are not ok, and enable_tenancy
-- run again moves it to the current set (the old trigger dropped, so each
-- change is recorded once). disable_tenancy removes an old one too.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY);
CREATE TABLE regress_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_events_1 PARTITION OF regress_events FOR VALUES FROM (0) TO (100);
ALTER TABLE regress_docs OWNER TO vt_app;
ALTER TABLE regress_events OWNER TO vt_app;
ALTER TABLE regress_events_1 OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.enable_tenancy('regress_events');
-- what the earlier version installed
RESET ROLE;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['regress_docs', 'regress_events'] LOOP
        EXECUTE format('DROP TRIGGER vital_tenancy_audit_insert ON %I', t);
        EXECUTE format('DROP TRIGGER vital_tenancy_audit_update ON %I', t);
        EXECUTE format('DROP TRIGGER vital_tenancy_audit_delete ON %I', t);
        EXECUTE format('CREATE TRIGGER vital_tenancy_audit AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing()', t);
    END LOOP;
END $$;
SET LOCAL ROLE vt_app;
SELECT tgrelid::regclass, tgname, tgparentid <> 0 AS cloned FROM pg_trigger
 WHERE tgrelid IN ('regress_docs'::regclass, 'regress_events'::regclass, 'regress_events_1'::regclass) AND NOT tgisinternal ORDER BY 1, 2;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.enable_tenancy('regress_events');
SELECT tgrelid::regclass, tgname, tgparentid <> 0 AS cloned FROM pg_trigger
 WHERE tgrelid IN ('regress_docs'::regclass, 'regress_events'::regclass, 'regress_events_1'::regclass) AND NOT tgisinternal ORDER BY 1, 2;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- each change recorded once
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (1, true, 'global');
INSERT INTO regress_events (id, is_shared, sharing_mode) VALUES (1, true, 'global');
SELECT action, table_name, resource_id FROM vital.resource_sharing_audit ORDER BY id;
-- disable_tenancy on an old installation removes the old trigger as well
RESET ROLE;
CREATE TRIGGER vital_tenancy_audit AFTER INSERT OR UPDATE OR DELETE ON regress_docs FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT vital.disable_tenancy('regress_docs');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal;
ROLLBACK;
