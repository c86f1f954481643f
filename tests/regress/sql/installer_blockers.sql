-- Rows that a constraint enable_tenancy adds would reject: the error names
-- the first such row by its key, says what is wrong with it and how many
-- rows fail, and nothing is changed. The seeds' drifted data: a 'public'
-- mode, is_shared false on a global row, a 'template' resource type, and
-- owners that were never tenants.
\set SHOW_CONTEXT never
BEGIN;
CREATE TABLE regress_bl_agents (
    id            int PRIMARY KEY,
    name          text NOT NULL,
    tenant_id     uuid,
    is_shared     boolean,
    sharing_mode  varchar(20),
    shared_with   uuid[],
    resource_type varchar(20)
);
INSERT INTO regress_bl_agents VALUES
    (1, 'fine', NULL, NULL, NULL, NULL, NULL),
    (2, 'public mode', 'a0000000-0000-4000-8000-000000000001', true, 'public', '{}', 'custom'),
    (3, 'not shared but global', 'a0000000-0000-4000-8000-000000000001', false, 'global', '{}', 'custom'),
    (4, 'a template', 'a0000000-0000-4000-8000-000000000001', false, 'private', '{}', 'template');
ALTER TABLE regress_bl_agents OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_bl_agents')$$) AS refused;
SELECT vital.enable_tenancy('regress_bl_agents');
ROLLBACK;
-- each fault is named in turn as the rows are corrected
BEGIN;
CREATE TABLE regress_bl_agents (
    id            int PRIMARY KEY,
    tenant_id     uuid,
    is_shared     boolean,
    sharing_mode  text,
    resource_type text
);
INSERT INTO regress_bl_agents VALUES
    (3, 'a0000000-0000-4000-8000-000000000001', false, 'global', 'custom'),
    (4, 'a0000000-0000-4000-8000-000000000001', false, 'private', 'template');
ALTER TABLE regress_bl_agents OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_bl_agents');
ROLLBACK;
-- nothing was changed by a refused call
BEGIN;
CREATE TABLE regress_bl_agents (id int PRIMARY KEY, tenant_id uuid, sharing_mode text);
INSERT INTO regress_bl_agents VALUES (1, 'a0000000-0000-4000-8000-000000000001', 'public');
ALTER TABLE regress_bl_agents OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SAVEPOINT before;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_bl_agents')$$) AS refused;
SELECT count(*) AS columns FROM pg_attribute WHERE attrelid = 'regress_bl_agents'::regclass AND attnum > 0;
SELECT relrowsecurity FROM pg_class WHERE oid = 'regress_bl_agents'::regclass;
ROLLBACK;
-- owners that are no tenant (a legacy tenants table's ids)
BEGIN;
CREATE TABLE regress_bl_tools (id uuid PRIMARY KEY, tenant_id uuid);
INSERT INTO regress_bl_tools VALUES
    ('00000000-0000-4000-8000-0000000000b1', 'a0000000-0000-4000-8000-000000000001'),
    ('00000000-0000-4000-8000-0000000000b2', 'eeeeeeee-0000-4000-8000-000000000001'),
    ('00000000-0000-4000-8000-0000000000b3', 'eeeeeeee-0000-4000-8000-000000000002');
ALTER TABLE regress_bl_tools OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_bl_tools')$$) AS refused;
SELECT vital.enable_tenancy('regress_bl_tools');
ROLLBACK;
