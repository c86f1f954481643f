-- Who reads the registry, and who may call what.

GRANT USAGE ON SCHEMA vital TO PUBLIC;

REVOKE ALL ON vital.tenants, vital.user_tenants, vital.user_roles FROM PUBLIC;
GRANT SELECT ON vital.tenants, vital.user_tenants, vital.user_roles TO PUBLIC;

ALTER TABLE vital.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE vital.user_tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE vital.user_roles ENABLE ROW LEVEL SECURITY;

-- A user reads the platform tenant and the tenants they actively belong to;
-- platform admins read all. The membership subquery is itself filtered by
-- the user_tenants policy below, which never refers back to tenants.
CREATE POLICY tenants_visible ON vital.tenants FOR SELECT USING (
    id = '00000000-0000-0000-0000-000000000001'
    OR id IN (SELECT m.tenant_id FROM vital.user_tenants m
               WHERE m.user_id = vital.current_user_id() AND m.status = 'active')
    OR (SELECT vital.is_platform_admin())
);

-- A user reads their own memberships and those of the tenants they administer.
CREATE POLICY user_tenants_visible ON vital.user_tenants FOR SELECT USING (
    user_id = vital.current_user_id()
    OR tenant_id IN (SELECT pg_catalog.unnest(vital.administered_tenants()))
    OR (SELECT vital.is_platform_admin())
);

CREATE POLICY user_roles_visible ON vital.user_roles FOR SELECT USING (
    user_id = vital.current_user_id()
    OR (SELECT vital.is_platform_admin())
);

-- Vouching for a user is the application's authenticated role's job: the
-- DBA grants this to that role alone.
REVOKE EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) FROM PUBLIC;
