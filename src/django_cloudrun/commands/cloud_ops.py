"""`status --cloud`, `logs --cloud` and `run --cloud`: the deployed app, read and run.

local.py's commands call these when --cloud is given, so each verb stays one command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import typer

from ..cloud import observe
from ..cloud.clients import clients_for
from ..cloud.interfaces import LogLine
from ..config.names import job_name
from .cloud_common import load_target
from .common import console, stderr

__all__ = ["logs", "run", "status"]


def status(config: Path, env: str | None, *, as_json: bool) -> None:
    target = load_target(config, env)
    clients = clients_for(target)
    result = observe.status(target, clients.run, clients.certificates)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    if result.state is None:
        console.print(
            f"not deployed: no Cloud Run service {target.service} in {target.project} "
            f"({target.region}); deploy with `django-cloudrun deploy`",
            markup=False,
        )
        return
    from .cloud_view import status_view

    for part in status_view(result):
        console.print(part)


def _print(line: LogLine) -> None:
    typer.echo(f"{line.timestamp:%Y-%m-%d %H:%M:%S} {line.severity:<7} {line.message}")


def logs(
    config: Path,
    env: str | None,
    *,
    component: str | None,
    job: str | None,
    lines: int,
    follow: bool,
) -> None:
    # Any other component names a job; resolving it lists the jobs when it names none.
    if component not in (None, "web"):
        job = component
    target = load_target(config, env)
    clients = clients_for(target)
    logs_client = clients.logs
    recent = observe.read_logs(target, logs_client, job=job, limit=lines)
    for line in recent:
        _print(line)
    if follow:
        since = recent[-1].timestamp if recent else datetime.now(UTC)
        wanted = (
            observe.job_filter(observe.resolve_job(target, job))
            if job
            else observe.service_filter(target)
        )
        try:
            observe.follow_logs(
                logs_client,
                wanted,
                _print,
                since=since,
                keep_going=lambda: True,
                sleep=clients.sleep,
            )
        except KeyboardInterrupt:
            pass


def run(config: Path, env: str | None, args: Sequence[str]) -> None:
    target = load_target(config, env)
    clients = clients_for(target)
    result = observe.run_command(
        target,
        clients.run,
        clients.logs,
        args,
        on_line=_print,
        sleep=clients.sleep,
        on_start=lambda name: stderr.print(
            f"started execution {name} of {job_name(target.service, observe.RUN_JOB)}: "
            f"python manage.py {' '.join(args)}",
            style="dim",
            markup=False,
            soft_wrap=True,
        ),
    )
    code = observe.exit_code(result)
    if code:
        stderr.print(
            f"error: execution {result.name} {result.status} (exit code {code})",
            style="red",
            markup=False,
        )
    raise typer.Exit(code)
