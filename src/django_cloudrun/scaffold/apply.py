"""Write a plan's changes so that an error leaves the project as it was.

Every new text is first written to a temporary file beside its target (same directory, so
the final rename is atomic and never crosses file systems) and flushed to disk; only when
all of them are written are they renamed over their targets. An error before that point
removes the temporary files and any directory init created.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import ScaffoldError
from .plan import Change

__all__ = ["apply_changes"]


def apply_changes(root: Path, changes: list[Change]) -> list[Change]:
    """Write the changes that write; return them."""
    writes = [change for change in changes if change.writes]
    created_dirs: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    try:
        for change in writes:
            target = root / change.path
            created_dirs += _make_parents(target.parent, root)
            staged.append((_stage(target, change.new, change.data), target))
    except OSError as exc:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            _remove_empty(directory)
        raise ScaffoldError(f"nothing was written: {exc}", exit_code=1) from None
    for temporary, target in staged:
        os.replace(temporary, target)
    return writes


def _make_parents(directory: Path, root: Path) -> list[Path]:
    missing = []
    while not directory.exists() and directory != root:
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def _stage(target: Path, text: str, data: bytes | None = None) -> Path:
    """A flushed temporary copy of `text` (or binary `data`) next to `target`, with the
    target's permissions."""
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8") if data is None else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode(target))
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _mode(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:
        pass
