-- 20. Behind a transaction pooler every transaction sets its own context,
-- in one call: vital.set_context(user, tenant, is_local => true).
SET ROLE vital_app;
PREPARE visible_agents AS SELECT count(*) FROM public.agents;
BEGIN;
SELECT vital.set_context('a11ce000-0000-4000-8000-000000000001', '11111111-1111-1111-1111-111111111111', true) AS alice_at_the_startup;
EXECUTE visible_agents;
COMMIT;
BEGIN;
SELECT vital.set_context('b0b00000-0000-4000-8000-000000000002', 'f7aa6fd4-0af9-4706-8b31-034f1f7accda', true) AS bob_at_pharma;
EXECUTE visible_agents;
-- 21. The plan reads the tenant when it runs (vital.get_current_tenant_id()
-- in its index conditions), so one generic plan serves both tenants: it is
-- not planned again when the tenant changes. (A tenant's own list on a large
-- table walks its (tenant_id, name) index: see bench/run.sh, query c.)
EXPLAIN (COSTS OFF) EXECUTE visible_agents;
COMMIT;
RESET ROLE;
SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'visible_agents';

