"""cloudrun_db_init against the real server: idempotent, concurrent-safe, hostile-input-proof."""

from __future__ import annotations

from typing import ClassVar

import psycopg
import pytest

from django_cloudrun.dbinit import (
    AdminCredentials,
    AppDatabase,
    DbInitError,
    initialize,
    retire_login,
)
from pg import SOCKET_DIR, admin_connection, drop, manage, scratch, start_manage, unique_name

EXTENSIONS = ("pg_trgm", "unaccent", "hstore", "citext")
ADMIN = AdminCredentials(host=SOCKET_DIR, port="", user="postgres", password="")


def roles_named(role: str) -> int:
    with admin_connection() as conn:
        return conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).fetchone()[
            0
        ]


def databases_named(database: str) -> tuple[int, str | None]:
    with admin_connection() as conn:
        row = conn.execute(
            "SELECT count(*), max(pg_get_userbyid(datdba)) FROM pg_database WHERE datname = %s",
            (database,),
        ).fetchone()
        return row[0], row[1]


def extensions_in(database: str) -> set[str]:
    with admin_connection(database) as conn:
        return {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}


def stored_password(role: str) -> str:
    with admin_connection() as conn:
        return conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)
        ).fetchone()[0]


@pytest.mark.slow
def test_db_init_three_times_leaves_one_role_one_database_and_the_extensions():
    with scratch() as space:
        env = space.env(DB_EXTENSIONS=",".join(EXTENSIONS))
        outputs = [manage(["cloudrun_db_init"], env) for _ in range(3)]
        for result in outputs:
            assert result.returncode == 0, result.stderr
            assert space.password not in result.stdout + result.stderr
        assert "created" in outputs[0].stdout
        assert "exists" in outputs[2].stdout
        assert roles_named(space.role) == 1
        assert databases_named(space.database) == (1, space.role)
        assert set(EXTENSIONS) <= extensions_in(space.database)


@pytest.mark.slow
def test_db_init_twice_at_once_both_succeed():
    with scratch() as space:
        env = space.env(DB_EXTENSIONS=",".join(EXTENSIONS))
        runs = [start_manage(["cloudrun_db_init"], env) for _ in range(2)]
        results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
        for code, _out, err in results:
            assert code == 0, err
        assert roles_named(space.role) == 1
        assert databases_named(space.database) == (1, space.role)
        assert set(EXTENSIONS) <= extensions_in(space.database)


def test_password_is_stored_as_a_scram_verifier_and_updated_on_rerun():
    with scratch() as space:
        initialize(ADMIN, AppDatabase(space.database, space.role, "first-password"))
        first = stored_password(space.role)
        initialize(ADMIN, AppDatabase(space.database, space.role, "second-password"))
        second = stored_password(space.role)
        assert first.startswith("SCRAM-SHA-256$")
        assert second.startswith("SCRAM-SHA-256$") and second != first


def test_the_role_owns_its_database_and_can_create_tables():
    with scratch() as space:
        initialize(ADMIN, AppDatabase(space.database, space.role, space.password))
        with admin_connection(space.database) as conn:
            conn.execute(f'SET ROLE "{space.role}"')
            conn.execute("CREATE TABLE probe (id int)")
            owner = conn.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'probe'"
            ).fetchone()[0]
        assert owner == space.role


def test_an_existing_database_is_handed_to_the_role():
    with scratch() as space:
        with admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{space.database}"')
        initialize(ADMIN, AppDatabase(space.database, space.role, space.password))
        assert databases_named(space.database) == (1, space.role)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", 'x"; DROP DATABASE y; --'),
        ("role", "Admin"),
        ("database", "db name"),
        ("database", "a" * 64),
        ("extension", "pg_trgm; DROP TABLE x"),
    ],
)
def test_hostile_identifiers_are_refused_before_connecting(field, value):
    target = {
        "database": unique_name("db"),
        "role": unique_name("role"),
        "password": "secret-value",
        "extensions": (),
    }
    if field == "extension":
        target["extensions"] = (value,)
    else:
        target[field] = value
    with pytest.raises(DbInitError, match="is not a valid identifier"):
        # An unreachable host proves validation happens before any connection.
        initialize(AdminCredentials("/nonexistent", "", "postgres", ""), AppDatabase(**target))


def test_hostile_role_name_fails_the_command_with_one_clear_line():
    with scratch() as space:
        env = space.env(DB_USER='x"; DROP DATABASE y; --')
        result = manage(["cloudrun_db_init"], env)
        assert result.returncode == 1
        assert (
            "db-init: role: 'x\"; DROP DATABASE y; --' is not a valid identifier" in result.stderr
        )
        assert "Traceback" not in result.stderr


def test_empty_password_is_refused():
    with pytest.raises(DbInitError, match="refusing to create a login role without one"):
        initialize(ADMIN, AppDatabase(unique_name("db"), unique_name("role"), ""))


def test_unknown_extension_names_it():
    missing = pytest.raises(DbInitError, match="extension 'no_such_ext' is not available")
    with scratch() as space, missing:
        initialize(ADMIN, AppDatabase(space.database, space.role, space.password, ("no_such_ext",)))


def test_unreachable_server_is_one_line_without_the_password():
    admin = AdminCredentials("/nonexistent-socket-dir", "", "postgres", "admin-secret-value")
    with pytest.raises(DbInitError) as caught:
        initialize(admin, AppDatabase(unique_name("db"), unique_name("role"), "pw-value-123"))
    message = str(caught.value)
    assert message.startswith("cannot connect to database 'postgres' as 'postgres'")
    assert "\n" not in message
    assert "admin-secret-value" not in message and "pw-value-123" not in message


def test_a_cloud_sql_like_admin_without_superuser_sets_everything_up():
    """Cloud SQL's postgres user has CREATEROLE and CREATEDB but is not a superuser."""
    admin_role = unique_name("admin")
    with admin_connection() as conn:
        conn.execute(f'CREATE ROLE "{admin_role}" LOGIN CREATEROLE CREATEDB')
    try:
        with scratch() as space:
            admin = AdminCredentials(SOCKET_DIR, "", admin_role, "")
            for _ in range(2):
                initialize(
                    admin, AppDatabase(space.database, space.role, space.password, EXTENSIONS)
                )
            assert databases_named(space.database) == (1, space.role)
            assert set(EXTENSIONS) <= extensions_in(space.database)
    finally:
        drop(role=admin_role)


def test_an_existing_role_loses_privileges_the_application_does_not_need():
    with scratch() as space:
        with admin_connection() as conn:
            conn.execute(f'CREATE ROLE "{space.role}" LOGIN CREATEROLE CREATEDB')
            conn.execute(f'GRANT pg_read_all_data TO "{space.role}"')
        initialize(ADMIN, AppDatabase(space.database, space.role, space.password))
        with admin_connection() as conn:
            rights = conn.execute(
                "SELECT rolcreaterole, rolcreatedb, rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s",
                (space.role,),
            ).fetchone()
            memberships = conn.execute(
                "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
                " WHERE r.rolname = %s",
                (space.role,),
            ).fetchone()[0]
        assert rights == (False, False, False, True)
        assert memberships == 0


def test_the_administrator_connects_to_the_socket_a_database_url_names(monkeypatch):
    """django-environ and dj-database-url put a socket directory in OPTIONS["host"], HOST
    empty: db-init goes there too, never to libpq's default server."""
    from django.core.management import call_command

    from django_cloudrun.management.commands import cloudrun_db_init as command

    class Parsed:
        settings_dict: ClassVar[dict] = {
            "NAME": "app",
            "USER": "app",
            "PASSWORD": "pw",
            "HOST": "",
            "PORT": "",
            "OPTIONS": {"host": "/sockets/here", "port": "6543"},
        }

    seen = {}
    monkeypatch.setattr(command, "connections", {"default": Parsed()})
    monkeypatch.setattr(command, "initialize", lambda admin, target, report: seen.update(a=admin))
    call_command("cloudrun_db_init", verbosity=0)
    assert (seen["a"].host, seen["a"].port) == ("/sockets/here", "6543")


def _login(role: str, database: str, password: str) -> psycopg.Connection:
    return psycopg.connect(
        host=SOCKET_DIR, user=role, password=password, dbname=database, autocommit=True
    )


def test_alternating_logins_work_as_the_owner_and_a_retired_login_is_refused():
    with scratch() as space:
        first, second = f"{space.role}_a", f"{space.role}_b"
        try:
            initialize(ADMIN, AppDatabase(space.database, first, "pw-a", owner=space.role))
            assert databases_named(space.database) == (1, space.role)
            with admin_connection() as conn:
                can_login = conn.execute(
                    "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (space.role,)
                ).fetchone()[0]
            assert can_login is False
            with _login(first, space.database, "pw-a") as conn:
                assert conn.execute("SELECT current_user").fetchone()[0] == space.role
                conn.execute("CREATE TABLE items (id int)")
                conn.execute("INSERT INTO items VALUES (1)")
            initialize(ADMIN, AppDatabase(space.database, second, "pw-b", owner=space.role))
            with _login(second, space.database, "pw-b") as conn:
                conn.execute("RESET ALL")  # as a pool resets a connection: still the owner
                conn.execute("ALTER TABLE items ADD COLUMN name text")  # the owner's right
                assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 1
            retire_login(ADMIN, first)
            with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
                _login(first, space.database, "pw-a")
            assert stored_password(first) is None
        finally:
            drop(space.database, first)
            drop(role=second)


def test_a_login_cannot_be_its_own_owner_role():
    with pytest.raises(DbInitError, match="cannot be its own owner role"):
        initialize(ADMIN, AppDatabase("shop", "shop", "pw", owner="shop"))
