"""`rotate db-password` on this machine: alternating users, no failed request.

[database] user becomes (at the first rotation) the NOLOGIN owner of the database; the
processes log in as one of two member roles, ``<user>_a`` and ``<user>_b``, whose sessions
work as the owner (dbinit). A rotation:

1. gives the login not in use a new password (and LOGIN), as db-init does;
2. writes it to the secrets file as the login in use, noting the one it replaces;
3. has `up` move its web process to it (new process, startup probe, old one stopped);
4. retires the replaced login (NOLOGIN, no password): its password is refused from then on.

Killed at any point, it leaves a working stack: until step 2 nothing changed for the
processes; after it, the note makes the next run finish steps 3 and 4 instead of rotating
again, so the login the web process may still use is never the one changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import contract
from ..config import CloudRunConfig
from ..config.topology import secret_of
from ..dbinit import AdminCredentials, AppDatabase, initialize, retire_login, validate_identifier
from .errors import LocalError
from .layout import Layout
from .postgres import running_pid
from .rollout import Rollout, roll_out
from .rotation import DB_USER_ID, locked, login_role
from .secrets import generate, read_secrets, write_secrets
from .state import lock_holder

__all__ = ["DbRotation", "rotate_db_password"]

DB_PASSWORD = secret_of(contract.DB_PASSWORD)
ADMIN_PASSWORD = secret_of(contract.DB_ADMIN_PASSWORD)
RETIRING_ID = "db-user-retiring"  # the login a rotation replaced and has not retired yet
LOGINS = ("_a", "_b")


@dataclass(frozen=True)
class DbRotation:
    login: str  # the login the processes use now
    retired: str  # the one refused from now on
    resumed: bool  # whether this run finished an interrupted rotation
    rollout: Rollout


def next_login(owner: str, current: str) -> str:
    first, second = (owner + suffix for suffix in LOGINS)
    login = second if current == first else first
    return validate_identifier("login role", login)


def _admin(layout: Layout, values: dict[str, str]) -> AdminCredentials:
    if lock_holder(layout) is None or running_pid(layout.pgdata) is None:
        raise LocalError(
            "rotate db-password changes roles in the embedded database of a running `up`: "
            "start `django-cloudrun up` first"
        )
    return AdminCredentials(
        host=str(layout.socket_dir), port="", user=contract.ADMIN_ROLE,
        password=values[ADMIN_PASSWORD.key],
    )  # fmt: skip


def _switch(layout: Layout, config: CloudRunConfig, admin: AdminCredentials) -> str:
    """Steps 1 and 2; the login replaced."""
    owner = config.database.user
    with locked(layout.secrets):
        values = read_secrets(layout.secrets)
        current = login_role(values, config)
        login, password = next_login(owner, current), generate(DB_PASSWORD.length)
        database = AppDatabase(config.database.database, login, password, owner=owner)
        initialize(admin, database)
        values.update({DB_USER_ID: login, DB_PASSWORD.key: password, RETIRING_ID: current})
        write_secrets(layout.secrets, values)
    return current


def _finish(layout: Layout, admin: AdminCredentials, retiring: str) -> None:
    retire_login(admin, retiring)
    with locked(layout.secrets):
        values = read_secrets(layout.secrets)
        values.pop(RETIRING_ID, None)
        write_secrets(layout.secrets, values)


def rotate_db_password(layout: Layout, config: CloudRunConfig) -> DbRotation:
    values = read_secrets(layout.secrets)
    admin = _admin(layout, values)
    retiring = values.get(RETIRING_ID, "")
    resumed = bool(retiring)
    if not resumed:
        retiring = _switch(layout, config, admin)
    rollout = roll_out(layout)
    if not rollout.running:
        raise LocalError(
            "`up` stopped during the rotation; its next start uses the new login: run "
            "`rotate db-password` again once it is ready to retire the old one"
        )
    _finish(layout, admin, retiring)
    login = login_role(read_secrets(layout.secrets), config)
    return DbRotation(login=login, retired=retiring, resumed=resumed, rollout=rollout)
