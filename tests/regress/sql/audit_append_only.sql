-- Nobody but a superuser rewrites the trail: tenants and other roles get
-- 42501 for INSERT, UPDATE, DELETE and TRUNCATE (no privilege); an owner
-- that is not a superuser is stopped by the forced row-level security
-- (INSERT) and by the append-only trigger (UPDATE, DELETE, TRUNCATE).
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (1, true, 'global');
-- the tenant that acted
SELECT regress.try($$INSERT INTO vital.resource_sharing_audit (table_name, resource_id, action, new_state, actor_role, transaction_id)
                     VALUES ('public.regress_docs', '2', 'create_shared', '{}', 'vt_app', pg_current_xact_id())$$);
SELECT regress.try($$UPDATE vital.resource_sharing_audit SET action = 'share'$$);
SELECT regress.try($$DELETE FROM vital.resource_sharing_audit$$);
SELECT regress.try($$TRUNCATE vital.resource_sharing_audit$$);
-- an attacker
RESET ROLE;
SET LOCAL ROLE vt_attacker;
SELECT regress.try($$DELETE FROM vital.resource_sharing_audit$$);
SELECT regress.try($$TRUNCATE vital.resource_sharing_audit$$);
SELECT regress.try($$SELECT vital.refuse_audit_change()$$);
-- a table owner that is not a superuser
RESET ROLE;
ALTER TABLE vital.resource_sharing_audit OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT regress.try($$INSERT INTO vital.resource_sharing_audit (table_name, resource_id, action, new_state, actor_role, transaction_id)
                     VALUES ('public.regress_docs', '2', 'create_shared', '{}', 'vt_app', pg_current_xact_id())$$);
SELECT regress.try($$UPDATE vital.resource_sharing_audit SET action = 'share'$$);
SELECT regress.try($$DELETE FROM vital.resource_sharing_audit$$);
SELECT regress.try($$TRUNCATE vital.resource_sharing_audit$$);
-- the trail is intact
SELECT action, resource_id FROM vital.resource_sharing_audit;
-- a superuser may prune it
RESET ROLE;
ALTER TABLE vital.resource_sharing_audit OWNER TO postgres;
DELETE FROM vital.resource_sharing_audit WHERE resource_id = '1' RETURNING action;
ROLLBACK;
