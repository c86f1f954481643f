-- Policies calling the access checks use indexes, and cached plans never
-- carry one context's visibility over to the next.
BEGIN;
CREATE TABLE regress_docs (
    id int PRIMARY KEY, name text NOT NULL,
    tenant_id uuid NOT NULL, is_shared boolean NOT NULL, sharing_mode text NOT NULL, shared_with uuid[] NOT NULL);
INSERT INTO regress_docs
SELECT g, 'doc ' || g,
       CASE g % 4 WHEN 0 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
                  WHEN 1 THEN 'b0000000-0000-4000-8000-000000000002'::uuid
                  ELSE 'd0000000-0000-4000-8000-000000000004'::uuid END,
       g % 50 = 0,
       CASE WHEN g % 100 = 0 THEN 'global' WHEN g % 50 = 0 THEN 'selective' ELSE 'private' END,
       CASE WHEN g % 100 = 50 THEN '{a0000000-0000-4000-8000-000000000001}'::uuid[] ELSE '{}' END
  FROM generate_series(1, 20000) g;
CREATE INDEX ON regress_docs (tenant_id);
CREATE INDEX ON regress_docs (sharing_mode) WHERE is_shared;
CREATE INDEX ON regress_docs USING gin (shared_with);
ALTER TABLE regress_docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE regress_docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON regress_docs FOR SELECT
    USING (vital.can_access_resource(tenant_id, is_shared, sharing_mode, shared_with));
GRANT SELECT ON regress_docs TO vt_app;
ANALYZE regress_docs;
SET LOCAL ROLE vt_app;
SET LOCAL enable_seqscan = off;  -- the plans below must not depend on table size
-- no context: a constant false, nothing read
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_docs;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
-- a tenant: three index scans, OR-ed
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_docs;
SELECT count(*) AS acme_sees FROM regress_docs;
-- prepared statements, forced generic plans, across context changes
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE visible AS SELECT count(*) FROM regress_docs;
PREPARE lookup(int) AS SELECT id, tenant_id FROM regress_docs WHERE id = $1;
EXECUTE visible;
EXECUTE lookup(5);   -- globex's private row: invisible to acme
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
EXECUTE visible;     -- admin, no tenant: everything
EXECUTE lookup(5);
EXPLAIN (COSTS OFF) EXECUTE visible;
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
EXECUTE visible;     -- admin previewing globex: globex's view
EXECUTE lookup(5);
SELECT vital.clear_context();
EXECUTE visible;     -- nothing
SELECT vital.set_user_context('ffffffff-ffff-4fff-8fff-ffffffffffff');
SELECT vital.set_tenant_context('d0000000-0000-4000-8000-000000000004');
EXECUTE visible;     -- hooli
-- PL/pgSQL caches its plans too
RESET ROLE;
CREATE FUNCTION regress_count_docs() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN RETURN (SELECT count(*) FROM regress_docs); END $$;
SET LOCAL ROLE vt_app;
SELECT regress_count_docs() AS hooli_plpgsql;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT regress_count_docs() AS acme_plpgsql;
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT regress_count_docs() AS admin_plpgsql;
-- a parallel plan gives the same counts
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SET LOCAL enable_seqscan = on;
SET LOCAL plan_cache_mode = auto;
-- force_parallel_mode is called debug_parallel_query since PostgreSQL 16
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query'
            ELSE 'force_parallel_mode' END AS force_parallel \gset
SET LOCAL :force_parallel = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT count(*) AS acme_parallel FROM regress_docs;
SELECT count(*) AS acme_parallel_direct FROM regress_docs
 WHERE vital.can_access_resource(tenant_id, is_shared, sharing_mode, shared_with, vital.get_current_tenant_id());
ROLLBACK;

-- A revoked platform admin loses the bypass by the next transaction, even
-- through a plan cached in the session.
CREATE TABLE regress_revoke (id int PRIMARY KEY, tenant_id uuid NOT NULL, is_shared boolean NOT NULL,
                             sharing_mode text NOT NULL, shared_with uuid[] NOT NULL);
INSERT INTO regress_revoke VALUES (1, 'b0000000-0000-4000-8000-000000000002', false, 'private', '{}');
ALTER TABLE regress_revoke ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON regress_revoke FOR SELECT
    USING (vital.can_access_resource(tenant_id, is_shared, sharing_mode, shared_with));
GRANT SELECT ON regress_revoke TO vt_app;
SELECT vital.grant_platform_admin('77777777-7777-4777-8777-777777777777');
SET ROLE vt_app;
SET plan_cache_mode = force_generic_plan;
SELECT vital.set_user_context('77777777-7777-4777-8777-777777777777');
PREPARE revoked AS SELECT count(*) FROM regress_revoke;
EXECUTE revoked;
RESET ROLE;
SELECT vital.revoke_platform_admin('77777777-7777-4777-8777-777777777777');
SET ROLE vt_app;
EXECUTE revoked;
RESET ROLE;
DROP TABLE regress_revoke;
