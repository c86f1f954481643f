-- The trail is under row-level security: a tenant reads the rows where it
-- acted, owned the resource before or after, or was in its list before or
-- after; a platform admin with no tenant (or the platform's) reads all,
-- previewing a tenant reads what that tenant reads; no context reads nothing.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY);
ALTER TABLE regress_docs OWNER TO vt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON regress_docs TO vt_client;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
CREATE TEMP VIEW trail AS
    SELECT id, action || ' ' || resource_id AS event FROM vital.resource_sharing_audit;
GRANT SELECT ON trail TO PUBLIC;
-- acme (alice) shares 2 with globex and 3 with everyone
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id) VALUES (1);
INSERT INTO regress_docs (id, is_shared, sharing_mode, shared_with) VALUES (2, true, 'selective', '{b0000000-0000-4000-8000-000000000002}');
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (3, true, 'global');
-- globex (bob) shares 10 with hooli
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
INSERT INTO regress_docs (id, is_shared, sharing_mode, shared_with) VALUES (10, true, 'selective', '{d0000000-0000-4000-8000-000000000004}');
-- dave (platform admin) gives acme's private 1 to hooli
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
UPDATE regress_docs SET tenant_id = 'd0000000-0000-4000-8000-000000000004' WHERE id = 1;
-- acme moves 2 from globex to initech: globex saw it before, so it sees the change
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
UPDATE regress_docs SET shared_with = '{c0000000-0000-4000-8000-000000000003}' WHERE id = 2;
-- the platform admin, no tenant: everything
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT event FROM trail ORDER BY id;
-- as the platform tenant: everything
SELECT vital.set_tenant_context('00000000-0000-0000-0000-000000000001');
SELECT string_agg(event, ', ' ORDER BY id) AS platform_admin FROM trail;
-- previewing acme: what acme sees
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT string_agg(event, ', ' ORDER BY id) AS admin_as_acme FROM trail;
-- acme: its inserts (1 is private: none), the transfer away from it, its change
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT string_agg(event, ', ' ORDER BY id) AS acme FROM trail;
-- globex: named in 2's list (before the change too), its own insert
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
SELECT string_agg(event, ', ' ORDER BY id) AS globex FROM trail;
-- hooli (frank): named in 10's list, new owner of 1; a resource shared
-- globally (3) shows the resource to everyone, not its history
SELECT vital.set_user_context('ffffffff-ffff-4fff-8fff-ffffffffffff');
SELECT vital.set_tenant_context('d0000000-0000-4000-8000-000000000004');
SELECT string_agg(event, ', ' ORDER BY id) AS hooli FROM trail;
-- frank acting for acme (a viewer there) sees what acme sees
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT string_agg(event, ', ' ORDER BY id) AS frank_as_acme FROM trail;
-- no context, another role, an attacker: nothing
SELECT vital.clear_context();
SELECT count(*) AS no_context FROM trail;
RESET ROLE;
SET LOCAL ROLE vt_client;
SELECT count(*) AS client_no_context FROM vital.resource_sharing_audit;
RESET ROLE;
SET LOCAL ROLE vt_attacker;
SELECT count(*) AS attacker FROM vital.resource_sharing_audit;
SELECT regress.try($$SET vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'$$);
SELECT count(*) AS attacker_after_forging FROM vital.resource_sharing_audit;
ROLLBACK;
