-- clone_resource copies a row the current tenant can see (its own, shared
-- with it selectively, or shared globally, e.g. the platform's templates)
-- into a new private row it owns, of resource type custom, with a new key;
-- all other columns keep their values, generated and identity columns make
-- their own. A tenant a row is shared with can clone it but not share or
-- unshare it. Unseen rows are P0002; no tenant context is 55000.
BEGIN;
SELECT regress.create_docs();  -- public.docs: acme private, acme shared with globex, globex private
SET LOCAL ROLE vt_app;
-- alice acts for acme
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
RESET ROLE;
UPDATE docs SET body = 'the body' WHERE id = '0000000a-0000-4000-8000-000000000002';
INSERT INTO docs (id, title, body, tenant_id, is_shared, sharing_mode, resource_type) VALUES
  ('0000000c-0000-4000-8000-000000000001', 'platform template', 'template body', '00000000-0000-0000-0000-000000000001', true, 'global', 'platform');
SET LOCAL ROLE vt_app;
-- bob acts for globex
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') IS NOT NULL AS bob,
       vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
SELECT vital.clone_resource('docs', '0000000a-0000-4000-8000-000000000002') AS clone_of_shared \gset
SELECT id = :'clone_of_shared' AS is_the_clone, title, body, tenant_id, is_shared, sharing_mode, shared_with, resource_type
  FROM docs WHERE title = 'acme shared with globex' ORDER BY is_the_clone;
-- the original cannot be shared or unshared by globex, the clone can
SELECT regress.try($$SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000002')$$);
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000002', 'global')$$);
SELECT regress.try(format($$SELECT vital.share_resource('docs', %L, 'global')$$, :'clone_of_shared'));
-- a global platform template
SELECT vital.clone_resource('docs', '0000000c-0000-4000-8000-000000000001') AS clone_of_template \gset
SELECT id = :'clone_of_template' AS is_the_clone, title, body, tenant_id, is_shared, sharing_mode, shared_with, resource_type
  FROM docs WHERE title = 'platform template' ORDER BY is_the_clone;
-- a clone of a clone is yet another row
SELECT vital.clone_resource('docs', :'clone_of_template') <> :'clone_of_template' AS new_key;
SELECT count(*) AS globex_templates FROM docs WHERE title = 'platform template' AND tenant_id = 'b0000000-0000-4000-8000-000000000002';
-- acme's private row and a missing row: the same P0002
SELECT replace(regress.try(format($$SELECT vital.clone_resource('docs', %L)$$, id)), id::text, '<id>') AS outcome
  FROM (VALUES ('0000000a-0000-4000-8000-000000000001'::uuid), ('0000000f-0000-4000-8000-00000000000f')) AS rows(id);
SAVEPOINT s;
SELECT vital.clone_resource('docs', '0000000a-0000-4000-8000-000000000001');
ROLLBACK TO SAVEPOINT s;
-- NULLs
SELECT regress.try($$SELECT vital.clone_resource(NULL, '0000000c-0000-4000-8000-000000000001')$$);
SELECT regress.try($$SELECT vital.clone_resource('docs', NULL)$$);
-- without a tenant context there is no owner for the clone
SELECT vital.clear_context();
SELECT regress.try($$SELECT vital.clone_resource('docs', '0000000c-0000-4000-8000-000000000001')$$);
SAVEPOINT s;
SELECT vital.clone_resource('docs', '0000000c-0000-4000-8000-000000000001');
ROLLBACK TO SAVEPOINT s;
-- a key without a default gets gen_random_uuid(); identity and generated
-- columns make their own values; other columns, defaults or not, are copied
RESET ROLE;
CREATE TABLE kits (
    id uuid PRIMARY KEY,
    serial int GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL,
    name_length int GENERATED ALWAYS AS (length(name)) STORED,
    created text NOT NULL DEFAULT 'by default',
    tags text[]
);
SELECT vital.enable_tenancy('kits');
GRANT SELECT, INSERT ON kits TO vt_app;
INSERT INTO kits (id, name, created, tags, tenant_id, is_shared, sharing_mode, resource_type) VALUES
  ('0000000c-0000-4000-8000-0000000000a1', 'starter kit', 'by the platform', '{a,b}', '00000000-0000-0000-0000-000000000001', true, 'global', 'platform');
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT vital.clone_resource('kits', '0000000c-0000-4000-8000-0000000000a1') AS kit_clone \gset
SELECT id = :'kit_clone' AS is_the_clone, id IS NOT NULL AS has_key, serial, name, name_length, created, tags,
       tenant_id, is_shared, sharing_mode, resource_type
  FROM kits ORDER BY is_the_clone;
-- INSERT only, no UPDATE: cloning needs no more than that; sharing needs UPDATE (PostgreSQL's 42501)
SELECT regress.try(format($$SELECT vital.share_resource('kits', %L, 'global')$$, :'kit_clone'));
ROLLBACK;
