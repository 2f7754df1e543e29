"""The web service's port, held by `up` so a web process can be replaced without a refusal.

`up` opens the listening socket once and hands it to each web process it starts
(`cloudrun_serve --fd`). While one process replaces another, both serve the same socket: a
connection waits in its queue until either accepts it, so none is refused or reset, as
none is when Cloud Run moves traffic from one revision to the next. Each process also gets
a socket of its own on a free port, so its startup probe reaches it and not the process it
replaces.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from .errors import LocalError

__all__ = ["Listener", "ProcessSockets"]

BACKLOG = 1024


def _listen(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port), backlog=BACKLOG)
    except OSError:
        raise LocalError(f"port {port} is already in use: pass --port to choose another") from None


@dataclass
class ProcessSockets:
    """What one web process serves: the shared socket and its own probe socket."""

    shared: socket.socket
    probe: socket.socket = field(default_factory=lambda: _listen("127.0.0.1", 0))

    @property
    def probe_port(self) -> int:
        return int(self.probe.getsockname()[1])

    @property
    def fds(self) -> tuple[int, ...]:
        return (self.shared.fileno(), self.probe.fileno())

    def serve_arguments(self) -> tuple[str, ...]:
        return tuple(arg for fd in self.fds for arg in ("--fd", str(fd)))

    def release(self) -> None:
        """Close `up`'s copy of the probe socket once the process has its own."""
        self.probe.close()


class Listener:
    def __init__(self, host: str, port: int) -> None:
        self.socket = _listen(host, port)

    def for_process(self) -> ProcessSockets:
        return ProcessSockets(self.socket)

    def close(self) -> None:
        self.socket.close()
