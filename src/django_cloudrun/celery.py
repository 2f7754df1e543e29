"""Celery on Cloud Run: one call that makes a project's Celery app safe on a worker pool.

In the project's celery.py, after the app is created::

    app = Celery("mysite")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    django_cloudrun.celery.configure(app)
    app.autodiscover_tasks()

configure() takes the broker from CELERY_BROKER_URL and makes no task get lost when Cloud Run
stops an instance (SIGTERM, then SIGKILL 10 s later):

- a task is acknowledged only once it finished (acks_late), and a task whose process died is
  handed back to the broker (task_reject_on_worker_lost);
- with REMAP_SIGTERM=SIGQUIT in the worker's environment (the worker pool and `up` set it),
  SIGTERM lets running tasks finish for WORKER_SOFT_SHUTDOWN_SECONDS, then returns the others
  to the broker, so the worker exits inside the 10 s;
- each process takes one message at a time, and the broker redelivers an unacknowledged
  message only after twice CLOUDRUN_TASK_TIME_LIMIT (a message may wait for one task to finish
  before its own starts), so a running task is never handed to a second worker;
- log lines go through the project's LOGGING (JSON on Cloud Run) and carry the trace of the
  request that sent the task.

Tasks must still be idempotent: a task killed half-way through runs again from the start.
"""

from __future__ import annotations

import logging
import logging.config
import os
import ssl
from collections.abc import Mapping
from typing import Any

from celery import Celery, signals
from celery.app.utils import find_app
from celery.exceptions import TimeoutError as ResultTimeout
from kombu.exceptions import OperationalError

from . import contract
from .logs import (
    TraceContext,
    current_trace_context,
    enter_trace_context,
    leave_trace_context,
    logging_config,
    trace_context_from_headers,
    traceparent,
)

__all__ = [
    "PING_TASK",
    "PingError",
    "configure",
    "configured_app",
    "ping",
    "settings_for",
    "time_limits",
    "tls_options",
]

PING_TASK = "django_cloudrun.ping"
# The message header that carries the sender's trace to the task.
TRACE_HEADER = "traceparent"
logger = logging.getLogger(__name__)


class PingError(Exception):
    """No worker answered the ping task."""


def time_limits(hard_limit: int) -> tuple[int, int]:
    """(soft, hard) seconds: the soft limit raises in the task a little before the kill."""
    return max(1, hard_limit - max(1, hard_limit // 10)), hard_limit


def settings_for(broker_url: str, hard_limit: int, broker_ca: str = "") -> dict[str, Any]:
    """The Celery settings configure() applies, for a broker and a task time limit."""
    soft, hard = time_limits(hard_limit)
    settings: dict[str, Any] = {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_time_limit": hard,
        "task_soft_time_limit": soft,
        "worker_prefetch_multiplier": 1,
        "worker_soft_shutdown_timeout": float(contract.WORKER_SOFT_SHUTDOWN_SECONDS),
        # Logs go through Django's LOGGING (JSON lines on Cloud Run), not Celery's own format.
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": 2 * hard},
        "result_backend_transport_options": {"visibility_timeout": 2 * hard},
    }
    if broker_url:
        settings["broker_url"] = broker_url
    if broker_url.startswith("rediss://"):
        tls = tls_options(broker_ca)
        settings["broker_use_ssl"] = tls
        settings["redis_backend_use_ssl"] = tls
    return settings


def tls_options(ca_pem: str) -> dict[str, Any]:
    """How a rediss:// broker is verified: against ``ca_pem``, else the system's CAs.

    A Memorystore instance "has one or more unique Certificate Authorities" of its own
    (https://cloud.google.com/memorystore/docs/redis/about-in-transit-encryption), so a chain
    that verifies against them names this broker; clients reach it by IP address, so there
    is no host name to compare.
    """
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if ca_pem:
        options.update(ssl_ca_data=ca_pem, ssl_check_hostname=False)
    return options


def configure(app: Celery, environ: Mapping[str, str] | None = None) -> Celery:
    """Apply the settings above to ``app`` from the environment, and register the ping task."""
    environ = os.environ if environ is None else environ
    broker_url = contract.CELERY_BROKER_URL.get(environ)
    hard_limit = int(contract.CLOUDRUN_TASK_TIME_LIMIT.get(environ))
    app.conf.update(settings_for(broker_url, hard_limit, contract.CLOUDRUN_BROKER_CA.get(environ)))
    if broker_url and not app.conf.result_backend:
        app.conf.result_backend = broker_url
    app.task(name=PING_TASK, acks_late=False)(_pong)
    _connect_signals()
    return app


def _pong() -> str:
    return "pong"


_connected = False


def _connect_signals() -> None:
    global _connected
    if _connected:
        return
    signals.before_task_publish.connect(_send_trace, weak=False)
    signals.task_prerun.connect(_enter_trace, weak=False)
    signals.task_postrun.connect(_leave_trace, weak=False)
    signals.worker_init.connect(_check_shutdown_mode, weak=False)
    signals.setup_logging.connect(_keep_project_logging, weak=False)
    _connected = True


def _keep_project_logging(loglevel: int | str = logging.INFO, **_: Any) -> None:
    """Leave logging to the project (Django's LOGGING: JSON lines on Cloud Run); a process
    that configured none gets the package's handler, in the format the contract names."""
    if logging.getLogger().handlers:
        return
    log_format = contract.CLOUDRUN_LOG_FORMAT.get() or "json"
    logging.config.dictConfig(
        logging_config(json=log_format == "json", level=logging.getLevelName(loglevel))
    )


def _send_trace(headers: dict[str, Any] | None = None, **_: Any) -> None:
    trace = current_trace_context()
    if headers is not None and trace is not None:
        headers.setdefault(TRACE_HEADER, traceparent(trace))


def _enter_trace(task: Any = None, **_: Any) -> None:
    if task is None:
        return
    value = getattr(task.request, TRACE_HEADER, None)
    trace: TraceContext | None = (
        trace_context_from_headers({TRACE_HEADER: value}) if isinstance(value, str) else None
    )
    task.request._cloudrun_trace_token = enter_trace_context(trace)


def _leave_trace(task: Any = None, **_: Any) -> None:
    token = getattr(getattr(task, "request", None), "_cloudrun_trace_token", None)
    if token is not None:
        leave_trace_context(token)
        task.request._cloudrun_trace_token = None


def _check_shutdown_mode(**_: Any) -> None:
    from billiard.common import REMAP_SIGTERM

    if REMAP_SIGTERM != contract.REMAP_SIGTERM_VALUE:
        logger.warning(
            "%s is not %s: on SIGTERM this worker waits for its running tasks, and Cloud Run "
            "kills it after %s s; set %s=%s in its environment",
            contract.REMAP_SIGTERM.name,
            contract.REMAP_SIGTERM_VALUE,
            contract.SIGTERM_GRACE_SECONDS,
            contract.REMAP_SIGTERM.name,
            contract.REMAP_SIGTERM_VALUE,
        )


def configured_app(environ: Mapping[str, str] | None = None) -> Celery:
    """The project's Celery app: CLOUDRUN_CELERY_APP if set, else the current app."""
    from celery import current_app

    name = contract.CLOUDRUN_CELERY_APP.get(os.environ if environ is None else environ)
    app: Celery = find_app(name) if name else current_app._get_current_object()
    return app


def ping(app: Celery, timeout: float) -> float:
    """Send the ping task and wait for a worker's answer; seconds it took.

    The message expires after ``timeout``, so a worker that starts later discards it.
    """
    import time

    started = time.monotonic()
    try:
        result = app.send_task(
            PING_TASK,
            expires=timeout,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
        )
        answer = result.get(timeout=timeout)
    except ResultTimeout:
        raise PingError(f"no worker answered within {timeout:g} s") from None
    except (OperationalError, OSError) as error:
        raise PingError(f"the broker cannot be reached: {type(error).__name__}") from None
    if answer != "pong":
        raise PingError(f"a worker answered {answer!r} instead of 'pong'")
    return time.monotonic() - started
