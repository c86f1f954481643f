-- set_tenant_context checks membership, tenant status and its arguments;
-- a failed call leaves the context as it was.
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');  -- alice, owner of acme
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT vital.get_current_tenant_id();
-- not a member of globex
SELECT regress.try($$SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002')$$);
-- the platform tenant is a tenant like any other for non-admins
SELECT regress.try($$SELECT vital.set_tenant_context('00000000-0000-0000-0000-000000000001')$$);
SELECT regress.try($$SELECT vital.set_tenant_context('01234567-89ab-4def-8123-456789abcdef')$$);
SELECT regress.try($$SELECT vital.set_tenant_context(NULL)$$);
SELECT regress.try($$SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', NULL)$$);
SELECT regress.try($$SELECT vital.set_tenant_context('acme')$$);
SELECT vital.get_current_tenant_id() AS still_acme;
-- carol belongs to initech, which is suspended: she is told so (22023),
-- and so is a platform admin
SELECT vital.set_user_context('cccccccc-cccc-4ccc-8ccc-cccccccccccc');
SELECT regress.try($$SELECT vital.set_tenant_context('c0000000-0000-4000-8000-000000000003')$$);
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT regress.try($$SELECT vital.set_tenant_context('c0000000-0000-4000-8000-000000000003')$$);
-- a suspended tenant's non-members learn nothing about its status
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT regress.try($$SELECT vital.set_tenant_context('c0000000-0000-4000-8000-000000000003')$$);
-- frank: viewer of acme, member of trial hooli
SELECT vital.set_user_context('ffffffff-ffff-4fff-8fff-ffffffffffff');
SELECT vital.set_tenant_context('d0000000-0000-4000-8000-000000000004') AS trial_tenant;
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') AS as_viewer;
-- invited and disabled memberships give no access
SELECT vital.set_user_context('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee');
SELECT regress.try($$SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001')$$);
SELECT vital.set_user_context('99999999-9999-4999-8999-999999999999');
SELECT regress.try($$SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002')$$);
-- a platform admin may act for any usable tenant, but not a suspended one
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') AS admin_in_globex;
SELECT vital.set_tenant_context('00000000-0000-0000-0000-000000000001') AS admin_in_platform;
SELECT regress.try($$SELECT vital.set_tenant_context('c0000000-0000-4000-8000-000000000003')$$);
-- with no user set, the application role acts as a trusted service
SELECT vital.clear_context();
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') AS service_in_globex;
-- a membership removed later is checked at the next set
RESET ROLE;
SELECT vital.remove_tenant_member('a0000000-0000-4000-8000-000000000001', 'ffffffff-ffff-4fff-8fff-ffffffffffff');
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('ffffffff-ffff-4fff-8fff-ffffffffffff');
SELECT regress.try($$SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001')$$);
ROLLBACK;

-- with no user set, a client that may not vouch for users may not pick a tenant
BEGIN;
SET LOCAL ROLE vt_client;
SELECT regress.try($$SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001')$$);
SELECT vital.get_current_tenant_id();
ROLLBACK;
