"""Unix-cron expressions (the five-field syntax Cloud Scheduler accepts): check them, and find
when one fires next.

cronsim computes the schedule, with Debian (Vixie) cron's semantics: `a-b/n` is every n-th
value from a to b, `a/n` runs from a to the field's end, names (JAN..DEC, SUN..SAT) stand for
numbers, 0 and 7 are both Sunday. When both day-of-month and day-of-week are restricted, a day
matches if EITHER matches ("0 0 1 * MON": the 1st and every Monday); when either field starts
with `*` (including `*/n`), a day must match both. Times are UTC: there is no daylight saving
time to skip.

cronsim also reads extensions Cloud Scheduler refuses (a seconds field, L, W, #), and says only
"Bad minute" when a field is wrong, so `cron_problem` checks the syntax first and names the
field, the rule and the value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cronsim import CronSim, CronSimError

__all__ = ["CRON_RULE", "cron_problem", "next_fire"]

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
_ITEM = re.compile(r"(?P<range>\*|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>\d+))?", re.ASCII)
# Any moment does: cronsim checks the expression when it is built.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


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
    try:
        CronSim(expression, _EPOCH)
    except CronSimError:
        # The fields are each valid, so the days are: "0 0 30 2 *" never fires.
        return (
            f"day-of-month field {fields[2]!r} names no day that month field {fields[3]!r} "
            f"has, so it never runs, in {expression!r}"
        )
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


def next_fire(expression: str, after: datetime) -> datetime | None:
    """The first minute strictly after `after` (aware) that `expression` matches, in UTC.

    ValueError (the validator's message) if `expression` is invalid; None if it does not fire
    within cronsim's horizon of 50 years.
    """
    if after.tzinfo is None:
        raise ValueError("next_fire needs an aware datetime, such as datetime.now(UTC)")
    problem = cron_problem(expression)
    if problem is not None:
        raise ValueError(problem)
    return next(CronSim(expression, after.astimezone(UTC)), None)
