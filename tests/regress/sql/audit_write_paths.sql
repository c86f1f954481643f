-- The trail is written directly (heap and indexes, as COPY does) while it
-- is as CREATE EXTENSION made it, and by an executor INSERT once a
-- superuser has changed it (here: an INSERT trigger, which the direct
-- path would skip; a rule, a foreign key or another column would do the
-- same). Both write the same records: the identity from the trail's
-- sequence, occurred_at = now(), transaction_id = pg_current_xact_id(),
-- actor_role = the acting role, and the trail's constraints checked.
BEGIN;
CREATE TABLE regress_docs (id uuid PRIMARY KEY, n int NOT NULL);
ALTER TABLE regress_docs OWNER TO vt_app;
CREATE FUNCTION pg_temp.regress_watch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'trail INSERT of % rows', (SELECT count(*) FROM written);
    RETURN NULL;
END $$;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id, n) SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, g FROM generate_series(1, 6) g;
-- directly
UPDATE regress_docs SET is_shared = true, sharing_mode = 'global' WHERE n <= 3;
RESET ROLE;
CREATE TRIGGER regress_watch AFTER INSERT ON vital.resource_sharing_audit
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.regress_watch();
SET LOCAL ROLE vt_app;
-- through the executor: the trigger sees one INSERT of the statement's records
UPDATE regress_docs SET is_shared = true, sharing_mode = 'global' WHERE n > 3;
RESET ROLE;
SELECT id - min(id) OVER () AS id_step, resource_id, action, new_state ->> 'sharing_mode' AS mode,
       occurred_at = now() AS at_now, transaction_id = pg_current_xact_id() AS this_transaction,
       actor_role, actor_user_id, actor_tenant_id
  FROM vital.resource_sharing_audit WHERE table_name = 'public.regress_docs' ORDER BY id;
SELECT count(*) AS records, count(DISTINCT old_state::text || new_state::text) AS distinct_state_pairs
  FROM vital.resource_sharing_audit WHERE table_name = 'public.regress_docs';
SELECT last_value - max(a.id) AS sequence_ahead FROM vital.resource_sharing_audit_id_seq, vital.resource_sharing_audit a GROUP BY last_value;
ROLLBACK;
