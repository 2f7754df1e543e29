"""What init would change, computed without touching the project: a list of Changes.

The command shows a plan (with diffs for --dry-run and for files it keeps) and then applies
it; nothing here writes.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ..config import DEFAULT_PATH, CloudRunConfig, load_config
from .ci import cloudbuild, workflow
from .cloudrun_toml import render_config
from .depfiles import add_dependency, new_requirements, requirement
from .dockerfile import DOCKERIGNORE, dockerfile, dockerfile_gaps
from .errors import ScaffoldError
from .project import Project
from .required import required_variables
from .settings_edit import SettingsFile, add_app, add_configure, has_app
from .source import INDEX, Choice, Source, dependency_source

__all__ = ["Action", "Change", "InitChoices", "Plan", "plan_init"]

WORKFLOW_PATH = ".github/workflows/deploy.yml"
STATE_IGNORE = ".cloudrun/"  # up's state: local secrets, the database, logs


class Action(str, Enum):
    CREATE = "create"  # a new file
    UPDATE = "update"  # an edit that keeps the file's content (settings, dependencies)
    REPLACE = "replace"  # a generated file that differs, overwritten because of --force
    KEEP = "keep"  # a generated file that differs, left alone (no --force)
    SAME = "same"  # nothing to do


@dataclass(frozen=True)
class Change:
    path: str  # relative to the project root, with forward slashes
    action: Action
    old: str | None
    new: str
    why: str
    data: bytes | None = None  # a binary file's content (then new is "")

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)

    def diff(self) -> str:
        if self.data is not None:
            return f"Binary file b/{self.path} ({len(self.data)} bytes)\n"
        old = [] if self.old is None else self.old.splitlines(keepends=True)
        lines = difflib.unified_diff(
            old,
            self.new.splitlines(keepends=True),
            "/dev/null" if self.old is None else f"a/{self.path}",
            f"b/{self.path}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class InitChoices:
    project_id: str | None = None
    region: str | None = None
    github_repository: str | None = None
    force: bool = False
    dependency: Choice = "auto"  # where the project gets django-cloudrun: see source.py


@dataclass
class Plan:
    project: Project
    config: CloudRunConfig
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[Change]:
        return [change for change in self.changes if change.writes]

    @property
    def kept(self) -> list[Change]:
        return [change for change in self.changes if change.action is Action.KEEP]


def plan_init(project: Project, choices: InitChoices) -> Plan:
    """Every file init writes or edits, and how; ConfigError for a bad cloudrun.toml."""
    root = project.root
    config_path = root / DEFAULT_PATH
    notes = list(project.notes)
    if config_path.is_file():
        config = load_config(config_path)
        if choices.project_id or choices.region:
            notes.append("cloudrun.toml exists and is kept: edit it to change project or region")
        if config.settings_module is None:
            notes.append(
                f"cloudrun.toml has no settings_module: add settings_module = "
                f'"{project.settings_module}" so that deploy and `up` use the settings the '
                "image sets"
            )
        config_change = Change(str(DEFAULT_PATH), Action.SAME, None, "", "your deployment")
        given = set(config.environment_variables) | set(config.secret_environment_variables)
        absent = [r.name for r in required_variables(root, project.settings) if r.name not in given]
        if absent:
            notes.append(
                f"your settings require {', '.join(absent)} and cloudrun.toml gives "
                f"{'them' if len(absent) > 1 else 'it'} no value: add "
                f"{'them' if len(absent) > 1 else 'it'} to [environment_variables] or "
                "[secret_environment_variables]"
            )
    else:
        text, config = render_config(
            choices.project_id,
            choices.region,
            choices.github_repository,
            project.settings_module,
            required_variables(project.root, project.settings),
            project.celery_app,
        )
        config_change = Change(str(DEFAULT_PATH), Action.CREATE, None, text, "the deployment")
    plan = Plan(project, config, [config_change], notes)
    source = dependency_source(root, choices.dependency)
    dependency = _dependency_change(project, source)
    if dependency.action is Action.SAME and source.data is not None:
        source = INDEX  # the project lists django-cloudrun already: no wheel to add
    if source.wheel is not None and source.data is not None:
        plan.changes.append(Change(
            source.wheel, Action.CREATE, None, "",
            "django-cloudrun as installed here (from a clone or a wheel, not the index)",
            data=source.data,
        ))  # fmt: skip
    image_file = config.build.dockerfile
    generated = {
        image_file: (dockerfile(project, config, source), "the production image"),
        ".dockerignore": (DOCKERIGNORE, "what stays out of the image"),
        "cloudbuild.yaml": (cloudbuild(config), "Cloud Build: build, push, deploy"),
        WORKFLOW_PATH: (workflow(config, source), "GitHub Actions: build, push, deploy"),
    }
    for name, (text, why) in generated.items():
        plan.changes.append(_generated(root, name, text, why, choices.force))
    plan.changes = [_ignoring_state(c) if c.path == ".dockerignore" else c for c in plan.changes]
    plan.changes.append(_gitignore(root))
    image = next(c for c in plan.changes if c.path == image_file)
    if image.action is Action.KEEP and image.old is not None:
        gaps = dockerfile_gaps(image.old)
        plan.notes += [f"{image_file} (yours, kept) has {gap}" for gap in gaps]
        plan.notes.append(
            f"to adopt init's {image_file} (the diff above), run `init --force`: it replaces "
            f"yours. deploy, cloudbuild.yaml and the workflow build the file that "
            f"build.dockerfile in cloudrun.toml names ({image_file})"
        )
    plan.changes += _settings_changes(project, plan.notes)
    plan.changes.append(dependency)
    return plan


def _read(path: Path) -> str | None:
    """The file's text; None when it does not exist (and cannot, under a file)."""
    try:
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except UnicodeDecodeError:
        raise ScaffoldError(f"{path}: not UTF-8 text; init edits only UTF-8 files") from None
    except OSError as exc:
        raise ScaffoldError(f"{path}: cannot be read ({exc.strerror})") from None


def _generated(root: Path, name: str, text: str, why: str, force: bool) -> Change:
    old = _read(root / name)
    if old is None:
        return Change(name, Action.CREATE, None, text, why)
    if old == text:
        return Change(name, Action.SAME, old, text, why)
    return Change(name, Action.REPLACE if force else Action.KEEP, old, text, why)


def _ignores(text: str, entry: str) -> bool:
    """Whether an ignore file has a line that ignores `entry` (a top-level directory)."""
    bare = entry.strip("/")
    return any(line.strip().strip("/") in (bare, f"{bare}/**") for line in text.splitlines())


def _appended(text: str, lines: str) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += newline
    return text + lines.replace("\n", newline)


def _ignoring_state(change: Change) -> Change:
    """A project's own .dockerignore, kept, still gets up's state directory added."""
    if change.action is not Action.KEEP or change.old is None or _ignores(change.old, ".cloudrun"):
        return change
    new = _appended(change.old, "# django-cloudrun up's local state\n.cloudrun\n")
    return Change(change.path, Action.UPDATE, change.old, new, "+ .cloudrun")


def _gitignore(root: Path) -> Change:
    old = _read(root / ".gitignore")
    entry = f"# django-cloudrun up's local state: secrets, database, logs\n{STATE_IGNORE}\n"
    if old is None:
        return Change(".gitignore", Action.CREATE, None, entry, f"ignores {STATE_IGNORE}")
    if _ignores(old, STATE_IGNORE):
        return Change(".gitignore", Action.SAME, old, old, f"ignores {STATE_IGNORE}")
    return Change(".gitignore", Action.UPDATE, old, _appended(old, entry), f"+ {STATE_IGNORE}")


def _relative(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def _settings_changes(project: Project, notes: list[str]) -> list[Change]:
    files = list(project.settings)
    edits: dict[Path, tuple[SettingsFile, str, list[str]]] = {}
    if not has_app(files):
        found = add_app(files)
        if found is None:
            notes.append(
                f"INSTALLED_APPS in {project.settings_module} is not a list init can edit: "
                'configure() adds "django_cloudrun" when it runs; add it yourself to be explicit'
            )
        else:
            file, new = found
            edits[file.path] = (file, new, ['"django_cloudrun" in INSTALLED_APPS'])
    main = files[0]
    if main.path in edits:
        original, text, what = edits[main.path]
        main = SettingsFile(main.module, main.path, text, ast.parse(text))
    else:
        original, what = main, []
    with_configure = add_configure(main)
    if with_configure is not None:
        edits[main.path] = (original, with_configure, [*what, "configure() at the end"])
    return [
        Change(_relative(project, path), Action.UPDATE, file.text, new, ", ".join(what))
        for path, (file, new, what) in edits.items()
    ]


def _dependency_change(project: Project, source: Source) -> Change:
    manager = project.manager
    name = manager.dependency_file
    old = _read(project.root / name)
    if old is None:  # a project with no dependency file at all: start a requirements.txt
        text = new_requirements(source)
        return Change(name, Action.CREATE, None, text, "Django and django-cloudrun")
    new = add_dependency(manager, old, source)
    if new is None:
        return Change(name, Action.SAME, old, old, "dependencies")
    added = f"django-cloudrun from {source.wheel}" if source.wheel else requirement()
    return Change(name, Action.UPDATE, old, new, f"+ {added}")
