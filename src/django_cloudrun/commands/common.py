"""What every command shares: the consoles, the config options, loading with clean errors."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..config import DEFAULT_PATH, CloudRunConfig, ConfigError, load_config

__all__ = [
    "CONFIG_ERROR_EXIT",
    "ConfigOption",
    "EnvOption",
    "JsonOption",
    "console",
    "load_or_exit",
    "stderr",
    "warn",
]

CONFIG_ERROR_EXIT = 2  # like a usage error: the input, not the tool, is wrong

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
        dir_okay=True,  # load_config explains what is wrong with a directory
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


def load_or_exit(path: Path = DEFAULT_PATH, env: str | None = None) -> CloudRunConfig:
    """The configuration, or each problem in red on stderr and exit code 2."""
    try:
        return load_config(path, env)
    except ConfigError as exc:
        for message in exc.messages:
            stderr.print(message, style="red", markup=False, soft_wrap=True)
        if len(exc.messages) > 1:
            stderr.print(f"{path}: {len(exc.messages)} problems", style="dim", markup=False)
        raise typer.Exit(CONFIG_ERROR_EXIT) from None


def warn(lines: Iterable[str]) -> None:
    for line in lines:
        stderr.print(f"warning: {line}", style="yellow", markup=False, soft_wrap=True)
