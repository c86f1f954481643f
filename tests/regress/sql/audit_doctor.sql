-- tenancy_status reports the audit triggers (the insert, update and delete
-- row triggers with their WHEN conditions, and the statement-level flush
-- trigger): any of them missing, disabled, firing only for replicas, or
-- replaced by something else under its name (other events, another
-- function, its WHEN condition removed or changed), the four firing in
-- different sessions, or another trigger running vital.audit_sharing()
-- beside them, they are not ok and the table is not healthy (sharing
-- changes would go unrecorded, or be recorded twice); enable_tenancy puts
-- them right. A table enabled before a trigger existed is one without it.
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
ALTER TABLE regress_docs DISABLE TRIGGER vital_tenancy_audit_insert;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (1, true, 'global');
SELECT count(*) AS recorded_while_disabled FROM vital.resource_sharing_audit;
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (2, true, 'global');
SELECT count(*) AS recorded_once_repaired FROM vital.resource_sharing_audit;
-- firing only in replica sessions
ALTER TABLE regress_docs ENABLE REPLICA TRIGGER vital_tenancy_audit_update;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
-- dropped (as on a table enabled before the trigger existed)
DROP TRIGGER vital_tenancy_audit_delete ON regress_docs;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- its WHEN condition removed: it would fire for every row (nothing lost,
-- but not as installed)
DROP TRIGGER vital_tenancy_audit_insert ON regress_docs;
RESET ROLE;
CREATE TRIGGER vital_tenancy_audit_insert AFTER INSERT ON regress_docs FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND tgname = 'vital_tenancy_audit_insert';
-- its WHEN condition narrowed (a sharing column left out): owner changes
-- would go unrecorded
DROP TRIGGER vital_tenancy_audit_update ON regress_docs;
RESET ROLE;
CREATE TRIGGER vital_tenancy_audit_update AFTER UPDATE ON regress_docs FOR EACH ROW
  WHEN (OLD.is_shared IS DISTINCT FROM NEW.is_shared OR OLD.sharing_mode COLLATE "C" IS DISTINCT FROM NEW.sharing_mode COLLATE "C" OR OLD.shared_with IS DISTINCT FROM NEW.shared_with)
  EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- a column list (UPDATE OF …): a change made by a BEFORE trigger would not fire it
DROP TRIGGER vital_tenancy_audit_update ON regress_docs;
RESET ROLE;
CREATE TRIGGER vital_tenancy_audit_update AFTER UPDATE OF tenant_id, is_shared, sharing_mode, shared_with ON regress_docs FOR EACH ROW
  WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.is_shared IS DISTINCT FROM NEW.is_shared OR OLD.sharing_mode COLLATE "C" IS DISTINCT FROM NEW.sharing_mode COLLATE "C" OR OLD.shared_with IS DISTINCT FROM NEW.shared_with)
  EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- something else under its name: other events, or another function
DROP TRIGGER vital_tenancy_audit_delete ON regress_docs;
RESET ROLE;
CREATE TRIGGER vital_tenancy_audit_delete AFTER INSERT OR DELETE ON regress_docs FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
DROP TRIGGER vital_tenancy_audit_delete ON regress_docs;
CREATE FUNCTION pg_temp.regress_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER vital_tenancy_audit_delete AFTER DELETE ON regress_docs FOR EACH ROW WHEN (OLD.is_shared) EXECUTE FUNCTION pg_temp.regress_noop();
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- another trigger running the audit function beside ours would record
-- every change twice: not ok, and enable_tenancy drops it
RESET ROLE;
CREATE TRIGGER regress_second_audit AFTER INSERT ON regress_docs FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SET LOCAL ROLE vt_app;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
-- the flush trigger: disabled, dropped (as on a table enabled before it
-- existed), firing in other sessions than the row triggers, or something
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
-- all four ALWAYS: a choice enable_tenancy keeps
ALTER TABLE regress_docs ENABLE ALWAYS TRIGGER vital_tenancy_audit_insert, ENABLE ALWAYS TRIGGER vital_tenancy_audit_update,
  ENABLE ALWAYS TRIGGER vital_tenancy_audit_delete, ENABLE ALWAYS TRIGGER vital_tenancy_audit_flush;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_docs');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'regress_docs'::regclass AND NOT tgisinternal ORDER BY tgname;
ALTER TABLE regress_docs ENABLE TRIGGER vital_tenancy_audit_insert, ENABLE TRIGGER vital_tenancy_audit_update,
  ENABLE TRIGGER vital_tenancy_audit_delete, ENABLE TRIGGER vital_tenancy_audit_flush;
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
