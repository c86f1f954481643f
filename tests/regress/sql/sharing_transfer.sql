-- transfer_resource: platform admins only (42501 for anyone else, whether
-- or not the row exists); the new owner must exist (22023) and be active
-- (trial, suspended: 22023); the new owner leaves the list it was shared with, and a
-- selective share left with nobody becomes private. An admin acting for a
-- tenant other than the platform is refused with a hint (42501).
BEGIN;
SELECT regress.create_docs();  -- public.docs: acme private, acme shared with globex, globex private
SET LOCAL ROLE vt_app;
-- alice acts for acme
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
RESET ROLE;
INSERT INTO docs (id, title, tenant_id, is_shared, sharing_mode, shared_with) VALUES
  ('0000000a-0000-4000-8000-000000000003', 'acme shared with globex and hooli', 'a0000000-0000-4000-8000-000000000001', true, 'selective',
   '{b0000000-0000-4000-8000-000000000002,d0000000-0000-4000-8000-000000000004}');
SET LOCAL ROLE vt_app;
-- alice owns acme's rows but is no platform admin: refused before the row is looked at
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002')$$);
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000f-0000-4000-8000-00000000000f', 'b0000000-0000-4000-8000-000000000002')$$);
SAVEPOINT s;
SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002');
ROLLBACK TO SAVEPOINT s;
-- dave, a platform admin, with no tenant context
SELECT vital.clear_context();
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd') IS NOT NULL AS dave;
-- to globex: globex leaves the list, hooli stays
SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000002');
-- to globex, the only tenant it was shared with: private now
SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002');
-- to hooli, a trial tenant: refused
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000004')$$);
SELECT title, tenant_id, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
-- to its current owner: nothing changes, no new row version
SELECT ctid AS before FROM docs WHERE id = '0000000b-0000-4000-8000-000000000001' \gset
SELECT vital.transfer_resource('docs', '0000000b-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002');
SELECT ctid = :'before' AS unchanged FROM docs WHERE id = '0000000b-0000-4000-8000-000000000001';
-- new owners that cannot own
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000b-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-00000000000f')$$);
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000b-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000003')$$);
SAVEPOINT s;
SELECT vital.transfer_resource('docs', '0000000b-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000003');
ROLLBACK TO SAVEPOINT s;
-- NULLs
SELECT regress.try($$SELECT vital.transfer_resource(NULL, '0000000b-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001')$$);
SELECT regress.try($$SELECT vital.transfer_resource('docs', NULL, 'a0000000-0000-4000-8000-000000000001')$$);
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000b-0000-4000-8000-000000000001', NULL)$$);
-- dave previewing acme sees only what acme sees, and RLS would refuse the
-- new owner: refused up front, saying how to act as an admin
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS dave_as_acme;
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002')$$);
SAVEPOINT s;
SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002');
ROLLBACK TO SAVEPOINT s;
-- as the platform tenant the bypass applies again
SELECT vital.set_tenant_context('00000000-0000-0000-0000-000000000001') IS NOT NULL AS dave_as_platform;
SELECT vital.transfer_resource('docs', '0000000b-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000001');
RESET ROLE;
SELECT title, tenant_id, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
ROLLBACK;
