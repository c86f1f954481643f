-- Vouching for a user is reserved to the roles the DBA granted it to.
BEGIN;
SET LOCAL ROLE vt_client;
SELECT regress.try($$SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')$$);
SELECT vital.current_user_id();
RESET ROLE;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.current_user_id(), current_setting('vital.user_id');
SELECT regress.try($$SELECT vital.set_user_context(NULL)$$);
SELECT regress.try($$SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', NULL)$$);
SELECT regress.try($$SELECT vital.set_user_context('not a uuid')$$);
-- the failed calls changed nothing
SELECT vital.current_user_id();
-- changing the user drops the tenant, which was checked for the previous user
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.get_current_tenant_id() AS same_user_keeps_tenant;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.get_current_tenant_id() AS other_user_drops_tenant;
-- clear_context is open to everyone: it only takes access away
RESET ROLE;
SET LOCAL ROLE vt_client;
SELECT vital.clear_context();
SELECT vital.current_user_id(), vital.get_current_tenant_id();
ROLLBACK;
