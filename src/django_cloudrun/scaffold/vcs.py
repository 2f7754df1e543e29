"""Facts init reads from the machine: the git tree's state, the GitHub remote, the gcloud
project. Each is best effort: a missing tool means "unknown", never an error."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .. import contract

__all__ = ["default_project_id", "git_changes", "github_repository"]

_GITHUB = re.compile(r"github\.com[:/]([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?$")


def _run(args: list[str], cwd: Path) -> str | None:
    if shutil.which(args[0]) is None:
        return None
    try:
        result = subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, timeout=15, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def git_changes(root: Path) -> list[str] | None:
    """Uncommitted changes under `root` (git status lines), or None outside a git tree."""
    inside = _run(["git", "rev-parse", "--is-inside-work-tree"], root)
    if inside is None or inside.strip() != "true":
        return None
    status = _run(["git", "status", "--porcelain", "--untracked-files=normal", "--", "."], root)
    return [line for line in (status or "").splitlines() if line.strip()]


def github_repository(root: Path) -> str | None:
    """owner/name of the `origin` remote when it is on GitHub."""
    url = _run(["git", "remote", "get-url", "origin"], root)
    match = _GITHUB.search(url.strip()) if url else None
    return f"{match[1]}/{match[2]}" if match else None


def default_project_id(root: Path) -> str | None:
    """The Google Cloud project the environment or gcloud's configuration names."""
    for name in (contract.GOOGLE_CLOUD_PROJECT.name, "CLOUDSDK_CORE_PROJECT"):
        if os.environ.get(name):
            return os.environ[name]
    found = _run(["gcloud", "config", "get-value", "project"], root)
    value = (found or "").strip()
    return value if value and value != "(unset)" else None
