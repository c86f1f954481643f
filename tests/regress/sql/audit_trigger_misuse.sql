-- vital.audit_sharing() works only as enable_tenancy installs it: called
-- directly (even by a superuser), fired BEFORE or for TRUNCATE, on a table
-- enable_tenancy did not register, or on one that lost its single-column
-- primary key, it fails with a clear error, not an internal one, and
-- records nothing. Anyone may attach it to a table of their own (a table
-- owner's new partition inherits it), but it records nothing there.
-- vital.refuse_audit_change() needs EXECUTE, which only superusers have.
BEGIN;
SELECT regress.try($$SELECT vital.audit_sharing()$$);
SELECT regress.try($$SELECT vital.refuse_audit_change()$$);
SET LOCAL ROLE vt_attacker;
SELECT regress.try($$SELECT vital.audit_sharing()$$);
SELECT regress.try($$SELECT vital.refuse_audit_change()$$);
-- a table of the attacker's own, with sharing columns naming a victim
CREATE TABLE attacker.regress_mine (id int PRIMARY KEY, tenant_id uuid, is_shared boolean, sharing_mode text, shared_with uuid[], resource_type text);
SELECT regress.try($$CREATE TRIGGER regress_fake AFTER INSERT ON attacker.regress_mine FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing()$$);
SELECT regress.try($$INSERT INTO attacker.regress_mine VALUES (1, 'a0000000-0000-4000-8000-000000000001', true, 'global', '{}', 'custom')$$);
RESET ROLE;
SELECT count(*) AS recorded FROM vital.resource_sharing_audit;
CREATE TABLE regress_docs (id int PRIMARY KEY);
SELECT vital.enable_tenancy('regress_docs');
CREATE TRIGGER regress_before BEFORE UPDATE ON regress_docs FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
CREATE TRIGGER regress_statement AFTER TRUNCATE ON regress_docs FOR EACH STATEMENT EXECUTE FUNCTION vital.audit_sharing();
INSERT INTO regress_docs (id, tenant_id) VALUES (1, 'a0000000-0000-4000-8000-000000000001');
SELECT regress.try($$UPDATE regress_docs SET is_shared = true, sharing_mode = 'global'$$);
SELECT regress.try($$TRUNCATE regress_docs$$);
-- tables never enabled, with or without the sharing columns
CREATE TABLE regress_plain (id int PRIMARY KEY, tenant_id uuid);
CREATE TRIGGER regress_audit AFTER INSERT ON regress_plain FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SELECT regress.try($$INSERT INTO regress_plain VALUES (1)$$);
CREATE TABLE regress_manual (id uuid PRIMARY KEY, tenant_id uuid, is_shared boolean, sharing_mode varchar(20), shared_with uuid[], resource_type varchar(20));
CREATE TRIGGER regress_audit AFTER INSERT ON regress_manual FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SELECT regress.try($$INSERT INTO regress_manual VALUES ('e0000000-0000-4000-8000-00000000000e', 'a0000000-0000-4000-8000-000000000001', true, 'global', '{}', 'custom')$$);
-- an enabled table whose primary key was dropped
CREATE TABLE regress_keyless (id int PRIMARY KEY);
SELECT vital.enable_tenancy('regress_keyless');
ALTER TABLE regress_keyless DROP CONSTRAINT regress_keyless_pkey;
SELECT regress.try($$INSERT INTO regress_keyless (id, tenant_id, is_shared, sharing_mode) VALUES (1, 'a0000000-0000-4000-8000-000000000001', true, 'global')$$);
SELECT count(*) AS recorded FROM vital.resource_sharing_audit;
ROLLBACK;
