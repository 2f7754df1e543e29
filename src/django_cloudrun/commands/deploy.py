"""`django-cloudrun deploy`: preflight, build, and one update that runs the jobs first."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from ..cloud import deploy as cloud_deploy
from ..config import DEFAULT_PATH
from .cloud_common import BackendOption, SecretsProviderOption, YesOption, load_target, run_shown
from .cloud_view import deployment_summary
from .common import ConfigOption, EnvOption, console

__all__ = ["deploy"]

ImageOption = Annotated[
    str | None,
    typer.Option(
        "--image",
        help="Deploy this image (ideally by digest) instead of building one with Cloud Build.",
    ),
]


def deploy(
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    image: ImageOption = None,
    backend: BackendOption = None,
    secrets_provider: SecretsProviderOption = None,
    yes: YesOption = False,
) -> None:
    """Create or update the app on Google Cloud: db-init and migrate run before traffic moves."""
    target = load_target(config, env, backend=backend, secrets_provider=secrets_provider)
    result = run_shown(partial(cloud_deploy.deploy, image=image), target, yes)
    console.print(f"Deployed {result.service} to {result.project} ({result.region})", markup=False)
    for row in deployment_summary(result):
        console.print(row, soft_wrap=True)
