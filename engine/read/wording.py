"""Numbers, counts and dates in words, for the (vi, en) texts the engine writes (badges, explanations).

The engine runs outside any web request (the sweep, the CLI), so it cannot ask Flask-Babel; it
uses Babel's own rules instead: English plurals from the locale's plural rule ("1 working day",
"2 working days") and English dates in the locale's long format ("1 December 2026" style as
Babel spells it), Vietnamese dates as dd/mm/yyyy, the form Vietnamese offices write.
"""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date

_EN = Locale.parse("en")


def vi_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def en_date(day: date) -> str:
    """"December 1, 2026": unambiguous to an English reader, unlike 01/12/2026."""
    return format_date(day, format="long", locale=_EN)


def en_medium_date(day: date) -> str:
    """"Dec 1, 2026": the short English form for pages and tables."""
    return format_date(day, format="medium", locale=_EN)


def en_count(n: int, singular: str, plural: str) -> str:
    """"1 working day", "2 working days", by English's plural rule."""
    return f"{n} {singular if _EN.plural_form(abs(n)) == 'one' else plural}"


def en_days(n: int, unit: str = "working") -> str:
    """A count of working or calendar days in English."""
    if unit == "working":
        return en_count(n, "working day", "working days")
    return en_count(n, "day", "days")


def vi_days(n: int, unit: str = "working") -> str:
    return f"{n} ngày làm việc" if unit == "working" else f"{n} ngày"
