-- Where a transaction-long context lasts beyond the statement that sets it,
-- the setters say nothing: inside BEGIN … COMMIT, in a multi-statement
-- simple query (an implicit transaction block), and for session-level
-- values. Inside a subtransaction they say nothing either, as SET LOCAL
-- does, even where the outer transaction is a single statement.
SET ROLE vt_app;
BEGIN;
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001', true) AS acme;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', true) AS bob;
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002', true) AS globex;
SELECT vital.get_current_tenant_id() AS globex_in_the_transaction;
SELECT vital.clear_context(true);
COMMIT;
-- one simple query of two statements: the second still sees the context
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001', true) AS acme \; SELECT vital.get_current_tenant_id() AS acme_in_the_next_statement;
SELECT vital.get_current_tenant_id() AS gone_after_the_query;
-- a PL/pgSQL exception block runs in a subtransaction (the value still
-- ends with the DO statement)
DO $$
BEGIN
    PERFORM vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001', true);
    RAISE NOTICE 'tenant inside the block: %', vital.get_current_tenant_id();
EXCEPTION WHEN OTHERS THEN
    RAISE;
END $$;
SELECT vital.get_current_tenant_id() AS gone_after_the_block;
-- session-level values
SELECT vital.set_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a0000000-0000-4000-8000-000000000001') AS acme;
SELECT vital.set_user_context('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') AS bob;
SELECT vital.set_tenant_context('b0000000-0000-4000-8000-000000000002') AS globex;
SELECT vital.clear_context();
SELECT vital.clear_context(false);
RESET ROLE;
