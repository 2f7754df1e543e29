"""The cut at the shutdown deadline, on real sockets: 503 for requests not yet answered."""

from __future__ import annotations

import logging
import socket

import pytest

from django_cloudrun.shutdown import InFlight


@pytest.fixture
def connection():
    """(the server's end, the client's end) of a real connection."""
    server, client = socket.socketpair()
    client.settimeout(5)
    yield server, client
    server.close()
    client.close()


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def _serve(in_flight: InFlight, sock: socket.socket, *, respond: bool) -> None:
    """Run a request on ``sock`` through the wrapped application, up to its response or not."""
    environ = {"gunicorn.socket": sock, "REQUEST_METHOD": "GET", "PATH_INFO": "/slow/"}

    def application(environ, start_response):
        if respond:
            start_response("200 OK", [])
        return [b""]

    in_flight.wrap(application)(environ, lambda *args: None)


def test_a_request_not_answered_at_the_deadline_gets_503_then_end_of_stream(connection, caplog):
    server, client = connection
    in_flight = InFlight()
    in_flight.accepted(server)
    _serve(in_flight, server, respond=False)
    with caplog.at_level(logging.WARNING, logger="django_cloudrun.server"):
        in_flight.cut()
    answer = _read_all(client)
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"\r\nRetry-After: 1\r\n" in answer and b"\r\nConnection: close\r\n" in answer
    [record] = caplog.records
    assert record.http_request["status"] == 503
    assert record.http_request["requestUrl"].endswith("/slow/")


def test_a_response_already_started_is_not_overwritten(connection, caplog):
    server, client = connection
    in_flight = InFlight()
    in_flight.accepted(server)
    _serve(in_flight, server, respond=True)
    with caplog.at_level(logging.WARNING, logger="django_cloudrun.server"):
        in_flight.cut()
    client.setblocking(False)
    with pytest.raises(BlockingIOError):
        client.recv(1)  # nothing written
    assert [r.levelname for r in caplog.records] == ["ERROR"]  # logged as cut mid-response


def test_a_finished_request_is_left_alone(connection):
    server, client = connection
    in_flight = InFlight()
    in_flight.accepted(server)
    in_flight.finished(server)
    in_flight.cut()
    assert len(in_flight) == 0
    client.setblocking(False)
    with pytest.raises(BlockingIOError):
        client.recv(1)
