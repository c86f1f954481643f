-- tenancy_status reports, per registered table, whether what
-- enable_tenancy installed is intact: RLS enabled and forced, the four
-- policies unchanged, no other permissive policy (restrictive ones are
-- listed but only narrow access).
BEGIN;
CREATE TABLE regress_agents (id int PRIMARY KEY);
CREATE TABLE regress_tools (id int PRIMARY KEY);
ALTER TABLE regress_agents OWNER TO vt_app;
ALTER TABLE regress_tools OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_agents');
SELECT vital.enable_tenancy('regress_tools');
SELECT * FROM vital.tenancy_status();
-- a permissive policy opens the table: unhealthy, named
CREATE POLICY regress_open ON regress_agents FOR SELECT USING (true);
SELECT * FROM vital.tenancy_status();
-- a restrictive one only narrows: listed, still healthy
DROP POLICY regress_open ON regress_agents;
CREATE POLICY regress_narrow ON regress_agents AS RESTRICTIVE FOR SELECT USING (id > 0);
SELECT * FROM vital.tenancy_status();
-- FORCE off: the owner would bypass the policies
ALTER TABLE regress_tools NO FORCE ROW LEVEL SECURITY;
SELECT table_name, rls_enabled, rls_forced, policies_ok, healthy FROM vital.tenancy_status();
ALTER TABLE regress_tools DISABLE ROW LEVEL SECURITY;
SELECT table_name, rls_enabled, rls_forced, policies_ok, healthy FROM vital.tenancy_status();
-- a dropped policy, a changed expression, command, role or kind
SELECT vital.enable_tenancy('regress_tools');
DROP POLICY vital_tenancy_delete ON regress_tools;
SELECT table_name, policies_ok, healthy FROM vital.tenancy_status() WHERE table_name = 'regress_tools'::regclass;
SELECT vital.enable_tenancy('regress_tools');
ALTER POLICY vital_tenancy_select ON regress_tools USING (vital.can_access_resource(tenant_id, true, 'global', shared_with));
SELECT table_name, policies_ok, healthy FROM vital.tenancy_status() WHERE table_name = 'regress_tools'::regclass;
SELECT vital.enable_tenancy('regress_tools');
ALTER POLICY vital_tenancy_update ON regress_tools WITH CHECK (true);
SELECT table_name, policies_ok, healthy FROM vital.tenancy_status() WHERE table_name = 'regress_tools'::regclass;
SELECT vital.enable_tenancy('regress_tools');
ALTER POLICY vital_tenancy_insert ON regress_tools TO vt_client;
SELECT table_name, policies_ok, healthy FROM vital.tenancy_status() WHERE table_name = 'regress_tools'::regclass;
SELECT vital.enable_tenancy('regress_tools');
DROP POLICY vital_tenancy_delete ON regress_tools;
CREATE POLICY vital_tenancy_delete ON regress_tools FOR ALL USING (vital.can_modify_resource(tenant_id));
SELECT table_name, policies_ok, healthy FROM vital.tenancy_status() WHERE table_name = 'regress_tools'::regclass;
DROP POLICY vital_tenancy_delete ON regress_tools;
CREATE POLICY vital_tenancy_delete ON regress_tools AS RESTRICTIVE FOR DELETE USING (vital.can_modify_resource(tenant_id));
SELECT table_name, policies_ok, healthy FROM vital.tenancy_status() WHERE table_name = 'regress_tools'::regclass;
-- enable_tenancy repairs it
SELECT vital.enable_tenancy('regress_tools');
SELECT * FROM vital.tenancy_status();
-- anyone may ask
RESET ROLE;
SET LOCAL ROLE vt_client;
SELECT table_name, healthy FROM vital.tenancy_status();
ROLLBACK;
-- the function's properties
SELECT proname, provolatile, proparallel, proisstrict, prosecdef, proconfig
  FROM pg_proc WHERE pronamespace = 'vital'::regnamespace
   AND proname IN ('enable_tenancy', 'disable_tenancy', 'tenancy_status') ORDER BY proname;
SELECT pg_get_function_arguments(oid) FROM pg_proc
 WHERE pronamespace = 'vital'::regnamespace AND proname IN ('enable_tenancy', 'disable_tenancy') ORDER BY proname;
