"""Walk the model by TOML key path: which type and constraints a key has."""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = ["Slot", "is_table", "slot_at", "slot_of", "toml_fields"]


@dataclass(frozen=True)
class Slot:
    """What a key holds: its bare type, its constraints, and whether it may be unset."""

    annotation: Any
    metadata: tuple[Any, ...] = ()
    optional: bool = False

    def constraint(self, name: str) -> Any:
        """The value of a Field constraint such as ge or le, or None."""
        for item in self.metadata:
            if hasattr(item, name):
                return getattr(item, name)
        return None


def toml_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The model's fields keyed as they are spelled in TOML (their alias, if any)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def is_table(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def slot_of(info: FieldInfo) -> Slot:
    return _unwrap(info.annotation, tuple(info.metadata))


def slot_at(model: type[BaseModel], loc: Sequence[str | int]) -> Slot | None:
    """The slot at a pydantic error location; "[key]" selects a dict's key type."""
    slot = Slot(model)
    for part in loc:
        annotation = slot.annotation
        origin = get_origin(annotation)
        if is_table(annotation) and isinstance(part, str):
            info = toml_fields(annotation).get(part)
            if info is None:
                return None
            slot = slot_of(info)
        elif origin is list and isinstance(part, int):
            slot = _unwrap(get_args(annotation)[0])
        elif origin is dict:
            key_type, value_type = get_args(annotation)
            slot = _unwrap(key_type if part == "[key]" else value_type)
        else:
            return None
    return slot


def _unwrap(annotation: Any, metadata: tuple[Any, ...] = ()) -> Slot:
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *extra = get_args(annotation)
            annotation, metadata = base, metadata + tuple(extra)
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            (annotation,) = [arg for arg in get_args(annotation) if arg is not type(None)]
            optional = True
        else:
            return Slot(annotation, metadata, optional)
