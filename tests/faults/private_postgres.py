"""A PostgreSQL cluster of one test's own, on 127.0.0.1 and a free port, that it may stop.

The shared server on 5432 is never stopped; outages happen here. Under root the cluster runs
as the account `up` uses (PostgreSQL refuses root), with trust authentication on loopback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from django_cloudrun.local.account import server_account
from django_cloudrun.local.postgres import find_binaries

READY_TIMEOUT = 30.0
ADMIN = "postgres"


@dataclass
class PrivatePostgres:
    port: int
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="faults-pg-")))
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.bindir = find_binaries(15)
        self.account = server_account()
        self.home.chmod(0o755)  # the server's account enters it
        self.account.own(self.home)

    @property
    def data(self) -> Path:
        return self.home / "data"

    def _run_as_server(self, argv: list[str], **kwargs) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv,
            cwd=self.home,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
            stdout=kwargs.pop("stdout", subprocess.DEVNULL),
            stderr=subprocess.STDOUT,
            **self.account.popen_options(),
            **kwargs,
        )

    def init(self) -> None:
        argv = [
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", ADMIN, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        ]  # fmt: skip
        with open(self.home / "initdb.log", "wb") as log:
            assert self._run_as_server(argv, stdout=log).wait(timeout=120) == 0, self.log()

    def start(self) -> float:
        """Start the server; seconds until it accepts connections."""
        began = time.monotonic()
        argv = [
            str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-k", str(self.home), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
            "-c", "max_connections=60",
        ]  # fmt: skip
        with open(self.home / "postgres.log", "ab") as log:
            self.process = self._run_as_server(argv, stdout=log)
        self.wait_accepting()
        return time.monotonic() - began

    def wait_accepting(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log()
            if self.accepts():
                return
            time.sleep(0.01)
        raise AssertionError(f"PostgreSQL never accepted connections:\n{self.log()}")

    def accepts(self) -> bool:
        try:
            with psycopg.connect(self.dsn(), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def stop_fast(self) -> None:
        """PostgreSQL's fast shutdown (SIGINT): sessions are ended, then the server exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={ADMIN} dbname={dbname}"

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-4000:]
            for path in (self.home / "initdb.log", self.home / "postgres.log")
            if path.exists()
        )

    def remove(self) -> None:
        self.stop_fast()
        shutil.rmtree(self.home, ignore_errors=True)
