"""Local secrets: generated once into .cloudrun/local/secrets (mode 0600), never printed.

The file holds one ``id=value`` line per secret: the generated ones by the ids the cloud
uses (topology.SECRETS: db-password, secret-key, superuser-password, db-admin-password) and
the project's secret_environment_variables by their secret ids. A project secret gets a
random placeholder the first time; edit the file to give it a real local value.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

from ..config import CloudRunConfig
from ..config.topology import SECRETS
from .errors import LocalError

__all__ = [
    "BROKER_PASSWORD",
    "ensure_secrets",
    "generate",
    "read_secrets",
    "write_private",
    "write_secrets",
    "PLACEHOLDER_LENGTH",
]

ALPHABET = string.ascii_letters + string.digits
PLACEHOLDER_LENGTH = 32
# The local broker's AUTH password (the cloud's is Memorystore's own AUTH string).
BROKER_PASSWORD = "broker-password"
BROKER_PASSWORD_LENGTH = 32


def generate(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def read_secrets(path: Path) -> dict[str, str]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            values[key.strip()] = value
    return values


def ensure_secrets(path: Path, config: CloudRunConfig) -> dict[str, str]:
    """Every secret the configuration needs, generating (and keeping) the missing ones."""
    values = read_secrets(path)
    wanted = {ref.key: ref.length for ref in SECRETS}
    wanted.update(dict.fromkeys(config.secret_environment_variables.values(), PLACEHOLDER_LENGTH))
    if config.worker.enable_worker:
        wanted[BROKER_PASSWORD] = BROKER_PASSWORD_LENGTH
    missing = {key: generate(length) for key, length in wanted.items() if key not in values}
    if missing or not path.exists():
        values.update(missing)
        write_secrets(path, values)
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return values


def write_secrets(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    lines = ["# Local secrets of django-cloudrun up; keep this file private."]
    lines += [f"{key}={value}" for key, value in values.items()]
    try:
        write_private(temporary, "\n".join(lines) + "\n")
        os.replace(temporary, path)
    except OSError as error:
        raise LocalError(f"cannot write {path}: {error.strerror}") from None


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte (no umask window, and a
    leftover file of the same name does not keep its mode)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
