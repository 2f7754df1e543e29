"""The Pulumi program: one DjangoApp built from a resolved CloudRunConfig.

`plan` runs it under mocks; `deploy` runs `pulumi_program` through the Automation API. The
configuration's rules are the config model's: a CloudRunConfig that exists is one this
program can declare, so neither stops halfway with a problem `validate` would have found.
"""

from __future__ import annotations

import pulumi

from ..config import CloudRunConfig
from .build import default_image
from .django_app import DjangoApp, DjangoAppArgs

__all__ = [
    "EDGE_ADDRESS_PREFIX",
    "PLACEHOLDER_PROJECT",
    "build",
    "project_of",
    "pulumi_program",
]

PLACEHOLDER_PROJECT = "my-project"
EDGE_ADDRESS_PREFIX = "edge_"  # outputs edge_ipv4 and edge_ipv6: the load balancer's addresses


def project_of(config: CloudRunConfig) -> str:
    """config.project_id, or a placeholder that only an offline plan may use."""
    return config.project_id or PLACEHOLDER_PROJECT


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
    if app.static is not None:
        pulumi.export("static_bucket", app.static.bucket.name)
    if app.edge is not None:
        for version, address in app.edge.addresses.items():
            pulumi.export(f"{EDGE_ADDRESS_PREFIX}{version.lower()}", address.address)
        pulumi.export("certificate", app.edge.certificate.name)
    if app.schedule.account is not None:
        pulumi.export("scheduler_account", app.schedule.account.email)
