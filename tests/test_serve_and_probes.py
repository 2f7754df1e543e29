"""cloudrun_serve as a real process: probes, host validation, JSON logs, secrets, SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from pg import EXAMPLE, manage, scratch
from served import alive, cleanup, production_env, start_server

pytestmark = pytest.mark.slow

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A database set up by db-init and migrate, with static files collected."""
    static_root = tmp_path_factory.mktemp("static")
    with scratch() as space:
        env = space.env(STATIC_ROOT=str(static_root))
        for job in ("cloudrun_db_init", "cloudrun_migrate"):
            result = manage([job, "--verbosity", "0"], env)
            assert result.returncode == 0, result.stderr
        yield space, env


@pytest.fixture
def server(migrated):
    _space, env = migrated
    running = start_server(production_env(env, CLOUDRUN_LOG_FORMAT="json"))
    yield running
    cleanup(running)


def test_startup_probe_passes_once_the_database_is_migrated(server):
    server.wait_until("/health/", 200)
    response = server.get("/health/")
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_liveness_probe_answers_without_the_database(server):
    server.wait_until("/health/live", 200)
    assert server.get("/health/live").json() == {"status": "ok"}


def test_probes_answer_a_foreign_host_header_but_pages_do_not(server):
    server.wait_until("/health/", 200)
    foreign = {"Host": "10.0.0.7:8080"}
    assert server.get("/health/", headers=foreign).status_code == 200
    assert server.get("/health/live", headers=foreign).status_code == 200
    assert server.get("/", headers=foreign).status_code == 400


def test_a_custom_domain_is_answered_as_the_load_balancer_forwards_it(migrated):
    # The load balancer keeps the browser's Host and says the request came over HTTPS.
    _space, env = migrated
    running = start_server(production_env(env, CLOUDRUN_CUSTOM_DOMAINS="shop.example.com"))
    try:
        running.wait_until("/health/", 200)
        forwarded = {"X-Forwarded-Proto": "https"}
        shop = running.get("/", headers={"Host": "shop.example.com", **forwarded})
        assert shop.status_code == 200
        other = running.get("/", headers={"Host": "other.example.com", **forwarded})
        assert other.status_code == 400
    finally:
        cleanup(running)


def test_pages_are_redirected_to_https_but_not_behind_the_proxy(server):
    server.wait_until("/health/", 200)
    host = {"Host": "demo-django-123456.us-central1.run.app"}
    assert server.get("/", headers=host).status_code == 301
    behind_proxy = server.get("/", headers={**host, "X-Forwarded-Proto": "https"})
    assert behind_proxy.status_code == 200


def test_probes_reveal_nothing_about_the_system(server):
    server.wait_until("/health/", 200)
    for path in ("/health/", "/health/live"):
        response = server.get(path)
        assert set(response.json()) == {"status"}
        assert not re.search(r"\d", response.headers.get("Server", "")), "a version leaks"


def test_access_logs_are_json_with_trace_and_http_request(server):
    server.wait_until("/health/live", 200)
    server.get("/health/live", headers={"traceparent": f"00-{TRACE_ID}-{SPAN_ID}-01"})
    server.stop()
    entries = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    traced = [e for e in entries if e.get("logging.googleapis.com/trace", "").endswith(TRACE_ID)]
    assert len(traced) == 1, server.log()  # one request, one access line
    entry = traced[-1]
    assert entry["logging.googleapis.com/trace"] == f"projects/demo-project/traces/{TRACE_ID}"
    assert entry["logging.googleapis.com/spanId"] == SPAN_ID
    assert entry["httpRequest"]["requestMethod"] == "GET"
    assert entry["httpRequest"]["status"] == 200
    assert entry["severity"] == "INFO"


def test_every_log_line_is_json_and_no_secret_appears(migrated):
    space, env = migrated
    prod = production_env(env, CLOUDRUN_LOG_FORMAT="json")
    running = start_server(prod)
    try:
        running.wait_until("/health/", 200)
        running.get(
            "/does-not-exist/",
            headers={
                "X-Forwarded-Proto": "https",
                "Host": "demo-django-123456.us-central1.run.app",
            },
        )
        running.stop()
        log = running.log()
    finally:
        cleanup(running)
    entries = [json.loads(line) for line in log.splitlines()]  # one JSON object per line
    statuses = [entry.get("httpRequest", {}).get("status") for entry in entries]
    assert 200 in statuses and 404 in statuses, log  # the log holds the requests made
    assert space.password not in log
    assert prod["SECRET_KEY"] not in log


def test_sigterm_stops_the_server_and_every_worker_quickly(server):
    server.wait_until("/health/", 200)
    assert len(server.wait_for_processes(2)) == 2  # WEB_CONCURRENCY workers
    seconds = server.stop()
    assert server.process.returncode == 0
    assert seconds < 10, f"took {seconds:.1f}s; Cloud Run kills after 10s"
    assert not any(alive(pid) for pid in server.workers)


def files_under(path):
    return {entry for entry in path.rglob("*")}


def test_the_server_writes_nothing_outside_the_temporary_directory(migrated, tmp_path):
    _space, env = migrated
    home = tmp_path / "home"
    home.mkdir()
    before = files_under(EXAMPLE)
    running = start_server(production_env(env, HOME=str(home), PYTHONDONTWRITEBYTECODE="1"))
    try:
        running.wait_until("/health/", 200)
        running.get(
            "/",
            headers={
                "X-Forwarded-Proto": "https",
                "Host": "demo-django-123456.us-central1.run.app",
            },
        )
        running.stop()
    finally:
        cleanup(running)
    assert files_under(home) == set()  # no control socket, no cache
    assert files_under(EXAMPLE) == before


def test_startup_probe_fails_while_the_database_is_unreachable_and_liveness_stays_up(migrated):
    _space, env = migrated
    running = start_server(production_env(env, DB_HOST="/nonexistent-socket-dir"))
    try:
        running.wait_until("/health/live", 200)
        response = running.get("/health/")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "database unreachable"}
        assert running.get("/health/live").status_code == 200
    finally:
        cleanup(running)


def test_startup_probe_fails_while_migrations_are_pending():
    with scratch() as space:
        env = space.env(CLOUDRUN_STATIC_COLLECTED="1")
        assert manage(["cloudrun_db_init"], env).returncode == 0
        running = start_server(production_env(env))
        try:
            running.wait_until("/health/live", 200)
            response = running.get("/health/")
            assert response.status_code == 503
            assert response.json()["reason"] == "migrations pending"
            assert manage(["cloudrun_migrate"], env).returncode == 0
            running.wait_until("/health/", 200, timeout=10)
        finally:
            cleanup(running)


def _serve_inherited(env: dict[str, str], listener: socket.socket, log: Path) -> subprocess.Popen:
    fd = listener.fileno()
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, str(EXAMPLE / "manage.py"), "cloudrun_serve", "--fd", str(fd)],
            env=env, cwd=EXAMPLE, stdout=output, stderr=subprocess.STDOUT, pass_fds=(fd,),
        )  # fmt: skip


def test_a_server_on_a_shared_socket_takes_no_connection_before_it_could_serve_it(
    migrated, tmp_path
):
    _space, env = migrated
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/health/live"
    log = tmp_path / "serve.log"
    broken = _serve_inherited(production_env(env, DB_HOST="/nonexistent-socket-dir"), listener, log)
    working = None
    try:
        deadline = time.monotonic() + 30
        while b"not ready (database unreachable)" not in log.read_bytes():
            assert time.monotonic() < deadline and broken.poll() is None, log.read_text()
            time.sleep(0.1)
        with pytest.raises(requests.Timeout):  # queued, neither refused nor answered
            requests.get(url, timeout=2)
        working = _serve_inherited(production_env(env), listener, log)
        answered = requests.get(url, timeout=30)  # the working server takes it from the queue
        assert answered.status_code == 200
    finally:
        for process in (broken, working):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=15)
        listener.close()
