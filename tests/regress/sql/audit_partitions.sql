-- On a partitioned table the row triggers are cloned onto every
-- partition, present and future, WHEN conditions included, and rows are
-- recorded under the partitioned table enable_tenancy protected, whichever
-- partition holds them and however they were reached, so one query gives
-- a resource's history. The doctor checks each partition's copies.
BEGIN;
CREATE TABLE regress_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_events_1 PARTITION OF regress_events FOR VALUES FROM (0) TO (100);
CREATE TABLE regress_events_2 PARTITION OF regress_events FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
CREATE TABLE regress_events_2a PARTITION OF regress_events_2 FOR VALUES FROM (100) TO (200);
ALTER TABLE regress_events OWNER TO vt_app;
ALTER TABLE regress_events_1 OWNER TO vt_app;
ALTER TABLE regress_events_2 OWNER TO vt_app;
ALTER TABLE regress_events_2a OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_events');
SELECT t.tgrelid::regclass, t.tgname, t.tgparentid <> 0 AS cloned, t.tgenabled,
       substring(pg_get_triggerdef(t.oid) from ' WHEN \((.*)\) EXECUTE ')
         = substring(pg_get_triggerdef(p.oid) from ' WHEN \((.*)\) EXECUTE ') AS same_when_as_root
  FROM pg_trigger t JOIN pg_trigger p ON p.tgrelid = 'regress_events'::regclass AND p.tgname = t.tgname
 WHERE t.tgname IN ('vital_tenancy_audit_insert', 'vital_tenancy_audit_update', 'vital_tenancy_audit_delete') ORDER BY 1, 2;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_events (id, is_shared, sharing_mode) VALUES (1, true, 'global'), (101, true, 'global');
INSERT INTO regress_events_2a (id, is_shared, sharing_mode) VALUES (102, true, 'global');
-- moving a row to another partition is a delete and an insert there
UPDATE regress_events SET id = 150 WHERE id = 1;
UPDATE regress_events_2a SET is_shared = false, sharing_mode = 'private' WHERE id = 102;
SELECT action, table_name, resource_id FROM vital.resource_sharing_audit ORDER BY id;
-- a partition attached later gets the row triggers from its parent
RESET ROLE;
CREATE TABLE regress_events_3 (LIKE regress_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE regress_events_3 OWNER TO vt_app;
ALTER TABLE regress_events ATTACH PARTITION regress_events_3 FOR VALUES FROM (200) TO (300);
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_events');
INSERT INTO regress_events (id, is_shared, sharing_mode) VALUES (201, true, 'global');
SELECT action, table_name, resource_id FROM vital.resource_sharing_audit WHERE resource_id = '201';
-- one partition's copy disabled: that partition and its parent are flagged
ALTER TABLE regress_events_2a DISABLE TRIGGER vital_tenancy_audit_insert;
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
SELECT vital.enable_tenancy('regress_events');
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
-- a partition's copy cannot be dropped on its own
SELECT regress.try($$DROP TRIGGER vital_tenancy_audit_update ON regress_events_1$$);
ROLLBACK;
