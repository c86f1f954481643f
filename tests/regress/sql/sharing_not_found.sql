-- A row another tenant owns, a row shared with the caller but not owned by
-- it, and a row that does not exist all give the same error (P0002, same
-- message but for the key, same detail) from share_resource,
-- unshare_resource and transfer_resource: nothing leaks about other tenants' rows.
BEGIN;
SELECT regress.create_docs();  -- public.docs: acme private, acme shared with globex, globex private
SET LOCAL ROLE vt_app;
-- alice acts for acme
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
-- bob acts for globex, which sees acme's row shared with it, not acme's private one
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
SELECT title FROM docs ORDER BY id;
SELECT call, kind, replace(regress.try(format(call, id)), id::text, '<id>') AS outcome
  FROM (VALUES ('other tenant''s private row', '0000000a-0000-4000-8000-000000000001'::uuid),
               ('shared with me, not mine',   '0000000a-0000-4000-8000-000000000002'),
               ('no such row',                '0000000f-0000-4000-8000-00000000000f')) AS rows(kind, id),
       (VALUES ($$SELECT vital.share_resource('docs', %L, 'global')$$),
               ($$SELECT vital.share_resource('docs', %L, 'selective', '{d0000000-0000-4000-8000-000000000004}')$$),
               ($$SELECT vital.unshare_resource('docs', %L)$$)) AS calls(call)
 ORDER BY call, kind;
-- the whole error, detail included, is the same for all three
SAVEPOINT s;
SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000001');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000002');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT vital.unshare_resource('docs', '0000000f-0000-4000-8000-00000000000f');
ROLLBACK TO SAVEPOINT s;
-- no tenant context: nothing is visible, so nothing is found either
SELECT vital.clear_context();
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global')$$);
-- a platform admin sees every row, so for it only a missing row is missing
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd') IS NOT NULL AS dave;
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000f-0000-4000-8000-00000000000f', 'b0000000-0000-4000-8000-000000000002')$$);
SELECT regress.try($$SELECT vital.unshare_resource('docs', '0000000f-0000-4000-8000-00000000000f')$$);
-- nothing changed
RESET ROLE;
SELECT title, tenant_id, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
ROLLBACK;
