-- Views and materialized views that read a protected table around its
-- policies are hazards: enable_tenancy warns about each, the doctor lists
-- them with what to do, and a security_invoker view is none.
\set SHOW_CONTEXT never
BEGIN;
CREATE TABLE regress_hz_agents (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO regress_hz_agents VALUES (1, 'platform agent');
ALTER TABLE regress_hz_agents OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_hz_agents');
SELECT hazards FROM vital.tenancy_status() WHERE table_name = 'regress_hz_agents'::regclass;
-- a superuser's view (a dashboard, say), a view of the owner's, a
-- security_invoker one and a materialized view
RESET ROLE;
CREATE VIEW regress_hz_names_by_superuser AS SELECT id, name FROM regress_hz_agents;
GRANT SELECT ON regress_hz_names_by_superuser TO vt_client;
CREATE VIEW regress_hz_names AS SELECT id, name FROM regress_hz_agents;
CREATE VIEW regress_hz_names_invoker WITH (security_invoker = true) AS SELECT id, name FROM regress_hz_agents;
CREATE MATERIALIZED VIEW regress_hz_counts AS SELECT count(*) AS agents FROM regress_hz_agents WITH NO DATA;
ALTER VIEW regress_hz_names OWNER TO vt_app;
ALTER VIEW regress_hz_names_invoker OWNER TO vt_app;
ALTER MATERIALIZED VIEW regress_hz_counts OWNER TO vt_app;
-- the superuser's view is a real opening: an anonymous client reads through it
SET LOCAL ROLE vt_client;
SELECT count(*) AS anonymous_through_superuser_view FROM regress_hz_names_by_superuser;
SET LOCAL ROLE vt_app;
SELECT unnest(hazards) AS hazard FROM vital.tenancy_status() WHERE table_name = 'regress_hz_agents'::regclass;
SELECT healthy FROM vital.tenancy_status() WHERE table_name = 'regress_hz_agents'::regclass;
-- enable_tenancy run again warns about each
SELECT vital.enable_tenancy('regress_hz_agents');
-- what the hints say removes them
RESET ROLE;
ALTER VIEW regress_hz_names_by_superuser SET (security_invoker = true);
GRANT SELECT ON regress_hz_agents TO vt_client;
SET LOCAL ROLE vt_client;
SELECT count(*) AS anonymous_through_invoker_view FROM regress_hz_names_by_superuser;
SET LOCAL ROLE vt_app;
ALTER VIEW regress_hz_names SET (security_invoker = on);
DROP MATERIALIZED VIEW regress_hz_counts;
SELECT hazards FROM vital.tenancy_status() WHERE table_name = 'regress_hz_agents'::regclass;
ROLLBACK;
