"""What every command shares: the consoles, the config options, the one error handler."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from ..errors import INTERRUPTED_EXIT, CloudRunError

__all__ = [
    "ConfigOption",
    "EnvOption",
    "JsonOption",
    "ReportingGroup",
    "console",
    "report",
    "stderr",
    "warn",
]

# Consoles look up sys.stdout/sys.stderr when they print, so test runners can capture them.
console = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="Path of cloudrun.toml.",
        envvar="DJANGO_CLOUDRUN_CONFIG",
        # load_config explains what is wrong with a directory or an unreadable file.
        dir_okay=True,
        readable=False,
    ),
]
EnvOption = Annotated[
    str | None,
    typer.Option(
        "--env",
        "-e",
        help="Environment to apply, e.g. staging for the environments.staging table.",
        envvar="DJANGO_CLOUDRUN_ENV",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON instead of a tree, for scripts.")
]


class ReportingGroup(TyperGroup):
    """The CLI's one error handler: a CloudRunError from any layer becomes its lines in red on
    stderr and its exit code, never a traceback; Ctrl-C exits 130 as a shell expects."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CloudRunError as error:
            report(error)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            stderr.print("interrupted", style="dim", markup=False)
            raise typer.Exit(INTERRUPTED_EXIT) from None


def report(error: CloudRunError) -> None:
    if error.detail:  # a log's tail first, so that the one-line error stays in view
        stderr.print(error.detail, style="dim", markup=False, soft_wrap=True)
    for line in error.lines():
        stderr.print(line, style="red", markup=False, soft_wrap=True)


def warn(lines: Iterable[str]) -> None:
    for line in lines:
        stderr.print(f"warning: {line}", style="yellow", markup=False, soft_wrap=True)
