-- disable_tenancy(t, drop_columns => true) on a table that is no longer
-- registered (disabled earlier without drop_columns) drops the sharing
-- columns that are recognisably vital_tenancy's: marked by its foreign key
-- to vital.tenants, its default vital.get_current_tenant_id(), its CHECK
-- vital_tenancy_sharing_check, or an index exactly as it creates it under
-- PostgreSQL's name for it; once one of those is there, a sharing column
-- with exactly the installer's type and default is its too. Any other
-- column is kept, with a notice saying why. A table with none of them:
-- nothing to do. Row-level security is left as it is.
BEGIN;
CREATE FUNCTION regress_state(t regclass)
RETURNS TABLE (rls boolean, forced boolean, columns text, constraints text, indexes text)
LANGUAGE sql AS $$
    SELECT c.relrowsecurity, c.relforcerowsecurity,
           (SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
             WHERE attrelid = t AND attnum > 0 AND NOT attisdropped),
           (SELECT string_agg(conname, ', ' ORDER BY conname) FROM pg_constraint WHERE conrelid = t AND contype <> 'n'),  -- 18 lists NOT NULL
           (SELECT string_agg(indexrelid::regclass::text, ', ' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = t)
      FROM pg_class c WHERE c.oid = t $$;
CREATE TABLE regress_left (id int PRIMARY KEY, title text);
CREATE TABLE regress_changed (id int PRIMARY KEY);
CREATE TABLE regress_closed (id int PRIMARY KEY);
ALTER TABLE regress_left OWNER TO vt_app;
ALTER TABLE regress_changed OWNER TO vt_app;
ALTER TABLE regress_closed OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_left');
SELECT vital.enable_tenancy('regress_changed');
SELECT vital.enable_tenancy('regress_closed');
SELECT vital.disable_tenancy('regress_left');
SELECT vital.disable_tenancy('regress_changed');
SELECT vital.disable_tenancy('regress_closed', keep_closed => true);
-- without drop_columns: nothing to do, and the notice says what is left
SELECT vital.disable_tenancy('regress_left');
SELECT * FROM regress_state('regress_left');
-- with it: the five columns go, with the foreign key and the CHECK
SELECT vital.disable_tenancy('regress_left', drop_columns => true);
SELECT * FROM regress_state('regress_left');
-- and then there is nothing left to do
SELECT vital.disable_tenancy('regress_left', drop_columns => true);
-- a column whose default the owner changed, with no other mark, is kept
ALTER TABLE regress_changed ALTER COLUMN shared_with SET DEFAULT '{a0000000-0000-4000-8000-000000000001}';
SELECT vital.disable_tenancy('regress_changed', drop_columns => true);
SELECT * FROM regress_state('regress_changed');
-- a table kept closed stays closed
SELECT vital.disable_tenancy('regress_closed', drop_columns => true);
SELECT * FROM regress_state('regress_closed');
ROLLBACK;

-- a table that was never enabled keeps its columns of the same names
BEGIN;
CREATE TABLE regress_own (id int PRIMARY KEY, tenant_id uuid NOT NULL, is_shared boolean NOT NULL DEFAULT false,
                          sharing_mode text DEFAULT 'private', shared_with uuid[] DEFAULT '{}', resource_type text DEFAULT 'custom');
CREATE INDEX regress_own_tenant ON regress_own (tenant_id);
ALTER TABLE regress_own OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.disable_tenancy('regress_own', drop_columns => true);
SELECT string_agg(attname, ', ' ORDER BY attnum) AS columns FROM pg_attribute
 WHERE attrelid = 'regress_own'::regclass AND attnum > 0 AND NOT attisdropped;
-- only the owner (or a superuser) may
RESET ROLE;
CREATE TABLE regress_theirs (id int PRIMARY KEY);
SELECT vital.enable_tenancy('regress_theirs');
SELECT vital.disable_tenancy('regress_theirs');
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.disable_tenancy('regress_theirs', drop_columns => true)$$);
ROLLBACK;

-- one of the installer's partial indexes, under PostgreSQL's name for it,
-- marks its column (DROP EXTENSION ... CASCADE leaves only the indexes),
-- and then the btree index on tenant_id marks tenant_id; that btree index
-- alone, or the partial index under another name, marks nothing
BEGIN;
CREATE TABLE regress_indexed (id int PRIMARY KEY, tenant_id uuid NOT NULL, sharing_mode text NOT NULL, shared_with uuid[] NOT NULL);
CREATE INDEX ON regress_indexed USING btree (tenant_id);
CREATE INDEX ON regress_indexed USING gin (shared_with) WHERE sharing_mode = 'selective';
CREATE TABLE regress_tenant_only (id int PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE INDEX ON regress_tenant_only USING btree (tenant_id);
CREATE TABLE regress_renamed (id int PRIMARY KEY, tenant_id uuid NOT NULL, sharing_mode text NOT NULL, shared_with uuid[] NOT NULL);
CREATE INDEX regress_renamed_selective ON regress_renamed USING gin (shared_with) WHERE sharing_mode = 'selective';
ALTER TABLE regress_indexed OWNER TO vt_app;
ALTER TABLE regress_tenant_only OWNER TO vt_app;
ALTER TABLE regress_renamed OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.disable_tenancy('regress_indexed', drop_columns => true);
SELECT vital.disable_tenancy('regress_tenant_only', drop_columns => true);
SELECT vital.disable_tenancy('regress_renamed', drop_columns => true);
SELECT c.relname, string_agg(a.attname, ', ' ORDER BY a.attnum) AS columns
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relname IN ('regress_indexed', 'regress_tenant_only', 'regress_renamed') GROUP BY c.relname ORDER BY 1;
ROLLBACK;
