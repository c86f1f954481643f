-- enable_tenancy enables and forces row-level security and installs the
-- four policies, replacing a same-named policy that differs; FORCE filters
-- the table's owner too.
BEGIN;
CREATE TABLE regress_agents (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO regress_agents VALUES (1, 'platform agent');
ALTER TABLE regress_agents OWNER TO vt_app;
-- someone's earlier attempt, under the installer's name, and their own policy
CREATE POLICY vital_tenancy_select ON regress_agents FOR SELECT USING (true);
CREATE POLICY regress_own_policy ON regress_agents AS RESTRICTIVE FOR SELECT USING (id > 0);
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_agents');
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'regress_agents'::regclass;
SELECT policyname, permissive, roles, cmd, qual, with_check
  FROM pg_policies WHERE tablename = 'regress_agents' ORDER BY policyname;
-- the owner sees nothing without a context (FORCE), and only what the
-- context allows with one
SELECT count(*) AS owner_without_context FROM regress_agents;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_agents (id, name) VALUES (2, 'acme agent');
SELECT id, name, tenant_id FROM regress_agents ORDER BY id;
SELECT regress.try($$INSERT INTO regress_agents (id, name, tenant_id) VALUES (3, 'x', 'b0000000-0000-4000-8000-000000000002')$$);
ROLLBACK;
