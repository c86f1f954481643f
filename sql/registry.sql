-- The tenant registry. Only vital_tenancy's native functions write these
-- tables (with the registry owner's rights); everyone else reads them
-- through the row-level security policies in registry_policies.sql.

CREATE TABLE vital.tenants (
    id                uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    slug              text        NOT NULL UNIQUE
                                  CHECK (slug ~ '^[a-z0-9-]{3,63}$'),
    name              text        NOT NULL CHECK (pg_catalog.btrim(name) <> ''),
    tenant_type       text        NOT NULL
                                  CHECK (tenant_type IN ('client', 'solution', 'industry', 'platform')),
    subscription_tier text        NOT NULL DEFAULT 'free'
                                  CHECK (subscription_tier IN ('free', 'starter', 'professional', 'enterprise')),
    status            text        NOT NULL DEFAULT 'active'
                                  CHECK (status IN ('active', 'trial', 'suspended', 'archived')),
    settings          jsonb       NOT NULL DEFAULT '{}'
                                  CHECK (pg_catalog.jsonb_typeof(settings) = 'object'),
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE vital.tenants IS 'The tenants: organisations whose rows vital_tenancy keeps apart';

-- At most one platform tenant: it owns what is shared with everyone.
CREATE UNIQUE INDEX tenants_single_platform ON vital.tenants ((true)) WHERE tenant_type = 'platform';

CREATE TABLE vital.user_tenants (
    user_id    uuid        NOT NULL,
    tenant_id  uuid        NOT NULL REFERENCES vital.tenants (id) ON DELETE CASCADE,
    role       text        NOT NULL DEFAULT 'member'
                           CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    status     text        NOT NULL DEFAULT 'active'
                           CHECK (status IN ('active', 'invited', 'disabled')),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX user_tenants_tenant ON vital.user_tenants (tenant_id);
COMMENT ON TABLE vital.user_tenants IS 'Memberships: which users act for which tenants, and in what role';

CREATE TABLE vital.user_roles (
    user_id    uuid        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('platform_admin')),
    granted_by uuid,
    granted_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, role)
);
COMMENT ON TABLE vital.user_roles IS 'Platform-wide roles: platform admins see and manage every tenant';

INSERT INTO vital.tenants (id, slug, name, tenant_type, subscription_tier)
VALUES ('00000000-0000-0000-0000-000000000001', 'vital-platform', 'VITAL Platform', 'platform', 'enterprise');

-- pg_dump keeps what users added; the platform tenant comes with CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('vital.tenants', 'WHERE id <> ''00000000-0000-0000-0000-000000000001''');
SELECT pg_catalog.pg_extension_config_dump('vital.user_tenants', '');
SELECT pg_catalog.pg_extension_config_dump('vital.user_roles', '');

-- Every write of a registry table, in any session, reaches the per-backend
-- caches of the context checks (src/registry/cache.rs): the trigger sends a
-- relcache invalidation, which every backend processes at the start of its
-- next transaction.
CREATE FUNCTION vital.registry_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'registry_changed_wrapper';
REVOKE EXECUTE ON FUNCTION vital.registry_changed() FROM PUBLIC;
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vital.tenants
    FOR EACH STATEMENT EXECUTE FUNCTION vital.registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vital.user_tenants
    FOR EACH STATEMENT EXECUTE FUNCTION vital.registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vital.user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION vital.registry_changed();
-- ALWAYS: a session with session_replication_role = replica writes the
-- registry too. The caches trust only triggers enabled this way.
ALTER TABLE vital.tenants ENABLE ALWAYS TRIGGER registry_changed;
ALTER TABLE vital.user_tenants ENABLE ALWAYS TRIGGER registry_changed;
ALTER TABLE vital.user_roles ENABLE ALWAYS TRIGGER registry_changed;
