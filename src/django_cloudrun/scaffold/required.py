"""The environment variables a project's settings cannot start without.

Read from the settings' syntax trees, never by importing them: `env("X")`, `env.str("X")`,
`env.db()` (DATABASE_URL) and the other django-environ readers without a default, and
`os.environ["X"]`. `os.environ.get`, `os.getenv` and any reader given a default are optional.
Variables django-cloudrun provides itself (the contract, DATABASE_URL, the secret key, the
allowed hosts, the settings module) are left out: the project never sets them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .. import contract
from ..config import looks_secret
from .settings_edit import SettingsFile

__all__ = [
    "PROVIDED",
    "Required",
    "build_placeholder",
    "read_without_default",
    "required_variables",
]

# What django-cloudrun (or Cloud Run) gives every process, in the names projects read.
PROVIDED = frozenset(
    {var.name for var in contract.CONTRACT}
    | {"DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "ALLOWED_HOSTS"}
)

_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")  # what cloudrun.toml accepts; others are left to you
# django-environ readers whose first argument has a default variable name; `env.db()` reads
# DATABASE_URL. Every other reader (str, bool, int, list, url, json, ...) needs the name.
_DEFAULT_NAMES = {
    "db": "DATABASE_URL",
    "db_url": "DATABASE_URL",
    "cache": "CACHE_URL",
    "cache_url": "CACHE_URL",
    "email": "EMAIL_URL",
    "email_url": "EMAIL_URL",
    "search_url": "SEARCH_URL",
    "channels": "CHANNELS_URL",
    "channels_url": "CHANNELS_URL",
}
# Readers whose default is their third positional argument (Env.__call__(var, cast, default));
# the others take it second (env.str(var, default)).
_DEFAULT_THIRD = frozenset({"__call__", "get_value"})


@dataclass(frozen=True)
class Required:
    name: str
    where: str  # path:line of the first read, relative to the project
    reader: str = "__call__"  # the django-environ method (str, int, db, ...); environ: "[]"

    @property
    def secret(self) -> bool:
        return looks_secret(self.name)


def required_variables(root: Path, files: tuple[SettingsFile, ...]) -> list[Required]:
    """What the project must give: the variables read without a default that django-cloudrun
    does not provide."""
    return [r for r in read_without_default(root, files) if r.name not in PROVIDED]


def read_without_default(root: Path, files: tuple[SettingsFile, ...]) -> list[Required]:
    """Each variable the settings read without a default, once, in the order first read."""
    readers = {"env"} | {name for file in files for name in _env_instances(file.tree)}
    found: dict[str, Required] = {}
    for file in reversed(files):  # the base first: that is where most are read
        for name, line, reader in _reads(file.tree, readers):
            if name not in found and _NAME.fullmatch(name):
                where = f"{file.path.relative_to(root).as_posix()}:{line}"
                found[name] = Required(name, where, reader)
    return list(found.values())


# Values that django-environ's readers accept, for the image build's collectstatic: the
# settings load there with no real value of anything.
_PLACEHOLDERS = {
    "int": "0",
    "float": "0",
    "bool": "false",
    "json": "{}",
    "db": "postgres://collectstatic@localhost:5432/collectstatic",
    "db_url": "postgres://collectstatic@localhost:5432/collectstatic",
    "cache": "locmemcache://",
    "cache_url": "locmemcache://",
    "email": "consolemail://",
    "email_url": "consolemail://",
    "search_url": "simple://",
    "url": "http://localhost",
}


def build_placeholder(required: Required) -> str:
    return _PLACEHOLDERS.get(required.reader, "collectstatic-placeholder")


def _env_instances(tree: ast.Module) -> set[str]:
    """Names bound to `environ.Env(...)` or `Env(...)`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == "Env":
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _reads(tree: ast.Module, readers: set[str]) -> list[tuple[str, int, str]]:
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name, reader = _env_read(node, readers)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            name, reader = _environ_item(node), "[]"
        else:
            continue
        if name is not None:
            reads.append((name, node.lineno, reader))
    return sorted(reads, key=lambda read: read[1])


def _env_read(call: ast.Call, readers: set[str]) -> tuple[str | None, str]:
    """The variable a django-environ call reads without a default, or None."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in readers:
        method = "__call__"
    elif (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in readers
    ):
        method = func.attr
    else:
        return None, ""
    if method in ("read_env", "parse_value", "smart_cast", "escape_proxy", "prefix"):
        return None, method
    keywords = {k.arg for k in call.keywords}
    positional_default = 3 if method in _DEFAULT_THIRD else 2
    if "default" in keywords or len(call.args) >= positional_default:
        return None, method
    first = (
        call.args[0]
        if call.args
        else next((k.value for k in call.keywords if k.arg == "var"), None)
    )
    if first is None:
        return _DEFAULT_NAMES.get(method), method
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value, method
    return None, method


def _environ_item(node: ast.Subscript) -> str | None:
    """X of `os.environ["X"]` (or `environ["X"]`)."""
    value = node.value
    is_environ = (isinstance(value, ast.Attribute) and value.attr == "environ") or (
        isinstance(value, ast.Name) and value.id == "environ"
    )
    key = node.slice
    if is_environ and isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return None
