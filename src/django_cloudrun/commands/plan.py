"""`django-cloudrun plan`: every cloud resource deploy would create, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..config import DEFAULT_PATH, load_config
from .common import ConfigOption, EnvOption, console, warn

__all__ = ["plan", "show_plan"]

PlanJsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help='Print {"resources", "iam", "budget", "warnings"} as JSON, secrets redacted.',
    ),
]


def plan(
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    as_json: PlanJsonOption = False,
) -> None:
    """Show every resource deploy would create, offline: no credentials, no Pulumi CLI."""
    show_plan(config, env, as_json=as_json)


def show_plan(path: Path, env: str | None, *, as_json: bool) -> None:
    resolved = load_config(path, env)
    from ..infra.plan import plan as run_plan  # Pulumi loads only for the commands that need it

    data = run_plan(resolved)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    _print(data, resolved.service_name, resolved.project_id, resolved.region)


def _print(data: dict[str, Any], service: str, project: str | None, region: str) -> None:
    from ..cloud.events import short_type
    from ..infra.plan import summary

    resources = data["resources"]
    where = f"{project or 'my-project (placeholder)'}, {region}"
    console.print(
        Text.assemble((service, "bold"), f" in {where}: {len(resources)} resources"),
        soft_wrap=True,
    )
    table = Table(show_lines=False, expand=False)
    table.add_column("Type", style="cyan", no_wrap=True)
    table.add_column("Name", no_wrap=True)
    table.add_column("Inputs that matter", overflow="fold")
    for resource in resources:
        shown = "\n".join(
            f"{_short_path(key)} = {json.dumps(value)}" for key, value in summary(resource)
        )
        table.add_row(short_type(resource["type"]), resource["name"], Text(shown))
    console.print(table)

    iam = Table(title="IAM", title_justify="left", expand=False)
    iam.add_column("Member", no_wrap=False)
    iam.add_column("Role", style="cyan", no_wrap=True)
    iam.add_column("On", overflow="fold")
    for row in data["iam"]:
        iam.add_row(
            _account(row["member"]), row["role"], f"{row['on']} {_account(row['resource'])}"
        )
    console.print(iam)

    budget = data["budget"]
    console.print(
        Text.assemble(
            ("Connections: ", "bold"),
            f"{budget['max_instance_count']} instances x pool {budget['pool_per_instance']} "
            f"+ {budget['overhead']} = {budget['used']} of {budget['max_connections']} "
            f"({budget['tier']})",
        ),
        soft_wrap=True,
    )
    warn(data["warnings"])


def _short_path(path: str) -> str:
    """template.containers[0].resources.limits.cpu -> resources.limits.cpu."""
    for noise in ("template.template.", "template.", "containers[0].", "settings."):
        path = path.replace(noise, "", 1) if path.startswith(noise) else path
    return path


def _account(text: str) -> str:
    """'serviceAccount:x@p.iam.gserviceaccount.com' -> 'x@p': short enough for a column."""
    text = text.removeprefix("serviceAccount:")
    return text.removesuffix(".iam.gserviceaccount.com")
