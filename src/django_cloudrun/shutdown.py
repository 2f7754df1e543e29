"""How a web process stops when Cloud Run sends SIGTERM: refuse new work, answer all the rest.

Cloud Run sends SIGTERM, then SIGKILL 10 seconds later. gunicorn alone stops accepting but
keeps its listening socket open until the process exits, so the kernel goes on accepting
connections nobody will serve (reset at exit), and a request still running when the worker
is killed loses its connection without a response or a log line. This worker class instead:

- at SIGTERM accepts what is already queued on the socket, then closes it, so every new
  connection is refused at once (the arbiter closes its own copy too) and the client or
  the front end retries elsewhere;
- lets requests in flight finish until the response deadline, shortly before the arbiter's
  SIGKILL; then answers each request that has not started its response with 503 and
  Retry-After, and logs one line per request cut.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from .logs import http_request_from_environ

__all__ = ["InFlight", "ShutdownThreadWorker", "cut_response"]

logger = logging.getLogger("django_cloudrun.server")

# Another instance can answer at once: the client need not wait long.
RETRY_AFTER_SECONDS = 1
# Seconds between the response deadline and the arbiter's SIGKILL (its graceful_timeout):
# time to write the 503s and their log lines.
CUT_MARGIN = 1.0

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def cut_response() -> bytes:
    body = b"The service is restarting. Please retry.\n"
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Retry-After: {RETRY_AFTER_SECONDS}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


@dataclass
class _Request:
    sock: socket.socket
    accepted: float = field(default_factory=time.monotonic)
    environ: dict[str, Any] | None = None  # None until the request has been read
    responding: bool = False  # its status line may be on the wire: too late for a 503
    cut: bool = False


class InFlight:
    """The requests a worker has accepted and not answered yet, and their cut."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[socket.socket, _Request] = {}

    def __len__(self) -> int:
        return len(self._requests)

    def accepted(self, sock: socket.socket) -> None:
        with self._lock:
            self._requests[sock] = _Request(sock)

    def finished(self, sock: socket.socket) -> None:
        with self._lock:
            self._requests.pop(sock, None)

    def wrap(self, application: WSGIApp) -> WSGIApp:
        """The WSGI application, telling this registry when each response starts."""

        def tracked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            request = self._requests.get(environ.get("gunicorn.socket"))  # type: ignore[arg-type]
            if request is None:
                return application(environ, start_response)
            request.environ = environ

            def starting(*args: Any) -> Any:
                # Once cut, the 503 is out and the socket shut for writing: what the
                # application writes now fails quietly (EPIPE).
                with self._lock:
                    request.responding = True
                return start_response(*args)

            return application(environ, starting)

        return tracked

    def cut(self) -> None:
        """Answer 503 to every request whose response has not started; log each cut."""
        with self._lock:
            # Held while writing, so no response can start meanwhile on a socket being cut.
            for request in self._requests.values():
                self._cut(request)

    def _cut(self, request: _Request) -> None:
        latency = time.monotonic() - request.accepted
        environ = request.environ or {}
        if request.responding:
            logger.error(
                "request cut by the shutdown deadline while sending its response",
                extra={"http_request": http_request_from_environ(environ, latency=latency)},
            )
            return
        request.cut = True
        try:
            request.sock.sendall(cut_response())
            request.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client has gone already
        logger.warning(
            "request cut by the shutdown deadline: answered 503",
            extra={"http_request": http_request_from_environ(environ, status=503, latency=latency)},
        )


def _readable(listener: Any) -> bool:
    return bool(select.select([listener], [], [], 0)[0])


class ShutdownThreadWorker(ThreadWorker):
    """gunicorn's threaded worker that closes its listener at SIGTERM and cuts cleanly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = InFlight()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = self.in_flight.wrap(self.wsgi)

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight.accepted(conn.sock)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.in_flight.finished(conn.sock)
        super().finish_request(conn, fs)

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.alive:
            # A signal handler must not touch the poller: the event loop does it next.
            self.method_queue.defer(self._stop_accepting)
        super().handle_exit(sig, frame)

    def _stop_accepting(self) -> None:
        for listener in self.sockets:
            while _readable(listener):  # connections the kernel accepted already
                self.accept(listener)
        self.set_accept_enabled(False)
        for listener in self.sockets:
            listener.close()
        logger.info("stopping: new connections refused, %d requests in flight", len(self.in_flight))
        deadline = threading.Timer(
            max(0.0, self.cfg.graceful_timeout - CUT_MARGIN), self.in_flight.cut
        )
        deadline.daemon = True
        deadline.start()
