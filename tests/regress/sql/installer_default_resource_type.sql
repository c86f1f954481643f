-- default_resource_type stamps the rows that have no resource type yet (the
-- platform's own catalogue: 'platform'), without a superuser; new rows still
-- default to 'custom'; a word outside the vocabulary is refused.
\set SHOW_CONTEXT never
BEGIN;
CREATE TABLE regress_rt_agents (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO regress_rt_agents VALUES (1, 'platform agent'), (2, 'platform template');
ALTER TABLE regress_rt_agents OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_rt_agents', default_resource_type => 'template')$$) AS unknown_word;
SELECT regress.try($$SELECT vital.enable_tenancy('regress_rt_agents', default_resource_type => NULL)$$) AS null_word;
SELECT vital.enable_tenancy('regress_rt_agents', default_sharing => 'global', default_resource_type => 'platform');
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001', true) IS NOT NULL AS acme;
INSERT INTO regress_rt_agents (id, name) VALUES (3, 'acme agent');
SELECT id, resource_type, sharing_mode FROM regress_rt_agents ORDER BY id;
ROLLBACK;
-- an existing nullable resource_type column: NULLs are stamped, values kept
BEGIN;
CREATE TABLE regress_rt_tools (id int PRIMARY KEY, resource_type varchar(20));
INSERT INTO regress_rt_tools VALUES (1, NULL), (2, 'industry');
ALTER TABLE regress_rt_tools OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_rt_tools', default_resource_type => 'solution');
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd', true) IS NOT NULL AS platform_admin;
SELECT id, resource_type FROM regress_rt_tools ORDER BY id;
ROLLBACK;
