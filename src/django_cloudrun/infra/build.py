"""Artifact Registry for the image, the build account, and a Cloud Build trigger on GitHub.

Every build of the app runs as its own build account, never as the project's default one:
since 2024 that default may be the Compute Engine account, which holds no roles where
automatic grants are off (https://cloud.google.com/build/docs/cloud-build-service-account-updates).
The build account may read the source archives `deploy` uploads, push to this one repository
and write its logs to Cloud Logging; nothing more. It cannot deploy a revision or act as
the runtime account, so a push to the repository cannot change what the service runs:
only `deploy` does. The same account runs `deploy`'s builds and the GitHub trigger's.

A build that runs as a user-specified account must keep its logs in Cloud Logging or in a
bucket of the user's (https://cloud.google.com/build/docs/securing-builds/configure-user-specified-service-accounts):
deploy's builds and the cloudbuild.yaml that `init` writes both ask for CLOUD_LOGGING_ONLY.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import artifactregistry, cloudbuild, serviceaccount, storage

from ..config import CloudRunConfig, names
from .identity import (
    ARTIFACT_WRITER,
    LOG_WRITER,
    OBJECT_VIEWER,
    Grantee,
    service_account,
)

__all__ = [
    "BUILD_FILE",
    "SOURCE_DAYS",
    "BuildAccount",
    "Builds",
    "before_build",
    "build_account",
    "builds",
    "default_image",
    "image_repository",
    "repository",
]

BUILD_FILE = "cloudbuild.yaml"
SOURCE_DAYS = 7  # a source archive is read once, by the build it was uploaded for
_ACCOUNT = "build"
_SOURCES = "build-sources"


def image_repository(config: CloudRunConfig, project: str) -> str:
    return names.image_repository(config.region, project, config.service_name, config.app_name)


def default_image(config: CloudRunConfig, project: str) -> str:
    """The image a plan shows; deploy passes the digest of the image it built instead."""
    return f"{image_repository(config, project)}:latest"


@dataclass(frozen=True)
class BuildAccount:
    """The account every build of the app runs as, and the bucket deploy uploads sources to.

    A Build request names it in `serviceAccount` (`resource_name`), sets
    `options.logging` to `logging`, and takes its source from `source_bucket`
    (cloudbuild.v1 Build.serviceAccount, BuildOptions.logging, StorageSource.bucket).
    """

    account_id: str
    email: str
    resource_name: str  # projects/PROJECT/serviceAccounts/EMAIL
    source_bucket: str
    logging: str
    roles: tuple[tuple[str, str], ...]  # (role, what it is granted on)


def build_account(config: CloudRunConfig, project: str) -> BuildAccount:
    """What the program creates for builds, as `deploy` needs it before the build starts."""
    account_id = names.account_id(config.service_name, _ACCOUNT)
    email = f"{account_id}@{project}.iam.gserviceaccount.com"
    bucket = names.bucket_name(project, config.service_name, _SOURCES)
    return BuildAccount(
        account_id=account_id,
        email=email,
        resource_name=f"projects/{project}/serviceAccounts/{email}",
        source_bucket=bucket,
        logging="CLOUD_LOGGING_ONLY",
        # What the legacy Cloud Build account used for these steps: storage.objects.get on
        # the sources, pushes to Artifact Registry, logging.logEntries.create
        # (https://cloud.google.com/build/docs/cloud-build-service-account).
        roles=(
            (OBJECT_VIEWER, f"bucket {bucket}"),
            (ARTIFACT_WRITER, f"repository {names.repository_id(config.service_name)}"),
            (LOG_WRITER, f"project {project}"),
        ),
    )


def before_build(name: str) -> list[tuple[str, str]]:
    """(type, name) of each resource a build needs, for an update that targets them only."""
    prefix = f"{name}-build-sa"
    return [
        ("gcp:artifactregistry/repository:Repository", f"{name}-images"),
        ("gcp:serviceaccount/account:Account", prefix),
        ("gcp:storage/bucket:Bucket", f"{name}-{_SOURCES}"),
        ("gcp:storage/bucketIAMMember:BucketIAMMember", f"{prefix}-reads-sources"),
        (
            "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
            f"{prefix}-pushes-images",
        ),
        ("gcp:projects/iAMMember:IAMMember", f"{prefix}-writes-logs"),
    ]


def repository(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    labels: dict[str, str],
    parent: pulumi.Resource,
) -> artifactregistry.Repository:
    return artifactregistry.Repository(
        f"{name}-images",
        artifactregistry.RepositoryArgs(
            project=project,
            location=config.region,
            repository_id=names.repository_id(config.service_name),
            format="DOCKER",
            description=f"Images of {config.service_name}",
            labels=labels,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class Builds:
    """The build account, its grants, the sources bucket and the trigger (if any)."""

    account: serviceaccount.Account
    sources: storage.Bucket
    grants: list[pulumi.Resource]
    trigger: cloudbuild.Trigger | None


def builds(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    images: artifactregistry.Repository,
    labels: dict[str, str],
    parent: pulumi.Resource,
) -> Builds:
    """The account builds run as, what it may use, and the trigger of build.github_repository."""
    spec = build_account(config, project)
    account = service_account(
        f"{name}-build-sa",
        project=project,
        service=config.service_name,
        role=_ACCOUNT,
        purpose=f"Builds the images of {config.service_name} and pushes them; nothing more.",
        parent=parent,
    )
    sources = _sources_bucket(name, config, spec, project=project, labels=labels, parent=parent)
    grants = _build_grants(
        f"{name}-build-sa",
        Grantee(account.member, project, config.region, parent),
        images=images,
        sources=sources,
    )
    trigger = _trigger(name, config, project=project, account=account, grants=grants, parent=parent)
    return Builds(account, sources, grants, trigger)


def _sources_bucket(
    name: str,
    config: CloudRunConfig,
    spec: BuildAccount,
    *,
    project: str,
    labels: dict[str, str],
    parent: pulumi.Resource,
) -> storage.Bucket:
    """Private, in the app's region; archives are deleted after SOURCE_DAYS."""
    return storage.Bucket(
        f"{name}-{_SOURCES}",
        storage.BucketArgs(
            project=project,
            name=spec.source_bucket,
            location=config.region.upper(),
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            # It holds copies of the sources only: destroy removes it with them.
            force_destroy=True,
            lifecycle_rules=[
                storage.BucketLifecycleRuleArgs(
                    action=storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=storage.BucketLifecycleRuleConditionArgs(age=SOURCE_DAYS),
                )
            ],
            labels=labels,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _build_grants(
    prefix: str,
    grantee: Grantee,
    *,
    images: artifactregistry.Repository,
    sources: storage.Bucket,
) -> list[pulumi.Resource]:
    """Read the uploaded sources, push this app's images, write build logs: build_account()."""
    return [
        grantee.on_bucket(f"{prefix}-reads-sources", bucket=sources.name, role=OBJECT_VIEWER),
        grantee.on_repository(
            f"{prefix}-pushes-images", repository=images.repository_id, role=ARTIFACT_WRITER
        ),
        grantee.on_project(f"{prefix}-writes-logs", role=LOG_WRITER),
    ]


def _trigger(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    account: serviceaccount.Account,
    grants: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> cloudbuild.Trigger | None:
    """The trigger of build.github_repository, run as the build account; None without one.

    A 1st-gen GitHub trigger needs the repository connected to the project through the
    Cloud Build GitHub App, or Google refuses it (cloudbuild.v1 BuildTrigger.github); the
    service waits for the trigger, so that refusal leaves the previous revision serving.
    """
    github = config.build.github_repository
    if github is None:
        return None
    owner, repo = github.split("/", 1)
    return cloudbuild.Trigger(
        f"{name}-trigger",
        cloudbuild.TriggerArgs(
            project=project,
            location="global",
            name=f"{config.service_name}-build",
            description=f"Build {config.service_name} on pushes to {github}",
            github=cloudbuild.TriggerGithubArgs(
                owner=owner,
                name=repo,
                push=cloudbuild.TriggerGithubPushArgs(branch=config.build.branch_pattern),
            ),
            # Its options (logging CLOUD_LOGGING_ONLY) are the file's: `filename` and an
            # inline `build` exclude each other (cloudbuild.TriggerArgs).
            filename=BUILD_FILE,
            # projects/PROJECT/serviceAccounts/EMAIL (cloudbuild.v1 BuildTrigger.serviceAccount)
            service_account=account.id,
            include_build_logs="INCLUDE_BUILD_LOGS_WITH_STATUS",
            substitutions={
                "_REGION": config.region,
                "_IMAGE": image_repository(config, project),
                "_SERVICE": config.service_name,
            },
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=grants),
    )
