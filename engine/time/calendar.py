"""Working days in Vietnam: weekends, public holidays (Tết included) and announced swaps.

Deadlines in Vietnamese administration are counted in working days; the `holidays` package
knows the law's holidays and the lunar calendar, and a small data file carries each year's
announced extra days off and make-up Saturdays, which arrive after a package release.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import holidays

from engine.time.clock import LOCAL_TZ
from workflows.loader import DEFINITIONS_DIR

DEFAULT_OVERRIDES = DEFINITIONS_DIR / "calendar" / "vn_overrides.toml"


@dataclass
class WorkingCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)
    version: str = "holidays-" + holidays.__version__

    def __post_init__(self) -> None:
        self._holidays = holidays.country_holidays("VN")
        self._known: dict[date, bool] = {}  # every transition counts days; the answer never changes
        # Per year: working days up to each day of it (inclusive), and before the year starts
        # (counted from _BASE_YEAR); a list page counts days for every row, often months of them.
        self._year_counts: dict[int, list[int]] = {}
        self._year_start: dict[int, int] = {}

    def is_working_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self.overrides[day] if day in self.overrides else self._holidays.is_working_day(day)
            self._known[day] = known
        return known

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (the start day itself never counts)."""
        day = start
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def sub_working_days(self, end: date, n: int) -> date:
        """The n-th working day before `end` (`end` itself never counts): a warning N working days ahead."""
        day = end
        counted = 0
        while counted < n:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def shift_working_days(self, start: date, n: int) -> date:
        """Like add_working_days, but for any n: 0 is the first working day on or after `start`,
        and a negative n counts back from it (a clock paused while already late stays late)."""
        if n > 0:
            return self.add_working_days(start, n)
        return self.sub_working_days(self.working_day_on_or_after(start), -n)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        return self._rank(end) - self._rank(start)

    def _rank(self, day: date) -> int:
        """Working days from the start of _BASE_YEAR up to `day` inclusive (negative before it)."""
        return self._start_of(day.year) + self._counts(day.year)[day.timetuple().tm_yday - 1]

    def _counts(self, year: int) -> list[int]:
        counts = self._year_counts.get(year)
        if counts is None:
            counts, n, day = [], 0, date(year, 1, 1)
            while day.year == year:
                n += self.is_working_day(day)
                counts.append(n)
                day += timedelta(days=1)
            self._year_counts[year] = counts
        return counts

    def _start_of(self, year: int) -> int:
        start = self._year_start.get(year)
        if start is None:
            step = 1 if year > _BASE_YEAR else -1
            y, start = _BASE_YEAR, 0  # walk from the base year, remembering each year passed
            while y != year:
                start += self._counts(y)[-1] if step == 1 else -self._counts(y - 1)[-1]
                y += step
                self._year_start[y] = start
            self._year_start[year] = start
        return start


_BASE_YEAR = 2020  # any year: only differences of ranks are used


def end_of_local_day(day: date) -> datetime:
    """A deadline falls due at the end of its last day, local time (stored as UTC)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ)


def start_of_local_day(day: date) -> datetime:
    """Warnings fall due at the start of their day, local time."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)


def load_overrides(path: Path) -> dict[date, bool]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {date.fromisoformat(str(d["date"])): bool(d["working"]) for d in data.get("days", [])}


def overrides_path(instance_path: str | None = None) -> Path:
    env = os.environ.get("PRESSCASE_CALENDAR_FILE")
    if env:
        return Path(env)
    if instance_path and (Path(instance_path) / "calendar.toml").exists():
        return Path(instance_path) / "calendar.toml"
    return DEFAULT_OVERRIDES


@lru_cache(maxsize=8)
def _calendar_for(path: str, mtime: float) -> WorkingCalendar:
    p = Path(path)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()[:12]
    return WorkingCalendar(load_overrides(p), version=f"holidays-{holidays.__version__}+{p.name}@{digest}")


def get_calendar(instance_path: str | None = None) -> WorkingCalendar:
    """The calendar in force; re-read when the overrides file changes on disk."""
    p = overrides_path(instance_path)
    return _calendar_for(str(p), p.stat().st_mtime)
