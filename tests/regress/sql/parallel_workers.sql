-- Parallel workers see the leader's context and give the same answers.
BEGIN;
CREATE TABLE regress_rows AS
    SELECT g, CASE WHEN g % 4 = 0 THEN 'b0000000-0000-4000-8000-000000000002'::uuid
                   ELSE 'a0000000-0000-4000-8000-000000000001'::uuid END AS tenant_id
      FROM generate_series(1, 20000) g;
GRANT SELECT ON regress_rows TO vt_app;
ANALYZE regress_rows;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', true);
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true);
SELECT count(*) AS serial FROM regress_rows WHERE tenant_id = vital.get_current_tenant_id();
-- force_parallel_mode is called debug_parallel_query since PostgreSQL 16
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query'
            ELSE 'force_parallel_mode' END AS force_parallel \gset
SET LOCAL :force_parallel = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_rows WHERE tenant_id = vital.get_current_tenant_id();
SELECT count(*) AS parallel FROM regress_rows WHERE tenant_id = vital.get_current_tenant_id();
-- evaluated per row, in the workers
SELECT count(*) AS parallel_user FROM regress_rows
 WHERE g::text || vital.current_user_id()::text LIKE '%aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
-- the setters are PARALLEL UNSAFE: a query that calls them is never parallel
EXPLAIN (COSTS OFF) SELECT vital.set_tenant_context(tenant_id) FROM regress_rows LIMIT 1;
ROLLBACK;
