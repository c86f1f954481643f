-- 1. The DBA installs the extension and sets up the application's roles.
CREATE EXTENSION vital_tenancy;
SELECT id, slug, tenant_type, subscription_tier FROM vital.tenants;

-- The application's pooled connection role: it authenticates people, so it
-- may vouch for them. A second role stands for a client with a SQL prompt.
CREATE ROLE vital_app LOGIN;
GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO vital_app;
CREATE ROLE curious_client LOGIN;

-- 2. Tenants and their members.
SELECT vital.create_tenant('digital-health-startup', 'Digital Health Startup', 'industry', 'professional',
                           '11111111-1111-1111-1111-111111111111') AS dhs;
SELECT vital.create_tenant('pharmaceuticals', 'Pharmaceuticals', 'industry', 'enterprise',
                           'f7aa6fd4-0af9-4706-8b31-034f1f7accda') AS pharma;
SELECT vital.add_tenant_member('11111111-1111-1111-1111-111111111111', 'a11ce000-0000-4000-8000-000000000001', 'owner');
SELECT vital.add_tenant_member('f7aa6fd4-0af9-4706-8b31-034f1f7accda', 'b0b00000-0000-4000-8000-000000000002', 'member');
SELECT vital.grant_platform_admin('ad000000-0000-4000-8000-00000000000a');
SELECT t.slug, m.user_id, m.role FROM vital.user_tenants m JOIN vital.tenants t ON t.id = m.tenant_id ORDER BY 1;

-- 3. The application sets the context per transaction (safe behind a pooler).
SET ROLE vital_app;
BEGIN;
SELECT vital.set_user_context('a11ce000-0000-4000-8000-000000000001', true) AS acting_user;
SELECT vital.set_tenant_context('11111111-1111-1111-1111-111111111111', true) AS acting_tenant;
SELECT vital.get_current_tenant_id(), vital.current_user_id(), current_setting('vital.tenant_id') AS setting;
-- Alice sees her tenant and the platform in the registry, nothing else.
SELECT slug FROM vital.tenants ORDER BY slug;
COMMIT;
-- The transaction is over: so is the context.
SELECT vital.get_current_tenant_id() AS after_commit;

-- 4. A non-member is refused, and the context stays as it was.
\set ON_ERROR_STOP off
BEGIN;
SELECT vital.set_user_context('a11ce000-0000-4000-8000-000000000001', true);
SELECT vital.set_tenant_context('f7aa6fd4-0af9-4706-8b31-034f1f7accda', true);
ROLLBACK;

-- 5. A client with a SQL prompt tries to forge the context: refused.
RESET ROLE;
SET ROLE curious_client;
SET vital.tenant_id = 'f7aa6fd4-0af9-4706-8b31-034f1f7accda';
SELECT set_config('vital.tenant_id', 'f7aa6fd4-0af9-4706-8b31-034f1f7accda', false);
SELECT vital.set_user_context('b0b00000-0000-4000-8000-000000000002');
SELECT vital.set_tenant_context('f7aa6fd4-0af9-4706-8b31-034f1f7accda');
SELECT vital.get_current_tenant_id() AS still_nothing;
\set ON_ERROR_STOP on
RESET ROLE;
