-- enable_tenancy quotes every name it builds into a statement: mixed case,
-- spaces, quotes and dots in schema, table and index names; a table name
-- that tries injection fails in the regclass cast, before the function runs.
BEGIN;
CREATE SCHEMA "Agents";
CREATE TABLE "Agents"."My Table" ("Id" int PRIMARY KEY, "Name" text);
CREATE TABLE "Agents"."it's ""quoted""; drop table x" (id int PRIMARY KEY);
CREATE TABLE "Agents"."a.b" (id int PRIMARY KEY);
INSERT INTO "Agents"."My Table" VALUES (1, 'one');
GRANT USAGE ON SCHEMA "Agents" TO vt_app;
ALTER TABLE "Agents"."My Table" OWNER TO vt_app;
ALTER TABLE "Agents"."it's ""quoted""; drop table x" OWNER TO vt_app;
ALTER TABLE "Agents"."a.b" OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('"Agents"."My Table"');
SELECT vital.enable_tenancy('"Agents"."it''s ""quoted""; drop table x"');
SELECT vital.enable_tenancy('"Agents"."a.b"');
SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'Agents' ORDER BY 1, 2;
SELECT tablename, count(*) AS policies FROM pg_policies WHERE schemaname = 'Agents' GROUP BY 1 ORDER BY 1;
SELECT * FROM vital.tenancy_status();
-- a second run and a disable find them again by their quoted names
SELECT vital.enable_tenancy('"Agents"."My Table"');
SELECT vital.disable_tenancy('"Agents"."it''s ""quoted""; drop table x"', true);
SELECT table_name FROM vital.tenant_tables ORDER BY 1;
SELECT * FROM "Agents"."My Table";
-- injection through the table name never reaches the function: the
-- regclass cast refuses it (42602) or finds no such table (42P01)
SELECT regress.try($$SELECT vital.enable_tenancy('agents; drop table x')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('"agents; drop table x"')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('"Agents"."My Table; DROP SCHEMA ""Agents"" CASCADE"')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('"Agents"."My Table"; DROP SCHEMA "Agents" CASCADE; --')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('x''); DROP TABLE y; --')$$);
-- a search_path of the caller's choosing redirects nothing: what is
-- installed names vital's objects by schema
RESET ROLE;
CREATE SCHEMA regress_evil;
CREATE FUNCTION regress_evil.can_access_resource(uuid, boolean, text, uuid[]) RETURNS boolean
    LANGUAGE sql AS 'SELECT true';
CREATE TABLE regress_evil.tenants (id uuid PRIMARY KEY);
CREATE TABLE regress_plain (id int PRIMARY KEY);
ALTER TABLE regress_plain OWNER TO vt_app;
GRANT USAGE ON SCHEMA regress_evil TO vt_app;
SET LOCAL ROLE vt_app;
SET LOCAL search_path = regress_evil, public;
SELECT vital.enable_tenancy('regress_plain');
SELECT polname, pg_get_expr(polqual, polrelid) AS qual FROM pg_policy
 WHERE polrelid = 'public.regress_plain'::regclass ORDER BY polname;
SELECT confrelid::regclass AS references FROM pg_constraint
 WHERE conrelid = 'public.regress_plain'::regclass AND contype = 'f';
ROLLBACK;
