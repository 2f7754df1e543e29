"""cloudrun_migrate under concurrency, and the idempotent deploy-time superuser."""

from __future__ import annotations

import pytest

from pg import admin_connection, manage, scratch, start_manage

pytestmark = pytest.mark.slow


def prepared(space, **extra):
    env = space.env(CLOUDRUN_STATIC_COLLECTED="1", **extra)
    result = manage(["cloudrun_db_init"], env)
    assert result.returncode == 0, result.stderr
    return env


def test_three_concurrent_migrate_runs_all_exit_0_and_apply_each_migration_once():
    with scratch() as space:
        env = prepared(space)
        runs = [start_manage(["cloudrun_migrate"], env) for _ in range(3)]
        for run in runs:
            _, err = run.communicate(timeout=180)
            assert run.returncode == 0, err
        with admin_connection(space.database) as conn:
            duplicates = conn.execute(
                "SELECT app, name, count(*) FROM django_migrations GROUP BY app, name "
                "HAVING count(*) > 1"
            ).fetchall()
            applied = conn.execute(
                "SELECT count(*) FROM django_migrations WHERE app = 'catalog'"
            ).fetchone()[0]
        assert duplicates == []
        assert applied >= 1


def test_migrate_collects_static_files_unless_the_image_has_them(tmp_path):
    with scratch() as space:
        env = prepared(space, STATIC_ROOT=str(tmp_path / "static"))
        skipped = manage(["cloudrun_migrate"], env)
        assert skipped.returncode == 0, skipped.stderr
        assert not (tmp_path / "static").exists()
        env.pop("CLOUDRUN_STATIC_COLLECTED")
        collected = manage(["cloudrun_migrate"], env)
        assert collected.returncode == 0, collected.stderr
        assert (tmp_path / "static" / "admin" / "css" / "base.css").exists()


def test_a_failing_system_check_stops_migrate_before_it_touches_the_database():
    with scratch() as space:
        env = prepared(space, DJANGO_SETTINGS_MODULE="persistent_pool_settings")
        result = manage(["cloudrun_migrate"], env)
        assert result.returncode == 1
        assert "SystemCheckError" in result.stderr and "(cloudrun.E001)" in result.stderr
        with admin_connection(space.database) as conn:
            table = conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0]
        assert table is None


def superuser_env(space, password="first-superuser-password"):
    env = prepared(space)
    assert manage(["cloudrun_migrate"], env).returncode == 0
    return {
        **env,
        "DJANGO_SUPERUSER_USERNAME": "admin",
        "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
        "DJANGO_SUPERUSER_PASSWORD": password,
    }


def password_hash(database: str) -> str:
    with admin_connection(database) as conn:
        rows = conn.execute(
            "SELECT password FROM auth_user WHERE username = 'admin' AND is_superuser"
        ).fetchall()
    assert len(rows) == 1
    return rows[0][0]


def test_superuser_is_created_once_and_the_password_never_printed():
    with scratch() as space:
        env = superuser_env(space)
        first = manage(["cloudrun_superuser"], env)
        second = manage(["cloudrun_superuser"], env)
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert "admin created" in first.stdout
        assert "admin exists" in second.stdout
        for result in (first, second):
            assert "first-superuser-password" not in result.stdout + result.stderr
        assert password_hash(space.database).startswith("pbkdf2_sha256$")


def test_reset_password_applies_a_new_password_only_when_asked():
    with scratch() as space:
        env = superuser_env(space)
        assert manage(["cloudrun_superuser"], env).returncode == 0
        before = password_hash(space.database)
        env["DJANGO_SUPERUSER_PASSWORD"] = "second-superuser-password"
        assert manage(["cloudrun_superuser"], env).returncode == 0
        assert password_hash(space.database) == before
        reset = manage(["cloudrun_superuser", "--reset-password"], env)
        assert reset.returncode == 0, reset.stderr
        assert "admin password reset" in reset.stdout
        assert password_hash(space.database) != before


def test_migrate_creates_the_superuser_when_one_is_named():
    with scratch() as space:
        env = superuser_env(space)
        result = manage(["cloudrun_migrate"], env)
        assert result.returncode == 0, result.stderr
        assert "superuser: admin created" in result.stdout
        assert "first-superuser-password" not in result.stdout + result.stderr
        assert password_hash(space.database).startswith("pbkdf2_sha256$")


def test_superuser_without_password_fails_with_one_line():
    with scratch() as space:
        env = superuser_env(space)
        env.pop("DJANGO_SUPERUSER_PASSWORD")
        result = manage(["cloudrun_superuser"], env)
        assert result.returncode == 1
        assert "DJANGO_SUPERUSER_PASSWORD is not set" in result.stderr
        assert "Traceback" not in result.stderr


# A project's demo data, as Wagtail's bakerydemo ships it: its own admin at pk 1.
ADMIN_FIXTURE = [
    {
        "model": "auth.user",
        "pk": 1,
        "fields": {
            "username": "admin",
            "password": "pbkdf2_sha256$fixture",
            "is_superuser": True,
            "is_staff": True,
            "is_active": True,
            "email": "demo@example.com",
            "date_joined": "2024-01-01T00:00:00Z",
        },
    }
]


def write_fixture(tmp_path) -> str:
    import json

    path = tmp_path / "demo_users.json"
    path.write_text(json.dumps(ADMIN_FIXTURE))
    return str(path)


def superusers(database: str) -> list[tuple[int, str]]:
    with admin_connection(database) as conn:
        return conn.execute(
            "SELECT id, username FROM auth_user WHERE is_superuser ORDER BY id"
        ).fetchall()


def test_fixture_with_its_own_admin_loads_after_the_deploy_superuser(tmp_path):
    with scratch() as space:
        env = superuser_env(space)
        assert manage(["cloudrun_superuser"], env).returncode == 0
        loaded = manage(["loaddata", write_fixture(tmp_path)], env)
        assert loaded.returncode == 0, loaded.stderr
        assert superusers(space.database) == [(1, "admin")]
        again = manage(["cloudrun_migrate"], env)  # the next deploy or up
        assert again.returncode == 0, again.stderr
        assert superusers(space.database) == [(1, "admin")]


def test_fixture_admin_loads_after_a_deploy_superuser_of_another_name(tmp_path):
    with scratch() as space:
        env = {**superuser_env(space), "DJANGO_SUPERUSER_USERNAME": "ops"}
        assert manage(["cloudrun_superuser"], env).returncode == 0
        loaded = manage(["loaddata", write_fixture(tmp_path)], env)
        assert loaded.returncode == 0, loaded.stderr
        assert "admin" in [name for _, name in superusers(space.database)]


def test_deploy_superuser_is_not_added_beside_the_fixtures_admin(tmp_path):
    with scratch() as space:
        env = {**superuser_env(space), "DJANGO_SUPERUSER_USERNAME": "ops"}
        loaded = manage(["loaddata", write_fixture(tmp_path)], env)
        assert loaded.returncode == 0, loaded.stderr
        result = manage(["cloudrun_migrate"], env)
        assert result.returncode == 0, result.stderr
        assert "superuser: ops not created: the database has its own (admin)" in result.stdout
        assert superusers(space.database) == [(1, "admin")]
        same_name = manage(["cloudrun_superuser"], {**env, "DJANGO_SUPERUSER_USERNAME": "admin"})
        assert "superuser: admin exists" in same_name.stdout
