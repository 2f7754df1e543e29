"""Cloud Run probes, answered before anything else in the middleware chain.

The startup probe (``/health/``) passes when the database answers and no migration is
pending, so no traffic reaches a revision that cannot serve it. The liveness probe
(``/health/live``) never touches the database: a database outage must not make Cloud Run
restart every instance at once. Both answer before host validation, sessions and CSRF, so a
probe never meets DisallowedHost, and both say as little as possible about the system. Probes
only read: GET and HEAD; any other method gets 405 with an Allow header.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

from .contract import LIVENESS_PROBE, STARTUP_PROBE

__all__ = ["HealthCheckMiddleware", "startup_problem"]

logger = logging.getLogger("django_cloudrun.health")

# Below the startup probe's own timeout, so Cloud Run reads the 503, not a timeout.
PROBE_DATABASE_TIMEOUT = STARTUP_PROBE.timeout_seconds - 1.0
PROBE_METHODS = ("GET", "HEAD")


def _database_problem(alias: str) -> str | None:
    connection = connections[alias]
    try:
        pool = getattr(connection, "pool", None)
        if pool is not None:
            pool.open(wait=False)
            with pool.connection(timeout=PROBE_DATABASE_TIMEOUT) as raw:
                raw.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except Exception as error:  # any failure to reach the database means "not ready"
        logger.warning("startup probe: database unreachable (%s)", type(error).__name__)
        return "database unreachable"
    return None


def _pending_migrations(alias: str) -> bool:
    executor = MigrationExecutor(connections[alias])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def startup_problem(alias: str = DEFAULT_DB_ALIAS, *, check_migrations: bool = True) -> str | None:
    """A short reason the instance cannot serve yet, or None when it can."""
    problem = _database_problem(alias)
    if problem or not check_migrations:
        return problem
    try:
        if _pending_migrations(alias):
            return "migrations pending"
    except Exception as error:
        logger.warning("startup probe: migration check failed (%s)", type(error).__name__)
        return "database unreachable"
    return None


def _probe_response(status: int, body: dict[str, str]) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Compared without trailing slashes: /health and /health/ are the same probe.
        startup = getattr(settings, "CLOUDRUN_HEALTH_PATH", STARTUP_PROBE.path)
        liveness = getattr(settings, "CLOUDRUN_LIVENESS_PATH", LIVENESS_PROBE.path)
        self.startup_path = startup.rstrip("/")
        self.liveness_path = liveness.rstrip("/")
        # Once every migration of this code is applied it stays applied; later probes
        # (uptime checks) only need to know the database still answers.
        self._migrations_applied = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path not in (self.liveness_path, self.startup_path):
            return self.get_response(request)
        if request.method not in PROBE_METHODS:
            return HttpResponseNotAllowed(PROBE_METHODS)
        if path == self.liveness_path:
            return _probe_response(200, {"status": "ok"})
        return self._startup()

    def _startup(self) -> HttpResponse:
        problem = startup_problem(check_migrations=not self._migrations_applied)
        if problem:
            return _probe_response(503, {"status": "unavailable", "reason": problem})
        self._migrations_applied = True
        return _probe_response(200, {"status": "ok"})
