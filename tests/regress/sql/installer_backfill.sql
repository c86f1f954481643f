-- enable_tenancy gives rows without an owner the default owner and the
-- default sharing, fills the other NULLs without widening anything, checks
-- its arguments, and is all or nothing.
BEGIN;
-- a table with rows and no tenancy columns: every row is adopted
CREATE TABLE regress_prompts (id int PRIMARY KEY, body text);
INSERT INTO regress_prompts VALUES (1, 'hello'), (2, 'bye');
ALTER TABLE regress_prompts OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_prompts', 'a0000000-0000-4000-8000-000000000001', 'global');
RESET ROLE;
SELECT * FROM regress_prompts ORDER BY id;

-- the old installation's rows: those without an owner are adopted (their
-- sharing replaced by the default), the others keep their values; a missing
-- sharing mode reads as private, a missing is_shared follows sharing_mode
CREATE TABLE regress_tools (
    id int PRIMARY KEY, tenant_id uuid, is_shared boolean, sharing_mode varchar(20),
    shared_with uuid[], resource_type text);
INSERT INTO regress_tools VALUES
    (1, NULL, false, 'private', NULL, NULL),
    (2, NULL, NULL, NULL, NULL, 'platform'),
    (3, 'a0000000-0000-4000-8000-000000000001', true, NULL, NULL, NULL),
    (4, 'a0000000-0000-4000-8000-000000000001', NULL, 'selective', '{b0000000-0000-4000-8000-000000000002}', NULL),
    (5, 'b0000000-0000-4000-8000-000000000002', false, 'private', '{}', 'industry');
ALTER TABLE regress_tools OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_tools', default_sharing => 'global');
RESET ROLE;
SELECT * FROM regress_tools ORDER BY id;

-- every row has an owner already, and no sharing columns: all private
CREATE TABLE regress_flows (id int PRIMARY KEY, tenant_id uuid NOT NULL);
INSERT INTO regress_flows VALUES (1, 'b0000000-0000-4000-8000-000000000002');
ALTER TABLE regress_flows OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_flows', 'a0000000-0000-4000-8000-000000000001', 'global');
RESET ROLE;
SELECT * FROM regress_flows;

-- a legacy table with is_shared but no sharing_mode: nothing becomes shared
CREATE TABLE regress_notes (id int PRIMARY KEY, tenant_id uuid NOT NULL, is_shared boolean);
INSERT INTO regress_notes VALUES (1, 'b0000000-0000-4000-8000-000000000002', true);
ALTER TABLE regress_notes OWNER TO vt_app;
SELECT vital.enable_tenancy('regress_notes');
SELECT * FROM regress_notes;

-- the backfill runs as the table's owner, never with raised rights, even
-- when a superuser installs: the owner's trigger sees the owner
CREATE TABLE regress_audit_log (who name, at text);
GRANT INSERT ON regress_audit_log TO vt_app;
CREATE TABLE regress_triggered (id int PRIMARY KEY, tenant_id uuid);
INSERT INTO regress_triggered VALUES (1, NULL);
CREATE FUNCTION regress_log_who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_audit_log VALUES (current_user, TG_OP); RETURN NEW; END $$;
CREATE TRIGGER log_who BEFORE UPDATE ON regress_triggered FOR EACH ROW EXECUTE FUNCTION regress_log_who();
ALTER TABLE regress_triggered OWNER TO vt_app;
SELECT vital.enable_tenancy('regress_triggered');
SELECT * FROM regress_audit_log;
SELECT id, tenant_id FROM regress_triggered;
ROLLBACK;

-- arguments
BEGIN;
CREATE TABLE regress_args (id int PRIMARY KEY);
ALTER TABLE regress_args OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_args', '01234567-89ab-4def-8123-456789abcdef')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('regress_args', default_sharing => 'selective')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('regress_args', default_sharing => 'Private')$$);
SELECT regress.try($$SELECT vital.enable_tenancy(NULL)$$);
SELECT regress.try($$SELECT vital.enable_tenancy('regress_args', NULL)$$);
SELECT regress.try($$SELECT vital.enable_tenancy('regress_args', default_sharing => NULL)$$);
SAVEPOINT args;
SELECT vital.enable_tenancy('regress_args', '01234567-89ab-4def-8123-456789abcdef');
ROLLBACK TO SAVEPOINT args;
SELECT vital.enable_tenancy('regress_args', default_sharing => 'selective');
ROLLBACK;

-- all or nothing: a legacy row breaks a constraint after the columns were
-- added; the error leaves the table as it was
BEGIN;
CREATE TABLE regress_broken (id int PRIMARY KEY, tenant_id uuid, sharing_mode text);
INSERT INTO regress_broken VALUES (1, 'a0000000-0000-4000-8000-000000000001', 'public');
CREATE TABLE regress_orphans (id int PRIMARY KEY, tenant_id uuid NOT NULL);
INSERT INTO regress_orphans VALUES (1, '01234567-89ab-4def-8123-456789abcdef');
ALTER TABLE regress_broken OWNER TO vt_app;
ALTER TABLE regress_orphans OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_broken')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('regress_orphans')$$);
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
         WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns,
       (SELECT count(*) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND attnotnull) AS not_null,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes,
       (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype <> 'n') AS constraints,
       (SELECT count(*) FROM vital.tenant_tables t WHERE t.table_name = c.oid) AS registered
  FROM pg_class c WHERE c.relname IN ('regress_broken', 'regress_orphans') ORDER BY c.relname;
SELECT * FROM regress_broken;
ROLLBACK;
