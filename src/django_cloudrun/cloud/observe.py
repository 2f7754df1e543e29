"""`status`, `logs` and `run --cloud`: read the deployed service and run one-off jobs.

None of them needs Pulumi: names come from the config (config.names), state from Cloud
Run, lines from Cloud Logging.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..config.names import certificate_name, job_name
from ..config.topology import JOBS, cron_jobs
from .errors import PrerequisiteError
from .interfaces import (
    Certificates,
    CertificateState,
    CloudRun,
    ExecutionState,
    LogLine,
    Logs,
    ServiceState,
)
from .stack import CloudTarget

__all__ = [
    "RUN_JOB",
    "Status",
    "exit_code",
    "follow_logs",
    "job_filter",
    "read_logs",
    "resolve_job",
    "run_command",
    "service_filter",
    "status",
]

# One-off commands run with the migrate job's configuration: the service's environment,
# the Cloud SQL socket, and the superuser's secret, as its own account.
RUN_JOB = "migrate"
POLL_SECONDS = 5.0
SETTLE_SECONDS = 10.0  # Cloud Logging shows entries a few seconds after they are written


def service_filter(target: CloudTarget) -> str:
    return (
        f'resource.type="cloud_run_revision" AND resource.labels.service_name="{target.service}"'
        f' AND resource.labels.location="{target.region}"'
    )


def job_filter(job: str, execution: str | None = None) -> str:
    text = f'resource.type="cloud_run_job" AND resource.labels.job_name="{job}"'
    if execution:
        text += f' AND labels."run.googleapis.com/execution_name"="{execution}"'
    return text


def resolve_job(target: CloudTarget, name: str) -> str:
    """A job's Cloud Run name from its short name (migrate, cron-NAME) or its Cloud Run name."""
    jobs = (*JOBS, *cron_jobs(target.config))
    names = {job.name: job_name(target.service, job.name) for job in jobs}
    if name in names:
        return names[name]
    if name in names.values():
        return name
    raise PrerequisiteError(
        f"unknown job {name!r}: the jobs of {target.service} are {', '.join(names)}"
    )


@dataclass(frozen=True)
class Status:
    service: str
    project: str
    region: str
    state: ServiceState | None  # None: not deployed
    executions: dict[str, list[ExecutionState]]  # by short job name, newest first
    certificates: list[CertificateState] = field(default_factory=list)  # the load balancer's

    def as_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            if isinstance(value, list):
                return [plain(item) for item in value]
            return value

        return {
            "service": self.service,
            "project": self.project,
            "region": self.region,
            "deployed": self.state is not None,
            **({"state": plain(asdict(self.state))} if self.state else {}),
            "executions": {
                job: [{**plain(asdict(run)), "status": run.status} for run in runs]
                for job, runs in self.executions.items()
            },
            "certificates": [plain(asdict(state)) for state in self.certificates],
        }


def status(
    target: CloudTarget, run: CloudRun, certificates: Certificates, *, executions: int = 3
) -> Status:
    state = run.service(target.service)
    jobs = {
        job.name: run.executions(job_name(target.service, job.name), executions) for job in JOBS
    }
    managed = (
        certificates.managed(certificate_name(target.service))
        if target.config.load_balanced and state is not None
        else []
    )
    return Status(target.service, target.project, target.region, state, jobs, managed)


def read_logs(target: CloudTarget, logs: Logs, *, job: str | None, limit: int) -> list[LogLine]:
    """The newest `limit` lines of the service, or of a job when `job` is given."""
    wanted = job_filter(resolve_job(target, job)) if job else service_filter(target)
    return logs.read(wanted, limit=limit)


def follow_logs(
    logs: Logs,
    filter: str,
    on_line: Callable[[LogLine], None],
    *,
    since: datetime,
    keep_going: Callable[[], bool],
    sleep: Callable[[float], None] = time.sleep,
    poll: float = POLL_SECONDS,
) -> None:
    """Lines matching `filter` newer than `since`, as they arrive, until keep_going() is false."""
    last = since
    while keep_going():
        sleep(poll)
        for line in logs.read(f'{filter} AND timestamp>"{last.isoformat()}"', limit=1000):
            if line.timestamp > last:
                on_line(line)
                last = line.timestamp


def run_command(
    target: CloudTarget,
    run: CloudRun,
    logs: Logs,
    args: Sequence[str],
    *,
    on_line: Callable[[LogLine], None],
    on_start: Callable[[str], None] = lambda execution: None,
    sleep: Callable[[float], None] = time.sleep,
    poll: float = POLL_SECONDS,
    settle: float = SETTLE_SECONDS,
) -> ExecutionState:
    """`python manage.py ARGS` as an execution of the migrate job; its lines, then its end."""
    job = job_name(target.service, RUN_JOB)
    execution = run.start_job(job, list(args))
    on_start(execution.name)
    query = job_filter(job, execution.name)
    seen: set[tuple[datetime, str]] = set()

    def drain() -> None:
        for line in logs.read(query, limit=1000):
            if (line.timestamp, line.message) not in seen:
                seen.add((line.timestamp, line.message))
                on_line(line)

    while not execution.done():
        drain()
        sleep(poll)
    result = execution.result()
    sleep(settle)
    drain()
    return result


def exit_code(result: ExecutionState) -> int:
    """The command's exit status: its task's, or 0/1 when Cloud Run did not report it."""
    if result.exit_code is not None:
        return result.exit_code
    return 0 if result.succeeded else 1
