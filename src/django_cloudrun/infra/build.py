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
    grant_account,
    grant_project,
    grant_repository,
    grant_service,
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
    grants: list[pulumi.Resource]


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
    prefix = f"{name}-build-sa"
    grants: list[pulumi.Resource] = [
        grant_account(
            f"{prefix}-acts-as-runtime",
            account=runtime_account.name,
            role=ACCOUNT_USER,
            member=account.member,
            parent=parent,
        ),
        grant_service(
            f"{prefix}-run-developer",
            project=project,
            region=config.region,
            service=service.name,
            role=RUN_DEVELOPER,
            member=account.member,
            parent=parent,
        ),
        grant_repository(
            f"{prefix}-pushes-images",
            project=project,
            region=config.region,
            repository=images.repository_id,
            role=ARTIFACT_WRITER,
            member=account.member,
            parent=parent,
        ),
        grant_project(
            f"{prefix}-writes-logs",
            project=project,
            role=LOG_WRITER,
            member=account.member,
            parent=parent,
        ),
    ]
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
    return Trigger(account, build_trigger, grants)
