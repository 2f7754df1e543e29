"""A failed update, explained in one line: which resource, why, and what to do next.

Traffic never moves halfway: the service depends on the migrate job, which depends on
db-init, so when a job fails the engine never updates the service; and a new revision that
fails its startup probe never receives traffic. The messages say so.
"""

from __future__ import annotations

from ..config import CloudRunConfig
from ..config.names import job_name
from ..config.topology import JOBS
from .errors import CloudError, is_permission_error, missing_permission, one_line
from .events import JOB_TYPE, SERVICE_TYPE, name_of, short_type
from .interfaces import EngineFailed, ResourceFailure

__all__ = ["cloud_job_name", "explain", "job_failure_hint"]


def job_failure_hint(name: str, *, region: str, project: str) -> str:
    from ..infra.jobs import failure_hint  # one wording, the one infra documents

    return failure_hint(name, region=region, project=project)


def explain(
    failed: EngineFailed, config: CloudRunConfig, project: str, *, service_updated: bool = False
) -> CloudError:
    """The one error to show for `failed`, most actionable cause first. `service_updated`
    says whether the service got its new revision before the failure (a resource that does
    not feed the service, such as an alert policy, can fail after it)."""
    failures = failed.failures
    for failure in failures:
        if is_permission_error(failure.message):
            return missing_permission(failure.message, project, on=_resource(failure))
    if not failures and is_permission_error(failed.summary):
        return missing_permission(failed.summary, project)
    for failure in failures:
        if failure.type == JOB_TYPE:
            job = cloud_job_name(failure, config)
            return CloudError(job_failure_hint(job, region=config.region, project=project))
    for failure in failures:
        if failure.type == SERVICE_TYPE:
            return CloudError(
                f"the new revision of {config.service_name} was refused "
                f"({one_line(failure.message, 200)}); traffic stays on the previous revision; "
                f"read its logs with `django-cloudrun logs --cloud`"
            )
    if failures:
        failure = failures[0]
        outcome = (
            "the service was updated and serves the new revision"
            if service_updated
            else "the service was not updated"
        )
        return CloudError(
            f"{_resource(failure)} was refused: {one_line(failure.message, 200)}; {outcome}"
        )
    return CloudError(f"deployment failed: {one_line(failed.summary, 200)}")


def _resource(failure: ResourceFailure) -> str:
    return f"{short_type(failure.type)} {name_of(failure.urn)}"


def cloud_job_name(failure: ResourceFailure, config: CloudRunConfig) -> str:
    """The Cloud Run name of the failed job (its Pulumi name is SERVICE-JOB)."""
    service = config.service_name
    logical = name_of(failure.urn)
    for job in JOBS:
        if logical == f"{service}-{job.name}":
            return job_name(service, job.name)
    return logical
