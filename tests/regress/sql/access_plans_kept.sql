-- Cached plans do not depend on which tenant is current: a prepared
-- statement executed across many tenant switches is planned once and
-- returns each tenant's rows only. Only plans that folded the admin bypass
-- or the absence of a context are planned again, when that stops holding.
-- (pg_stat_statements counts the plannings.)
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY, name text NOT NULL);
SELECT vital.enable_tenancy('regress_docs');
GRANT SELECT ON regress_docs TO vt_app;
-- 300 rows: acme, globex and hooli own 99 each; 3 are global (the platform's)
INSERT INTO regress_docs (id, name, tenant_id, is_shared, sharing_mode)
SELECT g, 'doc ' || lpad(g::text, 3, '0'),
       CASE WHEN g % 100 = 0 THEN '00000000-0000-0000-0000-000000000001'::uuid
            ELSE (ARRAY['a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002',
                        'd0000000-0000-4000-8000-000000000004'])[1 + g % 3]::uuid END,
       g % 100 = 0, CASE WHEN g % 100 = 0 THEN 'global' ELSE 'private' END
  FROM generate_series(1, 300) g;
ANALYZE regress_docs;
-- a SQL function (not inlined: it reads a table) and a PL/pgSQL one
CREATE FUNCTION regress_first_sql() RETURNS int LANGUAGE sql STABLE AS 'SELECT min(id) FROM regress_docs';
CREATE FUNCTION regress_last_plpgsql() RETURNS int LANGUAGE plpgsql STABLE AS $$
BEGIN RETURN (SELECT max(id) FROM regress_docs WHERE tenant_id = vital.get_current_tenant_id()); END $$;
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
SET LOCAL ROLE vt_app;
SET LOCAL plan_cache_mode = force_generic_plan;  -- else lookup's first five are custom plans
PREPARE visible AS SELECT count(*) FROM regress_docs;
PREPARE own_first AS SELECT min(name) FROM regress_docs WHERE tenant_id = vital.get_current_tenant_id();
PREPARE lookup(int) AS SELECT id, tenant_id FROM regress_docs WHERE id = $1;
-- nine switches between three tenants
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
EXECUTE visible; EXECUTE own_first; EXECUTE lookup(1);
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
EXECUTE visible; EXECUTE own_first; EXECUTE lookup(1);
SELECT vital.set_user_context('ffffffff-ffff-4fff-8fff-ffffffffffff') IS NOT NULL AS frank,
       vital.set_tenant_context('d0000000-0000-4000-8000-000000000004') IS NOT NULL AS hooli;
EXECUTE visible; EXECUTE own_first; EXECUTE lookup(1);
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
EXECUTE visible; EXECUTE own_first; EXECUTE lookup(1);
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
EXECUTE visible; EXECUTE own_first; EXECUTE lookup(1);
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002', true) IS NOT NULL AS globex_again;
EXECUTE visible;
-- functions' cached plans follow too: globex, then acme
SELECT regress_first_sql() AS globex_first_sql, regress_last_plpgsql() AS globex_last_plpgsql;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT regress_first_sql() AS acme_first_sql, regress_last_plpgsql() AS acme_last_plpgsql;
RESET ROLE;
SELECT regexp_replace(query, '\s+', ' ', 'g') AS statement, calls, plans
  FROM pg_stat_statements WHERE query ~ '^PREPARE' ORDER BY query;
-- A plan made with no context folds it (nothing visible) and is planned
-- again once a tenant is set; a plan made for a tenant, run with no
-- context, shows nothing either. The admin bypass: planned again for the
-- admin, and again for the admin's preview of a tenant.
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
SET LOCAL ROLE vt_app;
SELECT vital.clear_context();
EXECUTE visible;     -- the plan for tenants, with no context: nothing
PREPARE visible_later AS SELECT count(id) FROM regress_docs;
EXECUTE visible_later;  -- planned with no context: nothing
EXECUTE visible_later;  -- the same plan
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice;
EXECUTE visible_later;  -- a user, no tenant: still nothing, the same plan
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
EXECUTE visible_later;  -- acme: planned again
EXECUTE visible;        -- acme: the same plan as ever
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd') IS NOT NULL AS dave;
EXECUTE visible;     -- the platform admin: everything (planned again: bypass)
EXECUTE visible;     -- the same plan
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS preview_globex;
EXECUTE visible;     -- globex's view (planned again)
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
EXECUTE visible;     -- globex: the same plan
EXECUTE visible_later;  -- globex: planned again (the admin's bypass re-planned plans for tenants)
RESET ROLE;
SELECT regexp_replace(query, '\s+', ' ', 'g') AS statement, calls, plans
  FROM pg_stat_statements WHERE query ~ '^PREPARE visible' ORDER BY query;
ROLLBACK;
