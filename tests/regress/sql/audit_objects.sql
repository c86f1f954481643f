-- What CREATE EXTENSION puts in place for the trail: the table and its
-- checks, indexes, privileges, policy and triggers; kept by pg_dump; the
-- functions' properties.
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attcollation::regcollation AS collation, a.attnotnull, a.attidentity
  FROM pg_attribute a WHERE a.attrelid = 'vital.resource_sharing_audit'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'vital.resource_sharing_audit'::regclass AND contype <> 'n' ORDER BY conname;
SELECT indexdef FROM pg_indexes WHERE schemaname = 'vital' AND tablename = 'resource_sharing_audit' ORDER BY indexname;
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'vital.resource_sharing_audit'::regclass;
-- PUBLIC may only read it (through the policy); no role but its owner holds a privilege.
SELECT p AS privilege, has_table_privilege('public', 'vital.resource_sharing_audit', p) AS public
  FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p;
SELECT count(*) AS other_grantees FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = 'vital.resource_sharing_audit'::regclass AND a.grantee NOT IN (0, c.relowner);
SELECT polname, polcmd, polroles, pg_get_expr(polqual, polrelid) AS qual, polwithcheck FROM pg_policy
 WHERE polrelid = 'vital.resource_sharing_audit'::regclass;
SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'vital.resource_sharing_audit'::regclass;
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'vital_tenancy';
SELECT proname, pg_get_function_identity_arguments(oid) AS arguments, prorettype::regtype, provolatile, proparallel,
       proisstrict, proleakproof, prosecdef, proacl
  FROM pg_proc WHERE pronamespace = 'vital'::regnamespace
   AND proname IN ('audit_sharing', 'refuse_audit_change', 'can_read_sharing_audit') ORDER BY proname;
