"""The two CI files init writes; a project uses one of them.

Both build the image and push it to the Artifact Registry repository the IaC creates
({region}-docker.pkg.dev/{project}/{service}/{app}:{commit}). Only the IaC changes the
service: the GitHub workflow then runs `django-cloudrun deploy --image` as a deployer
identity, while the Cloud Build trigger's account, which may only push images, stops at the
push and someone runs `deploy --image` with the result.
"""

from __future__ import annotations

import re

from .. import __version__
from ..config import CloudRunConfig, names
from .render import fill
from .source import INDEX, Source

__all__ = [
    "CI_PYTHON",
    "PULUMI_VERSION",
    "WORKFLOW_ACTIONS",
    "cloudbuild",
    "image_repository",
    "workflow",
]

PULUMI_VERSION = "3.206.0"
CI_PYTHON = "3.12"  # runs the deploy command, not the app: any supported version does
# Pinned to commits: a tag can be moved, a commit cannot.
WORKFLOW_ACTIONS = {
    "checkout": "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0",
    "auth": "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v3.0.0",
    "python": "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0",
    "pulumi": "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0",
}

_PROJECT_VARIABLE = """
#   GCP_PROJECT_ID                  the project id (or set project_id in cloudrun.toml and
#                                   run init again)"""

_CLOUDBUILD = """\
# Cloud Build: build the image and push it to Artifact Registry. Written by
# `django-cloudrun init`. Set build.github_repository in cloudrun.toml and deploy: the trigger
# it creates runs this file on every push, with these substitutions. The trigger's account
# may push images and nothing more, so it never changes the service behind the IaC's back;
# deploy what it pushed with `django-cloudrun deploy --image IMAGE:COMMIT_SHA`. By hand:
#   gcloud builds submit --config cloudbuild.yaml --substitutions COMMIT_SHA=$(git rev-parse HEAD)
substitutions:
  _REGION: @REGION@
  _SERVICE: @SERVICE@
  _IMAGE: ${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_SERVICE}/@APP@
options:
  dynamicSubstitutions: true
  logging: CLOUD_LOGGING_ONLY
timeout: 3600s
steps:
  - id: build
    name: gcr.io/cloud-builders/docker
    args: ["build", "--file", "@DOCKERFILE@", "--tag", "@IMAGE@", "."]
  - id: push
    name: gcr.io/cloud-builders/docker
    args: ["push", "@IMAGE@"]
images: ["@IMAGE@"]
"""

_WORKFLOW = """\
# GitHub Actions: on every push to @BRANCH@, build the image, push it to Artifact Registry and
# deploy it with django-cloudrun. Written by `django-cloudrun init`.
#
# It signs in to Google Cloud with Workload Identity Federation: no key file. Set these
# repository variables (Settings > Secrets and variables > Actions > Variables); until
# GCP_WORKLOAD_IDENTITY_PROVIDER is set, the job is skipped:
#   GCP_WORKLOAD_IDENTITY_PROVIDER  projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER
#   GCP_SERVICE_ACCOUNT             the deployer's service account email@PROJECT_VARIABLE_HELP@
name: Deploy to Cloud Run

on:
  push:
    branches: [@BRANCH@]
  workflow_dispatch:

permissions:
  contents: read
  id-token: write

concurrency:
  group: deploy-@SERVICE@
  cancel-in-progress: false

env:
  REGION: @REGION@
  IMAGE: @REPOSITORY@:${{ github.sha }}

jobs:
  deploy:
    if: vars.GCP_WORKLOAD_IDENTITY_PROVIDER != ''
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    steps:
      - uses: @CHECKOUT@
        with:
          persist-credentials: false
      - id: auth
        uses: @AUTH@
        with:
          workload_identity_provider: ${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}
          service_account: ${{ vars.GCP_SERVICE_ACCOUNT }}
          token_format: access_token
      - name: Log in to Artifact Registry
        env:
          ACCESS_TOKEN: ${{ steps.auth.outputs.access_token }}
        run: >-
          printf '%s' "$ACCESS_TOKEN" |
          docker login --username oauth2accesstoken --password-stdin "https://$REGION-docker.pkg.dev"
      - name: Build and push the image
        run: |
          docker build --file @DOCKERFILE@ --tag "$IMAGE" .
          docker push "$IMAGE"
      - uses: @PYTHON@
        with:
          python-version: "@CI_PYTHON@"
      - uses: @PULUMI@
        with:
          pulumi-version: @PULUMI_VERSION@
      - name: Deploy
        env:
          # Only for a passphrase secrets provider; unused with Cloud KMS.
          PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
        run: |
          python -m pip install --quiet "@INSTALL@"
          django-cloudrun deploy --image "$IMAGE"
"""


def image_repository(config: CloudRunConfig, project: str) -> str:
    return names.image_repository(config.region, project, config.service_name, config.app_name)


def cloudbuild(config: CloudRunConfig) -> str:
    return fill(
        _CLOUDBUILD,
        REGION=config.region,
        SERVICE=config.service_name,
        APP=config.app_name,
        IMAGE="${_IMAGE}:$COMMIT_SHA",
        DOCKERFILE=config.build.dockerfile,
    )


def workflow(config: CloudRunConfig, source: Source = INDEX) -> str:
    project = config.project_id
    known = project is not None
    return fill(
        _WORKFLOW,
        BRANCH=branch(config.build.branch_pattern),
        PROJECT_VARIABLE_HELP="" if known else _PROJECT_VARIABLE,
        SERVICE=config.service_name,
        REGION=config.region,
        REPOSITORY=image_repository(config, project or "${{ vars.GCP_PROJECT_ID }}"),
        CHECKOUT=WORKFLOW_ACTIONS["checkout"],
        AUTH=WORKFLOW_ACTIONS["auth"],
        PYTHON=WORKFLOW_ACTIONS["python"],
        PULUMI=WORKFLOW_ACTIONS["pulumi"],
        CI_PYTHON=CI_PYTHON,
        PULUMI_VERSION=PULUMI_VERSION,
        INSTALL=(
            f"./{source.wheel}[deploy]"
            if source.wheel
            else f"django-cloudrun[deploy]=={__version__}"
        ),
        DOCKERFILE=config.build.dockerfile,
    )


def branch(pattern: str) -> str:
    """The branch a build.branch_pattern such as ^main$ names; main if it is a real regex."""
    match = re.fullmatch(r"\^([A-Za-z0-9._/-]+)\$", pattern)
    return match[1] if match else "main"
