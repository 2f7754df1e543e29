"""Add django-cloudrun to a project's dependencies, in the file its manager reads.

requirements files get a line; pyproject.toml gets an entry in [project] dependencies (uv,
PEP 621, Poetry 2) or a key in [tool.poetry.dependencies] (Poetry 1 style); a Pipfile gets a
key in [packages]. The edits are textual, so comments and layout survive, and every result
is parsed again and compared with the original: anything but the one added dependency is an
error, and nothing is written.
"""

from __future__ import annotations

import copy
import re
import tomllib
from importlib import metadata
from typing import Any

from .. import __version__
from .errors import ScaffoldError
from .listedit import append_item, toml_array_bounds
from .managers import Manager

__all__ = ["PACKAGE", "add_dependency", "new_requirements", "requirement"]

PACKAGE = "django-cloudrun"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


def requirement() -> str:
    return f"{PACKAGE}>={__version__}"


def new_requirements() -> str:
    """requirements.txt for a project that had none (a fresh startproject)."""
    django = metadata.version("Django").split(".")
    major, minor = int(django[0]), int(django[1])
    return (
        "# Runtime dependencies; the Dockerfile installs them into the image.\n"
        f"Django>={major}.{minor},<{major}.{minor + 1}\n"
        f"{requirement()}\n"
    )


def add_dependency(manager: Manager, text: str) -> str | None:
    """The dependency file's new text, or None when it already lists django-cloudrun."""
    if manager.name == "requirements":
        return _requirements(text)
    data = _load(text, manager.dependency_file)
    if manager.name == "pipenv":
        return _table_key(text, data, ("packages",), manager.dependency_file)
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    if manager.name == "poetry" and "dependencies" not in project and "dependencies" in poetry:
        return _table_key(text, data, ("tool", "poetry", "dependencies"), "pyproject.toml")
    if not project:
        raise ScaffoldError(f"pyproject.toml has no [project] table to add {PACKAGE} to")
    return _project_dependencies(text, data)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(text: str) -> str | None:
    for line in text.splitlines():
        match = _NAME.match(line.split("#")[0])
        if match and _normal(match[1]) == PACKAGE:
            return None
    if text and not text.endswith("\n"):
        text += "\r\n" if "\r\n" in text else "\n"
    return text + requirement() + ("\r\n" if "\r\n" in text else "\n")


def _listed(names: list[Any]) -> bool:
    matches = (_NAME.match(str(name)) for name in names)
    return any(match is not None and _normal(match[1]) == PACKAGE for match in matches)


def _project_dependencies(text: str, data: dict[str, Any]) -> str | None:
    dependencies = data["project"].get("dependencies")
    if dependencies is not None and _listed(list(dependencies)):
        return None
    start, end = _table_span(text, "project")
    if dependencies is None:
        new = _insert_line(text, end, f'dependencies = ["{requirement()}"]')
    else:
        found = re.search(r"(?m)^\s*dependencies\s*=\s*\[", text[start:end])
        if found is None:
            raise ScaffoldError("pyproject.toml: cannot find `dependencies = [` in [project]")
        open_at = start + found.end() - 1
        close_at, last = toml_array_bounds(text, open_at)
        new = append_item(text, open_at, close_at, last, f'"{requirement()}"')
    expected = copy.deepcopy(data)
    expected["project"].setdefault("dependencies", []).append(requirement())
    return _checked(new, expected, "pyproject.toml")


def _table_key(text: str, data: dict[str, Any], path: tuple[str, ...], name: str) -> str | None:
    table: Any = data
    for key in path:
        table = table.get(key) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        raise ScaffoldError(f"{name} has no [{'.'.join(path)}] table to add {PACKAGE} to")
    if _listed(list(table)):
        return None
    _, end = _table_span(text, ".".join(path))
    new = _insert_line(text, end, f'{PACKAGE} = ">={__version__}"')
    expected = copy.deepcopy(data)
    target = expected
    for key in path:
        target = target[key]
    target[PACKAGE] = f">={__version__}"
    return _checked(new, expected, name)


def _table_span(text: str, dotted: str) -> tuple[int, int]:
    """Offsets of table [dotted]'s body: after its header, to the end of its last value."""
    offset, start, end = 0, None, 0
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header and start is not None:
            break
        if header and _strip_quotes(header[1]) == dotted:
            start = end = offset + len(line)
        elif start is not None and line.strip() and not line.lstrip().startswith("#"):
            end = offset + len(line)
        offset += len(line)
    if start is None:
        raise ScaffoldError(f"cannot find the [{dotted}] table header")
    return start, end


def _strip_quotes(header: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in header.split("."))


def _insert_line(text: str, at: int, line: str) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    before = text[:at]
    if before and not before.endswith("\n"):
        before += newline
    return before + line + newline + text[at:]


def _load(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"{name}: invalid TOML: {exc}") from None


def _checked(new: str, expected: dict[str, Any], name: str) -> str:
    try:
        ok = tomllib.loads(new) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise ScaffoldError(
            f"{name}: could not add {PACKAGE} without changing anything else; "
            f'add "{requirement()}" to its dependencies yourself and run init again'
        )
    return new
