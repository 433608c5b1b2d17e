"""Working days in Vietnam, with dates written out by hand: Tết 2026 and 2027, 30 April-1 May, 2 September,
and the make-up Saturday of 2026 (22 August worked, 31 August off)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.time.calendar import WorkingCalendar, get_calendar


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return get_calendar()


@pytest.mark.parametrize("day,working", [
    (date(2026, 2, 13), True),    # Friday before Tết
    (date(2026, 2, 16), False),   # Tết 2026: 16-20 February
    (date(2026, 2, 20), False),
    (date(2026, 2, 23), True),
    (date(2027, 2, 4), False),    # Tết 2027: 4-10 February
    (date(2027, 2, 10), False),
    (date(2027, 2, 11), True),
    (date(2026, 4, 27), False),   # Hùng Kings' day (26 April, a Sunday) observed on Monday
    (date(2026, 4, 30), False),
    (date(2026, 5, 1), False),
    (date(2026, 8, 22), True),    # make-up Saturday
    (date(2026, 8, 29), False),   # an ordinary Saturday
    (date(2026, 8, 31), False),   # swapped day off
    (date(2026, 9, 1), False),    # National Day, two days
    (date(2026, 9, 2), False),
    (date(2026, 9, 3), True),
])  # fmt: skip
def test_which_days_are_worked(cal, day, working):
    assert cal.is_working_day(day) is working


@pytest.mark.parametrize("start,n,expected", [
    (date(2026, 2, 13), 1, date(2026, 2, 23)),   # Friday before Tết: next working day is after it
    (date(2026, 2, 13), 5, date(2026, 2, 27)),
    (date(2026, 2, 12), 5, date(2026, 2, 26)),   # Fri 13 (1), Tết, Mon 23 .. Thu 26
    (date(2027, 2, 3), 1, date(2027, 2, 11)),    # Wed 3 Feb 2027: Tết 4-10, then Thursday 11
    (date(2027, 2, 3), 5, date(2027, 2, 17)),    # 11, 12, 15, 16, 17
    (date(2026, 4, 24), 5, date(2026, 5, 6)),    # Fri 24 Apr: 28, 29, (30, 1 off) 4, 5, 6 May
    (date(2026, 4, 29), 1, date(2026, 5, 4)),
    (date(2026, 8, 21), 1, date(2026, 8, 22)),   # Friday, then the make-up Saturday
    (date(2026, 8, 21), 5, date(2026, 8, 27)),   # 22, 24, 25, 26, 27
    (date(2026, 8, 28), 1, date(2026, 9, 3)),    # 31 Aug swapped, 1-2 Sep National Day
    (date(2026, 8, 28), 5, date(2026, 9, 9)),    # 3, 4, 7, 8, 9
    (date(2026, 2, 14), 1, date(2026, 2, 23)),   # from a Saturday
])  # fmt: skip
def test_add_working_days(cal, start, n, expected):
    assert cal.add_working_days(start, n) == expected


@pytest.mark.parametrize("end,n,expected", [
    (date(2026, 2, 27), 5, date(2026, 2, 13)),
    (date(2026, 2, 24), 2, date(2026, 2, 13)),
    (date(2026, 9, 3), 1, date(2026, 8, 28)),
    (date(2026, 8, 24), 1, date(2026, 8, 22)),
])  # fmt: skip
def test_sub_working_days(cal, end, n, expected):
    assert cal.sub_working_days(end, n) == expected


@pytest.mark.parametrize("start,n,expected", [
    (date(2026, 2, 16), 0, date(2026, 2, 23)),   # 0: the first working day on or after (Tết Monday)
    (date(2026, 3, 11), 0, date(2026, 3, 11)),
    (date(2026, 3, 13), -2, date(2026, 3, 11)),  # a clock paused 2 days late stays 2 days late
    (date(2026, 2, 23), -1, date(2026, 2, 13)),
])  # fmt: skip
def test_shift_working_days(cal, start, n, expected):
    assert cal.shift_working_days(start, n) == expected


def test_working_days_between_counts_the_end_not_the_start(cal):
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert cal.working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == -5
    assert cal.working_days_between(date(2026, 8, 28), date(2026, 9, 3)) == 1


def test_an_override_file_adds_days_off_and_working_days():
    cal = WorkingCalendar({date(2026, 3, 3): False, date(2026, 3, 7): True})
    assert cal.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 4)
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)


def test_counting_working_days_agrees_with_counting_them_one_by_one(cal):
    """The year-by-year counts a list page uses give what walking the days gives: across New Year,
    Tết, an announced swap, and before the year the counts start from."""
    import random

    def walked(start: date, end: date) -> int:
        if end < start:
            return -walked(end, start)
        day, n = start, 0
        while day < end:
            day += timedelta(days=1)
            n += cal.is_working_day(day)
        return n

    rng = random.Random(11)
    for _ in range(400):
        a = date(2015, 1, 1) + timedelta(days=rng.randint(0, 5000))
        b = a + timedelta(days=rng.randint(-800, 800))
        assert cal.working_days_between(a, b) == walked(a, b), (a, b)
