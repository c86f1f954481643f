-- DROP EXTENSION vital_tenancy is refused (2BP01) while tables are
-- protected, naming them, what CASCADE would destroy and the way out
-- (disable_tenancy); with CASCADE it goes ahead with a WARNING saying the
-- same. Other extensions drop as before, and so does vital_tenancy once
-- nothing is protected. Every drop here is rolled back (DROP EXTENSION is
-- transactional); a superuser's test, as only superusers drop it.
SELECT evtname, evtevent, evtenabled, evttags FROM pg_event_trigger
 WHERE evtname = 'vital_guard_drop_extension';
-- nothing protected: it drops
BEGIN;
DROP EXTENSION vital_tenancy;
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'vital_tenancy';
ROLLBACK;
BEGIN;
CREATE SCHEMA regress_app;
CREATE TABLE regress_app.docs (id int PRIMARY KEY);
CREATE TABLE regress_app.notes (id int PRIMARY KEY);
INSERT INTO regress_app.docs VALUES (1), (2);
SELECT vital.enable_tenancy('regress_app.docs', default_owner => 'a0000000-0000-4000-8000-000000000001');
SELECT vital.enable_tenancy('regress_app.notes');
-- another extension drops as before, not a word (pg_stat_statements, or
-- where a major's build lacks it, as the 16 and 17 wheels do, vector)
SELECT name AS other_extension FROM pg_available_extensions
 WHERE name IN ('pg_stat_statements', 'vector') ORDER BY name LIMIT 1 \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS :"other_extension";
RESET client_min_messages;
SAVEPOINT other;
DROP EXTENSION :"other_extension";
ROLLBACK TO SAVEPOINT other;
-- without CASCADE (or with RESTRICT, IF EXISTS, in a list): refused
SELECT * FROM regress.diagnose('DROP EXTENSION vital_tenancy');
SELECT regress.try(format('DROP EXTENSION IF EXISTS %I, vital_tenancy RESTRICT', :'other_extension'));
SELECT count(*) AS installed FROM pg_extension WHERE extname IN ('vital_tenancy', :'other_extension');
-- with CASCADE: a warning, then the drop; the tables are left forced under
-- row-level security with no policy, their tenant ids resolve to nothing
SAVEPOINT cascade;
-- (the list of what cascades is left out: its order follows object ids)
SET client_min_messages = warning;
DROP EXTENSION vital_tenancy CASCADE;
RESET client_min_messages;
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_constraint WHERE conrelid = c.oid AND contype NOT IN ('p', 'n')) AS constraints
  FROM pg_class c WHERE c.relnamespace = 'regress_app'::regnamespace AND c.relkind = 'r' ORDER BY 1;
SELECT count(*) AS schema_vital FROM pg_namespace WHERE nspname = 'vital';
-- what is left: created again, the extension recognises the columns by
-- the indexes it had made, and drop_columns removes them
CREATE EXTENSION vital_tenancy;
SELECT vital.disable_tenancy('regress_app.docs', drop_columns => true);
SELECT string_agg(attname, ', ' ORDER BY attnum) AS columns FROM pg_attribute
 WHERE attrelid = 'regress_app.docs'::regclass AND attnum > 0 AND NOT attisdropped;
ROLLBACK TO SAVEPOINT cascade;
-- once every table is out there is no warning: a table that kept its
-- columns still has the foreign key, CHECK and default that PostgreSQL's
-- own refusal names, and CASCADE drops only those (the columns and their
-- values stay)
SELECT vital.disable_tenancy('regress_app.docs', keep_closed => true);
SELECT vital.disable_tenancy('regress_app.notes', drop_columns => true);
SELECT regress.try('DROP EXTENSION vital_tenancy');
SAVEPOINT out;
-- (the list of what cascades is left out: its order follows object ids)
SET client_min_messages = warning;
DROP EXTENSION vital_tenancy CASCADE;
RESET client_min_messages;
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'vital_tenancy';
SELECT id, tenant_id FROM regress_app.docs ORDER BY id;
ROLLBACK TO SAVEPOINT out;
-- the guard is only an event trigger
SELECT regress.try('SELECT vital._guard_drop_extension()');
ROLLBACK;
