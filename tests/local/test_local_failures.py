"""`up` that cannot finish starting: a clear message, the job's log, and no process left."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from served import free_port
from upstack import cli, cli_argv, cli_env, copy_example, leftovers, remove_copy

pytestmark = pytest.mark.slow

FAILING_MIGRATION = """
from django.db import migrations


def fail(apps, schema_editor):
    raise RuntimeError("this migration fails on purpose")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_item_attachment_sha256")]
    operations = [migrations.RunPython(fail)]
"""


@pytest.fixture
def project():
    path = copy_example()
    yield path
    remove_copy(path)


def test_failing_migration_stops_up_with_job_name_exit_code_and_log_tail(project):
    (project / "catalog/migrations/0003_fail.py").write_text(FAILING_MIGRATION)
    result = cli(project, "up", "--port", str(free_port()))
    assert result.returncode == 1
    *log_tail, last = result.stderr.strip().splitlines()
    assert last.startswith("error: job migrate failed with exit code 1; its log: ")
    assert last.endswith(".cloudrun/local/logs/migrate.log")
    assert "RuntimeError: this migration fails on purpose" in log_tail
    assert not leftovers(project)
    status = cli(project, "status")
    assert status.stdout.strip() == "not running"


def test_busy_port_is_refused_before_anything_starts(project):
    import socket

    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        result = cli(project, "up", "--port", str(busy.getsockname()[1]))
    assert result.returncode == 1
    assert "is already in use: pass --port" in result.stderr
    assert not leftovers(project)


def test_database_url_with_another_scheme_is_refused_with_the_expected_form(project):
    result = cli(project, "up", "--database-url", "mysql://root@localhost/x")
    assert result.returncode == 1
    assert "postgresql://ADMIN:PASSWORD@HOST:PORT" in result.stderr
    assert not leftovers(project)


def test_directory_without_manage_py_is_refused(tmp_path):
    (tmp_path / "cloudrun.toml").write_text('project_id = "example-project"\n')
    result = cli(tmp_path, "up")
    assert result.returncode == 1
    assert "no manage.py next to cloudrun.toml" in result.stderr


def test_ctrl_c_while_starting_stops_everything_and_exits_130(project):
    process = subprocess.Popen(
        cli_argv("up", "--port", str(free_port())),
        cwd=project, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    state = project / ".cloudrun/local/state.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not state.exists():  # up has begun starting
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == (
        "error: interrupted while starting; everything `up` had started was stopped"
    )
    assert "Traceback" not in err
    assert not leftovers(project)
