"""What must be true before a deployment can start, each check with the command that fixes it.

`checks` yields them in order, lazily: `deploy` stops at the first failure (one line, exit
2), `doctor` shows them all. Checks that need credentials are skipped without them.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass

from ..config import CloudRunConfig
from .errors import ADC_LOGIN, NO_CREDENTIALS, CloudError, PrerequisiteError
from .interfaces import PrerequisiteProbe, ProjectInfo, StateStore
from .stack import PASSPHRASE, PASSPHRASE_VARIABLES, CloudTarget

__all__ = [
    "BASE_APIS",
    "PROJECT_READERS",
    "PULUMI_INSTALL",
    "Check",
    "checks",
    "enable_command",
    "require",
    "required_apis",
]

PULUMI_INSTALL = "curl -fsSL https://get.pulumi.com | sh"
# What preflight itself reads the project through: Resource Manager (the project) and Cloud
# Billing (its billing account). Checked first, so that one of them disabled reads as such
# and not as "project not found".
PROJECT_READERS = ("cloudresourcemanager", "cloudbilling")
# Services every deployment creates resources in or calls: Cloud Run, Cloud SQL, Secret
# Manager, Artifact Registry and IAM (the resources); Cloud Build (the image, built as its own
# account, which logs to Cloud Logging only); Cloud Storage (the media bucket, the build
# context, a gs:// state backend); Monitoring (uptime check and alerts).
BASE_APIS = (
    *PROJECT_READERS,
    "run",
    "sqladmin",
    "secretmanager",
    "artifactregistry",
    "cloudbuild",
    "iam",
    "storage",
    "logging",
    "monitoring",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not checked, because a check it needs failed
    detail: str
    fix: str = ""  # a command to run

    @property
    def problem(self) -> str:
        """The failure on one line, with its fix."""
        return f"{self.detail}; run `{self.fix}`" if self.fix else self.detail


def required_apis(config: CloudRunConfig) -> list[str]:
    """Every API the configuration needs enabled: preflight and doctor check these.

    Each product's "Before you begin" names its API:
    https://cloud.google.com/run/docs/configuring/vpc-connectors (vpcaccess),
    https://cloud.google.com/run/docs/configuring/vpc-direct-vpc (compute),
    https://cloud.google.com/sql/docs/postgres/configure-private-services-access
    (servicenetworking, compute), https://cloud.google.com/trace/docs/setup (cloudtrace),
    https://cloud.google.com/scheduler/docs/setup (cloudscheduler),
    https://cloud.google.com/memorystore/docs/redis/create-manage-instances (redis, for the
    worker's broker),
    https://cloud.google.com/load-balancing/docs/https/setup-global-ext-https-serverless
    (compute: the load balancer and Cloud Armor are Compute Engine resources). media.mode = "api" signs
    URLs as the runtime account, which has no key on Cloud Run: the signature comes from the
    IAM Service Account Credentials API (iamcredentials v1 projects.serviceAccounts.signBlob;
    https://cloud.google.com/storage/docs/access-control/signed-urls).
    """
    apis = list(BASE_APIS)
    if config.vpc.mode == "connector":
        apis.append("vpcaccess")
    if config.vpc.mode == "direct" or config.database.private_ip or config.load_balanced:
        apis.append("compute")
    if config.database.private_ip:
        apis.append("servicenetworking")
    if config.media.mode == "api":
        apis.append("iamcredentials")
    if config.tracing.enabled:
        apis.append("cloudtrace")
    if config.cron:
        apis.append("cloudscheduler")
    if config.worker.enable_worker:
        apis.append("redis")
    return [_service(api) for api in apis]


def _service(api: str) -> str:
    return f"{api}.googleapis.com"


def enable_command(apis: list[str], project: str) -> str:
    return f"gcloud services enable {' '.join(apis)} --project {project}"


def checks(
    probe: PrerequisiteProbe,
    target: CloudTarget,
    *,
    state: StateStore | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Iterator[Check]:
    """Each check in order; with `state`, also whether the state bucket exists yet."""
    cli = probe.pulumi_cli()
    if cli:
        yield Check("Pulumi CLI", True, cli)
    else:
        yield Check("Pulumi CLI", False, "Pulumi CLI not found on PATH", PULUMI_INSTALL)
    problem = probe.credentials_problem()
    if problem is None:
        yield Check("Google credentials", True, "Application Default Credentials")
    else:
        reason = problem.rstrip(".")
        yield Check("Google credentials", False, f"{NO_CREDENTIALS}: {reason}", ADC_LOGIN)
    yield _secrets(target, environ)
    if problem is not None:
        for name in ("Project", "Billing", "APIs"):
            yield Check(name, None, "not checked: needs Google credentials")
        return
    found = yield from _project_checks(probe, target)
    if found and state is not None and target.stack.state_bucket is not None:
        yield _state(state, target)


def _project_checks(probe: PrerequisiteProbe, target: CloudTarget) -> Generator[Check, None, bool]:
    """The project, its billing and its APIs; Service Usage first, so that an API preflight
    reads the project through, when disabled, is named as such. False: no project to read."""
    project = target.project
    wanted = required_apis(target.config)
    enabled = _enabled(probe, project, wanted)
    readers = [_service(api) for api in PROJECT_READERS]
    unreadable = [api for api in readers if isinstance(enabled, set) and api not in enabled]
    readable = not unreadable
    if unreadable:
        yield Check(
            "Project",
            False,
            f"{', '.join(unreadable)} not enabled on project {project}, so the project "
            "cannot be read",
            enable_command(unreadable, project),
        )
        yield Check("Billing", None, "not checked: needs the project")
    else:
        try:
            info = probe.project(project)
        except CloudError as error:
            yield Check("Project", False, error.message)
            return False
        yield _project(info, project)
        if not info.exists:
            return False
        yield _billing(info, project)
    yield _apis(enabled, wanted, project)
    return readable


def _enabled(probe: PrerequisiteProbe, project: str, wanted: list[str]) -> set[str] | CloudError:
    """The APIs of `wanted` enabled, or why Service Usage could not tell."""
    try:
        return probe.enabled_apis(project, wanted)
    except CloudError as error:
        return error


def _project(info: ProjectInfo, project: str) -> Check:
    if not info.exists:
        return Check(
            "Project",
            False,
            f"project {project} not found, or not visible to your credentials "
            "(check project_id in cloudrun.toml)",
            "gcloud projects list",
        )
    return Check("Project", True, project)


def _billing(info: ProjectInfo, project: str) -> Check:
    if info.billing_enabled:
        return Check("Billing", True, "enabled")
    return Check(
        "Billing",
        False,
        f"billing is not enabled on project {project} "
        "(`gcloud billing accounts list` shows your accounts)",
        f"gcloud billing projects link {project} --billing-account=ACCOUNT_ID",
    )


def _secrets(target: CloudTarget, environ: Mapping[str, str]) -> Check:
    provider = target.stack.secrets_provider
    if provider != PASSPHRASE:
        return Check("Secrets provider", True, provider)
    if any(environ.get(name) for name in PASSPHRASE_VARIABLES):
        return Check("Secrets provider", True, "passphrase (PULUMI_CONFIG_PASSPHRASE)")
    return Check(
        "Secrets provider",
        False,
        "PULUMI_CONFIG_PASSPHRASE is not set: the passphrase secrets provider encrypts the "
        "stack's secrets with it (or pass --secrets-provider gcpkms://...)",
        "export PULUMI_CONFIG_PASSPHRASE='a long passphrase you keep safe'",
    )


def _apis(enabled: set[str] | CloudError, wanted: list[str], project: str) -> Check:
    if isinstance(enabled, CloudError):
        return Check("APIs", False, enabled.message)
    missing = [api for api in wanted if api not in enabled]
    if not missing:
        return Check("APIs", True, f"{len(wanted)} enabled")
    return Check(
        "APIs",
        False,
        f"APIs not enabled on project {project}: {', '.join(missing)}",
        enable_command(missing, project),
    )


def _state(state: StateStore, target: CloudTarget) -> Check:
    bucket = target.stack.state_bucket
    try:
        exists = state.bucket_exists(str(bucket))
    except CloudError as error:
        return Check("State backend", False, error.message)
    if exists:
        return Check("State backend", True, target.stack.backend_url)
    return Check(
        "State backend", True, f"gs://{bucket} does not exist yet: deploy offers to create it"
    )


def require(
    probe: PrerequisiteProbe, target: CloudTarget, *, environ: Mapping[str, str] = os.environ
) -> None:
    """Raise PrerequisiteError with the first failing check's one line."""
    for check in checks(probe, target, environ=environ):
        if check.ok is False:
            raise PrerequisiteError(check.problem)
