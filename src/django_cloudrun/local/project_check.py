"""What `up` checks in the project before it starts anything: the variables its settings
require, and that the state directory stays out of git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..config import CloudRunConfig
from ..scaffold.project import settings_files
from ..scaffold.required import required_variables
from .errors import LocalError

__all__ = ["check_required_variables", "state_not_ignored"]

STATE_DIRECTORY = ".cloudrun/"


def check_required_variables(project: Path, config: CloudRunConfig) -> None:
    """LocalError naming every variable the settings read without a default and
    cloudrun.toml does not give (django-cloudrun's own are given)."""
    found = settings_files(project, config.settings_module)
    if found is None:
        return  # Django itself names a settings module it cannot import
    module, files = found
    given = set(config.environment_variables) | set(config.secret_environment_variables)
    missing = [r for r in required_variables(project, files) if r.name not in given]
    if not missing:
        return
    names = ", ".join(f"{r.name} ({r.where})" for r in missing)
    raise LocalError(
        f"{module} requires {names} without a default, and cloudrun.toml does not set "
        f"{'them' if len(missing) > 1 else 'it'}: add "
        f"{'each' if len(missing) > 1 else 'it'} to [environment_variables], or to "
        "[secret_environment_variables] for a secret (up generates its local value)"
    )


def state_not_ignored(project: Path) -> str | None:
    """A one-line warning when the project is a git work tree that does not ignore .cloudrun/."""
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", STATE_DIRECTORY],
            cwd=project,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if ignored.returncode == 0:
        return None
    return (
        f"git does not ignore {STATE_DIRECTORY} (local secrets, database and logs): add "
        f"{STATE_DIRECTORY} to .gitignore (django-cloudrun init does)"
    )
