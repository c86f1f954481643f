-- The installed policies apply vital_tenancy's access rules to every
-- command: own rows, global and selective sharing, no context, inserts,
-- updates and deletes, and the platform admin bypass.
BEGIN;
CREATE TABLE regress_agents (id int PRIMARY KEY, name text NOT NULL);
SELECT vital.enable_tenancy('regress_agents');
INSERT INTO regress_agents (id, name, tenant_id, is_shared, sharing_mode, shared_with) VALUES
    (1, 'acme private',       'a0000000-0000-4000-8000-000000000001', false, 'private', '{}'),
    (2, 'globex private',     'b0000000-0000-4000-8000-000000000002', false, 'private', '{}'),
    (3, 'globex global',      'b0000000-0000-4000-8000-000000000002', true, 'global', '{}'),
    (4, 'globex to acme',     'b0000000-0000-4000-8000-000000000002', true, 'selective', '{a0000000-0000-4000-8000-000000000001}'),
    (5, 'globex to hooli',    'b0000000-0000-4000-8000-000000000002', true, 'selective', '{d0000000-0000-4000-8000-000000000004}'),
    (6, 'platform global',    '00000000-0000-0000-0000-000000000001', true, 'global', '{}'),
    (7, 'platform private',   '00000000-0000-0000-0000-000000000001', false, 'private', '{}');
GRANT SELECT, INSERT, UPDATE, DELETE ON regress_agents TO vt_app, vt_client;
SET LOCAL ROLE vt_app;
-- no context: no rows, nothing to change, no insert
SELECT count(*) AS no_context FROM regress_agents;
WITH changed AS (UPDATE regress_agents SET name = 'changed' RETURNING id) SELECT count(*) AS no_context_updated FROM changed;
WITH gone AS (DELETE FROM regress_agents RETURNING id) SELECT count(*) AS no_context_deleted FROM gone;
SELECT regress.try($$INSERT INTO regress_agents (id, name) VALUES (10, 'nobody')$$);
SELECT regress.try($$INSERT INTO regress_agents (id, name, tenant_id) VALUES (10, 'nobody', 'a0000000-0000-4000-8000-000000000001')$$);
-- acme (alice): own rows, global ones, those shared with acme
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT id, name FROM regress_agents ORDER BY id;
-- an insert takes its tenant from the context; another tenant's is refused
INSERT INTO regress_agents (id, name) VALUES (11, 'acme new') RETURNING tenant_id, is_shared, sharing_mode;
SELECT regress.try($$INSERT INTO regress_agents (id, name, tenant_id) VALUES (12, 'forged', 'b0000000-0000-4000-8000-000000000002')$$);
-- a row shared with acme is read, never changed
WITH changed AS (UPDATE regress_agents SET name = 'taken over' WHERE id IN (3, 4) RETURNING id) SELECT count(*) AS shared_updated FROM changed;
WITH gone AS (DELETE FROM regress_agents WHERE id IN (3, 4, 6) RETURNING id) SELECT count(*) AS shared_deleted FROM gone;
-- own rows change, but cannot be handed to another tenant
UPDATE regress_agents SET name = 'acme renamed' WHERE id = 1 RETURNING id, name;
SELECT regress.try($$UPDATE regress_agents SET tenant_id = 'b0000000-0000-4000-8000-000000000002' WHERE id = 1$$);
-- and may share them (consistently): row 1 becomes global
SELECT regress.try($$UPDATE regress_agents SET is_shared = true WHERE id = 1$$);
UPDATE regress_agents SET is_shared = true, sharing_mode = 'global' WHERE id = 1 RETURNING id, sharing_mode;
DELETE FROM regress_agents WHERE id = 11 RETURNING id;
-- globex (bob): its own rows and the global ones (acme's row 1 now too)
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
SELECT id, name FROM regress_agents ORDER BY id;
-- hooli, as the application acting for the tenant (no user)
SELECT vital.clear_context();
SELECT vital.set_tenant_context('d0000000-0000-4000-8000-000000000004');
SELECT id, name FROM regress_agents ORDER BY id;
-- a platform admin with no tenant, or as the platform tenant: everything
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT count(*) AS admin_no_tenant FROM regress_agents;
UPDATE regress_agents SET name = name || ' (checked)' WHERE id = 2 RETURNING id, name;
SELECT vital.set_tenant_context('00000000-0000-0000-0000-000000000001');
SELECT count(*) AS admin_as_platform FROM regress_agents;
INSERT INTO regress_agents (id, name, tenant_id) VALUES (13, 'admin for globex', 'b0000000-0000-4000-8000-000000000002');
DELETE FROM regress_agents WHERE id = 13 RETURNING id;
-- an admin acting as globex sees and changes exactly what globex may
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
SELECT id, name FROM regress_agents ORDER BY id;
WITH changed AS (UPDATE regress_agents SET name = 'admin as globex' WHERE id IN (1, 2, 7) RETURNING id) SELECT array_agg(id) AS updated_as_globex FROM changed;
SELECT regress.try($$INSERT INTO regress_agents (id, name, tenant_id) VALUES (14, 'x', 'a0000000-0000-4000-8000-000000000001')$$);
-- a client without a context sees nothing either
SELECT vital.clear_context();
RESET ROLE;
SET LOCAL ROLE vt_client;
SELECT count(*) AS client_no_context FROM regress_agents;
RESET ROLE;
SELECT id, name, tenant_id FROM regress_agents ORDER BY id;
ROLLBACK;
