-- Fixtures shared by every regression test, loaded once per run by a
-- superuser. Tests change them only inside transactions they roll back.
CREATE EXTENSION vital_tenancy;
-- (Where the server has it: the scripts set stat_statements.)
\if :stat_statements
CREATE EXTENSION pg_stat_statements;
\endif

-- regress.try(sql) runs one statement and says how it ended: 'ok', or
-- 'SQLSTATE: message'. It runs as its caller (SECURITY INVOKER), so a test
-- can show an error's code without aborting its transaction.
CREATE SCHEMA regress;
GRANT USAGE ON SCHEMA regress TO PUBLIC;
CREATE FUNCTION regress.try(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN sqlstate || ': ' || sqlerrm;
END $$;

-- The roles attackers and applications use; none is a superuser.
CREATE ROLE vt_app LOGIN;        -- the application's pooled connection role
GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO vt_app;
CREATE ROLE vt_client LOGIN;     -- a client with its own SQL prompt (PostgREST's authenticated)
CREATE ROLE vt_attacker LOGIN;   -- a client trying to get around the checks
CREATE SCHEMA attacker AUTHORIZATION vt_attacker;
CREATE DATABASE vt_attacker_db OWNER vt_attacker;

-- Tenants: acme (client), globex (industry), initech (suspended), hooli (trial).
SELECT vital.create_tenant('acme', 'Acme Health', 'client', 'professional', 'a0000000-0000-4000-8000-000000000001');
SELECT vital.create_tenant('globex', 'Globex Pharma', 'industry', 'enterprise', 'b0000000-0000-4000-8000-000000000002');
SELECT vital.create_tenant('initech', 'Initech', 'solution', 'starter', 'c0000000-0000-4000-8000-000000000003');
SELECT vital.create_tenant('hooli', 'Hooli', 'client', 'free', 'd0000000-0000-4000-8000-000000000004');
SELECT vital.set_tenant_status('c0000000-0000-4000-8000-000000000003', 'suspended');
SELECT vital.set_tenant_status('d0000000-0000-4000-8000-000000000004', 'trial');

-- Users: alice owns acme; bob is a member of globex; carol administers acme
-- and belongs to suspended initech; dave is a platform admin; erin is only
-- invited to acme; frank views acme and belongs to trial hooli; grace was
-- disabled in globex.
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'owner');
SELECT vital.add_tenant_member('b0000000-0000-4000-8000-000000000002', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'member');
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'admin');
SELECT vital.add_tenant_member('c0000000-0000-4000-8000-000000000003', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'member');
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'ffffffff-ffff-4fff-8fff-ffffffffffff', 'viewer');
SELECT vital.add_tenant_member('d0000000-0000-4000-8000-000000000004', 'ffffffff-ffff-4fff-8fff-ffffffffffff', 'member');
SELECT vital.grant_platform_admin('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
-- No function invites or disables yet; the fixtures write those states directly.
INSERT INTO vital.user_tenants (user_id, tenant_id, role, status) VALUES
    ('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', 'a0000000-0000-4000-8000-000000000001', 'member', 'invited'),
    ('99999999-9999-4999-8999-999999999999', 'b0000000-0000-4000-8000-000000000002', 'member', 'disabled');

-- regress.create_docs() makes the protected table the sharing tests act on
-- (as the superuser, inside the test's transaction): public.docs with a uuid
-- key, three rows (acme private, acme shared with globex, globex private),
-- readable and writable by vt_app.
CREATE FUNCTION regress.create_docs() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TABLE public.docs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, body text);
    PERFORM vital.enable_tenancy('public.docs');
    GRANT SELECT, INSERT, UPDATE, DELETE ON public.docs TO vt_app;
    INSERT INTO public.docs (id, title, tenant_id, is_shared, sharing_mode, shared_with) VALUES
      ('0000000a-0000-4000-8000-000000000001', 'acme private', 'a0000000-0000-4000-8000-000000000001', false, 'private', '{}'),
      ('0000000a-0000-4000-8000-000000000002', 'acme shared with globex', 'a0000000-0000-4000-8000-000000000001', true, 'selective', '{b0000000-0000-4000-8000-000000000002}'),
      ('0000000b-0000-4000-8000-000000000001', 'globex private', 'b0000000-0000-4000-8000-000000000002', false, 'private', '{}');
END $$;

-- regress.diagnose(sql) runs one statement and shows everything a client
-- can read of the error it raises (or 'ok'): SQLSTATE, message, detail,
-- hint, and the schema, table, column, data type and constraint it names.
CREATE FUNCTION regress.diagnose(statement text) RETURNS TABLE (field text, value text)
LANGUAGE plpgsql AS $$
DECLARE
    state text; message text; detail text; hint text;
    schema_name text; table_name text; column_name text; datatype text; constraint_name text;
BEGIN
    EXECUTE statement;
    RETURN QUERY VALUES ('result', 'ok');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
        detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
        schema_name = SCHEMA_NAME, table_name = TABLE_NAME, column_name = COLUMN_NAME,
        datatype = PG_DATATYPE_NAME, constraint_name = CONSTRAINT_NAME;
    RETURN QUERY VALUES ('sqlstate', state), ('message', message),
        ('detail', nullif(detail, '')), ('hint', nullif(hint, '')),
        ('schema', nullif(schema_name, '')), ('table', nullif(table_name, '')),
        ('column', nullif(column_name, '')), ('datatype', nullif(datatype, '')),
        ('constraint', nullif(constraint_name, ''));
END $$;

-- regress.plan_lines(sql): the lines of EXPLAIN (COSTS OFF) for a query, for
-- tests that look for a plan's shape without printing what majors print
-- differently.
CREATE FUNCTION regress.plan_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        RETURN NEXT line;
    END LOOP;
END $$;
