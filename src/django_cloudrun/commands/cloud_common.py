"""What the cloud commands share: their options, loading the target, confirmation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Protocol, TypeVar

import typer

from ..cloud.clients import Clients, clients_for
from ..cloud.deploy import Confirm
from ..cloud.events import OnEvent
from ..cloud.stack import CloudTarget, target_for
from ..config import load_config
from .cloud_view import DeployView
from .common import console

__all__ = [
    "BackendOption",
    "CloudOption",
    "SecretsProviderOption",
    "YesOption",
    "confirmer",
    "load_target",
    "run_shown",
]

T_co = TypeVar("T_co", covariant=True)

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
) -> CloudTarget:
    """The deployment the options name; a ConfigError when it cannot be."""
    return target_for(
        load_config(config, env),
        config.resolve().parent,
        env,
        backend=backend,
        secrets_provider=secrets_provider,
    )


def confirmer(yes: bool) -> Confirm:
    """Asks on the terminal; --yes answers yes; without a terminal, None (cannot ask)."""

    def confirm(question: str) -> bool | None:
        if yes:
            return True
        if sys.stdin is None or not sys.stdin.isatty():
            return None
        return typer.confirm(question, default=False)

    return confirm


class Operation(Protocol[T_co]):
    """cloud.deploy.deploy or cloud.destroy.destroy, its own options bound."""

    def __call__(
        self, target: CloudTarget, clients: Clients, *, confirm: Confirm, on_event: OnEvent
    ) -> T_co: ...


def run_shown(operation: Operation[T_co], target: CloudTarget, yes: bool) -> T_co:
    """Run deploy or destroy on ``target``, asking as ``yes`` says, its progress in view."""
    with DeployView(console) as view:
        return operation(
            target, clients_for(target), confirm=confirmer(yes), on_event=view.on_event
        )
