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
        if end < start:
            return -self.working_days_between(end, start)
        n = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n += 1
        return n


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
