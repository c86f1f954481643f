-- The audit row is written in the transaction of the change: a rollback,
-- or a rollback to a savepoint, leaves none.
CREATE TABLE regress_rollback_docs (id int PRIMARY KEY);
ALTER TABLE regress_rollback_docs OWNER TO vt_app;
SET ROLE vt_app;
SELECT vital.enable_tenancy('regress_rollback_docs');
BEGIN;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', true);
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true);
INSERT INTO regress_rollback_docs (id, is_shared, sharing_mode) VALUES (1, true, 'global');
SELECT count(*) AS inside FROM vital.resource_sharing_audit;
ROLLBACK;
BEGIN;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', true);
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true);
SELECT count(*) AS after_rollback FROM vital.resource_sharing_audit;
INSERT INTO regress_rollback_docs (id) VALUES (2);
SAVEPOINT before_sharing;
UPDATE regress_rollback_docs SET is_shared = true, sharing_mode = 'global' WHERE id = 2;
SELECT count(*) AS inside_savepoint FROM vital.resource_sharing_audit;
ROLLBACK TO SAVEPOINT before_sharing;
SELECT count(*) AS after_savepoint_rollback FROM vital.resource_sharing_audit;
-- a failed statement caught in PL/pgSQL (a subtransaction) leaves none either
SELECT regress.try($$WITH s AS (UPDATE regress_rollback_docs SET is_shared = true, sharing_mode = 'global' WHERE id = 2 RETURNING id)
                     SELECT 1 / 0 FROM s$$);
SELECT count(*) AS after_failed_statement FROM vital.resource_sharing_audit;
-- what is kept is kept
UPDATE regress_rollback_docs SET is_shared = true, sharing_mode = 'global' WHERE id = 2;
SELECT action, resource_id FROM vital.resource_sharing_audit;
ROLLBACK;
RESET ROLE;
DROP TABLE regress_rollback_docs;
