"""`deploy`: preflight, what deploy cannot create yet, state, the image, one Pulumi update.

The image is built by Cloud Build as the app's build account. The order inside the update
is the program's: db-init runs, then migrate, and only then does the service get its new
revision (each depends on the one before). A failed job fails the update and leaves the
service, and its traffic, as they were. A build or an update denied access right after it
made new grants is tried again while they take effect (propagation.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..config import FILL_IN, CloudRunConfig, names, unfilled
from ..config.topology import SUPERUSER_SECRET
from .clients import Clients
from .errors import CloudError, PrerequisiteError
from .events import (
    APP_TYPE,
    JOB_TYPE,
    SERVICE_TYPE,
    Event,
    OnEvent,
    ResourceChange,
    Step,
    ignore,
    is_grant,
)
from .failures import cloud_job_name, explain
from .interfaces import Engine, EngineFailed, Logs, StateStore
from .observe import job_filter
from .preflight import require
from .propagation import Denial, propagation_denial, retry_while_propagating
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
JOB_ERROR_LINES = 20  # of a failed job's log, read for the reason of its failure
GRANTING = frozenset({"create", "update", "replace", "create-replacement"})  # engine ops


@dataclass(frozen=True)
class DnsRecord:
    """A record the user creates at their DNS provider: the load balancer cannot."""

    name: str
    type: str  # A or AAAA
    value: str


# The record type of each address version of the load balancer.
RECORD_TYPES = {"ipv4": "A", "ipv6": "AAAA"}


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
    dns_records: tuple[DnsRecord, ...] = ()


def dns_records(config: CloudRunConfig, outputs: Mapping[str, Any]) -> tuple[DnsRecord, ...]:
    """An A and an AAAA record per custom domain, to the load balancer's addresses.

    Google issues the managed certificate only once every domain resolves to the load
    balancer (https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs).
    """
    from ..infra.program import EDGE_ADDRESS_PREFIX

    addresses = {
        version: str(outputs[f"{EDGE_ADDRESS_PREFIX}{version}"])
        for version in RECORD_TYPES
        if outputs.get(f"{EDGE_ADDRESS_PREFIX}{version}")
    }
    return tuple(
        DnsRecord(domain, RECORD_TYPES[version], address)
        for domain in config.custom_domains
        for version, address in addresses.items()
    )


def password_command(target: CloudTarget) -> str:
    """How to read the superuser's password; the password itself is never printed."""
    secret = names.secret_id(target.service, SUPERUSER_SECRET)
    return f"gcloud secrets versions access latest --secret={secret} --project {target.project}"


def check_rules(target: CloudTarget) -> None:
    """What the configuration asks that deploy cannot give; one line, exit 2.

    The config model's rules (connection budget, backups, FUSE, ...) held when the
    configuration loaded; what is left are values the user has yet to fill in.
    """
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


class _Watch:
    """Passes events on, noting whether the service got its new revision and whether a
    grant was made (whose denial, just after, may only be IAM propagation)."""

    def __init__(self, on_event: OnEvent) -> None:
        self.on_event = on_event
        self.service_changed = False
        self.granted = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, ResourceChange) and event.state == "done":
            self.service_changed = self.service_changed or event.type == SERVICE_TYPE
            self.granted = self.granted or (is_grant(event.type) and event.op in GRANTING)
        self.on_event(event)


def _engine_denial(target: CloudTarget, logs: Logs | None, since: datetime) -> Denial:
    """A denial of the runtime account's secrets or Cloud SQL, by a job or the revision.

    Cloud Run names a denied secret in the failure itself; a denied Cloud SQL connection
    only ends the job's container with an error, its reason in the job's log since `since`.
    """

    def denial(error: CloudError) -> tuple[str, str] | None:
        if not isinstance(error, EngineFailed):
            return None
        for failure in error.failures:
            if failure.type not in (JOB_TYPE, SERVICE_TYPE):
                continue  # only they run as the runtime account
            texts = [failure.message]
            if failure.type == JOB_TYPE and logs is not None:
                job = cloud_job_name(failure, target.config)
                texts += _job_errors(logs, job, since)
            for text in texts:
                what = propagation_denial(text)
                if what is not None:
                    return f"the runtime account's {what}", text
        return None

    return denial


def _job_errors(logs: Logs, job: str, since: datetime) -> list[str]:
    """The job's error lines since `since`; none when they cannot be read."""
    wanted = f'{job_filter(job)} AND severity>=ERROR AND timestamp>="{since.isoformat()}"'
    try:
        return [line.message for line in logs.read(wanted, limit=JOB_ERROR_LINES)]
    except CloudError:
        return []  # the failure is explained without them


def update(
    engine: Engine,
    target: CloudTarget,
    program: Program,
    on_event: OnEvent,
    *,
    targets: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
    logs: Logs | None = None,
) -> Mapping[str, Any]:
    """engine.up, retried while new grants take effect (`logs` tells why a job failed), its
    failure explained in one line."""
    watch = _Watch(on_event)
    try:
        return retry_while_propagating(
            lambda: engine.up(target.stack, program, watch, targets=targets),
            _engine_denial(target, logs, datetime.now(UTC)),
            granted=lambda: watch.granted,
            sleep=sleep,
            on_event=on_event,
        )
    except EngineFailed as failed:
        raise explain(
            failed, target.config, target.project, service_updated=watch.service_changed
        ) from None


def _build_denial(error: CloudError) -> tuple[str, str] | None:
    what = propagation_denial(error.message)
    return None if what is None else (what, error.message)


def build_image(target: CloudTarget, clients: Clients, on_event: OnEvent) -> str:
    """The project's image built by Cloud Build and pushed to the app's repository."""
    from ..infra.build import before_build, build_account, default_image, image_repository

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
    watch = _Watch(on_event)
    update(
        clients.engine,
        target,
        Program(target.config, default_image(target.config, target.project)),
        watch,
        targets=[
            stack.urn(APP_TYPE, service),
            *(stack.urn(type_, name) for type_, name in before_build(service)),
        ],
        sleep=clients.sleep,
    )
    account = build_account(target.config, target.project)
    tag = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    image = f"{image_repository(target.config, target.project)}:{tag}"
    on_event(Step(f"building {image} with Cloud Build as {account.email}"))
    # The build account's grants, when that update made them, may not be in effect yet.
    built = retry_while_propagating(
        lambda: clients.builder.build(
            target.project_dir,
            image,
            on_event,
            bucket=account.source_bucket,
            service_account=account.resource_name,
            dockerfile=dockerfile,
        ),
        _build_denial,
        granted=lambda: watch.granted,
        sleep=clients.sleep,
        on_event=on_event,
    )
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
    outputs = update(
        clients.engine, target, program, on_event, sleep=clients.sleep, logs=clients.logs
    )
    config = target.config
    # Behind a load balancer the run.app URL admits only the load balancer: browsers use
    # the first custom domain.
    url = (
        f"https://{config.custom_domains[0]}"
        if config.load_balanced
        else str(outputs.get("url", ""))
    )
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
        dns_records=dns_records(config, outputs),
    )
