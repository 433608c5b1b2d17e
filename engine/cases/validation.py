"""Data given to a transition, checked against the fields the definition declares.

Every message comes in Vietnamese and English; the form shows it beside the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from engine.cases.clean_text import forbidden_message, has_forbidden
from engine.errors import InvalidData
from workflows.definition import Definition, FieldSpec, TransitionSpec

REFERENCE_RE = re.compile(r"^[A-Z]{1,6}-\d{4}-\d{6}$")
TRUE_WORDS = {"1", "true", "on", "yes", "y", "có"}
FALSE_WORDS = {"", "0", "false", "off", "no", "n", "không"}

# Dates a case can carry: far enough back for any old article, near enough ahead that every
# computation from them (limitation periods, deadlines, the working-day index) stays within
# Python's and the databases' calendars. Year 9999 in a report date made filing answer 500.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)

UnitLookup = Callable[[Any], tuple[int, str] | None]  # value -> (unit id, unit type)
ReferenceLookup = Callable[[str], bool]


class _Bad(Exception):
    def __init__(self, vi: str, en: str) -> None:
        self.pair = (vi, en)


def _parse_date(value: Any) -> str:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        day = _date_from_text(str(value).strip())
    if not MIN_DATE <= day <= MAX_DATE:
        raise _Bad(
            f"Ngày phải từ {MIN_DATE:%d/%m/%Y} đến {MAX_DATE:%d/%m/%Y}.",
            f"The date must be from {MIN_DATE:%d/%m/%Y} to {MAX_DATE:%d/%m/%Y}.",
        )
    return day.isoformat()


def _date_from_text(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _Bad("Ngày không hợp lệ (dd/mm/yyyy).", "Not a valid date (dd/mm/yyyy).")


def _refuse_forbidden(value: Any) -> None:
    """Text with a code point XML 1.0 forbids, or a bidirectional control, is refused with the field's error:
    recorded, it would break every export and feed for good (the history cannot be edited)."""
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if isinstance(item, str) and has_forbidden(item):
            raise _Bad(*forbidden_message(item))


def _parse_int(value: Any, money: bool) -> int:
    if isinstance(value, bool):
        raise _Bad("Phải là số.", "Must be a number.")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if money:
        text = re.sub(r"[.,\s]|đ$|VND$|vnđ$", "", text, flags=re.IGNORECASE)
    if not re.fullmatch(r"-?\d{1,15}", text):
        raise _Bad("Phải là số nguyên.", "Must be a whole number.")
    return int(text)


def _clean_one(
    f: FieldSpec, value: Any, defn: Definition, units: UnitLookup | None, refs: ReferenceLookup | None
) -> Any:
    _refuse_forbidden(value)
    if f.type in ("string", "text", "url"):
        text = str(value).strip()
        if f.type == "string":
            text = " ".join(text.split())
        if f.max_length and len(text) > f.max_length:
            raise _Bad(f"Tối đa {f.max_length} ký tự.", f"At most {f.max_length} characters.")
        if f.type == "url" and text and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", text, re.IGNORECASE):
            raise _Bad("Đường dẫn phải bắt đầu bằng http:// hoặc https://.", "A link must start with http(s)://.")
        return text
    if f.type == "choice":
        text = str(value).strip()
        if text not in defn.lists[f.choices or ""]:
            raise _Bad("Giá trị không nằm trong danh sách cho phép.", "Not one of the allowed values.")
        return text
    if f.type == "multichoice":
        items = value if isinstance(value, list | tuple) else [v for v in str(value).split(",")]
        items = [str(v).strip() for v in items if str(v).strip()]
        allowed = defn.lists[f.choices or ""]
        bad = [v for v in items if v not in allowed]
        if bad:
            raise _Bad(f"Giá trị không hợp lệ: {', '.join(bad)}.", f"Not allowed: {', '.join(bad)}.")
        return list(dict.fromkeys(items))
    if f.type == "date":
        return _parse_date(value)
    if f.type in ("integer", "money"):
        n = _parse_int(value, f.type == "money")
        if f.min is not None and n < f.min:
            raise _Bad(f"Không được nhỏ hơn {f.min}.", f"Must be at least {f.min}.")
        if f.max is not None and n > f.max:
            raise _Bad(f"Không được lớn hơn {f.max}.", f"Must be at most {f.max}.")
        return n
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise _Bad("Phải là có hoặc không.", "Must be yes or no.")
    if f.type == "unit":
        found = units(value) if units else None
        if found is None:
            raise _Bad("Không tìm thấy đơn vị.", "No such unit.")
        unit_id, unit_type = found
        if f.unit_types and unit_type not in defn.lists[f.unit_types]:
            raise _Bad("Đơn vị này không có thẩm quyền.", "This unit is not of a competent type.")
        return unit_id
    if f.type == "reference":
        text = str(value).strip().upper()
        if not REFERENCE_RE.match(text):
            raise _Bad("Số hiệu dạng PA-2026-000123.", "A reference looks like PA-2026-000123.")
        if refs and not refs(text):
            raise _Bad("Không tìm thấy vụ việc có số hiệu này.", "No case has this reference.")
        return text
    raise _Bad("Kiểu trường không được hỗ trợ.", f"Unsupported field type {f.type}.")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _condition_holds(cond: dict[str, Any], cleaned: dict[str, Any]) -> bool:
    other = cleaned.get(cond["field"])
    if "equals" in cond:
        return other == cond["equals"]
    if "contains" in cond:
        return isinstance(other, list) and cond["contains"] in other
    return not _is_empty(other)


def validate(
    defn: Definition,
    t: TransitionSpec,
    data: dict[str, Any],
    *,
    units: UnitLookup | None = None,
    refs: ReferenceLookup | None = None,
) -> dict[str, Any]:
    """The cleaned data, or InvalidData naming every bad field at once."""
    errors: dict[str, tuple[str, str]] = {}
    known = {f.name for f in t.fields}
    for key in data:
        if key not in known:
            errors[key] = ("Trường không được khai báo cho thao tác này.", "Unknown field for this action.")
    cleaned: dict[str, Any] = {}
    for f in t.fields:
        value = data.get(f.name)
        if _is_empty(value) or (f.type == "boolean" and value is None):
            if f.type == "boolean":
                cleaned[f.name] = False
            continue
        try:
            cleaned[f.name] = _clean_one(f, value, defn, units, refs)
        except _Bad as bad:
            errors[f.name] = bad.pair
    for f in t.fields:
        if f.name in errors or f.type == "boolean":
            continue
        missing = _is_empty(cleaned.get(f.name))
        needed = f.required or (f.required_if is not None and _condition_holds(f.required_if, cleaned))
        if missing and needed:
            errors[f.name] = ("Bắt buộc nhập.", "Required.")
    if errors:
        raise InvalidData(errors)
    return cleaned
