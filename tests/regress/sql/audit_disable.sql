-- disable_tenancy removes both audit triggers (from the partitions too);
-- the trail keeps what it recorded.
BEGIN;
CREATE TABLE regress_docs (id int PRIMARY KEY);
CREATE TABLE regress_events (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regress_events_1 PARTITION OF regress_events FOR VALUES FROM (0) TO (100);
ALTER TABLE regress_docs OWNER TO vt_app;
ALTER TABLE regress_events OWNER TO vt_app;
ALTER TABLE regress_events_1 OWNER TO vt_app;
SET LOCAL ROLE vt_app;
SELECT vital.enable_tenancy('regress_docs');
SELECT vital.enable_tenancy('regress_events');
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
INSERT INTO regress_docs (id, is_shared, sharing_mode) VALUES (1, true, 'global');
SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE tgname LIKE 'vital\_tenancy\_audit%' ORDER BY 1, 2;
SELECT vital.disable_tenancy('regress_docs');
SELECT vital.disable_tenancy('regress_events');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgname LIKE 'vital\_tenancy\_audit%';
-- changes are no longer recorded; what was recorded stays
UPDATE regress_docs SET is_shared = false, sharing_mode = 'private' WHERE id = 1;
RESET ROLE;
SELECT action, table_name, resource_id FROM vital.resource_sharing_audit;
ROLLBACK;
