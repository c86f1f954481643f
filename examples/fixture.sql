-- What the driver recipes run against, loaded by scripts/examples.sh as a
-- superuser: two tenants with a member each, a protected table with rows of
-- each tenant and one of the platform shared with everybody, and the
-- application's login role, which is no superuser and may vouch for users.
CREATE EXTENSION vital_tenancy;

SELECT vital.create_tenant('acme', 'Acme Health', 'client', 'professional', 'a0000000-0000-4000-8000-000000000001');
SELECT vital.create_tenant('globex', 'Globex Pharma', 'client', 'enterprise', 'b0000000-0000-4000-8000-000000000002');
-- alice works for acme, bob for globex
SELECT vital.add_tenant_member('a0000000-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'member');
SELECT vital.add_tenant_member('b0000000-0000-4000-8000-000000000002', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'member');

CREATE TABLE public.notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), body text NOT NULL);
SELECT vital.enable_tenancy('public.notes');
INSERT INTO public.notes (body, tenant_id, is_shared, sharing_mode) VALUES
    ('acme: first', 'a0000000-0000-4000-8000-000000000001', false, 'private'),
    ('acme: second', 'a0000000-0000-4000-8000-000000000001', false, 'private'),
    ('globex: first', 'b0000000-0000-4000-8000-000000000002', false, 'private'),
    ('platform: for everybody', '00000000-0000-0000-0000-000000000001', true, 'global');

-- The application's role, as the README's installation section says.
CREATE ROLE app LOGIN;
GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.notes TO app;
