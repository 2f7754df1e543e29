"""The embedded PostgreSQL cluster: created once under .cloudrun/local/postgres, then started.

The server listens on a Unix socket only, in a directory named like the Cloud SQL
connection, so DB_HOST is a socket directory exactly as on Cloud Run; passwords are
required (scram-sha-256) as on Cloud SQL, and max_connections is the tier's. The server is
a direct child of the supervisor (not daemonized by pg_ctl), so `up` owns its pid and no
server outlives it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..config.budget import max_connections
from ..contract import ADMIN_ROLE
from .account import Account
from .errors import LocalError
from .layout import Layout
from .processes import Proc, pid_alive, spawn, tail
from .secrets import write_private

__all__ = ["Cluster", "find_binaries", "running_pid"]

INSTALL_HINT = (
    "install PostgreSQL 15 (apt-get install postgresql-15, brew install postgresql@15) "
    "or pass --database-url postgresql://ADMIN:PASSWORD@HOST:PORT"
)
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
    """The bin directory of a PostgreSQL server, version ``major`` if there is one."""
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for pattern in SEARCH_GLOBS:
        candidates += [Path(path) for path in sorted(glob.glob(pattern), reverse=True)]
    usable = [
        directory
        for directory in dict.fromkeys(candidates)
        if (directory / "initdb").exists() and (directory / "postgres").exists()
    ]
    if not usable:
        raise LocalError(
            f"PostgreSQL server binaries (initdb, postgres) not found: {INSTALL_HINT}"
        )
    versions = {d: _major(d) for d in usable}
    exact = [d for d, version in versions.items() if version == major]
    return exact[0] if exact else max(usable, key=lambda d: versions[d])


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
        self.account.check_reachable(self.layout.root)
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        pwfile = self.layout.root / "initdb-password"
        write_private(pwfile, self.admin_password)
        self.account.own(self.pgdata, pwfile)
        log = self.layout.log("postgres")
        argv = [
            str(bindir / "initdb"), "-D", str(self.pgdata), "-U", ADMIN_ROLE,
            f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
            "--locale=C.UTF-8", "--no-instructions", "--no-sync",
        ]  # fmt: skip
        try:
            proc = spawn("initdb", argv, env=_server_env(), cwd=self.layout.root, log_path=log,
                         **self.account.popen_options())
            proc.popen.wait()
        finally:
            pwfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise LocalError(
                f"initdb failed with exit code {proc.returncode}; see {log}", tail(log)
            )

    def start(self) -> Proc:
        pid = running_pid(self.pgdata)
        if pid is not None:
            raise LocalError(
                f"the local PostgreSQL is already running (pid {pid}), started by another "
                "`django-cloudrun up` or `run`: stop it with `django-cloudrun down`"
            )
        bindir = self._bindir()
        self.account.check_reachable(self.layout.root)
        self.account.own(self.layout.socket_dir)
        argv = [
            str(bindir / "postgres"), "-D", str(self.pgdata),
            "-k", str(self.layout.socket_dir), "-c", "listen_addresses=",
            "-c", f"max_connections={max_connections(self.tier)}",
        ]  # fmt: skip
        # SIGINT is PostgreSQL's fast shutdown: sessions end, the checkpoint is written.
        proc = spawn("postgres", argv, env=_server_env(), cwd=self.layout.root,
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
                    f"{proc.log_path}", tail(proc.log_path)
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
