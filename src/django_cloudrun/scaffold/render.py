"""Fill @NAME@ placeholders: a syntax that Dockerfiles, shell, YAML and GitHub's ${{ }}
expressions never use, so templates need no escaping."""

from __future__ import annotations

import re

__all__ = ["fill"]

_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def fill(template: str, **values: str) -> str:
    def value(match: re.Match[str]) -> str:
        return values[match[1]]

    missing = {m[1] for m in _PLACEHOLDER.finditer(template)} - set(values)
    if missing:
        raise KeyError(f"template values missing: {', '.join(sorted(missing))}")
    return _PLACEHOLDER.sub(value, template)
