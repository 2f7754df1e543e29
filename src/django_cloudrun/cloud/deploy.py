"""`deploy`: preflight, what deploy cannot create yet, state, the image, one Pulumi update.

The order inside the update is the program's: db-init runs, then migrate, and only then
does the service get its new revision (each depends on the one before). A failed job
fails the update and leaves the service, and its traffic, as they were.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..config import FILL_IN, names, unfilled
from ..config.topology import SUPERUSER_SECRET, not_deployable_yet
from .clients import Clients
from .errors import PrerequisiteError
from .events import (
    APP_TYPE,
    SERVICE_TYPE,
    Event,
    OnEvent,
    ResourceChange,
    Step,
    ignore,
)
from .failures import explain
from .interfaces import Engine, EngineFailed, StateStore
from .preflight import require
from .stack import CloudTarget, Program

__all__ = [
    "Confirm",
    "Deployment",
    "build_image",
    "check_rules",
    "deploy",
    "ensure_state",
    "password_command",
    "update",
]

# Asks a yes/no question: True, False, or None when there is no terminal to ask on.
Confirm = Callable[[str], bool | None]
LOCAL_STATE = "--backend file://~/.pulumi-state"


@dataclass(frozen=True)
class Deployment:
    service: str
    project: str
    region: str
    image: str
    url: str
    admin_url: str
    username: str
    password_command: str
    public: bool


def password_command(target: CloudTarget) -> str:
    """How to read the superuser's password; the password itself is never printed."""
    secret = names.secret_id(target.service, SUPERUSER_SECRET)
    return f"gcloud secrets versions access latest --secret={secret} --project {target.project}"


def check_rules(target: CloudTarget) -> None:
    """What the configuration asks that deploy cannot give; one line, exit 2.

    The config model's rules (connection budget, backups, FUSE, ...) held when the
    configuration loaded; these are the settings only a deployment refuses.
    """
    unavailable = not_deployable_yet(target.config)
    if unavailable:
        raise PrerequisiteError(
            f"{unavailable[0].setting}: not deployable yet; `django-cloudrun plan` lists what deploy "
            "creates. Remove it from cloudrun.toml to deploy the rest."
        )
    missing = unfilled(target.config)
    if missing:
        keys = ", ".join(f"environment_variables.{name}" for name in missing)
        raise PrerequisiteError(
            f"{keys}: still {FILL_IN!r} in cloudrun.toml; your settings require "
            f"{'them' if len(missing) > 1 else 'it'}: give the real values, then deploy"
        )


def ensure_state(
    state: StateStore, target: CloudTarget, confirm: Confirm, on_event: OnEvent
) -> None:
    """The gs:// state bucket exists, or is created once the user agreed."""
    bucket = target.stack.state_bucket
    if bucket is None or state.bucket_exists(bucket):
        return
    create = (
        f"gcloud storage buckets create gs://{bucket} --project {target.project} "
        f"--location {target.region} --uniform-bucket-level-access"
    )
    answer = confirm(f"Create gs://{bucket} in {target.project} to hold the Pulumi state?")
    if answer is None:
        raise PrerequisiteError(
            f"state bucket gs://{bucket} does not exist; pass --yes to let deploy create it, "
            f"create it with `{create}`, or keep state on this machine with {LOCAL_STATE}"
        )
    if not answer:
        raise PrerequisiteError(
            f"state bucket gs://{bucket} does not exist; create it with `{create}`, or keep "
            f"state on this machine with {LOCAL_STATE}"
        )
    on_event(Step(f"creating the state bucket gs://{bucket}"))
    state.create_bucket(bucket, location=target.region)


def update(
    engine: Engine,
    target: CloudTarget,
    program: Program,
    on_event: OnEvent,
    *,
    targets: Sequence[str] = (),
) -> Mapping[str, Any]:
    """engine.up, its failure explained in one line."""
    service_changed = False

    def watch(event: Event) -> None:
        nonlocal service_changed
        if isinstance(event, ResourceChange) and event.type == SERVICE_TYPE:
            service_changed = service_changed or event.state == "done"
        on_event(event)

    try:
        return engine.up(target.stack, program, watch, targets=targets)
    except EngineFailed as failed:
        raise explain(
            failed, target.config, target.project, service_updated=service_changed
        ) from None


def build_image(target: CloudTarget, clients: Clients, on_event: OnEvent) -> str:
    """The project's image built by Cloud Build and pushed to the app's repository."""
    from ..infra.build import before_build, default_image, image_repository

    dockerfile = target.config.build.dockerfile
    if not (target.project_dir / dockerfile).is_file():
        named = "" if dockerfile == "Dockerfile" else " (build.dockerfile in cloudrun.toml)"
        raise PrerequisiteError(
            f"no {dockerfile}{named} in {target.project_dir}: write one with "
            "`django-cloudrun init`, or pass --image with an image you built"
        )
    # The repository and the build account are part of the stack: create them (and only
    # them) before the build pushes to the one as the other.
    on_event(Step("creating the image repository and the build account"))
    stack, service = target.stack, target.service
    update(
        clients.engine,
        target,
        Program(target.config, default_image(target.config, target.project)),
        on_event,
        targets=[
            stack.urn(APP_TYPE, service),
            *(stack.urn(type_, name) for type_, name in before_build(service)),
        ],
    )
    tag = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    image = f"{image_repository(target.config, target.project)}:{tag}"
    on_event(Step(f"building {image} with Cloud Build"))
    built = clients.builder.build(target.project_dir, image, on_event, dockerfile=dockerfile)
    on_event(Step(f"built {built}"))
    return built


def deploy(
    target: CloudTarget,
    clients: Clients,
    *,
    image: str | None = None,
    confirm: Confirm = lambda question: None,
    on_event: OnEvent = ignore,
    environ: Mapping[str, str] = os.environ,
) -> Deployment:
    """Everything in order; raises CloudError (or PrerequisiteError) with one line."""
    require(clients.probe, target, environ=environ)
    check_rules(target)
    ensure_state(clients.state, target, confirm, on_event)
    if image is None:
        image = build_image(target, clients, on_event)
    on_event(Step(f"deploying {image}: db-init, migrate, then the new revision"))
    # db-init and migrate run on every deployment, the seed's contract: a release unique to
    # this deployment gives the jobs a new execution token even when the image and the
    # configuration are those of an earlier one (a rollback, or a retry after a failure).
    release = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    program = Program(target.config, image, release=release)
    outputs = update(clients.engine, target, program, on_event)
    url = str(outputs.get("url", ""))
    return Deployment(
        service=target.service,
        project=target.project,
        region=target.region,
        image=image,
        url=url,
        admin_url=f"{url.rstrip('/')}/admin/",
        username=target.config.superuser.username,
        password_command=password_command(target),
        public=target.config.public,
    )
