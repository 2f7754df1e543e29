"""Rotation of the local secrets, kept in the secrets file `up` reads.

`rotate secret-key` makes a new SECRET_KEY and keeps the one it replaces, with the moment
it was retired, under ``secret-key-fallbacks``: web processes get it in
SECRET_KEY_FALLBACKS, so what it signed (sessions, password-reset links) stays valid. A
retired key older than ``[rotation] grace_days`` is dropped by the next rotation or `up`.
Every change is one atomic rewrite of the file (mode 0600) under a lock, so an interrupted
rotation leaves either the old file or the new one, never a half.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .. import contract
from ..config import CloudRunConfig
from ..config.topology import secret_of
from .errors import LocalError
from .secrets import ensure_secrets, generate, read_secrets, write_secrets

__all__ = [
    "FALLBACKS_ID",
    "Retired",
    "current_secrets",
    "retired_keys",
    "DB_USER_ID",
    "locked",
    "login_role",
    "rotate_secret_key",
    "rotated_values",
    "rotation_environment",
]

SECRET_KEY = secret_of(contract.SECRET_KEY)
FALLBACKS_ID = "secret-key-fallbacks"
# The login role in use once a password rotation has made [database] user a NOLOGIN owner.
DB_USER_ID = "db-user"


@dataclass(frozen=True)
class Retired:
    """A SECRET_KEY a rotation replaced, and when."""

    value: str
    retired_at: datetime

    def expired(self, grace: timedelta, now: datetime) -> bool:
        return now - self.retired_at > grace


def retired_keys(values: Mapping[str, str]) -> list[Retired]:
    raw = values.get(FALLBACKS_ID, "")
    if not raw:
        return []
    try:
        return [
            Retired(item["value"], datetime.fromisoformat(item["retired_at"]))
            for item in json.loads(raw)
        ]
    except (ValueError, TypeError, KeyError):
        raise LocalError(
            f"{FALLBACKS_ID} in the local secrets file is not a list of retired keys; "
            "remove the line to drop them"
        ) from None


def _store(values: dict[str, str], retired: list[Retired]) -> None:
    items = [{"value": key.value, "retired_at": key.retired_at.isoformat()} for key in retired]
    if items:
        values[FALLBACKS_ID] = json.dumps(items, separators=(",", ":"))
    else:
        values.pop(FALLBACKS_ID, None)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One rotation or clean-up of ``path`` at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _grace(config: CloudRunConfig) -> timedelta:
    return timedelta(days=config.rotation.grace_days)


def current_secrets(path: Path, config: CloudRunConfig, now: datetime) -> dict[str, str]:
    """The secrets `up` starts with: missing ones generated, expired fallbacks dropped."""
    with locked(path):
        values = ensure_secrets(path, config)
        retired = retired_keys(values)
        kept = [key for key in retired if not key.expired(_grace(config), now)]
        if kept != retired:
            _store(values, kept)
            write_secrets(path, values)
    return values


def rotate_secret_key(path: Path, config: CloudRunConfig, now: datetime) -> int:
    """Replace SECRET_KEY; the old one becomes a fallback. Returns how many fallbacks remain."""
    with locked(path):
        values = read_secrets(path)
        old = values.get(SECRET_KEY.key)
        if not old:
            raise LocalError("no local secret-key yet: run `django-cloudrun up` once first")
        if "," in old:
            raise LocalError(
                "the local secret-key contains a comma, so it cannot be listed in "
                f"{contract.SECRET_KEY_FALLBACKS.name}; replace it in the secrets file first"
            )
        kept = [key for key in retired_keys(values) if not key.expired(_grace(config), now)]
        kept.append(Retired(old, now))
        values[SECRET_KEY.key] = generate(SECRET_KEY.length)
        _store(values, kept)
        write_secrets(path, values)
    return len(kept)


def login_role(values: Mapping[str, str], config: CloudRunConfig) -> str:
    """The role the processes log in as: [database] user until the first password rotation,
    then one of its two member logins."""
    return values.get(DB_USER_ID) or config.database.user


def rotated_values(values: Mapping[str, str], config: CloudRunConfig) -> dict[str, str]:
    """Contract values the rotations change (in every process that has the variable)."""
    if DB_USER_ID not in values:
        return {}
    return {contract.DB_USER.name: login_role(values, config)}


def rotation_environment(values: Mapping[str, str], config: CloudRunConfig) -> dict[str, str]:
    """Variables the rotations add: the retired keys, and the owner of the logins."""
    added = {}
    retired = retired_keys(values)
    if retired:
        added[contract.SECRET_KEY_FALLBACKS.name] = ",".join(key.value for key in retired)
    if DB_USER_ID in values:
        added[contract.DB_OWNER_ROLE.name] = config.database.user
    return added
