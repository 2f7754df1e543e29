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

__all__ = ["Project", "celery_app", "detect_project", "module_file", "settings_files"]

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
    celery_app: str | None = None  # as `celery -A` takes it, when the project defines one


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
    module = settings or _configured_settings(root) or _production_settings(root, notes)
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
        celery_app=celery_app(root, module),
    )


def settings_files(root: Path, module: str | None) -> tuple[str, tuple[SettingsFile, ...]] | None:
    """(the module, its file and what it star-imports) for `module`, or manage.py's when
    None; None when there is no such module to read."""
    if module is None and (root / "manage.py").is_file():
        module = _settings_in(root / "manage.py")
    path = module_file(root, module) if module and _DOTTED.fullmatch(module) else None
    if module is None or path is None:
        return None
    try:
        return module, tuple(_with_star_imports(root, SettingsFile.read(module, path)))
    except ScaffoldError:
        return None


def celery_app(root: Path, settings_module: str) -> str | None:
    """The Celery app of the packages holding the settings module, nearest first: their
    celery.py calling Celery(...), else their __init__.py assigning ``app = Celery(...)``."""
    parts = settings_module.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        package = ".".join(parts[:depth])
        directory = root.joinpath(*parts[:depth])
        tree = _parse(directory / "celery.py") if (directory / "celery.py").is_file() else None
        if tree is not None and any(_is_celery_call(node) for node in ast.walk(tree)):
            return f"{package}.celery"
        init = directory / "__init__.py"
        tree = _parse(init) if init.is_file() else None
        if tree is not None and any(_assigns_celery_app(node) for node in tree.body):
            return package
    return None


def _is_celery_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "Celery"


def _assigns_celery_app(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "app" for target in node.targets)
        and _is_celery_call(node.value)
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


# Where a project names its settings module besides manage.py, in the order they are trusted.
_SETTINGS_SOURCES = ("*/wsgi.py", "*/asgi.py", "config/wsgi.py", "config/asgi.py")
_DEPLOYED_SOURCES = ("Procfile", "Dockerfile")  # what a server runs: trusted before manage.py
_PRODUCTION = ("production", "prod")
_NOT_PRODUCTION = frozenset(
    {"base", "common", "local", "dev", "develop", "development", "test", "tests", "testing", "ci"}
)
_ASSIGNED = re.compile(
    rf"{SETTINGS_VARIABLE}\s*[=:]\s*[\"']?([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)", re.MULTILINE
)


def _configured_settings(root: Path) -> str | None:
    """settings_module of an existing cloudrun.toml: init then writes what it says."""
    from ..config import DEFAULT_PATH, load_config

    path = root / DEFAULT_PATH
    return load_config(path).settings_module if path.is_file() else None


def _production_settings(root: Path, notes: list[str]) -> str:
    """The settings module production runs: of the modules the project names (manage.py,
    wsgi.py, asgi.py, Procfile, Dockerfile, .env) and the production/prod module of their
    settings package, the first whose name is production or prod, else the first not named
    for development (local, dev, settings_test, base, ...), else manage.py's. The settings
    hook then goes into that module; INSTALLED_APPS is edited where it is defined, such as
    a base module the production module star-imports."""
    named = _named_settings(root)
    if not named:
        return _only_settings_module(root, notes)
    candidates = list(named)
    for module in named:
        path = module_file(root, module)
        # A settings package (settings/__init__.py) or a module in one: look beside it.
        package = (
            module
            if path is not None and path.name == "__init__.py"
            else (module.rpartition(".")[0])
        )
        if package and module_file(root, package) is not None:
            candidates += [f"{package}.{name}" for name in _PRODUCTION]
    existing = [m for m in dict.fromkeys(candidates) if module_file(root, m) is not None]

    def leaf(module: str) -> str:
        return module.rpartition(".")[2]

    chosen = next((m for m in existing if leaf(m) in _PRODUCTION), None) or next(
        (m for m in existing if not _NOT_PRODUCTION & set(leaf(m).split("_"))),
        named[0],
    )
    manage = _settings_in(root / "manage.py")
    if manage is not None and manage != chosen:
        notes.append(
            f"manage.py uses {manage}; the image, the deployment and `up` use {chosen}, "
            "recorded as settings_module in cloudrun.toml (--settings chooses another)"
        )
    return chosen


def _named_settings(root: Path) -> list[str]:
    """The settings modules the project's files name: Procfile's and Dockerfile's, then
    manage.py's, wsgi.py's, asgi.py's and .env's."""
    found: list[str | None] = [m for name in _DEPLOYED_SOURCES for m in _assigned_in(root / name)]
    found.append(_settings_in(root / "manage.py"))
    for pattern in _SETTINGS_SOURCES:
        found += [_settings_in(path) for path in sorted(root.glob(pattern))]
    found += _assigned_in(root / ".env")
    return [module for module in dict.fromkeys(found) if module]


def _assigned_in(path: Path) -> list[str]:
    """DJANGO_SETTINGS_MODULE=... in a text file (Procfile, Dockerfile ENV, .env)."""
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    return _ASSIGNED.findall(text)


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
