-- vital_tenancy 0.1.0 to 0.2.0 (ALTER EXTENSION vital_tenancy UPDATE).
-- Brings a 0.1.0 database to exactly what a fresh 0.2.0 install has
-- (scripts/upgrade.sh compares the two), then moves every protected table
-- to what enable_tenancy installs in 0.2.0. UPDATING.md says what changes
-- and what it locks.
\echo Use "ALTER EXTENSION vital_tenancy UPDATE TO '0.2.0'" to load this file. \quit

-- The context setters no longer pin search_path: they run no SQL that
-- resolves names (the registry checks use kept plans with qualified names),
-- and a SET clause costs a GUC save and restore on every call.
ALTER FUNCTION vital.set_user_context(uuid, boolean) RESET search_path;
ALTER FUNCTION vital.set_tenant_context(uuid, boolean) RESET search_path;
ALTER FUNCTION vital.clear_context(boolean) RESET search_path;

-- Both settings in one call: one round trip per pooled transaction.
CREATE FUNCTION vital.set_context(
    "user_id" uuid,
    "tenant_id" uuid,
    "is_local" bool DEFAULT false
) RETURNS uuid
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'set_context_wrapper';

-- The registry caches of the context checks, and the triggers that clear
-- them in every backend after any write of the registry.
CREATE FUNCTION vital.registry_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'registry_changed_wrapper';
REVOKE EXECUTE ON FUNCTION vital.registry_changed() FROM PUBLIC;
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vital.tenants
    FOR EACH STATEMENT EXECUTE FUNCTION vital.registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vital.user_tenants
    FOR EACH STATEMENT EXECUTE FUNCTION vital.registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vital.user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION vital.registry_changed();
ALTER TABLE vital.tenants ENABLE ALWAYS TRIGGER registry_changed;
ALTER TABLE vital.user_tenants ENABLE ALWAYS TRIGGER registry_changed;
ALTER TABLE vital.user_roles ENABLE ALWAYS TRIGGER registry_changed;

-- The CHECK and the update trigger's WHEN condition, as native calls.
CREATE FUNCTION vital.sharing_columns_valid(is_shared boolean, sharing_mode text, resource_type text)
    RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'sharing_columns_valid_wrapper';
COMMENT ON FUNCTION vital.sharing_columns_valid(boolean, text, text)
    IS 'The CHECK vital_tenancy_sharing_check: sharing_mode and resource_type are known words, and is_shared = (sharing_mode <> ''private'')';
CREATE FUNCTION vital.sharing_changed(
    old_tenant_id uuid, new_tenant_id uuid,
    old_is_shared boolean, new_is_shared boolean,
    old_sharing_mode text, new_sharing_mode text,
    old_shared_with uuid[], new_shared_with uuid[]) RETURNS boolean
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'sharing_changed_wrapper';
COMMENT ON FUNCTION vital.sharing_changed(uuid, uuid, boolean, boolean, text, text, uuid[], uuid[])
    IS 'The WHEN condition of vital_tenancy_audit_update: whether an update changed tenant_id, is_shared, sharing_mode or shared_with';

-- A partition's owner creating or attaching a partition of a protected
-- table needs EXECUTE on the trigger function its row triggers inherit.
GRANT EXECUTE ON FUNCTION vital.audit_sharing() TO PUBLIC;

-- disable_tenancy gains keep_closed (policies removed, row-level security
-- left enabled and forced), and drop_columns works on a table no longer
-- registered. The new declaration names a new symbol: the old one stays for
-- the two-argument declaration, which refuses until this update ran.
DROP FUNCTION vital.disable_tenancy(regclass, boolean);
CREATE FUNCTION vital.disable_tenancy(
    "table_name" regclass,
    "drop_columns" bool DEFAULT false,
    "keep_closed" bool DEFAULT false
) RETURNS void
VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'disable_tenancy_in_mode_wrapper';

-- enable_tenancy refuses a table with permissive policies it did not
-- install, or with a foreign key from tenant_id to another table than
-- vital.tenants; replace_policies and replace_tenant_fk drop them;
-- default_resource_type stamps the rows that have no resource type. The new
-- declaration names a new symbol: the old one stays for the three-argument
-- declaration, which refuses until this update ran.
DROP FUNCTION vital.enable_tenancy(regclass, uuid, text);
CREATE FUNCTION vital.enable_tenancy(
    "table_name" regclass,
    "default_owner" uuid DEFAULT '00000000-0000-0000-0000-000000000001',
    "default_sharing" TEXT DEFAULT 'private',
    "default_resource_type" TEXT DEFAULT 'custom',
    "replace_policies" bool DEFAULT false,
    "replace_tenant_fk" bool DEFAULT false
) RETURNS void
VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'enable_tenancy_with_options_wrapper';

-- The preflight: what enable_tenancy would do to a table, and what would
-- stop it, changing nothing.
CREATE FUNCTION vital.tenancy_preflight(
    "table_name" regclass,
    "default_owner" uuid DEFAULT '00000000-0000-0000-0000-000000000001',
    "default_sharing" TEXT DEFAULT 'private',
    "default_resource_type" TEXT DEFAULT 'custom',
    "replace_policies" bool DEFAULT false,
    "replace_tenant_fk" bool DEFAULT false
) RETURNS TABLE (
    "kind" TEXT,
    "subject" TEXT,
    "finding" TEXT,
    "rows" bigint,
    "sample" jsonb
)
VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'tenancy_preflight_wrapper';

-- The doctor reports hazards: views and materialized views that read a
-- protected table around its policies, foreign keys from tenant_id to
-- another table. One column more, so a new declaration and symbol.
DROP FUNCTION vital.tenancy_status();
CREATE FUNCTION vital.tenancy_status() RETURNS TABLE (
    "table_name" regclass,
    "rls_enabled" bool,
    "rls_forced" bool,
    "policies_ok" bool,
    "extra_policies" TEXT[],
    "audit_trigger_ok" bool,
    "healthy" bool,
    "hazards" TEXT[]
)
STRICT STABLE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'tenancy_status_with_hazards_wrapper';

-- DROP EXTENSION vital_tenancy: refused without CASCADE while tables are
-- protected, a warning with it.
CREATE FUNCTION vital._guard_drop_extension() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'guard_drop_extension_wrapper';
REVOKE EXECUTE ON FUNCTION vital._guard_drop_extension() FROM PUBLIC;
CREATE EVENT TRIGGER vital_guard_drop_extension ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION vital._guard_drop_extension();
ALTER EVENT TRIGGER vital_guard_drop_extension ENABLE ALWAYS;

-- The trail: one btree (identity and a resource's history), identifiers
-- compared byte for byte, actor_role as text (a name took 64 bytes a
-- record), a BRIN index over arrival. Rewrites the trail once.
DROP INDEX vital.resource_sharing_audit_resource;
DROP INDEX vital.resource_sharing_audit_occurred_at;
ALTER TABLE vital.resource_sharing_audit
    DROP CONSTRAINT resource_sharing_audit_pkey,
    ALTER COLUMN table_name TYPE text COLLATE "C",
    ALTER COLUMN resource_id TYPE text COLLATE "C",
    ALTER COLUMN actor_role TYPE text COLLATE "C",
    ADD CONSTRAINT resource_sharing_audit_pkey PRIMARY KEY (table_name, resource_id, id);
CREATE INDEX resource_sharing_audit_arrival ON vital.resource_sharing_audit USING brin (occurred_at, id);

-- Every protected table gets what enable_tenancy installs in 0.2.0: the
-- audit triggers per event with WHEN conditions, the one native CHECK, the
-- partial indexes on sharing_mode alone (enable_tenancy run again moves a
-- table to them, partitions included, and keeps its rows as they are).
-- A table enable_tenancy now refuses as it is (55000: policies it did not
-- install, a foreign key to another tenants table) keeps 0.1.0's objects,
-- which still protect it as before, and the update says why with a
-- WARNING: the DBA decides, then runs enable_tenancy on it.
DO $upgrade$
DECLARE
    protected regclass;
    message text;
    detail text;
    hint text;
BEGIN
    FOR protected IN SELECT table_name FROM vital.tenant_tables ORDER BY table_name::text LOOP
        BEGIN
            PERFORM vital.enable_tenancy(protected);
        EXCEPTION WHEN object_not_in_prerequisite_state THEN
            GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                                    hint = PG_EXCEPTION_HINT;
            RAISE WARNING 'table % keeps what vital_tenancy 0.1.0 installed: %', protected, message
                USING DETAIL = detail, HINT = hint;
        END;
    END LOOP;
END
$upgrade$;
