-- 6. The platform's agents table, as it was before tenancy: 254 agents, no owner.
CREATE TABLE public.agents (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    category    text,
    description text
);
INSERT INTO public.agents (name, category, description)
SELECT format('Agent %s', i), (ARRAY['clinical', 'regulatory', 'marketing'])[1 + i % 3], 'one of the original agents'
  FROM generate_series(1, 254) AS i;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.agents TO vital_app, curious_client;

-- 7. One call protects it. The existing agents become the platform tenant's,
-- shared globally, as the platform's own migration decided.
SELECT vital.enable_tenancy('public.agents', default_sharing => 'global');
UPDATE public.agents SET resource_type = 'platform';
\d public.agents
SELECT table_name, primary_key, created_indexes FROM vital.tenant_tables;

-- 8. Alice (Digital Health Startup) creates a private agent: the owner column
-- fills itself in from her context.
SET ROLE vital_app;
BEGIN;
SELECT vital.set_user_context('a11ce000-0000-4000-8000-000000000001', true);
SELECT vital.set_tenant_context('11111111-1111-1111-1111-111111111111', true);
INSERT INTO public.agents (name, category) VALUES ('Trial Recruiter', 'clinical') RETURNING name, tenant_id, sharing_mode;
SELECT count(*) AS alice_sees, count(*) FILTER (WHERE tenant_id = vital.get_current_tenant_id()) AS her_own FROM public.agents;
COMMIT;

-- 9. Bob (Pharmaceuticals) sees the platform's agents, not Alice's private one,
-- and cannot change or take over what he only reads.
BEGIN;
SELECT vital.set_user_context('b0b00000-0000-4000-8000-000000000002', true);
SELECT vital.set_tenant_context('f7aa6fd4-0af9-4706-8b31-034f1f7accda', true);
SELECT count(*) AS bob_sees FROM public.agents;
SELECT count(*) AS trial_recruiters_bob_sees FROM public.agents WHERE name = 'Trial Recruiter';
UPDATE public.agents SET name = 'hijacked' WHERE resource_type = 'platform';
COMMIT;

-- 10. The plan: the access check became index conditions for Bob's tenant.
BEGIN;
SELECT vital.set_user_context('b0b00000-0000-4000-8000-000000000002', true);
SELECT vital.set_tenant_context('f7aa6fd4-0af9-4706-8b31-034f1f7accda', true);
SET LOCAL enable_seqscan = off;   -- the table is small; show the plan a large one gets
EXPLAIN (COSTS OFF) SELECT count(*) FROM public.agents;
COMMIT;

-- 11. A client with a SQL prompt and SELECT on the table: no context, no rows.
RESET ROLE;
SET ROLE curious_client;
SELECT count(*) AS curious_client_sees FROM public.agents;
RESET ROLE;

-- 12. A platform admin with no tenant context sees everything (admin bypass).
SET ROLE vital_app;
BEGIN;
SELECT vital.set_user_context('ad000000-0000-4000-8000-00000000000a', true);
SELECT count(*) AS admin_sees FROM public.agents;
COMMIT;
RESET ROLE;

-- 13. The doctor. Someone "fixes" a bug by opening the table; the doctor notices.
SELECT table_name, rls_forced, policies_ok, extra_policies, healthy FROM vital.tenancy_status();
CREATE POLICY quick_fix ON public.agents FOR SELECT USING (true);
SELECT table_name, rls_forced, policies_ok, extra_policies, healthy FROM vital.tenancy_status();
DROP POLICY quick_fix ON public.agents;
SELECT table_name, healthy FROM vital.tenancy_status();
