-- enable_tenancy refuses what it cannot protect, and callers who do not own
-- the table, each with its own SQLSTATE and a hint.
BEGIN;
CREATE TABLE regress_base (id int PRIMARY KEY, name text);
CREATE VIEW regress_view AS SELECT * FROM regress_base;
CREATE MATERIALIZED VIEW regress_matview AS SELECT * FROM regress_base;
CREATE FOREIGN DATA WRAPPER regress_dummy;
CREATE SERVER regress_server FOREIGN DATA WRAPPER regress_dummy;
CREATE FOREIGN TABLE regress_foreign (id int, name text) SERVER regress_server;
CREATE SEQUENCE regress_sequence;
CREATE TABLE regress_no_key (id int, name text);
CREATE TABLE regress_unique_only (id int UNIQUE NOT NULL);
CREATE TABLE regress_composite (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE regress_parent (id int PRIMARY KEY);
CREATE TABLE regress_child (extra text) INHERITS (regress_parent);
CREATE TEMPORARY TABLE regress_temp (id int PRIMARY KEY);
ALTER TABLE regress_base OWNER TO vt_app;
ALTER VIEW regress_view OWNER TO vt_app;
ALTER MATERIALIZED VIEW regress_matview OWNER TO vt_app;
ALTER FOREIGN TABLE regress_foreign OWNER TO vt_app;
ALTER SEQUENCE regress_sequence OWNER TO vt_app;
ALTER TABLE regress_no_key OWNER TO vt_app;
ALTER TABLE regress_unique_only OWNER TO vt_app;
ALTER TABLE regress_composite OWNER TO vt_app;
ALTER TABLE regress_parent OWNER TO vt_app;
ALTER TABLE regress_child OWNER TO vt_app;
ALTER TABLE regress_temp OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT t AS relation, regress.try(format('SELECT vital.enable_tenancy(%L)', t)) AS outcome
  FROM unnest(ARRAY['regress_view', 'regress_matview', 'regress_foreign', 'regress_sequence',
                    'regress_base_pkey', 'regress_no_key', 'regress_unique_only', 'regress_composite',
                    'regress_parent', 'regress_child', 'pg_temp.regress_temp']) AS t;
-- the hints
SAVEPOINT refused;
SELECT vital.enable_tenancy('regress_view');
ROLLBACK TO SAVEPOINT refused;
SELECT vital.enable_tenancy('regress_matview');
ROLLBACK TO SAVEPOINT refused;
SELECT vital.enable_tenancy('regress_foreign');
ROLLBACK TO SAVEPOINT refused;
SELECT vital.enable_tenancy('regress_no_key');
ROLLBACK TO SAVEPOINT refused;
SELECT vital.enable_tenancy('regress_composite');
ROLLBACK TO SAVEPOINT refused;
SELECT vital.enable_tenancy('regress_child');
ROLLBACK TO SAVEPOINT refused;
SELECT vital.enable_tenancy('pg_temp.regress_temp');
ROLLBACK TO SAVEPOINT refused;
-- someone else's table, a system catalog, vital_tenancy's own tables:
-- not the caller's to change
SELECT regress.try($$SELECT vital.enable_tenancy('pg_catalog.pg_class')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('vital.tenants')$$);
RESET ROLE;
SET LOCAL ROLE vt_attacker;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_base')$$);
SELECT regress.try($$SELECT vital.disable_tenancy('regress_base')$$);
SAVEPOINT refused;
SELECT vital.enable_tenancy('regress_base');
ROLLBACK TO SAVEPOINT refused;
RESET ROLE;
-- even a superuser gets no further with catalogs and vital's tables
SELECT regress.try($$SELECT vital.enable_tenancy('pg_catalog.pg_class')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('information_schema.sql_features')$$);
SELECT regress.try(format('SELECT vital.enable_tenancy(%L)',
    (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'pg_catalog.pg_proc'::regclass)));
SELECT regress.try($$SELECT vital.enable_tenancy('vital.tenants')$$);
SELECT regress.try($$SELECT vital.enable_tenancy('vital.tenant_tables')$$);
SAVEPOINT refused;
SELECT vital.enable_tenancy('pg_catalog.pg_class');
ROLLBACK TO SAVEPOINT refused;
SELECT vital.enable_tenancy('vital.tenants');
ROLLBACK TO SAVEPOINT refused;
-- an oid that names nothing
SELECT regress.try($$SELECT vital.enable_tenancy(4000000000::oid::regclass)$$);
-- nothing was touched
SELECT count(*) AS policies FROM pg_policy WHERE polrelid::regclass::text LIKE 'regress_%';
SELECT count(*) AS registered FROM vital.tenant_tables;
-- a member of the owning role may (it has the owner's privileges)
CREATE ROLE regress_owners;
GRANT regress_owners TO vt_client;
ALTER TABLE regress_base OWNER TO regress_owners;
SET LOCAL ROLE vt_client;
SELECT vital.enable_tenancy('regress_base');
SELECT table_name, primary_key, enabled_by FROM vital.tenant_tables;
ROLLBACK;
