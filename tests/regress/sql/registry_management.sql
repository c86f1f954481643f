-- Who may manage the registry, and what bad input gets.
BEGIN;
SET LOCAL ROLE vt_app;
-- alice owns acme but is no platform admin
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT regress.try($$SELECT vital.create_tenant('umbrella', 'Umbrella', 'client')$$);
SELECT regress.try($$SELECT vital.set_tenant_status('a0000000-0000-4000-8000-000000000001', 'archived')$$);
SELECT regress.try($$SELECT vital.grant_platform_admin('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')$$);
SELECT regress.try($$SELECT vital.revoke_platform_admin('dddddddd-dddd-4ddd-8ddd-dddddddddddd')$$);
-- dave is a platform admin
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT vital.create_tenant('umbrella', 'Umbrella', 'client', 'starter', '0e000000-0000-4000-8000-00000000000e');
SELECT slug, name, tenant_type, subscription_tier, status FROM vital.tenants WHERE slug = 'umbrella';
SELECT length(vital.create_tenant('wayne-enterprises', 'Wayne', 'solution')::text) AS generated_id_length;
SELECT regress.try($$SELECT vital.create_tenant('umbrella', 'Again', 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant('other', 'Again', 'client', 'free', '0e000000-0000-4000-8000-00000000000e')$$);
SELECT regress.try($$SELECT vital.create_tenant('second-platform', 'Second', 'platform')$$);
SELECT regress.try($$SELECT vital.create_tenant('Upper', 'x', 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant('ab', 'x', 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant(repeat('a', 64), 'x', 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant('under_score', 'x', 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant('fine', '   ', 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant('fine', 'x', 'customer')$$);
SELECT regress.try($$SELECT vital.create_tenant('fine', 'x', 'client', 'gold')$$);
SELECT regress.try($$SELECT vital.create_tenant(NULL, 'x', 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant('fine', NULL, 'client')$$);
SELECT regress.try($$SELECT vital.create_tenant('fine', 'x', NULL)$$);
SELECT regress.try($$SELECT vital.create_tenant('fine', 'x', 'client', NULL)$$);
-- status changes
SELECT vital.set_tenant_status('0e000000-0000-4000-8000-00000000000e', 'suspended');
SELECT status, updated_at >= created_at AS touched FROM vital.tenants WHERE slug = 'umbrella';
SELECT regress.try($$SELECT vital.set_tenant_status('0e000000-0000-4000-8000-00000000000e', 'paused')$$);
SELECT regress.try($$SELECT vital.set_tenant_status('01234567-89ab-4def-8123-456789abcdef', 'active')$$);
SELECT regress.try($$SELECT vital.set_tenant_status('00000000-0000-0000-0000-000000000001', 'suspended')$$);
SELECT regress.try($$SELECT vital.set_tenant_status(NULL, 'active')$$);
-- platform admins
SELECT vital.grant_platform_admin('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.grant_platform_admin('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');  -- idempotent
SELECT user_id, role, granted_by FROM vital.user_roles ORDER BY user_id;
SELECT vital.is_platform_admin('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') AS alice_admin;
SELECT vital.revoke_platform_admin('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.is_platform_admin('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') AS alice_admin_after_revoke;
SELECT regress.try($$SELECT vital.grant_platform_admin(NULL)$$);
ROLLBACK;

-- Tenant owners and admins manage their own tenant's members.
BEGIN;
SET LOCAL ROLE vt_app;
-- carol administers acme
SELECT vital.set_user_context('cccccccc-cccc-4ccc-8ccc-cccccccccccc');
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', '12121212-1212-4212-8212-121212121212');
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', '12121212-1212-4212-8212-121212121212', 'admin');
SELECT role, status FROM vital.user_tenants WHERE user_id = '12121212-1212-4212-8212-121212121212';
-- an invited member becomes active when added
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', 'viewer');
SELECT role, status FROM vital.user_tenants WHERE user_id = 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee';
-- admins neither grant nor take away ownership
SELECT regress.try($$SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', '12121212-1212-4212-8212-121212121212', 'owner')$$);
SELECT regress.try($$SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'member')$$);
SELECT regress.try($$SELECT vital.remove_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')$$);
-- nor touch other tenants
SELECT regress.try($$SELECT vital.add_tenant_member('b0000000-0000-4000-8000-000000000002', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'owner')$$);
SELECT regress.try($$SELECT vital.remove_tenant_member('b0000000-0000-4000-8000-000000000002', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')$$);
SELECT regress.try($$SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', '12121212-1212-4212-8212-121212121212', 'superuser')$$);
SELECT regress.try($$SELECT vital.remove_tenant_member('a0000000-0000-4000-8000-000000000001', '34343434-3434-4434-8434-343434343434')$$);
SELECT regress.try($$SELECT vital.add_tenant_member(NULL, '12121212-1212-4212-8212-121212121212')$$);
SELECT vital.remove_tenant_member('a0000000-0000-4000-8000-000000000001', '12121212-1212-4212-8212-121212121212');
-- the owner may hand on ownership
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'owner');
-- a plain member manages nothing
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT regress.try($$SELECT vital.add_tenant_member('b0000000-0000-4000-8000-000000000002', '12121212-1212-4212-8212-121212121212')$$);
-- a platform admin manages any tenant, owners included
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT vital.add_tenant_member('b0000000-0000-4000-8000-000000000002', '12121212-1212-4212-8212-121212121212', 'owner');
SELECT regress.try($$SELECT vital.add_tenant_member('01234567-89ab-4def-8123-456789abcdef', '12121212-1212-4212-8212-121212121212')$$);
SELECT tenant_id, role FROM vital.user_tenants WHERE user_id = '12121212-1212-4212-8212-121212121212';
ROLLBACK;
