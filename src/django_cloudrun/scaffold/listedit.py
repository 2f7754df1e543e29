"""Append one item to a bracketed list in source text, keeping the file's own layout.

Used for Python list literals (positions from ast) and TOML arrays (positions from a small
scanner below). The callers re-parse the result and check that only the item was added.
"""

from __future__ import annotations

__all__ = ["append_item", "toml_array_bounds"]


def append_item(
    text: str, open_at: int, close_at: int, last: tuple[int, int] | None, item: str
) -> str:
    """`text` with `item` appended to the list whose brackets are at open_at and close_at.

    `last` is (start, end) of the last element's text, None for an empty list.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    if last is None:
        if "\n" not in text[open_at:close_at]:
            return text[: open_at + 1] + item + text[close_at:]
        line_start = text.rfind("\n", 0, close_at) + 1
        indent = _indent(text, open_at) + "    "
        return text[:line_start] + indent + item + "," + newline + text[line_start:]
    last_start, last_end = last
    between = _without_comments(text[last_end:close_at])
    has_comma = "," in between
    if "\n" not in between:  # the list closes on the last element's line
        if has_comma:
            return text[:close_at].rstrip() + " " + item + text[close_at:]
        return text[:last_end] + ", " + item + text[last_end:]
    indent = _indent(text, last_start)
    if not has_comma:
        text = text[:last_end] + "," + text[last_end:]
        last_end += 1
    line_end = text.find("\n", last_end)
    line_end = line_end - 1 if text[line_end - 1] == "\r" else line_end
    return text[:line_end] + newline + indent + item + "," + text[line_end:]


def toml_array_bounds(text: str, open_at: int) -> tuple[int, tuple[int, int] | None]:
    """(offset of the `]` closing the array opened at open_at, (start, end) of its last value)."""
    depth, i, start, last = 0, open_at, None, None
    while i < len(text):
        char = text[i]
        if char == "#":
            i = _line_end(text, i)
            continue
        if depth == 1 and start is None and not char.isspace() and char not in ",]":
            start = i  # a value begins
        if char in "\"'":
            i = _string_end(text, i)
            last = (start, i) if depth == 1 and start is not None else last
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return i, last
            if depth == 1 and start is not None:
                last = (start, i + 1)
        elif depth == 1 and char == ",":
            start = None
        elif depth == 1 and not char.isspace() and start is not None:
            last = (start, i + 1)
        i += 1
    raise ValueError("unclosed array")


def _string_end(text: str, start: int) -> int:
    quote = text[start] * 3 if text.startswith(text[start] * 3, start) else text[start]
    i = start + len(quote)
    while i < len(text):
        if text[i] == "\\" and quote[0] == '"':
            i += 2
            continue
        if text.startswith(quote, i):
            return i + len(quote)
        i += 1
    raise ValueError("unclosed string")


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _without_comments(span: str) -> str:
    return "\n".join(line.split("#")[0] for line in span.split("\n"))


def _indent(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return line[: len(line) - len(line.lstrip())]
