"""The production server: gunicorn, driven through its Python API.

Sizing comes from concurrency.py. The timeout is longer than Cloud Run's request timeout, so
the platform, not the server, ends slow requests (a shorter server timeout kills workers in
the middle of requests Cloud Run still allows). On SIGTERM new connections are refused at
once and requests in flight finish, or get a 503, within Cloud Run's 10 seconds
(shutdown.py). Nothing is written outside the temporary directory: the image's files are
read-only for the runtime user.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from . import concurrency, contract, tracing
from .logs import http_request_from_environ, trace_context_from_headers

__all__ = ["CloudRunServer", "server_options"]

DEFAULT_HOST = "0.0.0.0"  # in a container, Cloud Run's front end connects from outside
# Cloud Run sends SIGKILL 10 s after SIGTERM; leave time to exit after the last request.
GRACEFUL_TIMEOUT = 8
TIMEOUT_MARGIN = 30
READY_RETRY_SECONDS = 0.5


def server_options(
    environ: Mapping[str, str] = os.environ,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    fds: Sequence[int] = (),
) -> dict[str, Any]:
    """gunicorn's settings; with ``fds``, it serves those inherited listening sockets instead
    of binding HOST:PORT, and each worker takes connections only once it could serve them."""
    port = port or int(contract.PORT.get(environ))
    request_timeout = int(contract.CLOUDRUN_REQUEST_TIMEOUT.get(environ))
    shared = {"bind": [f"fd://{fd}" for fd in fds], "post_worker_init": _wait_until_ready}
    return {
        "bind": [f"{host}:{port}"],
        # gunicorn's gthread worker, stopping as Cloud Run needs (shutdown.py).
        "worker_class": "django_cloudrun.shutdown.ShutdownThreadWorker",
        "workers": concurrency.web_workers(environ),
        "threads": concurrency.threads_per_worker(environ),
        "timeout": request_timeout + TIMEOUT_MARGIN,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        # Cloud Run's /tmp is in memory, so worker heartbeats never touch a disk.
        "worker_tmp_dir": tempfile.gettempdir(),
        "control_socket_disable": True,
        # Only Cloud Run's front end can reach the container.
        "forwarded_allow_ips": "*",
        "accesslog": "-",
        "logger_class": "django_cloudrun.server.CloudRunLogger",
        "proc_name": environ.get(contract.K_SERVICE.name) or "django-cloudrun",
        # Tracing's exporter thread and gRPC channel would not survive the fork: each worker
        # makes its own, and flushes it on the way out (no-ops when tracing is off).
        "post_fork": _start_tracing,
        "worker_exit": _stop_tracing,
        **(shared if fds else {}),
    }


def _wait_until_ready(worker: Any) -> None:
    """Hold a worker back from a socket it shares with a running server until the startup
    check passes, as Cloud Run sends a revision no traffic before its startup probe passes:
    a replacement that cannot reach its database never takes a request from the old one."""
    from .health import startup_problem

    while worker.alive and (problem := startup_problem()):
        worker.log.info("not ready (%s); waiting before accepting connections", problem)
        worker.notify()  # waiting is no hang: the arbiter must not time this worker out
        time.sleep(READY_RETRY_SECONDS)


def _start_tracing(server: Any, worker: Any) -> None:
    tracing.start()


def _stop_tracing(server: Any, worker: Any) -> None:
    tracing.shutdown()


class CloudRunLogger(glogging.Logger):
    """Sends gunicorn's logs through Python logging, as Django's LOGGING configured it."""

    def setup(self, cfg: Any) -> None:
        self.cfg = cfg
        self._access_log_enabled = bool(cfg.accesslog)
        self.loglevel = self.LOG_LEVELS.get(cfg.loglevel.lower(), logging.INFO)
        self.error_log.setLevel(self.loglevel)
        self.access_log.setLevel(logging.INFO)
        # Django's LOGGING gives these loggers a handler; without one they reach the root's.
        for log in (self.error_log, self.access_log):
            log.propagate = not log.handlers

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self._access_log_enabled:
            return
        status = str(getattr(resp, "status", "") or "").split(" ", 1)[0]
        headers = {
            "traceparent": environ.get("HTTP_TRACEPARENT", ""),
            "X-Cloud-Trace-Context": environ.get("HTTP_X_CLOUD_TRACE_CONTEXT", ""),
        }
        http_request = http_request_from_environ(
            environ,
            status=int(status) if status.isdigit() else None,
            response_size=getattr(resp, "sent", None),
            latency=request_time,
        )
        self.access_log.info(
            "%s %s %s",
            environ.get("REQUEST_METHOD", "-"),
            environ.get("RAW_URI") or environ.get("PATH_INFO", "-"),
            status,
            extra={
                "http_request": http_request,
                "trace_context": trace_context_from_headers(headers),
            },
        )


class CloudRunServer(BaseApplication):
    def __init__(self, application: Any, options: Mapping[str, Any]) -> None:
        self.application = application
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings an older gunicorn lacks are skipped
                self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application
