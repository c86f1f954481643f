-- The access checks never raise and reveal nothing but their answer, so the
-- planner may evaluate them before a query's own (possibly leaky) conditions.
ALTER FUNCTION vital.can_access_resource(uuid, boolean, text, uuid[]) LEAKPROOF;
ALTER FUNCTION vital.can_access_resource(uuid, boolean, text, uuid[], uuid) LEAKPROOF;
ALTER FUNCTION vital.can_modify_resource(uuid) LEAKPROOF;
ALTER FUNCTION vital.get_current_tenant_id() LEAKPROOF;
ALTER FUNCTION vital.current_user_id() LEAKPROOF;

-- The support functions are the planner's business only.
REVOKE EXECUTE ON FUNCTION vital.simplify_can_access_resource(internal) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION vital.simplify_can_modify_resource(internal) FROM PUBLIC;
