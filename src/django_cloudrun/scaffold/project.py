"""What init finds in a Django project: manage.py, the settings, the WSGI application, the
dependency manager and the Python version."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ScaffoldError
from .managers import Manager, detect_manager
from .pyversion import SUPPORTED, detect_python
from .settings_edit import SettingsFile

__all__ = ["Project", "detect_project", "module_file"]

SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Project:
    root: Path
    settings_module: str
    settings: tuple[SettingsFile, ...]  # the settings module, then what it star-imports
    wsgi_application: str | None
    asgi_application: str | None
    manager: Manager
    python: str  # minor version, e.g. "3.12"
    python_source: str
    notes: tuple[str, ...] = ()


def detect_project(
    root: Path, *, settings: str | None = None, python: str | None = None
) -> Project:
    root = root.resolve()
    if not root.is_dir():
        raise ScaffoldError(f"{root}: no such directory")
    manage = root / "manage.py"
    if not manage.is_file():
        nested = sorted(p.parent.name for p in root.glob("*/manage.py"))
        hint = f" (found one in {nested[0]}/: run init there)" if nested else ""
        raise ScaffoldError(
            f"no manage.py in {root}{hint}; run init at the root of a Django project"
        )
    notes: list[str] = []
    module = settings or _settings_in(manage) or _only_settings_module(root, notes)
    if not _DOTTED.fullmatch(module):
        raise ScaffoldError(f"settings module {module!r} is not a dotted module name")
    path = module_file(root, module)
    if path is None:
        raise ScaffoldError(
            f"settings module {module!r} not found under {root}; pass --settings "
            "with the dotted name of your settings module (e.g. mysite.settings)"
        )
    files = _with_star_imports(root, SettingsFile.read(module, path))
    wsgi = _setting(files, "WSGI_APPLICATION")
    if wsgi is not None:
        notes += _wsgi_notes(root, wsgi, module)
    if python is not None:
        if python not in SUPPORTED:
            raise ScaffoldError(
                f"--python: {python!r} is not one of the supported versions {', '.join(SUPPORTED)}"
            )
        version, source = python, "--python"
    else:
        version, source = detect_python(root)
    return Project(
        root=root,
        settings_module=module,
        settings=tuple(files),
        wsgi_application=wsgi,
        asgi_application=_setting(files, "ASGI_APPLICATION"),
        manager=detect_manager(root),
        python=version,
        python_source=source,
        notes=tuple(notes),
    )


def module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, SyntaxError):
        return None


def _settings_in(path: Path) -> str | None:
    """The DJANGO_SETTINGS_MODULE a manage.py or wsgi.py sets (setdefault or assignment)."""
    tree = _parse(path)
    for node in ast.walk(tree) if tree else ():
        args: list[ast.expr] = []
        if isinstance(node, ast.Call) and len(node.args) == 2:
            args = node.args
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            args = [node.targets[0].slice, node.value]
        if (
            len(args) == 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args)
            and args[0].value == SETTINGS_VARIABLE  # type: ignore[attr-defined]
        ):
            return str(args[1].value)  # type: ignore[attr-defined]
    return None


def _only_settings_module(root: Path, notes: list[str]) -> str:
    found = sorted(
        {p.parent.name + ".settings" for p in root.glob("*/settings.py")}
        | {p.parent.parent.name + ".settings" for p in root.glob("*/settings/__init__.py")}
    )
    if len(found) != 1:
        listed = f" (candidates: {', '.join(found)})" if found else ""
        raise ScaffoldError(f"manage.py does not set {SETTINGS_VARIABLE}{listed}; pass --settings")
    notes.append(f"manage.py does not set {SETTINGS_VARIABLE}; using {found[0]}")
    return found[0]


def _with_star_imports(root: Path, first: SettingsFile, depth: int = 0) -> list[SettingsFile]:
    """`first`, then the modules it star-imports, the last import first (it overrides)."""
    package = first.module if first.path.name == "__init__.py" else first.module.rpartition(".")[0]
    bases = []
    for node in first.tree.body:
        if not (isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)):
            continue
        parts = package.split(".") if package else []
        base = parts[: len(parts) - node.level + 1] if node.level else []
        module = ".".join([*base, *(node.module.split(".") if node.module else [])])
        path = module_file(root, module)
        if path is not None:
            bases.append(SettingsFile.read(module, path))
    files = [first]
    for base_file in reversed(bases):
        files += _with_star_imports(root, base_file, depth + 1) if depth < 4 else [base_file]
    return files


def _setting(files: list[SettingsFile], name: str) -> str | None:
    for file in files:
        for node in reversed(file.tree.body):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                return node.value.value
    return None


def _wsgi_notes(root: Path, wsgi: str, module: str) -> list[str]:
    path = module_file(root, wsgi.rpartition(".")[0])
    if path is None:
        return [f"WSGI_APPLICATION {wsgi!r}: module not found under {root}"]
    notes = []
    other = _settings_in(path)
    if other is not None and other != module:
        notes.append(
            f"{path.relative_to(root)} uses {other} while manage.py uses {module}; the image "
            f"runs manage.py with {module} (pass --settings {other} to use the other one)"
        )
    if _wraps_application(path):
        notes.append(
            f"{path.relative_to(root)} wraps its WSGI application; cloudrun_serve serves "
            "Django's own handler, so move such middleware into MIDDLEWARE"
        )
    return notes


def _wraps_application(path: Path) -> bool:
    """Whether wsgi.py does more than `application = get_wsgi_application()`."""
    tree = _parse(path)
    values = [
        node.value
        for node in (tree.body if tree else [])
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "application" for t in node.targets)
    ]
    if len(values) != 1 or not isinstance(values[0], ast.Call):
        return len(values) > 1 or bool(values)
    func = values[0].func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name != "get_wsgi_application"
