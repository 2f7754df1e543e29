"""`up` and a PostgreSQL crash: kill -9 of the embedded postmaster, as a machine's fault would.

`up` keeps running and keeps the web service, starts PostgreSQL again (as the platform
restores Cloud SQL), and the web service serves again within RECOVERY_BUDGET, no one acting.
A later `up` after everything was killed (the cluster needs crash recovery, its pid file says
"ready" for a dead server) starts every time.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from local.upstack import Up, copy_example, leftovers, remove_copy
from served import alive, free_port

pytestmark = [pytest.mark.slow, pytest.mark.faults]

RECOVERY_BUDGET = 15.0
KILLS = 3
START_TIMEOUT = 240


@pytest.fixture
def project():
    path = copy_example()
    yield path
    remove_copy(path)


def serves(up: Up) -> bool:
    """The list page, which reads the database, answers 200."""
    try:
        return requests.get(up.url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def database_restarted(up: Up, dead_pid: int) -> bool:
    database = up.state().get("components", {}).get("database", {})
    return database.get("state") == "running" and database.get("pid") not in (None, dead_pid)


def seconds_until_served_again(up: Up, dead_pid: int) -> float:
    """Seconds from now until a new server runs and the page is served from it."""
    started = time.monotonic()
    deadline = started + RECOVERY_BUDGET * 2
    while time.monotonic() < deadline:
        assert up.process is not None and up.process.poll() is None, up.output()
        if database_restarted(up, dead_pid) and serves(up):
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not served again after {RECOVERY_BUDGET * 2:.0f} s:\n{up.output()}")


def test_kill_9_of_postgres_restarts_it_and_web_serves_again_within_15_s(project):
    up = Up(project, free_port()).start()
    try:
        up.wait_ready(START_TIMEOUT)
        assert serves(up)
        web_pid = up.component_pid("web")
        figures = []
        for kill in range(1, KILLS + 1):
            postmaster = up.component_pid("database")
            os.kill(postmaster, signal.SIGKILL)
            figures.append(seconds_until_served_again(up, postmaster))
            assert not alive(postmaster)
            assert up.state()["components"]["database"]["restarts"] == kill
        print(
            f"served again after kill -9 of PostgreSQL: {', '.join(f'{s:.1f} s' for s in figures)}"
        )
        assert max(figures) < RECOVERY_BUDGET, figures
        assert up.component_pid("web") == web_pid  # the web service was never stopped
        assert up.state()["phase"] == "ready"
        output = up.output()
        assert "database: PostgreSQL was killed by SIGKILL; restarting it (restart 1)" in output
        assert "database: accepting connections again after" in output
        assert "Traceback" not in output
        _seconds, left = up.stop()
        assert up.process is not None and up.process.returncode == 0, output
        assert not left and not leftovers(project)
    finally:
        up.kill()


def test_up_starts_every_time_after_everything_was_killed(project):
    """kill -9 of PostgreSQL and of `up` itself: the next `up` finds a cluster that needs
    crash recovery and a pid file that says "ready"; it must wait for the real server."""
    port = free_port()
    for attempt in range(3):
        up = Up(project, port).start()
        try:
            up.wait_ready(START_TIMEOUT)
            assert serves(up), f"attempt {attempt}: {up.output()}"
            os.kill(up.component_pid("database"), signal.SIGKILL)
        finally:
            up.kill()
    up = Up(project, port).start()
    try:
        up.wait_ready(START_TIMEOUT)
        assert serves(up)
        assert "Traceback" not in up.output()
        up.stop()
    finally:
        up.kill()
    assert not leftovers(project)
