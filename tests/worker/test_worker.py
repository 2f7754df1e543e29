"""A real worker on real Redis: round trips, ping, trace in task logs, SIGTERM without loss."""

from __future__ import annotations

import json
import statistics
import time
import uuid

import pytest
import redis
from django.core.management import CommandError, call_command
from worker_app import BROKER

from django_cloudrun import contract
from django_cloudrun.celery import PingError, ping, settings_for, time_limits
from django_cloudrun.logs import TraceContext, enter_trace_context, leave_trace_context
from django_cloudrun.settings import is_production
from django_cloudrun.worker import worker_command

pytestmark = pytest.mark.slow


def test_settings_keep_a_running_task_from_a_second_worker():
    settings = settings_for(BROKER, 600)
    assert settings["task_acks_late"] and settings["task_reject_on_worker_lost"]
    assert settings["worker_prefetch_multiplier"] == 1
    assert settings["broker_transport_options"]["visibility_timeout"] > 600
    assert settings["worker_soft_shutdown_timeout"] < contract.SIGTERM_GRACE_SECONDS
    assert time_limits(600) == (540, 600)


def test_the_worker_runs_the_settings_modules_package_unless_told():
    environ = {"DJANGO_SETTINGS_MODULE": "mysite.settings.production"}
    assert worker_command(["-c", "2"], environ)[3:] == ["-A", "mysite", "worker", "-c", "2"]
    environ[contract.CLOUDRUN_CELERY_APP.name] = "tasks.app:celery"
    assert worker_command([], environ)[3:] == ["-A", "tasks.app:celery", "worker"]


def test_a_worker_started_by_the_entry_point_shuts_down_bounded(start_worker):
    worker = start_worker()
    assert "REMAP_SIGTERM is not" not in worker.log.read_text()


def test_the_worker_runs_production_settings():
    assert is_production({contract.CLOUDRUN_WORKER.name: "1"})
    assert not is_production({contract.CLOUDRUN_WORKER.name: ""})


def test_task_round_trip_through_a_worker(app, start_worker):
    start_worker()
    latencies = []
    for n in range(20):
        started = time.monotonic()
        assert app.send_task("worker_app.add", (n, 1)).get(timeout=10) == n + 1
        latencies.append(time.monotonic() - started)
    print(f"round trip median {statistics.median(latencies) * 1000:.1f} ms")


def test_ping_answers_when_a_worker_runs(app, start_worker):
    start_worker()
    assert ping(app, timeout=10) < 10


def test_ping_fails_within_its_timeout_without_a_worker(app):
    started = time.monotonic()
    with pytest.raises(PingError, match="no worker answered within 1 s"):
        ping(app, timeout=1)
    assert time.monotonic() - started < 5


def test_ping_command_exits_0_with_a_worker(app, start_worker, monkeypatch, capsys):
    monkeypatch.setenv(contract.CLOUDRUN_CELERY_APP.name, "worker_app")
    start_worker()
    call_command("cloudrun_worker_ping", "--timeout", "10")
    assert "a worker answered" in capsys.readouterr().out


def test_ping_command_fails_without_a_worker(app, monkeypatch):
    monkeypatch.setenv(contract.CLOUDRUN_CELERY_APP.name, "worker_app")
    with pytest.raises(CommandError, match="no worker answered within 1 s; is a worker"):
        call_command("cloudrun_worker_ping", "--timeout", "1")


def test_task_log_lines_are_json_with_the_senders_trace(app, start_worker):
    worker = start_worker()
    trace = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True)
    token = enter_trace_context(trace)
    try:
        app.send_task("worker_app.log_line", ("hello from a task",)).get(timeout=10)
    finally:
        leave_trace_context(token)
    lines = [json.loads(line) for line in worker.log.read_text().splitlines() if "hello" in line]
    (entry,) = [line for line in lines if line["message"] == "hello from a task"]
    assert entry["logging.googleapis.com/trace"] == (
        f"projects/test-project/traces/{trace.trace_id}"
    )
    assert entry["logging.googleapis.com/spanId"] == trace.span_id


def test_sigterm_mid_task_requeues_it_and_a_new_worker_runs_it_once(app, start_worker):
    runs = redis.Redis.from_url(BROKER)
    key = f"runs-{uuid.uuid4().hex}"
    first = start_worker("first")
    result = app.send_task("worker_app.record", (key, 12))
    deadline = time.monotonic() + 10
    while runs.lrange(key, 0, -1) != [b"start"]:
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.05)
    exit_seconds = first.terminate()
    assert exit_seconds < contract.SIGTERM_GRACE_SECONDS
    assert runs.lrange(key, 0, -1) == [b"start"]  # cut short, not acknowledged
    start_worker("second")
    assert result.get(timeout=30) == "done"
    assert runs.lrange(key, 0, -1) == [b"start", b"start", b"done"]
    runs.delete(key)
    print(f"worker exited {exit_seconds:.2f} s after SIGTERM; tasks lost: 0")


def test_a_short_task_finishes_during_the_soft_shutdown(app, start_worker):
    runs = redis.Redis.from_url(BROKER)
    key = f"runs-{uuid.uuid4().hex}"
    worker = start_worker()
    result = app.send_task("worker_app.record", (key, 2))
    while not runs.lrange(key, 0, -1):
        time.sleep(0.05)
    assert worker.terminate() < contract.SIGTERM_GRACE_SECONDS
    assert result.get(timeout=5) == "done"
    assert runs.lrange(key, 0, -1) == [b"start", b"done"]
    runs.delete(key)
