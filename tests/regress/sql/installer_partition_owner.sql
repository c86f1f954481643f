-- The owner of a protected partitioned table, not a superuser, creates and
-- attaches partitions: each gets the sharing columns, the indexes and the
-- audit row trigger from PostgreSQL; rows written to it through the parent
-- are filtered and recorded; enable_tenancy, run again, adds RLS, the
-- policies and the flush trigger.
BEGIN;
CREATE ROLE regress_owner;
GRANT CREATE ON SCHEMA public TO regress_owner;
SET LOCAL ROLE regress_owner;
CREATE TABLE regress_items (id int PRIMARY KEY, what text) PARTITION BY RANGE (id);
CREATE TABLE regress_items_1 PARTITION OF regress_items FOR VALUES FROM (0) TO (100);
SELECT vital.enable_tenancy('regress_items', 'a0000000-0000-4000-8000-000000000001');
-- created as a partition
SELECT regress.try($$CREATE TABLE regress_items_2 PARTITION OF regress_items FOR VALUES FROM (100) TO (200)$$);
-- created apart, then attached
CREATE TABLE regress_items_3 (LIKE regress_items INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
SELECT regress.try($$ALTER TABLE regress_items ATTACH PARTITION regress_items_3 FOR VALUES FROM (200) TO (300)$$);
SELECT c.relname,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
           AND a.attname IN ('tenant_id', 'is_shared', 'sharing_mode', 'shared_with', 'resource_type')) AS sharing_columns,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes,
       (SELECT string_agg(t.tgname, ', ' ORDER BY t.tgname) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) AS triggers
  FROM pg_class c WHERE c.relname LIKE 'regress_items_%' AND c.relkind = 'r' ORDER BY c.relname;
-- acme writes through the parent into the new partitions: filtered, recorded
RESET ROLE;
GRANT SELECT, INSERT, UPDATE ON regress_items TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
INSERT INTO regress_items (id, what, is_shared, sharing_mode) VALUES (150, 'new partition', true, 'global'), (250, 'attached', false, 'private');
UPDATE regress_items SET is_shared = true, sharing_mode = 'global' WHERE id = 250;
SELECT regress.try($$INSERT INTO regress_items (id, what, tenant_id) VALUES (151, 'for globex', 'b0000000-0000-4000-8000-000000000002')$$);
SELECT id, what, tenant_id FROM regress_items ORDER BY id;
SELECT table_name, resource_id, action FROM vital.resource_sharing_audit ORDER BY id;
-- the doctor flags the new partitions until enable_tenancy runs again
RESET ROLE;
SET LOCAL ROLE regress_owner;
SELECT table_name, healthy FROM vital.tenancy_status() WHERE table_name::text LIKE 'regress_items%';
SELECT vital.enable_tenancy('regress_items');
SELECT table_name, healthy FROM vital.tenancy_status() WHERE table_name::text LIKE 'regress_items%';
ROLLBACK;
