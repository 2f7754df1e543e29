"""The jobs wait out a database that is starting: db-init and migrate retry the server's
"the database system is starting up" for a bounded time and say so; other refusals fail
at once.

The starting server is a real socket speaking PostgreSQL's protocol: it answers every
connection with the ErrorResponse a server in crash recovery sends (SQLSTATE 57P03), until
it hands its socket path over to the real server, atomically, as a restarted server would.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from django_cloudrun.dbinit import AdminCredentials, AppDatabase, DbInitError, initialize
from pg import SOCKET_DIR, manage, scratch, start_manage

SOCKET_FILE = ".s.PGSQL.5432"
STARTING = ("57P03", "the database system is starting up")
BAD_PASSWORD = ("28P01", 'password authentication failed for user "postgres"')
SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


class RefusingServer:
    """Answers each connection on DB_HOST=``directory`` with a FATAL error, until ready()."""

    def __init__(self, directory: Path, error: tuple[str, str]) -> None:
        self.directory, self.error = directory, error
        self.refused = 0
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(directory / SOCKET_FILE))
        self.listener.listen(16)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def ready(self) -> None:
        """From now on connections reach the real server: the path is swapped atomically."""
        link = self.directory / "real-socket"
        link.symlink_to(Path(SOCKET_DIR) / SOCKET_FILE)
        os.replace(link, self.directory / SOCKET_FILE)

    def close(self) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with client:
                self._refuse(client)

    def _refuse(self, client: socket.socket) -> None:
        while True:  # a startup packet, after any encryption request (answered "no")
            length, code = struct.unpack("!ii", _read(client, 8))
            _read(client, length - 8)
            if code not in (SSL_REQUEST, GSSENC_REQUEST):
                break
            client.sendall(b"N")
        sqlstate, message = self.error
        fields = b"".join(
            kind + value.encode() + b"\0"
            for kind, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
        )
        client.sendall(b"E" + struct.pack("!i", len(fields) + 5) + fields + b"\0")
        self.refused += 1


def _read(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = client.recv(size - len(data))
        if not chunk:
            raise OSError("the client went away")
        data += chunk
    return data


@contextmanager
def refusing_server(error: tuple[str, str] = STARTING) -> Iterator[RefusingServer]:
    directory = Path(tempfile.mkdtemp(prefix="pgs-"))  # short: socket paths are limited
    server = RefusingServer(directory, error)
    try:
        yield server
    finally:
        server.close()
        shutil.rmtree(directory, ignore_errors=True)


def ready_after(server: RefusingServer, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, server.ready)
    timer.start()
    return timer


def test_db_init_waits_while_the_database_starts_and_says_so_once():
    lines: list[str] = []
    with scratch() as space, refusing_server() as server:
        admin = AdminCredentials(host=str(server.directory), port="", user="postgres", password="")
        ready_after(server, 1.5)
        initialize(admin, AppDatabase(space.database, space.role, space.password), lines.append)
    assert server.refused >= 2
    assert lines[0] == (
        "the database is not accepting connections yet (the database system is starting up); "
        "retrying for up to 60 s"
    )
    assert lines[1].startswith("the database accepts connections after ")
    assert sum("not accepting connections yet" in line for line in lines) == 1
    assert any(
        line == f"database {space.database} created, owned by {space.role}" for line in lines
    )


def test_db_init_fails_at_once_when_the_server_refuses_for_another_reason():
    with scratch() as space, refusing_server(BAD_PASSWORD) as server:
        admin = AdminCredentials(host=str(server.directory), port="", user="postgres", password="x")
        started = time.monotonic()
        with pytest.raises(DbInitError, match="password authentication failed"):
            initialize(admin, AppDatabase(space.database, space.role, space.password))
    assert time.monotonic() - started < 5
    assert server.refused <= 2  # libpq may try once more, never for a minute


@pytest.mark.slow
def test_migrate_waits_while_the_database_starts_and_says_so():
    with scratch() as space, refusing_server() as server:
        env = space.env(CLOUDRUN_STATIC_COLLECTED="1")
        assert manage(["cloudrun_db_init"], env).returncode == 0
        run = start_manage(["cloudrun_migrate"], {**env, "DB_HOST": str(server.directory)})
        ready_after(server, 2.0)
        out, err = run.communicate(timeout=180)
    assert run.returncode == 0, err
    assert server.refused >= 2
    assert (
        "the database is not accepting connections yet (the database system is starting up); "
        "retrying for up to 60 s"
    ) in out
    assert "the database accepts connections after " in out
    assert "Traceback" not in err
