"""The build context Cloud Build receives: the project directory as a .tar.gz.

Docker applies .dockerignore itself during the build; this only keeps the upload small. It
leaves out what never belongs in an image (.git, virtualenvs, caches, local state) and the
.dockerignore patterns, unless that file has exceptions (`!pattern`): then only the fixed
list, so that nothing Docker would keep is missing.
"""

from __future__ import annotations

import fnmatch
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["ALWAYS_EXCLUDED", "included_files", "write_archive"]

ALWAYS_EXCLUDED = frozenset(
    {".git", ".hg", ".cloudrun", "__pycache__", ".venv", "venv", "node_modules",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox"}
)  # fmt: skip
KEPT = frozenset({"Dockerfile", ".dockerignore"})


def _patterns(project: Path) -> list[str]:
    path = project / ".dockerignore"
    if not path.is_file():
        return []
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    if any(pattern.startswith("!") for pattern in patterns):
        return []
    return [pattern.strip("/").removeprefix("./") for pattern in patterns]


def _ignored(relative: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        candidates = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
        if any(fnmatch.fnmatchcase(relative, candidate) for candidate in candidates):
            return True
    return False


def included_files(project: Path) -> Iterator[Path]:
    """Files of `project` that go into the build context, relative, in a stable order."""
    patterns = _patterns(project)
    for root, dirs, files in os.walk(project):
        here = Path(root).relative_to(project)
        dirs[:] = sorted(
            name
            for name in dirs
            if name not in ALWAYS_EXCLUDED and not _ignored((here / name).as_posix(), patterns)
        )
        for name in sorted(files):
            relative = here / name
            if relative.as_posix() in KEPT or not _ignored(relative.as_posix(), patterns):
                yield relative


def write_archive(project: Path, fileobj: BinaryIO) -> int:
    """The build context as a gzipped tar into `fileobj`; the number of files."""
    count = 0
    with tarfile.open(fileobj=fileobj, mode="w:gz") as archive:
        for relative in included_files(project):
            archive.add(project / relative, arcname=relative.as_posix(), recursive=False)
            count += 1
    return count
