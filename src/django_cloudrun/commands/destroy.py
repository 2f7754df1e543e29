"""`django-cloudrun destroy`: delete the deployment; its data only with --delete-data."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from ..cloud import destroy as cloud_destroy
from ..config import DEFAULT_PATH
from .cloud_common import BackendOption, SecretsProviderOption, YesOption, load_target, run_shown
from .common import ConfigOption, EnvOption, console

__all__ = ["destroy"]

DeleteDataOption = Annotated[
    bool,
    typer.Option(
        "--delete-data",
        help="Also delete the Cloud SQL instance (lifting its deletion protection) and the "
        "media bucket with every file in it.",
    ),
]


def destroy(
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    delete_data: DeleteDataOption = False,
    yes: YesOption = False,
    backend: BackendOption = None,
    secrets_provider: SecretsProviderOption = None,
) -> None:
    """Delete everything deploy created; refuses while the database or bucket hold data."""
    target = load_target(config, env, backend=backend, secrets_provider=secrets_provider)
    done = run_shown(partial(cloud_destroy.destroy, delete_data=delete_data), target, yes)
    console.print(done, markup=False)
