-- vital.can_read_sharing_audit(uuid, jsonb, jsonb), the trail's read check,
-- is callable by any role with any jsonb. It reads only the two keys it
-- needs, in place: deep nesting, wrong shapes and odd values never raise,
-- they mention nobody.
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
RESET ROLE;
SET LOCAL ROLE vt_client;
CREATE TEMP TABLE states (what text, state text);
INSERT INTO states VALUES
  ('owner', '{"tenant_id": "a0000000-0000-4000-8000-000000000001"}'),
  ('owner, upper case', '{"tenant_id": "A0000000-0000-4000-8000-000000000001"}'),
  ('listed', '{"tenant_id": "b0000000-0000-4000-8000-000000000002", "shared_with": ["c0000000-0000-4000-8000-000000000003", "a0000000-0000-4000-8000-000000000001"]}'),
  ('another tenant', '{"tenant_id": "b0000000-0000-4000-8000-000000000002", "shared_with": []}'),
  ('nested 200 deep', repeat('[', 200)::text || repeat(']', 200)),
  ('nested 200 deep under tenant_id', ('{"tenant_id": ' || repeat('[', 200) || repeat(']', 200) || '}')),
  ('nested 200 deep under shared_with', ('{"shared_with": [' || repeat('{"a": ', 200) || '1' || repeat('}', 200) || ']}')),
  ('objects 200 deep', repeat('{"tenant_id": ', 200) || '"a0000000-0000-4000-8000-000000000001"' || repeat('}', 200)),
  ('scalar string', '"a0000000-0000-4000-8000-000000000001"'),
  ('array of the tenant', '["a0000000-0000-4000-8000-000000000001"]'),
  ('tenant_id a number', '{"tenant_id": 42}'),
  ('tenant_id not a uuid', '{"tenant_id": "acme"}'),
  ('tenant_id null', '{"tenant_id": null}'),
  ('shared_with an object', '{"shared_with": {"a0000000-0000-4000-8000-000000000001": true}}'),
  ('shared_with a string', '{"shared_with": "a0000000-0000-4000-8000-000000000001"}'),
  ('shared_with of numbers and nulls', '{"shared_with": [1, null, true, {}]}'),
  ('empty object', '{}');
SELECT what, vital.can_read_sharing_audit(NULL, state::jsonb, NULL) AS as_old,
       vital.can_read_sharing_audit(NULL, NULL, state::jsonb) AS as_new
  FROM states ORDER BY what;
-- the actor alone, and nothing at all
SELECT vital.can_read_sharing_audit('a0000000-0000-4000-8000-000000000001', NULL, NULL) AS actor,
       vital.can_read_sharing_audit(NULL, NULL, NULL) AS nothing;
-- no context reads nothing
RESET ROLE;
SET LOCAL ROLE vt_app;
SELECT vital.clear_context(true);
RESET ROLE;
SET LOCAL ROLE vt_client;
SELECT count(*) FILTER (WHERE vital.can_read_sharing_audit(NULL, state::jsonb, state::jsonb)) AS readable_without_context FROM states;
ROLLBACK;
