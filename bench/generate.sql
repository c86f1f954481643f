-- Benchmark data for vital_tenancy: one agents-like table, copied once per
-- policy variant, plus the roles, tenants, lookup ids and queries that
-- bench/run.sh times. Run as a superuser in a database where
-- `CREATE EXTENSION vital_tenancy` was done:
--
--   psql -X -v ON_ERROR_STOP=1 -d DB -f bench/generate.sql \
--        [-v rows=1000000] [-v tenants=1000] [-v global_pct=2] [-v selective_pct=1]
--        [-v share_with=3] [-v lookups=500] [-v micro_calls=1000000] [-v seed=0.42]
--
-- Variants (same rows, same physical order, same ids):
--   bench_installed  vital.enable_tenancy(...) -- the extension's installer
--   bench_hand       the index-friendly policy a DBA would write by hand
--   bench_plpgsql    a PL/pgSQL access function called per row (the original design)
--   bench_norls      no RLS at all (the baseline of the platform admin's scan)
-- The tables belong to the superuser; the non-superuser role bench_app reads them.

\set QUIET on
\set ON_ERROR_STOP on
\if :{?rows}          \else \set rows 1000000        \endif
\if :{?tenants}       \else \set tenants 1000        \endif
\if :{?global_pct}    \else \set global_pct 2        \endif
\if :{?selective_pct} \else \set selective_pct 1     \endif
\if :{?share_with}    \else \set share_with 3        \endif
\if :{?lookups}       \else \set lookups 500         \endif
\if :{?micro_calls}   \else \set micro_calls 1000000 \endif
\if :{?seed}          \else \set seed 0.42           \endif

\echo generate: :rows rows, :tenants tenants, :global_pct% global, :selective_pct% selective (shared with ~:share_with tenants each)

SET client_min_messages = warning;
DROP TABLE IF EXISTS public.bench_installed, public.bench_hand, public.bench_plpgsql, public.bench_norls;
DROP SCHEMA IF EXISTS bench CASCADE;
RESET client_min_messages;
CREATE SCHEMA bench;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_app') THEN
        CREATE ROLE bench_app LOGIN NOSUPERUSER;
    END IF;
END $$;
-- bench_app is the application's role: it vouches for the people it serves.
GRANT EXECUTE ON FUNCTION vital.set_user_context(uuid, boolean) TO bench_app;
GRANT USAGE ON SCHEMA bench TO bench_app;

-- Settings and identities of this data set, read by run.sh.
CREATE TABLE bench.config (key text PRIMARY KEY, value text NOT NULL);
GRANT SELECT ON bench.config TO bench_app;

CREATE FUNCTION bench.tenant_uuid(i int) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('10000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid;

-- ---------------------------------------------------------------------------
-- Tenants, one member for the benchmarked tenant, one platform admin.
\echo generate: tenants (vital.create_tenant)
\timing on
SELECT count(vital.create_tenant('bench-tenant-' || i, 'Bench tenant ' || i, 'client', 'free', bench.tenant_uuid(i)))
       AS tenants_created
  FROM generate_series(1, :tenants) i
 WHERE NOT EXISTS (SELECT FROM vital.tenants t WHERE t.id = bench.tenant_uuid(i)) \gset
\timing off
\echo generate: created :tenants_created tenants with vital.create_tenant

SELECT '0a000000-0000-4000-8000-00000000ad01' AS admin_user \gset
\o /dev/null
SELECT vital.grant_platform_admin(:'admin_user');
\o

-- ---------------------------------------------------------------------------
-- The rows, generated once (deterministically: setseed) and copied per variant.
-- Globals belong to the platform tenant (resource_type 'platform'); selective
-- rows to a random tenant, shared with ~share_with other random tenants; the
-- rest is private ('custom': the installer's CHECK allows platform, solution,
-- industry, custom).
CREATE TABLE bench.source (
    id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    name          text        NOT NULL,
    description   text        NOT NULL,
    tenant_id     uuid        NOT NULL,
    is_shared     boolean     NOT NULL DEFAULT false,
    sharing_mode  text        NOT NULL DEFAULT 'private',
    shared_with   uuid[]      NOT NULL DEFAULT '{}',
    resource_type text        NOT NULL DEFAULT 'custom',
    created_at    timestamptz NOT NULL DEFAULT now()
);

\o /dev/null
SELECT setseed(:seed);
\o
\echo generate: rows
\timing on
INSERT INTO bench.source
SELECT md5('agent-' || g)::uuid,
       'agent-' || substr(md5('name-' || g), 1, 12),
       'An agent that ' || repeat(md5('description-' || g), 2),
       CASE WHEN k < :global_pct / 100.0 THEN '00000000-0000-0000-0000-000000000001'::uuid
            ELSE bench.tenant_uuid(owner_i) END,
       k < (:global_pct + :selective_pct) / 100.0,
       CASE WHEN k < :global_pct / 100.0 THEN 'global'
            WHEN k < (:global_pct + :selective_pct) / 100.0 THEN 'selective'
            ELSE 'private' END,
       CASE WHEN k >= :global_pct / 100.0 AND k < (:global_pct + :selective_pct) / 100.0 THEN
                ARRAY(SELECT DISTINCT bench.tenant_uuid(1 + (owner_i + floor(random() * (:tenants - 1))::int) % :tenants)
                        FROM generate_series(1, :share_with) WHERE owner_i > 0)
            ELSE '{}' END,
       CASE WHEN k < :global_pct / 100.0 THEN 'platform' ELSE 'custom' END,
       timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second'
  FROM (SELECT g, random() AS k, 1 + floor(random() * :tenants)::int AS owner_i
          FROM generate_series(1, :rows) g OFFSET 0) s;
\timing off

-- The benchmarked tenant: the first one with rows of its own and selective shares.
SELECT i AS bench_tenant_i, bench.tenant_uuid(i) AS bench_tenant
  FROM generate_series(1, :tenants) i
 WHERE EXISTS (SELECT FROM bench.source s WHERE s.tenant_id = bench.tenant_uuid(i))
   AND EXISTS (SELECT FROM bench.source s WHERE s.sharing_mode = 'selective'
                                            AND s.shared_with @> ARRAY[bench.tenant_uuid(i)])
 ORDER BY i LIMIT 1 \gset
SELECT ('20000000-0000-4000-8000-' || lpad(:bench_tenant_i::text, 12, '0'))::uuid AS bench_user \gset
\o /dev/null
SELECT vital.add_tenant_member(:'bench_tenant', :'bench_user', 'member');
\o

INSERT INTO bench.config VALUES
    ('rows', :'rows'), ('tenants', :'tenants'), ('global_pct', :'global_pct'),
    ('selective_pct', :'selective_pct'), ('share_with', :'share_with'), ('lookups', :'lookups'),
    ('micro_calls', :'micro_calls'), ('seed', :'seed'),
    ('bench_tenant', :'bench_tenant'), ('bench_user', :'bench_user'), ('admin_user', :'admin_user');

-- What the benchmarked tenant may see, by the rules (for checking the policies).
INSERT INTO bench.config
SELECT 'expected_' || kind, count::text FROM (
    SELECT 'own' AS kind, count(*) FROM bench.source WHERE tenant_id = :'bench_tenant'
    UNION ALL SELECT 'global', count(*) FROM bench.source WHERE is_shared AND sharing_mode = 'global'
    UNION ALL SELECT 'selective', count(*) FROM bench.source
               WHERE is_shared AND sharing_mode = 'selective' AND :'bench_tenant' = ANY (shared_with)
    UNION ALL SELECT 'visible', count(*) FROM bench.source
               WHERE tenant_id = :'bench_tenant' OR (is_shared AND sharing_mode = 'global')
                  OR (is_shared AND sharing_mode = 'selective' AND :'bench_tenant' = ANY (shared_with))
    UNION ALL SELECT 'all', count(*) FROM bench.source) c;

-- ---------------------------------------------------------------------------
-- The copies.
\echo generate: four copies, primary keys, indexes, policies
CREATE TABLE public.bench_installed (LIKE bench.source INCLUDING DEFAULTS);
CREATE TABLE public.bench_hand      (LIKE bench.source INCLUDING DEFAULTS);
CREATE TABLE public.bench_plpgsql   (LIKE bench.source INCLUDING DEFAULTS);
CREATE TABLE public.bench_norls     (LIKE bench.source INCLUDING DEFAULTS);
INSERT INTO public.bench_installed SELECT * FROM bench.source;
INSERT INTO public.bench_hand      SELECT * FROM bench.source;
INSERT INTO public.bench_plpgsql   SELECT * FROM bench.source;
INSERT INTO public.bench_norls     SELECT * FROM bench.source;
ALTER TABLE public.bench_installed ADD PRIMARY KEY (id);
ALTER TABLE public.bench_hand      ADD PRIMARY KEY (id);
ALTER TABLE public.bench_plpgsql   ADD PRIMARY KEY (id);
ALTER TABLE public.bench_norls     ADD PRIMARY KEY (id);

-- bench_installed: the extension's installer (its columns exist already,
-- NOT NULL, with the installer's names). If the installer is not there yet,
-- the policy it is meant to write, by hand, with the installer's indexes;
-- config 'installed_via' says which.
SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'enable_tenancy'
                                     AND pronamespace = 'vital'::regnamespace) AS have_installer \gset
\if :have_installer
\echo generate: vital.enable_tenancy('public.bench_installed')
\o /dev/null
\timing on
SELECT vital.enable_tenancy('public.bench_installed');
\timing off
\o
INSERT INTO bench.config VALUES ('installed_via', 'vital.enable_tenancy(''bench_installed'')');
\else
\echo generate: WARNING: vital.enable_tenancy does not exist in this build; bench_installed gets the planned installer policy by hand
CREATE INDEX ON public.bench_installed (tenant_id);
CREATE INDEX ON public.bench_installed (sharing_mode) WHERE is_shared;
CREATE INDEX ON public.bench_installed USING gin (shared_with) WHERE sharing_mode = 'selective';
ALTER TABLE public.bench_installed ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.bench_installed FORCE ROW LEVEL SECURITY;
CREATE POLICY vital_tenancy_select ON public.bench_installed FOR SELECT
    USING (vital.can_access_resource(tenant_id, is_shared, sharing_mode, shared_with));
INSERT INTO bench.config VALUES ('installed_via',
    'STAND-IN: vital.enable_tenancy missing; policy USING (vital.can_access_resource(tenant_id, is_shared, sharing_mode, shared_with)) and indexes created by hand');
\endif

-- bench_hand: btree, partial btree and GIN, and the policy a DBA writes by hand.
CREATE INDEX ON public.bench_hand (tenant_id);
CREATE INDEX ON public.bench_hand (sharing_mode) WHERE is_shared;
CREATE INDEX ON public.bench_hand USING gin (shared_with);
ALTER TABLE public.bench_hand ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.bench_hand FORCE ROW LEVEL SECURITY;
CREATE POLICY bench_hand_select ON public.bench_hand FOR SELECT USING (
    tenant_id = (SELECT vital.get_current_tenant_id())
    OR (is_shared AND sharing_mode = 'global')
    OR (is_shared AND sharing_mode = 'selective'
        AND shared_with @> ARRAY[(SELECT vital.get_current_tenant_id())])
);

-- The tenant's own list (query c) wants (tenant_id, name). Where the
-- installer made none, a user adds it, the same way on both tables.
SELECT NOT EXISTS (
    SELECT FROM pg_index x
     WHERE x.indrelid = 'public.bench_installed'::regclass
       AND x.indnatts >= 2 AND x.indpred IS NULL
       AND x.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = x.indrelid AND attname = 'tenant_id')
       AND x.indkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = x.indrelid AND attname = 'name')
) AS need_name_index \gset
\if :need_name_index
CREATE INDEX bench_installed_tenant_name ON public.bench_installed (tenant_id, name);
INSERT INTO bench.config VALUES ('tenant_name_index', 'added by the benchmark (the installer makes none)');
\else
INSERT INTO bench.config VALUES ('tenant_name_index', 'made by the installer');
\endif
CREATE INDEX bench_hand_tenant_name ON public.bench_hand (tenant_id, name);

-- bench_norls: no RLS, and exactly the installed table's indexes (so that a
-- scan of all rows may choose the same paths).
DO $$
DECLARE
    def text;
BEGIN
    FOR def IN
        SELECT pg_get_indexdef(x.indexrelid)
          FROM pg_index x
         WHERE x.indrelid = 'public.bench_installed'::regclass
           AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = x.indexrelid)
    LOOP
        EXECUTE regexp_replace(def, '^CREATE (UNIQUE )?INDEX \S+ ON public\.bench_installed ',
                               'CREATE \1INDEX ON public.bench_norls ');
    END LOOP;
END $$;

-- bench_plpgsql: the original design. The tenant and user come from plain
-- settings any client can SET, and every row costs a PL/pgSQL call with a
-- query on the admin table. Same indexes as bench_hand (a per-row function
-- cannot use them anyway).
CREATE FUNCTION bench.plpgsql_can_access_resource(owner uuid, is_shared boolean, mode text, shared_with uuid[])
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    tenant uuid := nullif(current_setting('app.current_tenant', true), '')::uuid;
    usr    uuid := nullif(current_setting('app.current_user', true), '')::uuid;
BEGIN
    IF usr IS NOT NULL AND EXISTS (SELECT 1 FROM vital.user_roles r
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
CREATE INDEX ON public.bench_plpgsql (tenant_id);
CREATE INDEX ON public.bench_plpgsql (sharing_mode) WHERE is_shared;
CREATE INDEX ON public.bench_plpgsql USING gin (shared_with);
CREATE INDEX ON public.bench_plpgsql (tenant_id, name);
ALTER TABLE public.bench_plpgsql ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.bench_plpgsql FORCE ROW LEVEL SECURITY;
CREATE POLICY bench_plpgsql_select ON public.bench_plpgsql FOR SELECT
    USING (bench.plpgsql_can_access_resource(tenant_id, is_shared, sharing_mode, shared_with));

GRANT SELECT ON public.bench_installed, public.bench_hand, public.bench_plpgsql, public.bench_norls TO bench_app;

-- ---------------------------------------------------------------------------
-- Micro-benchmark helpers: PL/pgSQL and SQL equivalents of the native calls,
-- and their inputs (nullable columns, so no policy rewrite applies: every
-- call runs).
CREATE FUNCTION bench.plpgsql_can_access_rules_only(owner uuid, is_shared boolean, mode text, shared_with uuid[])
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    tenant uuid := nullif(current_setting('app.current_tenant', true), '')::uuid;
BEGIN
    IF tenant IS NULL THEN
        RETURN false;
    END IF;
    RETURN owner = tenant
        OR (is_shared AND mode = 'global')
        OR (is_shared AND mode = 'selective' AND tenant = ANY (shared_with));
END $$;
CREATE FUNCTION bench.plpgsql_get_current_tenant_id() RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN nullif(current_setting('app.current_tenant', true), '')::uuid;
END $$;
CREATE FUNCTION bench.sql_get_current_tenant_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.current_tenant', true), '')::uuid $$;

-- micro_calls rows, cycling through the data.
CREATE TABLE bench.micro_input AS
SELECT s.tenant_id, s.is_shared, s.sharing_mode, s.shared_with
  FROM generate_series(1, ceil(:micro_calls::numeric / :rows)::int) c, bench.source s
 LIMIT :micro_calls;
GRANT SELECT ON bench.micro_input TO bench_app;

-- ---------------------------------------------------------------------------
-- Point lookups (query b): half rows the benchmarked tenant may see (its own,
-- shared with it, global), half it may not (other tenants' private and
-- selective rows), interleaved in a fixed pseudo-random order.
CREATE TABLE bench.lookup_ids AS
WITH visible AS (
    (SELECT id FROM bench.source WHERE tenant_id = :'bench_tenant'
      ORDER BY md5(id::text) LIMIT (:lookups / 2) * 2 / 5)
    UNION ALL
    (SELECT id FROM bench.source WHERE sharing_mode = 'selective' AND :'bench_tenant' = ANY (shared_with)
      ORDER BY md5(id::text) LIMIT (:lookups / 2) / 5)
), visible_all AS (
    SELECT id FROM visible
    UNION ALL
    (SELECT id FROM bench.source WHERE sharing_mode = 'global'
      ORDER BY md5(id::text) LIMIT (:lookups / 2) - (SELECT count(*) FROM visible))
), invisible AS (
    (SELECT id FROM bench.source WHERE sharing_mode = 'selective' AND tenant_id <> :'bench_tenant'
        AND NOT :'bench_tenant' = ANY (shared_with)
      ORDER BY md5(id::text) LIMIT (:lookups - :lookups / 2) / 5)
    UNION ALL
    (SELECT id FROM bench.source WHERE sharing_mode = 'private' AND tenant_id <> :'bench_tenant'
      ORDER BY md5(id::text) LIMIT (:lookups - :lookups / 2) - (:lookups - :lookups / 2) / 5)
)
SELECT array_agg(id ORDER BY md5('lookup' || id::text)) AS ids,
       count(*) FILTER (WHERE id IN (SELECT id FROM visible_all)) AS visible
  FROM (SELECT id FROM visible_all UNION ALL SELECT id FROM invisible) u;
GRANT SELECT ON bench.lookup_ids TO bench_app;
INSERT INTO bench.config SELECT 'expected_lookups_found', visible::text FROM bench.lookup_ids;

-- Each lookup planned and executed on its own (the simple query protocol).
CREATE FUNCTION bench.lookups_oneshot(tbl regclass) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[] := (SELECT l.ids FROM bench.lookup_ids l);
    found_rows int := 0;
    got text;
    q text := format('SELECT name FROM %s WHERE id = $1', tbl);
BEGIN
    FOR i IN 1 .. cardinality(ids) LOOP
        got := NULL;
        EXECUTE q INTO got USING ids[i];
        IF got IS NOT NULL THEN found_rows := found_rows + 1; END IF;
    END LOOP;
    RETURN found_rows;
END $$;

-- The same lookups through a cached plan (a prepared statement): static SQL
-- in PL/pgSQL, one function per table.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['bench_installed', 'bench_hand', 'bench_plpgsql', 'bench_norls'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION bench.lookups_prepared_%1$s() RETURNS int LANGUAGE plpgsql AS $body$
            DECLARE
                ids uuid[] := (SELECT l.ids FROM bench.lookup_ids l);
                found_rows int := 0;
                got text;
            BEGIN
                FOR i IN 1 .. cardinality(ids) LOOP
                    got := NULL;
                    SELECT name INTO got FROM public.%1$s WHERE id = ids[i];
                    IF got IS NOT NULL THEN found_rows := found_rows + 1; END IF;
                END LOOP;
                RETURN found_rows;
            END $body$ $f$, t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- What run.sh times: per query, one statement per variant. Each is run by
-- bench.time_run as bench_app, with planning and execution timed together
-- (EXECUTE in PL/pgSQL plans every time; nothing goes to the client).
CREATE TABLE bench.queries (
    query   text NOT NULL,
    variant text NOT NULL,
    pos     int  NOT NULL,
    sql     text NOT NULL,
    PRIMARY KEY (query, variant)
);
INSERT INTO bench.queries VALUES
    ('a', 'installed', 0, 'SELECT count(*) FROM public.bench_installed'),
    ('a', 'hand',      1, 'SELECT count(*) FROM public.bench_hand'),
    ('a', 'plpgsql',   2, 'SELECT count(*) FROM public.bench_plpgsql'),
    ('b', 'installed', 0, 'SELECT bench.lookups_oneshot(''public.bench_installed'')'),
    ('b', 'hand',      1, 'SELECT bench.lookups_oneshot(''public.bench_hand'')'),
    ('b_prepared', 'installed', 0, 'SELECT bench.lookups_prepared_bench_installed()'),
    ('b_prepared', 'hand',      1, 'SELECT bench.lookups_prepared_bench_hand()'),
    ('c', 'installed', 0, format('SELECT id, name FROM public.bench_installed WHERE tenant_id = %L ORDER BY name LIMIT 50', :'bench_tenant')),
    ('c', 'hand',      1, format('SELECT id, name FROM public.bench_hand WHERE tenant_id = %L ORDER BY name LIMIT 50', :'bench_tenant')),
    ('d', 'installed', 0, 'SELECT count(*) FROM public.bench_installed'),
    ('d', 'norls',     1, 'SELECT count(*) FROM public.bench_norls'),
    -- micro-benchmark: the same scan of bench.micro_input, with and without the call
    ('m_access', 'base',           0, 'SELECT count(*) FROM bench.micro_input m WHERE m.shared_with IS NOT NULL'),
    ('m_access', 'native',         1, 'SELECT count(*) FROM bench.micro_input m WHERE vital.can_access_resource(m.tenant_id, m.is_shared, m.sharing_mode, m.shared_with)'),
    ('m_access', 'plpgsql',        2, 'SELECT count(*) FROM bench.micro_input m WHERE bench.plpgsql_can_access_resource(m.tenant_id, m.is_shared, m.sharing_mode, m.shared_with)'),
    ('m_access', 'plpgsql_noadmin',3, 'SELECT count(*) FROM bench.micro_input m WHERE bench.plpgsql_can_access_rules_only(m.tenant_id, m.is_shared, m.sharing_mode, m.shared_with)'),
    ('m_getter', 'base',    0, 'SELECT count(*) FROM bench.micro_input m WHERE m.tenant_id <> ''ffffffff-ffff-4fff-8fff-ffffffffffff''::uuid'),
    ('m_getter', 'native',  1, 'SELECT count(*) FROM bench.micro_input m WHERE m.tenant_id <> vital.get_current_tenant_id()'),
    ('m_getter', 'plpgsql', 2, 'SELECT count(*) FROM bench.micro_input m WHERE m.tenant_id <> bench.plpgsql_get_current_tenant_id()'),
    ('m_getter', 'sql',     3, 'SELECT count(*) FROM bench.micro_input m WHERE m.tenant_id <> bench.sql_get_current_tenant_id()');
GRANT SELECT ON bench.queries TO bench_app;

CREATE TABLE bench.results (
    query   text   NOT NULL,
    variant text   NOT NULL,
    run     int    NOT NULL,
    ms      float8 NOT NULL,
    result  text
);
GRANT INSERT ON bench.results TO bench_app;

-- Times one statement server-side: clock_timestamp() around a dynamic
-- EXECUTE, which plans and runs it to completion (the result stays on the
-- server). run 0 is a warm-up and is not kept. One call per statement, so
-- each run is its own transaction, as an application's would be.
CREATE FUNCTION bench.time_run(q text, v text, run int) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
    stmt text := (SELECT sql FROM bench.queries WHERE query = q AND variant = v);
    t0 timestamptz;
    elapsed float8;
BEGIN
    IF stmt IS NULL THEN
        RAISE EXCEPTION 'no query % for variant %', q, v;
    END IF;
    t0 := clock_timestamp();
    EXECUTE stmt;
    elapsed := extract(epoch FROM clock_timestamp() - t0) * 1000;
    IF run > 0 THEN
        INSERT INTO bench.results (query, variant, run, ms) VALUES (q, v, run, elapsed);
    END IF;
    RETURN elapsed;
END $$;

-- The answer of a statement, untimed: every variant of a query must give the
-- same (one value as is; several rows as their count and an md5).
CREATE FUNCTION bench.answer(q text, v text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    stmt text := (SELECT sql FROM bench.queries WHERE query = q AND variant = v);
    got text;
BEGIN
    EXECUTE format('SELECT CASE WHEN count(*) = 1 THEN min(x::text)
                                ELSE count(*) || '' rows, md5 '' || md5(string_agg(x::text, '','')) END
                      FROM (%s) x', stmt) INTO got;
    RETURN got;
END $$;

-- ---------------------------------------------------------------------------
\echo generate: VACUUM (ANALYZE)
\timing on
VACUUM (ANALYZE) public.bench_installed, public.bench_hand, public.bench_plpgsql, public.bench_norls,
                 bench.micro_input, vital.tenants, vital.user_tenants, vital.user_roles;
\timing off
DROP TABLE bench.source;
\echo generate: done
