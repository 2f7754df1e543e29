"""`up --detach`, `status`, `logs`, `run`, `down`, `local secret` and `local reset`."""

from __future__ import annotations

import json
import os
import pty
import stat
import subprocess

import pytest
import requests

from django_cloudrun.config.topology import SECRETS
from pg import admin_connection, drop, unique_name
from served import free_port
from upstack import cli, cli_argv, cli_env, copy_example, leftovers, remove_copy

pytestmark = pytest.mark.slow

SHELL_CHECK = (
    "from django.conf import settings; from django.contrib.auth.models import User; "
    "print('users', User.objects.count(), 'debug', settings.DEBUG)"
)


@pytest.fixture
def project():
    path = copy_example()
    yield path
    remove_copy(path)


def test_detached_up_reports_status_logs_and_stops_with_down(project):
    port = free_port()
    started = cli(project, "up", "--detach", "--port", str(port))
    assert started.returncode == 0, started.stderr
    assert f"http://localhost:{port}/admin/" in started.stdout
    assert "django-cloudrun local secret superuser-password" in started.stdout
    assert requests.get(f"http://localhost:{port}/health/", timeout=5).status_code == 200

    state = json.loads(cli(project, "status", "--json").stdout)
    assert state["running"] and state["phase"] == "ready"
    assert {name: c["state"] for name, c in state["components"].items()} == {
        "database": "running", "media": "running", "db-init": "done", "migrate": "done",
        "web": "ready", "cron-prune-items": "scheduled",
    }  # fmt: skip
    (prune,) = state["cron"]
    assert (prune["name"], prune["schedule"]) == ("cron-prune-items", "30 3 * * *")
    assert prune["next_run"].endswith("T03:30:00+00:00") and prune["last_exit"] is None
    assert "superuser: admin created" in cli(project, "logs", "migrate").stdout
    assert "GET /health/ 200" in cli(project, "logs", "web").stdout

    stopped = cli(project, "down")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped")
    assert not leftovers(project)
    assert cli(project, "status").stdout.strip() == "not running"


def test_run_starts_the_database_when_up_is_not_running_and_stops_it(project):
    assert cli(project, "up", "--detach", "--port", str(free_port())).returncode == 0
    assert cli(project, "down").returncode == 0
    result = cli(project, "run", "--", "shell", "-c", SHELL_CHECK)
    assert result.returncode == 0, result.stderr
    assert "users 1 debug False" in result.stdout  # the superuser; production settings
    assert not leftovers(project)


def test_run_returns_the_exit_code_of_the_command(project):
    assert cli(project, "up", "--detach", "--port", str(free_port())).returncode == 0
    try:
        result = cli(project, "run", "--", "check", "--tag", "no-such-tag")
        assert result.returncode == 1
        assert "no-such-tag" in result.stderr
    finally:
        cli(project, "down")


def test_secrets_file_is_private_and_holds_the_cloud_secrets(project):
    result = cli(project, "local", "secret", "superuser-password")
    assert result.returncode == 0 and len(result.stdout.strip()) == 24
    path = project / ".cloudrun/local/secrets"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = {line.split("=", 1)[0] for line in path.read_text().splitlines() if "=" in line}
    assert keys == {ref.key for ref in SECRETS}
    again = cli(project, "local", "secret", "superuser-password")
    assert again.stdout == result.stdout


def test_unknown_secret_lists_the_known_ones(project):
    result = cli(project, "local", "secret", "nope")
    assert result.returncode == 1
    assert "no local secret 'nope'; secrets: db-password, secret-key" in result.stderr


def test_reset_needs_confirmation_then_removes_the_local_state(project):
    cli(project, "local", "secret", "secret-key")
    refused = cli(project, "local", "reset")
    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    assert (project / ".cloudrun/local/secrets").exists()
    removed = cli(project, "local", "reset", "--yes")
    assert removed.returncode == 0
    assert not (project / ".cloudrun/local").exists()


def test_reset_asks_about_and_names_the_directories_it_deletes(project):
    """As root the database lives in /var/lib/django-cloudrun/<key>: the prompt names it."""
    cli(project, "local", "secret", "secret-key")
    root = project.resolve() / ".cloudrun/local"
    pointer = root / "cluster"
    cluster = pointer.read_text().strip() if pointer.exists() else None
    assert (cluster is not None) == (os.geteuid() == 0)
    if cluster:
        expected = f"{root} (secrets, media, logs) and {cluster} (database)"
    else:
        expected = f"{root} (database, secrets, media, logs)"
    terminal, stdin = pty.openpty()
    os.write(terminal, b"n\n")
    try:
        declined = subprocess.run(cli_argv("local", "reset"), cwd=project, env=cli_env(),
                                  stdin=stdin, capture_output=True, text=True, timeout=60)  # fmt: skip
    finally:
        os.close(stdin)
        os.close(terminal)
    assert declined.returncode == 1
    assert f"Delete {expected}? [y/N]" in declined.stdout
    assert root.exists() and (cluster is None or os.path.exists(cluster))
    removed = cli(project, "local", "reset", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"removed {root}" + (f" and {cluster}" if cluster else "")
    assert not root.exists() and (cluster is None or not os.path.exists(cluster))


def test_run_without_a_command_says_how_to_give_one(project):
    result = cli(project, "run")
    assert result.returncode == 2
    assert "django-cloudrun run -- shell" in result.stderr


def test_database_url_uses_an_existing_server_as_its_administrator(project):
    database, role = unique_name("db"), unique_name("role")
    with open(project / "cloudrun.toml", "a") as handle:
        handle.write(f'\n[environments.mine.database]\ndatabase = "{database}"\nuser = "{role}"\n')
    url = "postgresql://postgres@/?host=/var/run/postgresql"
    try:
        started = cli(
            project, "up", "--env", "mine", "--detach", "--port", str(free_port()),
            "--database-url", url,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        assert not (project / ".cloudrun/local/postgres").exists()
        with admin_connection(database) as conn:
            assert conn.execute("SELECT count(*) FROM auth_user").fetchone() == (1,)
    finally:
        cli(project, "down", "--env", "mine")
        drop(database, role)
    assert not leftovers(project)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_database_url_schemes_are_both_accepted(scheme):
    from django_cloudrun.local.database import _from_url

    database = _from_url(f"{scheme}://admin:s%40cret@db.internal:6432")
    assert (database.db_host, database.db_port) == ("db.internal", "6432")
    assert database.values == {"DB_ADMIN_USER": "admin"}
    assert database.secrets == {"db-admin-password": "s@cret"}
    assert "s@cret" not in database.description


def test_second_up_of_the_same_project_is_refused_and_leaves_the_first_running(project):
    port = free_port()
    assert cli(project, "up", "--detach", "--port", str(port)).returncode == 0
    try:
        second = cli(project, "up", "--port", str(free_port()))
        assert second.returncode == 1
        assert "already running for this project" in second.stderr
        up_log = project / ".cloudrun/local/logs/up.log"
        before = up_log.read_bytes()
        detached = cli(project, "up", "--detach", "--port", str(free_port()))
        assert detached.returncode == 1
        assert "already running for this project" in detached.stderr
        assert up_log.read_bytes().startswith(before)  # the running stack's log is kept
        assert json.loads(cli(project, "status", "--json").stdout)["phase"] == "ready"
        assert requests.get(f"http://localhost:{port}/health/", timeout=5).status_code == 200
    finally:
        cli(project, "down")


def test_up_killed_with_sigkill_leaves_no_process_behind(project):
    import os
    import signal
    import time

    assert cli(project, "up", "--detach", "--port", str(free_port())).returncode == 0
    state = json.loads(cli(project, "status", "--json").stdout)
    os.kill(state["pid"], signal.SIGKILL)  # no chance to stop anything itself
    deadline = time.monotonic() + 15
    while leftovers(project) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not leftovers(project)
    assert cli(project, "down").returncode == 0


def test_rotating_the_secret_key_without_up_is_for_the_next_up(project):
    before = cli(project, "local", "secret", "secret-key").stdout.strip()
    result = cli(project, "rotate", "secret-key")
    assert result.returncode == 0, result.stderr
    assert "the next `up` uses it" in result.stdout and before not in result.stdout
    assert cli(project, "local", "secret", "secret-key").stdout.strip() != before


def test_rotating_the_database_password_needs_a_running_up(project):
    cli(project, "local", "secret", "db-password")
    result = cli(project, "rotate", "db-password")
    assert result.returncode == 1
    assert "start `django-cloudrun up` first" in result.stderr
    assert "Traceback" not in result.stderr
