-- A transaction-long context (is_local => true) set outside a transaction
-- block lasts only for the statement that set it, so each setter warns
-- (25P01), as PostgreSQL's SET LOCAL does; the call still does its work,
-- for that one statement, and the session-level context comes back after it.
SET ROLE vt_app;
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001') AS session_acme;
-- within its own statement the value is there
SELECT vital.set_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002', true) AS globex,
       vital.get_current_tenant_id() AS in_the_same_statement;
-- and the next statement runs with the session's context again
SELECT vital.get_current_tenant_id() AS acme_again, vital.current_user_id() AS alice_again;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', true) AS bob;
SELECT vital.current_user_id() AS alice_again;
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001', true) AS acme;
SELECT vital.clear_context(true);
SELECT vital.get_current_tenant_id() AS acme_again;
-- the SQLSTATE a client sees
\set VERBOSITY sqlstate
SELECT vital.set_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b0000000-0000-4000-8000-000000000002', true) AS globex;
SELECT vital.clear_context(true);
\set VERBOSITY default
-- anyone may clear the context: the warning reaches them too
SET ROLE vt_client;
SELECT vital.clear_context(true);
-- a refused call raises its error, with no warning before it
SET ROLE vt_app;
SELECT vital.set_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'a0000000-0000-4000-8000-000000000001', true);
SELECT vital.get_current_tenant_id() AS acme_still;
RESET ROLE;
