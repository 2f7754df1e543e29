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
from .source import INDEX, Source

__all__ = ["PACKAGE", "add_dependency", "new_requirements", "requirement"]

PACKAGE = "django-cloudrun"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


def requirement() -> str:
    return f"{PACKAGE}>={__version__}"


def new_requirements(source: Source = INDEX) -> str:
    """requirements.txt for a project that had none (a fresh startproject)."""
    django = metadata.version("Django").split(".")
    major, minor = int(django[0]), int(django[1])
    return (
        "# Runtime dependencies; the Dockerfile installs them into the image.\n"
        f"Django>={major}.{minor},<{major}.{minor + 1}\n"
        f"{f'./{source.wheel}' if source.wheel else requirement()}\n"
    )


def add_dependency(manager: Manager, text: str, source: Source = INDEX) -> str | None:
    """The dependency file's new text, or None when it already lists django-cloudrun.

    From a vendored wheel: requirements name its relative path; Pipfile and Poetry give the
    key a `{ path = ... }` table; uv and PEP 621 list the name in [project] dependencies and
    give its path in [tool.uv.sources] (a PEP 508 file:// URL cannot be relative).
    """
    wheel = source.wheel
    if manager.name == "requirements":
        return _requirements(text, f"./{wheel}" if wheel else requirement())
    data = _load(text, manager.dependency_file)
    path = {"path": f"./{wheel}" if manager.name == "pipenv" else wheel} if wheel else None
    if manager.name == "pipenv":
        return _table_key(text, data, ("packages",), manager.dependency_file, path)
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    if manager.name == "poetry" and "dependencies" not in project and "dependencies" in poetry:
        return _table_key(text, data, ("tool", "poetry", "dependencies"), "pyproject.toml", path)
    if not project:
        raise ScaffoldError(f"pyproject.toml has no [project] table to add {PACKAGE} to")
    new = _project_dependencies(text, data, PACKAGE if wheel else requirement())
    if path is None:
        return new
    table = (
        ("tool", "poetry", "dependencies")
        if manager.name == "poetry"
        else ("tool", "uv", "sources")
    )
    current = new if new is not None else text
    return (
        _table_key(
            current, _load(current, "pyproject.toml"), table, "pyproject.toml", path, create=True
        )
        or new
    )


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(text: str, line: str) -> str | None:
    for existing in text.splitlines():
        match = _NAME.match(existing.split("#")[0])
        if (match and _normal(match[1]) == PACKAGE) or "django_cloudrun-" in existing:
            return None
    if text and not text.endswith("\n"):
        text += "\r\n" if "\r\n" in text else "\n"
    return text + line + ("\r\n" if "\r\n" in text else "\n")


def _listed(names: list[Any]) -> bool:
    matches = (_NAME.match(str(name)) for name in names)
    return any(match is not None and _normal(match[1]) == PACKAGE for match in matches)


def _project_dependencies(text: str, data: dict[str, Any], item: str) -> str | None:
    dependencies = data["project"].get("dependencies")
    if dependencies is not None and _listed(list(dependencies)):
        return None
    start, end = _table_span(text, "project")
    if dependencies is None:
        new = _insert_line(text, end, f'dependencies = ["{item}"]')
    else:
        found = re.search(r"(?m)^\s*dependencies\s*=\s*\[", text[start:end])
        if found is None:
            raise ScaffoldError("pyproject.toml: cannot find `dependencies = [` in [project]")
        open_at = start + found.end() - 1
        close_at, last = toml_array_bounds(text, open_at)
        new = append_item(text, open_at, close_at, last, f'"{item}"')
    expected = copy.deepcopy(data)
    expected["project"].setdefault("dependencies", []).append(item)
    return _checked(new, expected, "pyproject.toml")


def _table_key(
    text: str,
    data: dict[str, Any],
    path: tuple[str, ...],
    name: str,
    value: dict[str, str] | None = None,
    *,
    create: bool = False,
) -> str | None:
    """The text with `django-cloudrun = value` (the index version when None) in [path]."""
    table: Any = data
    for key in path:
        table = table.get(key) if isinstance(table, dict) else None
    if table is None and create:
        table = {}
    if not isinstance(table, dict):
        raise ScaffoldError(f"{name} has no [{'.'.join(path)}] table to add {PACKAGE} to")
    if _listed(list(table)):
        return None
    wanted: Any = f">={__version__}" if value is None else value
    if value is None:
        line = f'{PACKAGE} = ">={__version__}"'
    else:
        line = f"{PACKAGE} = {{ " + ", ".join(f'{k} = "{v}"' for k, v in value.items()) + " }"
    dotted = ".".join(path)
    if any(_strip_quotes(m[1]) == dotted for m in map(_HEADER.match, text.splitlines()) if m):
        _, end = _table_span(text, dotted)
        new = _insert_line(text, end, line)
    else:
        newline = "\r\n" if "\r\n" in text else "\n"
        new = text if not text or text.endswith("\n") else text + newline
        new += f"{newline}[{dotted}]{newline}{line}{newline}"
    expected = copy.deepcopy(data)
    target = expected
    for key in path:
        target = target.setdefault(key, {})
    target[PACKAGE] = wanted
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
