-- The row trigger buffers its records and the statement-level flush
-- trigger writes them when the statement's row events have fired: every
-- record of a statement is there once it ends, whatever the statement
-- (multi-row UPDATE, COPY, INSERT … ON CONFLICT, on a partitioned table or
-- a partition), a statement rolled back (subtransaction, savepoint) takes
-- only its own records with it, and a partition attached without a flush
-- trigger of its own is recorded row by row.
CREATE TABLE regress_buf (id int PRIMARY KEY, title text);
ALTER TABLE regress_buf OWNER TO vt_app;
CREATE TABLE regress_buf_log (id int PRIMARY KEY);
ALTER TABLE regress_buf_log OWNER TO vt_app;
SET ROLE vt_app;
SELECT vital.enable_tenancy('regress_buf');
SELECT vital.enable_tenancy('regress_buf_log');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
-- committed statements (no transaction block): each commits with its
-- records, and no commit finds records left unwritten
INSERT INTO regress_buf (id) SELECT g FROM generate_series(1, 5) g;
UPDATE regress_buf SET is_shared = true, sharing_mode = 'global';
SELECT action, resource_id FROM vital.resource_sharing_audit WHERE table_name = 'public.regress_buf' ORDER BY id;
UPDATE regress_buf SET is_shared = false, sharing_mode = 'private';
SELECT action, count(*) FROM vital.resource_sharing_audit WHERE table_name = 'public.regress_buf' GROUP BY action ORDER BY action;
-- the buffer's size is a superuser's setting
SHOW vital.audit_buffer_records;
SET vital.audit_buffer_records = 1000;
BEGIN;
-- more rows than the buffer holds (the row trigger writes every 1,000
-- here): all recorded, once
RESET ROLE;
SET LOCAL vital.audit_buffer_records = 1000;
SET LOCAL ROLE vt_app;
INSERT INTO regress_buf (id, is_shared, sharing_mode) SELECT g, true, 'global' FROM generate_series(100, 2599) g;
SELECT count(*) AS recorded, count(DISTINCT resource_id) AS resources, min(resource_id::int), max(resource_id::int)
  FROM vital.resource_sharing_audit WHERE table_name = 'public.regress_buf' AND action = 'create_shared';
ROLLBACK;
-- an inner statement that fails inside a PL/pgSQL EXCEPTION block (run
-- here by an AFTER ROW trigger that fires after the audit trigger, while
-- the outer statement's records wait for its flush) takes only its own
-- records with it
BEGIN;
CREATE FUNCTION pg_temp.regress_log_and_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        INSERT INTO public.regress_buf_log (id, is_shared, sharing_mode) VALUES (NEW.id, true, 'global');
        IF NEW.id = 2 THEN
            RAISE EXCEPTION 'fail for %', NEW.id;
        END IF;
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_regress_log AFTER UPDATE ON regress_buf FOR EACH ROW EXECUTE FUNCTION pg_temp.regress_log_and_fail();
UPDATE regress_buf SET is_shared = true, sharing_mode = 'global' WHERE id <= 3;
SELECT table_name, action, resource_id FROM vital.resource_sharing_audit
 WHERE transaction_id = pg_current_xact_id() ORDER BY table_name, resource_id;
SELECT id FROM regress_buf_log ORDER BY id;
ROLLBACK;
-- ROLLBACK TO SAVEPOINT drops the records of the statements after it;
-- RELEASE keeps them
BEGIN;
UPDATE regress_buf SET is_shared = true, sharing_mode = 'global' WHERE id = 1;
SAVEPOINT a;
UPDATE regress_buf SET is_shared = true, sharing_mode = 'global' WHERE id = 2;
SAVEPOINT b;
UPDATE regress_buf SET is_shared = true, sharing_mode = 'global' WHERE id = 3;
RELEASE SAVEPOINT b;
SAVEPOINT c;
UPDATE regress_buf SET is_shared = true, sharing_mode = 'global' WHERE id = 4;
ROLLBACK TO SAVEPOINT c;
SELECT resource_id FROM vital.resource_sharing_audit WHERE transaction_id = pg_current_xact_id() ORDER BY id;
ROLLBACK TO SAVEPOINT a;
SELECT resource_id FROM vital.resource_sharing_audit WHERE transaction_id = pg_current_xact_id() ORDER BY id;
COMMIT;
SELECT action, resource_id FROM vital.resource_sharing_audit
 WHERE table_name = 'public.regress_buf' AND action = 'share' ORDER BY id DESC LIMIT 1;
-- INSERT … ON CONFLICT DO UPDATE: an insert and an update in one statement
BEGIN;
INSERT INTO regress_buf (id, is_shared, sharing_mode) VALUES (2, true, 'global'), (6, true, 'global')
    ON CONFLICT (id) DO UPDATE SET is_shared = excluded.is_shared, sharing_mode = excluded.sharing_mode;
SELECT action, resource_id FROM vital.resource_sharing_audit WHERE transaction_id = pg_current_xact_id() ORDER BY id;
ROLLBACK;
-- COPY FROM (row-level security refuses COPY FROM to everyone it applies
-- to, so a superuser loads the rows; the tenant context is the actor)
RESET ROLE;
BEGIN;
COPY regress_buf (id, tenant_id, is_shared, sharing_mode) FROM stdin;
7	a0000000-0000-4000-8000-000000000001	true	global
8	a0000000-0000-4000-8000-000000000001	false	private
9	a0000000-0000-4000-8000-000000000001	true	global
\.
SELECT action, resource_id, actor_tenant_id FROM vital.resource_sharing_audit WHERE transaction_id = pg_current_xact_id() ORDER BY id;
ROLLBACK;
-- a partitioned table: an UPDATE on the root and on a partition directly
CREATE TABLE regress_buf_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_buf_events_1 PARTITION OF regress_buf_events FOR VALUES FROM (0) TO (100);
CREATE TABLE regress_buf_events_2 PARTITION OF regress_buf_events FOR VALUES FROM (100) TO (200);
ALTER TABLE regress_buf_events OWNER TO vt_app;
ALTER TABLE regress_buf_events_1 OWNER TO vt_app;
ALTER TABLE regress_buf_events_2 OWNER TO vt_app;
SET ROLE vt_app;
SELECT vital.enable_tenancy('regress_buf_events');
SELECT tgrelid::regclass, tgname, tgparentid <> 0 AS cloned FROM pg_trigger
 WHERE tgname LIKE 'vital\_tenancy\_audit%' AND tgrelid::regclass::text LIKE 'regress_buf_events%' ORDER BY 1, 2;
BEGIN;
INSERT INTO regress_buf_events (id) VALUES (1), (2), (101), (102);
UPDATE regress_buf_events SET is_shared = true, sharing_mode = 'global';
UPDATE regress_buf_events_2 SET is_shared = false, sharing_mode = 'private';
SELECT action, table_name, resource_id FROM vital.resource_sharing_audit WHERE transaction_id = pg_current_xact_id() ORDER BY id;
ROLLBACK;
-- a partition attached later has no flush trigger of its own until
-- enable_tenancy runs again: its rows are recorded one by one, whether
-- reached through the root or directly
RESET ROLE;
CREATE TABLE regress_buf_events_3 (LIKE regress_buf_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE regress_buf_events_3 OWNER TO vt_app;
ALTER TABLE regress_buf_events ATTACH PARTITION regress_buf_events_3 FOR VALUES FROM (200) TO (300);
SET ROLE vt_app;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'regress_buf_events_3'::regclass AND NOT tgisinternal ORDER BY 1;
BEGIN;
INSERT INTO regress_buf_events (id) VALUES (1), (201), (202);
UPDATE regress_buf_events SET is_shared = true, sharing_mode = 'global';
UPDATE regress_buf_events_3 SET is_shared = false, sharing_mode = 'private' WHERE id = 201;
DELETE FROM regress_buf_events_3 WHERE id = 202;
SELECT action, table_name, resource_id FROM vital.resource_sharing_audit WHERE transaction_id = pg_current_xact_id() ORDER BY id;
ROLLBACK;
SELECT vital.enable_tenancy('regress_buf_events');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'regress_buf_events_3'::regclass AND NOT tgisinternal ORDER BY 1;
-- clean up (the trail keeps its rows; a superuser removes this test's)
RESET ROLE;
DROP TABLE regress_buf, regress_buf_log, regress_buf_events;
DELETE FROM vital.resource_sharing_audit WHERE table_name IN ('public.regress_buf', 'public.regress_buf_log');
