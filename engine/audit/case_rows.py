"""Checks that a case row, its references and its evidence still say what the history says.

The chain (engine.cases.history) proves the events were not changed; these checks prove the case
row was not changed behind them: its state, version, assigned unit and deadline are replayed
from the events with the engine's own code (`deadlines.replay_stage`), references are
sequential per prefix and year so a deleted case leaves a gap, and every attachment's bytes are
re-hashed against the SHA-256 its event recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.history import ChainProblem
from engine.cases.registry import DefinitionRegistry
from engine.errors import EngineError
from engine.store.models import Attachment, Case, CaseEvent, ReferenceCounter
from engine.time import limitation
from engine.time.calendar import WorkingCalendar
from engine.time.clock import LOCAL_TZ
from engine.time.deadlines import EXTEND_TRIGGER, MIGRATE_TRIGGER, TIMER_TRIGGER_PREFIX, replay_stage, versions_along
from workflows.definition import Definition

# The key under which a transition that assigns the case records the unit it assigned.
ASSIGNED_KEY = "assigned_unit"
REFERENCE_RE = re.compile(r"^(?P<series>.+-(?P<year>\d{4}))-(?P<n>\d+)$")


def _when(at: datetime | None) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at is not None else "none"


def _assignment(along: list[Definition], events: list[CaseEvent]) -> tuple[bool, Any, bool, Any]:
    """(known, assigned unit, known, handling unit) as the history leaves them.

    A transition writes what it assigned under ASSIGNED_KEY; events written before that key
    existed still say it when the unit came from a form field, and otherwise leave it unknown.
    """
    assigned: Any = None
    handling: Any = None
    a_known = h_known = True
    for defn, ev in zip(along, events, strict=True):
        t = defn.transition(ev.trigger, ev.from_state) if not _system(ev.trigger) else None
        if t is None or not t.assign:
            continue
        field = t.assign.get("from_field")
        if ASSIGNED_KEY in ev.data:
            assigned, a_known = ev.data[ASSIGNED_KEY], True
        elif field:
            assigned, a_known = ev.data.get(field), True
        else:
            a_known = False
        if field:
            handling, h_known = assigned, a_known
    return a_known, assigned, h_known, handling


def _system(trigger: str) -> bool:
    return trigger.startswith(TIMER_TRIGGER_PREFIX) or trigger in (EXTEND_TRIGGER, MIGRATE_TRIGGER)


def check_row(
    defn: Definition, calendar: WorkingCalendar, case: Case, events: list[CaseEvent],
    definitions: Callable[[int], Definition] | None = None,
) -> list[ChainProblem]:
    """Each column of the case row that its (verified) history contradicts, one problem each.

    `definitions` gives other versions of the case's workflow: a case moved to a newer version
    (a `migrate_version` event) is replayed with each event under the version it was written in.
    """
    out: list[ChainProblem] = []

    def bad(seq: int | None, what: str) -> None:
        out.append(ChainProblem(case.id, case.reference, seq, what))

    if not events:
        bad(None, "has no history at all (its events were deleted)")
        return out
    migrations = [ev for ev in events if ev.trigger == MIGRATE_TRIGGER]
    if migrations and migrations[-1].data.get("to_version") != case.workflow_version:
        bad(migrations[-1].seq, f"the case row's workflow version is {case.workflow_version} but the history moved "
                                f"it to version {migrations[-1].data.get('to_version')}")  # fmt: skip
        return out
    try:
        along = versions_along(events, defn, definitions)
    except EngineError as err:
        bad(None, f"a workflow version it was migrated from is not loaded ({err.message_en})")
        return out
    last = events[-1]
    if case.state != last.to_state:
        bad(last.seq, f"the case row's state is '{case.state}' but the history ends in '{last.to_state}'")
    terminal = defn.states[last.to_state].terminal if last.to_state in defn.states else case.closed
    if bool(case.closed) != terminal:
        bad(last.seq, f"the case row says {'closed' if case.closed else 'open'} but state '{last.to_state}' is "
                      f"{'terminal' if terminal else 'not terminal'}")  # fmt: skip
    # One command is one transaction and bumps the version once; a timer sweep may write several
    # events in one transaction, and each transaction stamps its events with one time.
    low, high = len({ev.at for ev in events}) + 1, len(events) + 1
    if not low <= case.version <= high:
        bad(last.seq, f"the case row's version is {case.version}, but {len(events)} events allow only "
                      f"{low}..{high}")  # fmt: skip
    a_known, assigned, h_known, handling = _assignment(along, events)
    if a_known and case.assigned_unit_id != assigned:
        bad(None, f"the case row's assigned unit is {case.assigned_unit_id} but the history assigned {assigned}")
    if h_known and case.handling_unit_id != handling:
        bad(None, f"the case row's handling unit is {case.handling_unit_id} but the history assigned {handling}")
    first = events[0]
    flag = along[0].confidentiality.get("flag_field")
    filed = {"filing unit": (case.filing_unit_id, first.actor_unit_id), "reporter": (case.reporter_id, first.actor_id),
             "filing time": (case.created_at, first.at),
             "confidentiality flag": (bool(case.reporter_confidential), bool(first.data.get(flag)) if flag else False)}
    for what, (row, history) in filed.items():
        if row != history:
            bad(1, f"the case row's {what} is {row} but the filing event says {history}")
    out.extend(_facts_problems(along, case, events))
    try:
        deadline, info, level = replay_stage(events, defn, calendar, definitions)
    except (AssertionError, KeyError, ValueError, EngineError) as err:
        bad(None, f"its deadline cannot be replayed from the history ({err or type(err).__name__})")
        return out
    if (case.escalation_level or 0) != level:
        bad(None, f"the case row's escalation level is {case.escalation_level} but the history gives {level}")
    if case.deadline_at != deadline:
        source = (info or {}).get("started_by_event")
        exts = (info or {}).get("extensions") or []
        if exts:
            source = exts[-1].get("event", source)
        recorded = (case.deadline_info or {}).get("calendar")
        note = ""
        if recorded and info and recorded != info.get("calendar"):
            note = f"; the working-day calendar changed since ({recorded} -> {info.get('calendar')})"
        bad(source if isinstance(source, int) and source > 0 else None,
            f"the case row's deadline is {_when(case.deadline_at)} but the history gives {_when(deadline)}{note}")
    return out


def _facts_problems(along: list[Definition], case: Case, events: list[CaseEvent]) -> list[ChainProblem]:
    """The facts, the promoted columns (kind, severity, subject) and the limitation date, replayed as `_apply` sets them."""
    facts: dict[str, Any] = {}
    promoted: dict[str, Any] = {}
    defn = along[-1]
    for at_version, ev in zip(along, events, strict=True):
        if _system(ev.trigger):
            continue
        data = {k: v for k, v in ev.data.items() if k not in ("evidence", ASSIGNED_KEY)}
        for column, names in at_version.index.items():
            for name in names:
                if data.get(name) not in (None, ""):
                    promoted[column] = str(data[name])[:300]
        facts.update(data)
    out: list[ChainProblem] = []
    changed = sorted(k for k in set(facts) | set(case.facts or {}) if facts.get(k) != (case.facts or {}).get(k))
    if changed:
        out.append(ChainProblem(case.id, case.reference, None,
                                f"the case row's facts differ from the history in: {', '.join(changed)}"))
    for column in sorted(set().union(*(d.index for d in along))):
        if getattr(case, column, None) != promoted.get(column):
            out.append(ChainProblem(case.id, case.reference, None,
                                    f"the case row's {column} is {getattr(case, column, None)!r} but the history "
                                    f"gives {promoted.get(column)!r}"))  # fmt: skip
    expected = limitation.expires_on(defn, facts)
    if case.limitation_expires_on != expected:
        out.append(ChainProblem(case.id, case.reference, None,
                                f"the case row's limitation date is {case.limitation_expires_on} but the history "
                                f"gives {expected}"))  # fmt: skip
    return out


def reference_gaps(session: Session) -> list[ChainProblem]:
    """References missing from each prefix-year series, up to its counter: each is a deleted case.

    A failed filing rolls its counter back with it, so the series has no legitimate holes.
    """
    present: dict[str, set[int]] = defaultdict(set)
    width: dict[str, int] = {}
    for ref in session.scalars(select(Case.reference)):
        m = REFERENCE_RE.match(ref)
        if m:
            present[m["series"]].add(int(m["n"]))
            width[m["series"]] = len(m["n"])
    top = {series: max(numbers) for series, numbers in present.items()}
    for prefix, year, last in session.execute(select(ReferenceCounter.prefix, ReferenceCounter.year,
                                                     ReferenceCounter.last)):  # fmt: skip
        series = f"{prefix}-{year}"
        top[series] = max(top.get(series, 0), last or 0)
    out: list[ChainProblem] = []
    for series in sorted(top):
        for n in range(1, top[series] + 1):
            if n not in present[series]:
                ref = f"{series}-{n:0{width.get(series, 6)}d}"
                out.append(ChainProblem(None, ref, None,
                                        f"missing: references of {series} run to {top[series]} and this one has no "
                                        f"case (a deleted case)"))  # fmt: skip
    return out


def _evidence_entries(events_data: dict[int, dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    for seq, data in events_data.items():
        for entry in data.get("evidence") or []:
            if isinstance(entry, dict):
                yield seq, entry


def check_attachments(session: Session, case: Case, events: list[CaseEvent]) -> list[ChainProblem]:
    """Every attachment re-hashed, and matched against the evidence its (chained) event recorded."""
    out: list[ChainProblem] = []
    recorded: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for seq, entry in _evidence_entries({ev.seq: ev.data for ev in events}):
        recorded[seq].append(entry)
    rows = session.execute(select(Attachment.id, Attachment.event_seq, Attachment.filename, Attachment.sha256,
                                  Attachment.size, Attachment.content)
                           .where(Attachment.case_id == case.id).order_by(Attachment.id)).all()  # fmt: skip
    for _id, seq, filename, sha, _size, content in rows:
        actual = hashlib.sha256(content or b"").hexdigest()
        entries = recorded.get(seq, [])
        match: dict[str, Any] | None = next((e for e in entries if e.get("filename") == filename), None)
        if match is not None:
            entries.remove(match)
        what = None
        if actual != sha:
            what = f"its bytes hash to {actual[:12]}…, not the recorded SHA-256 {sha[:12]}… (the file was changed)"
        elif match is None:
            what = "it is not among the evidence the event recorded (it was added or replaced)"
        elif match.get("sha256") != actual:
            what = (f"its bytes and recorded hash {actual[:12]}… differ from the SHA-256 its event recorded "
                    f"{str(match.get('sha256'))[:12]}… (it was replaced)")  # fmt: skip
        if what:
            out.append(ChainProblem(case.id, case.reference, seq, f"attachment '{filename}': {what}"))
    for seq, entries in sorted(recorded.items()):
        for e in entries:
            out.append(ChainProblem(case.id, case.reference, seq,
                                    f"attachment '{e.get('filename')}' recorded by the event is missing"))
    return out


def check_cases(
    session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, case: Case, events: list[CaseEvent],
    has_attachments: bool = True,
) -> list[ChainProblem]:
    """The row and attachment checks for one case whose chain verified."""
    try:
        defn = registry.get(case.workflow_name, case.workflow_version)
    except EngineError:
        return [ChainProblem(case.id, case.reference, None,
                             f"its workflow {case.workflow_name} v{case.workflow_version} is not loaded")]
    name = case.workflow_name
    out = check_row(defn, calendar, case, events, lambda v: registry.get(name, v))
    if has_attachments or any(ev.data.get("evidence") for ev in events):
        out += check_attachments(session, case, events)
    return out
