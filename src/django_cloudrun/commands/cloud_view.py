"""How deploy and destroy show progress, and how status shows a deployment (Rich).

On a terminal, resources being worked on are spinners in a live progress view, with a
count of those done; elsewhere (CI) one line per step and per resource changed (and when
a slow one starts), so the output reads as a log. Unchanged resources are counted only.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..cloud.deploy import Deployment
from ..cloud.events import (
    INSTANCE_TYPE,
    JOB_TYPE,
    SERVICE_TYPE,
    Event,
    ResourceChange,
    Step,
    short_type,
)  # fmt: skip
from ..cloud.interfaces import CertificateState
from ..cloud.observe import Status

__all__ = ["DeployView", "deployment_summary", "status_view"]

# Minutes, not seconds: in a log, say when they start too (a job runs an execution).
SLOW_TYPES = frozenset({INSTANCE_TYPE, JOB_TYPE, SERVICE_TYPE})
DOING = {"create": "creating", "update": "updating", "delete": "deleting",
         "replace": "replacing", "create-replacement": "creating a replacement for",
         "delete-replaced": "deleting the replaced", "read": "reading",
         "same": "checking"}  # fmt: skip
DONE = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced",
        "create-replacement": "created a replacement for",
        "delete-replaced": "deleted the replaced", "read": "read", "same": "unchanged"}  # fmt: skip


def _label(change: ResourceChange) -> str:
    if change.is_job and change.op in ("create", "update", "replace"):
        verb = {"started": "running", "done": "succeeded", "failed": "failed"}[change.state]
        return f"job {change.name}: execution {verb}"
    words = DOING if change.state == "started" else DONE
    verb = "failed to " + change.op if change.state == "failed" else words.get(change.op, change.op)
    return f"{verb} {short_type(change.type)} {change.name}"


class DeployView:
    """on_event for deploy and destroy; use as a context manager around the command."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.total: TaskID | None = None
        self.finished = 0
        self.unchanged = 0

    def __enter__(self) -> DeployView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        if self.finished:
            self._line(f"{self.finished} resources done ({self.unchanged} unchanged)")

    def on_event(self, event: Event) -> None:
        if isinstance(event, Step):
            self._line(event.text)
            return
        if event.state == "started":
            self._started(event)
        else:
            self._ended(event)

    def _started(self, change: ResourceChange) -> None:
        if self.console.is_terminal:
            progress = self._progress()
            self.tasks[change.urn] = progress.add_task(_label(change), total=None)
        elif change.op != "same" and change.type in SLOW_TYPES:
            self._line(_label(change))

    def _ended(self, change: ResourceChange) -> None:
        self.finished += 1
        self.unchanged += change.op == "same"
        task = self.tasks.pop(change.urn, None)
        if self.progress is not None and task is not None:
            self.progress.remove_task(task)
            if self.total is not None:
                self.progress.update(self.total, description=f"{self.finished} resources done")
        if change.op != "same" or change.state == "failed":
            self._line(_label(change), style="red" if change.state == "failed" else None)

    def _progress(self) -> Progress:
        if self.progress is None:
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.total = self.progress.add_task("0 resources done", total=None)
        return self.progress

    def _line(self, text: str, style: str | None = None) -> None:
        self.console.print(
            f"{time.strftime('%H:%M:%S')} {text}", style=style, markup=False, soft_wrap=True
        )


def deployment_summary(result: Deployment) -> list[Text]:
    """Label and value per line; printed with soft_wrap, so commands stay copyable."""
    rows = [
        ("URL", result.url),
        ("Admin", f"{result.admin_url} (user {result.username})"),
        ("Password", result.password_command),
    ]
    if not result.public:
        rows.append(
            (
                "Private",
                f"only IAM principals may call it; open it with `gcloud run services proxy "
                f"{result.service} --region {result.region} --project {result.project}`",
            )
        )
    rows += [("Status", "django-cloudrun status --cloud"), ("Logs", "django-cloudrun logs --cloud")]
    if result.dns_records:
        rows.append(
            (
                "DNS",
                "create these records at your DNS provider; the certificate is issued once "
                "they resolve, which can take up to an hour:",
            )
        )
        rows += [("", f"{r.name} {r.type} {r.value}") for r in result.dns_records]
    return [Text.assemble((f"{label:<10}", "bold"), value) for label, value in rows]


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else ""


def _certificate(state: CertificateState) -> Text:
    """ACTIVE in green; otherwise the status and each domain's, which say what is missing
    (FAILED_NOT_VISIBLE: the domain does not resolve to the load balancer yet)."""
    if state.status == "ACTIVE":
        return Text.assemble(("ACTIVE", "green"), f" {state.name}")
    domains = ", ".join(f"{domain} {status}" for domain, status in sorted(state.domains.items()))
    return Text.assemble((state.status, "yellow"), f" {state.name}: {domains}")


def status_view(result: Status) -> list[Any]:
    """What `status --cloud` prints: the service, its traffic, the jobs' last executions."""
    state = result.state
    assert state is not None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    grid.add_row("URL", state.uri)
    ready = state.latest_ready_revision
    grid.add_row("Revision", f"{ready} (ready)" if ready else "none ready")
    if state.latest_created_revision and state.latest_created_revision != ready:
        grid.add_row("Newest", f"{state.latest_created_revision} (not ready)")
    traffic = ", ".join(
        f"{target.percent}% {target.revision or 'latest'}"
        + (f" (tag {target.tag})" if target.tag else "")
        for target in state.traffic
    )
    grid.add_row("Traffic", traffic or "none")
    if state.image:
        grid.add_row("Image", state.image)
    for certificate in result.certificates:
        grid.add_row("Certificate", _certificate(certificate))
    jobs = Table(box=None, padding=(0, 2), show_edge=False)
    for column in ("job", "execution", "status", "started", "finished"):
        jobs.add_column(column)
    styles = {"succeeded": "green", "failed": "bold red", "running": "yellow"}
    for job, runs in result.executions.items():
        if not runs:
            jobs.add_row(job, "", Text("never ran", style="dim"), "", "")
        for run in runs:
            status = Text(run.status, style=styles.get(run.status, ""))
            jobs.add_row(job, run.name, status, _when(run.created), _when(run.completed))
    title = Text.assemble((result.service, "bold"), f" ({result.project}, {result.region})")
    return [title, grid, Text(), jobs]
