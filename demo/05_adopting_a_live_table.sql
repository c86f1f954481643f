-- 22. Adopting a table that already lives: the tools table of a database
-- that grew up with Supabase's open policy and a tenants table of its own.
CREATE TABLE public.legacy_tenants (id uuid PRIMARY KEY, name text NOT NULL);
INSERT INTO public.legacy_tenants VALUES ('11111111-1111-1111-1111-111111111111', 'Digital Health Startup');
CREATE TABLE public.tools (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    category    text,
    tenant_id   uuid REFERENCES public.legacy_tenants (id) ON DELETE CASCADE
);
INSERT INTO public.tools (name, category, tenant_id) VALUES
    ('web search', 'search', NULL),
    ('lab results lookup', 'clinical', NULL);
ALTER TABLE public.tools ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable read access for all users" ON public.tools FOR SELECT USING (true);
GRANT SELECT ON public.tools TO curious_client;
-- A dashboard view a superuser made long ago.
CREATE VIEW public.tool_names AS SELECT name, category FROM public.tools;
GRANT SELECT ON public.tool_names TO curious_client;

-- 23. enable_tenancy will not leave the table open: the open policy and the
-- old tenants key are refused in one error, each listed, and nothing is
-- changed.
\set ON_ERROR_STOP 0
SELECT vital.enable_tenancy('public.tools', default_resource_type => 'platform');
\set ON_ERROR_STOP 1
SELECT count(*) AS columns_added FROM information_schema.columns
 WHERE table_name = 'tools' AND column_name = 'sharing_mode';

-- 24. The DBA decides: drop them (each is said in a NOTICE). The existing
-- rows, which had no owner, become the platform's catalogue. The
-- superuser's view is reported as a hazard, with what to do.
SELECT vital.enable_tenancy('public.tools', default_resource_type => 'platform',
                            replace_policies => true, replace_tenant_fk => true);
SELECT name, tenant_id, resource_type FROM public.tools ORDER BY name;
SELECT table_name, healthy, hazards FROM vital.tenancy_status() WHERE table_name = 'public.tools'::regclass;

-- 25. The client with a SQL prompt reads nothing through the table, and,
-- once the view reads as its caller, nothing through the view either.
SET ROLE curious_client;
SELECT count(*) AS tools_for_a_client FROM public.tools;
RESET ROLE;
ALTER VIEW public.tool_names SET (security_invoker = true);
SET ROLE curious_client;
SELECT count(*) AS tool_names_for_a_client FROM public.tool_names;
RESET ROLE;
SELECT table_name, healthy, hazards FROM vital.tenancy_status() WHERE table_name = 'public.tools'::regclass;
