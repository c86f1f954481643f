-- disable_tenancy undoes enable_tenancy: the four policies, row-level
-- security (unless other policies remain), the indexes it created and the
-- registry entry; with drop_columns also the columns and their constraints.
-- A table not enabled gets a notice. Dropping a table forgets it.
BEGIN;
CREATE FUNCTION regress_state(t regclass)
RETURNS TABLE (rls boolean, forced boolean, policies text, indexes text, columns text, constraints text, registered boolean)
LANGUAGE sql AS $$
    SELECT c.relrowsecurity, c.relforcerowsecurity,
           (SELECT string_agg(polname, ', ' ORDER BY polname) FROM pg_policy WHERE polrelid = t),
           (SELECT string_agg(indexrelid::regclass::text, ', ' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = t),
           (SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
             WHERE attrelid = t AND attnum > 0 AND NOT attisdropped),
           (SELECT string_agg(conname, ', ' ORDER BY conname) FROM pg_constraint WHERE conrelid = t AND contype <> 'n'),
           EXISTS (SELECT FROM vital.tenant_tables WHERE table_name = t)
      FROM pg_class c WHERE c.oid = t $$;
-- an index of the owner's that serves the policies is not the installer's to drop
CREATE TABLE regress_kept (id int PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE INDEX regress_kept_own_index ON regress_kept (tenant_id);
CREATE TABLE regress_dropped (id int PRIMARY KEY);
INSERT INTO regress_kept VALUES (1, 'a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_dropped VALUES (1);
ALTER TABLE regress_kept OWNER TO vt_app;
ALTER TABLE regress_dropped OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_kept');
SELECT vital.enable_tenancy('regress_dropped');
SELECT * FROM regress_state('regress_kept');
-- without drop_columns: the columns, their defaults and constraints stay
SELECT vital.disable_tenancy('regress_kept');
SELECT * FROM regress_state('regress_kept');
SELECT id, tenant_id FROM regress_kept;
-- with drop_columns: the table is as it was before
SELECT vital.disable_tenancy('regress_dropped', drop_columns => true);
SELECT * FROM regress_state('regress_dropped');
SELECT * FROM regress_dropped;
-- a second call, or a table never enabled: a notice, nothing else
SELECT vital.disable_tenancy('regress_dropped');
SELECT regress.try($$SELECT vital.disable_tenancy(NULL)$$);
SELECT regress.try($$SELECT vital.disable_tenancy('regress_dropped', NULL)$$);
-- other policies keep row-level security on (they would otherwise stop
-- applying), with a notice
SELECT vital.enable_tenancy('regress_kept');
CREATE POLICY regress_readers ON regress_kept FOR SELECT USING (id < 100);
SELECT vital.disable_tenancy('regress_kept');
SELECT * FROM regress_state('regress_kept');
-- columns another object depends on are not dropped behind its back
DROP POLICY regress_readers ON regress_kept;
SELECT vital.enable_tenancy('regress_kept');
RESET ROLE;
CREATE VIEW regress_kept_view AS SELECT id, tenant_id FROM regress_kept;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.disable_tenancy('regress_kept', true)$$);
SELECT * FROM regress_state('regress_kept');
-- dropping a registered table removes it from the registry
SELECT count(*) AS registered_before FROM vital.tenant_tables;
RESET ROLE;
DROP VIEW regress_kept_view;
SET LOCAL ROLE vt_app;
DROP TABLE regress_kept;
SELECT count(*) AS registered_after FROM vital.tenant_tables;
ROLLBACK;

-- a partitioned table: every partition is released too
BEGIN;
CREATE TABLE regress_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_events_1 PARTITION OF regress_events FOR VALUES FROM (0) TO (100);
SELECT vital.enable_tenancy('regress_events');
SELECT vital.disable_tenancy('regress_events', true);
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_index WHERE indrelid = c.oid) AS indexes,
       (SELECT count(*) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns
  FROM pg_class c WHERE c.relname LIKE 'regress_events%' AND c.relkind IN ('r', 'p') ORDER BY 1;
ROLLBACK;

-- a table never enabled is not even locked
BEGIN;
SELECT vital.disable_tenancy('pg_catalog.pg_class');
SELECT count(*) AS locks_taken FROM pg_locks
 WHERE pid = pg_backend_pid() AND relation = 'pg_catalog.pg_class'::regclass AND mode = 'ShareRowExclusiveLock';
ROLLBACK;
