"""The config package's exception and the one-line problems it carries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

from ..errors import USAGE_EXIT, CloudRunError

__all__ = ["ConfigError", "Key", "Problem", "dotted", "fail", "fail_at", "show"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# What a message may echo of the file: a key or a value is cut to SHORT characters, a whole
# line to LONG (its start, which names the key, and its end, which says what to do).
SHORT = 60
LONG = 1000

# Error types our validators raise; messages.py turns them into Problems.
RULE = "cloudrun"
RULES_AT = "cloudrun_at"


class ConfigError(CloudRunError):
    """cloudrun.toml cannot be used; `messages` holds one line per problem.

    `source`, when known, is the file: the CLI counts the problems under it.
    """

    exit_code = USAGE_EXIT

    def __init__(self, messages: Sequence[str], *, source: str = "") -> None:
        self.messages = [_clipped(message) for message in messages]
        self.source = source
        super().__init__("\n".join(self.messages))

    def lines(self) -> list[str]:
        if self.source and len(self.messages) > 1:
            return [*self.messages, f"{self.source}: {len(self.messages)} problems"]
        return list(self.messages)


@dataclass(frozen=True)
class Problem:
    """One problem at a key path, e.g. ("cron", 0, "name")."""

    path: tuple[str | int, ...]
    text: str

    def under(self, *prefix: str | int) -> Problem:
        return Problem(prefix + self.path, self.text)

    def __str__(self) -> str:
        return f"{dotted(self.path)}: {self.text}" if self.path else self.text


def dotted(path: Iterable[str | int]) -> str:
    """A key path as TOML would spell it: database.extensions[2], environment_variables."a b".

    A key longer than SHORT characters is cut, as values are.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            key = key if len(key) <= SHORT else key[: SHORT - 3] + "..."
            out += f".{key}" if out else key
    return out


def show(value: Any) -> str:
    """A value as the user wrote it in TOML, short enough for one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= SHORT else value[: SHORT - 3] + "...")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


def _clipped(message: str) -> str:
    """`message` whole if it is at most LONG characters, else its start and its end."""
    if len(message) <= LONG:
        return message
    left_out = len(message) - LONG
    return f"{message[: LONG - 200]} ...({left_out} characters left out)... {message[-200:]}"


def fail(text: str) -> PydanticCustomError:
    """An error for the value being validated; `text` is the whole message after the key."""
    return PydanticCustomError(RULE, "{text}", {"text": text})


Key = str | int | tuple[str | int, ...]


def fail_at(problems: Sequence[tuple[Key, str]]) -> None:
    """Raise the (key, text) problems a table-level check found, each at its own key."""
    if problems:
        raise PydanticCustomError(RULES_AT, "{problems}", {"problems": tuple(problems)})
