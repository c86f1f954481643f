-- The sharing audit trail: one row per change of who may see a resource,
-- written by the trigger vital.audit_sharing() (which enable_tenancy puts
-- on every protected table, per row and per statement) in the transaction
-- of the change. Nobody writes it directly: the trigger inserts with the
-- registry owner's rights, tenants read it through the policy below, and
-- only superusers may change or remove rows.

-- The two trigger functions have hand-written entry points in src/audit.rs
-- (pgrx's #[pg_trigger] wrapper fails with an internal error when called
-- outside a trigger; these raise 39P01).
CREATE FUNCTION vital.audit_sharing() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'audit_sharing_wrapper';
-- The update trigger's WHEN condition: whether any column that can make
-- the trigger record something changed (compared as stored bytes). Native,
-- because PostgreSQL prepares a WHEN condition again for every statement.
CREATE FUNCTION vital.sharing_changed(
    old_tenant_id uuid, new_tenant_id uuid,
    old_is_shared boolean, new_is_shared boolean,
    old_sharing_mode text, new_sharing_mode text,
    old_shared_with uuid[], new_shared_with uuid[]) RETURNS boolean
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'sharing_changed_wrapper';
COMMENT ON FUNCTION vital.sharing_changed(uuid, uuid, boolean, boolean, text, text, uuid[], uuid[])
    IS 'The WHEN condition of vital_tenancy_audit_update: whether an update changed tenant_id, is_shared, sharing_mode or shared_with';
CREATE FUNCTION vital.refuse_audit_change() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'refuse_audit_change_wrapper';

CREATE TABLE vital.resource_sharing_audit (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    occurred_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- Identifiers, compared byte for byte: the history index below then
    -- compares with memcmp instead of the database's collation, and its
    -- order is the order the trigger sorts a statement's records in.
    table_name      text        COLLATE "C" NOT NULL,
    resource_id     text        COLLATE "C" NOT NULL,
    action          text        NOT NULL
                                CHECK (action IN ('create_shared', 'share', 'unshare',
                                                  'change_sharing', 'transfer', 'delete_shared')),
    old_state       jsonb,
    new_state       jsonb,
    actor_user_id   uuid,
    actor_tenant_id uuid,
    -- text, not name: a name takes 64 bytes in every record
    actor_role      text        COLLATE "C" NOT NULL,
    transaction_id  xid8        NOT NULL,
    -- A created row has no old state, a deleted one no new state; every
    -- other action has both.
    CONSTRAINT resource_sharing_audit_states CHECK (
        (old_state IS NULL) = (action = 'create_shared')
        AND (new_state IS NULL) = (action = 'delete_shared')),
    -- One btree for the identity (id alone is unique: it comes from the
    -- identity sequence) and for the history of one resource, in order: a
    -- bulk share writes one entry per record instead of two. The replica
    -- identity of logical replication (a retention DELETE, say).
    CONSTRAINT resource_sharing_audit_pkey PRIMARY KEY (table_name, resource_id, id)
);
COMMENT ON TABLE vital.resource_sharing_audit IS 'Who shared, unshared, transferred or deleted which shared resource, and when; written by the trigger vital.audit_sharing()';

-- Time and id ranges (the newest records, an export since a known id, a
-- retention DELETE): rows arrive in the order of both, so a BRIN index is
-- tiny and enough.
CREATE INDEX resource_sharing_audit_arrival ON vital.resource_sharing_audit USING brin (occurred_at, id);

REVOKE ALL ON vital.resource_sharing_audit FROM PUBLIC;
GRANT SELECT ON vital.resource_sharing_audit TO PUBLIC;
REVOKE ALL ON SEQUENCE vital.resource_sharing_audit_id_seq FROM PUBLIC;

-- Forced, so the owner reads through the policy too; with no INSERT,
-- UPDATE or DELETE policy, nobody but a superuser (the trigger's rights)
-- writes a row.
ALTER TABLE vital.resource_sharing_audit ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY resource_sharing_audit_read ON vital.resource_sharing_audit
    AS PERMISSIVE FOR SELECT TO PUBLIC
    USING (vital.can_read_sharing_audit(actor_tenant_id, old_state, new_state));

-- Defence in depth: privileges and RLS already stop everyone but the owner
-- (a superuser); this also stops an owner who is not one, and TRUNCATE,
-- which RLS does not cover.
CREATE TRIGGER resource_sharing_audit_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON vital.resource_sharing_audit
    FOR EACH STATEMENT EXECUTE FUNCTION vital.refuse_audit_change();

-- Revoked and granted again: the ACL a database updated from 0.1.0 (which
-- revoked it) ends with, so both print alike.
REVOKE EXECUTE ON FUNCTION vital.audit_sharing() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vital.audit_sharing() TO PUBLIC;
-- vital.audit_sharing() keeps EXECUTE for PUBLIC: PostgreSQL checks it
-- when a table's owner creates or attaches a partition of a protected
-- table (the partition inherits the row triggers). Attaching the function
-- to a table of one's own gains nothing: it refuses to record anything
-- for a table that is not registered by vital.enable_tenancy (55000).
REVOKE EXECUTE ON FUNCTION vital.refuse_audit_change() FROM PUBLIC;

-- pg_dump keeps the trail, and its sequence's position.
SELECT pg_catalog.pg_extension_config_dump('vital.resource_sharing_audit', '');
SELECT pg_catalog.pg_extension_config_dump('vital.resource_sharing_audit_id_seq', '');
