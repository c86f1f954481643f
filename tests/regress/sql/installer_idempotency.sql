-- enable_tenancy is idempotent: a second run finds everything in place and
-- changes nothing, and repairs only what is missing or changed.
BEGIN;
-- everything enable_tenancy installs; with_oids: also which objects they are
CREATE FUNCTION regress_snapshot(t regclass, with_oids boolean) RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(E'\n',
        (SELECT string_agg(format('%s %s %s %s', attname, format_type(atttypid, atttypmod), attnotnull,
                                  pg_get_expr(adbin, adrelid)), E'\n' ORDER BY attnum)
           FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
          WHERE attrelid = t AND attnum > 0 AND NOT attisdropped),
        (SELECT string_agg(format('%s %s', conname, pg_get_constraintdef(oid)), E'\n' ORDER BY conname)
           FROM pg_constraint WHERE conrelid = t AND contype <> 'n'),
        (SELECT string_agg(format('%s %s', CASE WHEN with_oids THEN indexrelid END, pg_get_indexdef(indexrelid)), E'\n' ORDER BY pg_get_indexdef(indexrelid))
           FROM pg_index WHERE indrelid = t),
        (SELECT string_agg(format('%s %s %s %s %s %s', CASE WHEN with_oids THEN oid END, polname, polcmd, polpermissive,
                                  pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)),
                           E'\n' ORDER BY polname)
           FROM pg_policy WHERE polrelid = t),
        (SELECT format('%s %s', relrowsecurity, relforcerowsecurity) FROM pg_class WHERE oid = t),
        (SELECT format('%s %s %s', primary_key, created_indexes, enabled_by)
           FROM vital.tenant_tables WHERE table_name = t)) $$;
CREATE TABLE regress_agents (id int PRIMARY KEY, name text);
INSERT INTO regress_agents VALUES (1, 'one');
ALTER TABLE regress_agents OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_agents');
CREATE TEMPORARY TABLE regress_first AS
    SELECT regress_snapshot('regress_agents', true) AS snapshot, regress_snapshot('regress_agents', false) AS definitions;
SELECT vital.enable_tenancy('regress_agents');
SELECT vital.enable_tenancy('regress_agents', 'a0000000-0000-4000-8000-000000000001', 'global');
SELECT regress_snapshot('regress_agents', true) = snapshot AS unchanged FROM regress_first;
SELECT id, tenant_id, sharing_mode FROM regress_agents;  -- FORCE: the owner sees nothing
RESET ROLE;
SELECT id, tenant_id, sharing_mode FROM regress_agents;  -- the existing row kept its owner
-- repairs: a dropped policy, a changed one, RLS turned off, a lost default
-- and a dropped constraint come back; the rest stays as it was
DROP POLICY vital_tenancy_delete ON regress_agents;
ALTER POLICY vital_tenancy_update ON regress_agents USING (true);
ALTER TABLE regress_agents NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE regress_agents ALTER COLUMN tenant_id DROP DEFAULT, DROP CONSTRAINT vital_tenancy_sharing_check;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_agents');
SELECT regress_snapshot('regress_agents', false) = definitions AS same_as_first FROM regress_first;
SELECT polname, pg_get_expr(polqual, polrelid) AS qual FROM pg_policy
 WHERE polrelid = 'regress_agents'::regclass ORDER BY polname;
ROLLBACK;
