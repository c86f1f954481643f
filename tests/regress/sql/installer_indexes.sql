-- enable_tenancy creates the indexes the policies need unless equivalent
-- ones exist, once; the planner uses them for a tenant's reads.
BEGIN;
CREATE FUNCTION regress_indexes(t regclass) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = t ORDER BY 1 $$;
CREATE TABLE regress_docs (id int PRIMARY KEY, name text NOT NULL);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT * FROM regress_indexes('regress_docs');
SELECT created_indexes FROM vital.tenant_tables WHERE table_name = 'regress_docs'::regclass;
-- a second run creates none
SELECT vital.enable_tenancy('regress_docs');
SELECT count(*) AS indexes_after_second_run FROM pg_index WHERE indrelid = 'regress_docs'::regclass;
SELECT created_indexes FROM vital.tenant_tables WHERE table_name = 'regress_docs'::regclass;
RESET ROLE;

-- indexes that serve as well are kept and not duplicated; a partial one on
-- other rows does not count
CREATE TABLE regress_tasks (
    id int PRIMARY KEY, tenant_id uuid NOT NULL, created_at timestamptz,
    is_shared boolean NOT NULL DEFAULT false, sharing_mode text NOT NULL DEFAULT 'private',
    shared_with uuid[] NOT NULL DEFAULT '{}');
CREATE INDEX regress_tasks_by_tenant ON regress_tasks (tenant_id, created_at);
CREATE INDEX regress_tasks_sharing ON regress_tasks (sharing_mode);
CREATE INDEX regress_tasks_partial ON regress_tasks USING gin (shared_with) WHERE sharing_mode = 'global';
ALTER TABLE regress_tasks OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_tasks');
SELECT * FROM regress_indexes('regress_tasks');
SELECT created_indexes FROM vital.tenant_tables WHERE table_name = 'regress_tasks'::regclass;
RESET ROLE;

-- the planner serves each rule from its index
INSERT INTO regress_docs (id, name, tenant_id, is_shared, sharing_mode, shared_with)
SELECT g, 'doc ' || g,
       CASE g % 4 WHEN 0 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
                  WHEN 1 THEN 'b0000000-0000-4000-8000-000000000002'::uuid
                  ELSE 'd0000000-0000-4000-8000-000000000004'::uuid END,
       g % 50 = 0,
       CASE WHEN g % 100 = 0 THEN 'global' WHEN g % 50 = 0 THEN 'selective' ELSE 'private' END,
       CASE WHEN g % 100 = 50 THEN '{a0000000-0000-4000-8000-000000000001}'::uuid[] ELSE '{}' END
  FROM generate_series(1, 20000) g;
ANALYZE regress_docs;
SET LOCAL ROLE vt_app;
SET LOCAL enable_seqscan = off;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_docs;
SELECT count(*) AS acme_sees FROM regress_docs;
RESET ROLE;
-- where selective sharing is common, rows shared with acme come from the
-- GIN index (partial: it holds selectively shared rows only)
TRUNCATE regress_docs;
INSERT INTO regress_docs (id, name, tenant_id, is_shared, sharing_mode, shared_with)
SELECT g, 'doc ' || g, 'b0000000-0000-4000-8000-000000000002', true, 'selective',
       CASE WHEN g % 2000 = 0 THEN '{a0000000-0000-4000-8000-000000000001}'::uuid[]
            ELSE '{d0000000-0000-4000-8000-000000000004}' END
  FROM generate_series(1, 20000) g;
ANALYZE regress_docs;
SET LOCAL ROLE vt_app;
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_docs;
SELECT count(*) AS shared_with_acme FROM regress_docs;
ROLLBACK;
