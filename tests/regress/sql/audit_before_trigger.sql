-- A sharing column changed by a BEFORE trigger, not by the statement's SET
-- list, is recorded: the update trigger's WHEN condition compares the row
-- versions as stored, and it has no column list (UPDATE OF … would not
-- fire for columns outside the SET list).
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY, title text NOT NULL);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
-- publishing a document (its title starting with "public:") shares it
CREATE FUNCTION pg_temp.regress_publish() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title LIKE 'public:%' THEN
        NEW.is_shared := true;
        NEW.sharing_mode := 'global';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER regress_publish BEFORE INSERT OR UPDATE ON regress_docs FOR EACH ROW EXECUTE FUNCTION pg_temp.regress_publish();
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id, title) VALUES (1, 'draft'), (2, 'public: at once');
UPDATE regress_docs SET title = 'public: now' WHERE id = 1;
SELECT id, is_shared, sharing_mode FROM regress_docs ORDER BY id;
SELECT action, resource_id, old_state ->> 'sharing_mode' AS was, new_state ->> 'sharing_mode' AS now
  FROM vital.resource_sharing_audit ORDER BY id;
ROLLBACK;
