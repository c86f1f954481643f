-- vital.can_access_resource and vital.can_modify_resource called directly:
-- every rule, NULLs and unknown modes, never an error.
BEGIN;
SET LOCAL ROLE vt_app;
-- no context: nothing
SELECT vital.can_access_resource('a0000000-0000-4000-8000-000000000001', true, 'global', '{}') AS no_context_global,
       vital.can_modify_resource('a0000000-0000-4000-8000-000000000001') AS no_context_modify;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT rule, vital.can_access_resource(owner, shared, mode, list) AS can_read
  FROM (VALUES
    ('own private',              'a0000000-0000-4000-8000-000000000001'::uuid, false, 'private',   '{}'::uuid[]),
    ('other private',            'b0000000-0000-4000-8000-000000000002', false, 'private',   '{}'),
    ('other global',             'b0000000-0000-4000-8000-000000000002', true,  'global',    '{}'),
    ('global but not shared',    'b0000000-0000-4000-8000-000000000002', false, 'global',    '{}'),
    ('selective with me',        'b0000000-0000-4000-8000-000000000002', true,  'selective', '{d0000000-0000-4000-8000-000000000004,a0000000-0000-4000-8000-000000000001}'),
    ('selective not with me',    'b0000000-0000-4000-8000-000000000002', true,  'selective', '{d0000000-0000-4000-8000-000000000004}'),
    ('selective, NULL in list',  'b0000000-0000-4000-8000-000000000002', true,  'selective', '{NULL,a0000000-0000-4000-8000-000000000001}'),
    ('selective, NULL list',     'b0000000-0000-4000-8000-000000000002', true,  'selective', NULL),
    ('unknown mode',             'b0000000-0000-4000-8000-000000000002', true,  'public',    '{a0000000-0000-4000-8000-000000000001}'),
    ('NULL mode',                'b0000000-0000-4000-8000-000000000002', true,  NULL,        '{}'),
    ('NULL shared flag',         'b0000000-0000-4000-8000-000000000002', NULL,  'global',    '{}'),
    ('NULL owner',               NULL,                                   false, 'private',   '{}'),
    ('all NULL',                 NULL,                                   NULL,  NULL,        NULL)
  ) AS cases(rule, owner, shared, mode, list);
SELECT vital.can_modify_resource('a0000000-0000-4000-8000-000000000001') AS modify_own,
       vital.can_modify_resource('b0000000-0000-4000-8000-000000000002') AS modify_other,
       vital.can_modify_resource(NULL) AS modify_null;
-- the explicit-tenant form: same rules, no admin rule, no context needed
SELECT vital.can_access_resource('b0000000-0000-4000-8000-000000000002', true, 'selective',
                                 '{d0000000-0000-4000-8000-000000000004}', 'd0000000-0000-4000-8000-000000000004') AS explicit_selective,
       vital.can_access_resource('b0000000-0000-4000-8000-000000000002', false, 'private', '{}',
                                 'd0000000-0000-4000-8000-000000000004') AS explicit_private,
       vital.can_access_resource('b0000000-0000-4000-8000-000000000002', false, 'private', '{}', NULL) AS explicit_null_tenant;
-- a platform admin with no tenant, or as the platform tenant: everything
SELECT vital.set_user_context('dddddddd-dddd-4ddd-8ddd-dddddddddddd');
SELECT vital.can_access_resource('b0000000-0000-4000-8000-000000000002', false, 'private', '{}') AS admin_no_tenant,
       vital.can_modify_resource('b0000000-0000-4000-8000-000000000002') AS admin_modify;
SELECT vital.set_tenant_context('00000000-0000-0000-0000-000000000001');
SELECT vital.can_access_resource('b0000000-0000-4000-8000-000000000002', false, 'private', '{}') AS admin_as_platform;
-- an admin previewing a tenant sees exactly what that tenant sees
SELECT vital.set_tenant_context('a0000000-0000-4000-8000-000000000001');
SELECT vital.can_access_resource('b0000000-0000-4000-8000-000000000002', false, 'private', '{}') AS admin_preview_other,
       vital.can_access_resource('a0000000-0000-4000-8000-000000000001', false, 'private', '{}') AS admin_preview_own,
       vital.can_modify_resource('b0000000-0000-4000-8000-000000000002') AS admin_preview_modify_other;
ROLLBACK;
-- the functions are leakproof, stable and parallel safe
SELECT proname, pronargs, proleakproof, provolatile, proparallel, prosupport <> 0 AS has_support
  FROM pg_proc WHERE pronamespace = 'vital'::regnamespace
   AND proname IN ('can_access_resource', 'can_modify_resource', 'get_current_tenant_id', 'current_user_id')
 ORDER BY proname, pronargs;
