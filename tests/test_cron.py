"""next_fire: when a 5-field cron expression fires next, with Vixie cron's semantics, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from django_cloudrun.config.cron import cron_problem, next_fire


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


CASES = [
    # every minute: the next whole minute, strictly after
    ("* * * * *", "2024-01-01 00:00", "2024-01-01 00:01"),
    ("* * * * *", "2024-12-31 23:59", "2025-01-01 00:00"),
    # fixed times
    ("30 3 * * *", "2024-05-10 03:29", "2024-05-10 03:30"),
    ("30 3 * * *", "2024-05-10 03:30", "2024-05-11 03:30"),
    ("0 0 * * *", "2024-02-28 12:00", "2024-02-29 00:00"),  # leap year
    ("0 0 * * *", "2023-02-28 12:00", "2023-03-01 00:00"),
    # month ends: a day-of-month that some months lack
    ("0 0 31 * *", "2024-04-01 00:00", "2024-05-31 00:00"),
    ("0 12 30 * *", "2024-01-31 00:00", "2024-03-30 12:00"),  # no February 30th
    ("0 0 29 2 *", "2024-03-01 00:00", "2028-02-29 00:00"),
    ("0 0 1 * *", "2024-12-15 00:00", "2025-01-01 00:00"),
    # steps
    ("*/15 * * * *", "2024-01-01 10:07", "2024-01-01 10:15"),
    ("*/15 * * * *", "2024-01-01 10:45", "2024-01-01 11:00"),
    ("5/20 * * * *", "2024-01-01 10:46", "2024-01-01 11:05"),  # 5, 25, 45
    ("0 */6 * * *", "2024-01-01 13:00", "2024-01-01 18:00"),
    ("0 8-18/4 * * *", "2024-01-01 16:30", "2024-01-02 08:00"),  # 8, 12, 16
    ("0 0 */10 * *", "2024-01-12 00:00", "2024-01-21 00:00"),  # 1, 11, 21, 31
    # lists and ranges
    ("0,30 9,17 * * *", "2024-01-01 09:30", "2024-01-01 17:00"),
    ("0 9-11 * * *", "2024-01-01 11:01", "2024-01-02 09:00"),
    # names, case-insensitive; 7 and 0 are Sunday
    ("0 0 * * 5-7", "2024-01-05 00:00", "2024-01-06 00:00"),  # Friday -> Saturday
    ("0 0 * * 5-7", "2024-01-06 00:00", "2024-01-07 00:00"),  # Saturday -> Sunday
    ("0 9 * * MON-FRI", "2024-01-05 10:00", "2024-01-08 09:00"),  # Friday -> Monday
    ("0 9 * * sat,sun", "2024-01-01 00:00", "2024-01-06 09:00"),
    ("0 9 * * 7", "2024-01-01 00:00", "2024-01-07 09:00"),
    ("0 9 * * 0", "2024-01-01 00:00", "2024-01-07 09:00"),
    ("0 0 1 JAN,JUL *", "2024-02-01 00:00", "2024-07-01 00:00"),
    ("0 0 * DEC *", "2024-01-01 00:00", "2024-12-01 00:00"),
    # both day fields restricted: either matches (the 13th OR a Friday)
    ("0 0 13 * FRI", "2024-01-01 00:00", "2024-01-05 00:00"),  # Friday 5th
    ("0 0 13 * FRI", "2024-01-10 00:00", "2024-01-12 00:00"),  # Friday 12th
    ("0 0 13 * FRI", "2024-01-12 00:00", "2024-01-13 00:00"),  # Saturday 13th
    ("0 0 1 * MON", "2024-01-30 00:00", "2024-02-01 00:00"),  # Thursday the 1st
    # one of them *: both must match (the other restricts alone)
    ("0 0 * * FRI", "2024-01-12 00:00", "2024-01-19 00:00"),
    ("0 0 13 * *", "2024-01-13 00:00", "2024-02-13 00:00"),
    # a field starting with * counts as *, as in Vixie cron: odd days that are Mondays
    ("0 0 */2 * MON", "2024-01-01 00:00", "2024-01-15 00:00"),
    # the month restricts whichever day field matched
    ("0 0 13 2 *", "2024-02-14 00:00", "2025-02-13 00:00"),
]


@pytest.mark.parametrize(("expression", "after", "expected"), CASES)
def test_next_fire(expression, after, expected):
    assert next_fire(expression, at(after)) == at(expected)


def test_seconds_are_ignored_and_the_result_is_strictly_later():
    moment = at("2024-01-01 10:15") + timedelta(seconds=59, microseconds=1)
    assert next_fire("*/15 * * * *", moment) == at("2024-01-01 10:30")


def test_other_time_zones_are_converted_to_utc():
    paris = timezone(timedelta(hours=1))
    moment = datetime(2024, 1, 1, 4, 0, tzinfo=paris)  # 03:00 UTC
    fired = next_fire("30 3 * * *", moment)
    assert fired == at("2024-01-01 03:30") and fired.tzinfo is UTC


def test_an_expression_that_never_fires_is_invalid():
    assert cron_problem("0 0 30 2 *") == (
        "day-of-month field '30' names no day that month field '2' has, so it never runs, "
        "in '0 0 30 2 *'"
    )
    assert cron_problem("0 0 31 4,6 */2") is not None
    assert cron_problem("0 0 30 2 MON") is None  # either day field matches: every Monday


def test_extensions_cloud_scheduler_refuses_are_invalid():
    assert "must be a 5-field" in cron_problem("0 0 0 * * *")  # seconds
    for expression in ("0 0 L * *", "0 0 * * 5L", "0 0 * * MON#2", "0 0 15W * *"):
        assert "is not a number" in cron_problem(expression), expression


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="aware"):
        next_fire("* * * * *", datetime(2024, 1, 1))


def test_an_invalid_expression_raises_the_validators_message():
    with pytest.raises(ValueError, match="month field '13' is out of range 1-12"):
        next_fire("0 0 * 13 *", at("2024-01-01 00:00"))


def test_every_fire_of_a_busy_expression_over_a_year_matches_it():
    moment, seen = at("2024-01-01 00:00"), 0
    while moment < at("2025-01-01 00:00"):
        fired = next_fire("*/7 */5 1-10,20 * MON,WED", moment)
        assert fired is not None and fired > moment
        assert fired.minute % 7 == 0 and fired.hour % 5 == 0
        assert fired.day in {*range(1, 11), 20} or fired.isoweekday() in (1, 3)
        moment, seen = fired, seen + 1
    assert seen > 1000
