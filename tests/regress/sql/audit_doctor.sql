-- tenancy_status reports the audit triggers (the row trigger and its
-- statement-level flush trigger): either missing, disabled, firing only for
-- replicas, or replaced by something else under its name, or the two
-- firing in different sessions, they are not ok and the table is not
-- healthy (sharing changes would go unrecorded); enable_tenancy puts them
-- right. A table enabled before a trigger existed is one without it.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
-- disabled: the doctor says so, and indeed nothing is recorded
ALTER TABLE regress_docs DISABLE TRIGGER vital_tenancy_audit;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (1, true, 'global');
SELECT count(*) AS recorded_while_disabled FROM vital.resource_sharing_audit;
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (2, true, 'global');
SELECT count(*) AS recorded_once_repaired FROM vital.resource_sharing_audit;
-- firing only in replica sessions
ALTER TABLE regress_docs ENABLE REPLICA TRIGGER vital_tenancy_audit;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
-- dropped (as on a table enabled before the trigger existed)
DROP TRIGGER vital_tenancy_audit ON regress_docs;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- something else under its name: other events, or another function
DROP TRIGGER vital_tenancy_audit ON regress_docs;
RESET ROLE;
CREATE TRIGGER vital_tenancy_audit AFTER INSERT ON regress_docs FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
DROP TRIGGER vital_tenancy_audit ON regress_docs;
CREATE FUNCTION pg_temp.regress_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER vital_tenancy_audit AFTER INSERT OR UPDATE OR DELETE ON regress_docs FOR EACH ROW EXECUTE FUNCTION pg_temp.regress_noop();
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
-- the flush trigger: disabled, dropped (as on a table enabled before it
-- existed), firing in other sessions than the row trigger, or something
-- else under its name
ALTER TABLE regress_docs DISABLE TRIGGER vital_tenancy_audit_flush;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
DROP TRIGGER vital_tenancy_audit_flush ON regress_docs;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- without it the row trigger writes each record at once: nothing is lost
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (3, true, 'global');
SELECT resource_id FROM vital.resource_sharing_audit WHERE resource_id = '3';
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
ALTER TABLE regress_docs ENABLE ALWAYS TRIGGER vital_tenancy_audit_flush;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
DROP TRIGGER vital_tenancy_audit_flush ON regress_docs;
RESET ROLE;
CREATE TRIGGER vital_tenancy_audit_flush AFTER DELETE ON regress_docs FOR EACH STATEMENT EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
-- a second run changes nothing
SELECT array_agg(oid ORDER BY tgname) AS triggers_before FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal \gset
SELECT vital.enable_tenancy('regress_docs');
SELECT array_agg(oid ORDER BY tgname)::text = :'triggers_before' AS same_triggers FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal;
ROLLBACK;
