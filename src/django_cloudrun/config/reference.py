"""Render the cloudrun.toml reference from the model.

The README embeds it (`python -m django_cloudrun.reference README.md` rewrites that section);
a test fails when the README differs from what this renders.
"""

from __future__ import annotations

import json
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .introspect import Slot, is_table, slot_of, toml_fields
from .model import CloudRunConfig
from .rules import Rule
from .source import MAX_DEPTH, MAX_FILE_BYTES

__all__ = ["render_markdown"]

_INTRO = """\
# cloudrun.toml reference

`cloudrun.toml` sits next to `manage.py`. Every key is optional: an empty file is a valid
configuration, and the defaults below are the only defaults there are (the local target and
the cloud deployment both read them from here). `django-cloudrun validate` prints the resolved
configuration, or one line per problem naming the key and the rule it breaks.

Values are typed: `max_instance_count = "3"` is refused (write `3`); the one exception is
`cpu`, which may be written `2` or `"2"`.

The file must be a regular file of at most {max_kib} KiB, its arrays and tables nested at most
{max_depth} levels deep; anything else (a FIFO, a device, a huge file) is refused before it is
read.
"""

_ENVIRONMENTS = """\
## Environments

`[environments.NAME]` tables override the base configuration for one environment, chosen
with `--env NAME`:

```toml
tenant_deployment_id = "shop"

[environments.staging]
tenant_deployment_id = "shop-stg"
max_instance_count = 2

[environments.staging.environment_variables]
FEATURE_FLAGS = "beta"
```

An environment table takes the same keys and rules as the base. It is deep-merged over the
base: tables merge key by key (so `environment_variables` adds to the base's), arrays and
values replace the base's. The base and every environment are validated each time,
whichever one is chosen.
"""


def render_markdown() -> str:
    intro = _INTRO.format(max_kib=MAX_FILE_BYTES // 1024, max_depth=MAX_DEPTH)
    parts = [intro, _section("Top level", None, CloudRunConfig)]
    parts += _tables("", CloudRunConfig)
    parts.append(_derived())
    parts.append(_ENVIRONMENTS)
    return "\n".join(parts)


def _tables(prefix: str, model: type[BaseModel]) -> list[str]:
    """A section for each table inside `model`, then for the tables inside those."""
    parts = []
    for key, info in toml_fields(model).items():
        slot = slot_of(info)
        if is_table(slot.annotation):
            table = slot.annotation
            parts.append(_section(f"`[{prefix}{key}]`", table.__doc__, table))
            parts += _tables(f"{prefix}{key}.", table)
        elif get_origin(slot.annotation) is list and is_table(get_args(slot.annotation)[0]):
            table = get_args(slot.annotation)[0]
            parts.append(_section(f"`[[{prefix}{key}]]`", table.__doc__, table))
    return parts


def _section(title: str, doc: str | None, model: type[BaseModel]) -> str:
    lines = [f"## {title}", ""]
    if doc:
        lines += [doc.strip(), ""]
    lines += ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for key, info in toml_fields(model).items():
        slot = slot_of(info)
        if _is_subtable(slot):
            continue
        cells = [f"`{key}`", _type(slot), _default(info), _description(info, slot)]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _derived() -> str:
    lines = ["## Derived values", "", "Computed from the keys above; they cannot be set.", ""]
    lines += ["| Key | Description |", "|---|---|"]
    for key, computed in CloudRunConfig.model_computed_fields.items():
        lines.append(f"| `{key}` | {computed.description} |")
    return "\n".join(lines) + "\n"


def _is_subtable(slot: Slot) -> bool:
    inner = get_args(slot.annotation)[0] if get_origin(slot.annotation) is list else None
    return is_table(slot.annotation) or is_table(inner)


def _type(slot: Slot) -> str:
    annotation = slot.annotation
    origin = get_origin(annotation)
    if origin is Literal:
        text = "one of " + ", ".join(f"`{choice}`" for choice in get_args(annotation))
    elif origin is list:
        text = "array of " + _type(_slot_of_arg(get_args(annotation)[0])) + "s"
    elif origin is dict:
        key, value = (_type(_slot_of_arg(arg)) for arg in get_args(annotation))
        text = f"table of {key} = {value}"
    else:
        names = {bool: "boolean", int: "integer", float: "number", str: "string"}
        text = names.get(annotation, getattr(annotation, "__name__", str(annotation)))
    return text + _range(slot) + (", optional" if slot.optional else "")


def _range(slot: Slot) -> str:
    low, high = slot.constraint("ge"), slot.constraint("le")
    if low is not None and high is not None:
        return f" ({low}..{high})"
    if low is not None or high is not None:
        return f" (>= {low})" if low is not None else f" (<= {high})"
    return ""


def _slot_of_arg(annotation: Any) -> Slot:
    return slot_of(FieldInfo.from_annotation(annotation))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    return f"`{_toml(value)}`"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def _description(info: FieldInfo, slot: Slot) -> str:
    sentences = [info.description or ""]
    sentences += [f"Must be {text}." for text in _rules(slot)]
    origin, args = get_origin(slot.annotation), get_args(slot.annotation)
    if origin is list:
        sentences += [f"Each must be {text}." for text in _rules(_slot_of_arg(args[0]))]
    if origin is dict:
        sentences += [f"Names must be {text}." for text in _rules(_slot_of_arg(args[0]))]
        sentences += [f"Values must be {text}." for text in _rules(_slot_of_arg(args[1]))]
    return " ".join(sentence for sentence in sentences if sentence)


def _rules(slot: Slot) -> list[str]:
    return [item.text for item in slot.metadata if isinstance(item, Rule)]


if __name__ == "__main__":
    print(render_markdown(), end="")
