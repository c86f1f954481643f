-- 14. Alice shares her Trial Recruiter with Pharmaceuticals, through the
-- sharing API (the list is stored de-duplicated, sorted, without the owner).
SET ROLE vital_app;
BEGIN;
SELECT vital.set_user_context('a11ce000-0000-4000-8000-000000000001', true);
SELECT vital.set_tenant_context('11111111-1111-1111-1111-111111111111', true);
SELECT vital.share_resource('public.agents', (SELECT id FROM public.agents WHERE name = 'Trial Recruiter'), 'selective',
                            ARRAY['f7aa6fd4-0af9-4706-8b31-034f1f7accda', 'f7aa6fd4-0af9-4706-8b31-034f1f7accda',
                                  '11111111-1111-1111-1111-111111111111']::uuid[]);
SELECT name, is_shared, sharing_mode, shared_with FROM public.agents WHERE name = 'Trial Recruiter';
COMMIT;

-- 15. Bob now sees it, cannot change its sharing (the same "not found" as for
-- a row that does not exist), and clones a platform template into his tenant.
\set ON_ERROR_STOP off
BEGIN;
SELECT vital.set_user_context('b0b00000-0000-4000-8000-000000000002', true);
SELECT vital.set_tenant_context('f7aa6fd4-0af9-4706-8b31-034f1f7accda', true);
SELECT count(*) AS bob_sees, count(*) FILTER (WHERE name = 'Trial Recruiter') AS trial_recruiter FROM public.agents;
SAVEPOINT try;
SELECT vital.unshare_resource('public.agents', (SELECT id FROM public.agents WHERE name = 'Trial Recruiter'));
ROLLBACK TO SAVEPOINT try;
SELECT vital.unshare_resource('public.agents', '00000000-0000-4000-8000-00000000dead');
ROLLBACK TO SAVEPOINT try;
SELECT vital.clone_resource('public.agents', (SELECT id FROM public.agents WHERE name = 'Agent 7')) AS bobs_copy \gset
SELECT name, tenant_id, sharing_mode, resource_type FROM public.agents WHERE id = :'bobs_copy';
COMMIT;
\set ON_ERROR_STOP on

-- 16. A platform admin (no tenant context) gives Bob's tenant the platform's Agent 1.
BEGIN;
SELECT vital.set_user_context('ad000000-0000-4000-8000-00000000000a', true);
SELECT vital.transfer_resource('public.agents', (SELECT id FROM public.agents WHERE name = 'Agent 1'),
                               'f7aa6fd4-0af9-4706-8b31-034f1f7accda');
COMMIT;

-- 17. A plain UPDATE is audited like an API call: Alice makes her agent global.
BEGIN;
SELECT vital.set_user_context('a11ce000-0000-4000-8000-000000000001', true);
SELECT vital.set_tenant_context('11111111-1111-1111-1111-111111111111', true);
UPDATE public.agents SET sharing_mode = 'global', shared_with = '{}' WHERE name = 'Trial Recruiter';
-- and a change rolled back leaves no record
SAVEPOINT undo;
UPDATE public.agents SET is_shared = false, sharing_mode = 'private' WHERE name = 'Trial Recruiter';
ROLLBACK TO SAVEPOINT undo;
COMMIT;

-- 18. The trail, as each party sees it.
BEGIN;
SELECT vital.set_user_context('a11ce000-0000-4000-8000-000000000001', true);
SELECT vital.set_tenant_context('11111111-1111-1111-1111-111111111111', true);
SELECT id, action, old_state->>'sharing_mode' AS was, new_state->>'sharing_mode' AS became,
       new_state->'shared_with' AS shared_with, actor_user_id, actor_role
  FROM vital.resource_sharing_audit ORDER BY id;
COMMIT;
BEGIN;
SELECT vital.set_user_context('ad000000-0000-4000-8000-00000000000a', true);
SELECT id, table_name, action, old_state->>'tenant_id' AS old_owner, new_state->>'tenant_id' AS new_owner
  FROM vital.resource_sharing_audit ORDER BY id;
COMMIT;
RESET ROLE;

-- 19. Nobody rewrites it: not the application, not a client.
\set ON_ERROR_STOP off
SET ROLE vital_app;
DELETE FROM vital.resource_sharing_audit;
UPDATE vital.resource_sharing_audit SET action = 'unshare';
RESET ROLE;
SET ROLE curious_client;
SELECT count(*) AS curious_client_reads FROM vital.resource_sharing_audit;
TRUNCATE vital.resource_sharing_audit;
RESET ROLE;
\set ON_ERROR_STOP on
SELECT table_name, audit_trigger_ok, healthy FROM vital.tenancy_status();
