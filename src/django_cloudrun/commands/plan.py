"""`django-cloudrun plan`: every cloud resource deploy would create, offline."""

from __future__ import annotations

import json
from collections.abc import Iterable
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
        help='Print {"resources", "iam", "budget", "edge_cost", "warnings"} as JSON, secrets '
        "redacted.",
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
    """Each resource as a heading with its inputs indented below: readable at any width,
    and in a pipe, where a table's columns would be cut."""
    from ..cloud.events import short_type
    from ..infra.plan import summary

    resources = data["resources"]
    where = f"{project or 'my-project (placeholder)'}, {region}"
    console.print(
        Text.assemble((service, "bold"), f" in {where}: {len(resources)} resources"),
        soft_wrap=True,
    )
    for resource in resources:
        console.print(
            Text.assemble("\n", (short_type(resource["type"]), "cyan"), " ", resource["name"])
        )
        console.print(
            _grid((_short_path(key), f"= {json.dumps(value)}") for key, value in summary(resource))
        )

    console.print(Text("\nIAM", style="bold"))
    by_member: dict[str, list[tuple[str, str]]] = {}
    for row in data["iam"]:
        where = f"on {row['on']} {_account(row['resource'])}"
        by_member.setdefault(_account(row["member"]), []).append((row["role"], where))
    for member, grants in by_member.items():
        console.print(Text(f"  {member}", overflow="fold"))
        console.print(_grid(grants))

    budget = data["budget"]
    console.print(
        Text.assemble(
            ("\nConnections: ", "bold"),
            f"{budget['max_instance_count']} instances x pool {budget['pool_per_instance']} "
            f"+ {budget['overhead']} = {budget['used']} of {budget['max_connections']} "
            f"({budget['tier']})",
        ),
        soft_wrap=True,
    )
    console.print(f"  + {budget['overhead']}: {_overhead(budget)}", soft_wrap=True)
    _print_cost(data["edge_cost"])
    warn(data["warnings"])


def _print_cost(cost: dict[str, Any]) -> None:
    """The edge's monthly base cost, one line per priced item."""
    if not cost["lines"]:
        return
    console.print(
        Text.assemble(
            ("\nEdge: ", "bold"),
            f"${cost['total_usd']:.2f} a month before traffic (USD list prices of "
            f"{cost['prices_checked']}; requests and data are billed on top)",
        ),
        soft_wrap=True,
    )
    console.print(
        _grid(
            (f"{line['quantity']} {line['item']}", f"${line['monthly_usd']:.2f}")
            for line in cost["lines"]
        )
    )


def _overhead(budget: dict[str, Any]) -> str:
    cron = budget["cron_jobs"]
    parts = [
        f"{budget['deploy_jobs']} deploy jobs",
        *([f"{cron} cron job{'s' if cron > 1 else ''}"] if cron else []),
        *([f"{workers} worker processes"] if (workers := budget["worker_processes"]) else []),
        f"{budget['reserved']} reserved",
    ]
    return ", ".join(parts)


def _grid(rows: Iterable[tuple[str, str]]) -> Table:
    """Indented two-column rows; a long value wraps within its own column."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for left, right in rows:
        grid.add_row("", left, right)
    return grid


def _short_path(path: str) -> str:
    """template.containers[0].resources.limits.cpu -> resources.limits.cpu."""
    for noise in ("template.template.", "template.", "containers[0].", "settings."):
        path = path.replace(noise, "", 1) if path.startswith(noise) else path
    return path


def _account(text: str) -> str:
    """'serviceAccount:x@p.iam.gserviceaccount.com' -> 'x@p': short enough for a column."""
    text = text.removeprefix("serviceAccount:")
    return text.removesuffix(".iam.gserviceaccount.com")
