-- The installed policies, on a table whose owner is the application role:
-- FORCE filters the owner too, cached plans (prepared statements with
-- generic plans, PL/pgSQL) follow every context change for reads and
-- writes, and a parallel plan gives the same counts.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY, name text NOT NULL);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
RESET ROLE;
-- rows written as the superuser (who bypasses RLS): 20,000. Every 100th is
-- the platform's, global; the 50th of each hundred is hooli's, shared with
-- acme (every other time) or globex; the rest are private, owned by g % 4.
INSERT INTO regress_docs (id, name, tenant_id, is_shared, sharing_mode, shared_with)
SELECT g, 'doc ' || g,
       CASE WHEN g % 100 = 0 THEN '00000000-0000-0000-0000-000000000001'::uuid
            WHEN g % 100 = 50 THEN 'd0000000-0000-4000-8000-000000000004'::uuid
            ELSE (ARRAY['a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002',
                        'd0000000-0000-4000-8000-000000000004', '00000000-0000-0000-0000-000000000001'])[1 + g % 4]::uuid END,
       g % 50 = 0,
       CASE WHEN g % 100 = 0 THEN 'global' WHEN g % 50 = 0 THEN 'selective' ELSE 'private' END,
       CASE WHEN g % 200 = 50 THEN '{a0000000-0000-4000-8000-000000000001}'::uuid[]
            WHEN g % 200 = 150 THEN '{b0000000-0000-4000-8000-000000000002}'::uuid[] ELSE '{}' END
  FROM generate_series(1, 20000) g;
SELECT tenant_id, sharing_mode, count(*) FROM regress_docs GROUP BY 1, 2 ORDER BY 1, 2;
ANALYZE regress_docs;
SET LOCAL ROLE vt_app;
-- the owner, with no context, sees and changes nothing
SELECT count(*) AS owner_without_context FROM regress_docs;
WITH changed AS (UPDATE regress_docs SET name = 'x' RETURNING 1) SELECT count(*) AS owner_updated FROM changed;
-- prepared statements with generic plans, across context changes
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE visible AS SELECT count(*) FROM regress_docs;
PREPARE rename(int) AS WITH changed AS (UPDATE regress_docs SET name = name || '!' WHERE id = $1 RETURNING 1)
                       SELECT count(*) FROM changed;
EXECUTE visible;       -- no context: nothing
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
EXECUTE visible;       -- platform admin, no tenant: all 20000
EXECUTE rename(5);     -- globex's row: the admin may change it
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
EXECUTE visible;       -- the admin previewing acme: acme's view
EXECUTE rename(9);     -- globex's row: not in acme's view, unchanged
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
EXECUTE visible;       -- acme: 4800 own + 200 global + 100 shared with it
EXECUTE rename(4);     -- acme's own row
EXECUTE rename(50);    -- hooli's row shared with acme: read, never changed
SELECT vital.set_user_context('ffffffff-ffff-4fff-8fff-ffffffffffff');
SELECT vital.set_tenant_context('d0000000-0000-4000-8000-000000000004');
EXECUTE visible;       -- hooli: 5000 own + 200 global
EXECUTE rename(4);     -- acme's row: not hooli's
RESET ROLE;
SELECT id, name FROM regress_docs WHERE id IN (4, 5, 9, 50) ORDER BY id;
-- PL/pgSQL caches its plans too
CREATE FUNCTION regress_count_docs() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN RETURN (SELECT count(*) FROM regress_docs); END $$;
SET LOCAL ROLE vt_app;
SELECT regress_count_docs() AS hooli_plpgsql;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT regress_count_docs() AS acme_plpgsql;
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT regress_count_docs() AS admin_plpgsql;
-- parallel workers give the same counts
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SET LOCAL plan_cache_mode = auto;
-- force_parallel_mode is called debug_parallel_query since PostgreSQL 16
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query'
            ELSE 'force_parallel_mode' END AS force_parallel \gset
SET LOCAL :force_parallel = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_indexonlyscan = off;
SELECT count(*) AS acme_parallel FROM regress_docs;
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_docs;
ROLLBACK;
