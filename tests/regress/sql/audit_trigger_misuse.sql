-- vital.audit_sharing() works only as enable_tenancy installs it: called
-- directly (even by a superuser), fired BEFORE or for TRUNCATE, or on a
-- table without the sharing columns or a single-column primary key, it
-- fails with a clear error, not an internal one. Attaching it needs
-- EXECUTE, which only superusers have. The same for
-- vital.refuse_audit_change().
BEGIN;
SELECT regress.try($$SELECT vital.audit_sharing()$$);
SELECT regress.try($$SELECT vital.refuse_audit_change()$$);
SET LOCAL ROLE vt_attacker;
SELECT regress.try($$SELECT vital.audit_sharing()$$);
SELECT regress.try($$SELECT vital.refuse_audit_change()$$);
CREATE TABLE attacker.regress_mine (id int PRIMARY KEY);
SELECT regress.try($$CREATE TRIGGER regress_fake AFTER INSERT ON attacker.regress_mine FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing()$$);
RESET ROLE;
CREATE TABLE regress_docs (id int PRIMARY KEY);
SELECT vital.enable_tenancy('regress_docs');
CREATE TRIGGER regress_before BEFORE UPDATE ON regress_docs FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
CREATE TRIGGER regress_statement AFTER TRUNCATE ON regress_docs FOR EACH STATEMENT EXECUTE FUNCTION vital.audit_sharing();
INSERT INTO regress_docs (id, tenant_id) VALUES (1, 'a0000000-0000-4000-8000-000000000001');
SELECT regress.try($$UPDATE regress_docs SET is_shared = true, sharing_mode = 'global'$$);
SELECT regress.try($$TRUNCATE regress_docs$$);
-- a table without the sharing columns
CREATE TABLE regress_plain (id int PRIMARY KEY, tenant_id uuid);
CREATE TRIGGER regress_audit AFTER INSERT ON regress_plain FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SELECT regress.try($$INSERT INTO regress_plain VALUES (1)$$);
-- a sharing column of another type
CREATE TABLE regress_odd (id int PRIMARY KEY, tenant_id text, is_shared boolean, sharing_mode text, shared_with uuid[], resource_type text);
CREATE TRIGGER regress_audit AFTER INSERT ON regress_odd FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SELECT regress.try($$INSERT INTO regress_odd VALUES (1, 'x', true, 'global', '{}', 'custom')$$);
-- no primary key
CREATE TABLE regress_keyless (id int, tenant_id uuid, is_shared boolean, sharing_mode text, shared_with uuid[], resource_type text);
CREATE TRIGGER regress_audit AFTER INSERT ON regress_keyless FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
SELECT regress.try($$INSERT INTO regress_keyless VALUES (1, 'a0000000-0000-4000-8000-000000000001', true, 'global', '{}', 'custom')$$);
-- attached by a superuser to a table never enabled, it records the table itself
CREATE TABLE regress_manual (id uuid PRIMARY KEY, tenant_id uuid, is_shared boolean, sharing_mode varchar(20), shared_with uuid[], resource_type varchar(20));
CREATE TRIGGER regress_audit AFTER INSERT ON regress_manual FOR EACH ROW EXECUTE FUNCTION vital.audit_sharing();
INSERT INTO regress_manual VALUES ('e0000000-0000-4000-8000-00000000000e', 'a0000000-0000-4000-8000-000000000001', true, 'global', '{}', 'custom');
SELECT action, table_name, resource_id, new_state ->> 'sharing_mode' AS mode, actor_role FROM vital.resource_sharing_audit;
ROLLBACK;
