-- disable_tenancy(t, keep_closed => true) takes the table out of
-- vital_tenancy but leaves it closed: its policies, audit triggers, created
-- indexes and registry row go, row-level security stays enabled and forced
-- (forced again if someone had unforced it), so nobody but superusers and
-- BYPASSRLS roles reads it, its owner included. With drop_columns the
-- columns go too, and the table stays closed. enable_tenancy protects it
-- again with the rows' tenants as they were.
BEGIN;
CREATE FUNCTION regress_state(t regclass)
RETURNS TABLE (rls boolean, forced boolean, policies bigint, triggers bigint, indexes bigint, columns text, registered boolean)
LANGUAGE sql AS $$
    SELECT c.relrowsecurity, c.relforcerowsecurity,
           (SELECT count(*) FROM pg_policy WHERE polrelid = t),
           (SELECT count(*) FROM pg_trigger WHERE tgrelid = t AND NOT tgisinternal),
           (SELECT count(*) FROM pg_index WHERE indrelid = t),
           (SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
             WHERE attrelid = t AND attnum > 0 AND NOT attisdropped),
           EXISTS (SELECT FROM vital.tenant_tables WHERE table_name = t)
      FROM pg_class c WHERE c.oid = t $$;
CREATE TABLE regress_closed (id int PRIMARY KEY, title text);
CREATE TABLE regress_closed_bare (id int PRIMARY KEY, title text);
INSERT INTO regress_closed VALUES (1, 'one'), (2, 'two');
INSERT INTO regress_closed_bare VALUES (1, 'one');
ALTER TABLE regress_closed OWNER TO vt_app;
ALTER TABLE regress_closed_bare OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_closed', default_owner => 'a0000000-0000-4000-8000-000000000001');
SELECT vital.enable_tenancy('regress_closed_bare');
-- someone unforced it: keep_closed forces it again
ALTER TABLE regress_closed NO FORCE ROW LEVEL SECURITY;
SELECT vital.disable_tenancy('regress_closed', keep_closed => true);
SELECT * FROM regress_state('regress_closed');
-- the owner sees nothing, and cannot write
SELECT count(*) AS owner_sees FROM regress_closed;
SELECT regress.try($$INSERT INTO regress_closed (id, title) VALUES (3, 'three')$$);
-- a superuser still reads every row, with its tenant
RESET ROLE;
SELECT id, tenant_id FROM regress_closed ORDER BY id;
SET LOCAL ROLE vt_app;
-- enable_tenancy protects it again; the rows keep their owners
SELECT vital.enable_tenancy('regress_closed');
SELECT rls, forced, policies, triggers, registered FROM regress_state('regress_closed');
RESET ROLE;
SELECT id, tenant_id FROM regress_closed ORDER BY id;
SET LOCAL ROLE vt_app;
-- with drop_columns: the columns go, the table stays closed
SELECT vital.disable_tenancy('regress_closed_bare', drop_columns => true, keep_closed => true);
SELECT * FROM regress_state('regress_closed_bare');
SELECT count(*) AS owner_sees FROM regress_closed_bare;
-- NULL is refused; a table not enabled: nothing to do
SELECT regress.try($$SELECT vital.disable_tenancy('regress_closed', keep_closed => NULL)$$);
SELECT vital.disable_tenancy('regress_closed_bare', keep_closed => true);
ROLLBACK;

-- other policies still apply on a table kept closed, and it says so
BEGIN;
CREATE TABLE regress_closed (id int PRIMARY KEY);
INSERT INTO regress_closed VALUES (1), (200);
ALTER TABLE regress_closed OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_closed');
CREATE POLICY regress_low_ids ON regress_closed FOR SELECT USING (id < 100);
SELECT vital.disable_tenancy('regress_closed', keep_closed => true);
SELECT c.relrowsecurity, c.relforcerowsecurity,
       (SELECT string_agg(polname, ', ') FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class c WHERE c.oid = 'regress_closed'::regclass;
SELECT id FROM regress_closed;
ROLLBACK;

-- a partitioned table: every partition is kept closed
BEGIN;
CREATE TABLE regress_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_events_1 PARTITION OF regress_events FOR VALUES FROM (0) TO (100);
SELECT vital.enable_tenancy('regress_events');
ALTER TABLE regress_events_1 NO FORCE ROW LEVEL SECURITY;
SELECT vital.disable_tenancy('regress_events', keep_closed => true);
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal) AS triggers
  FROM pg_class c WHERE c.relname LIKE 'regress_events%' AND c.relkind IN ('r', 'p') ORDER BY 1;
SELECT count(*) AS registered FROM vital.tenant_tables WHERE table_name::text LIKE 'regress_events%';
ROLLBACK;
