-- The row triggers' WHEN conditions keep PostgreSQL from queueing a row
-- event at all where nothing can be recorded: counted here as calls of
-- vital.audit_sharing() (track_functions = 'all' counts C functions too).
-- Each statement event makes one call, the flush (an INSERT … ON CONFLICT
-- DO UPDATE has two: INSERT and UPDATE). Private rows inserted or deleted,
-- and updates that change no sharing column (other columns, resource_type
-- alone, the same values again), make no other. Shared rows make one call
-- each; an update the condition lets through that records nothing (a list
-- reordered) still records nothing.
BEGIN;
SET LOCAL track_functions = 'all';
CREATE TABLE regress_docs (id int PRIMARY KEY, title text NOT NULL);
ALTER TABLE regress_docs OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
-- calls of the trigger function in this transaction, step by step
CREATE TEMP TABLE regress_steps (n serial, step text, calls bigint, flushes int, total bigint);
CREATE FUNCTION pg_temp.step(name text, flushes int DEFAULT 1) RETURNS void LANGUAGE sql AS $$
  INSERT INTO regress_steps (step, calls, flushes, total)
  SELECT name, now.total - coalesce((SELECT max(total) FROM regress_steps), 0), flushes, now.total
    FROM (SELECT coalesce(pg_stat_get_xact_function_calls('vital.audit_sharing()'::regprocedure), 0) AS total) now
$$;
SELECT pg_temp.step('start');
INSERT INTO regress_docs (id, title) SELECT g, 'doc ' || g FROM generate_series(1, 1000) g;
SELECT pg_temp.step('insert 1000 private rows');
UPDATE regress_docs SET title = title || '!';
SELECT pg_temp.step('update another column of 1000 rows');
UPDATE regress_docs SET resource_type = 'solution';
SELECT pg_temp.step('update resource_type of 1000 rows');
UPDATE regress_docs SET tenant_id = tenant_id, is_shared = is_shared, sharing_mode = sharing_mode, shared_with = shared_with;
SELECT pg_temp.step('write the same sharing values into 1000 rows');
INSERT INTO regress_docs (id, title) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET title = excluded.title;
SELECT pg_temp.step('upsert a private row', 2);
UPDATE regress_docs SET is_shared = true, sharing_mode = 'selective',
       shared_with = '{b0000000-0000-4000-8000-000000000002, d0000000-0000-4000-8000-000000000004}' WHERE id <= 10;
SELECT pg_temp.step('share 10 rows');
UPDATE regress_docs SET title = 'shared, renamed' WHERE id <= 10;
SELECT pg_temp.step('update another column of 10 shared rows');
UPDATE regress_docs SET shared_with = '{d0000000-0000-4000-8000-000000000004, b0000000-0000-4000-8000-000000000002}' WHERE id <= 10;
SELECT pg_temp.step('reorder the list of 10 shared rows');
-- a list long enough to be stored out of line (TOAST): an update of another
-- column keeps its toast pointer, the same list written again is a new
-- toast value with the same content; neither is a change
UPDATE regress_docs SET is_shared = true, sharing_mode = 'selective',
       shared_with = (SELECT array_agg(('e0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid) FROM generate_series(1, 5000) g)
 WHERE id = 11;
SELECT pg_temp.step('share a row with 5000 tenants');
SELECT pg_column_size(shared_with) > 2000 AS long_list, pg_column_size(shared_with) < 80000 AS compressed FROM regress_docs WHERE id = 11;
UPDATE regress_docs SET title = 'long list, renamed' WHERE id = 11;
SELECT pg_temp.step('update another column of the row with the long list');
UPDATE regress_docs SET shared_with = shared_with || '{}'::uuid[] WHERE id = 11;
SELECT pg_temp.step('write the same long list again');
UPDATE regress_docs SET shared_with = shared_with || 'f0000000-0000-4000-8000-000000000000'::uuid WHERE id = 11;
SELECT pg_temp.step('add a tenant to the long list');
INSERT INTO regress_docs (id, title, is_shared, sharing_mode) SELECT g, 'global', true, 'global' FROM generate_series(2001, 2005) g;
SELECT pg_temp.step('insert 5 shared rows');
DELETE FROM regress_docs WHERE id > 2000 OR id <= 3;
SELECT pg_temp.step('delete 8 shared rows');
DELETE FROM regress_docs WHERE NOT is_shared;
SELECT pg_temp.step('delete 989 private rows');
SELECT step, calls, flushes, calls - flushes AS row_events FROM regress_steps WHERE step <> 'start' ORDER BY n;
SELECT action, count(*) FROM vital.resource_sharing_audit WHERE table_name = 'public.regress_docs' GROUP BY action ORDER BY action;
ROLLBACK;
