-- is_platform_admin and has_tenant_access answer about another user only to
-- those who could read the answer in the registry: the user themself,
-- platform admins, the tenant's owners and admins, and the application role.
-- Anyone else gets 42501, so guessed user ids cannot be probed.
BEGIN;
-- the application role may ask about anyone
SET LOCAL ROLE vt_app;
SELECT vital.is_platform_admin('dddddddd-dddd-4ddd-8ddd-dddddddddddd') AS dave_is_admin,
       vital.has_tenant_access('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002') AS bob_globex;
-- a client acting for bob (globex member): about himself only
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SET LOCAL ROLE vt_client;
SELECT vital.is_platform_admin() AS bob_is_admin,
       vital.is_platform_admin('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') AS bob_is_admin_by_id,
       vital.has_tenant_access('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002') AS bob_globex,
       vital.has_tenant_access('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'a0000000-0000-4000-8000-000000000001') AS bob_acme;
SELECT regress.try($$SELECT vital.is_platform_admin('dddddddd-dddd-4ddd-8ddd-dddddddddddd')$$) AS probe_admin;
SELECT regress.try($$SELECT vital.is_platform_admin('12345678-1234-4234-8234-123456789012')$$) AS probe_unknown;
SELECT regress.try($$SELECT vital.has_tenant_access('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001')$$) AS probe_member;
-- a client acting for alice (owner of acme): about acme's people, not globex's
RESET ROLE;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SET LOCAL ROLE vt_client;
SELECT vital.has_tenant_access('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', 'a0000000-0000-4000-8000-000000000001') AS erin_invited_acme,
       vital.has_tenant_access('ffffffff-ffff-4fff-8fff-ffffffffffff', 'a0000000-0000-4000-8000-000000000001') AS frank_acme;
SELECT regress.try($$SELECT vital.has_tenant_access('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002')$$) AS probe_globex;
SELECT regress.try($$SELECT vital.is_platform_admin('ffffffff-ffff-4fff-8fff-ffffffffffff')$$) AS probe_admin;
-- no user at all: only the answer about nobody
RESET ROLE;
SET LOCAL ROLE vt_app;
SELECT vital.clear_context();
SET LOCAL ROLE vt_client;
SELECT vital.is_platform_admin() AS nobody_is_admin;
SELECT regress.try($$SELECT vital.is_platform_admin('dddddddd-dddd-4ddd-8ddd-dddddddddddd')$$) AS probe_admin;
ROLLBACK;
