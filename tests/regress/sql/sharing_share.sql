-- share_resource as the owning tenant: selective sharing stores the list
-- de-duplicated, sorted and without the owner; the listed tenant then sees
-- the row; sharing again (globally) replaces how it is shared.
BEGIN;
SELECT regress.create_docs();  -- public.docs: acme private, acme shared with globex, globex private
SET LOCAL ROLE vt_app;
-- alice acts for acme
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
-- hooli, globex twice, and acme itself, out of order
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       '{d0000000-0000-4000-8000-000000000004,b0000000-0000-4000-8000-000000000002,a0000000-0000-4000-8000-000000000001,b0000000-0000-4000-8000-000000000002}');
SELECT title, tenant_id, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
-- globex (bob) now sees it
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
SELECT title FROM docs ORDER BY id;
-- back to acme: share it globally instead (the default tenants list is empty)
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global');
SELECT title, is_shared, sharing_mode, shared_with FROM docs WHERE id = '0000000a-0000-4000-8000-000000000001';
-- and selectively again, with a uuid[] built by ARRAY
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       ARRAY['d0000000-0000-4000-8000-000000000004']::uuid[]);
SELECT title, is_shared, sharing_mode, shared_with FROM docs WHERE id = '0000000a-0000-4000-8000-000000000001';
-- sharing exactly as it already is changes nothing (the row keeps its ctid: no new row version)
SELECT ctid AS before FROM docs WHERE id = '0000000a-0000-4000-8000-000000000001' \gset
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       '{d0000000-0000-4000-8000-000000000004}');
SELECT ctid = :'before' AS unchanged FROM docs WHERE id = '0000000a-0000-4000-8000-000000000001';
-- the named arguments
SELECT vital.share_resource(table_name => 'docs', resource_id => '0000000a-0000-4000-8000-000000000002',
                            mode => 'selective', tenants => '{d0000000-0000-4000-8000-000000000004}');
SELECT title, is_shared, sharing_mode, shared_with FROM docs WHERE id = '0000000a-0000-4000-8000-000000000002';
ROLLBACK;
