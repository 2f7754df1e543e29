"""Service accounts and the IAM members granted to them, each on the narrowest resource.

Every grant is a *Member resource (additive, one member and one role), never a policy or a
binding, so nothing here can remove access someone else granted.
"""

from __future__ import annotations

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
    "ACCOUNT_USER",
    "ARTIFACT_WRITER",
    "BUCKET_READER",
    "CLOUDSQL_CLIENT",
    "CLOUDTRACE_AGENT",
    "INVOKER",
    "LOG_WRITER",
    "OBJECT_ADMIN",
    "OBJECT_VIEWER",
    "RUN_DEVELOPER",
    "SECRET_ACCESSOR",
    "TOKEN_CREATOR",
    "grant_account",
    "grant_bucket",
    "grant_job",
    "grant_project",
    "grant_repository",
    "grant_secret",
    "grant_service",
    "service_account",
]

CLOUDSQL_CLIENT = "roles/cloudsql.client"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
OBJECT_ADMIN = "roles/storage.objectAdmin"
OBJECT_VIEWER = "roles/storage.objectViewer"
BUCKET_READER = "roles/storage.legacyBucketReader"
ACCOUNT_USER = "roles/iam.serviceAccountUser"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
RUN_DEVELOPER = "roles/run.developer"
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


def _opts(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent)


def grant_project(
    name: str, *, project: str, role: str, member: pulumi.Input[str], parent: pulumi.Resource
) -> projects.IAMMember:
    return projects.IAMMember(
        name, projects.IAMMemberArgs(project=project, role=role, member=member), opts=_opts(parent)
    )


def grant_secret(
    name: str,
    *,
    project: str,
    secret: pulumi.Input[str],
    member: pulumi.Input[str],
    parent: pulumi.Resource,
) -> secretmanager.SecretIamMember:
    return secretmanager.SecretIamMember(
        name,
        secretmanager.SecretIamMemberArgs(
            project=project, secret_id=secret, role=SECRET_ACCESSOR, member=member
        ),
        opts=_opts(parent),
    )


def grant_bucket(
    name: str,
    *,
    bucket: pulumi.Input[str],
    role: str,
    member: pulumi.Input[str],
    parent: pulumi.Resource,
) -> storage.BucketIAMMember:
    return storage.BucketIAMMember(
        name,
        storage.BucketIAMMemberArgs(bucket=bucket, role=role, member=member),
        opts=_opts(parent),
    )


def grant_account(
    name: str,
    *,
    account: pulumi.Input[str],
    role: str,
    member: pulumi.Input[str],
    parent: pulumi.Resource,
) -> serviceaccount.IAMMember:
    """`member` gets `role` on the service account `account` (projects/P/serviceAccounts/E)."""
    return serviceaccount.IAMMember(
        name,
        serviceaccount.IAMMemberArgs(service_account_id=account, role=role, member=member),
        opts=_opts(parent),
    )


def grant_service(
    name: str,
    *,
    project: str,
    region: str,
    service: pulumi.Input[str],
    role: str,
    member: pulumi.Input[str],
    parent: pulumi.Resource,
) -> cloudrunv2.ServiceIamMember:
    return cloudrunv2.ServiceIamMember(
        name,
        cloudrunv2.ServiceIamMemberArgs(
            project=project, location=region, name=service, role=role, member=member
        ),
        opts=_opts(parent),
    )


def grant_job(
    name: str,
    *,
    project: str,
    region: str,
    job: pulumi.Input[str],
    role: str,
    member: pulumi.Input[str],
    parent: pulumi.Resource,
) -> cloudrunv2.JobIamMember:
    return cloudrunv2.JobIamMember(
        name,
        cloudrunv2.JobIamMemberArgs(
            project=project, location=region, name=job, role=role, member=member
        ),
        opts=_opts(parent),
    )


def grant_repository(
    name: str,
    *,
    project: str,
    region: str,
    repository: pulumi.Input[str],
    role: str,
    member: pulumi.Input[str],
    parent: pulumi.Resource,
) -> artifactregistry.RepositoryIamMember:
    return artifactregistry.RepositoryIamMember(
        name,
        artifactregistry.RepositoryIamMemberArgs(
            project=project, location=region, repository=repository, role=role, member=member
        ),
        opts=_opts(parent),
    )
