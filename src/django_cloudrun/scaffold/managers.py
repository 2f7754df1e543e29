"""Dependency managers: which one a project uses, and how the image installs with it.

Each manager installs the project's runtime dependencies into the virtual environment
/opt/venv of the Dockerfile's build stage, from the project's own files, with the tool
pinned below (the same versions the tests install).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ScaffoldError

__all__ = [
    "PIPENV_VERSION",
    "POETRY_VERSION",
    "UV_VERSION",
    "Manager",
    "detect_manager",
]

UV_VERSION = "0.13.8"
POETRY_VERSION = "2.5.1"
PIPENV_VERSION = "2026.10.3"

REQUIREMENTS_FILES = (
    "requirements.txt",
    "requirements/production.txt",
    "requirements/prod.txt",
    "requirements/base.txt",
)
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Manager:
    """How a project declares its dependencies."""

    name: str  # requirements | poetry | uv | pep621 | pipenv
    label: str  # as shown to people
    dependency_file: str  # the file init adds django-cloudrun to
    copy: tuple[str, ...]  # files the build stage needs before installing
    tool: str | None  # pip requirement of the tool the build stage installs first
    install: str  # the shell command that fills /opt/venv
    lock_command: str | None  # what to run after init changed the dependency file


def detect_manager(root: Path) -> Manager:
    pyproject = _pyproject(root)
    tool = pyproject.get("tool", {})
    if (root / "uv.lock").is_file():
        return _uv()
    if (root / "poetry.lock").is_file() or "poetry" in tool:
        return _poetry(root)
    if (root / "Pipfile").is_file():
        return _pipenv(root)
    if "uv" in tool:
        return _uv()
    for name in REQUIREMENTS_FILES:
        if (root / name).is_file():
            return requirements(root, name)
    if "dependencies" in pyproject.get("project", {}):
        return Manager(
            name="pep621",
            label="pyproject.toml [project] dependencies (installed with uv pip)",
            dependency_file="pyproject.toml",
            copy=("pyproject.toml",),
            tool=f"uv=={UV_VERSION}",
            install="uv pip install --no-cache --python /opt/venv/bin/python -r pyproject.toml",
            lock_command=None,
        )
    return requirements(root, "requirements.txt")


def requirements(root: Path, name: str) -> Manager:
    files = [name, *_included(root, name)]
    return Manager(
        name="requirements",
        label=f"pip ({name})",
        dependency_file=name,
        copy=tuple(dict.fromkeys(files)),
        tool=None,
        install=f"pip install --no-cache-dir -r {name}",
        lock_command=None,
    )


def _uv() -> Manager:
    # --locked fails the build when uv.lock is older than pyproject.toml, instead of
    # quietly installing the stale lock.
    install = "uv sync --locked --no-dev --no-install-project --no-cache"
    return _locking("uv", "uv", "pyproject.toml", "uv.lock", UV_VERSION, install)


def _poetry(root: Path) -> Manager:
    _require_lock(root, "Poetry", "poetry", "poetry.lock")
    # Poetry installs into the active virtual environment: VIRTUAL_ENV=/opt/venv.
    install = "poetry install --only main --no-root --no-interaction --no-ansi"
    return _locking("poetry", "Poetry", "pyproject.toml", "poetry.lock", POETRY_VERSION, install)


def _pipenv(root: Path) -> Manager:
    _require_lock(root, "Pipenv", "pipenv", "Pipfile.lock")
    # verify refuses a Pipfile.lock older than the Pipfile.
    install = (
        "pipenv verify && pipenv requirements > requirements.txt"
        " && pip install --no-cache-dir -r requirements.txt"
    )
    return _locking("pipenv", "Pipenv", "Pipfile", "Pipfile.lock", PIPENV_VERSION, install)


def _locking(
    tool: str, title: str, manifest: str, lock: str, tool_version: str, install: str
) -> Manager:
    """A manager whose tool keeps a lock file beside the manifest; `<tool> lock` refreshes it."""
    return Manager(
        name=tool,
        label=f"{title} ({manifest} + {lock})",
        dependency_file=manifest,
        copy=(manifest, lock),
        tool=f"{tool}=={tool_version}",
        install=install,
        lock_command=f"{tool} lock",
    )


def _require_lock(root: Path, title: str, tool: str, lock: str) -> None:
    if not (root / lock).is_file():
        raise ScaffoldError(
            f"{title} project without {lock}: run `{tool} lock`, commit it, then run init "
            "again (the image installs exactly what the lock file says)"
        )


def _included(root: Path, name: str, depth: int = 0) -> list[str]:
    """Files a requirements file pulls in with -r/-c, relative to the project root."""
    path = root / name
    if depth > 3 or not path.is_file():
        return []
    found: list[str] = []
    for ref in _INCLUDE.findall(path.read_text(encoding="utf-8")):
        target = (path.parent / ref).resolve()
        try:
            relative = target.relative_to(root.resolve()).as_posix()
        except ValueError:
            raise ScaffoldError(
                f"{name}: includes {ref}, outside the project; the image build cannot see it"
            ) from None
        found += [relative, *_included(root, relative, depth + 1)]
    return found


def _pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"pyproject.toml: invalid TOML: {exc}") from None
