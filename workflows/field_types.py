"""Every field type a definition may declare, in one place.

Each entry says, for its type, how a submitted value is read and checked (`parse`), which form
widget asks for it (`widget`), and how a stored value is shown (`display`, and `layout` on a case
page). The engine validates through `parse` (`engine/cases/validation.py`), the web builds forms
from `widget` (`web/forms.py`, rendered by the one `field` macro in `web/templates/macros.html`)
and shows values by `display` (`web/present.py`); none of them names a type.

To add a field type, add one entry to `FIELD_TYPES`. Its widget and display reuse the controls the
macro renders (`CONTROLS`) and the ways of showing a value the web knows (`DISPLAYS`); only a type
needing a new control or a new way of showing adds to those as well. `tests/test_field_types.py`
fails for a type without a parse, a rendered widget or a display, and round-trips every field of
every definition in `workflows/` through its form, the engine's validation and the case page.

Parsers are pure: they raise FieldValueError with the message in Vietnamese and English, and
reach the database only through the `Lookups` the engine hands them (units, references). Text
holding forbidden code points is refused before any parser runs (engine/cases/clean_text.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflows.definition import Definition, FieldSpec

REFERENCE_RE = re.compile(r"^[A-Z]{1,6}-\d{4}-\d{6}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
TRUE_WORDS = {"1", "true", "on", "yes", "y", "có"}
FALSE_WORDS = {"", "0", "false", "off", "no", "n", "không"}

# Dates a case can carry: far enough back for any old article, near enough ahead that every
# computation from them (limitation periods, deadlines, the working-day index) stays within
# Python's and the databases' calendars. Year 9999 in a report date made filing answer 500.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)

UnitLookup = Callable[[Any], tuple[int, str] | None]  # value -> (unit id, unit type)
ReferenceLookup = Callable[[str], bool]

# The controls the `field` macro renders, and the ways the web shows a stored value.
CONTROLS = ("input", "textarea", "select", "checkbox", "checkboxes")
DISPLAYS = ("text", "choice", "choices", "unit", "yes_no", "date", "money")
LAYOUTS = ("short", "text", "url", "date")


class FieldValueError(Exception):
    """A value a field cannot take, with what to tell the person (vi, en)."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.pair = (vi, en)


@dataclass(frozen=True)
class Lookups:
    """What a parser may ask the database, handed in by the engine (None: nothing is found)."""

    units: UnitLookup | None = None
    refs: ReferenceLookup | None = None


@dataclass(frozen=True)
class Widget:
    """How a form asks for a value: one of CONTROLS, and the attributes of an <input>."""

    control: str
    input_type: str = "text"  # the <input type=...> of control "input"
    inputmode: str | None = None
    placeholder: str = ""
    autocapitalize: str | None = None
    bounded: bool = False  # the field's min/max become the control's
    limited: bool = False  # the field's max_length becomes the control's maxlength

    @property
    def posts_list(self) -> bool:
        """A value posted under the name several times (ticked boxes), read as a list."""
        return self.control == "checkboxes"

    @property
    def posts_flag(self) -> bool:
        """A box whose absence from the post means "no"."""
        return self.control == "checkbox"


Parser = Callable[[FieldSpec, Any, Definition, Lookups], Any]
_NO_DEFAULT = object()


@dataclass(frozen=True)
class FieldType:
    name: str
    parse: Parser
    widget: Widget
    display: str  # one of DISPLAYS
    layout: str = "short"  # one of LAYOUTS: how a case page lays the value out
    options: str | None = None  # where the widget's options come from: "list" (the field's `choices`) or "units"
    default: Any = _NO_DEFAULT  # what an empty value means (an unticked box is a "no"); such a field is never "missing"

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


def _text(f: FieldSpec, value: Any, one_line: bool) -> str:
    text = str(value).strip()
    if one_line:
        text = " ".join(text.split())
    if f.max_length and len(text) > f.max_length:
        raise FieldValueError(f"Tối đa {f.max_length} ký tự.", f"At most {f.max_length} characters.")
    return text


def parse_string(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> str:
    return _text(f, value, one_line=True)


def parse_text(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> str:
    return _text(f, value, one_line=False)


def parse_url(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> str:
    text = _text(f, value, one_line=False)
    if text and not URL_RE.match(text):
        raise FieldValueError("Đường dẫn phải bắt đầu bằng http:// hoặc https://.", "A link must start with http(s)://.")
    return text


def parse_choice(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> str:
    text = str(value).strip()
    if text not in defn.lists[f.choices or ""]:
        raise FieldValueError("Giá trị không nằm trong danh sách cho phép.", "Not one of the allowed values.")
    return text


def parse_multichoice(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> list[str]:
    raw = value if isinstance(value, list | tuple) else str(value).split(",")
    items = [str(v).strip() for v in raw if str(v).strip()]
    allowed = defn.lists[f.choices or ""]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise FieldValueError(f"Giá trị không hợp lệ: {', '.join(bad)}.", f"Not allowed: {', '.join(bad)}.")
    return list(dict.fromkeys(items))


_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _date_from_text(text: str) -> date:
    iso = _ISO_DAY.fullmatch(text)  # what forms and the API send: strptime costs more than the rest of a field
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldValueError("Ngày không hợp lệ (dd/mm/yyyy).", "Not a valid date (dd/mm/yyyy).")


def parse_date(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> str:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        day = _date_from_text(str(value).strip())
    if not MIN_DATE <= day <= MAX_DATE:
        raise FieldValueError(
            f"Ngày phải từ {MIN_DATE:%d/%m/%Y} đến {MAX_DATE:%d/%m/%Y}.",
            f"The date must be from {MIN_DATE:%d/%m/%Y} to {MAX_DATE:%d/%m/%Y}.",
        )
    return day.isoformat()


def _whole_number(f: FieldSpec, value: Any, money: bool) -> int:
    if isinstance(value, bool):
        raise FieldValueError("Phải là số.", "Must be a number.")
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip()
        if money:
            text = re.sub(r"[.,\s]|đ$|VND$|vnđ$", "", text, flags=re.IGNORECASE)
        if not re.fullmatch(r"-?\d{1,15}", text):
            raise FieldValueError("Phải là số nguyên.", "Must be a whole number.")
        n = int(text)
    if f.min is not None and n < f.min:
        raise FieldValueError(f"Không được nhỏ hơn {f.min}.", f"Must be at least {f.min}.")
    if f.max is not None and n > f.max:
        raise FieldValueError(f"Không được lớn hơn {f.max}.", f"Must be at most {f.max}.")
    return n


def parse_integer(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> int:
    return _whole_number(f, value, money=False)


def parse_money(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> int:
    """Đồng, as typed by people: "10.000.000", "10,000,000 đ" and "10000000" are the same amount."""
    return _whole_number(f, value, money=True)


def parse_boolean(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise FieldValueError("Phải là có hoặc không.", "Must be yes or no.")


def parse_unit(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> int:
    found = lookups.units(value) if lookups.units else None
    if found is None:
        raise FieldValueError("Không tìm thấy đơn vị.", "No such unit.")
    unit_id, unit_type = found
    if f.unit_types and unit_type not in defn.lists[f.unit_types]:
        raise FieldValueError("Đơn vị này không có thẩm quyền.", "This unit is not of a competent type.")
    return unit_id


def parse_reference(f: FieldSpec, value: Any, defn: Definition, lookups: Lookups) -> str:
    text = str(value).strip().upper()
    if not REFERENCE_RE.match(text):
        raise FieldValueError("Số hiệu dạng PA-2026-000123.", "A reference looks like PA-2026-000123.")
    if lookups.refs and not lookups.refs(text):
        raise FieldValueError("Không tìm thấy vụ việc có số hiệu này.", "No case has this reference.")
    return text


FIELD_TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        FieldType("string", parse_string, Widget("input", limited=True), "text"),
        FieldType("text", parse_text, Widget("textarea", limited=True), "text", layout="text"),
        FieldType("choice", parse_choice, Widget("select"), "choice", options="list"),
        FieldType("multichoice", parse_multichoice, Widget("checkboxes"), "choices", options="list"),
        FieldType("date", parse_date, Widget("input", input_type="date"), "date", layout="date"),
        FieldType("integer", parse_integer, Widget("input", input_type="number", inputmode="numeric", bounded=True),
                  "text"),
        FieldType("money", parse_money, Widget("input", inputmode="numeric", placeholder="10.000.000"), "money"),
        FieldType("boolean", parse_boolean, Widget("checkbox"), "yes_no", default=False),
        FieldType("url", parse_url, Widget("input", input_type="url", placeholder="https://"), "text", layout="url"),
        FieldType("unit", parse_unit, Widget("select"), "unit", options="units"),
        FieldType("reference", parse_reference,
                  Widget("input", placeholder="PA-2026-000123", autocapitalize="characters"), "text"),
    )
}  # fmt: skip


def field_type(name: str) -> FieldType:
    """The registered type (a definition with an unknown type is refused on load, so this is found)."""
    return FIELD_TYPES[name]
