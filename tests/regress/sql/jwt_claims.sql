-- Behind PostgREST the user arrives in request.jwt.claims; a superuser
-- decides whether to trust it.
BEGIN;
SET LOCAL ROLE vt_client;
SET LOCAL request.jwt.claims = '{"sub":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","role":"authenticated"}';
SELECT vital.current_user_id() AS untrusted_claims;
RESET ROLE;
SET LOCAL vital.trust_jwt_claims = on;
SET LOCAL ROLE vt_client;
SELECT vital.current_user_id() AS trusted_claims;
-- the JWT user's membership is checked like any other
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002', true);
SELECT regress.try($$SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true)$$);
SELECT vital.get_current_tenant_id();
-- anything but a UUID sub is no user, never an error
SET LOCAL request.jwt.claims = '{"sub":"not-a-uuid"}';
SELECT vital.current_user_id() AS bad_sub;
SET LOCAL request.jwt.claims = '{"sub":42}';
SELECT vital.current_user_id() AS numeric_sub;
SET LOCAL request.jwt.claims = '{"role":"anon"}';
SELECT vital.current_user_id() AS no_sub;
SET LOCAL request.jwt.claims = '{not json';
SELECT vital.current_user_id() AS malformed;
SET LOCAL request.jwt.claims = '';
SELECT vital.current_user_id() AS empty;
SET LOCAL request.jwt.claims = '["bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"]';
SELECT vital.current_user_id() AS array_claims;
-- with no claims the set functions fall back to the service rules
SET LOCAL request.jwt.claims = '{"role":"anon"}';
SELECT regress.try($$SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002', true)$$);
-- an explicit user context wins over the claims
RESET ROLE;
SET LOCAL ROLE vt_app;
SET LOCAL request.jwt.claims = '{"sub":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}';
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', true);
SELECT vital.current_user_id() AS explicit_wins;
ROLLBACK;
