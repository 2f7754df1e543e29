"""Reference sections of the README, generated from the code so they cannot drift.

``python -m django_cloudrun.reference README.md`` rewrites them in place.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import contract

__all__ = ["SECTIONS", "rewrite", "environment_reference"]


def environment_reference() -> str:
    rows = ["| Variable | Set for | Secret | Default | Meaning |", "|---|---|---|---|---|"]
    for var in contract.CONTRACT:
        secret = "yes" if var.secret else ""
        default = f"`{var.default}`" if var.default else ""
        rows.append(f"| `{var.name}` | {var.scope.value} | {secret} | {default} | {var.meaning} |")
    return "\n".join(rows)


def config_reference() -> str:
    """The model's reference, under the README's own "cloudrun.toml reference" heading."""
    from .config.reference import render_markdown

    text = render_markdown()
    text = text.split("\n", 1)[1]  # the title; the README has its own
    if "<!--" in text:
        before, _, after = text.partition("<!--")
        text = before + after.partition("-->")[2]
    lines = ["#" + line if line.startswith("#") else line for line in text.splitlines()]
    return "\n".join(lines).strip()


@dataclass(frozen=True)
class Section:
    start: str
    end: str
    render: Callable[[], str]


SECTIONS = (
    Section(
        "<!-- environment reference: generated from django_cloudrun.contract;",
        "<!-- end of environment reference -->",
        environment_reference,
    ),
    Section(
        "<!-- cloudrun.toml reference: generated from the config model;",
        "<!-- end of cloudrun.toml reference -->",
        config_reference,
    ),
)


def rewrite(text: str) -> str:
    for section in SECTIONS:
        head, _, rest = text.partition(section.start)
        marker_rest, _, _ = rest.partition("\n")
        _, _, tail = rest.partition(section.end)
        text = (
            f"{head}{section.start}{marker_rest}\n{section.render().strip()}\n{section.end}{tail}"
        )
    return text


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(rewrite(path.read_text()))
