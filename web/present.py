"""Turning stored case data into words people read: field labels and choice labels from the definition.

Data is stored by stable identifiers (`false_information`, unit ids, ISO dates); people see the
definition's vi/en labels, unit names, dd/mm/yyyy dates and grouped money amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.evidence import SUPERSEDE_TRIGGER
from engine.errors import EngineError
from engine.read.queries import CaseView, EventView
from engine.store.models import Unit
from engine.time.deadlines import MIGRATE_TRIGGER, versions_along
from web.access import runtime
from web.i18n import lang, local_date, local_dt_iso, money
from workflows.definition import Definition, FieldSpec, TransitionSpec
from workflows.field_types import field_type


def unit_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Unit.id, Unit.name)).all())  # type: ignore[arg-type]


def _choice(defn: Definition, f: FieldSpec, value: Any, units: dict[int, str]) -> str:
    return defn.choice_label(f.choices, str(value), lang()) if f.choices else str(value)


def _choices(defn: Definition, f: FieldSpec, value: Any, units: dict[int, str]) -> str:
    items = value if isinstance(value, list | tuple) else [value] if value not in (None, "") else []
    return ", ".join(defn.choice_label(f.choices, str(v), lang()) if f.choices else str(v) for v in items)


def _unit(defn: Definition, f: FieldSpec, value: Any, units: dict[int, str]) -> str:
    try:
        return units.get(int(value), str(value))
    except (TypeError, ValueError):
        return str(value)


# How a stored value is shown, by the `display` each field type declares (workflows/field_types.py).
DISPLAYS: dict[str, Callable[[Definition, FieldSpec, Any, dict[int, str]], str]] = {
    "text": lambda defn, f, value, units: str(value),
    "choice": _choice,
    "choices": _choices,
    "unit": _unit,
    "yes_no": lambda defn, f, value, units: _("Có") if value else _("Không"),
    "date": lambda defn, f, value, units: local_date(value),
    "money": lambda defn, f, value, units: money(value),
}


def show_value(defn: Definition, f: FieldSpec | None, value: Any, units: dict[int, str]) -> str:
    if f is None:
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return DISPLAYS[field_type(f.type).display](defn, f, value, units)


@dataclass
class Item:
    label: str
    value: str
    kind: str = "text"  # "text" (multi-line), "url" (shown as a link), "short", or "date" (never wraps)


def items_for(defn: Definition, t: TransitionSpec | None, data: dict[str, Any], units: dict[int, str]) -> list[Item]:
    """The data an event carried, in the transition's field order; unknown keys last, raw.

    The confidentiality flag is labelled in the third person ("the reporter asked ..."): its
    form label speaks as the reporter ("keep my identity ..."), which misleads anyone else reading it.
    """
    flag = defn.confidentiality.get("flag_field")
    out: list[Item] = []
    seen = {"evidence", "assigned_unit"}  # the unit a transition assigned: engine bookkeeping, not form data
    if t is not None:
        for f in t.fields:
            seen.add(f.name)
            if f.name not in data or data[f.name] in (None, "", []):
                continue
            kind = field_type(f.type).layout
            text = _("Người phản ánh yêu cầu giữ bí mật danh tính") if f.name == flag else f.label(lang())
            out.append(Item(text, show_value(defn, f, data[f.name], units), kind))
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


def days_left(n: Any) -> str:
    """"còn 3 ngày làm việc" / "3 working days left", "1 working day overdue": plurals from the catalogue."""
    try:
        n = int(n)
    except (TypeError, ValueError):
        return str(n)
    if n >= 0:
        return ngettext("còn %(num)d ngày làm việc", "còn %(num)d ngày làm việc", n)
    return ngettext("quá %(num)d ngày làm việc", "quá %(num)d ngày làm việc", -n)


def system_event(e: EventView, labels: Callable[[int, str | None], str] | None = None) -> tuple[str, list[Item]] | None:
    """Words for the events no person fired: timers, deadline extensions and moves to a newer version.

    `labels(version, state)` names a state of a given version of the case's workflow.
    """
    d = e.data
    if e.trigger == MIGRATE_TRIGGER:
        def label(version: Any, state: Any) -> str:
            return labels(int(version), state) if labels is not None and isinstance(version, int) else str(state)

        return _("Chuyển sang phiên bản quy trình mới"), [
            Item(_("Phiên bản quy trình"), f"{d.get('from_version')} → {d.get('to_version')}", "short"),
            Item(_("Trạng thái"), f"{label(d.get('from_version'), d.get('from_state'))} → "
                                  f"{label(d.get('to_version'), d.get('to_state'))}", "short"),
            Item(_("Hạn cũ"), local_dt_iso(d.get("previous_deadline")) if d.get("previous_deadline") else "—", "date"),
            Item(_("Hạn mới"), local_dt_iso(d.get("deadline")) if d.get("deadline") else "—", "date"),
        ]
    deadline = Item(_("Hạn xử lý"), local_dt_iso(d.get("deadline")), "date") if d.get("deadline") else None
    left = Item(_("Thời gian"), days_left(d["working_days_left"]), "short") if "working_days_left" in d else None
    if e.trigger == "timer.due_soon":
        return _("Sắp đến hạn"), [i for i in (deadline, left) if i]
    if e.trigger == "timer.overdue":
        return _("Quá hạn"), [i for i in (deadline, left) if i]
    if e.trigger == "timer.escalated":
        return _("Đã báo cáo cấp trên (cấp %(n)s)", n=d.get("level", "?")), [i for i in (deadline, left) if i]
    if e.trigger == "timer.limitation_warning":
        return _("Cảnh báo thời hiệu xử phạt"), [Item(_("Hết thời hiệu ngày"), local_date(d.get("expires_on")), "date")]
    if e.trigger == SUPERSEDE_TRIGGER:
        return _("Đánh dấu tệp chứng cứ đã bị thay thế"), [
            Item(_("Tệp"), str(d.get("filename", "")), "short"),
            Item(_("Lý do"), str(d.get("reason", "")), "text"),
        ]
    if e.trigger == "extend_deadline":
        return _("Gia hạn xử lý"), [
            Item(_("Số ngày làm việc gia hạn"), str(d.get("working_days", "")), "short"),
            Item(_("Hạn cũ"), local_dt_iso(d.get("previous_deadline")), "date"),
            Item(_("Hạn mới"), local_dt_iso(d.get("deadline")), "date"),
            Item(_("Lý do gia hạn"), str(d.get("reason", "")), "text"),
        ]
    return None


def timeline(cv: CaseView, units: dict[int, str]) -> list[TimelineEntry]:
    """Each event in the words of the definition version it was written under (a case moved to a newer
    version keeps its earlier states' names)."""
    lg = lang()
    registry = runtime().registry

    def version(v: int) -> Definition:
        return registry.get(cv.definition.name, v) if v != cv.definition.version else cv.definition

    def state_label(v: int, state: str | None) -> str:
        try:
            d = version(v)
        except EngineError:
            return state or ""
        return d.states[state].label(lg) if state in d.states else (state or "")

    try:
        along = versions_along(cv.events, cv.definition, version)
    except EngineError:
        along = [cv.definition] * len(cv.events)
    out = []
    for defn, e in zip(along, cv.events, strict=True):
        migrated = e.trigger == MIGRATE_TRIGGER
        t = None if migrated else transition_of(defn, e)
        from_version = e.data.get("from_version") if migrated else defn.version
        from_label = state_label(from_version, e.from_state) if isinstance(from_version, int) and e.from_state else ""
        to_label = defn.states[e.to_state].label(lg) if e.to_state in defn.states else e.to_state
        evidence = e.data.get("evidence") if isinstance(e.data.get("evidence"), list) else []
        system = system_event(e, state_label) if t is None else None
        action, items = system if system else (t.label(lg) if t else e.trigger, items_for(defn, t, e.data, units))
        out.append(TimelineEntry(e.seq, e.at, e.actor_name, e.actor_unit_name, action, from_label, to_label, items,
                                 evidence))  # fmt: skip
    return out


def open_question(cv: CaseView, units: dict[int, str]) -> list[Item]:
    """What the case is waiting for: the text fields of the event that put it into its waiting state
    (a state that pauses another's clock, such as "awaiting information"), to show beside the answer."""
    defn, state = cv.definition, cv.case.state
    spec = defn.states.get(state)
    if spec is None or not spec.pauses_clock_of:
        return []
    entered = next((e for e in reversed(cv.events) if e.to_state == state and e.from_state != state), None)
    if entered is None:
        return []
    t = transition_of(defn, entered)
    return [i for i in items_for(defn, t, entered.data, units) if i.kind == "text"]


def report_facts(cv: CaseView, units: dict[int, str]) -> list[Item]:
    """The report as filed (the first event's data), in the filing form's order."""
    if not cv.events:
        return []
    first = cv.events[0]
    return items_for(cv.definition, cv.definition.create_transition, first.data, units)


def reporter_words(defn: Definition, state: str) -> str:
    """What became of a report, said the way a reporter thinks of it (the definition's `[explanations]`)."""
    return defn.explain(state, lang())
