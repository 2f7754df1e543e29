"""Progress of a deployment, as plain events: the CLI renders them, tests record them.

The engine reports each resource as it starts and finishes (Pulumi's resource pre, outputs
and failed events, translated); the orchestration reports its own steps (preflight, the
image build). Nothing here knows about Rich or Pulumi.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "APP_TYPE",
    "BUCKET_TYPE",
    "Event",
    "INSTANCE_TYPE",
    "JOB_TYPE",
    "OnEvent",
    "REPOSITORY_TYPE",
    "ResourceChange",
    "SERVICE_TYPE",
    "Step",
    "ignore",
    "is_grant",
    "name_of",
    "short_type",
]

APP_TYPE = "django-cloudrun:index:DjangoApp"
SERVICE_TYPE = "gcp:cloudrunv2/service:Service"
JOB_TYPE = "gcp:cloudrunv2/job:Job"
INSTANCE_TYPE = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET_TYPE = "gcp:storage/bucket:Bucket"
REPOSITORY_TYPE = "gcp:artifactregistry/repository:Repository"

State = Literal["started", "done", "failed"]


@dataclass(frozen=True)
class Step:
    """A phase of the command, such as "building the image"."""

    text: str


@dataclass(frozen=True)
class ResourceChange:
    """One resource's operation (create, update, same, delete, replace...) and its state."""

    urn: str
    type: str
    op: str
    state: State
    detail: str = ""

    @property
    def name(self) -> str:
        return name_of(self.urn)

    @property
    def is_job(self) -> bool:
        """A Cloud Run job: creating or updating it runs an execution and waits for it."""
        return self.type == JOB_TYPE


Event = Step | ResourceChange
OnEvent = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An OnEvent for callers that do not show progress."""


def is_grant(type_: str) -> bool:
    """An IAM member resource (gcp:secretmanager/secretIamMember:SecretIamMember, ...)."""
    return type_.lower().endswith("iammember")


def name_of(urn: str) -> str:
    """urn:pulumi:stack::project::type$type::NAME -> NAME."""
    return urn.rsplit("::", 1)[-1]


def short_type(token: str) -> str:
    """'gcp:cloudrunv2/job:Job' -> 'cloudrunv2.Job' (random's: random.RandomPassword)."""
    parts = token.split(":")
    if len(parts) != 3:
        return token
    package, module, name = parts
    module = module.split("/")[0]
    return f"{package if module == 'index' else module}.{name}"
