"""Where the local target keeps its state: under <project>/.cloudrun/local/.

Run as root, PostgreSQL runs as an unprivileged account (account.py), which may not be able
to enter the project (anything under /root, a `mktemp -d`). The cluster's data directory and
socket then live under /var/lib/django-cloudrun/<key>, a root-owned directory that account
can traverse, the key derived from the project's absolute path; .cloudrun/local/cluster
records where, so that `local reset` deletes it even after the project has moved.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import CloudRunConfig, names
from .errors import LocalError

__all__ = [
    "SHARED_BASE",
    "Layout",
    "connection_name",
    "ensure_shared_dir",
    "layout_for",
    "project_key",
]

# sun_path holds 108 bytes, the terminating NUL included.
MAX_SOCKET_PATH = 107
# Where root keeps clusters: persistent (not cleaned like /var/tmp), root's alone to write.
SHARED_BASE = Path("/var/lib/django-cloudrun")
POINTER = "cluster"  # the file in .cloudrun/local naming the cluster's directory outside it
OWNER = "project"  # the file in that directory naming the project's path
# Stands in for the project id of a config that has none yet.
LOCAL_PROJECT = "local"
SOCKET_FILE = ".s.PGSQL.5432"


def connection_name(config: CloudRunConfig) -> str:
    """PROJECT:REGION:INSTANCE, as Cloud SQL names the instance the service connects to."""
    return names.connection_name(
        config.project_id or LOCAL_PROJECT, config.region, config.service_name
    )


class _InRoot:
    """A path of the layout: ``name`` under its root."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, layout: Layout, owner: type[Layout]) -> Path:
        return layout.root / self.name


@dataclass(frozen=True)
class Layout:
    project: Path  # the directory of cloudrun.toml and manage.py
    root: Path  # <project>/.cloudrun/local
    socket_dir: Path  # plays /cloudsql/PROJECT:REGION:INSTANCE
    cluster: Path | None = None  # set when the cluster lives outside ``root``: its directory

    secrets = _InRoot("secrets")
    media = _InRoot("media")
    storage = _InRoot("storage")
    logs = _InRoot("logs")
    state = _InRoot("state.json")
    lock = _InRoot("up.lock")

    @property
    def cluster_home(self) -> Path:
        """The directory above the data directory: the server's account can enter it."""
        return self.cluster or self.root

    @property
    def pgdata(self) -> Path:
        return self.cluster_home / "postgres"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def recorded_clusters(self) -> list[Path]:
        """The directories under SHARED_BASE that this project's clusters have used."""
        try:
            lines = (self.root / POINTER).read_text().splitlines()
        except OSError:
            return []
        paths = [Path(line.strip()) for line in lines if line.strip()]
        return [
            path for path in paths if path.parent == SHARED_BASE and path.name not in ("", "..")
        ]

    def _abandoned(self, cluster: Path) -> bool:
        try:
            owner = Path((cluster / OWNER).read_text().strip())
        except OSError:
            return True
        return owner == self.project or not (owner / ".cloudrun" / "local").exists()

    def create(self) -> None:
        for directory in (self.root, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        if self.cluster is not None:
            _ensure_shared_dir(self.cluster)
            owner = self.cluster / OWNER
            if not owner.exists():
                owner.write_text(f"{self.project}\n")
            if self.cluster not in self.recorded_clusters():
                with open(self.root / POINTER, "a") as pointer:
                    pointer.write(f"{self.cluster}\n")
        _ensure_socket_dir(self.socket_dir)

    def outside(self) -> list[Path]:
        """The directories outside ``root`` that remove() deletes: this project's cluster, and
        those of its former paths once it was moved (not copied) away, that exist."""
        found = {path for path in self.recorded_clusters() if self._abandoned(path)}
        if self.cluster is not None:
            found.add(self.cluster)
        return sorted(path for path in found if path.exists())

    def remove(self) -> None:
        """Delete every local file: database, secrets, media, logs, wherever they are."""
        outside = self.outside()
        shutil.rmtree(self.root, ignore_errors=True)
        for directory in outside:
            shutil.rmtree(directory, ignore_errors=True)
        if not self.socket_dir.is_relative_to(self.root) and not any(
            self.socket_dir.is_relative_to(directory) for directory in outside
        ):
            shutil.rmtree(self.socket_dir.parent, ignore_errors=True)


def project_key(project: Path) -> str:
    """A stable name for the project at this absolute path."""
    return hashlib.sha256(str(project).encode()).hexdigest()[:16]


def layout_for(project: Path, config: CloudRunConfig, *, outside: bool | None = None) -> Layout:
    """The project's layout; ``outside`` (root's default) puts the cluster under SHARED_BASE."""
    project = project.resolve()
    root = project / ".cloudrun" / "local"
    if outside is None:
        outside = os.geteuid() == 0
    cluster = SHARED_BASE / project_key(project) if outside else None
    socket_dir = (cluster or root / "cloudsql") / connection_name(config)
    if len(str(socket_dir / SOCKET_FILE).encode()) > MAX_SOCKET_PATH:
        # A Unix socket path is limited to 107 bytes: keep the socket directory (still named
        # like the connection) under a short, per-project directory of the temporary folder.
        digest = project_key(project)[:10]
        short = Path(tempfile.gettempdir()) / f"django-cloudrun-{os.getuid()}-{digest}"
        socket_dir = short / connection_name(config)
    return Layout(project, root, socket_dir, cluster)


def _ensure_shared_dir(cluster: Path) -> None:
    for directory in (cluster.parent, cluster):
        ensure_shared_dir(directory)


def ensure_shared_dir(directory: Path) -> None:
    """A directory of SHARED_BASE: this user's, 0711 (others may enter, not list or write)."""
    try:
        directory.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        directory.mkdir(mode=0o711)
    except FileExistsError:
        pass
    except OSError as error:
        raise LocalError(
            f"cannot create {directory} for the local PostgreSQL ({error.strerror}): "
            "run as a normal user, or pass --database-url"
        ) from None
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise LocalError(
            f"{directory} is not a directory of this user's that only it can write to: "
            "remove it, then run again"
        )
    if stat.S_IMODE(info.st_mode) & 0o111 != 0o111:
        directory.chmod(0o711)


def _ensure_socket_dir(path: Path) -> None:
    path.mkdir(mode=0o755, parents=True, exist_ok=True)
    # In the shared temporary folder, refuse a directory someone else prepared. The socket
    # directory itself may belong to the account that runs PostgreSQL.
    parent = path.parent
    if parent.is_symlink() or path.is_symlink() or parent.stat().st_uid != os.getuid():
        raise LocalError(
            f"{parent} belongs to another user or is a link: remove it, then run again"
        )
