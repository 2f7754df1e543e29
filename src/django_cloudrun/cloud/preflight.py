"""What must be true before a deployment can start, each check with the command that fixes it.

`checks` yields them in order, lazily: `deploy` stops at the first failure (one line, exit
2), `doctor` shows them all. Checks that need credentials are skipped without them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..config import CloudRunConfig
from .errors import ADC_LOGIN, NO_CREDENTIALS, CloudError, PrerequisiteError
from .interfaces import PrerequisiteProbe, StateStore
from .stack import PASSPHRASE, PASSPHRASE_VARIABLES, CloudTarget

__all__ = ["BASE_APIS", "PULUMI_INSTALL", "Check", "checks", "require", "required_apis"]

PULUMI_INSTALL = "curl -fsSL https://get.pulumi.com | sh"
# Services the program creates resources in; cloudresourcemanager answers its project lookup.
BASE_APIS = (
    "run",
    "sqladmin",
    "secretmanager",
    "artifactregistry",
    "cloudbuild",
    "iam",
    "monitoring",
    "cloudresourcemanager",
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
    apis = list(BASE_APIS)
    if config.vpc.mode == "connector":
        apis.append("vpcaccess")
    if config.vpc.mode == "direct" or config.database.private_ip:
        apis.append("compute")
    if config.database.private_ip:
        apis.append("servicenetworking")
    if config.tracing.enabled:
        apis.append("cloudtrace")
    if config.cron:
        apis.append("cloudscheduler")
    return [f"{api}.googleapis.com" for api in apis]


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
    project = target.project
    if problem is not None:
        for name in ("Project", "Billing", "APIs"):
            yield Check(name, None, "not checked: needs Google credentials")
        return
    try:
        info = probe.project(project)
    except CloudError as error:
        yield Check("Project", False, error.message)
        return
    if not info.exists:
        yield Check(
            "Project",
            False,
            f"project {project} not found, or not visible to your credentials "
            "(check project_id in cloudrun.toml)",
            "gcloud projects list",
        )
        return
    yield Check("Project", True, project)
    yield (
        Check("Billing", True, "enabled")
        if info.billing_enabled
        else Check(
            "Billing",
            False,
            f"billing is not enabled on project {project} "
            "(`gcloud billing accounts list` shows your accounts)",
            f"gcloud billing projects link {project} --billing-account=ACCOUNT_ID",
        )
    )
    yield _apis(probe, target)
    if state is not None and target.stack.state_bucket is not None:
        yield _state(state, target)


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


def _apis(probe: PrerequisiteProbe, target: CloudTarget) -> Check:
    wanted = required_apis(target.config)
    try:
        enabled = probe.enabled_apis(target.project, wanted)
    except CloudError as error:
        return Check("APIs", False, error.message)
    missing = [api for api in wanted if api not in enabled]
    if not missing:
        return Check("APIs", True, f"{len(wanted)} enabled")
    return Check(
        "APIs",
        False,
        f"APIs not enabled on project {target.project}: {', '.join(missing)}",
        f"gcloud services enable {' '.join(missing)} --project {target.project}",
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
