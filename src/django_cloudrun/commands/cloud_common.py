"""What the cloud commands share: their options, loading the target, errors, confirmation."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..cloud.deploy import Confirm
from ..cloud.errors import CloudError
from ..cloud.stack import Target, target_for
from ..config import ConfigError
from .common import CONFIG_ERROR_EXIT, load_or_exit, stderr

__all__ = [
    "BackendOption",
    "CloudOption",
    "SecretsProviderOption",
    "YesOption",
    "cloud_errors",
    "confirmer",
    "load_target",
]

CloudOption = Annotated[
    bool,
    typer.Option("--cloud", help="Act on the deployment on Google Cloud, not on this machine."),
]
BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Pulumi state backend: gs://BUCKET or file://PATH "
        "(default: [state] backend in cloudrun.toml).",
        envvar="DJANGO_CLOUDRUN_BACKEND",
    ),
]
SecretsProviderOption = Annotated[
    str | None,
    typer.Option(
        "--secrets-provider",
        help="Encrypts the state's secrets: passphrase (PULUMI_CONFIG_PASSPHRASE) or "
        "gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K (default: [state] in cloudrun.toml).",
        envvar="DJANGO_CLOUDRUN_SECRETS_PROVIDER",
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Answer yes to every question (for scripts and CI).")
]


def load_target(
    config: Path,
    env: str | None,
    *,
    backend: str | None = None,
    secrets_provider: str | None = None,
) -> Target:
    """The deployment the options name, or the config's problems and exit code 2."""
    resolved = load_or_exit(config, env)
    try:
        return target_for(
            resolved,
            config.resolve().parent,
            env,
            backend=backend,
            secrets_provider=secrets_provider,
        )
    except ConfigError as error:
        for message in error.messages:
            stderr.print(message, style="red", markup=False, soft_wrap=True)
        raise typer.Exit(CONFIG_ERROR_EXIT) from None


@contextmanager
def cloud_errors() -> Iterator[None]:
    """A CloudError as one red line and its exit code (2: fix something first; 1: failed)."""
    try:
        yield
    except CloudError as error:
        stderr.print(f"error: {error.message}", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


def confirmer(yes: bool) -> Confirm:
    """Asks on the terminal; --yes answers yes; without a terminal, None (cannot ask)."""

    def confirm(question: str) -> bool | None:
        if yes:
            return True
        if sys.stdin is None or not sys.stdin.isatty():
            return None
        return typer.confirm(question, default=False)

    return confirm
