-- Testing your own tables' isolation with pgTAP: a template. Replace the
-- table (public.notes), the tenants, users and rows with your own, and keep
-- the shape: every test in one transaction that is rolled back, as your
-- application's role (a superuser bypasses row-level security and would
-- see everything).
--
--   psql -X -d yourdb -f isolation_test.sql    (prints TAP: look for "not ok")
--   pg_prove -d yourdb isolation_test.sql      (Debian: libtap-parser-sourcehandler-pgtap-perl)
--
-- Needs CREATE EXTENSION pgtap in the database (once, as a superuser).
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
-- The application's role: no superuser, may vouch for users.
SET LOCAL ROLE app;
SELECT plan(14);

-- alice, a member of acme: acme's notes and the platform's shared one
SELECT lives_ok(
    $$SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001', true)$$,
    'alice may act for acme');
SELECT results_eq(
    $$SELECT body FROM public.notes ORDER BY body$$,
    ARRAY['acme: first', 'acme: second', 'platform: for everybody'],
    'acme sees its own notes and the shared one');
SELECT is(
    (SELECT count(*) FROM public.notes WHERE tenant_id = 'b0000000-0000-4000-8000-000000000002'),
    0::bigint,
    'acme sees none of globex''s notes, even when it asks for them');

-- what acme writes is acme's; it cannot write for others or change what it only reads
SELECT lives_ok(
    $$INSERT INTO public.notes (body) VALUES ('acme: written by the test')$$,
    'acme writes a note');
SELECT is(
    (SELECT tenant_id FROM public.notes WHERE body = 'acme: written by the test'),
    'a0000000-0000-4000-8000-000000000001'::uuid,
    'the new note belongs to acme');
SELECT throws_ok(
    $$INSERT INTO public.notes (body, tenant_id) VALUES ('forged', 'b0000000-0000-4000-8000-000000000002')$$,
    '42501', NULL,
    'acme cannot write a note for globex');
SELECT is_empty(
    $$UPDATE public.notes SET body = 'changed' WHERE sharing_mode = 'global' RETURNING id$$,
    'acme cannot change the shared note it reads');

-- bob, a member of globex, in the same transaction: acme's new note is not his
SELECT lives_ok(
    $$SELECT vital.set_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002', true)$$,
    'bob may act for globex');
SELECT results_eq(
    $$SELECT body FROM public.notes ORDER BY body$$,
    ARRAY['globex: first', 'platform: for everybody'],
    'globex sees its own note and the shared one');

-- a context the checks refuse, and one nobody may forge
SELECT throws_ok(
    $$SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'b0000000-0000-4000-8000-000000000002', true)$$,
    '42501', 'permission denied for tenant b0000000-0000-4000-8000-000000000002',
    'alice may not act for globex');
SELECT throws_ok(
    $$SET LOCAL vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'$$,
    '42501', NULL,
    'the context cannot be set with SET');
SELECT is(vital.get_current_tenant_id(), 'b0000000-0000-4000-8000-000000000002'::uuid,
    'a refused change leaves the context as it was');

-- no context: nothing at all
SELECT lives_ok($$SELECT vital.clear_context(true)$$, 'anyone may clear the context');
SELECT is_empty($$SELECT * FROM public.notes$$, 'without a context no note is visible');

SELECT * FROM finish();
ROLLBACK;
