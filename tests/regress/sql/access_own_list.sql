-- A tenant's own list runs on its ordered index: a query that says
-- tenant_id = vital.get_current_tenant_id() (or the tenant's id as a
-- literal or parameter) and orders by an indexed column walks the index,
-- no sort. The help given to the planner never drops the policy: other
-- quals, ORs, other tables' conditions and leaky functions see only what
-- the tenant may see.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY, name text NOT NULL);
SELECT vital.enable_tenancy('regress_docs');
CREATE INDEX regress_docs_tenant_name ON regress_docs (tenant_id, name);
GRANT SELECT ON regress_docs TO vt_app;
-- 20,000 rows: every 100th the platform's and global; the 50th of each
-- hundred hooli's, shared with acme; the rest private, owned by g % 3.
INSERT INTO regress_docs (id, name, tenant_id, is_shared, sharing_mode, shared_with)
SELECT g, 'doc ' || lpad(g::text, 5, '0'),
       CASE WHEN g % 100 = 0 THEN '00000000-0000-0000-0000-000000000001'::uuid
            WHEN g % 100 = 50 THEN 'd0000000-0000-4000-8000-000000000004'::uuid
            ELSE (ARRAY['a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002',
                        'd0000000-0000-4000-8000-000000000004'])[1 + g % 3]::uuid END,
       g % 50 = 0,
       CASE WHEN g % 100 = 0 THEN 'global' WHEN g % 50 = 0 THEN 'selective' ELSE 'private' END,
       CASE WHEN g % 100 = 50 THEN '{a0000000-0000-4000-8000-000000000001}'::uuid[] ELSE '{}' END
  FROM generate_series(1, 20000) g;
ANALYZE regress_docs;
CREATE FUNCTION regress.own_list_plan(query text) RETURNS TABLE (ordered_index_scan boolean, sorted boolean)
LANGUAGE sql AS $$
    SELECT bool_or(line ~ 'Index Scan using regress_docs_tenant_name'), bool_or(line ~ 'Sort')
      FROM regress.plan_lines(query) AS line
$$;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
-- the three ways of saying "my own"
SELECT * FROM regress.own_list_plan($$SELECT id, name FROM regress_docs
  WHERE tenant_id = vital.get_current_tenant_id() ORDER BY name LIMIT 5$$);
SELECT * FROM regress.own_list_plan($$SELECT id, name FROM regress_docs
  WHERE tenant_id = 'a0000000-0000-4000-8000-000000000001' ORDER BY name LIMIT 5$$);
PREPARE own(uuid) AS SELECT id, name FROM regress_docs WHERE tenant_id = $1 ORDER BY name LIMIT 5;
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT * FROM regress.own_list_plan($$EXECUTE own('a0000000-0000-4000-8000-000000000001')$$);
SET LOCAL plan_cache_mode = auto;
SELECT id, name FROM regress_docs WHERE tenant_id = vital.get_current_tenant_id() ORDER BY name LIMIT 3;
EXECUTE own('a0000000-0000-4000-8000-000000000001');
-- another tenant's id: only what that tenant shares with acme
EXECUTE own('d0000000-0000-4000-8000-000000000004');
SELECT count(*) AS hooli_rows_acme_sees FROM regress_docs WHERE tenant_id = 'd0000000-0000-4000-8000-000000000004';
-- the same prepared statement for globex: globex's own
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
EXECUTE own('b0000000-0000-4000-8000-000000000002');
EXECUTE own('a0000000-0000-4000-8000-000000000001');  -- acme's: nothing shared with globex
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
-- what acme may see, for comparison: 6533 own, 200 global, 200 shared with it
SELECT count(*) AS visible FROM regress_docs;
-- the condition under an OR is no help, and drops nothing
SELECT count(*) AS own_or_everything FROM regress_docs
 WHERE tenant_id = vital.get_current_tenant_id() OR true;
-- on another table of the query: this one keeps its policy
SELECT count(*) AS outer_rows FROM regress_docs a
 WHERE EXISTS (SELECT FROM regress_docs b WHERE b.tenant_id = vital.get_current_tenant_id() AND b.id = a.id + 1);
SELECT count(*) AS pairs FROM regress_docs a JOIN regress_docs b ON b.id = a.id
 WHERE a.tenant_id = vital.get_current_tenant_id();
-- a leaky function in the same query sees only rows the tenant may see
CREATE TEMP TABLE seen (name text);
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN INSERT INTO seen VALUES ($1); RETURN true; END $$;
SELECT count(*) AS leaky_own FROM regress_docs
 WHERE pg_temp.leak(name) AND tenant_id = vital.get_current_tenant_id();
SELECT count(*) AS leaky_other FROM regress_docs
 WHERE pg_temp.leak(name) AND tenant_id = 'b0000000-0000-4000-8000-000000000002';
SELECT count(*) AS leaky_all FROM regress_docs WHERE pg_temp.leak(name);
RESET ROLE;
-- every name the leaky function saw belongs to a row acme may see
SELECT count(*) AS seen, count(*) FILTER (WHERE NOT vital.can_access_resource(d.tenant_id, d.is_shared, d.sharing_mode, d.shared_with, 'a0000000-0000-4000-8000-000000000001')) AS seen_but_not_visible
  FROM seen s JOIN regress_docs d ON d.name = s.name;
ROLLBACK;
