"""503 with Retry-After when the database cannot be reached, instead of a 500.

While the database is down (a restart, a failover, maintenance), a request that needs it is
answered 503 Service Unavailable with Retry-After: clients know to come back, the front end
does not cache it, and the failure is logged as one line, not as a bug with a traceback.
Only errors that mean "no database to talk to" qualify: no connection from the pool in
time, a connection refused or lost, a server shutting down or starting up. Errors of the
query itself (a statement timeout, a constraint) stay 500s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg
from django.http import HttpRequest, HttpResponse

from .logs import http_request_from_environ

__all__ = ["RETRY_AFTER_SECONDS", "DatabaseUnavailableMiddleware", "database_unavailable"]

logger = logging.getLogger("django_cloudrun.database")

# The pool tries to reconnect at least every half second, so the database is in use again
# well within this once it is back.
RETRY_AFTER_SECONDS = 2
# SQLSTATEs of a server that cannot serve now: class 08 (connection exception), shutdown by
# an administrator or after a crash, starting up, out of connection slots.
# https://www.postgresql.org/docs/current/errcodes-appendix.html
UNAVAILABLE_CLASS = "08"
UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def _driver_error(error: BaseException) -> psycopg.Error | None:
    """The psycopg error behind ``error``: Django wraps the driver's in its own."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, psycopg.Error):
            return seen
        seen = seen.__cause__
    return None


def database_unavailable(error: BaseException) -> str | None:
    """Why ``error`` means the database cannot be reached (a short reason), or None."""
    driver = _driver_error(error)
    if not isinstance(driver, psycopg.OperationalError):
        return None
    state = driver.sqlstate
    if state is None:  # raised by the client: the pool's timeout, a refused or lost connection
        return type(driver).__name__
    if state.startswith(UNAVAILABLE_CLASS) or state in UNAVAILABLE_STATES:
        return f"{type(driver).__name__} ({state})"
    return None


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        reason = database_unavailable(exception)
        if reason is None:
            return None
        response = HttpResponse(
            "The service cannot reach its database. "
            f"Please retry in {RETRY_AFTER_SECONDS} seconds.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        logger.warning(
            "database unavailable (%s): answered 503",
            reason,
            extra={"http_request": http_request_from_environ(request.META, status=503)},
        )
        # This line says it all; Django's own "Service Unavailable" line would repeat it.
        response._has_been_logged = True
        return response
