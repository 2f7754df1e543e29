"""Check unix-cron expressions (the five-field syntax Cloud Scheduler accepts)."""

from __future__ import annotations

import re

__all__ = ["CRON_RULE", "cron_problem"]

CRON_RULE = "a 5-field cron expression (minute hour day-of-month month day-of-week)"

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# name, lowest, highest, names usable instead of numbers (index + lowest)
_FIELDS: tuple[tuple[str, int, int, list[str]], ...] = (
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day-of-month", 1, 31, []),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _DAYS),  # 0 and 7 are both Sunday
)
_ITEM = re.compile(r"(?P<range>\*|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>\d+))?")


def cron_problem(expression: str) -> str | None:
    """What is wrong with `expression`, or None if Cloud Scheduler would accept it."""
    fields = expression.split()
    if len(fields) != 5:
        return f"must be {CRON_RULE}, got {expression!r}"
    for text, (name, lowest, highest, names) in zip(fields, _FIELDS, strict=True):
        for item in text.split(","):
            problem = _item_problem(item, lowest, highest, names)
            if problem:
                return f"{name} field {text!r} {problem} in {expression!r}"
    return None


def _item_problem(item: str, lowest: int, highest: int, names: list[str]) -> str | None:
    match = _ITEM.fullmatch(item)
    if match is None:
        return "is not a number, range (a-b), list (a,b), step (*/n) or *"
    if match["step"] is not None and int(match["step"]) == 0:
        return "has a step of 0"
    if match["range"] == "*":
        return None
    tokens = [token for token in (match["lo"], match["hi"]) if token is not None]
    values = [_number(token, lowest, names) for token in tokens]
    numbers = [value for value in values if value is not None]
    if len(numbers) != len(values):
        return "is not a number" + (f" or a name ({names[0]}...{names[-1]})" if names else "")
    if not all(lowest <= value <= highest for value in numbers):
        return f"is out of range {lowest}-{highest}"
    if len(numbers) == 2 and numbers[0] > numbers[1]:
        return "has a range whose start is after its end"
    return None


def _number(token: str, lowest: int, names: list[str]) -> int | None:
    if token.isdigit():
        return int(token)
    if token.upper() in names:
        return names.index(token.upper()) + lowest
    return None
