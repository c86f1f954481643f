-- On the NULL side of an outer join the columns of a protected table are
-- NULL although declared NOT NULL: the checks, rewritten at plan time or
-- not, say false there, as they do natively, never NULL; and a protected
-- table on the nullable side of a join is still read through its indexes.
BEGIN;
SELECT regress.create_docs();  -- public.docs: acme private, acme shared with globex, globex private
SET LOCAL ROLE vt_app;
SELECT vital.set_user_context('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') IS NOT NULL AS alice,
       vital.set_tenant_context('a0000000-0000-4000-8000-000000000001') IS NOT NULL AS acme;
-- no row on the right: false, not NULL
SELECT k, d.title,
       vital.can_access_resource(d.tenant_id, d.is_shared, d.sharing_mode, d.shared_with) AS can_read,
       vital.can_modify_resource(d.tenant_id) AS can_modify
  FROM (VALUES (1), (2)) AS v (k)
  LEFT JOIN docs d ON d.id = '0000000a-0000-4000-8000-000000000001' AND v.k = 1
 ORDER BY k;
-- a right join, a full join, and a negated check
SELECT d.title, vital.can_modify_resource(d.tenant_id) AS can_modify
  FROM docs d RIGHT JOIN (VALUES (1)) AS v (k) ON false;
SELECT d.title, vital.can_access_resource(d.tenant_id, d.is_shared, d.sharing_mode, d.shared_with) AS can_read
  FROM docs d FULL JOIN (VALUES (1)) AS v (k) ON false ORDER BY d.title NULLS FIRST;
SELECT count(*) AS not_readable
  FROM (VALUES (1)) AS v (k) LEFT JOIN docs d ON false
 WHERE NOT vital.can_access_resource(d.tenant_id, d.is_shared, d.sharing_mode, d.shared_with);
-- with rows on the right, the answers of the inner side
SELECT d.title,
       vital.can_access_resource(d.tenant_id, d.is_shared, d.sharing_mode, d.shared_with) AS can_read,
       vital.can_modify_resource(d.tenant_id) AS can_modify
  FROM (VALUES (1)) AS v (k) LEFT JOIN docs d ON true ORDER BY d.title;
-- the policy's own check on the nullable side still uses the indexes
RESET ROLE;
SET LOCAL enable_seqscan = off;
SET LOCAL ROLE vt_app;
SELECT count(*) AS index_scans FROM regress.plan_lines($$
  SELECT v.k, d.title FROM (VALUES (1)) AS v (k) LEFT JOIN docs d ON d.title = 'x'$$) AS line
 WHERE line ~ 'Index Scan';
ROLLBACK;
