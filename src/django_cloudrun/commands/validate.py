"""`django-cloudrun validate`: check cloudrun.toml and show what it resolves to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.text import Text
from rich.tree import Tree

from ..config import (
    DEFAULT_PATH,
    fill_in_warnings,
    load_config,
    redacted_dump,
    secret_warnings,
)
from .common import ConfigOption, EnvOption, JsonOption, console, warn

__all__ = ["show_resolved", "validate"]


def validate(
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check cloudrun.toml and print the resolved configuration, secrets redacted.

    Exits with code 2, one line per problem on stderr, when the file is invalid.
    """
    show_resolved(config, env, as_json=as_json)


def show_resolved(path: Path, env: str | None, *, as_json: bool) -> None:
    resolved = load_config(path, env)
    warn(secret_warnings(resolved) + fill_in_warnings(resolved))
    data = redacted_dump(resolved)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    where = f" (environment: {env})" if env else ""
    console.print(Text.assemble((str(path), "bold"), f" is valid{where}"), soft_wrap=True)
    tree = Tree(_leaf("service_name", data.pop("service_name")))
    _add(tree, data)
    console.print(tree)


def _add(tree: Tree, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and value:
            _add(tree.add(Text(f"[{key}]", style="bold cyan")), value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                _add(tree.add(Text(f"[[{key}]]", style="bold cyan")), item)
        else:
            tree.add(_leaf(key, value))


def _leaf(key: str, value: Any) -> Text:
    shown = Text("unset", style="dim") if value is None else Text(json.dumps(value))
    return Text.assemble((key, "cyan"), " = ", shown)
