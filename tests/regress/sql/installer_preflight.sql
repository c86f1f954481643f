-- tenancy_preflight says what enable_tenancy would do with the same
-- options and what would stop it, and changes nothing: the rows, the lock,
-- every blocker (with up to ten failing rows), hazard and change.
\set SHOW_CONTEXT never
BEGIN;
CREATE TABLE regress_pf_agents (
    id            int PRIMARY KEY,
    name          text NOT NULL,
    tenant_id     uuid,
    sharing_mode  varchar(20),
    resource_type text
);
INSERT INTO regress_pf_agents
SELECT g, 'agent ' || g, NULL, NULL, NULL FROM generate_series(1, 20) g;
UPDATE regress_pf_agents SET sharing_mode = 'public' WHERE id BETWEEN 3 AND 16;
UPDATE regress_pf_agents SET tenant_id = 'a0000000-0000-4000-8000-000000000001' WHERE id BETWEEN 3 AND 16;
UPDATE regress_pf_agents SET tenant_id = 'eeeeeeee-0000-4000-8000-000000000001', resource_type = 'template' WHERE id = 17;
CREATE POLICY "Enable read access for all users" ON regress_pf_agents FOR SELECT USING (true);
CREATE POLICY regress_narrow ON regress_pf_agents AS RESTRICTIVE FOR SELECT USING (id > 0);
CREATE VIEW regress_pf_names AS SELECT name FROM regress_pf_agents;
ALTER TABLE regress_pf_agents OWNER TO vt_app;
ALTER VIEW regress_pf_names OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT kind, subject, finding, rows FROM vital.tenancy_preflight('regress_pf_agents')
 ORDER BY CASE kind WHEN 'rows' THEN 0 WHEN 'lock' THEN 1 WHEN 'blocker' THEN 2 WHEN 'hazard' THEN 3 WHEN 'keep' THEN 4 ELSE 5 END, subject, finding;
-- the failing rows, up to ten, in key order, with what is wrong
SELECT subject, rows, jsonb_array_length(sample) AS shown, sample -> 0 AS first, sample -> 9 -> 'id' AS tenth
  FROM vital.tenancy_preflight('regress_pf_agents') WHERE kind = 'blocker' AND sample IS NOT NULL ORDER BY subject;
-- nothing was changed
SELECT count(*) AS columns FROM pg_attribute WHERE attrelid = 'regress_pf_agents'::regclass AND attnum > 0;
SELECT count(*) AS policies FROM pg_policies WHERE tablename = 'regress_pf_agents';
-- with the options, the policy is a change, not a blocker
SELECT kind, finding FROM vital.tenancy_preflight('regress_pf_agents', replace_policies => true)
 WHERE subject LIKE 'policy "Enable read%';
-- the rows corrected, only changes are left; enable_tenancy then agrees
RESET ROLE;
UPDATE regress_pf_agents SET sharing_mode = 'global' WHERE sharing_mode = 'public';
UPDATE regress_pf_agents SET tenant_id = 'b0000000-0000-4000-8000-000000000002', resource_type = 'custom' WHERE id = 17;
SET LOCAL ROLE vt_app;
SELECT count(*) FILTER (WHERE kind = 'blocker') AS blockers
  FROM vital.tenancy_preflight('regress_pf_agents', replace_policies => true);
SELECT vital.enable_tenancy('regress_pf_agents', replace_policies => true);
SELECT kind, subject, finding FROM vital.tenancy_preflight('regress_pf_agents')
 WHERE kind NOT IN ('rows', 'lock') ORDER BY kind, subject;
ROLLBACK;
-- who may ask: the table's owner (else 42501); bad options as enable_tenancy
BEGIN;
CREATE TABLE regress_pf_other (id int PRIMARY KEY);
SET LOCAL ROLE vt_client;
SELECT regress.try($$SELECT * FROM vital.tenancy_preflight('regress_pf_other')$$) AS not_owner;
SELECT regress.try($$SELECT * FROM vital.tenancy_preflight('regress_pf_other', default_sharing => 'selective')$$) AS bad_sharing;
ROLLBACK;
