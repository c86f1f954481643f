-- Updates that leave the sharing columns as they were record nothing:
-- other columns, the same values written again, shared_with reordered or
-- with repeats (it is compared as a set), and a private row's list. A
-- change of resource_type alone records nothing either: it does not change
-- who may see the row, which is what the trail is about (the type still
-- appears in the states of every row recorded).
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY, title text NOT NULL);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id, title) VALUES (1, 'private');
INSERT INTO regress_docs (id, title, is_shared, sharing_mode, shared_with) VALUES
    (2, 'selective', true, 'selective', '{b0000000-0000-4000-8000-000000000002, d0000000-0000-4000-8000-000000000004}');
SELECT count(*) AS before FROM vital.resource_sharing_audit;
UPDATE regress_docs SET title = 'renamed';
UPDATE regress_docs SET tenant_id = tenant_id, is_shared = is_shared, sharing_mode = sharing_mode, shared_with = shared_with;
UPDATE regress_docs SET shared_with = '{d0000000-0000-4000-8000-000000000004, b0000000-0000-4000-8000-000000000002}' WHERE id = 2;
UPDATE regress_docs SET shared_with = '{b0000000-0000-4000-8000-000000000002, d0000000-0000-4000-8000-000000000004, b0000000-0000-4000-8000-000000000002}' WHERE id = 2;
UPDATE regress_docs SET shared_with = '{b0000000-0000-4000-8000-000000000002}' WHERE id = 1;
UPDATE regress_docs SET resource_type = 'solution';
SELECT count(*) AS after FROM vital.resource_sharing_audit;
-- while a real change in the list is recorded
UPDATE regress_docs SET shared_with = '{b0000000-0000-4000-8000-000000000002}' WHERE id = 2;
SELECT action, resource_id, old_state -> 'shared_with' AS old_list, new_state -> 'shared_with' AS new_list,
       new_state ->> 'resource_type' AS resource_type
  FROM vital.resource_sharing_audit ORDER BY id;
ROLLBACK;
