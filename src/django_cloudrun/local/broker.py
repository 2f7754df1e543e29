"""The Celery broker of `up`: this machine's redis-server, on a port of its own.

It stands in for the deployment's Memorystore instance: Redis with an AUTH password (the
local secrets store keeps it), listening on 127.0.0.1 only. Its append-only file lives in
the project's local directory, so tasks queued when `up` stopped are still there at the
next `up`, as they would be on a broker that outlives a worker.
"""

from __future__ import annotations

import shutil
import socket
import time
from dataclasses import dataclass

from .errors import LocalError
from .layout import Layout
from .media import free_port
from .processes import Proc, spawn, tail
from .secrets import write_private

__all__ = ["REDIS_HINT", "Broker", "broker_url", "open_broker", "start_broker"]

REDIS_HINT = (
    "enable_worker needs a Redis server for the broker: install one (apt install "
    "redis-server, brew install redis) so that redis-server is on PATH"
)
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
    server = shutil.which("redis-server")
    if server is None:
        raise LocalError(REDIS_HINT)
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
