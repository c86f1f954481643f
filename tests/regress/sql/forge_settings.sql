-- No role but a superuser can write the context settings, by any route,
-- once the library is loaded in the backend.
BEGIN;
SELECT vital.get_current_tenant_id();  -- loads the library
SET LOCAL ROLE vt_attacker;
SELECT regress.try($$SET vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'$$);
SELECT regress.try($$SET LOCAL vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'$$);
SELECT regress.try($$SET vital.user_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$);
SELECT regress.try($$SELECT set_config('vital.tenant_id', 'a0000000-0000-4000-8000-000000000001', false)$$);
SELECT regress.try($$SELECT set_config('vital.user_id', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', true)$$);
SELECT regress.try($$UPDATE pg_settings SET setting = 'a0000000-0000-4000-8000-000000000001' WHERE name = 'vital.tenant_id'$$);
SELECT regress.try($$SET vital.trust_jwt_claims = on$$);
SELECT regress.try($$RESET vital.tenant_id$$);
-- the reserved prefix: no stray vital.* placeholder can be made
SELECT regress.try($$SET vital.tenant = 'a0000000-0000-4000-8000-000000000001'$$);
-- a function's SET clause is checked when the function is created
SELECT regress.try($$CREATE FUNCTION attacker.forged() RETURNS uuid LANGUAGE sql
    SET vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'
    AS 'SELECT vital.get_current_tenant_id()'$$);
-- per-role and per-database defaults are refused as well
SELECT regress.try($$ALTER ROLE vt_attacker SET vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'$$);
SELECT regress.try($$ALTER ROLE vt_attacker IN DATABASE vt_attacker_db SET vital.user_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$);
SELECT regress.try($$ALTER DATABASE vt_attacker_db SET vital.tenant_id = 'a0000000-0000-4000-8000-000000000001'$$);
-- nothing got through
SELECT vital.get_current_tenant_id(), vital.current_user_id(),
       current_setting('vital.tenant_id') AS tenant_setting,
       current_setting('vital.trust_jwt_claims') AS trust_jwt;
ROLLBACK;
SELECT count(*) AS stored_role_settings FROM pg_db_role_setting
 WHERE array_to_string(setconfig, ',') LIKE '%vital.%';
-- even a superuser cannot store anything but a UUID or nothing
SELECT regress.try($$SET vital.tenant_id = 'acme'$$);
SELECT regress.try($$SET vital.user_id = '1; drop table vital.tenants'$$);
