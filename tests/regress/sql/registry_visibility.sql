-- The registry is read through RLS and written only by vital's functions.
BEGIN;
SET LOCAL ROLE vt_client;
-- no user: only the platform tenant
SELECT slug FROM vital.tenants ORDER BY slug;
SELECT count(*) AS memberships FROM vital.user_tenants;
SELECT count(*) AS roles FROM vital.user_roles;
-- no writes for anyone but the functions
SELECT regress.try($$INSERT INTO vital.tenants (slug, name, tenant_type) VALUES ('rogue', 'Rogue', 'client')$$);
SELECT regress.try($$UPDATE vital.tenants SET status = 'active'$$);
SELECT regress.try($$DELETE FROM vital.user_roles$$);
SELECT regress.try($$INSERT INTO vital.user_roles (user_id, role) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'platform_admin')$$);
SELECT regress.try($$INSERT INTO vital.user_tenants (user_id, tenant_id) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'b0000000-0000-4000-8000-000000000002')$$);
SELECT regress.try($$TRUNCATE vital.user_tenants$$);
RESET ROLE;
SET LOCAL ROLE vt_app;
-- bob, a member of globex, sees globex, the platform and his own membership
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT slug FROM vital.tenants ORDER BY slug;
SELECT user_id, tenant_id, role FROM vital.user_tenants ORDER BY user_id;
SELECT count(*) AS roles FROM vital.user_roles;
-- carol administers acme: she sees all of acme's memberships, not hooli's
SELECT vital.set_user_context('cccccccc-cccc-4ccc-8ccc-cccccccccccc');
SELECT slug FROM vital.tenants ORDER BY slug;
SELECT user_id, tenant_id, role, status FROM vital.user_tenants ORDER BY tenant_id, user_id;
SELECT vital.administered_tenants();
-- erin is only invited: she sees her invitation but not the tenant yet
SELECT vital.set_user_context('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee');
SELECT slug FROM vital.tenants ORDER BY slug;
SELECT tenant_id, status FROM vital.user_tenants;
-- dave, a platform admin, sees everything
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT count(*) AS tenants FROM vital.tenants;
SELECT count(*) AS memberships FROM vital.user_tenants;
SELECT user_id FROM vital.user_roles;
-- the questions
SELECT vital.is_platform_admin() AS dave_is_admin,
       vital.is_platform_admin('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') AS bob_is_admin,
       vital.has_tenant_access('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002') AS bob_globex,
       vital.has_tenant_access('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'a0000000-0000-4000-8000-000000000001') AS bob_acme,
       vital.has_tenant_access('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'c0000000-0000-4000-8000-000000000003') AS carol_suspended,
       vital.has_tenant_access('dddddddd-dddd-4ddd-8ddd-dddddddddddd', 'c0000000-0000-4000-8000-000000000003') AS dave_suspended,
       vital.has_tenant_access(NULL, 'a0000000-0000-4000-8000-000000000001') AS null_user;
SELECT vital.clear_context();
SELECT vital.is_platform_admin() AS nobody_is_admin;
ROLLBACK;
