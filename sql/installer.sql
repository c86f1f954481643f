-- The tables vital.enable_tenancy put under row-level security. Only the
-- installer functions write it (with the registry owner's rights); anyone
-- may read it, as anyone may read the policies in pg_policy.

CREATE TABLE vital.tenant_tables (
    table_name      regclass    PRIMARY KEY,
    primary_key     name        NOT NULL,
    created_indexes name[]      NOT NULL DEFAULT '{}',
    enabled_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    enabled_by      name        NOT NULL
);
COMMENT ON TABLE vital.tenant_tables IS 'Tables protected by vital.enable_tenancy; created_indexes names the indexes it made in the table''s schema (disable_tenancy drops them)';

REVOKE ALL ON vital.tenant_tables FROM PUBLIC;
GRANT SELECT ON vital.tenant_tables TO PUBLIC;

-- pg_dump keeps the registry; table_name is dumped and restored by name. The
-- indexes are named, not regclass: a restore loads this table's rows before
-- it builds indexes.
SELECT pg_catalog.pg_extension_config_dump('vital.tenant_tables', '');

-- A dropped table leaves the registry with it, so its oid, if reused by a
-- later table, never makes that table look registered. Runs as the
-- extension's owner and deletes only rows of relations just dropped.
CREATE FUNCTION vital._forget_dropped_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM vital.tenant_tables t
     USING pg_catalog.pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.objsubid = 0
       AND t.table_name::pg_catalog.oid = d.objid;
END $$;
REVOKE EXECUTE ON FUNCTION vital._forget_dropped_tables() FROM PUBLIC;

CREATE EVENT TRIGGER vital_forget_dropped_tables ON sql_drop
    WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION vital._forget_dropped_tables();

-- DROP EXTENSION vital_tenancy without CASCADE is refused while tables are
-- protected (the error says what CASCADE would destroy and how to take the
-- tables out first); with CASCADE it warns. Enabled ALWAYS, so that it also
-- fires with session_replication_role = replica.
CREATE FUNCTION vital._guard_drop_extension() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'guard_drop_extension_wrapper';
REVOKE EXECUTE ON FUNCTION vital._guard_drop_extension() FROM PUBLIC;
CREATE EVENT TRIGGER vital_guard_drop_extension ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION vital._guard_drop_extension();
ALTER EVENT TRIGGER vital_guard_drop_extension ENABLE ALWAYS;

-- The CHECK enable_tenancy adds to every protected table (one native call:
-- PostgreSQL prepares CHECK expressions again for every write statement).
CREATE FUNCTION vital.sharing_columns_valid(is_shared boolean, sharing_mode text, resource_type text)
    RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'sharing_columns_valid_wrapper';
COMMENT ON FUNCTION vital.sharing_columns_valid(boolean, text, text)
    IS 'The CHECK vital_tenancy_sharing_check: sharing_mode and resource_type are known words, and is_shared = (sharing_mode <> ''private'')';
