"""SIGTERM with requests in flight: new connections refused, every accepted request answered."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pg import manage, scratch
from served import cleanup, production_env, start_server

pytestmark = pytest.mark.slow

HEADERS = {"Host": "demo-django-123456.us-central1.run.app", "X-Forwarded-Proto": "https"}
FINISHING = ["/sleep/2/"] * 3  # done well before the deadline
UNFINISHABLE = ["/sleep/30/", "/sleep/30/", "/query/30/"]  # still running at the deadline
CLOUD_RUN_KILLS_AFTER = 10.0
REFUSED_WITHIN = 0.5  # seconds after SIGTERM from which every new connection is refused


@pytest.fixture
def server():
    with scratch() as space:
        env = space.env(DJANGO_SETTINGS_MODULE="faults.sigterm_settings")
        result = manage(["cloudrun_db_init", "--verbosity", "0"], env)
        assert result.returncode == 0, result.stderr
        running = start_server(production_env(env, CLOUDRUN_LOG_FORMAT="json"))
        try:
            running.wait_until("/health/live", 200)
            yield running
        finally:
            cleanup(running)


def _fetch(url: str) -> str:
    """The status answered, or the name of the error that took its place."""
    try:
        response = requests.get(url, headers=HEADERS, timeout=30, allow_redirects=False)
    except requests.RequestException as error:
        return type(error).__name__
    if response.status_code == 503:
        assert response.headers.get("Retry-After", "").isdigit()
    return str(response.status_code)


def _connect_after(port: int, signalled: float, until: float) -> list[tuple[float, str]]:
    """New connections while the server stops: (seconds after SIGTERM, what became of it)."""
    attempts = []
    while time.monotonic() < until:
        began = time.monotonic() - signalled
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = sock.recv(64)
                outcome = "answered" if answer.startswith(b"HTTP/1.1") else "closed unanswered"
        except ConnectionRefusedError:
            outcome = "refused"
        except OSError as error:
            outcome = type(error).__name__  # a reset: accepted, then dropped
        attempts.append((began, outcome))
        time.sleep(0.05)
    return attempts


def _cut_lines(log: str) -> list[dict]:
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [e for e in entries if "cut by the shutdown" in e.get("message", "")]


def test_sigterm_refuses_new_connections_and_answers_every_request_in_flight(server):
    server.wait_for_processes(2)
    paths = FINISHING + UNFINISHABLE
    with ThreadPoolExecutor(len(paths) + 1) as pool:
        in_flight = [pool.submit(_fetch, server.url + path) for path in paths]
        time.sleep(1.0)  # every request is being served
        signalled = time.monotonic()
        stopping = pool.submit(server.stop, CLOUD_RUN_KILLS_AFTER + 5)
        attempts = _connect_after(server.port, signalled, until=signalled + 2.0)
        answers = [future.result() for future in in_flight]
        stop_seconds = stopping.result()

    outcomes = Counter(outcome for _began, outcome in attempts)
    first_refused = min((began for began, o in attempts if o == "refused"), default=None)
    print(f"\nin flight at SIGTERM: {list(zip(paths, answers, strict=True))}")
    print(f"new connections after SIGTERM: {dict(outcomes)}, first refused {first_refused} s after")
    print(f"stopped in {stop_seconds:.1f} s")
    assert answers[: len(FINISHING)] == ["200"] * len(FINISHING)
    assert answers[len(FINISHING) :] == ["503"] * len(UNFINISHABLE)
    late = [outcome for began, outcome in attempts if began >= REFUSED_WITHIN]
    assert late and set(late) == {"refused"}, attempts
    assert {outcome for _began, outcome in attempts} <= {"refused", "answered"}, attempts
    assert stop_seconds < CLOUD_RUN_KILLS_AFTER

    cuts = _cut_lines(server.log())
    assert sorted(c["httpRequest"]["requestUrl"].split(HEADERS["Host"])[1] for c in cuts) == sorted(
        UNFINISHABLE
    ), server.log()
    assert all(c["httpRequest"]["status"] == 503 for c in cuts)
