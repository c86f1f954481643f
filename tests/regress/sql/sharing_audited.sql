-- Every sharing call is recorded in the audit trail, with its action, the
-- old and new state and the actor, exactly like a plain UPDATE doing the
-- same; calls that change nothing and a clone (a private insert) record
-- nothing; a call rolled back to a savepoint leaves no record.
BEGIN;
CREATE TABLE docs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL);
SELECT vital.enable_tenancy('docs');
GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO vt_app;
INSERT INTO docs (id, title, tenant_id) VALUES
  ('0000000a-0000-4000-8000-000000000001', 'acme one', 'a0000000-0000-4000-8000-000000000001'),
  ('0000000a-0000-4000-8000-000000000002', 'acme two', 'a0000000-0000-4000-8000-000000000001');
CREATE VIEW trail AS
SELECT row_number() OVER (ORDER BY id) AS n, resource_id, action,
       old_state->>'tenant_id' AS old_owner, old_state->>'sharing_mode' AS old_mode, old_state->'shared_with' AS old_with,
       new_state->>'tenant_id' AS new_owner, new_state->>'sharing_mode' AS new_mode, new_state->'shared_with' AS new_with,
       actor_user_id, actor_tenant_id, actor_role, transaction_id = pg_current_xact_id() AS this_transaction
  FROM vital.resource_sharing_audit WHERE table_name = 'public.docs';
GRANT SELECT ON trail TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
-- share (private to selective), change_sharing (to global), unshare
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       '{d0000000-0000-4000-8000-000000000004,b0000000-0000-4000-8000-000000000002}');
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global');
SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000001');
-- calls that change nothing record nothing
SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000001');
-- a plain UPDATE doing what share_resource does is recorded the same way
UPDATE docs SET is_shared = true, sharing_mode = 'selective',
                shared_with = '{b0000000-0000-4000-8000-000000000002,d0000000-0000-4000-8000-000000000004}'
 WHERE id = '0000000a-0000-4000-8000-000000000002';
-- a call rolled back to a savepoint leaves nothing
SAVEPOINT undo;
SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000002');
ROLLBACK TO SAVEPOINT undo;
SELECT n, resource_id, action, old_mode, old_with, new_mode, new_with, actor_user_id, actor_tenant_id, actor_role, this_transaction
  FROM trail ORDER BY n;
-- globex clones the row shared with it: a private insert, nothing recorded
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
SELECT vital.clone_resource('docs', '0000000a-0000-4000-8000-000000000002') IS NOT NULL AS cloned;
-- a platform admin, with no tenant context, transfers acme's row to globex
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd') IS NOT NULL AS dave;
SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002');
SELECT n, resource_id, action, old_owner, new_owner, old_with, new_with, actor_user_id, actor_tenant_id
  FROM trail ORDER BY n;
ROLLBACK;
