"""[[cron]] under `up`: runs on schedule as separate processes with the cron job's environment.

The supervisor runs in this process with an injected clock, so the test moves time to the
next minute instead of waiting for it; the commands are real manage.py processes.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from django_cloudrun import contract
from django_cloudrun.config import load_config
from django_cloudrun.config.names import job_name
from django_cloudrun.local import Options, Probes, Supervisor, layout_for
from django_cloudrun.local.environment import PASSTHROUGH, RUNNER, job_platform, local_placement
from served import free_port
from upstack import cli, copy_example, leftovers, remove_copy, service_variable_names

pytestmark = pytest.mark.slow

CRON = """
[[cron]]
name = "env"
schedule = "* * * * *"
command = 'shell -c "import os, json; print(json.dumps(sorted(os.environ)))"'

[[cron]]
name = "failing"
schedule = "*/1 * * * *"
command = "prune_items --older-than-days -1"

[[cron]]
name = "slow"
schedule = "* * * * *"
command = 'shell -c "import time; time.sleep(4)"'
"""
START = datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def running():
    project = copy_example(CRON)
    config = load_config(project / "cloudrun.toml")
    clock, events = Clock(START), []
    options = Options(free_port(), probes=Probes(liveness_period=1.0))
    supervisor = Supervisor(project, config, options, on_event=events.append, clock=clock)
    watcher = threading.Thread(target=supervisor.watch)
    try:
        supervisor.start()
        watcher.start()
        yield supervisor, clock, events
    finally:
        supervisor.stop_requested = 1
        if watcher.is_alive():
            watcher.join(30)
        supervisor.stop()
        assert not leftovers(project)
        remove_copy(project)


def wait_for(predicate, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def entry(supervisor, name):
    return supervisor.cron.entries[f"cron-{name}"]


def test_entries_are_scheduled_once_up_is_ready(running):
    supervisor, _clock, _events = running
    snapshot = supervisor.snapshot()
    assert snapshot["phase"] == "ready"
    cron = {c["name"]: c for c in snapshot["cron"]}
    assert cron["cron-env"]["next_run"] == "2030-01-01T00:01:00+00:00"
    assert cron["cron-prune-items"]["next_run"] == "2030-01-01T03:30:00+00:00"
    assert snapshot["components"]["cron-env"]["state"] == "scheduled"
    assert "next 2030-01-01 00:01 UTC" in snapshot["components"]["cron-env"]["detail"]
    assert all(c["runs"] == 0 for c in cron.values())


def test_due_entries_run_as_separate_processes_and_failures_do_not_stop_up(running):
    supervisor, clock, events = running
    clock.now = START + timedelta(seconds=30)  # 00:01:00
    wait_for(lambda: entry(supervisor, "env").last_exit == 0, what="cron-env to finish")
    wait_for(lambda: entry(supervisor, "failing").last_exit == 1, what="cron-failing to fail")
    assert entry(supervisor, "slow").running
    assert entry(supervisor, "prune-items").runs == 0  # not due until 03:30
    assert entry(supervisor, "env").next_run == START + timedelta(seconds=90)

    snapshot = supervisor.snapshot()
    assert snapshot["phase"] == "ready"
    assert snapshot["components"]["web"]["state"] == "ready"
    assert snapshot["components"]["cron-failing"]["state"] == "failed"
    assert snapshot["components"]["cron-slow"]["state"] == "running"
    assert snapshot["components"]["cron-slow"]["pid"]
    assert any(
        e.startswith("cron-failing: `manage.py prune_items --older-than-days -1` failed with "
                     "exit code 1; its log: ") for e in events
    )  # fmt: skip
    log = supervisor.layout.log("cron-failing").read_text()
    assert "--older-than-days must be 0 or more" in log
    assert "[django-cloudrun] run 1 at 2030-01-01 00:01 UTC" in log


def test_a_run_gets_the_environment_of_its_cloud_run_job(running):
    supervisor, _clock, _events = running
    config, project = supervisor.config, supervisor.layout.project
    lines = supervisor.layout.log("cron-env").read_text().splitlines()
    printed = set(json.loads(next(line for line in lines if line.startswith('["'))))
    names = printed - {"DJANGO_SETTINGS_MODULE"}  # manage.py sets it itself
    placement = local_placement(
        config, db_host=str(layout_for(project, config).socket_dir), port=supervisor.options.port
    )
    contract_names = {var.name for var in contract.CONTRACT}
    platform = set(job_platform(config, "cron-env"))
    runner = set(RUNNER)
    assert (names & contract_names) - platform - runner == service_variable_names(config, placement)
    assert "DB_ADMIN_PASSWORD" not in names and "DJANGO_SUPERUSER_PASSWORD" not in names
    assert platform <= names and runner <= names
    machine = {n for n in names - contract_names if n in PASSTHROUGH or n.startswith("LC_")}
    assert names - contract_names - machine - platform == set()
    assert job_platform(config, "cron-env")["CLOUD_RUN_JOB"] == job_name(
        config.service_name, "cron-env"
    )


def test_a_run_still_going_when_the_next_is_due_makes_it_skipped(running):
    supervisor, clock, events = running
    slow = entry(supervisor, "slow")
    assert slow.running, "the 4 s sleep should still be running"
    first_pid = slow.proc.pid
    clock.now = START + timedelta(seconds=90)  # 00:02:00
    wait_for(lambda: entry(supervisor, "env").runs == 2, what="cron-env's second run")
    wait_for(lambda: slow.skipped == 1, what="cron-slow's skip")
    assert slow.runs == 1 and slow.proc is not None and slow.proc.pid == first_pid
    assert any(e.startswith("cron-slow: run due at 2030-01-01 00:02 UTC skipped") for e in events)
    assert "skipped, the previous run" in supervisor.layout.log("cron-slow").read_text()
    wait_for(lambda: slow.last_exit == 0, what="cron-slow to finish")


def test_status_shows_next_run_and_last_exit_code(running):
    supervisor, _clock, _events = running
    wait_for(lambda: entry(supervisor, "failing").last_exit == 1, what="cron-failing again")
    shown = cli(supervisor.layout.project, "status")
    assert shown.returncode == 0, shown.stderr
    rows = {line.split()[0]: line.split() for line in shown.stdout.splitlines() if line.strip()}
    # The cron table comes last: name, schedule, next run, last run, exit code.
    assert rows["cron-prune-items"][1:8] == ["30", "3", "*", "*", "*", "2030-01-01", "03:30"]
    assert rows["cron-failing"][-5:] == ["2030-01-01", "00:03", "2030-01-01", "00:02", "1"]
    assert rows["cron-slow"][-5:] == ["2030-01-01", "00:03", "2030-01-01", "00:01", "0"]
    assert "1 skipped" in supervisor.snapshot()["components"]["cron-slow"]["detail"]
    logs = cli(supervisor.layout.project, "logs", "cron-failing")
    assert "--older-than-days must be 0 or more" in logs.stdout


def test_run_cron_runs_an_entry_now_with_its_command(running):
    supervisor, _clock, _events = running
    project = supervisor.layout.project
    result = cli(project, "run", "--cron", "prune-items")
    assert result.returncode == 0, result.stderr
    assert "Deleted 0 items older than 365 days." in result.stdout
    failed = cli(project, "run", "--cron", "failing")
    assert failed.returncode == 1
    unknown = cli(project, "run", "--cron", "nope")
    assert unknown.returncode == 1
    assert "no [[cron]] entry named 'nope'; entries: prune-items, env, failing, slow" in (
        unknown.stderr.replace("\n", " ")
    )
