"""Reporting periods: calendar months, quarters and years for every view; the cut-off on the 14th only when asked for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.time.periods import Month, PeriodError, current_year, month_of, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2026", date(2025, 12, 15), date(2026, 12, 14), "year"),
        ("2026-Q1", date(2025, 12, 15), date(2026, 3, 14), "quarter"),
        ("2026-q4", date(2026, 9, 15), date(2026, 12, 14), "quarter"),
        ("2026-H1", date(2025, 12, 15), date(2026, 6, 14), "half"),
        ("2026-H2", date(2026, 6, 15), date(2026, 12, 14), "half"),
        ("2026-03", date(2026, 2, 15), date(2026, 3, 14), "month"),
        ("2026-01", date(2025, 12, 15), date(2026, 1, 14), "month"),
        ("2026-01-01..2026-03-31", date(2026, 1, 1), date(2026, 3, 31), "dates"),
    ],
)
def test_periods_cut_off_on_the_14th_when_asked(text: str, start: date, end: date, kind: str) -> None:
    p = parse_period(text, start_day=15)
    assert (p.start, p.end, p.kind) == (start, end, kind)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("2026", date(2026, 1, 1), date(2026, 12, 31)), ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
     ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)), ("2026-02", date(2026, 2, 1), date(2026, 2, 28))],
)
def test_calendar_periods_by_default(text: str, start: date, end: date) -> None:
    p = parse_period(text)
    assert (p.start, p.end) == (start, end) == (parse_period(text, start_day=1).start, parse_period(text, start_day=1).end)


@pytest.mark.parametrize("bad", ["", "26", "2026-Q5", "2026-H3", "2026-13", "2026-03-31..2026-01-01", "2026-02-30..2026-03-01",
                                 "2010-01-01..2026-01-01", "năm 2026"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(bad)


def test_start_day_out_of_range_is_refused() -> None:
    with pytest.raises(PeriodError):
        parse_period("2026", start_day=29)


def test_calendar_months_of_a_year() -> None:
    months = parse_period("2026").months()
    assert [(m.month, a, b) for m, a, b in months][:2] == [(1, date(2026, 1, 1), date(2026, 1, 31)),
                                                          (2, date(2026, 2, 1), date(2026, 2, 28))]
    assert month_of(date(2026, 3, 31)) == Month(2026, 3) and current_year(date(2026, 12, 31)).key == "2026"


def test_months_of_a_year_cut_off_on_the_14th_and_the_month_a_day_belongs_to() -> None:
    months = parse_period("2026", start_day=15).months()
    assert len(months) == 12
    assert months[0] == (Month(2026, 1), date(2025, 12, 15), date(2026, 1, 14))
    assert months[-1] == (Month(2026, 12), date(2026, 11, 15), date(2026, 12, 14))
    assert month_of(date(2026, 3, 14), 15) == Month(2026, 3)
    assert month_of(date(2026, 3, 15), 15) == Month(2026, 4)
    assert month_of(date(2026, 12, 20), 15) == Month(2027, 1)
    assert current_year(date(2026, 12, 16), 15).key == "2027"
    assert current_year(date(2026, 12, 14), 15).key == "2026"
    # explicit dates are clipped to the months they span
    assert parse_period("2026-03-10..2026-03-20", start_day=15).months() == [
        (Month(2026, 3), date(2026, 3, 10), date(2026, 3, 14)), (Month(2026, 4), date(2026, 3, 15), date(2026, 3, 20))]


def test_utc_bounds_are_local_midnights() -> None:
    lo, hi = parse_period("2026-03").utc_bounds()
    assert lo == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)  # 01/03 00:00 in Hà Nội
    assert hi == datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # 01/04 00:00 in Hà Nội, excluded
    assert parse_period("2026-Q1").label_vi() == "quý I năm 2026"
    assert parse_period("2026-H2").label_vi() == "6 tháng cuối năm 2026"
