"""Registry changes committed in one session reach another session's
checks at its next transaction, although each backend caches what the
checks read: a member removed, a tenant suspended, an admin granted or
revoked. A change that rolls back changes nothing anywhere."""

from conftest import APP, SUPERUSER, connection, sqlstate_of

# Tenants and users of this file only (the session fixtures own 1000…/2000…).
TENANT = "a1000000-0000-4000-8000-000000000001"
OTHER_TENANT = "a1000000-0000-4000-8000-000000000002"
MEMBER = "b1000000-0000-4000-8000-000000000001"
ADMIN_TO_BE = "b1000000-0000-4000-8000-000000000002"


def setup_module():
    with connection(SUPERUSER, autocommit=True) as admin:
        with admin.cursor() as cur:
            for tenant, slug in ((TENANT, "it-cache-one"), (OTHER_TENANT, "it-cache-two")):
                cur.execute(
                    "select vital.create_tenant(%s, %s, 'client', 'free', %s)"
                    " where not exists (select from vital.tenants where id = %s)",
                    (slug, slug, tenant, tenant),
                )
            cur.execute("create table if not exists it.cache_docs (id int primary key)")
            cur.execute("select vital.enable_tenancy('it.cache_docs', %s)", (TENANT,))
            cur.execute("insert into it.cache_docs (id, tenant_id) select g, %s from generate_series(1, 10) g on conflict do nothing", (TENANT,))
            cur.execute("grant select on it.cache_docs to %s" % APP)


def set_context(conn, user, tenant):
    """Sets the user and the tenant for the current transaction (commits it)."""
    with conn.cursor() as cur:
        cur.execute("select vital.set_user_context(%s, true), vital.set_tenant_context(%s, true)", (user, tenant))
    conn.commit()


def superuser(sql, args=None):
    with connection(SUPERUSER, autocommit=True) as admin:
        with admin.cursor() as cur:
            cur.execute(sql, args)


def test_removed_member_loses_the_tenant_at_the_next_transaction():
    superuser("select vital.add_tenant_member(%s, %s, 'member')", (TENANT, MEMBER))
    with connection(APP) as app:
        set_context(app, MEMBER, TENANT)  # cached: MEMBER may act for TENANT
        set_context(app, MEMBER, TENANT)
        superuser("select vital.remove_tenant_member(%s, %s)", (TENANT, MEMBER))
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (MEMBER,))
        assert sqlstate_of(app, "select vital.set_tenant_context(%s, true)", (TENANT,)) == "42501"
        app.rollback()


def test_suspended_tenant_is_refused_at_the_next_transaction():
    superuser("select vital.add_tenant_member(%s, %s, 'member')", (OTHER_TENANT, MEMBER))
    with connection(APP) as app:
        set_context(app, MEMBER, OTHER_TENANT)
        superuser("select vital.set_tenant_status(%s, 'suspended')", (OTHER_TENANT,))
        try:
            with app.cursor() as cur:
                cur.execute("select vital.set_user_context(%s, true)", (MEMBER,))
            assert sqlstate_of(app, "select vital.set_tenant_context(%s, true)", (OTHER_TENANT,)) == "22023"
            app.rollback()
        finally:
            superuser("select vital.set_tenant_status(%s, 'active')", (OTHER_TENANT,))
        set_context(app, MEMBER, OTHER_TENANT)


def test_granted_and_revoked_admin_reach_an_open_session():
    with connection(APP) as app:
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (ADMIN_TO_BE,))
        assert sqlstate_of(app, "select vital.set_tenant_context(%s, true)", (TENANT,)) == "42501"
        app.rollback()
        superuser("select vital.grant_platform_admin(%s)", (ADMIN_TO_BE,))
        set_context(app, ADMIN_TO_BE, TENANT)  # admins may act for any tenant
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (ADMIN_TO_BE,))
            cur.execute("select vital.is_platform_admin()")
            assert cur.fetchone()[0] is True
        app.commit()
        superuser("select vital.revoke_platform_admin(%s)", (ADMIN_TO_BE,))
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (ADMIN_TO_BE,))
        assert sqlstate_of(app, "select vital.set_tenant_context(%s, true)", (TENANT,)) == "42501"
        app.rollback()


def test_a_change_rolled_back_changes_no_cache():
    with connection(APP) as app, connection(SUPERUSER) as admin:
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (MEMBER,))
        assert sqlstate_of(app, "select vital.set_tenant_context(%s, true)", (TENANT,)) == "42501"
        app.rollback()
        with admin.cursor() as cur:
            cur.execute("select vital.add_tenant_member(%s, %s, 'member')", (TENANT, MEMBER))
        # not committed yet: the other session still refuses
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (MEMBER,))
        assert sqlstate_of(app, "select vital.set_tenant_context(%s, true)", (TENANT,)) == "42501"
        app.rollback()
        # the writer itself sees its change, then rolls it back
        with admin.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (MEMBER,))
            cur.execute("select vital.set_tenant_context(%s, true)", (TENANT,))
        admin.rollback()
        with admin.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (MEMBER,))
        assert sqlstate_of(admin, "select vital.set_tenant_context(%s, true)", (TENANT,)) == "42501"
        admin.rollback()


def test_a_registry_write_by_plain_sql_reaches_the_cache_too():
    superuser("select vital.add_tenant_member(%s, %s, 'member')", (OTHER_TENANT, MEMBER))
    with connection(APP) as app:
        set_context(app, MEMBER, OTHER_TENANT)  # cached: an active member
        superuser(
            "update vital.user_tenants set status = 'disabled' where user_id = %s and tenant_id = %s",
            (MEMBER, OTHER_TENANT),
        )
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (MEMBER,))
        assert sqlstate_of(app, "select vital.set_tenant_context(%s, true)", (OTHER_TENANT,)) == "42501"
        app.rollback()
        superuser(
            "update vital.user_tenants set status = 'active' where user_id = %s and tenant_id = %s",
            (MEMBER, OTHER_TENANT),
        )
        set_context(app, MEMBER, OTHER_TENANT)


def test_a_cached_bypass_plan_is_planned_again_after_a_revoke_elsewhere():
    superuser("select vital.grant_platform_admin(%s)", (ADMIN_TO_BE,))
    with connection(APP) as app:
        with app.cursor() as cur:
            cur.execute("set plan_cache_mode = force_generic_plan")
            cur.execute("prepare every_doc as select count(*) from it.cache_docs")
            cur.execute("select vital.set_user_context(%s, true)", (ADMIN_TO_BE,))
            cur.execute("execute every_doc")
            assert cur.fetchone()[0] == 10  # the bypass: every row, no tenant
        app.commit()
        superuser("select vital.revoke_platform_admin(%s)", (ADMIN_TO_BE,))
        with app.cursor() as cur:
            cur.execute("select vital.set_user_context(%s, true)", (ADMIN_TO_BE,))
            cur.execute("execute every_doc")
            assert cur.fetchone()[0] == 0  # no bypass, no tenant: nothing
        app.commit()
