-- Every sharing change made with plain INSERT, UPDATE and DELETE leaves one
-- row in vital.resource_sharing_audit with its action, the sharing columns
-- before and after, and who did it; private rows leave nothing.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY, title text NOT NULL);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
CREATE TEMP VIEW trail AS
    SELECT id - min(id) OVER () + 1 AS n, action, table_name, resource_id, old_state, new_state,
           actor_user_id, actor_tenant_id, actor_role,
           transaction_id = pg_current_xact_id() AS this_transaction, occurred_at = now() AS transaction_time
      FROM vital.resource_sharing_audit ORDER BY id;
-- a private insert records nothing; inserts already shared record create_shared
INSERT INTO regress_docs (id, title) VALUES (1, 'private');
INSERT INTO regress_docs (id, title, is_shared, sharing_mode) VALUES (2, 'global', true, 'global');
INSERT INTO regress_docs (id, title, is_shared, sharing_mode, shared_with, resource_type)
    VALUES (3, 'selective', true, 'selective', '{b0000000-0000-4000-8000-000000000002}', 'solution');
SELECT n, action, table_name, resource_id, old_state, new_state FROM trail;
SELECT DISTINCT actor_user_id, actor_tenant_id, actor_role, this_transaction, transaction_time FROM trail;
-- share: private to global
UPDATE regress_docs SET is_shared = true, sharing_mode = 'global' WHERE id = 1;
-- change_sharing: the mode, then the list
UPDATE regress_docs SET sharing_mode = 'selective', shared_with = '{d0000000-0000-4000-8000-000000000004}' WHERE id = 1;
UPDATE regress_docs SET shared_with = '{d0000000-0000-4000-8000-000000000004, b0000000-0000-4000-8000-000000000002}' WHERE id = 1;
-- unshare: back to private
UPDATE regress_docs SET is_shared = false, sharing_mode = 'private', shared_with = '{}' WHERE id = 1;
-- delete_shared; deleting a private row records nothing
DELETE FROM regress_docs WHERE id IN (1, 2);
SELECT n, action, resource_id, old_state, new_state FROM trail WHERE n > 2;
-- transfer: a platform admin (dave, no tenant) hands row 3 to globex and
-- makes it global in the same statement; the owner change wins
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
UPDATE regress_docs SET tenant_id = 'b0000000-0000-4000-8000-000000000002', sharing_mode = 'global', shared_with = '{}' WHERE id = 3;
-- a private row changing owner is a transfer too
INSERT INTO regress_docs (id, title, tenant_id) VALUES (4, 'admin private', 'a0000000-0000-4000-8000-000000000001');
UPDATE regress_docs SET tenant_id = 'd0000000-0000-4000-8000-000000000004' WHERE id = 4;
SELECT n, action, resource_id, old_state, new_state, actor_user_id, actor_tenant_id, actor_role FROM trail WHERE n >= 8;
SELECT count(*) AS rows_recorded FROM trail;
ROLLBACK;
