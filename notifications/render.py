"""What a notification says, per person: gathered once per outbox row, rendered per recipient and language.

`gather` reads, for one outbox row, everything language-neutral (the case, its definition, the
event). `render_message` turns that into a subject, a text and an HTML body in the person's
language from the Jinja templates in notifications/templates/<lang>/. Words come from the
definition (transition and state labels) or from the templates. The only free text people typed
that a message carries is a question and its answer: what put a case into a waiting state (one
that pauses another's clock, such as "awaiting information") and what took it out, so the person
asked reads the question where they act and the person who asked reads the answer. The filer
is named only through the one projection (engine/read/projection.py: the definition's
`[confidentiality]`, and the reporter themself); those who may know the filer are also told when
the reporter asked for confidentiality. A person who may not see the case at all is told nothing
about it (`may_be_told`). Everything a message says about the case is read as it was at the
event (the payload), so a message delivered late never contradicts its own subject.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import policy
from engine.cases.machine import machine_for
from engine.cases.registry import DefinitionRegistry
from engine.org.actors import Actor
from engine.read import projection
from engine.read.wording import en_date
from engine.store.models import Case, CaseEvent, OutboxMessage, User
from engine.time.clock import LOCAL_TZ
from workflows.definition import Definition
from workflows.field_types import field_type

LANGUAGES = ("vi", "en")
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
TEMPLATES = Path(__file__).parent / "templates"
SUBJECT_MAX = 200  # one unfolded header line even in Vietnamese (see email.MAIL_POLICY)

# Topics that are not transitions (engine/cases/timers.py TOPICS, the deadline extension) have no label
# in the definition: their words are these.
TIMER_TITLES: dict[str, tuple[str, str]] = {
    "due_soon": ("Sắp đến hạn xử lý", "Due soon"),
    "overdue": ("Quá hạn xử lý", "Overdue"),
    "escalated": ("Đã báo cáo cấp trên", "Escalated"),
    "limitation_warning": ("Sắp hết thời hiệu xử phạt", "Limitation period running out"),
}
EXTENDED_TITLE = ("Gia hạn thời hạn xử lý", "Deadline extended")

# Alerts to the administrators (engine/cases/outbox.py): their words; the detail travels in the payload.
ADMIN_TITLES: dict[str, tuple[str, str]] = {
    "timer_failed": ("Bộ hẹn giờ không thực hiện được", "A timer could not fire"),
    "message_failed": ("Thông báo không gửi được", "A message could not be delivered"),
    "unit_unstaffed": ("Vụ việc chuyển đến đơn vị chưa có người xử lý", "Case sent to a unit with nobody to act"),
}

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def base_url() -> str:
    """Where links point: PRESSCASE_BASE_URL, without a trailing slash."""
    return (os.environ.get("PRESSCASE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def language_of(user: User) -> str:
    return user.language if user.language in LANGUAGES else "vi"


def local_date(value: datetime | date | str | None, lang: str = "vi") -> str | None:
    """dd/mm/yyyy in Asia/Ho_Chi_Minh (in English, Babel's long form); ISO strings (as payloads carry them) accepted."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ).date()
    return en_date(value) if lang == "en" else value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # the email's text/plain part
    html: str  # the email's text/html part
    at: datetime
    inbox: str = ""  # the inbox item's body: the facts without the letter's greeting and footer


@dataclass
class Facts:
    """One outbox row's language-neutral facts, shared by all of its recipients."""

    row: OutboxMessage
    case: Case | None
    defn: Definition | None
    actor_id: int | None  # who caused the event; None for timers
    directory: projection.Directory
    assigned_unit_name: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)  # the units the payload names (from, to, holder)
    asked: list[tuple[str, str, str]] = field(default_factory=list)  # (label_vi, label_en, text) of the question
    answered: list[tuple[str, str, str]] = field(default_factory=list)  # ... and of its answer

    @property
    def topic_kind(self) -> str:
        return self.row.topic.partition(".")[0]

    @property
    def topic_name(self) -> str:
        return self.row.topic.partition(".")[2]

    @property
    def state(self) -> str | None:
        p = self.row.payload or {}
        return p.get("to_state") or p.get("state") or (self.case.state if self.case else None)


def gather(session: Session, registry: DefinitionRegistry, row: OutboxMessage) -> Facts:
    case = session.get(Case, row.case_id) if row.case_id is not None else None
    defn = registry.get(case.workflow_name, case.workflow_version) if case is not None else None
    actor_id = None
    if case is not None and row.event_seq is not None:
        actor_id = session.scalar(
            select(CaseEvent.actor_id).where(CaseEvent.case_id == case.id, CaseEvent.seq == row.event_seq)
        )
    directory = projection.Directory.load(session)
    if case is not None:
        directory.need_people(session, [case.reporter_id])
    payload = row.payload or {}
    unit_ids = {payload.get(k) for k in ("from_unit_id", "to_unit_id", "assigned_unit_id")} - {None}
    names = {uid: directory.unit_name(uid) for uid in unit_ids if directory.unit_name(uid)}
    if "assigned_unit_id" in payload:  # the holder at the event, not whoever holds it at delivery
        held = payload["assigned_unit_id"]
        assigned_name = names.get(held) if held is not None else None
    else:
        assigned_name = (directory.unit_name(case.assigned_unit_id) or None) if case is not None else None
    facts = Facts(
        row=row, case=case, defn=defn, actor_id=actor_id, directory=directory,
        assigned_unit_name=assigned_name, unit_names=names,
    )  # fmt: skip
    if case is not None and defn is not None:
        _question_and_answer(session, defn, case, row, facts)
    return facts


def _texts(defn: Definition, event: CaseEvent) -> list[tuple[str, str, str]]:
    """The free-text fields an event carried, with their labels."""
    t = defn.transition(event.trigger, event.from_state)
    if t is None:
        return []
    return [(f.label("vi"), f.label("en"), str(event.data[f.name])) for f in t.fields
            if field_type(f.type).layout == "text" and event.data.get(f.name)]  # fmt: skip


def _question_and_answer(session: Session, defn: Definition, case: Case, row: OutboxMessage, facts: Facts) -> None:
    """The question that put the case into a waiting state, and the answer that took it out."""
    waiting = {sid for sid, st in defn.states.items() if st.pauses_clock_of}
    if not waiting:
        return
    event = None
    if row.event_seq is not None:
        event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == row.event_seq))
    entering = event is not None and event.to_state in waiting and event.from_state != event.to_state
    if entering and facts.topic_kind == "transition":
        assert event is not None
        facts.asked = _texts(defn, event)
        return
    left = event.from_state if event is not None and facts.topic_kind == "transition" else facts.state
    if left not in waiting:
        return
    before = event.seq if event is not None else case.event_count + 1
    entered = session.scalar(select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.to_state == left, CaseEvent.from_state != left, CaseEvent.seq < before,
    ).order_by(CaseEvent.seq.desc()).limit(1))  # fmt: skip
    if entered is not None:
        facts.asked = _texts(defn, entered)
    if event is not None and facts.topic_kind == "transition" and event.from_state in waiting:
        facts.answered = _texts(defn, event)


def may_be_told(facts: Facts, user: User) -> bool:
    """Whether this person may receive a message about the row's case: only if the definition lets them
    see the case (a message names the case, its subject and its unit).

    Two exceptions, each naming no filer: an alert to administrators about a failure on the case,
    and the notice to the unit a case was taken from (it held the case at that event and must learn
    that it no longer does, though it cannot see the case from then on)."""
    if facts.case is None or facts.defn is None or facts.topic_kind == "admin":
        return True
    from_unit = (facts.row.payload or {}).get("from_unit_id")
    if from_unit is not None and user.unit_id == from_unit:
        return True
    return policy.can_see(facts.defn, facts.case, Actor.from_user(user))


def message_context(facts: Facts, user: User, url: str) -> dict[str, Any]:
    """What the templates may say to this person about this row (a plain dict, easy to test)."""
    lang = language_of(user)
    row, case, defn = facts.row, facts.case, facts.defn
    payload = row.payload or {}
    actor = Actor.from_user(user)
    state_id = facts.state
    state_spec = defn.states.get(state_id) if defn and state_id else None
    terminal = bool(state_spec and state_spec.terminal)

    title = row.topic
    from_state = None
    if facts.topic_kind == "transition" and defn is not None:
        t = defn.transition(facts.topic_name, payload.get("from_state"))
        title = t.label(lang) if t else facts.topic_name
        if payload.get("from_state") and payload["from_state"] in defn.states:
            from_state = defn.states[payload["from_state"]].label(lang)
    elif facts.topic_kind in ("timer", "admin"):
        vi_en = (TIMER_TITLES if facts.topic_kind == "timer" else ADMIN_TITLES).get(facts.topic_name)
        title = (vi_en[0] if lang == "vi" else vi_en[1]) if vi_en else facts.topic_name
    elif row.topic == "deadline.extended":
        title = EXTENDED_TITLE[0 if lang == "vi" else 1]

    # Delivered after the case moved on (a retry, a busy worker): announce the event, expect nothing stale.
    now_in = None
    if case is not None and defn is not None and state_id and case.state != state_id and case.state in defn.states:
        now_in = defn.states[case.state].label(lang)
    actions: list[str] = []
    if case is not None and defn is not None and state_id and not terminal and now_in is None:
        actions = [t.label(lang) for t in machine_for(defn).permitted(state_id, case, actor)]
    if facts.topic_kind == "admin":
        actions = []
    if actions:
        expect = "act"
    elif facts.topic_kind == "timer" and not terminal and now_in is None:
        expect = "follow_up"  # a reminder or escalation to someone who cannot act: urge the unit that holds it
    else:
        expect = "info"

    reporter = None
    confidential_request = False
    if case is not None and defn is not None:
        reporter = projection.filer_text(projection.case_filer(defn, case, actor, facts.directory, lang))
        confidential_request = (bool(case.reporter_confidential) and user.id != case.reporter_id
                                and projection.may_know_case_filer(defn, case, actor))
    from_unit, to_unit = payload.get("from_unit_id"), payload.get("to_unit_id")
    pick = 0 if lang == "vi" else 1
    if facts.topic_kind == "transition" and from_unit is not None and payload.get("from_state") == state_id:
        from_state = None  # a reassignment: the state stays, the unit changes (said below), never "from X to X"

    return {
        "lang": lang,
        "recipient_name": user.full_name,
        "reference": payload.get("reference") or (case.reference if case else ""),
        "workflow": defn.label(lang) if defn else payload.get("workflow", ""),
        "title": title,
        "kind": facts.topic_name if facts.topic_kind == "timer" else (
            "admin" if facts.topic_kind == "admin" else "extended" if row.topic == "deadline.extended" else "transition"),
        "detail": payload.get("detail_vi" if lang == "vi" else "detail_en") if facts.topic_kind == "admin" else None,
        "level": payload.get("level"),
        "from_state": from_state,
        "state": state_spec.label(lang) if state_spec else (state_id or ""),
        "subject_name": case.subject if case is not None else None,
        "unit": facts.assigned_unit_name,
        "reporter": reporter,
        "actions": actions,
        "expect": expect,
        "deadline": None if terminal or now_in else local_date(payload.get("deadline"), lang),
        "now_in": now_in,
        "working_days_left": payload.get("working_days_left"),
        "expires_on": local_date(payload.get("expires_on"), lang),
        "link": (f"{url}{payload['path']}" if facts.topic_kind == "admin" and payload.get("path")
                 else f"{url}/cases/{case.id}" if case is not None else url),
        "reason": payload.get("reason") if row.topic == "deadline.extended" else None,
        "previous_deadline": local_date(payload.get("previous_deadline"), lang) if row.topic == "deadline.extended" else None,
        "moved_from": facts.unit_names.get(from_unit) if from_unit is not None else None,
        "moved_to": facts.unit_names.get(to_unit) if to_unit is not None else None,
        "lost": from_unit is not None and user.unit_id == from_unit and user.unit_id != to_unit,
        "confidential_request": confidential_request,
        "asked": [(a[pick], a[2]) for a in facts.asked],
        "answered": [(a[pick], a[2]) for a in facts.answered],
        "for_inbox": False,
    }


def _render(name: str, lang: str, **ctx: Any) -> str:
    return _env.get_template(f"{lang}/{name}").render(**ctx)


def render_message(ctx: dict[str, Any], at: datetime) -> Rendered:
    lang = ctx["lang"]
    subject = " ".join(_render("subject.txt", lang, m=ctx).split())
    return Rendered(
        subject[:SUBJECT_MAX], _render("message.txt", lang, m=ctx), _render("message.html", lang, m=ctx), at,
        inbox=_render("_facts.txt", lang, m={**ctx, "for_inbox": True}).strip(),  # the inbox page has its own button
    )  # fmt: skip


def render_digest(user: User, day: date, items: list[dict[str, Any]], at: datetime) -> Rendered:
    """One email with the day's messages, each as `message_context` described it."""
    lang = language_of(user)
    ctx = {"recipient_name": user.full_name, "day": local_date(day, lang), "items": items}
    subject = " ".join(_render("digest_subject.txt", lang, d=ctx).split())
    return Rendered(subject[:SUBJECT_MAX], _render("digest.txt", lang, d=ctx), _render("digest.html", lang, d=ctx), at)
