"""Turn pydantic's validation errors into our one-line problems."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import RULE, RULES_AT, Problem, show
from .introspect import Slot, is_table, slot_at, slot_of, toml_fields

__all__ = ["problems_from", "unknown_key"]

# What a value must be, by pydantic error type (strict mode: no coercion).
_KINDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}
_BOUNDS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    for details in error.errors(include_url=False):
        problems.extend(_translate(details, model))
    return problems


def unknown_key(key: str, table: type[BaseModel]) -> str:
    """'unknown key; did you mean X?', looking among siblings, then inside sub-tables."""
    fields = toml_fields(table)
    derived = table.model_computed_fields.get(key)
    if derived is not None:
        return f"cannot be set; it is derived ({derived.description})"
    close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]}?"
    nested = {
        f"{name}.{child}": child
        for name, info in fields.items()
        if is_table(slot_of(info).annotation)
        for child in toml_fields(slot_of(info).annotation)
    }
    inside = [path for path, child in nested.items() if child == key]
    inside = inside or difflib.get_close_matches(key, list(nested), n=1, cutoff=0.75)
    if inside:
        return f"unknown key; did you mean {inside[0]}?"
    return f"unknown key; allowed keys: {', '.join(fields)}"


def _translate(details: ErrorDetails, model: type[BaseModel]) -> list[Problem]:
    loc = tuple(details["loc"])
    kind, value, ctx = details["type"], details["input"], details.get("ctx", {})
    path = loc[:-1] if loc[-1:] == ("[key]",) else loc
    if kind == RULES_AT:
        return [Problem(path + _as_path(key), text) for key, text in ctx["problems"]]
    if kind == RULE:
        return [Problem(path, ctx["text"])]
    if kind == "extra_forbidden":
        table = slot_at(model, loc[:-1])
        if table is not None and is_table(table.annotation):
            return [Problem(path, unknown_key(str(loc[-1]), table.annotation))]
        return [Problem(path, "unknown key")]
    return [Problem(path, _text(kind, value, slot_at(model, loc), details))]


def _text(kind: str, value: Any, slot: Slot | None, details: ErrorDetails) -> str:
    if kind == "missing":
        return "required key is missing"
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}, got {show(value)}"
    if kind == "literal_error" and slot is not None:
        allowed = ", ".join(str(choice) for choice in get_args(slot.annotation))
        return f"must be one of {allowed}, got {show(value)}"
    if kind in _BOUNDS and slot is not None:
        return _bounds(value, slot)
    return f"{details['msg'][:1].lower()}{details['msg'][1:]}, got {show(value)}"


def _bounds(value: Any, slot: Slot) -> str:
    low, high = slot.constraint("ge"), slot.constraint("le")
    if low is not None and high is not None:
        return f"must be between {low} and {high}, got {show(value)}"
    if low is not None:
        return f"must be >= {low}, got {show(value)}"
    return f"must be <= {high}, got {show(value)}"


def _as_path(key: str | int | Sequence[str | int]) -> tuple[str | int, ...]:
    return (key,) if isinstance(key, str | int) else tuple(key)
