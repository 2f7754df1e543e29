"""Service accounts and the IAM members granted to them, each on the narrowest resource.

Every grant is a *Member resource (additive, one member and one role), never a policy or a
binding, so nothing here can remove access someone else granted.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import (
    artifactregistry,
    cloudrunv2,
    projects,
    secretmanager,
    serviceaccount,
    storage,
)

from ..config.names import account_id

__all__ = [
    "ARTIFACT_WRITER",
    "BUCKET_READER",
    "CLOUDSQL_CLIENT",
    "CLOUDTRACE_AGENT",
    "INVOKER",
    "LOG_WRITER",
    "OBJECT_ADMIN",
    "OBJECT_VIEWER",
    "SECRET_ACCESSOR",
    "TOKEN_CREATOR",
    "Grantee",
    "service_account",
]

CLOUDSQL_CLIENT = "roles/cloudsql.client"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
OBJECT_ADMIN = "roles/storage.objectAdmin"
OBJECT_VIEWER = "roles/storage.objectViewer"
BUCKET_READER = "roles/storage.legacyBucketReader"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
INVOKER = "roles/run.invoker"
ARTIFACT_WRITER = "roles/artifactregistry.writer"
LOG_WRITER = "roles/logging.logWriter"
CLOUDTRACE_AGENT = "roles/cloudtrace.agent"


def service_account(
    name: str, *, project: str, service: str, role: str, purpose: str, parent: pulumi.Resource
) -> serviceaccount.Account:
    """A dedicated account, such as demo-django-run for the service named demo-django."""
    return serviceaccount.Account(
        name,
        serviceaccount.AccountArgs(
            project=project,
            account_id=account_id(service, role),
            display_name=f"{service} {role}",
            description=purpose,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class Grantee:
    """An IAM member granted roles on resources of one project and region, by one component.

    Each method adds `role` for the member on one resource, as the resource named `name`, a
    child of `parent`.
    """

    member: pulumi.Input[str]  # serviceAccount:EMAIL
    project: str
    region: str
    parent: pulumi.Resource

    @property
    def _opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)

    def on_project(self, name: str, *, role: str) -> projects.IAMMember:
        args = projects.IAMMemberArgs(project=self.project, role=role, member=self.member)
        return projects.IAMMember(name, args, opts=self._opts)

    def on_secret(self, name: str, *, secret: pulumi.Input[str]) -> secretmanager.SecretIamMember:
        """May read the secret's versions: the one role a secret is granted here."""
        args = secretmanager.SecretIamMemberArgs(
            project=self.project, secret_id=secret, role=SECRET_ACCESSOR, member=self.member
        )
        return secretmanager.SecretIamMember(name, args, opts=self._opts)

    def on_bucket(
        self, name: str, *, bucket: pulumi.Input[str], role: str
    ) -> storage.BucketIAMMember:
        args = storage.BucketIAMMemberArgs(bucket=bucket, role=role, member=self.member)
        return storage.BucketIAMMember(name, args, opts=self._opts)

    def on_account(
        self, name: str, *, account: pulumi.Input[str], role: str
    ) -> serviceaccount.IAMMember:
        """`role` on the service account `account` (projects/P/serviceAccounts/E)."""
        args = serviceaccount.IAMMemberArgs(
            service_account_id=account, role=role, member=self.member
        )
        return serviceaccount.IAMMember(name, args, opts=self._opts)

    def on_service(
        self, name: str, *, service: pulumi.Input[str], role: str
    ) -> cloudrunv2.ServiceIamMember:
        args = cloudrunv2.ServiceIamMemberArgs(
            project=self.project, location=self.region, name=service, role=role, member=self.member
        )
        return cloudrunv2.ServiceIamMember(name, args, opts=self._opts)

    def on_job(self, name: str, *, job: pulumi.Input[str], role: str) -> cloudrunv2.JobIamMember:
        args = cloudrunv2.JobIamMemberArgs(
            project=self.project, location=self.region, name=job, role=role, member=self.member
        )
        return cloudrunv2.JobIamMember(name, args, opts=self._opts)

    def on_repository(
        self, name: str, *, repository: pulumi.Input[str], role: str
    ) -> artifactregistry.RepositoryIamMember:
        args = artifactregistry.RepositoryIamMemberArgs(
            project=self.project,
            location=self.region,
            repository=repository,
            role=role,
            member=self.member,
        )
        return artifactregistry.RepositoryIamMember(name, args, opts=self._opts)
