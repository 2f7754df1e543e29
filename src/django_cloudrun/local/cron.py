"""[[cron]] on this machine: while `up` runs, each entry runs on its schedule (UTC).

Each run is a separate process, `manage.py COMMAND` with the environment the entry's Cloud
Run job gets (config.topology.cron_jobs: the service's variables, never db-init's or
migrate's secrets), appending to its own log (logs/cron-NAME.log). Like Cloud Scheduler, a
failed run is reported and the schedule goes on; a run still going when the next is due
makes that one be skipped (and logged), never run twice at once; runs missed while the
machine slept are not caught up. A run that outlives CRON_TIMEOUT is stopped, as Cloud Run
stops an execution at its timeout.

The clock is injected, so tests can move time forward instead of waiting for the minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import CloudRunConfig
from ..config.cron import next_fire
from ..config.topology import CRON_TIMEOUT, Job, cron_jobs
from .processes import Proc

__all__ = ["Clock", "CronEntry", "CronScheduler", "cron_entries"]

Clock = Callable[[], datetime]  # an aware datetime: now, in UTC
Spawn = Callable[[Job], Proc]  # starts one run of a job, appending to its log


@dataclass
class CronEntry:
    """One [[cron]] entry: its job, when it runs next, how its last run went."""

    job: Job
    schedule: str
    command: str
    log_path: Path
    next_run: datetime | None = None
    proc: Proc | None = None
    started: datetime | None = None  # of the run in progress, or of the last one
    last_exit: int | None = None
    runs: int = 0
    skipped: int = 0
    failures: int = 0

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.running()

    def detail(self) -> str:
        """One short line for the components table; the cron table has the rest."""
        if self.running and self.started:
            text = f"started {_when(self.started)}"
        else:
            text = f"next {_when(self.next_run)}" if self.next_run else "never fires"
        return text + (f"; {self.skipped} skipped" if self.skipped else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "schedule": self.schedule, "command": self.command,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "last_run": self.started.isoformat() if self.started else None,
            "last_exit": self.last_exit, "running": self.running, "runs": self.runs,
            "failures": self.failures, "skipped": self.skipped,
        }  # fmt: skip


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def cron_entries(config: CloudRunConfig, log: Callable[[str], Path]) -> list[CronEntry]:
    """The entries of `config`; `log` names a component's log file."""
    return [
        CronEntry(job, entry.schedule, entry.command, log(job.name))
        for entry, job in zip(config.cron, cron_jobs(config), strict=True)
    ]


class CronScheduler:
    """Starts due runs and collects finished ones; `tick` is called from `up`'s watch loop."""

    def __init__(
        self,
        entries: list[CronEntry],
        *,
        clock: Clock,
        spawn: Spawn,
        on_event: Callable[[str], None],
        on_change: Callable[[CronEntry, str], None],
        grace: float = 10.0,
        timeout: float = CRON_TIMEOUT,
    ) -> None:
        self.entries = {entry.name: entry for entry in entries}
        self.clock, self.spawn = clock, spawn
        self.on_event, self.on_change = on_event, on_change
        self.grace, self.timeout = grace, timeout

    def start(self) -> None:
        now = self.clock()
        for entry in self.entries.values():
            entry.next_run = next_fire(entry.schedule, now)
            self.on_change(entry, "scheduled")

    def tick(self) -> None:
        now = self.clock()
        for entry in self.entries.values():
            self._collect(entry, now)
            if entry.next_run is not None and now >= entry.next_run:
                due = entry.next_run
                entry.next_run = next_fire(entry.schedule, now)  # missed runs are not caught up
                if entry.running:
                    entry.skipped += 1
                    message = (
                        f"{entry.name}: run due at {_when(due)} skipped, the previous run "
                        f"(started {_when(entry.started or due)}) is still going"
                    )
                    _append(entry, message)
                    self.on_event(message)
                    self.on_change(entry, "running")
                else:
                    self._run(entry, now)

    def _run(self, entry: CronEntry, now: datetime) -> None:
        entry.started = now
        entry.runs += 1
        _append(entry, f"run {entry.runs} at {_when(now)}: manage.py {entry.command}")
        entry.proc = self.spawn(entry.job)
        self.on_change(entry, "running")

    def _collect(self, entry: CronEntry, now: datetime) -> None:
        proc = entry.proc
        if proc is None:
            return
        if proc.running():
            if entry.started and (now - entry.started).total_seconds() > self.timeout:
                proc.stop(self.grace)
                message = f"{entry.name}: stopped after the {self.timeout:.0f} s timeout"
                _append(entry, message)
                self.on_event(message)
            else:
                return
        entry.proc = None
        entry.last_exit = proc.returncode
        if entry.last_exit == 0:
            self.on_change(entry, "scheduled")
            return
        entry.failures += 1
        self.on_event(
            f"{entry.name}: `manage.py {entry.command}` failed with exit code "
            f"{entry.last_exit}; its log: {proc.log_path}"
        )
        self.on_change(entry, "failed")

    def stop(self) -> None:
        for entry in self.entries.values():
            if entry.proc is not None:
                entry.proc.stop(self.grace)


def _append(entry: CronEntry, message: str) -> None:
    """A line in the entry's log from the scheduler itself, between the command's output."""
    entry.log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(entry.log_path, "a") as log:
        log.write(f"[django-cloudrun] {message}\n")
