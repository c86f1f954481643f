-- A value set before the library is loaded in a backend is a placeholder
-- any role could write. Loading the library throws it away.
\c vital_regress vt_attacker
SET vital.tenant_id = 'a0000000-0000-4000-8000-000000000001';
SET vital.user_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT set_config('vital.trust_jwt_claims', 'on', false);
SELECT vital.get_current_tenant_id() AS tenant, vital.current_user_id() AS "user";
SELECT current_setting('vital.tenant_id') AS tenant_setting,
       current_setting('vital.trust_jwt_claims') AS trust_jwt;
-- the same through connection options (PGOPTIONS)
\c "dbname=vital_regress user=vt_attacker options='-c vital.tenant_id=a0000000-0000-4000-8000-000000000001 -c vital.user_id=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'"
SELECT vital.get_current_tenant_id() AS tenant, vital.current_user_id() AS "user";
-- and through a transaction-local placeholder
\c "dbname=vital_regress user=vt_attacker options=''"
BEGIN;
SET LOCAL vital.tenant_id = 'a0000000-0000-4000-8000-000000000001';
SELECT vital.get_current_tenant_id() AS tenant;
ROLLBACK;
