"""The two edits init makes to a project's settings, found with ast and checked with ast.

1. "django_cloudrun" appended to the INSTALLED_APPS list literal: in the settings module, or
   in the module it star-imports (settings/base.py), or in the list INSTALLED_APPS is built
   from (THIRD_PARTY_APPS in INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + ...).
2. The one-line configure() at the end of the settings module itself, so that it runs after
   every other setting (its production safety rules must have the last word).

Each edited text is parsed again: the module must be the old one plus exactly the addition.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ScaffoldError
from .listedit import append_item

__all__ = ["APP", "CONFIGURE_LINE", "SettingsFile", "add_app", "add_configure", "has_app"]

APP = "django_cloudrun"
CONFIGURE_COMMENT = (
    "# django-cloudrun: database, SECRET_KEY, hosts, storage and logging from the environment.\n"
    "# Keep it last: on Cloud Run its safety rules override the settings above."
)
CONFIGURE_LINE = (
    "from django_cloudrun.settings import configure; configure(globals())  # noqa: E402, E702"
)
_LIST_PREFERENCE = ("THIRD_PARTY_APPS", "EXTERNAL_APPS", "SHARED_APPS")


@dataclass(frozen=True)
class SettingsFile:
    module: str  # dotted name, e.g. mysite.settings.production
    path: Path
    text: str
    tree: ast.Module

    @classmethod
    def read(cls, module: str, path: Path) -> SettingsFile:
        try:
            text = path.read_bytes().decode("utf-8")
            tree = ast.parse(text, filename=str(path))
        except (UnicodeDecodeError, SyntaxError) as exc:
            raise ScaffoldError(f"{path}: cannot be read as Python source ({exc})") from None
        return cls(module, path, text, tree)


def has_app(files: list[SettingsFile]) -> bool:
    """Whether a list literal in these modules already names the app."""
    for file in files:
        for node in ast.walk(file.tree):
            if isinstance(node, ast.List | ast.Tuple) and any(_names_app(e) for e in node.elts):
                return True
    return False


def add_app(files: list[SettingsFile]) -> tuple[SettingsFile, str] | None:
    """(file, its new text) with "django_cloudrun" in INSTALLED_APPS, or None if not found.

    `files` is the settings module first, then the modules it star-imports.
    """
    for file in files:
        target = _apps_list(file.tree)
        if target is None:
            continue
        quote = _quote(file.text, target)
        item = f"{quote}{APP}{quote}"
        open_at = _offset(file.text, target.lineno, target.col_offset)
        close_at = _offset(file.text, target.end_lineno or 0, target.end_col_offset or 0) - 1
        last = None
        if target.elts:
            element = target.elts[-1]
            last = (
                _offset(file.text, element.lineno, element.col_offset),
                _offset(file.text, element.end_lineno or 0, element.end_col_offset or 0),
            )
        new = append_item(file.text, open_at, close_at, last, item)
        _check_app_added(file, new)
        return file, new
    return None


def add_configure(file: SettingsFile) -> str | None:
    """The settings module's text with configure() at the end, or None if it calls it."""
    if any(_imports_configure(node) for node in ast.walk(file.tree)):
        return None
    newline = "\r\n" if "\r\n" in file.text else "\n"
    text = file.text.rstrip() + newline * 2 if file.text.strip() else ""
    block = CONFIGURE_COMMENT.replace("\n", newline) + newline + CONFIGURE_LINE + newline
    new = text + block
    try:
        body = ast.parse(new).body
    except SyntaxError:
        body = []
    if ast.dump(ast.Module(body[:-2], [])) != ast.dump(ast.Module(file.tree.body, [])):
        raise ScaffoldError(f"{file.path}: could not append configure() safely; add it yourself")
    return new


def _names_app(node: ast.expr) -> bool:
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return False
    return node.value == APP or node.value.startswith(f"{APP}.apps.")


def _imports_configure(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom) and node.module == f"{APP}.settings":
        return any(alias.name in ("configure", "*") for alias in node.names)
    return False


def _assignments(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            yield node.target.id, node.value


def _apps_list(tree: ast.Module) -> ast.List | ast.Tuple | None:
    values = dict(_assignments(tree))  # the last assignment of each name wins
    value = values.get("INSTALLED_APPS")
    if isinstance(value, ast.List | ast.Tuple):
        return value
    parts = list(_operands(value)) if isinstance(value, ast.BinOp) else []
    names = [p.id for p in parts if isinstance(p, ast.Name)]
    for name in [n for n in _LIST_PREFERENCE if n in names] + names[::-1]:
        if isinstance(values.get(name), ast.List | ast.Tuple):
            return values[name]  # type: ignore[return-value]
    return None


def _operands(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _operands(node.left)
        yield from _operands(node.right)
    else:
        yield node


def _quote(text: str, target: ast.List | ast.Tuple) -> str:
    for element in target.elts:
        if isinstance(element, ast.Constant) and isinstance(element.value, str):
            first = ast.get_source_segment(text, element) or '"'
            return "'" if first.lstrip("rRbBuU").startswith("'") else '"'
    return '"'


def _offset(text: str, lineno: int, col: int) -> int:
    """Character offset of ast's (line, UTF-8 byte column) position."""
    lines = io.StringIO(text, newline="").readlines()  # ast's line breaks: \n, \r\n, \r
    start = sum(len(line) for line in lines[: lineno - 1])
    return start + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8"))


def _check_app_added(file: SettingsFile, new: str) -> None:
    try:
        tree = ast.parse(new)
    except SyntaxError:
        tree = None
    target = _apps_list(tree) if tree else None
    ok = target is not None and target.elts and _names_app(target.elts[-1])
    if ok and target is not None and tree is not None:
        target.elts.pop()
        ok = ast.dump(tree) == ast.dump(file.tree)
    if not ok:
        raise ScaffoldError(
            f"{file.path}: could not add {APP!r} to INSTALLED_APPS safely; add it yourself"
        )
