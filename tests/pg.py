"""Helpers for tests that manage their own databases and roles on the local server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "example"
SOCKET_DIR = "/var/run/postgresql"
ADMIN = "postgres"


def admin_connection(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(host=SOCKET_DIR, user=ADMIN, dbname=dbname, autocommit=True)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Scratch:
    """A database and a role that exist only for one test."""

    database: str
    role: str
    password: str

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a job of the example project gets for this database."""
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DB_", "DJANGO_", "K_", "CLOUDRUN_"))
        }
        return {
            **base,
            # this checkout's package first, whatever an editable install points at
            "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(REPO / "tests"), str(REPO / "src")]),
            "DJANGO_SETTINGS_MODULE": "mysite.settings",
            "DB_HOST": SOCKET_DIR,
            "DB_NAME": self.database,
            "DB_USER": self.role,
            "DB_PASSWORD": self.password,
            "DB_ADMIN_USER": ADMIN,
            "DB_EXTENSIONS": "pg_trgm,unaccent,hstore,citext",
            "CLOUDRUN_LOG_FORMAT": "text",
            **extra,
        }


def drop(database: str | None = None, role: str | None = None) -> None:
    with admin_connection() as conn:
        if database:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        if role:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@contextmanager
def scratch() -> Iterator[Scratch]:
    space = Scratch(unique_name("db"), unique_name("role"), uuid.uuid4().hex)
    try:
        yield space
    finally:
        drop(space.database, space.role)


def manage(args: list[str], env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` of the example project as a separate process, as a job would."""
    return subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env=dict(env),
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_manage(args: list[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env=dict(env),
        cwd=EXAMPLE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
