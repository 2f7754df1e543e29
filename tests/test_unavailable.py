"""Which database errors mean "unavailable", and the 503 they are answered with."""

from __future__ import annotations

import logging

import psycopg
import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import RequestFactory
from psycopg_pool import ConnectionPool

from django_cloudrun.unavailable import (
    RETRY_AFTER_SECONDS,
    DatabaseUnavailableMiddleware,
    database_unavailable,
)
from pg import SOCKET_DIR, admin_connection
from served import free_port


def _error_of(action) -> Exception:
    with pytest.raises(Exception) as caught:
        action()
    return caught.value


def _refused() -> Exception:
    return _error_of(lambda: psycopg.connect(host="127.0.0.1", port=free_port(), connect_timeout=2))


def test_a_refused_connection_is_unavailable():
    assert database_unavailable(_refused()) == "OperationalError"


def test_a_pool_that_cannot_connect_in_time_is_unavailable():
    conninfo = f"host=127.0.0.1 port={free_port()} connect_timeout=2"
    with ConnectionPool(conninfo, min_size=1, timeout=0.2, reconnect_timeout=0.2) as pool:
        error = _error_of(pool.getconn)
    assert database_unavailable(error) == "PoolTimeout"


def test_a_connection_the_server_ended_is_unavailable():
    victim = psycopg.connect(host=SOCKET_DIR, user="postgres", dbname="postgres")
    with admin_connection() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [victim.info.backend_pid])
    error = _error_of(lambda: victim.execute("SELECT 1"))
    victim.close()
    assert database_unavailable(error) is not None


@pytest.mark.django_db
def test_a_query_error_is_not_unavailable():
    def cancelled() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(1)")

    error = _error_of(cancelled)
    assert isinstance(error, OperationalError)  # Django's, wrapping QueryCanceled
    assert database_unavailable(error) is None
    assert database_unavailable(ValueError("not a database error")) is None


def test_unavailable_is_answered_503_with_retry_after_and_one_log_line(caplog):
    try:
        raise OperationalError("refused") from _refused()  # as Django wraps it
    except OperationalError as wrapped:
        error = wrapped
    request = RequestFactory().get("/items/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    with caplog.at_level(logging.WARNING, logger="django_cloudrun.database"):
        response = middleware.process_exception(request, error)
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    [record] = caplog.records
    assert record.http_request["status"] == 503
    assert record.http_request["requestUrl"].endswith("/items/")


def test_other_errors_are_left_to_django():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    assert middleware.process_exception(request, ValueError("a bug")) is None
