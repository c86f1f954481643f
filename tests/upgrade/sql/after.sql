-- After ALTER EXTENSION vital_tenancy UPDATE: the rows, the sharing and the
-- trail made by the previous release are kept, and every protected table
-- carries what enable_tenancy installs today.
SELECT extversion FROM pg_extension WHERE extname = 'vital_tenancy';
SELECT table_name, rls_enabled, rls_forced, policies_ok, extra_policies, audit_trigger_ok, healthy, hazards FROM vital.tenancy_status()
 WHERE table_name::text LIKE 'upgrade_fixture.%' ORDER BY 1;
-- the constraints, triggers, indexes and policies of each table
SELECT conrelid::regclass AS "table", conname, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint
 WHERE connamespace = 'upgrade_fixture'::regnamespace AND contype IN ('c', 'f')
 ORDER BY 1, 2;
SELECT tgrelid::regclass AS "table", tgname, tgenabled
  FROM pg_trigger
 WHERE tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'upgrade_fixture'::regnamespace)
   AND NOT tgisinternal
 ORDER BY 1, 2;
SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'upgrade_fixture' ORDER BY 1, 2;
SELECT tablename, policyname, cmd FROM pg_policies WHERE schemaname = 'upgrade_fixture' ORDER BY 1, 2;
-- nothing of the tables became a member of the extension
SELECT count(*) AS fixture_objects_in_extension
  FROM pg_depend d
 WHERE d.deptype = 'e' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vital_tenancy')
   AND pg_describe_object(d.classid, d.objid, d.objsubid) LIKE '%upgrade_fixture%';
-- the registry's triggers, which the registry caches rely on
SELECT tgrelid::regclass AS "table", tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('vital.tenants'::regclass, 'vital.user_tenants'::regclass, 'vital.user_roles'::regclass)
   AND NOT tgisinternal ORDER BY 1, 2;
-- the old trail, its records and their new column types
SELECT action, table_name, resource_id, actor_role, old_state IS NULL AS no_old_state
  FROM vital.resource_sharing_audit ORDER BY id;
SELECT attname, format_type(atttypid, atttypmod) AS type, attcollation::regcollation AS collation
  FROM pg_attribute
 WHERE attrelid = 'vital.resource_sharing_audit'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;
-- each tenant sees what it saw before
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
SELECT name, tenant_id, sharing_mode FROM upgrade_fixture.agents ORDER BY name;
SELECT vital.set_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002') IS NOT NULL AS globex;
SELECT name, tenant_id, sharing_mode FROM upgrade_fixture.agents ORDER BY name;
SELECT payload FROM upgrade_fixture.events;
-- a new share is recorded; a private insert is not
SELECT vital.share_resource('upgrade_fixture.agents', '00000a01-0000-4000-8000-0000000000b1', 'selective',
                            '{a0000000-0000-4000-8000-000000000001}');
INSERT INTO upgrade_fixture.agents (id, name) VALUES ('00000a01-0000-4000-8000-0000000000b3', 'globex new');
RESET ROLE;
SELECT action, resource_id, actor_role FROM vital.resource_sharing_audit
 WHERE resource_id IN ('00000a01-0000-4000-8000-0000000000b1', '00000a01-0000-4000-8000-0000000000b3');
ROLLBACK;
-- the registry caches are on again: a member removed in this session is
-- refused at the next check all the same (the trigger invalidates)
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
RESET ROLE;
SELECT vital.remove_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true)$$);
ROLLBACK;
-- and the installer works again
BEGIN;
CREATE TABLE upgrade_fixture.after_update (id uuid PRIMARY KEY);
SELECT vital.enable_tenancy('upgrade_fixture.after_update');
SELECT healthy FROM vital.tenancy_status() WHERE table_name = 'upgrade_fixture.after_update'::regclass;
ROLLBACK;
-- the table opened by a policy of its own kept 0.1.0's objects; once the
-- DBA decided, enable_tenancy moves it to today's
\set SHOW_CONTEXT never
SELECT regress.try($$SELECT vital.enable_tenancy('upgrade_fixture.open_tools')$$) AS refused;
BEGIN;
SELECT vital.enable_tenancy('upgrade_fixture.open_tools', replace_policies => true);
SELECT tgname FROM pg_trigger WHERE tgrelid = 'upgrade_fixture.open_tools'::regclass AND NOT tgisinternal ORDER BY 1;
SELECT healthy FROM vital.tenancy_status() WHERE table_name = 'upgrade_fixture.open_tools'::regclass;
ROLLBACK;
