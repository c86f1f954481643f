-- On a partitioned table, enable_tenancy protects the parent and every
-- partition (read directly, a partition is filtered too). A partition
-- attached later is unprotected until enable_tenancy runs again, and
-- tenancy_status says so.
BEGIN;
CREATE TABLE regress_events (id int, at date NOT NULL, what text, PRIMARY KEY (id))
    PARTITION BY RANGE (id);
CREATE TABLE regress_events_1 PARTITION OF regress_events FOR VALUES FROM (0) TO (100);
CREATE TABLE regress_events_2 PARTITION OF regress_events FOR VALUES FROM (100) TO (200)
    PARTITION BY RANGE (id);
CREATE TABLE regress_events_2a PARTITION OF regress_events_2 FOR VALUES FROM (100) TO (150);
INSERT INTO regress_events VALUES (1, '2024-01-01', 'old'), (120, '2024-01-02', 'old too');
ALTER TABLE regress_events OWNER TO vt_app;
ALTER TABLE regress_events_1 OWNER TO vt_app;
ALTER TABLE regress_events_2 OWNER TO vt_app;
ALTER TABLE regress_events_2a OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_events', 'b0000000-0000-4000-8000-000000000002');
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT string_agg(polname, ', ' ORDER BY polname) FROM pg_policy WHERE polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnotnull) AS tenant_id
  FROM pg_class c WHERE c.relname LIKE 'regress_events%' AND c.relkind IN ('r', 'p') ORDER BY c.relname;
SELECT tablename, indexdef FROM pg_indexes WHERE tablename LIKE 'regress_events%' ORDER BY tablename, indexname;
SELECT * FROM vital.tenancy_status() WHERE table_name::text LIKE 'regress_events%';
-- acme: through the parent and directly, only its own rows
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_events (id, at, what) VALUES (2, '2024-02-01', 'acme'), (121, '2024-02-02', 'acme');
SELECT id, what FROM regress_events ORDER BY id;
SELECT id, what FROM regress_events_1 ORDER BY id;
SELECT id, what FROM regress_events_2a ORDER BY id;
SELECT regress.try($$INSERT INTO regress_events_1 (id, at, tenant_id) VALUES (3, '2024-03-01', 'b0000000-0000-4000-8000-000000000002')$$);
-- a partition attached later is not protected: read directly, it is open;
-- the doctor flags it, and its parent
RESET ROLE;
CREATE TABLE regress_events_3 (LIKE regress_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO regress_events_3 (id, at, what, tenant_id) VALUES (250, '2024-04-01', 'globex, attached later', 'b0000000-0000-4000-8000-000000000002');
ALTER TABLE regress_events ATTACH PARTITION regress_events_3 FOR VALUES FROM (200) TO (300);
ALTER TABLE regress_events_3 OWNER TO vt_app;
GRANT SELECT ON regress_events_3 TO vt_client;
SET LOCAL ROLE vt_client;
SELECT id, what FROM regress_events_3;
RESET ROLE;
SET LOCAL ROLE vt_app;
SELECT * FROM vital.tenancy_status() WHERE table_name::text LIKE 'regress_events%';
-- running enable_tenancy again protects it
SELECT vital.enable_tenancy('regress_events');
SELECT * FROM vital.tenancy_status() WHERE table_name::text LIKE 'regress_events%';
RESET ROLE;
SET LOCAL ROLE vt_client;
SELECT id, what FROM regress_events_3;
RESET ROLE;
-- every partition must belong to the caller too
CREATE TABLE regress_events_4 PARTITION OF regress_events FOR VALUES FROM (300) TO (400);
ALTER TABLE regress_events_4 OWNER TO vt_client;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_events')$$);
-- a partition itself is refused: the parent is what gets protected
SELECT regress.try($$SELECT vital.enable_tenancy('regress_events_1')$$);
ROLLBACK;

