-- What bench/oltp.sh needs on top of bench/generate.sql: one member user per
-- tenant, the Supabase-style and the seeds' designs, write policies for every
-- design, the JWT role, and the small table of per-transaction inputs that
-- every pgbench script reads the same way. Run as a superuser after
-- generate.sql, in the same database:
--
--   psql -X -v ON_ERROR_STOP=1 -d DB -v tenants=1000 [-v slots=8] [-v peer_fk=on] -f bench/oltp.sql
--
-- Designs and their tables (all five hold the same rows in the same order):
--   vital     bench_installed  vital.enable_tenancy (made by generate.sql)
--   hand      bench_hand       policy on nullif(current_setting('app.current_tenant', true), '')::uuid
--   supabase  bench_supabase   policy with a membership subquery on auth.uid() (request.jwt.claims)
--   seeds     bench_plpgsql    the seeds' PL/pgSQL design: seeds.set_tenant_context + a per-row
--                              PL/pgSQL access function
--   norls     bench_norls      no RLS
-- Only the SQL API of vital_tenancy is used (create_tenant, add_tenant_member,
-- enable_tenancy ran in generate.sql; add_tenant_member here).

\set QUIET on
\set ON_ERROR_STOP on
\if :{?tenants} \else \set tenants 1000 \endif
\if :{?slots}   \else \set slots 8      \endif
\if :{?peer_fk} \else \set peer_fk on     \endif

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS oltp, seeds, auth CASCADE;
DROP TABLE IF EXISTS public.bench_supabase;
RESET client_min_messages;
CREATE SCHEMA oltp;
CREATE SCHEMA seeds;
CREATE SCHEMA auth;

-- The member user of tenant i (generate.sql's scheme for its benchmarked tenant).
CREATE FUNCTION oltp.member_uuid(i int) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('20000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid;

-- ---------------------------------------------------------------------------
-- One active member per tenant, registered with vital (its own membership
-- check reads these), and the same pairs for the two peers that check
-- memberships themselves.
\echo oltp: one member per tenant (vital.add_tenant_member)
\timing on
SELECT count(vital.add_tenant_member(bench.tenant_uuid(i), oltp.member_uuid(i), 'member')) AS members_added
  FROM generate_series(1, :tenants) i \gset
\timing off

-- Supabase-style memberships (user_id, tenant_id), read by the policy.
CREATE TABLE oltp.memberships (
    user_id   uuid NOT NULL,
    tenant_id uuid NOT NULL,
    PRIMARY KEY (user_id, tenant_id)
);
INSERT INTO oltp.memberships
SELECT oltp.member_uuid(i), bench.tenant_uuid(i) FROM generate_series(1, :tenants) i;

-- The seeds' schema: tenants, user_tenants, user_roles (plain tables, as in
-- the platform's migrations; only the columns the functions read).
CREATE TABLE seeds.tenants (
    id     uuid PRIMARY KEY,
    status text NOT NULL DEFAULT 'active'
);
CREATE TABLE seeds.user_tenants (
    user_id   uuid NOT NULL,
    tenant_id uuid NOT NULL REFERENCES seeds.tenants (id),
    role      text NOT NULL DEFAULT 'member',
    status    text NOT NULL DEFAULT 'active',
    PRIMARY KEY (user_id, tenant_id)
);
CREATE TABLE seeds.user_roles (
    user_id uuid NOT NULL,
    role    text NOT NULL,
    PRIMARY KEY (user_id, role)
);
INSERT INTO seeds.tenants (id) VALUES ('00000000-0000-0000-0000-000000000001');
INSERT INTO seeds.tenants (id) SELECT bench.tenant_uuid(i) FROM generate_series(1, :tenants) i;
INSERT INTO seeds.user_tenants (user_id, tenant_id)
SELECT oltp.member_uuid(i), bench.tenant_uuid(i) FROM generate_series(1, :tenants) i;
INSERT INTO seeds.user_roles VALUES ('0a000000-0000-4000-8000-00000000ad01', 'platform_admin');

-- ---------------------------------------------------------------------------
-- The role PostgREST switches to (SET LOCAL ROLE) in the JWT mix; bench_app
-- plays PostgREST's authenticator.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_authenticated') THEN
        CREATE ROLE bench_authenticated NOLOGIN NOSUPERUSER;
    END IF;
END $$;
GRANT bench_authenticated TO bench_app;

-- auth.uid() as Supabase defines it: the sub claim of request.jwt.claims.
CREATE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;

-- ---------------------------------------------------------------------------
-- Design 2, hand: the tenant in a plain setting, set with set_config and not
-- checked; an index-friendly OR of own, global and selective rows.
DROP POLICY IF EXISTS bench_hand_select ON public.bench_hand;
CREATE POLICY oltp_hand_select ON public.bench_hand FOR SELECT USING (
    tenant_id = nullif(current_setting('app.current_tenant', true), '')::uuid
    OR (is_shared AND sharing_mode = 'global')
    OR (is_shared AND sharing_mode = 'selective'
        AND shared_with @> ARRAY[nullif(current_setting('app.current_tenant', true), '')::uuid])
);
CREATE POLICY oltp_hand_insert ON public.bench_hand FOR INSERT
    WITH CHECK (tenant_id = nullif(current_setting('app.current_tenant', true), '')::uuid);
CREATE POLICY oltp_hand_update ON public.bench_hand FOR UPDATE
    USING (tenant_id = nullif(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.current_tenant', true), '')::uuid);

-- ---------------------------------------------------------------------------
-- Design 3, supabase: no tenant context at all; the user comes from the JWT
-- claims and sees the rows of the tenants they belong to (Supabase's
-- documented pattern, with auth.uid() wrapped in a sub-select so it runs
-- once per statement), plus global and selective shares of those tenants.
-- Same rows and indexes as bench_hand.
\echo oltp: bench_supabase (copy of bench_norls)
CREATE TABLE public.bench_supabase (LIKE public.bench_norls INCLUDING DEFAULTS);
INSERT INTO public.bench_supabase SELECT * FROM public.bench_norls;
ALTER TABLE public.bench_supabase ADD PRIMARY KEY (id);
CREATE INDEX ON public.bench_supabase (tenant_id);
CREATE INDEX ON public.bench_supabase (sharing_mode) WHERE is_shared;
CREATE INDEX ON public.bench_supabase USING gin (shared_with);
CREATE INDEX bench_supabase_tenant_name ON public.bench_supabase (tenant_id, name);
ALTER TABLE public.bench_supabase ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.bench_supabase FORCE ROW LEVEL SECURITY;
CREATE POLICY oltp_supabase_select ON public.bench_supabase FOR SELECT USING (
    tenant_id IN (SELECT m.tenant_id FROM oltp.memberships m WHERE m.user_id = (SELECT auth.uid()))
    OR (is_shared AND sharing_mode = 'global')
    OR (is_shared AND sharing_mode = 'selective'
        AND shared_with && ARRAY(SELECT m.tenant_id FROM oltp.memberships m WHERE m.user_id = (SELECT auth.uid())))
);
CREATE POLICY oltp_supabase_insert ON public.bench_supabase FOR INSERT WITH CHECK (
    tenant_id IN (SELECT m.tenant_id FROM oltp.memberships m WHERE m.user_id = (SELECT auth.uid()))
);
CREATE POLICY oltp_supabase_update ON public.bench_supabase FOR UPDATE
    USING (tenant_id IN (SELECT m.tenant_id FROM oltp.memberships m WHERE m.user_id = (SELECT auth.uid())))
    WITH CHECK (tenant_id IN (SELECT m.tenant_id FROM oltp.memberships m WHERE m.user_id = (SELECT auth.uid())));

-- ---------------------------------------------------------------------------
-- The tenant column of every other design references the application's
-- tenants table, as the seeds' schema declares it (`tenant_id UUID
-- REFERENCES tenants(id) ON DELETE CASCADE`) and as vital's references
-- vital.tenants: every design's INSERT pays the same referential check.
-- peer_fk=off leaves them out (to show what the check costs).
\if :peer_fk
\echo oltp: foreign keys of the other designs to seeds.tenants
ALTER TABLE public.bench_hand     ADD FOREIGN KEY (tenant_id) REFERENCES seeds.tenants (id) ON DELETE CASCADE;
ALTER TABLE public.bench_supabase ADD FOREIGN KEY (tenant_id) REFERENCES seeds.tenants (id) ON DELETE CASCADE;
ALTER TABLE public.bench_plpgsql  ADD FOREIGN KEY (tenant_id) REFERENCES seeds.tenants (id) ON DELETE CASCADE;
ALTER TABLE public.bench_norls    ADD FOREIGN KEY (tenant_id) REFERENCES seeds.tenants (id) ON DELETE CASCADE;
\endif

-- ---------------------------------------------------------------------------
-- Design 4, seeds: the platform's PL/pgSQL design. The user is the
-- application's app.current_user, or in JWT mode the sub claim (auth.uid());
-- set_tenant_context checks membership (or platform admin) and stores the
-- tenant with set_config; every row costs a PL/pgSQL access function with a
-- query on the admin table (like generate.sql's bench.plpgsql_can_access_resource,
-- on the seeds' own tables); writes compare with a PL/pgSQL getter.
CREATE FUNCTION seeds.current_user_id() RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(nullif(current_setting('app.current_user', true), '')::uuid, auth.uid());
END $$;

CREATE FUNCTION seeds.get_current_tenant_id() RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN nullif(current_setting('app.current_tenant', true), '')::uuid;
END $$;

CREATE FUNCTION seeds.is_platform_admin(usr uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM seeds.user_roles r WHERE r.user_id = usr AND r.role = 'platform_admin');
END $$;

CREATE FUNCTION seeds.set_tenant_context(p_tenant_id uuid, is_local boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    usr uuid := seeds.current_user_id();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM seeds.tenants t WHERE t.id = p_tenant_id AND t.status IN ('active', 'trial')) THEN
        RAISE EXCEPTION 'tenant % not found or not active', p_tenant_id USING ERRCODE = '22023';
    END IF;
    IF NOT seeds.is_platform_admin(usr)
       AND NOT EXISTS (SELECT 1 FROM seeds.user_tenants ut
                        WHERE ut.user_id = usr AND ut.tenant_id = p_tenant_id AND ut.status = 'active') THEN
        RAISE EXCEPTION 'access denied to tenant %', p_tenant_id USING ERRCODE = '42501';
    END IF;
    PERFORM set_config('app.current_tenant', p_tenant_id::text, is_local);
END $$;

CREATE FUNCTION seeds.can_access_resource(owner uuid, is_shared boolean, mode text, shared_with uuid[])
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    tenant uuid := nullif(current_setting('app.current_tenant', true), '')::uuid;
    usr    uuid := coalesce(nullif(current_setting('app.current_user', true), '')::uuid, auth.uid());
BEGIN
    IF usr IS NOT NULL AND EXISTS (SELECT 1 FROM seeds.user_roles r
                                    WHERE r.user_id = usr AND r.role = 'platform_admin') THEN
        RETURN true;
    END IF;
    IF tenant IS NULL THEN
        RETURN false;
    END IF;
    IF owner = tenant THEN
        RETURN true;
    END IF;
    IF is_shared AND mode = 'global' THEN
        RETURN true;
    END IF;
    RETURN is_shared AND mode = 'selective' AND tenant = ANY (shared_with);
END $$;

DROP POLICY IF EXISTS bench_plpgsql_select ON public.bench_plpgsql;
CREATE POLICY seeds_select_with_sharing ON public.bench_plpgsql FOR SELECT
    USING (seeds.can_access_resource(tenant_id, is_shared, sharing_mode, shared_with));
CREATE POLICY seeds_insert_own_tenant ON public.bench_plpgsql FOR INSERT
    WITH CHECK (tenant_id = seeds.get_current_tenant_id());
CREATE POLICY seeds_update_own_tenant ON public.bench_plpgsql FOR UPDATE
    USING (tenant_id = seeds.get_current_tenant_id())
    WITH CHECK (tenant_id = seeds.get_current_tenant_id());

-- ---------------------------------------------------------------------------
-- Per-transaction inputs: for tenant t and slot s (both picked with random()
-- by pgbench), the tenant, its member, the member's JWT claims, and five ids
-- the tenant may see: id1..id3 its own rows (id1 is the one mix iii updates),
-- id4 a global row, id5 a row shared selectively with it (a global one when
-- it has none). foreign1..foreign3 are other tenants' private rows, for the
-- harness's check that every policy hides them.
\echo oltp: per-transaction inputs (oltp.slots)
CREATE TEMP TABLE own AS
SELECT tenant_id, id,
       row_number() OVER (PARTITION BY tenant_id ORDER BY md5('own' || id::text)) AS rn,
       count(*) OVER (PARTITION BY tenant_id) AS n
  FROM public.bench_norls WHERE sharing_mode = 'private';
CREATE INDEX ON own (tenant_id, rn);
CREATE TEMP TABLE glob AS
SELECT id, row_number() OVER (ORDER BY md5('global' || id::text)) AS rn
  FROM public.bench_norls WHERE is_shared AND sharing_mode = 'global';
CREATE INDEX ON glob (rn);
CREATE TEMP TABLE sel AS
SELECT w.tenant_id, b.id,
       row_number() OVER (PARTITION BY w.tenant_id ORDER BY md5('sel' || b.id::text)) AS rn,
       count(*) OVER (PARTITION BY w.tenant_id) AS n
  FROM public.bench_norls b, unnest(b.shared_with) AS w(tenant_id)
 WHERE b.is_shared AND b.sharing_mode = 'selective' AND b.tenant_id <> w.tenant_id;
CREATE INDEX ON sel (tenant_id, rn);
ANALYZE own, glob, sel;

CREATE TABLE oltp.slots (
    t        int  NOT NULL,
    s        int  NOT NULL,
    tenant   uuid NOT NULL,
    member   uuid NOT NULL,
    claims   text NOT NULL,
    id1      uuid NOT NULL,
    id2      uuid NOT NULL,
    id3      uuid NOT NULL,
    id4      uuid NOT NULL,
    id5      uuid NOT NULL,
    foreign1 uuid NOT NULL,
    foreign2 uuid NOT NULL,
    foreign3 uuid NOT NULL,
    PRIMARY KEY (t, s)
);
CREATE TEMP TABLE counts AS
SELECT i AS t, bench.tenant_uuid(i) AS tenant, bench.tenant_uuid(1 + i % :tenants) AS other,
       (SELECT max(n) FROM own o WHERE o.tenant_id = bench.tenant_uuid(i)) AS n_own,
       (SELECT max(n) FROM own o WHERE o.tenant_id = bench.tenant_uuid(1 + i % :tenants)) AS n_other,
       (SELECT max(n) FROM sel x WHERE x.tenant_id = bench.tenant_uuid(i)) AS n_sel,
       (SELECT count(*) FROM glob) AS n_glob
  FROM generate_series(1, :tenants) i;
SELECT count(*) AS tenants_without_own_rows, count(*) > 0 AS some_without_own_rows
  FROM counts WHERE n_own IS NULL OR n_other IS NULL \gset
\if :some_without_own_rows
\echo oltp: ERROR: :tenants_without_own_rows tenants have no private rows: use more rows per tenant
SELECT 1/0;
\endif
INSERT INTO oltp.slots
SELECT c.t, s, c.tenant, oltp.member_uuid(c.t),
       json_build_object('sub', oltp.member_uuid(c.t), 'role', 'bench_authenticated')::text,
       (SELECT id FROM own o WHERE o.tenant_id = c.tenant AND o.rn = 1 + ((s - 1) * 3 + 0) % c.n_own),
       (SELECT id FROM own o WHERE o.tenant_id = c.tenant AND o.rn = 1 + ((s - 1) * 3 + 1) % c.n_own),
       (SELECT id FROM own o WHERE o.tenant_id = c.tenant AND o.rn = 1 + ((s - 1) * 3 + 2) % c.n_own),
       (SELECT id FROM glob g WHERE g.rn = 1 + (c.t * :slots + s) % c.n_glob),
       coalesce((SELECT id FROM sel x WHERE x.tenant_id = c.tenant AND x.rn = 1 + (s - 1) % c.n_sel),
                (SELECT id FROM glob g WHERE g.rn = 1 + (c.t * :slots + s + 1) % c.n_glob)),
       (SELECT id FROM own o WHERE o.tenant_id = c.other AND o.rn = 1 + ((s - 1) * 3 + 0) % c.n_other),
       (SELECT id FROM own o WHERE o.tenant_id = c.other AND o.rn = 1 + ((s - 1) * 3 + 1) % c.n_other),
       (SELECT id FROM own o WHERE o.tenant_id = c.other AND o.rn = 1 + ((s - 1) * 3 + 2) % c.n_other)
  FROM counts c, generate_series(1, :slots) s;
DROP TABLE own, glob, sel, counts;

-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA oltp, seeds, auth, bench TO bench_app, bench_authenticated;
GRANT SELECT ON oltp.slots TO bench_app;
GRANT SELECT ON oltp.memberships, seeds.tenants, seeds.user_tenants, seeds.user_roles
   TO bench_app, bench_authenticated;
GRANT SELECT, INSERT, UPDATE
   ON public.bench_installed, public.bench_hand, public.bench_supabase, public.bench_plpgsql, public.bench_norls
   TO bench_app, bench_authenticated;

\echo oltp: VACUUM (ANALYZE)
VACUUM (ANALYZE) public.bench_supabase, oltp.slots, oltp.memberships,
                 seeds.tenants, seeds.user_tenants, seeds.user_roles, vital.user_tenants;
\echo oltp: done
