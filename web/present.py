"""Turning stored case data into words people read: field labels and choice labels from the definition.

Data is stored by stable identifiers (`false_information`, unit ids, ISO dates); people see the
definition's vi/en labels, unit names, dd/mm/yyyy dates and grouped money amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.evidence import SUPERSEDE_TRIGGER
from engine.models import Unit
from engine.queries import CaseView, EventView
from web.i18n import lang, local_date, local_dt_iso, money
from workflows.definition import Definition, FieldSpec, TransitionSpec


def unit_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Unit.id, Unit.name)).all())  # type: ignore[arg-type]


def show_value(defn: Definition, f: FieldSpec | None, value: Any, units: dict[int, str]) -> str:
    lg = lang()
    if f is None:
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if f.type == "choice" and f.choices:
        return defn.choice_label(f.choices, str(value), lg)
    if f.type == "multichoice" and f.choices:
        return ", ".join(defn.choice_label(f.choices, str(v), lg) for v in (value or []))
    if f.type == "unit":
        try:
            return units.get(int(value), str(value))
        except (TypeError, ValueError):
            return str(value)
    if f.type == "boolean":
        return _("Có") if value else _("Không")
    if f.type == "date":
        return local_date(value)
    if f.type == "money":
        return money(value)
    return str(value)


@dataclass
class Item:
    label: str
    value: str
    kind: str = "text"  # "text" (multi-line) or "url" (shown as a link) or "short"


def items_for(defn: Definition, t: TransitionSpec | None, data: dict[str, Any], units: dict[int, str]) -> list[Item]:
    """The data an event carried, in the transition's field order; unknown keys last, raw."""
    out: list[Item] = []
    seen = {"evidence"}
    if t is not None:
        for f in t.fields:
            seen.add(f.name)
            if f.name not in data or data[f.name] in (None, "", []):
                continue
            kind = "url" if f.type == "url" else ("text" if f.type == "text" else "short")
            out.append(Item(f.label(lang()), show_value(defn, f, data[f.name], units), kind))
    for key, value in data.items():
        if key not in seen and value not in (None, "", []):
            out.append(Item(key, show_value(defn, None, value, units), "short"))
    return out


@dataclass
class TimelineEntry:
    seq: int
    at: datetime
    who: str
    unit: str
    action: str
    from_state: str
    to_state: str
    items: list[Item]
    evidence: list[dict[str, Any]] = field(default_factory=list)


def transition_of(defn: Definition, e: EventView) -> TransitionSpec | None:
    return defn.transition(e.trigger, e.from_state)


def _days(n: Any) -> str:
    try:
        n = int(n)
    except (TypeError, ValueError):
        return str(n)
    return _("còn %(n)d ngày làm việc", n=n) if n >= 0 else _("quá %(n)d ngày làm việc", n=-n)


def system_event(e: EventView) -> tuple[str, list[Item]] | None:
    """Words for the events no person fired: timers and deadline extensions (not transitions)."""
    d = e.data
    deadline = Item(_("Hạn xử lý"), local_dt_iso(d.get("deadline")), "short") if d.get("deadline") else None
    left = Item(_("Thời gian"), _days(d["working_days_left"]), "short") if "working_days_left" in d else None
    if e.trigger == "timer.due_soon":
        return _("Sắp đến hạn"), [i for i in (deadline, left) if i]
    if e.trigger == "timer.overdue":
        return _("Quá hạn"), [i for i in (deadline, left) if i]
    if e.trigger == "timer.escalated":
        return _("Đã báo cáo cấp trên (cấp %(n)s)", n=d.get("level", "?")), [i for i in (deadline, left) if i]
    if e.trigger == "timer.limitation_warning":
        return _("Cảnh báo thời hiệu xử phạt"), [Item(_("Hết thời hiệu ngày"), local_date(d.get("expires_on")), "short")]
    if e.trigger == SUPERSEDE_TRIGGER:
        return _("Đánh dấu tệp chứng cứ đã bị thay thế"), [
            Item(_("Tệp"), str(d.get("filename", "")), "short"),
            Item(_("Lý do"), str(d.get("reason", "")), "text"),
        ]
    if e.trigger == "extend_deadline":
        return _("Gia hạn xử lý"), [
            Item(_("Số ngày làm việc gia hạn"), str(d.get("working_days", "")), "short"),
            Item(_("Hạn cũ"), local_dt_iso(d.get("previous_deadline")), "short"),
            Item(_("Hạn mới"), local_dt_iso(d.get("deadline")), "short"),
            Item(_("Lý do gia hạn"), str(d.get("reason", "")), "text"),
        ]
    return None


def timeline(cv: CaseView, units: dict[int, str]) -> list[TimelineEntry]:
    defn, lg = cv.definition, lang()
    out = []
    for e in cv.events:
        t = transition_of(defn, e)
        from_label = defn.states[e.from_state].label(lg) if e.from_state in defn.states else ""
        to_label = defn.states[e.to_state].label(lg) if e.to_state in defn.states else e.to_state
        evidence = e.data.get("evidence") if isinstance(e.data.get("evidence"), list) else []
        system = system_event(e) if t is None else None
        action, items = system if system else (t.label(lg) if t else e.trigger, items_for(defn, t, e.data, units))
        out.append(TimelineEntry(e.seq, e.at, e.actor_name, e.actor_unit_name, action, from_label, to_label, items,
                                 evidence))  # fmt: skip
    return out


def report_facts(cv: CaseView, units: dict[int, str]) -> list[Item]:
    """The report as filed (the first event's data), in the filing form's order."""
    if not cv.events:
        return []
    first = cv.events[0]
    return items_for(cv.definition, cv.definition.create_transition, first.data, units)


def reporter_words(defn: Definition, state: str) -> str:
    """What became of a report, said the way a reporter thinks of it."""
    words = {
        "reported": _("Cơ quan tiếp nhận đang xem xét phản ánh của đơn vị."),
        "awaiting_info": _("Cơ quan tiếp nhận đề nghị đơn vị bổ sung thông tin: hãy mở vụ việc và trả lời."),
        "assessed": _("Phản ánh đã được thẩm định và chuyển cơ quan có thẩm quyền xử lý."),
        "handled": _("Cơ quan có thẩm quyền đã ra quyết định xử lý; kết quả sắp được công khai."),
        "published": _("Kết quả xử lý đã được công khai."),
        "dismissed": _("Phản ánh không có căn cứ và đã bị bác; lý do ghi trong vụ việc."),
        "closed": _("Vụ việc đã khép lại (kết quả không công khai)."),
    }
    if defn.name == "press_violation" and state in words:
        return words[state]
    spec = defn.states.get(state)
    return spec.label(lang()) if spec else state
