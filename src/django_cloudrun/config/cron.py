"""Unix-cron expressions (the five-field syntax Cloud Scheduler accepts): check, parse, and
find when one fires next.

Semantics are Vixie cron's: `a-b/n` is every n-th value from a to b, `a/n` runs from a to
the field's end, names (JAN..DEC, SUN..SAT) stand for numbers, 0 and 7 are both Sunday.
When both day-of-month and day-of-week are restricted, a day matches if EITHER matches
("0 0 1 * MON": the 1st and every Monday); when either field starts with `*` (including
`*/n`), a day must match both. Times are UTC: there is no daylight saving time to skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["CRON_RULE", "CronSpec", "cron_problem", "next_fire", "parse_cron"]

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


@dataclass(frozen=True)
class CronSpec:
    """The values each field allows; weekdays use 0 for Sunday (7 is folded into 0)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day-of-month starts with *
    any_weekday: bool  # day-of-week starts with *

    def day_matches(self, day: date) -> bool:
        in_month = day.day in self.days
        in_week = day.isoweekday() % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week


def parse_cron(expression: str) -> CronSpec:
    """The fields of `expression`; ValueError (the validator's message) if it is invalid."""
    problem = cron_problem(expression)
    if problem is not None:
        raise ValueError(problem)
    texts = expression.split()
    values = [
        frozenset(_values(text, lowest, highest, names))
        for text, (_, lowest, highest, names) in zip(texts, _FIELDS, strict=True)
    ]
    return CronSpec(
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=frozenset(day % 7 for day in values[4]),
        any_day=texts[2].startswith("*"),
        any_weekday=texts[4].startswith("*"),
    )


def _values(text: str, lowest: int, highest: int, names: list[str]) -> set[int]:
    out: set[int] = set()
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        assert match is not None  # cron_problem accepted it
        step = int(match["step"]) if match["step"] else 1
        start, end = lowest, highest
        if match["range"] != "*":
            start = _known(match["lo"], lowest, names)
            if match["hi"]:
                end = _known(match["hi"], lowest, names)
            elif not match["step"]:  # "5" is 5 alone; "5/15" runs from 5 to the end in steps
                end = start
        out.update(range(start, end + 1, step))
    return out


def _known(token: str, lowest: int, names: list[str]) -> int:
    number = _number(token, lowest, names)
    assert number is not None  # cron_problem accepted it
    return number


# Long enough for any expression that ever fires: Feb 29 on a given weekday recurs within
# 28 years; one that never fires (0 0 31 2 *) is reported as None after this.
_HORIZON_DAYS = 366 * 29


def next_fire(schedule: str | CronSpec, after: datetime) -> datetime | None:
    """The first minute strictly after `after` (aware) that `schedule` matches, in UTC.

    None if it never fires, such as on February 30th.
    """
    if after.tzinfo is None:
        raise ValueError("next_fire needs an aware datetime, such as datetime.now(UTC)")
    spec = parse_cron(schedule) if isinstance(schedule, str) else schedule
    start = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    hours, minutes = sorted(spec.hours), sorted(spec.minutes)
    day, hour, minute = start.date(), start.hour, start.minute
    for _ in range(_HORIZON_DAYS):
        if day.month not in spec.months:
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            hour = minute = 0
            continue
        if spec.day_matches(day):
            for h in hours:
                if h < hour:
                    continue
                for m in minutes:
                    if h > hour or m >= minute:
                        return datetime(day.year, day.month, day.day, h, m, tzinfo=UTC)
        day, hour, minute = day + timedelta(days=1), 0, 0
    return None
