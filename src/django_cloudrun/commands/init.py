"""`django-cloudrun init`: put an existing Django project on Cloud Run.

Detects the project, asks only what it cannot detect (never with --yes or without a terminal),
shows what it will write, refuses a dirty git tree unless --force, then writes atomically.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..config import CloudRunConfig
from ..scaffold import (
    Action,
    Change,
    InitChoices,
    Plan,
    ScaffoldError,
    apply_changes,
    default_project_id,
    detect_project,
    git_changes,
    github_repository,
    plan_init,
)
from .common import console

__all__ = ["init", "run_init"]

_DEFAULT_REGION = str(CloudRunConfig.model_fields["region"].default)
_DIFF_STYLES = {"---": "bold", "+++": "bold", "@@ ": "cyan", "+": "green", "-": "red"}
_VERBS = {
    Action.CREATE: ("created", "create", "green"),
    Action.UPDATE: ("updated", "update", "green"),
    Action.REPLACE: ("replaced", "replace", "yellow"),
    Action.KEEP: ("kept", "keep", "yellow"),
}


def init(
    directory: Annotated[
        Path, typer.Argument(help="Root of the Django project (where manage.py is).")
    ] = Path("."),
    project_id: Annotated[
        str | None, typer.Option(help="Google Cloud project id for cloudrun.toml.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="Cloud Run region for cloudrun.toml.")] = None,
    settings: Annotated[
        str | None,
        typer.Option(help="Settings module, if not the one manage.py sets (mysite.settings)."),
    ] = None,
    python: Annotated[
        str | None, typer.Option(help="Python of the image, e.g. 3.12 (default: detected).")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Take the detected values and defaults; never ask.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Run on a dirty git tree; overwrite generated files that differ."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change, as diffs; write nothing.")
    ] = False,
    dependency: Annotated[
        str,
        typer.Option(
            help="Where the project gets django-cloudrun: index (the package index), wheel "
            "(a wheel of this installation in vendor/) or auto (wheel when this one was "
            "installed from a clone, a wheel file or a VCS URL).",
            envvar="DJANGO_CLOUDRUN_DEPENDENCY",
        ),
    ] = "auto",
) -> None:
    """Write cloudrun.toml, a Dockerfile, CI files and the settings hook into a Django project.

    Running it again changes nothing; files you changed are kept unless --force.
    """
    if dependency not in ("auto", "index", "wheel"):
        raise ScaffoldError(f"--dependency: {dependency!r} is not one of auto, index, wheel")
    choices = InitChoices(
        project_id=project_id,
        region=region,
        force=force,
        dependency=dependency,  # type: ignore[arg-type]  # checked above
    )
    interactive = not yes and sys.stdin.isatty()
    run_init(directory, choices, settings, python, interactive=interactive, dry_run=dry_run)


def run_init(
    directory: Path,
    choices: InitChoices,
    settings: str | None,
    python: str | None,
    *,
    interactive: bool,
    dry_run: bool,
) -> None:
    project = detect_project(directory, settings=settings, python=python)
    choices = _complete(project.root, choices, interactive)
    plan = plan_init(project, choices)
    _describe(plan)
    if dry_run:
        _show_diffs(plan.writes + plan.kept)
        _summary(plan, done=False)
        console.print("Dry run: nothing was written.", style="bold")
        return
    if not plan.writes:
        _show_diffs(plan.kept)
        _summary(plan, done=False)
        kept = f" ({len(plan.kept)} file(s) kept as they are)" if plan.kept else ""
        console.print(f"Nothing to do: the project is already set up{kept}.", style="bold green")
        return
    dirty = git_changes(project.root)
    if dirty and not choices.force:
        raise ScaffoldError(
            f"the git tree has {len(dirty)} uncommitted change(s): commit or stash them first, "
            "so that `git diff` shows exactly what init changed (or pass --force)"
        )
    if interactive:
        _summary(plan, done=False)
        if not typer.confirm("Write these changes?", default=True):
            raise ScaffoldError("nothing was written", exit_code=1)
    apply_changes(project.root, plan.changes)
    _show_diffs(plan.kept)
    _summary(plan, done=True)
    _next_steps(plan)


def _complete(root: Path, choices: InitChoices, interactive: bool) -> InitChoices:
    """The choices with what was detected or asked for; nothing to ask once cloudrun.toml is."""
    if (root / "cloudrun.toml").is_file():
        return choices
    project_id, region = choices.project_id, choices.region
    if project_id is None:
        project_id = default_project_id(root)
        if interactive:
            answer = typer.prompt(
                "Google Cloud project id (empty: decide later)",
                default=project_id or "",
                show_default=bool(project_id),
            )
            project_id = answer.strip() or None
    if interactive and region is None:
        region = typer.prompt("Cloud Run region", default=_DEFAULT_REGION).strip()
    return InitChoices(
        project_id=project_id,
        region=region or _DEFAULT_REGION,
        github_repository=github_repository(root),
        force=choices.force,
        dependency=choices.dependency,
    )


def _describe(plan: Plan) -> None:
    project = plan.project
    console.print(
        f"Django project {project.root} (settings {project.settings_module}, "
        f"{project.manager.label}, Python {project.python} from {project.python_source})",
        markup=False,
        soft_wrap=True,
    )


def _show_diffs(changes: list[Change]) -> None:
    """Unified diffs, coloured, never wrapped or cut: they must survive copy and paste."""
    for change in changes:
        text = Text()
        for line in change.diff().splitlines(keepends=True):
            style = _DIFF_STYLES.get(line[:3], _DIFF_STYLES.get(line[:1], ""))
            text.append(line, style=style)
        console.print(text, soft_wrap=True, end="")


def _summary(plan: Plan, *, done: bool) -> None:
    shown = [change for change in plan.changes if change.action is not Action.SAME]
    width = max((len(change.path) for change in shown), default=0)
    for change in shown:
        past, future, color = _VERBS[change.action]
        why = change.why
        if change.action is Action.KEEP:
            why = "differs from what init writes (diff above); --force replaces it"
        line = Text.assemble(
            "  ",
            ((past if done else future).ljust(9), color),
            change.path.ljust(width + 2),
            (why, "dim"),
        )
        console.print(line, soft_wrap=True)
    for note in plan.notes:
        console.print(f"  note: {note}", style="yellow", markup=False, soft_wrap=True)


def _next_steps(plan: Plan) -> None:
    manager, config = plan.project.manager, plan.config
    steps = []
    if manager.lock_command and any(c.path == manager.dependency_file for c in plan.writes):
        steps.append(f"{manager.lock_command}   (the image installs from the lock file)")
    if git_changes(plan.project.root) is not None:
        steps.append("git diff   (review, then commit)")
    if config.project_id is None:
        steps.append("set project_id in cloudrun.toml")
    steps += [
        "django-cloudrun validate && django-cloudrun plan",
        "django-cloudrun deploy   (or push, once the GitHub variables in "
        ".github/workflows/deploy.yml are set)",
    ]
    console.print("Next:", style="bold")
    for number, step in enumerate(steps, 1):
        console.print(f"  {number}. {step}", markup=False, soft_wrap=True)
