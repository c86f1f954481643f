-- The sharing functions quote every name they build into a statement:
-- mixed case, spaces and quotes in schema, table and key column names; the
-- caller's search_path redirects nothing (statements name the table by schema).
BEGIN;
CREATE SCHEMA "Shared ""Docs""";
CREATE TABLE "Shared ""Docs"""."My Docs" ("Doc Id" uuid PRIMARY KEY DEFAULT gen_random_uuid(), "Title" text NOT NULL);
SELECT vital.enable_tenancy('"Shared ""Docs"""."My Docs"');
GRANT USAGE ON SCHEMA "Shared ""Docs""" TO vt_app;
GRANT SELECT, INSERT, UPDATE ON "Shared ""Docs"""."My Docs" TO vt_app;
INSERT INTO "Shared ""Docs"""."My Docs" ("Doc Id", "Title", tenant_id) VALUES
  ('0000000a-0000-4000-8000-000000000001', 'acme doc', 'a0000000-0000-4000-8000-000000000001');
-- a decoy with the same name, first on the caller's search_path
CREATE SCHEMA regress_decoy;
CREATE TABLE regress_decoy."My Docs" ("Doc Id" uuid PRIMARY KEY, "Title" text);
GRANT USAGE ON SCHEMA regress_decoy TO vt_app;
GRANT ALL ON regress_decoy."My Docs" TO vt_app;
SELECT table_name, primary_key FROM vital.tenant_tables ORDER BY 1;
SET LOCAL ROLE vt_app;
SET LOCAL search_path = regress_decoy, public;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT vital.share_resource('"Shared ""Docs"""."My Docs"', '0000000a-0000-4000-8000-000000000001', 'selective',
       '{b0000000-0000-4000-8000-000000000002}');
SELECT "Title", is_shared, sharing_mode, shared_with FROM "Shared ""Docs"""."My Docs";
SELECT vital.unshare_resource('"Shared ""Docs"""."My Docs"', '0000000a-0000-4000-8000-000000000001');
SELECT vital.clone_resource('"Shared ""Docs"""."My Docs"', '0000000a-0000-4000-8000-000000000001') IS NOT NULL AS cloned;
SELECT "Title", is_shared, sharing_mode, shared_with, resource_type FROM "Shared ""Docs"""."My Docs" ORDER BY "Doc Id" = '0000000a-0000-4000-8000-000000000001' DESC;
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd') IS NOT NULL AS dave;
SELECT vital.transfer_resource('"Shared ""Docs"""."My Docs"', '0000000a-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002');
-- errors name the table as regclass shows it
SELECT regress.try($$SELECT vital.unshare_resource('"Shared ""Docs"""."My Docs"', '0000000f-0000-4000-8000-00000000000f')$$);
-- the decoy was never touched, and is not registered
SELECT count(*) AS decoy_rows FROM regress_decoy."My Docs";
SELECT regress.try($$SELECT vital.share_resource('"My Docs"', '0000000a-0000-4000-8000-000000000001', 'global')$$);
RESET ROLE;
SELECT "Title", tenant_id, is_shared, sharing_mode FROM "Shared ""Docs"""."My Docs" ORDER BY "Doc Id" = '0000000a-0000-4000-8000-000000000001' DESC;
ROLLBACK;
