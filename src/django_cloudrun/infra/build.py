"""Artifact Registry for the image, and a Cloud Build trigger on the GitHub repository.

The trigger runs the project's cloudbuild.yaml (written by `init`) as a dedicated build
account. That account may act as the runtime account and deploy revisions of this one
service (run.developer on the service, not the project); to do its job it may also push
to this one repository and write its build logs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import artifactregistry, cloudbuild, cloudrunv2, serviceaccount

from ..config import CloudRunConfig, names
from .identity import (
    ACCOUNT_USER,
    ARTIFACT_WRITER,
    LOG_WRITER,
    RUN_DEVELOPER,
    Grantee,
    service_account,
)

__all__ = ["BUILD_FILE", "Trigger", "default_image", "image_repository", "repository", "trigger"]

BUILD_FILE = "cloudbuild.yaml"


def image_repository(config: CloudRunConfig, project: str) -> str:
    return names.image_repository(config.region, project, config.service_name, config.app_name)


def default_image(config: CloudRunConfig, project: str) -> str:
    """The image a plan shows; deploy passes the digest of the image it built instead."""
    return f"{image_repository(config, project)}:latest"


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
class Trigger:
    account: serviceaccount.Account
    trigger: cloudbuild.Trigger


def trigger(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    images: artifactregistry.Repository,
    runtime_account: serviceaccount.Account,
    service: cloudrunv2.Service,
    parent: pulumi.Resource,
) -> Trigger | None:
    """The trigger and its account, when build.github_repository is set."""
    github = config.build.github_repository
    if github is None:
        return None
    owner, repo = github.split("/", 1)
    account = service_account(
        f"{name}-build-sa",
        project=project,
        service=config.service_name,
        role="build",
        purpose=f"Builds and deploys {config.service_name} from {github}.",
        parent=parent,
    )
    grants = _build_grants(
        f"{name}-build-sa",
        Grantee(account.member, project, config.region, parent),
        images=images,
        runtime_account=runtime_account,
        service=service,
    )
    build_trigger = cloudbuild.Trigger(
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
            filename=BUILD_FILE,
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
    return Trigger(account, build_trigger)


def _build_grants(
    prefix: str,
    grantee: Grantee,
    *,
    images: artifactregistry.Repository,
    runtime_account: serviceaccount.Account,
    service: cloudrunv2.Service,
) -> list[pulumi.Resource]:
    """Act as the runtime account, deploy this one service, push its images, write logs."""
    return [
        grantee.on_account(
            f"{prefix}-acts-as-runtime", account=runtime_account.name, role=ACCOUNT_USER
        ),
        grantee.on_service(f"{prefix}-run-developer", service=service.name, role=RUN_DEVELOPER),
        grantee.on_repository(
            f"{prefix}-pushes-images", repository=images.repository_id, role=ARTIFACT_WRITER
        ),
        grantee.on_project(f"{prefix}-writes-logs", role=LOG_WRITER),
    ]
