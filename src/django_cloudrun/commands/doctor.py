"""`django-cloudrun doctor`: deploy's preflight and the live project, each check with its fix."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from ..cloud.clients import clients_for
from ..cloud.doctor import doctor_checks
from ..config import DEFAULT_PATH
from .cloud_common import BackendOption, SecretsProviderOption, load_target
from .common import ConfigOption, EnvOption, console

__all__ = ["doctor"]

MARKS = {True: ("✓", "green"), False: ("✗", "bold red"), None: ("-", "dim")}


def doctor(
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    backend: BackendOption = None,
    secrets_provider: SecretsProviderOption = None,
) -> None:
    """Check what deploy needs and what the live project allows, each with its fix. Exit 2 if not."""
    target = load_target(config, env, backend=backend, secrets_provider=secrets_provider)
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    failed = False
    clients = clients_for(target)
    for check in doctor_checks(clients, target):
        mark, style = MARKS[check.ok]
        table.add_row(Text(mark, style=style), check.name, check.detail)
        if check.fix:
            table.add_row("", "", Text(f"fix: {check.fix}", style="yellow"))
        failed = failed or check.ok is False
    console.print(
        Text.assemble((target.service, "bold"), f" in {target.project} ({target.region})")
    )
    console.print(table)
    if failed:
        raise typer.Exit(2)
