"""A real Celery worker on this machine's Redis, one queue per test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from worker_app import BROKER

from django_cloudrun import contract

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"


@pytest.fixture
def queue(monkeypatch):
    """A queue of this test's own, removed afterwards; the app in this process sends to it."""
    name = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv(contract.CELERY_BROKER_URL.name, BROKER)
    monkeypatch.setenv("WORKER_TEST_QUEUE", name)
    yield name
    redis.Redis.from_url(BROKER).delete(name)


@pytest.fixture
def app(queue):
    import worker_app

    worker_app.app.conf.task_default_queue = queue
    return worker_app.app


class Worker:
    """A worker on the test's queue, started as the worker pool starts it."""

    def __init__(self, queue: str, log: Path, environment: dict[str, str] | None = None) -> None:
        # A plain Celery app unless told: without DJANGO_SETTINGS_MODULE, Celery does not
        # set up Django.
        inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env = {
            **inherited,
            contract.CELERY_BROKER_URL.name: BROKER,
            contract.CLOUDRUN_CELERY_APP.name: "worker_app",
            "WORKER_TEST_QUEUE": queue,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(SRC)]),
            contract.GOOGLE_CLOUD_PROJECT.name: "test-project",
            **(environment or {}),
        }
        self.log = log
        command = [sys.executable, "-m", "django_cloudrun.worker"]
        command += ["--concurrency", "1", "--queues", queue, "--hostname", f"{log.stem}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=HERE, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text(errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            time.sleep(0.1)
        raise AssertionError(f"worker not ready:\n{self.log.read_text(errors='replace')}")

    def terminate(self) -> float:
        """SIGTERM, as Cloud Run sends it; the seconds the worker took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_worker(queue, tmp_path):
    started: list[Worker] = []

    def start(name: str = "w1", **options) -> Worker:
        worker = Worker(queue, tmp_path / f"{name}.log", **options)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
