-- share_resource refuses bad arguments, each with its SQLSTATE, before it
-- looks at the row: NULLs (22004), a mode other than global or selective,
-- selective with nobody, tenants with global, unknown tenants (22023), more
-- than 1000 tenants (54000). None of them changes the row.
BEGIN;
SELECT regress.create_docs();  -- public.docs: acme private, acme shared with globex, globex private
SET LOCAL ROLE vt_app;
-- alice acts for acme
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
-- NULL arguments, and a NULL inside the list
SELECT regress.try($$SELECT vital.share_resource(NULL, '0000000a-0000-4000-8000-000000000001', 'global')$$);
SELECT regress.try($$SELECT vital.share_resource('docs', NULL, 'global')$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', NULL)$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective', NULL)$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective', '{b0000000-0000-4000-8000-000000000002,NULL}')$$);
-- modes
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'public')$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'Global')$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'private')$$);
SAVEPOINT s;
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'private');
ROLLBACK TO SAVEPOINT s;
-- selective needs somebody other than the owner
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective')$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective', '{a0000000-0000-4000-8000-000000000001}')$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective', '{a0000000-0000-4000-8000-000000000001,a0000000-0000-4000-8000-000000000001}')$$);
-- tenants belong to selective sharing only
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global', '{b0000000-0000-4000-8000-000000000002}')$$);
SAVEPOINT s;
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global', '{b0000000-0000-4000-8000-000000000002}');
ROLLBACK TO SAVEPOINT s;
-- unknown tenants: the first (in uuid order) is named
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective', '{b0000000-0000-4000-8000-000000000002,f0000000-0000-4000-8000-00000000000f}')$$);
SAVEPOINT s;
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       '{f0000000-0000-4000-8000-00000000000f,e0000000-0000-4000-8000-00000000000e,b0000000-0000-4000-8000-000000000002}');
ROLLBACK TO SAVEPOINT s;
-- a suspended tenant exists, so it may be listed (sharing is not acting for it)
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective', '{c0000000-0000-4000-8000-000000000003}')$$);
-- 1001 distinct tenants are too many (54000); 1000 pass the limit and fail only
-- because those tenants do not exist (22023); duplicates do not count
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       array(SELECT ('f0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid FROM generate_series(1, 1001) g))$$);
SAVEPOINT s;
SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       array(SELECT ('f0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid FROM generate_series(1, 1001) g));
ROLLBACK TO SAVEPOINT s;
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       array(SELECT ('f0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid FROM generate_series(1, 1000) g))$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'selective',
       array(SELECT 'b0000000-0000-4000-8000-000000000002'::uuid FROM generate_series(1, 1001) g))$$);
-- nothing above changed the row but the one suspended-tenant share and the 1001 duplicates of globex
SELECT title, is_shared, sharing_mode, shared_with FROM docs ORDER BY id;
ROLLBACK;
