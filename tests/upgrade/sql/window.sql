-- The current library on the previous release's SQL objects: after a new
-- build is installed and before ALTER EXTENSION ... UPDATE runs, every new
-- session runs the new code on the old schema. Nothing may open up then,
-- and what cannot work says what to do.
SELECT extversion FROM pg_extension WHERE extname = 'vital_tenancy';
-- The registry checks cache nothing while the registry's invalidation
-- triggers are missing: a member removed is refused at once.
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', true) IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true) IS NOT NULL AS acme;
RESET ROLE;
SELECT vital.remove_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true)$$);
ROLLBACK;
-- A protected table still reads and writes under its policies, and a
-- share is recorded in the old trail.
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', true) IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002', true) IS NOT NULL AS globex;
SELECT name FROM upgrade_fixture.agents ORDER BY name;
SELECT vital.share_resource('upgrade_fixture.agents', '00000a01-0000-4000-8000-0000000000b1', 'global');
RESET ROLE;
SELECT action, table_name, resource_id, actor_role FROM vital.resource_sharing_audit
 WHERE resource_id = '00000a01-0000-4000-8000-0000000000b1';
ROLLBACK;
-- The installer refuses until the update, and says so.
BEGIN;
CREATE TABLE upgrade_fixture.too_early (id uuid PRIMARY KEY);
SELECT * FROM regress.diagnose($$SELECT vital.enable_tenancy('upgrade_fixture.too_early')$$);
SELECT * FROM regress.diagnose($$SELECT vital.disable_tenancy('upgrade_fixture.agents')$$);
SELECT * FROM regress.diagnose($$SELECT * FROM vital.tenancy_status()$$);
ROLLBACK;
