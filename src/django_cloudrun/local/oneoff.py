"""`run -- <manage.py args>`: a one-off job with the service's environment, like a Cloud Run job.

`run --cron NAME` runs a [[cron]] entry's command now, with its cron job's environment.

It uses the running `up`'s database (and GCS emulator); when nothing runs it starts them for
the duration of the command and stops them afterwards. The command gets the terminal, so
`run -- shell` or `run -- createsuperuser` are interactive.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import contract
from ..config import CloudRunConfig
from ..config.topology import SERVICE_SCOPES, Job, cron_jobs
from .broker import open_broker
from .database import open_database
from .environment import job_platform, target_for
from .errors import LocalError
from .layout import layout_for
from .media import prepare_media
from .processes import Proc
from .secrets import BROKER_PASSWORD, ensure_secrets
from .state import lock_holder, read_state

__all__ = ["cron_job_named", "run_once"]

ONE_OFF_JOB = "run"
STOP_GRACE = 10.0


def run_once(
    project: Path,
    config: CloudRunConfig,
    args: Sequence[str],
    *,
    port: int = contract.DEFAULT_PORT,
    database_url: str | None = None,
    job: Job | None = None,
) -> int:
    """Run ``manage.py args`` (or ``job``'s command, with its environment); its exit code."""
    layout = layout_for(project, config)
    layout.create()
    secrets = ensure_secrets(layout.secrets, config)
    state = read_state(layout.state) if lock_holder(layout) else None
    started: list[Proc] = []
    try:
        database = open_database(layout, config, secrets, database_url, reuse=True)
        started += [database.proc] if database.proc else []
        emulator = (state or {}).get("emulator", "")
        media = prepare_media(layout, config, start=not emulator)
        if emulator:
            media.extra[contract.STORAGE_EMULATOR_HOST.name] = emulator
        started += [media.proc] if media.proc else []
        port = int((state or {}).get("port", port))
        broker_url = ""
        if config.worker.enable_worker:
            running = int((state or {}).get("broker_port") or 0)
            broker = open_broker(layout, secrets[BROKER_PASSWORD], running)
            started += [broker.proc] if broker.proc else []
            broker_url = broker.url
        target = target_for(config, port, database, media, secrets, broker_url)
        if job is not None:
            env, args = target.job(job), job.command
        else:
            env = target.environment(SERVICE_SCOPES, job_platform(config, ONE_OFF_JOB))
        return _run_attached([sys.executable, "manage.py", *args], env, project)
    finally:
        for proc in reversed(started):
            proc.stop(STOP_GRACE * 3 if proc.name == "postgres" else STOP_GRACE)


def cron_job_named(config: CloudRunConfig, name: str) -> Job:
    """The job of the [[cron]] entry `name` (or cron-NAME); LocalError naming the others."""
    jobs = {entry.name: job for entry, job in zip(config.cron, cron_jobs(config), strict=True)}
    jobs.update({job.name: job for job in jobs.values()})
    if name in jobs:
        return jobs[name]
    known = ", ".join(entry.name for entry in config.cron) or "none in cloudrun.toml"
    raise LocalError(f"no [[cron]] entry named {name!r}; entries: {known}")


def _run_attached(argv: list[str], env: dict[str, str], cwd: Path) -> int:
    child = subprocess.Popen(argv, env=env, cwd=cwd)

    def forward(signum: int, _frame: Any) -> None:
        child.send_signal(signum)

    # Ctrl-C reaches the command itself (same terminal process group); SIGTERM is passed on.
    previous = {sig: signal.signal(sig, handler) for sig, handler in
                ((signal.SIGINT, signal.SIG_IGN), (signal.SIGTERM, forward))}  # fmt: skip
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
