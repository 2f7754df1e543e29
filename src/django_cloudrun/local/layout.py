"""Where the local target keeps its state: everything lives under <project>/.cloudrun/local/."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import CloudRunConfig, names
from .errors import LocalError

__all__ = ["Layout", "connection_name", "layout_for"]

# sun_path holds 108 bytes, the terminating NUL included.
MAX_SOCKET_PATH = 107
# Stands in for the project id of a config that has none yet.
LOCAL_PROJECT = "local"
SOCKET_FILE = ".s.PGSQL.5432"


def connection_name(config: CloudRunConfig) -> str:
    """PROJECT:REGION:INSTANCE, as Cloud SQL names the instance the service connects to."""
    return names.connection_name(config.project_id or LOCAL_PROJECT, config.region, config.service_name)


@dataclass(frozen=True)
class Layout:
    project: Path  # the directory of cloudrun.toml and manage.py
    root: Path  # <project>/.cloudrun/local
    socket_dir: Path  # plays /cloudsql/PROJECT:REGION:INSTANCE

    @property
    def pgdata(self) -> Path:
        return self.root / "postgres"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def storage(self) -> Path:
        return self.root / "storage"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def lock(self) -> Path:
        return self.root / "up.lock"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def create(self) -> None:
        for directory in (self.root, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        _ensure_socket_dir(self.socket_dir)

    def remove(self) -> None:
        """Delete every local file: database, secrets, media, logs."""
        shutil.rmtree(self.root, ignore_errors=True)
        if not self.socket_dir.is_relative_to(self.root):
            shutil.rmtree(self.socket_dir.parent, ignore_errors=True)


def layout_for(project: Path, config: CloudRunConfig) -> Layout:
    project = project.resolve()
    root = project / ".cloudrun" / "local"
    socket_dir = root / "cloudsql" / connection_name(config)
    if len(str(socket_dir / SOCKET_FILE).encode()) > MAX_SOCKET_PATH:
        # A Unix socket path is limited to 107 bytes: keep the socket directory (still named
        # like the connection) under a short, per-project directory of the temporary folder.
        digest = hashlib.sha256(str(project).encode()).hexdigest()[:10]
        short = Path(tempfile.gettempdir()) / f"django-cloudrun-{os.getuid()}-{digest}"
        socket_dir = short / connection_name(config)
    return Layout(project, root, socket_dir)


def _ensure_socket_dir(path: Path) -> None:
    path.mkdir(mode=0o755, parents=True, exist_ok=True)
    # In the shared temporary folder, refuse a directory someone else prepared. The socket
    # directory itself may belong to the account that runs PostgreSQL.
    parent = path.parent
    if parent.is_symlink() or path.is_symlink() or parent.stat().st_uid != os.getuid():
        raise LocalError(
            f"{parent} belongs to another user or is a link: remove it, then run again"
        )
