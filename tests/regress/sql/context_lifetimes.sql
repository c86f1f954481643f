-- The context behaves like a setting: transaction-local values end with the
-- transaction, aborted changes revert, savepoints restore, resets clear.
SET ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
-- is_local lasts until the transaction ends, commit or not
BEGIN;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', true);
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002', true);
SELECT vital.get_current_tenant_id(), vital.current_user_id();
COMMIT;
SELECT vital.get_current_tenant_id() AS after_commit, vital.current_user_id();
BEGIN;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', true);
ROLLBACK;
SELECT vital.get_current_tenant_id() AS after_rollback, vital.current_user_id();
-- a session-level change reverts when its transaction aborts
BEGIN;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
ROLLBACK;
SELECT vital.get_current_tenant_id() AS after_abort, vital.current_user_id();
-- and stays when it commits
BEGIN;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
COMMIT;
SELECT vital.get_current_tenant_id() AS after_session_commit, vital.current_user_id();
-- ROLLBACK TO SAVEPOINT restores the earlier value
BEGIN;
SAVEPOINT before_switch;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT vital.get_current_tenant_id() AS inside_savepoint;
ROLLBACK TO SAVEPOINT before_switch;
SELECT vital.get_current_tenant_id() AS after_rollback_to, vital.current_user_id();
COMMIT;
-- an error inside a PL/pgSQL exception block restores the context too
DO $$
BEGIN
    PERFORM vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
    PERFORM 1 / 0;
EXCEPTION WHEN division_by_zero THEN
    RAISE NOTICE 'user after caught error: %', vital.current_user_id();
END $$;
-- the pooler's reset queries clear everything
RESET ALL;
SELECT vital.get_current_tenant_id() AS after_reset_all, vital.current_user_id();
SET ROLE vt_app;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
DISCARD ALL;
SELECT vital.get_current_tenant_id() AS after_discard_all, vital.current_user_id(),
       current_setting('vital.tenant_id') AS tenant_setting, current_setting('vital.user_id') AS user_setting;
