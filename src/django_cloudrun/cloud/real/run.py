"""CloudRun over google-cloud-run (v2): the service, job executions, one-off runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import PrerequisiteError
from ..interfaces import ExecutionState, ServiceState, Traffic
from .google_errors import google_errors

__all__ = ["CloudRunClient", "execution_state", "service_state"]

LISTED = 50  # executions read before sorting; status shows a few


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1] if name else ""


def execution_state(execution: Any, exit_code: int | None = None) -> ExecutionState:
    """A run_v2.Execution as ours: running until it has a completion time."""
    completed = execution.completion_time or None
    succeeded = None
    if completed is not None:
        succeeded = execution.failed_count == 0 and execution.succeeded_count >= max(
            execution.task_count, 1
        )
    return ExecutionState(
        name=_short(execution.name),
        job=_short(execution.job),
        created=execution.create_time or None,
        completed=completed,
        succeeded=succeeded,
        exit_code=exit_code,
    )


def service_state(found: Any) -> ServiceState:
    """A run_v2.Service as ours: short revision names, the traffic as Cloud Run reports it."""
    from google.cloud import run_v2

    latest = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    containers = found.template.containers
    return ServiceState(
        name=_short(found.name),
        uri=found.uri,
        latest_ready_revision=_short(found.latest_ready_revision),
        latest_created_revision=_short(found.latest_created_revision),
        traffic=[
            Traffic(
                percent=target.percent,
                revision=target.revision,
                latest=target.type_ == latest,
                tag=target.tag,
            )
            for target in found.traffic_statuses
        ],
        image=containers[0].image if containers else "",
    )


class _Run:
    """An execution started by run_job: its long-running operation."""

    def __init__(self, operation: Any, client: CloudRunClient, job: str) -> None:
        self._operation = operation
        self._client = client
        metadata = operation.metadata
        self._name = _short(metadata.name) if metadata is not None else ""
        self._job = job

    @property
    def name(self) -> str:
        return self._name

    def done(self) -> bool:
        with google_errors(self._client.project, on="Cloud Run"):
            return bool(self._operation.done())

    def result(self) -> ExecutionState:
        from google.api_core.exceptions import GoogleAPICallError
        from google.cloud import run_v2

        try:
            self._operation.result()
        except GoogleAPICallError:
            pass  # a failed execution fails the operation: its state says how
        name = f"{self._client.parent}/jobs/{self._job}/executions/{self._name}"
        with google_errors(self._client.project, on="Cloud Run"):
            execution = run_v2.ExecutionsClient().get_execution(name=name)
            tasks = list(run_v2.TasksClient().list_tasks(parent=name))
        codes = [
            task.last_attempt_result.exit_code for task in tasks if "last_attempt_result" in task
        ]
        failing = [code for code in codes if code]
        return execution_state(execution, failing[0] if failing else (codes[0] if codes else None))


class CloudRunClient:
    def __init__(self, project: str, region: str) -> None:
        self.project = project
        self.region = region
        self.parent = f"projects/{project}/locations/{region}"

    def service(self, name: str) -> ServiceState | None:
        from google.api_core.exceptions import NotFound
        from google.cloud import run_v2

        with google_errors(self.project, on="Cloud Run"):
            try:
                found = run_v2.ServicesClient().get_service(name=f"{self.parent}/services/{name}")
            except NotFound:
                return None
        return service_state(found)

    def executions(self, job: str, limit: int) -> list[ExecutionState]:
        from google.api_core.exceptions import NotFound
        from google.cloud import run_v2

        found = []
        with google_errors(self.project, on="Cloud Run"):
            try:
                pages = run_v2.ExecutionsClient().list_executions(
                    parent=f"{self.parent}/jobs/{job}"
                )
                for execution in pages:
                    found.append(execution_state(execution))
                    if len(found) >= LISTED:
                        break
            except NotFound:
                return []
        found.sort(key=lambda run: run.created.timestamp() if run.created else 0, reverse=True)
        return found[:limit]

    def start_job(self, job: str, args: Sequence[str]) -> _Run:
        from google.api_core.exceptions import NotFound
        from google.cloud import run_v2

        overrides = run_v2.RunJobRequest.Overrides(
            container_overrides=[run_v2.RunJobRequest.Overrides.ContainerOverride(args=list(args))],
            task_count=1,
        )
        request = run_v2.RunJobRequest(name=f"{self.parent}/jobs/{job}", overrides=overrides)
        with google_errors(self.project, on="Cloud Run"):
            try:
                operation = run_v2.JobsClient().run_job(request=request)
            except NotFound:
                raise PrerequisiteError(
                    f"no Cloud Run job {job} in {self.project} ({self.region}): deploy first "
                    "with `django-cloudrun deploy`"
                ) from None
        return _Run(operation, self, job)
