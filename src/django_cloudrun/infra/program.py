"""The Pulumi program: one DjangoApp built from a resolved CloudRunConfig.

`plan` runs it under mocks; `deploy` will run `pulumi_program` through the Automation API.
`preflight` raises the configuration's problems before any resource is declared, so both
stop with one clear line instead of a failure halfway through a deployment.
"""

from __future__ import annotations

import pulumi

from ..config import CloudRunConfig, ConfigError
from ..config.budget import Budget, connection_budget
from .build import default_image
from .database import backup_start_time
from .django_app import DjangoApp, DjangoAppArgs

__all__ = ["PLACEHOLDER_PROJECT", "build", "preflight", "project_of", "pulumi_program"]

PLACEHOLDER_PROJECT = "my-project"


def project_of(config: CloudRunConfig) -> str:
    """config.project_id, or a placeholder that only an offline plan may use."""
    return config.project_id or PLACEHOLDER_PROJECT


def preflight(config: CloudRunConfig) -> Budget:
    """The connection budget; raises BudgetError or ConfigError with a one-line message."""
    budget = connection_budget(config.database.tier, config.max_instance_count)
    backup_start_time(config.database.backup_schedule)
    if config.media.mode == "fuse" and config.execution_environment != "gen2":
        raise ConfigError(
            [
                "execution_environment: gen1 cannot mount the media bucket with GCS FUSE "
                "(media.mode = fuse); use gen2, or media.mode = api"
            ]
        )
    return budget


def build(
    config: CloudRunConfig,
    *,
    image: str | None = None,
    release: str = "",
    media_force_destroy: bool = False,
    opts: pulumi.ResourceOptions | None = None,
) -> DjangoApp:
    """Declare every resource of `config`; `image` defaults to the repository's :latest.

    `media_force_destroy` lets a destroy delete the media bucket with its files: only
    `destroy --delete-data` sets it, in the update that precedes the destroy.
    """
    preflight(config)
    project = project_of(config)
    return DjangoApp(
        config.service_name,
        DjangoAppArgs(
            config=config,
            project=project,
            image=image or default_image(config, project),
            release=release,
            media_force_destroy=media_force_destroy,
        ),
        opts=opts,
    )


def pulumi_program(
    config: CloudRunConfig,
    image: str,
    release: str = "",
    *,
    media_force_destroy: bool = False,
    opts: pulumi.ResourceOptions | None = None,
) -> None:
    """The stack: the app and its outputs (service URL, bucket, connection, accounts)."""
    app = build(
        config, image=image, release=release, media_force_destroy=media_force_destroy, opts=opts
    )
    pulumi.export("url", app.url)
    pulumi.export("bucket", app.bucket.name)
    pulumi.export("connection_name", app.connection_name)
    pulumi.export("service_account", app.app.service_account.email)
    for job, account in app.app.job_accounts.items():
        pulumi.export(f"{job}_account", account.email)
    pulumi.export("build_account", app.builds.account.email)
    pulumi.export("build_sources", app.builds.sources.name)
    if app.schedule.account is not None:
        pulumi.export("scheduler_account", app.schedule.account.email)
