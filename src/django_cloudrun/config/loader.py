"""Read cloudrun.toml, apply a named environment, validate: a model or a ConfigError."""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ConfigError, Problem, show
from .messages import problems_from
from .model import CloudRunConfig
from .rules import environment_name_problem
from .source import parse_toml, read_config_file

__all__ = ["DEFAULT_PATH", "deep_merge", "load_config", "parse_config", "resolve"]

DEFAULT_PATH = Path("cloudrun.toml")


def load_config(
    path: str | os.PathLike[str] = DEFAULT_PATH, env: str | None = None
) -> CloudRunConfig:
    """The configuration in `path`, with environment `env` applied when given."""
    path = Path(path)
    try:
        text = read_config_file(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        return parse_config(text, env, source=str(path))
    except ConfigError as error:
        error.source = str(path)
        raise


def parse_config(
    text: str, env: str | None = None, *, source: str = str(DEFAULT_PATH)
) -> CloudRunConfig:
    """The configuration in TOML `text`; `source` names it in syntax errors."""
    return resolve(parse_toml(text, source), env)


def resolve(data: Mapping[str, Any], env: str | None = None) -> CloudRunConfig:
    """Validate the base table and every environment; return the one `env` names.

    All environments are checked, whichever is chosen, so a mistake in [environments.prod]
    shows up the first time anyone validates the file.
    """
    base = dict(data)
    overlays = base.pop("environments", {})
    chosen, problems = _validate(base)
    inherited = set(problems)  # reported once, not again under every environment
    if not isinstance(overlays, dict):
        problems.append(Problem(("environments",), _not_a_table(overlays)))
        overlays = {}
    for name, overlay in overlays.items():
        where = ("environments", name)
        if not isinstance(overlay, dict):
            problems.append(Problem(where, _not_a_table(overlay)))
            continue
        named = environment_name_problem(name)
        if named is not None:
            problems.append(Problem(where, named))
            continue
        if "environments" in overlay:
            problems.append(Problem((*where, "environments"), "environments cannot be nested"))
            continue
        config, found = _validate(deep_merge(base, overlay))
        problems += [problem.under(*where) for problem in found if problem not in inherited]
        if name == env:
            chosen = config
    if env is not None and env not in overlays:
        problems.append(Problem(("environments", env), _unknown_environment(env, overlays)))
    if problems or chosen is None:
        raise ConfigError([str(problem) for problem in problems])
    return chosen


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`overlay` over `base`: tables merge key by key; arrays and values are replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _validate(data: Mapping[str, Any]) -> tuple[CloudRunConfig | None, list[Problem]]:
    try:
        return CloudRunConfig.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from(exc, CloudRunConfig)


def _not_a_table(value: Any) -> str:
    return f"must be a table such as [environments.staging], got {show(value)}"


def _unknown_environment(env: str, overlays: Mapping[str, Any]) -> str:
    if not overlays:
        return "not defined; this file has no [environments.NAME] tables"
    close = difflib.get_close_matches(env, list(overlays), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"not defined; {hint}available: {', '.join(sorted(overlays))}"
