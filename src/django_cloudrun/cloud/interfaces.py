"""The external boundaries of a deployment, each a small Protocol, and the data they return.

Real implementations (cloud/real/) call Pulumi's Automation API and the google-cloud-*
libraries; the tests' fakes implement the same Protocols. The orchestration (deploy,
destroy, observe, preflight) only ever sees these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from .errors import CloudError
from .events import OnEvent
from .stack import Program, StackSettings

__all__ = [
    "Builder",
    "CertificateState",
    "Certificates",
    "CloudRun",
    "Engine",
    "EngineFailed",
    "ExecutionState",
    "Iam",
    "IamKind",
    "IamResource",
    "JobRun",
    "LogLine",
    "Logs",
    "OrgPolicy",
    "PrerequisiteProbe",
    "ProjectInfo",
    "ResourceFailure",
    "ServiceState",
    "StackOutputs",
    "StackResource",
    "StateStore",
    "Traffic",
    "Urns",
]


# Pulumi

StackOutputs = Mapping[str, Any]  # a stack's outputs by name
Urns = Sequence[str]  # Pulumi resource URNs


@dataclass(frozen=True)
class StackResource:
    urn: str
    type: str


@dataclass(frozen=True)
class ResourceFailure:
    """A resource the engine could not create, update or delete, and the provider's words."""

    urn: str
    type: str
    message: str


class EngineFailed(CloudError):
    """An update or destroy stopped; `failures` names the resources that caused it."""

    def __init__(self, summary: str, failures: Sequence[ResourceFailure] = ()) -> None:
        self.summary = summary
        self.failures = list(failures)
        super().__init__(summary)


class Engine(Protocol):
    def up(
        self, stack: StackSettings, program: Program, on_event: OnEvent, *, targets: Urns = ()
    ) -> StackOutputs:
        """Create or update the stack (only `targets`, URNs, when given); its outputs."""
        ...

    def resources(self, stack: StackSettings) -> list[StackResource]:
        """What the stack's state holds; empty when the stack does not exist."""
        ...

    def destroy(self, stack: StackSettings, on_event: OnEvent) -> None:
        """Delete every resource of the stack, then the stack itself."""
        ...


class StateStore(Protocol):
    """The Cloud Storage bucket that holds Pulumi's state."""

    def bucket_exists(self, bucket: str) -> bool: ...

    def create_bucket(self, bucket: str, *, location: str) -> None: ...


# Cloud Build


class Builder(Protocol):
    def build(
        self,
        source: Path,
        image: str,
        on_event: OnEvent,
        *,
        bucket: str,
        service_account: str,
        dockerfile: str = "Dockerfile",
    ) -> str:
        """Build `dockerfile` in `source` (the context, uploaded to `bucket`) as `image`,
        running as `service_account` (projects/P/serviceAccounts/EMAIL); the image by digest."""
        ...


# IAM


IamKind = Literal["project", "bucket", "repository"]


@dataclass(frozen=True)
class IamResource:
    """A resource whose IAM policy holds grants."""

    kind: IamKind
    name: str  # a project id, a bucket name, or projects/P/locations/R/repositories/ID


class Iam(Protocol):
    """Reads only: the deployment's accounts and grants are the Pulumi program's."""

    def account_exists(self, project: str, account: str) -> bool:
        """Whether the service account with the id `account` exists in the project."""
        ...

    def roles(self, member: str, resource: IamResource) -> set[str]:
        """The roles `member` holds in `resource`'s own policy; empty when it has none, or
        when the resource does not exist."""
        ...


# Cloud Run


@dataclass(frozen=True)
class Traffic:
    percent: int
    revision: str  # empty when the target is "latest" and not yet resolved
    latest: bool = False
    tag: str = ""


@dataclass(frozen=True)
class ServiceState:
    name: str
    uri: str
    latest_ready_revision: str
    latest_created_revision: str
    traffic: list[Traffic] = field(default_factory=list)
    image: str = ""


@dataclass(frozen=True)
class ExecutionState:
    name: str
    job: str
    created: datetime | None = None
    completed: datetime | None = None
    succeeded: bool | None = None  # None while it runs
    exit_code: int | None = None  # of its task's last attempt, when Cloud Run reports it

    @property
    def status(self) -> str:
        if self.succeeded is None:
            return "running"
        return "succeeded" if self.succeeded else "failed"


class JobRun(Protocol):
    """An execution started by CloudRun.start_job."""

    @property
    def name(self) -> str: ...

    def done(self) -> bool: ...

    def result(self) -> ExecutionState:
        """Waits for the end of the execution."""
        ...


class CloudRun(Protocol):
    def service(self, name: str) -> ServiceState | None:
        """The service, or None when there is none of that name."""
        ...

    def executions(self, job: str, limit: int) -> list[ExecutionState]:
        """The job's latest executions, newest first; empty when the job does not exist."""
        ...

    def start_job(self, job: str, args: Sequence[str]) -> JobRun:
        """An execution of `job` with its container's arguments replaced by `args`."""
        ...


# Compute Engine: the load balancer's certificates


@dataclass(frozen=True)
class CertificateState:
    """A Google-managed certificate: its status, and each domain's (compute v1
    SslCertificate.managed: status such as PROVISIONING or ACTIVE; domainStatus such as
    FAILED_NOT_VISIBLE while a domain does not resolve to the load balancer)."""

    name: str
    status: str
    domains: Mapping[str, str]


class Certificates(Protocol):
    def managed(self, prefix: str) -> list[CertificateState]:
        """The project's Google-managed certificates whose names start with `prefix`."""
        ...


# Cloud Logging


@dataclass(frozen=True)
class LogLine:
    timestamp: datetime
    severity: str
    message: str


class Logs(Protocol):
    def read(self, filter: str, *, limit: int) -> list[LogLine]:
        """The newest `limit` entries that match `filter`, oldest first."""
        ...


# Preflight


@dataclass(frozen=True)
class ProjectInfo:
    exists: bool
    billing_enabled: bool = False


@dataclass(frozen=True)
class OrgPolicy:
    """A constraint's effective policy on a project, its rules folded into what we ask of it."""

    enforced: bool = False  # a boolean constraint that a rule enforces
    allow_all: bool = True  # a list constraint that allows every value (none set: the default)
    allowed_values: tuple[str, ...] = ()


class PrerequisiteProbe(Protocol):
    def pulumi_cli(self) -> str | None:
        """The Pulumi CLI's path, or None when it is not on PATH."""
        ...

    def credentials_problem(self) -> str | None:
        """Why Application Default Credentials cannot be loaded, or None when they can."""
        ...

    def project(self, project: str) -> ProjectInfo: ...

    def enabled_apis(self, project: str, apis: Sequence[str]) -> set[str]:
        """The subset of `apis` (such as run.googleapis.com) enabled on the project."""
        ...

    def org_policy(self, project: str, constraint: str) -> OrgPolicy:
        """The effective policy of `constraint` (such as iam.allowedPolicyMemberDomains)."""
        ...

    def github_triggers(self, project: str) -> list[str]:
        """The repositories (OWNER/NAME) that the project's GitHub build triggers build."""
        ...

    def private_connections(self, network: str) -> list[str]:
        """The reserved ranges of `network`'s Private Services Access connection (empty when
        it has none); `network` is projects/PROJECT/global/networks/NAME."""
        ...
