-- An error PostgreSQL raises inside one of vital_tenancy's own statements
-- reaches the client as that error: its SQLSTATE, message, detail, hint
-- and the objects it names (a driver maps a unique violation by its
-- constraint), and never a Rust backtrace (the suite's server runs with
-- RUST_BACKTRACE=1). Tried as a table owner and as a tenant.
BEGIN;
-- enable_tenancy on rows its CHECK refuses: its own error (naming the row),
-- with the schema, table and constraint fields PostgreSQL's would carry
CREATE TABLE regress_drifted (id uuid PRIMARY KEY, name text, tenant_id uuid NOT NULL, sharing_mode text);
INSERT INTO regress_drifted VALUES ('00000001-0000-4000-8000-000000000001', 'old', 'a0000000-0000-4000-8000-000000000001', 'public');
ALTER TABLE regress_drifted OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT * FROM regress.diagnose($$SELECT vital.enable_tenancy('regress_drifted')$$);
-- nothing was changed
SELECT count(*) AS sharing_columns FROM pg_attribute
 WHERE attrelid = 'regress_drifted'::regclass AND attname IN ('is_shared', 'shared_with', 'resource_type');
-- the same error, uncaught, as the client sees it: its detail and hint, no backtrace
SAVEPOINT before;
SELECT vital.enable_tenancy('regress_drifted');
ROLLBACK TO before;
RESET ROLE;
-- clone_resource of a row with a unique column
SELECT regress.create_docs();
ALTER TABLE docs ADD COLUMN slug text UNIQUE;
UPDATE docs SET slug = 'acme-private' WHERE id = '0000000a-0000-4000-8000-000000000001';
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT * FROM regress.diagnose($$SELECT vital.clone_resource('docs', '0000000a-0000-4000-8000-000000000001')$$);
SELECT count(*) AS docs FROM docs;
-- a share refused by the application's own trigger, with every field set
RESET ROLE;
CREATE FUNCTION regress.refuse_sharing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sharing is frozen' USING ERRCODE = 'P0001', DETAIL = 'Frozen by the application.',
        HINT = 'Ask again tomorrow.', SCHEMA = 'public', TABLE = 'docs', COLUMN = 'sharing_mode',
        DATATYPE = 'text', CONSTRAINT = 'regress_frozen';
END $$;
CREATE TRIGGER regress_frozen BEFORE UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION regress.refuse_sharing();
SET LOCAL ROLE vt_app;
SELECT * FROM regress.diagnose($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global')$$);
RESET ROLE;
DROP TRIGGER regress_frozen ON docs;
-- a failed share through a CHECK of the application's own
RESET ROLE;
ALTER TABLE docs ADD CONSTRAINT regress_never_global CHECK (sharing_mode <> 'global');
SET LOCAL ROLE vt_app;
SELECT * FROM regress.diagnose($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global')$$);
SELECT sharing_mode FROM docs WHERE id = '0000000a-0000-4000-8000-000000000001';
ROLLBACK;
