-- vital.set_context(user, tenant, is_local) sets both in one call (one
-- round trip per pooled transaction), with the checks of set_user_context
-- and set_tenant_context; a failed call changes nothing.
BEGIN;
SET LOCAL ROLE vt_app;
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001', true) AS tenant;
SELECT vital.current_user_id() AS alice, vital.get_current_tenant_id() AS acme;
-- bob is no member of acme: refused, and alice and acme stay
SELECT regress.try($$SELECT vital.set_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'a0000000-0000-4000-8000-000000000001', true)$$);
SELECT vital.current_user_id() AS still_alice, vital.get_current_tenant_id() AS still_acme;
-- carol is told her tenant is suspended; an unknown tenant; NULLs
SELECT regress.try($$SELECT vital.set_context('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'c0000000-0000-4000-8000-000000000003')$$);
SELECT regress.try($$SELECT vital.set_context('cccccccc-cccc-4ccc-8ccc-cccccccccccc', '01234567-89ab-4def-8123-456789abcdef')$$);
SELECT regress.try($$SELECT vital.set_context(NULL, 'a0000000-0000-4000-8000-000000000001')$$);
SELECT regress.try($$SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', NULL)$$);
SELECT regress.try($$SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001', NULL)$$);
-- frank, a member of trial hooli, at session level
SELECT vital.set_context('ffffffff-ffff-4fff-8fff-ffffffffffff', 'd0000000-0000-4000-8000-000000000004') AS tenant;
SELECT vital.current_user_id() AS frank, vital.get_current_tenant_id() AS hooli;
RESET ROLE;
-- a role that may not vouch for users may not use it either
SET LOCAL ROLE vt_client;
SELECT regress.try($$SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001')$$);
SELECT vital.current_user_id() AS still_frank;
ROLLBACK;
