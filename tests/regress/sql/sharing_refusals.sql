-- The tables the sharing functions refuse: one not under vital_tenancy
-- (55000, with a hint to run enable_tenancy), one whose primary key is not a
-- uuid (42804); and a caller without UPDATE on the table gets PostgreSQL's
-- own 42501.
BEGIN;
CREATE TABLE regress_plain (id uuid PRIMARY KEY, title text);
CREATE TABLE regress_numbered (id int PRIMARY KEY, title text);
SELECT vital.enable_tenancy('regress_numbered');
CREATE TABLE docs (id uuid PRIMARY KEY, title text);
SELECT vital.enable_tenancy('docs');
GRANT SELECT ON regress_plain, regress_numbered, docs TO vt_app;
INSERT INTO docs (id, title, tenant_id) VALUES ('0000000a-0000-4000-8000-000000000001', 'acme doc', 'a0000000-0000-4000-8000-000000000001');
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT call, regress.try(format(call, t)) AS outcome
  FROM (VALUES ('regress_plain'), ('regress_numbered')) AS tables(t),
       (VALUES ($$SELECT vital.share_resource(%L, '0000000a-0000-4000-8000-000000000001', 'global')$$),
               ($$SELECT vital.unshare_resource(%L, '0000000a-0000-4000-8000-000000000001')$$),
               ($$SELECT vital.clone_resource(%L, '0000000a-0000-4000-8000-000000000001')$$)) AS calls(call)
 ORDER BY t DESC, call;
SAVEPOINT s;
SELECT vital.share_resource('regress_plain', '0000000a-0000-4000-8000-000000000001', 'global');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT vital.share_resource('regress_numbered', '0000000a-0000-4000-8000-000000000001', 'global');
ROLLBACK TO SAVEPOINT s;
-- an oid that names no table
SELECT regress.try($$SELECT vital.unshare_resource(4294967295::oid::regclass, '0000000a-0000-4000-8000-000000000001')$$);
-- a registered table the caller may only read: PostgreSQL refuses the lock
SELECT regress.try($$SELECT vital.share_resource('docs', '0000000a-0000-4000-8000-000000000001', 'global')$$);
SELECT regress.try($$SELECT vital.unshare_resource('docs', '0000000a-0000-4000-8000-000000000001')$$);
SELECT regress.try($$SELECT vital.clone_resource('docs', '0000000a-0000-4000-8000-000000000001')$$);
-- a platform admin without UPDATE is refused the same way
SELECT vital.clear_context();
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd') IS NOT NULL AS dave;
SELECT regress.try($$SELECT vital.transfer_resource('docs', '0000000a-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002')$$);
ROLLBACK;
