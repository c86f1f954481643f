-- unshare_resource makes an owned row private (not shared, mode private,
-- empty list); the tenant it was shared with no longer sees it; on a private
-- row it changes nothing and raises nothing. NULL arguments are 22004.
BEGIN;
SELECT regress.create_docs();  -- public.docs: acme private, acme shared with globex, globex private
SET LOCAL ROLE vt_app;
-- alice acts for acme
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000002');
SELECT title, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
-- globex no longer sees it
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
SELECT title FROM docs ORDER BY id;
-- a global share, undone
SELECT vital.share_resource('docs', '0000000b-0000-4000-8000-000000000001', 'global');
SELECT title, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
SELECT vital.unshare_resource('docs', '0000000b-0000-4000-8000-000000000001');
SELECT title, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
-- on a private row: no error, no new row version
SELECT ctid AS before FROM docs WHERE id = '0000000b-0000-4000-8000-000000000001' \gset
SELECT vital.unshare_resource('docs', '0000000b-0000-4000-8000-000000000001');
SELECT ctid = :'before' AS unchanged, is_shared, sharing_mode FROM docs WHERE id = '0000000b-0000-4000-8000-000000000001';
-- NULLs
SELECT regress.try($$SELECT vital.unshare_resource(NULL, '0000000b-0000-4000-8000-000000000001')$$);
SELECT regress.try($$SELECT vital.unshare_resource('docs', NULL)$$);
ROLLBACK;
