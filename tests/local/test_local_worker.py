"""`up` with enable_worker: a broker and a supervised worker, as the deployment has them."""

from __future__ import annotations

import hashlib
import os
import signal

import pytest

from served import alive, free_port
from upstack import Up, cli, copy_example, leftovers, remove_copy

pytestmark = pytest.mark.slow

WORKER_TOML = (
    '[vpc]\nmode = "direct"\nnetwork = "default"\nsubnet = "run-egress"\n'
    "[worker]\nenable_worker = true\nconcurrency = 2\n"
)
SEND_TASK = (
    "from django.core.files.base import ContentFile\n"
    "from catalog.models import Item\n"
    "from catalog.tasks import checksum_attachment\n"
    "item = Item.objects.create(name='Local', attachment=ContentFile(b'local', name='l.txt'))\n"
    "print('sha256', checksum_attachment.delay(item.pk).get(timeout=30))\n"
)


@pytest.fixture(scope="module")
def stack():
    project = copy_example(WORKER_TOML)
    up = Up(project, free_port())
    up.start()
    up.wait_ready(timeout=180)
    yield up
    up.kill()
    remove_copy(project)


def test_status_shows_the_broker_and_the_worker(stack):
    components = stack.state()["components"]
    assert components["broker"]["state"] == "running"
    assert components["worker"]["state"] == "running"
    assert alive(components["worker"]["pid"])
    result = cli(stack.project, "status")
    assert result.returncode == 0, result.stderr
    assert "broker" in result.stdout and "worker" in result.stdout


def test_worker_ping_through_run_exits_0(stack):
    result = cli(stack.project, "run", "--", "cloudrun_worker_ping", "--timeout", "30")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "a worker answered" in result.stdout


def test_the_examples_task_completes_under_up(stack):
    result = cli(stack.project, "run", "--", "shell", "-c", SEND_TASK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"sha256 {hashlib.sha256(b'local').hexdigest()}" in result.stdout


def test_logs_worker_shows_the_workers_log(stack):
    result = cli(stack.project, "logs", "worker")
    assert result.returncode == 0, result.stderr
    assert "ready." in result.stdout
    assert "catalog.checksum_attachment" in result.stdout


def test_a_worker_that_dies_is_started_again(stack):
    before = stack.component_pid("worker")
    os.killpg(before, signal.SIGKILL)
    stack.wait_until(
        lambda s: (
            s["components"]["worker"]["restarts"] == 1
            and s["components"]["worker"]["state"] == "running"
            and s["components"]["worker"]["pid"] not in (None, before)
        ),
        timeout=30,
        what="restarted",
    )
    result = cli(stack.project, "run", "--", "cloudrun_worker_ping", "--timeout", "30")
    assert result.returncode == 0, result.stdout + result.stderr


def test_stop_leaves_no_worker_or_broker(stack):
    seconds, left = stack.stop(timeout=40)
    assert not left, left
    assert not leftovers(stack.project)
    assert seconds < 30
