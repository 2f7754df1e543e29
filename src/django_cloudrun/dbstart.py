"""A database that is starting: its "not yet" answers are waited out, for a bounded time.

PostgreSQL refuses connections with SQLSTATE 57P03 (cannot_connect_now) while it starts,
recovers from a crash or shuts down; Cloud SQL does the same while it restarts. The jobs
(db-init, migrate) that start in that window retry for up to WAIT_SECONDS, saying so once,
instead of failing the deployment. Any other error fails at once: a wrong host or password
does not become a minute's wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import CloudRunError

__all__ = [
    "WAIT_SECONDS",
    "DatabaseStarting",
    "is_starting",
    "retry_while_starting",
    "wait_until_accepting",
]

T = TypeVar("T")


class DatabaseStarting(CloudRunError):
    """The database kept saying it is starting for longer than the jobs wait."""


# The server's messages for 57P03: libpq gives a refused connection no SQLSTATE, only its text.
# https://www.postgresql.org/docs/current/errcodes-appendix.html (cannot_connect_now)
STARTING_MESSAGES = (
    "the database system is starting up",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "the database system is shutting down",
)
WAIT_SECONDS = 60.0
RETRY_INTERVAL = 0.25


def is_starting(error: BaseException) -> bool:
    """Whether ``error`` is a server's "not yet": worth waiting out."""
    text = str(error)
    return any(message in text for message in STARTING_MESSAGES)


def retry_while_starting(
    connect: Callable[[], T], report: Callable[[str], None], wait: float = WAIT_SECONDS
) -> T:
    """``connect()``, tried again while the server is starting, for up to ``wait`` seconds."""
    started = time.monotonic()
    retried = False
    while True:
        try:
            result = connect()
        except Exception as error:
            if not is_starting(error) or time.monotonic() - started >= wait:
                raise
            if not retried:
                report(f"the database is not accepting connections yet ({_reason(error)}); "
                       f"retrying for up to {wait:.0f} s")  # fmt: skip
                retried = True
            time.sleep(RETRY_INTERVAL)
            continue
        if retried:
            report(f"the database accepts connections after {time.monotonic() - started:.1f} s")
        return result


def _reason(error: BaseException) -> str:
    text = str(error)
    return next(message for message in STARTING_MESSAGES if message in text)


def wait_until_accepting(connection: Any, report: Callable[[str], None]) -> None:
    """Wait until the server of a Django ``connection`` accepts connections, as
    retry_while_starting does; DatabaseStarting if it still refuses after WAIT_SECONDS.

    A pool would hide the server's answer behind its own timeout, so this connects directly,
    with the connection's parameters, and closes at once. Any other error is left to Django
    to report when it connects.
    """
    if connection.vendor != "postgresql":
        return
    params = connection.get_connection_params()
    try:
        retry_while_starting(lambda: connection.Database.connect(**params).close(), report)
    except Exception as error:
        if is_starting(error):
            raise DatabaseStarting(
                f"the database still refuses connections after {WAIT_SECONDS:.0f} s "
                f"({_reason(error)})"
            ) from None
