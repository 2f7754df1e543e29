"""Idempotent database set-up: the application role, its database, grants and extensions.

It runs as the db-init job with administrator credentials, before migrate. Every statement
is safe to repeat, and concurrent runs queue on an advisory lock, so two deployments that
start at once both succeed. The role's password travels as a SCRAM verifier computed on the
client: the clear text never reaches the server, its statement log or this process's output.

With an owner role (DB_OWNER_ROLE), the users alternate, as AWS Secrets Manager's
"alternating users" rotation does: the database and its schema belong to a NOLOGIN owner
role, and the login role is one of its members whose sessions work as it (ALTER ROLE ... SET
role), so migrate's tables belong to the owner whichever login created them, and a password
rotation can change the login not in use (retire_login closes the other).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from .dbstart import retry_while_starting
from .errors import CloudRunError

__all__ = [
    "DbInitError",
    "AppDatabase",
    "AdminCredentials",
    "initialize",
    "retire_login",
    "validate_identifier",
]

# A fixed key shared by every db-init run on the server (pg_advisory_lock takes a bigint).
LOCK_KEY = 0x636C6F7564_7275  # "cloudru"
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
IDENTIFIER_RULE = (
    "lowercase letters, digits and underscores, starting with a letter or underscore, "
    "at most 63 characters"
)


class DbInitError(CloudRunError):
    """A db-init problem the operator can fix; the message says how."""


@dataclass(frozen=True)
class AdminCredentials:
    host: str
    port: str
    user: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AppDatabase:
    database: str
    role: str
    password: str = field(repr=False)
    extensions: tuple[str, ...] = ()
    owner: str = ""  # the NOLOGIN role that owns the database; "" when ``role`` owns it

    @property
    def owning_role(self) -> str:
        return self.owner or self.role


def validate_identifier(kind: str, value: str) -> str:
    if not IDENTIFIER.fullmatch(value):
        raise DbInitError(f"{kind}: {value!r} is not a valid identifier ({IDENTIFIER_RULE})")
    return value


def _validate(target: AppDatabase) -> None:
    validate_identifier("database name", target.database)
    validate_identifier("role", target.role)
    if target.owner:
        validate_identifier("owner role", target.owner)
        if target.owner == target.role:
            raise DbInitError(
                f"role {target.role!r} cannot be its own owner role: DB_USER must be one of "
                f"the login roles that are members of {target.owner!r}"
            )
    for extension in target.extensions:
        validate_identifier("extension", extension)
    if not target.password:
        raise DbInitError(
            f"the password of role {target.role!r} is empty: refusing to create a login "
            "role without one (set DB_PASSWORD)"
        )


def _connect(
    admin: AdminCredentials, dbname: str, report: Callable[[str], None]
) -> psycopg.Connection:
    def connect() -> psycopg.Connection:
        return psycopg.connect(
            host=admin.host or None,
            port=admin.port or None,
            user=admin.user,
            password=admin.password or None,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    try:
        return retry_while_starting(connect, report)
    except psycopg.OperationalError as error:
        # libpq's message names the host and the reason, never the password.
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "no reason given"
        raise DbInitError(
            f"cannot connect to database {dbname!r} as {admin.user!r}: {reason}"
        ) from None


def _exists(conn: psycopg.Connection, query: str, name: str) -> bool:
    return conn.execute(query, (name,)).fetchone() is not None


def _ensure_role(
    conn: psycopg.Connection, target: AppDatabase, report: Callable[[str], None]
) -> None:
    verifier = conn.pgconn.encrypt_password(
        target.password.encode(), target.role.encode(), b"scram-sha-256"
    ).decode()
    role = sql.Identifier(target.role)
    if _exists(conn, "SELECT 1 FROM pg_roles WHERE rolname = %s", target.role):
        # A role made elsewhere (the Cloud SQL API makes every user a cloudsqlsuperuser)
        # is brought down to what the application needs.
        conn.execute(
            sql.SQL("ALTER ROLE {} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                role, sql.Literal(verifier)
            )
        )
        _revoke_memberships(conn, target.role, keep=target.owner)
        report(f"role {target.role} exists; password set")
    else:
        conn.execute(
            sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(role, sql.Literal(verifier))
        )
        report(f"role {target.role} created")
    if target.owner:
        owner = sql.Identifier(target.owner)
        conn.execute(sql.SQL("GRANT {} TO {}").format(owner, role))
        # Every session of the login works as the owner, whatever client opens it.
        conn.execute(sql.SQL("ALTER ROLE {} SET role = {}").format(role, sql.Literal(target.owner)))
    _admin_joins(conn, target.owning_role)


def _admin_joins(conn: psycopg.Connection, role: str) -> None:
    is_superuser = conn.execute(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if not (is_superuser and is_superuser[0]):
        # Cloud SQL's admin is not a superuser: it may hand a database to a role only
        # when it is a member of that role.
        conn.execute(sql.SQL("GRANT {} TO current_user").format(sql.Identifier(role)))


def _ensure_owner(
    conn: psycopg.Connection, target: AppDatabase, report: Callable[[str], None]
) -> None:
    """The owner role, made NOLOGIN when new. An existing one keeps its LOGIN: until a
    rotation has moved every process to a member login, some may still log in as it."""
    if _exists(conn, "SELECT 1 FROM pg_roles WHERE rolname = %s", target.owner):
        return
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(target.owner)))
    report(f"owner role {target.owner} created")


def _revoke_memberships(conn: psycopg.Connection, role: str, keep: str = "") -> None:
    granted = conn.execute(
        "SELECT g.rolname FROM pg_auth_members m"
        " JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member"
        " WHERE r.rolname = %s AND g.rolname <> %s",
        (role, keep),
    ).fetchall()
    for (group,) in granted:
        conn.execute(
            sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), sql.Identifier(role))
        )


def _ensure_database(
    conn: psycopg.Connection, target: AppDatabase, report: Callable[[str], None]
) -> None:
    database = sql.Identifier(target.database)
    owner = target.owning_role
    role = sql.Identifier(owner)
    if _exists(conn, "SELECT 1 FROM pg_database WHERE datname = %s", target.database):
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, role))
        report(f"database {target.database} exists; owned by {owner}")
    else:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, role))
        report(f"database {target.database} created, owned by {owner}")
    conn.execute(sql.SQL("GRANT ALL PRIVILEGES ON DATABASE {} TO {}").format(database, role))


def _ensure_schema_and_extensions(
    admin: AdminCredentials, target: AppDatabase, report: Callable[[str], None]
) -> None:
    with _connect(admin, target.database, report) as conn:
        conn.execute(
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(
                sql.Identifier(target.owning_role)
            )
        )
        for extension in target.extensions:
            try:
                conn.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension))
                )
            except (psycopg.errors.UndefinedFile, psycopg.errors.FeatureNotSupported):
                raise DbInitError(
                    f"extension {extension!r} is not available on this PostgreSQL server"
                ) from None
            report(f"extension {extension} ready")


def initialize(
    admin: AdminCredentials, target: AppDatabase, report: Callable[[str], None] = lambda _: None
) -> None:
    """Create or update the role and database of ``target``; safe to run any number of times."""
    _validate(target)
    with _connect(admin, "postgres", report) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            if target.owner:
                _ensure_owner(conn, target, report)
            _ensure_role(conn, target, report)
            _ensure_database(conn, target, report)
            _ensure_schema_and_extensions(admin, target, report)
        except psycopg.errors.InsufficientPrivilege as error:
            raise DbInitError(
                f"{admin.user!r} lacks a privilege db-init needs: {error.diag.message_primary}"
            ) from None
        finally:
            # A broken connection has released the lock already; keep the first error.
            with contextlib.suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def retire_login(
    admin: AdminCredentials, role: str, report: Callable[[str], None] = lambda _: None
) -> None:
    """Refuse every new session of ``role``: no LOGIN, no password. Its open sessions end
    on their own (no transaction is cut); a later rotation gives it a new password."""
    validate_identifier("role", role)
    with _connect(admin, "postgres", report) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH NOLOGIN PASSWORD NULL").format(sql.Identifier(role))
            )
        finally:
            with contextlib.suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def parse_extensions(raw: str | Iterable[str]) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    return tuple(item.strip() for item in items if item.strip())
