"""cloudrun.toml as input: read within bounds, parsed to data, syntax errors that name the key.

Whatever the file holds, the outcome is data or a ConfigError of one line per problem: a FIFO,
a device, a huge file or values nested thousands of levels deep are refused, never waited on,
read without end or recursed into.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "parse_toml", "read_config_file"]

# A cloudrun.toml is a few kilobytes, its tables a few levels deep; nothing near these is one.
# The worst 128 KiB of TOML (a flat array of 65,000 numbers) parses in well under a second.
MAX_FILE_BYTES = 128 * 1024
MAX_DEPTH = 32

_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_HEADER = re.compile(r"\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_SIMPLE_KEY = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_ASSIGNED = re.compile(rf"({_SIMPLE_KEY}(?:\s*\.\s*{_SIMPLE_KEY})*)\s*=")  # a dotted key and =
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))  # fmt: skip


# -- reading ---------------------------------------------------------------------------------


def read_config_file(path: Path) -> bytes:
    """The bytes of `path`, a regular file of at most MAX_FILE_BYTES.

    Anything else is refused before a byte is read: a FIFO would block forever, a device such
    as /dev/zero never ends. The file is opened without blocking and checked again once open,
    so that it cannot be swapped for one of those in between.
    """
    _check_regular(path, _stat(path))
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ConfigError([_unreadable(path, exc)]) from None
    with os.fdopen(descriptor, "rb") as handle:
        _check_regular(path, os.fstat(descriptor))
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ConfigError([_unreadable(path, exc)]) from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the check
        raise ConfigError([_too_large(path)])
    return data


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no such file; create it with `django-cloudrun init` or pass --config"]
        ) from None
    except OSError as exc:
        raise ConfigError([_unreadable(path, exc)]) from None


def _check_regular(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError([f"{path}: is a directory, not a TOML file"])
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
        raise ConfigError([f"{path}: is {kind}, not a regular file; --config takes a TOML file"])
    if info.st_size > MAX_FILE_BYTES:
        raise ConfigError([_too_large(path)])


def _too_large(path: Path) -> str:
    return f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB, the most a cloudrun.toml may be"


def _unreadable(path: Path, exc: OSError) -> str:
    hint = "; check its permissions" if isinstance(exc, PermissionError) else ""
    return f"{path}: cannot be read ({exc.strerror}){hint}"


# -- parsing ---------------------------------------------------------------------------------


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """The data in TOML `text`; `source` names it in syntax errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_error(str(exc), text, source)]) from None
    except RecursionError:  # nested far beyond MAX_DEPTH: the parser ran out of stack
        line, key = _first_too_deep(text)
        where = f"line {line}: " if line else ""
        raise ConfigError([f"{source}: {where}{key or 'a value'}: {_TOO_DEEP}"]) from None
    deep = next(_too_deep_paths(data), None)
    if deep is not None:
        raise ConfigError([str(Problem(deep, _TOO_DEEP))])
    return data


_TOO_DEEP = f"arrays or tables nested more than {MAX_DEPTH} levels deep"


def _syntax_error(message: str, text: str, source: str) -> str:
    match = _POSITION.search(message)
    if match is None:
        return f"{source}: invalid TOML: {message}"
    line, column = match.groups()
    where = f"line {line}, column {column}" if line else "end of file"
    reason = message[: match.start()]
    if reason == "Cannot overwrite a value" and line:
        key = _key_on_line(text.splitlines(), int(line), int(column))
        reason += f": {key} is already set" if key else ""
    return f"{source}: {where}: invalid TOML: {reason}"


def _key_on_line(lines: list[str], number: int, column: int) -> str:
    """The dotted key a line sets or declares, under the table a header above it opened."""
    if not 0 < number <= len(lines):
        return ""
    header = _HEADER.match(lines[number - 1])
    if header:
        return header.group(1)
    keys = _ASSIGNED.findall(lines[number - 1][:column])
    if not keys:
        return ""
    table = next((h.group(1) for h in map(_HEADER.match, reversed(lines[: number - 1])) if h), "")
    return f"{table}.{keys[-1]}" if table else keys[-1]


def _too_deep_paths(data: Any) -> Iterator[tuple[str | int, ...]]:
    """Key paths (to the last key named) of values nested more than MAX_DEPTH levels."""
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            yield path
            continue
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            if isinstance(child, dict | list):
                where = (*path, key) if isinstance(value, dict) else path
                stack.append((child, where, depth + 1))


def _first_too_deep(text: str) -> tuple[int, str]:
    """The line and key of the first value whose brackets nest more than MAX_DEPTH deep.

    Used only once the parser gave up, to name the key: a scan that skips strings and
    comments and counts [ and { inside values.
    """
    depth, line, table, key, in_value, start = 0, 1, "", "", False, 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\n":
            line, start, in_value = line + 1, i + 1, in_value and depth > 0
        elif char == "#":
            i = _before_newline(text, i)
        elif char in "\"'":
            end = _string_end(text, i)
            line, i = line + text.count("\n", i, end), end
            continue
        elif not in_value and char == "[":
            header = _HEADER.match(text, start, _before_newline(text, i) + 1)
            table = header.group(1) if header else table
            i = _before_newline(text, i)
        elif not in_value and char == "=":
            key = text[start:i].strip()
            key, in_value = (f"{table}.{key}" if table else key), True
        elif in_value and char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, key
        elif in_value and char in "]}":
            depth -= 1
        i += 1
    return 0, ""


def _before_newline(text: str, i: int) -> int:
    end = text.find("\n", i)
    return (len(text) if end < 0 else end) - 1


def _string_end(text: str, i: int) -> int:
    """The index just after the string that starts at `i` (or after its line, if unclosed)."""
    quote = text[i]
    if text.startswith(quote * 3, i):
        end = text.find(quote * 3, i + 3)
        return len(text) if end < 0 else end + 3
    j = i + 1
    while j < len(text) and text[j] not in (quote, "\n"):
        j += 2 if quote == '"' and text[j] == "\\" else 1
    return j + 1 if j < len(text) and text[j] == quote else j
