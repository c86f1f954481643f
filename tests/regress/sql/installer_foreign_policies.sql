-- enable_tenancy leaves no permissive policy it did not install: it refuses
-- a table that has one (listing each, nothing changed), drops them with
-- replace_policies => true (saying so), and keeps restrictive ones. Checked
-- as an anonymous client and as a tenant on the seeds' kind of table.
\set SHOW_CONTEXT never
BEGIN;
CREATE TABLE regress_fp_agents (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO regress_fp_agents VALUES (1, 'platform agent'), (2, 'another');
ALTER TABLE regress_fp_agents OWNER TO vt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON regress_fp_agents TO vt_client;
-- a Supabase-style open read policy, the PL/pgSQL design's own policy on a
-- forgeable setting, and a restrictive one of the DBA's
CREATE POLICY "Enable read access for all users" ON regress_fp_agents FOR SELECT USING (true);
CREATE POLICY tenant_isolation ON regress_fp_agents TO vt_client, vt_app
    USING (name = current_setting('app.current_tenant', true))
    WITH CHECK (name = current_setting('app.current_tenant', true));
CREATE POLICY regress_no_deleted ON regress_fp_agents AS RESTRICTIVE FOR SELECT USING (id > 0);
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_fp_agents')$$) AS refused;
-- the message lists every permissive policy
SELECT vital.enable_tenancy('regress_fp_agents');
ROLLBACK;

BEGIN;
CREATE TABLE regress_fp_agents (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO regress_fp_agents VALUES (1, 'platform agent'), (2, 'another');
ALTER TABLE regress_fp_agents OWNER TO vt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON regress_fp_agents TO vt_client;
CREATE POLICY "Enable read access for all users" ON regress_fp_agents FOR SELECT USING (true);
CREATE POLICY regress_no_deleted ON regress_fp_agents AS RESTRICTIVE FOR SELECT USING (id > 0);
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_fp_agents')$$) AS refused;
-- nothing was changed
SELECT count(*) AS tenancy_columns FROM pg_attribute
 WHERE attrelid = 'regress_fp_agents'::regclass AND attname IN ('tenant_id', 'sharing_mode');
SELECT relrowsecurity FROM pg_class WHERE oid = 'regress_fp_agents'::regclass;
SELECT count(*) AS registered FROM vital.tenant_tables WHERE table_name = 'regress_fp_agents'::regclass;
-- replace_policies drops the permissive one, keeps the restrictive one
SELECT vital.enable_tenancy('regress_fp_agents', replace_policies => true);
SELECT policyname, permissive FROM pg_policies WHERE tablename = 'regress_fp_agents' ORDER BY policyname;
-- an anonymous client sees nothing; a tenant sees only what it may
SET LOCAL ROLE vt_client;
SELECT count(*) AS anonymous_rows FROM regress_fp_agents;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT count(*) AS acme_rows FROM regress_fp_agents;
SELECT regress.try($$INSERT INTO regress_fp_agents (id, name, tenant_id) VALUES (3, 'x', '00000000-0000-0000-0000-000000000001')$$) AS insert_as_platform;
SELECT vital.clear_context();
-- the restrictive policy is reported on every run
SELECT vital.enable_tenancy('regress_fp_agents');
-- a permissive policy added after enable_tenancy: the doctor says unhealthy,
-- and enable_tenancy run again refuses it too
RESET ROLE;
CREATE POLICY regress_reopened ON regress_fp_agents FOR ALL USING (true);
SET LOCAL ROLE vt_app;
SELECT healthy, extra_policies FROM vital.tenancy_status() WHERE table_name = 'regress_fp_agents'::regclass;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_fp_agents')$$) AS refused_again;
SELECT vital.enable_tenancy('regress_fp_agents', replace_policies => true);
SELECT healthy, extra_policies FROM vital.tenancy_status() WHERE table_name = 'regress_fp_agents'::regclass;
ROLLBACK;

-- a partition's own permissive policy (it applies when the partition is
-- queried directly) is found too
BEGIN;
CREATE TABLE regress_fp_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_fp_events_1 PARTITION OF regress_fp_events FOR VALUES FROM (0) TO (100);
ALTER TABLE regress_fp_events OWNER TO vt_app;
ALTER TABLE regress_fp_events_1 OWNER TO vt_app;
CREATE POLICY regress_open_part ON regress_fp_events_1 FOR SELECT USING (true);
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_fp_events')$$) AS refused;
SELECT vital.enable_tenancy('regress_fp_events', replace_policies => true);
SELECT tablename, count(*) FILTER (WHERE policyname LIKE 'vital\_tenancy\_%') AS installed,
       count(*) FILTER (WHERE policyname NOT LIKE 'vital\_tenancy\_%') AS others
  FROM pg_policies WHERE tablename LIKE 'regress_fp_events%' GROUP BY tablename ORDER BY tablename;
ROLLBACK;

-- NULL is not an option value
SET ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('vital.tenants', replace_policies => NULL)$$) AS null_option;
RESET ROLE;
