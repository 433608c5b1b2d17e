"""Reporting periods: a month, quarter, half-year, year or explicit dates, cut off as Vietnam reports.

Every view (the dashboard, the periodic report in every format, the command line and the public
register's statistics) counts calendar months, quarters and years in Asia/Ho_Chi_Minh: one period
rule, so a figure for "11/2026" is the same number wherever it is read. `start_day` (1) is kept as a
parameter for the cut-off some reporting regimes use (Decree 09/2019/NĐ-CP closes on the 14th:
`start_day=15`), but no view passes anything else. Explicit dates (`2026-01-01..2026-03-31`) are
taken as written.

A period is a range of local dates (Asia/Ho_Chi_Minh); `utc_bounds` turns it into the half-open
UTC range the database compares timestamps with.

Periods are bounded by a `YearRange` (by default the data's first year to next year,
engine/time/report_range.py): the years are checked before any date is built, so `0000`, `9999-12`
or `9999-12-31..9999-12-31` are refused with a message instead of overflowing the calendar, and
no request's work grows with the years it names. Full-width digits (`２０２６`) are folded to ASCII
(NFKC) first, so the normalised key is always plain ASCII (it goes into a download's file name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine.time.clock import LOCAL_TZ

DEFAULT_START_DAY = 1


class PeriodError(ValueError):
    """The text is not a period this module understands."""


class PeriodOutOfRange(PeriodError):
    """A well-formed period outside the years reports may cover."""

    def __init__(self, years: YearRange) -> None:
        super().__init__(f"reports cover the years {years.first} to {years.last}")
        self.years = years


@dataclass(frozen=True)
class YearRange:
    """The years (reporting years, by the year their label names) a period may fall in, inclusive."""

    first: int
    last: int

    def check(self, *years: int) -> None:
        if any(not self.first <= y <= self.last for y in years):
            raise PeriodOutOfRange(self)


@dataclass(frozen=True)
class Month:
    """A reporting month, named by the calendar month it closes in (2026-03 ends on 14 March with cut-off 15)."""

    year: int
    month: int


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    kind: str  # year, half, quarter, month, dates
    key: str  # the text it was parsed from, normalised (2026, 2026-Q1, ...)
    start_day: int = DEFAULT_START_DAY

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) local time, as aware UTC datetimes."""
        lo = datetime.combine(self.start, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=LOCAL_TZ).astimezone(UTC)
        return lo, hi

    def months(self) -> list[tuple[Month, date, date]]:
        """The reporting months the period spans, each with its first and last day (clipped to the period)."""
        out: list[tuple[Month, date, date]] = []
        m = month_of(self.start, self.start_day)
        while True:
            lo, hi = month_range(m.year, m.month, self.start_day)
            if lo > self.end:
                break
            out.append((m, max(lo, self.start), min(hi, self.end)))
            m = Month(m.year + (m.month == 12), m.month % 12 + 1)
        return out

    def label_vi(self) -> str:
        if self.kind == "year":
            return f"năm {self.key}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if self.key.endswith('1') else 'cuối'} năm {self.key[:4]}"
        if self.kind == "quarter":
            return f"quý {['I', 'II', 'III', 'IV'][int(self.key[-1]) - 1]} năm {self.key[:4]}"
        if self.kind == "month":
            return f"tháng {int(self.key[5:7])} năm {self.key[:4]}"
        return f"từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"

    def label_en(self) -> str:
        if self.kind == "year":
            return f"year {self.key}"
        if self.kind == "half":
            return f"{'first' if self.key.endswith('1') else 'second'} half of {self.key[:4]}"
        if self.kind == "quarter":
            return f"Q{self.key[-1]} {self.key[:4]}"
        if self.kind == "month":
            return f"{date(int(self.key[:4]), int(self.key[5:7]), 1):%B %Y}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def range_text(self) -> str:
        """dd/mm/yyyy – dd/mm/yyyy: the dates a reader checks the figures against."""
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


def month_range(year: int, month: int, start_day: int = DEFAULT_START_DAY) -> tuple[date, date]:
    """First and last day of reporting month `year-month`: (the month before)/start_day .. month/(start_day - 1)."""
    _check_start_day(start_day)
    if start_day == 1:
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return first, nxt - timedelta(days=1)
    prev_year, prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    return date(prev_year, prev_month, start_day), date(year, month, start_day - 1)


def month_of(day: date, start_day: int = DEFAULT_START_DAY) -> Month:
    """The reporting month a day belongs to (15 March belongs to April with cut-off 15)."""
    if start_day == 1 or day.day < start_day:
        return Month(day.year, day.month)
    return Month(day.year + (day.month == 12), day.month % 12 + 1)


def _check_start_day(start_day: int) -> None:
    if not 1 <= start_day <= 28:
        raise PeriodError(f"the period start day must be from 1 to 28, not {start_day}")


def _span(first: tuple[int, int], last: tuple[int, int], start_day: int) -> tuple[date, date]:
    return month_range(*first, start_day)[0], month_range(*last, start_day)[1]


# re.ASCII: `\d` is [0-9] only, so another script's digits never reach int() unnoticed.
_YEAR = re.compile(r"^(\d{4})$", re.ASCII)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE | re.ASCII)
_HALF = re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE | re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_DATES = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$", re.ASCII)
MAX_TEXT = 40


def parse_period(text: str, start_day: int = DEFAULT_START_DAY, years: YearRange | None = None) -> Period:
    """`2026`, `2026-Q1`, `2026-H1`, `2026-03` or `2026-01-01..2026-03-31`, within `years` when given.

    Without `years` only the calendar's own limits apply (a year from 1 to 9998, so every
    period and the day after it exist); a caller serving requests passes the configured range.
    """
    _check_start_day(start_day)
    s = unicodedata.normalize("NFKC", text or "").strip()
    if len(s) > MAX_TEXT:
        raise PeriodError("a period is at most 40 characters")
    try:
        return _parse(s, text, start_day, years or YearRange(2, 9998))
    except (OverflowError, ValueError) as err:
        if isinstance(err, PeriodError):
            raise
        raise PeriodError(str(err)) from err


def _parse(s: str, text: str, start_day: int, years: YearRange) -> Period:
    if m := _YEAR.match(s):
        y = int(m[1])
        years.check(y)
        lo, hi = _span((y, 1), (y, 12), start_day)
        return Period(lo, hi, "year", s, start_day)
    if m := _QUARTER.match(s):
        y, q = int(m[1]), int(m[2])
        years.check(y)
        lo, hi = _span((y, 3 * q - 2), (y, 3 * q), start_day)
        return Period(lo, hi, "quarter", f"{y}-Q{q}", start_day)
    if m := _HALF.match(s):
        y, h = int(m[1]), int(m[2])
        years.check(y)
        lo, hi = _span((y, 6 * h - 5), (y, 6 * h), start_day)
        return Period(lo, hi, "half", f"{y}-H{h}", start_day)
    if m := _MONTH.match(s):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise PeriodError(f"no month {mo}")
        years.check(y)
        lo, hi = month_range(y, mo, start_day)
        return Period(lo, hi, "month", s, start_day)
    if m := _DATES.match(s):
        years.check(int(m[1][:4]), int(m[2][:4]))
        try:
            lo, hi = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as err:
            raise PeriodError(str(err)) from err
        if hi < lo:
            raise PeriodError("the period ends before it starts")
        if (hi - lo).days > 366 * 10:
            raise PeriodError("a period is at most ten years")
        return Period(lo, hi, "dates", s, start_day)
    raise PeriodError(f"not a period: {text!r} (use 2026, 2026-Q1, 2026-H1, 2026-03 or 2026-01-01..2026-03-31)")


def current_year(today: date, start_day: int = DEFAULT_START_DAY) -> Period:
    """The reporting year `today` falls in (16 December 2026 is already in reporting year 2027)."""
    return parse_period(str(month_of(today, start_day).year), start_day)


def default_period(today: date, years: YearRange, start_day: int = DEFAULT_START_DAY) -> Period:
    """The reporting year `today` falls in, moved into `years` when the range was configured to end earlier."""
    year = min(max(month_of(today, start_day).year, years.first), years.last)
    return parse_period(str(year), start_day)
