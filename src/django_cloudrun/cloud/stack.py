"""Where a deployment's state lives and what it runs: one Pulumi stack per environment.

The Pulumi project is the service's name and the stack the environment's (`default` when
no --env is given). State goes to a Cloud Storage bucket of the project unless a backend is
given (`file://~/.pulumi-state` keeps it on this machine); secrets in the state are
encrypted with a passphrase (PULUMI_CONFIG_PASSPHRASE) unless a provider such as
`gcpkms://projects/P/locations/global/keyRings/R/cryptoKeys/K` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import CloudRunConfig
from ..config.errors import ConfigError
from .events import APP_TYPE

if TYPE_CHECKING:
    import pulumi

__all__ = [
    "DEFAULT_STACK",
    "PASSPHRASE",
    "PASSPHRASE_VARIABLES",
    "Program",
    "StackSettings",
    "CloudTarget",
    "WORK_DIR",
    "default_backend",
    "target_for",
]

DEFAULT_STACK = "default"  # the stack of the base configuration (no --env)
PASSPHRASE = "passphrase"
PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
STATE_BUCKET_SUFFIX = "django-cloudrun-state"
WORK_DIR = Path(".cloudrun") / "pulumi"  # Pulumi.yaml and the stacks' settings, not committed


def default_backend(project: str) -> str:
    return f"gs://{project}-{STATE_BUCKET_SUFFIX}"


@dataclass(frozen=True)
class StackSettings:
    """A Pulumi stack: its project and name, its state backend and secrets provider."""

    project_name: str
    stack_name: str
    backend_url: str
    secrets_provider: str
    gcp_project: str
    region: str
    work_dir: Path

    @property
    def state_bucket(self) -> str | None:
        """The bucket of a gs:// backend; None for other backends."""
        if not self.backend_url.startswith("gs://"):
            return None
        return self.backend_url.removeprefix("gs://").split("/", 1)[0]

    def urn(self, type_: str, name: str) -> str:
        """The URN of a resource of the DjangoApp component (pass APP_TYPE for the app)."""
        qualified = type_ if type_ == APP_TYPE else f"{APP_TYPE}${type_}"
        return f"urn:pulumi:{self.stack_name}::{self.project_name}::{qualified}::{name}"


@dataclass(frozen=True)
class Program:
    """The inline Pulumi program: infra's pulumi_program with this deployment's inputs."""

    config: CloudRunConfig
    image: str
    release: str = ""
    media_force_destroy: bool = False

    def __call__(self, opts: pulumi.ResourceOptions | None = None) -> None:
        from ..infra.program import pulumi_program  # Pulumi loads only where it runs

        pulumi_program(
            self.config,
            self.image,
            self.release,
            media_force_destroy=self.media_force_destroy,
            opts=opts,
        )


@dataclass(frozen=True)
class CloudTarget:
    """What a cloud command acts on: the resolved config, its directory and its stack."""

    config: CloudRunConfig
    project_dir: Path
    stack: StackSettings

    @property
    def project(self) -> str:
        return self.stack.gcp_project

    @property
    def region(self) -> str:
        return self.config.region

    @property
    def service(self) -> str:
        return self.config.service_name


def target_for(
    config: CloudRunConfig,
    project_dir: Path,
    env: str | None,
    *,
    backend: str | None = None,
    secrets_provider: str | None = None,
) -> CloudTarget:
    """The deployment of `config`; raises ConfigError when it names no project."""
    if config.project_id is None:
        raise ConfigError(
            [
                'project_id: required to reach Google Cloud; set project_id = "your-project-id" '
                "in cloudrun.toml (`gcloud projects list` shows yours)"
            ]
        )
    project = config.project_id
    stack = StackSettings(
        project_name=config.service_name,
        stack_name=env or DEFAULT_STACK,
        backend_url=backend or config.state.backend or default_backend(project),
        secrets_provider=secrets_provider or config.state.secrets_provider,
        gcp_project=project,
        region=config.region,
        work_dir=project_dir / WORK_DIR / config.service_name,
    )
    return CloudTarget(config=config, project_dir=project_dir, stack=stack)
