"""The project's Python version, as the project itself declares it.

Read, in order, from .python-version (pyenv, uv), runtime.txt (python-3.12.4), pyproject's
requires-python or Poetry's python dependency, and Pipfile's [requires]. A range picks the
lowest supported minor version it admits: the one the project is sure to work on.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ScaffoldError

__all__ = ["SUPPORTED", "admits", "detect_python", "python_from_spec"]

# Minor versions with an official python:X.Y-slim image that django-cloudrun supports.
SUPPORTED = ("3.11", "3.12", "3.13", "3.14")
FALLBACK = "3.12"
_VERSION = re.compile(r"(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?")
_CLAUSE = re.compile(r"(===|==|!=|~=|>=|<=|>|<|\^|~)?\s*(\*|\d+(?:\.(?:\d+|\*))*)")


def detect_python(root: Path) -> tuple[str, str]:
    """(minor version such as "3.12", where it came from)."""
    for source, read in _SOURCES:
        path = root / source
        if not path.is_file():
            continue
        found = read(path)
        if found is None:
            continue
        if _VERSION.fullmatch(found.strip()) and "." in found and "*" not in found:
            exact = ".".join(found.strip().split(".")[:2])
            return _supported(exact, source, found), source
        return python_from_spec(found, source), source
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (here if here in SUPPORTED else FALLBACK), "the Python running init"


def python_from_spec(spec: str, source: str = "requires-python") -> str:
    """The lowest supported minor version a PEP 440 or Poetry specifier admits."""
    for candidate in SUPPORTED:
        if admits(spec, candidate):
            return candidate
    raise ScaffoldError(
        f"{source}: {spec!r} admits none of the Python versions django-cloudrun supports "
        f"({', '.join(SUPPORTED)}); pass --python 3.X to choose one"
    )


def admits(spec: str, minor: str) -> bool:
    """Whether some release of Python `minor` ("3.12") satisfies `spec`."""
    alternatives = [part for part in spec.split("||") if part.strip()]
    return any(_all_clauses(part, minor) for part in alternatives) if alternatives else True


def _all_clauses(spec: str, minor: str) -> bool:
    have = tuple(int(n) for n in minor.split("."))
    clauses = list(_CLAUSE.finditer(spec))
    if _CLAUSE.sub("", spec).strip(" ,") or not clauses:
        raise ScaffoldError(f"cannot read the Python version specifier {spec!r}")
    for clause in clauses:
        if clause[2] == "*":
            continue
        version = _VERSION.fullmatch(clause[2])
        if version is None:
            raise ScaffoldError(f"cannot read the Python version specifier {spec!r}")
        if not _clause(clause[1] or "==", version, have):
            return False
    return True


def _clause(op: str, version: re.Match[str], have: tuple[int, ...]) -> bool:
    major = int(version[1])
    minor = None if version[2] in (None, "*") else int(version[2])
    patch = None if version[3] in (None, "*") else int(version[3])
    want = (major, minor if minor is not None else 0)
    if op in ("==", "===") or (op == "~" and minor is not None):
        return have[0] == major if minor is None else have == want
    if op == "~":
        return have[0] == major
    if op == "!=":
        return patch is not None or (have[0] != major if minor is None else have != want)
    if op in ("~=", "^"):
        if op == "~=" and patch is not None:
            return have == want
        return have[0] == major and have >= want
    if op == ">=":
        return have >= want
    if op == ">":  # >3.11.2 admits later 3.11 releases; >3.11 means 3.12 and up
        return have >= want if patch is not None else have > want
    if op == "<=":
        return have <= want
    return have <= want if patch else have < want  # "<"


def _supported(minor: str, source: str, raw: str) -> str:
    if minor not in SUPPORTED:
        raise ScaffoldError(
            f"{source}: Python {raw.strip()} is not supported by django-cloudrun "
            f"({', '.join(SUPPORTED)}); pass --python 3.X to choose one"
        )
    return minor


def _first_line(path: Path) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            found = re.search(r"\d+\.\d+(?:\.\d+)?", line)
            return found[0] if found else None
    return None


def _toml(path: Path, *keys: str) -> str | None:
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"{path.name}: invalid TOML: {exc}") from None
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else None


def _pyproject(path: Path) -> str | None:
    return _toml(path, "project", "requires-python") or _toml(
        path, "tool", "poetry", "dependencies", "python"
    )


def _pipfile(path: Path) -> str | None:
    return _toml(path, "requires", "python_version") or _toml(
        path, "requires", "python_full_version"
    )


_SOURCES: tuple[tuple[str, Callable[[Path], str | None]], ...] = (
    (".python-version", _first_line),
    ("runtime.txt", _first_line),
    ("pyproject.toml", _pyproject),
    ("Pipfile", _pipfile),
)
