-- When the audit row cannot be written, the change fails with it.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY);
ALTER TABLE regress_docs OWNER TO vt_app;
-- the trail refuses rows about resource 13 (a stand-in for any failure: a
-- full disk, a lock timeout, a broken constraint)
ALTER TABLE vital.resource_sharing_audit ADD CONSTRAINT regress_refuse_some CHECK (resource_id NOT IN ('13', '15'));
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id) VALUES (12), (13);
SELECT regress.try($$UPDATE regress_docs SET is_shared = true, sharing_mode = 'global'$$);
SELECT regress.try($$INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (14, true, 'global'), (15, true, 'global')$$);
-- nothing changed, nothing recorded
SELECT id, is_shared, sharing_mode FROM regress_docs ORDER BY id;
SELECT count(*) AS recorded FROM vital.resource_sharing_audit;
-- a change the trail can record goes through
UPDATE regress_docs SET is_shared = true, sharing_mode = 'global' WHERE id = 12;
SELECT action, resource_id FROM vital.resource_sharing_audit;
ROLLBACK;
