"""The components' log files under .cloudrun/local/logs: which exist, their tails, following."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import LocalError
from .layout import Layout
from .processes import tail

__all__ = ["ALIASES", "follow", "log_paths"]

# Components as `status` names them -> their log files.
ALIASES = {"database": "postgres", "media": "storage", "supervisor": "up"}
ORDER = ("up", "postgres", "storage", "broker", "db-init", "migrate", "web", "worker")


def log_paths(layout: Layout, component: str | None) -> dict[str, Path]:
    existing = {path.stem: path for path in sorted(layout.logs.glob("*.log"))}
    if component is None:
        rank = {name: i for i, name in enumerate(ORDER)}
        return dict(sorted(existing.items(), key=lambda item: rank.get(item[0], len(ORDER))))
    name = ALIASES.get(component, component)
    if name not in existing:
        known = ", ".join(existing) or "none yet: run `django-cloudrun up`"
        raise LocalError(f"no log for {component!r}; logs: {known}")
    return {name: existing[name]}


def follow(
    paths: dict[str, Path], lines: int, keep_going: Callable[[], bool] = lambda: True
) -> Iterator[tuple[str, str]]:
    """The last ``lines`` of each file, then lines as they are appended (``-f``)."""
    offsets = {}
    for name, path in paths.items():
        for line in tail(path, lines).splitlines() if lines else []:
            yield name, line
        offsets[name] = path.stat().st_size if path.exists() else 0
    partial = dict.fromkeys(paths, "")
    while keep_going():
        quiet = True
        for name, path in paths.items():
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < offsets[name]:  # truncated: a new `up` started the log again
                offsets[name] = 0
            if size == offsets[name]:
                continue
            with open(path, "rb") as handle:
                handle.seek(offsets[name])
                chunk = handle.read()
            offsets[name] += len(chunk)
            *complete, partial[name] = (partial[name] + chunk.decode(errors="replace")).split("\n")
            quiet = False
            for line in complete:
                yield name, line
        if quiet:
            time.sleep(0.2)
