-- enable_tenancy refuses a table whose tenant_id references another table
-- than vital.tenants (a legacy tenants table, ON DELETE CASCADE): tenants
-- made with vital.create_tenant could not own its rows, and a delete in the
-- old table would still remove them. replace_tenant_fk => true drops it and
-- references vital.tenants; a key to a protected parent is not refused.
\set SHOW_CONTEXT never
BEGIN;
CREATE TABLE regress_legacy_tenants (id uuid PRIMARY KEY);
INSERT INTO regress_legacy_tenants VALUES ('a0000000-0000-4000-8000-000000000001');
CREATE TABLE regress_fk_agents (
    id int PRIMARY KEY,
    name text NOT NULL,
    tenant_id uuid NOT NULL REFERENCES regress_legacy_tenants (id) ON DELETE CASCADE
);
INSERT INTO regress_fk_agents VALUES (1, 'acme agent', 'a0000000-0000-4000-8000-000000000001');
ALTER TABLE regress_fk_agents OWNER TO vt_app;
GRANT SELECT, INSERT ON regress_fk_agents TO vt_client;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_fk_agents')$$) AS refused;
SELECT vital.enable_tenancy('regress_fk_agents');
ROLLBACK;

BEGIN;
CREATE TABLE regress_legacy_tenants (id uuid PRIMARY KEY);
INSERT INTO regress_legacy_tenants VALUES ('a0000000-0000-4000-8000-000000000001');
CREATE TABLE regress_fk_agents (
    id int PRIMARY KEY,
    name text NOT NULL,
    tenant_id uuid NOT NULL REFERENCES regress_legacy_tenants (id) ON DELETE CASCADE
);
INSERT INTO regress_fk_agents VALUES (1, 'acme agent', 'a0000000-0000-4000-8000-000000000001');
ALTER TABLE regress_fk_agents OWNER TO vt_app;
GRANT SELECT, INSERT ON regress_fk_agents TO vt_client;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_fk_agents', replace_tenant_fk => true);
SELECT conname, confrelid::regclass AS references FROM pg_constraint
 WHERE conrelid = 'regress_fk_agents'::regclass AND contype = 'f' ORDER BY conname;
-- a tenant made with vital.create_tenant (globex, not in the old table) can insert
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002');
SELECT regress.try($$INSERT INTO regress_fk_agents (id, name) VALUES (2, 'globex agent')$$) AS globex_insert;
SELECT vital.clear_context();
-- and a delete in the old table no longer reaches the rows
RESET ROLE;
DELETE FROM regress_legacy_tenants;
SELECT count(*) AS rows_left FROM regress_fk_agents;
ROLLBACK;

-- a composite key that includes tenant_id and references a protected
-- parent is the parent's owner, not another tenants table: kept
BEGIN;
CREATE TABLE regress_fk_sessions (id int PRIMARY KEY, title text);
ALTER TABLE regress_fk_sessions OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_fk_sessions');
RESET ROLE;
ALTER TABLE regress_fk_sessions ADD UNIQUE (tenant_id, id);
CREATE TABLE regress_fk_messages (
    id int PRIMARY KEY,
    session_id int NOT NULL,
    tenant_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001',
    FOREIGN KEY (tenant_id, session_id) REFERENCES regress_fk_sessions (tenant_id, id)
);
ALTER TABLE regress_fk_messages OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_fk_messages');
SELECT count(*) AS foreign_keys FROM pg_constraint
 WHERE conrelid = 'regress_fk_messages'::regclass AND contype = 'f';
ROLLBACK;

-- both kinds at once: one error lists them all, and one call drops them
BEGIN;
CREATE TABLE regress_legacy_tenants (id uuid PRIMARY KEY);
CREATE TABLE regress_fk_tools (
    id int PRIMARY KEY,
    tenant_id uuid REFERENCES regress_legacy_tenants (id)
);
CREATE POLICY "Enable read access for all users" ON regress_fk_tools FOR SELECT USING (true);
ALTER TABLE regress_fk_tools OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_fk_tools');
ROLLBACK;
BEGIN;
CREATE TABLE regress_legacy_tenants (id uuid PRIMARY KEY);
CREATE TABLE regress_fk_tools (
    id int PRIMARY KEY,
    tenant_id uuid REFERENCES regress_legacy_tenants (id)
);
CREATE POLICY "Enable read access for all users" ON regress_fk_tools FOR SELECT USING (true);
ALTER TABLE regress_fk_tools OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_fk_tools', replace_policies => true)$$) AS policies_only;
SELECT vital.enable_tenancy('regress_fk_tools', replace_policies => true, replace_tenant_fk => true);
ROLLBACK;
