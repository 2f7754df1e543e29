"""The example project's production server on 127.0.0.1, as the fault tests attack it.

The database is a scratch one set up by the real db-init and migrate jobs; the server is
``cloudrun_serve`` in production mode with its own MEDIA_ROOT and TMPDIR, so a test can plant
files (and links) among the media and watch what requests spool to the temporary directory.
Requests go out through http.client, which sends a request target exactly as written:
traversal attempts must reach the server undecoded and unnormalised.
"""

from __future__ import annotations

import http.client
import os
import re
import select
import socket
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from pg import manage, scratch
from served import Server, cleanup, descendants, production_env, start_server

SERVICE_HOST = "demo-django-123456.us-central1.run.app"
# The https service URL makes the server redirect plain http; Cloud Run's front end says
# the client came over https in this header.
SITE_HEADERS = {"Host": SERVICE_HOST, "X-Forwarded-Proto": "https"}
TIMEOUT = 10
ADMIN = {"username": "faults-admin", "password": "faults-admin-password-9f3k"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


@contextmanager
def migrated_database(static_root: Path) -> Iterator[dict[str, str]]:
    """The environment of a scratch database set up by db-init and migrate, with static
    files collected by migrate as on Cloud Run (with the production manifest)."""
    with scratch() as space:
        env = space.env(STATIC_ROOT=str(static_root))
        as_a_job = production_env(
            env,
            CLOUD_RUN_JOB="demo-django-migrate",
            DJANGO_SUPERUSER_USERNAME=ADMIN["username"],
            DJANGO_SUPERUSER_EMAIL="admin@example.com",
            DJANGO_SUPERUSER_PASSWORD=ADMIN["password"],
        )
        as_a_job.pop("K_SERVICE")
        as_a_job.pop("CLOUDRUN_STATIC_COLLECTED")
        for job, job_env in (("cloudrun_db_init", env), ("cloudrun_migrate", as_a_job)):
            result = manage([job, "--verbosity", "0"], job_env)
            assert result.returncode == 0, result.stderr
        yield env


@contextmanager
def production_server(env: Mapping[str, str], **extra: str) -> Iterator[Server]:
    """The production server on the database of ``env``, ready to serve."""
    running = start_server(production_env(env, **extra))
    try:
        running.wait_until("/health/", 200)
        yield running
    finally:
        cleanup(running)


def ask(
    server: Server,
    method: str,
    target: str,
    headers: Mapping[str, str] = SITE_HEADERS,
    body: bytes | None = None,
) -> Answer:
    """One request with ``target`` sent byte for byte, on its own connection."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        headers: dict[str, str] = {}
        for name, value in response.getheaders():  # repeated ones (Set-Cookie) one a line
            headers[name] = f"{headers[name]}\n{value}" if name in headers else value
        return Answer(response.status, headers, response.read())
    finally:
        connection.close()


def admin_session(server: Server) -> dict[str, str]:
    """The headers of a request by the logged-in superuser."""
    form = ask(server, "GET", "/admin/login/")
    csrf_cookie = _cookie(form, "csrftoken")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert token, form.body[:500]
    fields = {**ADMIN, "csrfmiddlewaretoken": token[1].decode(), "next": "/admin/"}
    headers = {
        **SITE_HEADERS,
        "Cookie": f"csrftoken={csrf_cookie}",
        "Origin": f"https://{SERVICE_HOST}",
        "Referer": f"https://{SERVICE_HOST}/admin/login/",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    login = ask(server, "POST", "/admin/login/", headers, urlencode(fields).encode())
    assert login.status == 302, login.body[:500]
    return {**SITE_HEADERS, "Cookie": f"sessionid={_cookie(login, 'sessionid')}"}


def _cookie(answer: Answer, name: str) -> str:
    found = re.search(rf"{name}=([^;]+)", answer.headers.get("Set-Cookie", ""))
    assert found, (name, answer.headers)
    return found[1]


def raw_exchange(server: Server, head: bytes, body_parts: Iterable[bytes]) -> bytes:
    """Send a request head, then body parts until the server answers; return the first
    bytes of the answer (b"" when the connection closed without one)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(head)
        for part in body_parts:
            if select.select([sock], [], [], 0)[0]:
                break  # an answer came before the whole body: stop sending, as clients do
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
        try:
            return sock.recv(4096)
        except ConnectionResetError:
            return b""


def status_of(answer: bytes) -> int:
    """The status code in the first line of an HTTP/1.1 answer."""
    line = answer.split(b"\r\n", 1)[0].split()
    assert len(line) >= 2 and line[0].startswith(b"HTTP/"), answer[:200]
    return int(line[1])


def spooled_bytes(server: Server, directory: Path) -> int:
    """Bytes of the files in ``directory`` right now, those the server's processes hold
    open there after removing them (tempfile.TemporaryFile's) included."""
    sizes: dict[tuple[int, int], int] = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            _record(sizes, os.path.join(root, name))
    for pid in {server.process.pid} | descendants(server.process.pid):
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue  # the process is gone
        for fd in descriptors:
            link = f"/proc/{pid}/fd/{fd}"
            try:
                opened = os.readlink(link)
            except OSError:
                continue
            if opened.startswith(f"{directory}/"):
                _record(sizes, link)
    return sum(sizes.values())


def _record(sizes: dict[tuple[int, int], int], path: str) -> None:
    try:
        stat = os.stat(path)
    except OSError:
        return  # closed or removed meanwhile: a finished upload
    if stat.st_size and not os.path.isdir(path):
        sizes[(stat.st_dev, stat.st_ino)] = stat.st_size
