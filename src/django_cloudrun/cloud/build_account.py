"""The account deploy's Cloud Build runs as, and its roles, each on the narrowest resource.

Without one, a build runs as the project's default build account, which in projects made
since mid-2024 is the Compute Engine default account, holding no role where the
organization turned automatic grants off: the build can then neither read its sources, push
the image nor write its logs (https://cloud.google.com/build/docs/cloud-build-service-account-updates).
Ours, `SERVICE-build` (the trigger's too), may read the uploaded context, push to the app's
repository and write logs, nothing more
(https://cloud.google.com/build/docs/securing-builds/configure-user-specified-service-accounts).
The Pulumi program creates it and its grants; deploy builds as it, doctor checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import names
from .interfaces import Iam, IamResource
from .stack import CloudTarget

__all__ = [
    "BuildAccount",
    "Grant",
    "build_account",
    "grant_command",
    "grants",
    "missing_grants",
]


@dataclass(frozen=True)
class BuildAccount:
    project: str
    account: str  # the id, SERVICE-build
    email: str

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.email}"

    @property
    def resource_name(self) -> str:
        """How a build request names it (cloudbuild v1 Build.serviceAccount)."""
        return f"projects/{self.project}/serviceAccounts/{self.email}"


@dataclass(frozen=True)
class Grant:
    role: str
    resource: IamResource


def build_account(target: CloudTarget) -> BuildAccount:
    account = names.build_account_id(target.service)
    return BuildAccount(target.project, account, names.account_email(target.project, account))


def grants(target: CloudTarget) -> list[Grant]:
    """Read the context deploy uploads, push to the app's repository, write build logs."""
    from ..infra.identity import ARTIFACT_WRITER, LOG_WRITER, OBJECT_VIEWER

    project, service = target.project, target.service
    repository = (
        f"projects/{project}/locations/{target.region}/repositories/{names.repository_id(service)}"
    )
    return [
        Grant(OBJECT_VIEWER, IamResource("bucket", names.build_sources_bucket(project, service))),
        Grant(ARTIFACT_WRITER, IamResource("repository", repository)),
        Grant(LOG_WRITER, IamResource("project", project)),
    ]


def missing_grants(iam: Iam, target: CloudTarget) -> list[Grant]:
    member = build_account(target).member
    return [
        grant for grant in grants(target) if grant.role not in iam.roles(member, grant.resource)
    ]


def grant_command(grant: Grant, member: str, project: str) -> str:
    """The gcloud command that adds `grant` for `member`."""
    role = f"--member={member} --role={grant.role}"
    resource = grant.resource
    if resource.kind == "bucket":
        return f"gcloud storage buckets add-iam-policy-binding gs://{resource.name} {role}"
    if resource.kind == "repository":
        _, _, _, location, _, repository = resource.name.split("/")
        return (
            f"gcloud artifacts repositories add-iam-policy-binding {repository} "
            f"--location={location} --project={project} {role}"
        )
    return f"gcloud projects add-iam-policy-binding {resource.name} {role}"
