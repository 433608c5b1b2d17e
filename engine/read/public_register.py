"""The public register of handling results: a read-only projection that can only hold public fields.

Why a projection over the history and not a `published_results` table: the history is already
the single, hash-chained record of what was published and corrected, and the only writer of a
case is `engine.cases.commands` (which this module must not change). Reading the published cases'
events and keeping, field by field, only what the definition marks `public = true` gives the
same guarantee a table would (the dataclasses below have no place for anything else) without a
second copy that could drift from the history. What is not a field is chosen here, explicitly:
the reference, the time of publication and of each correction, the name of the unit that
recorded the decision (a public body), and the SHA-256 fingerprints of the evidence (never the
file, its name, or the offending content). Free texts pass through `engine.read.redaction`, so
private individuals' names are masked unless the publisher listed them in `public_names`.

Queries are bounded: a page holds at most MAX_PER_PAGE results, pages stop at MAX_PAGE, the
count stops at COUNT_CAP, search terms are cut to SEARCH_MAX characters and matched with an
escaped LIKE, and each registered workflow's published cases are read from the register's own
indexes over finished cases (register_models) and merged, newest first.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, text
from sqlalchemy.orm import Session

from engine.cases.registry import DefinitionRegistry
from engine.read.redaction import PROTECTED, NameMasker, split_names
from engine.store.models import Attachment, Case, CaseEvent, Unit, User
from engine.store.register_models import FINISHED, IX_UPDATED
from engine.time.clock import LOCAL_TZ
from workflows.definition import Definition, RegisterSpec

MAX_PER_PAGE = 50
MAX_PAGE = 200
COUNT_CAP = 1000
SEARCH_MAX = 100
FEED_SIZE = 50


class EventLike(Protocol):
    """What the projection reads of an event: a stored CaseEvent or the preview's not-yet-fired one."""

    @property
    def seq(self) -> int: ...
    @property
    def trigger(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor_unit_id(self) -> int | None: ...
    @property
    def data(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Correction:
    seq: int
    at: datetime
    text: str


@dataclass(frozen=True)
class Fingerprint:
    """Evidence as the public may know it: that it is kept, its kind, size and SHA-256, never its content."""

    sha256: str
    content_type: str
    size: int


@dataclass(frozen=True)
class PublicResult:
    reference: str
    published_at: datetime
    updated_at: datetime
    subject: str
    subject_type: str
    kind: str
    outcome: str
    measures: tuple[str, ...]
    decision_number: str
    decision_date: date | None
    legal_basis: str
    decided_by: str
    deciding_body: str
    summary: str
    corrections: tuple[Correction, ...]
    evidence: tuple[Fingerprint, ...]
    workflow_version: int = 1
    workflow: str = ""
    # the public fields `[register]` gives no part to, in the definition's order: (field name, value)
    extra: tuple[tuple[str, Any], ...] = ()
    # measure -> the amount its `[register] measure_amounts` field recorded (fine -> 15000000)
    amounts: tuple[tuple[str, int], ...] = ()


def public_fields(defn: Definition, trigger: str, from_state: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """The data of one event, reduced to the fields its transition marks `public = true`."""
    t = defn.transition(trigger, from_state)
    if t is None:
        return {}
    return {f.name: data[f.name] for f in t.fields if f.public and data.get(f.name) not in (None, "", [])}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def registered(registry: DefinitionRegistry) -> dict[str, RegisterSpec]:
    """Workflow name -> its `[register]`, for every workflow whose newest version publishes on the register."""
    return {d.name: d.register for d in registry.latest_all() if d.register is not None}


def public_triggers(defn: Definition) -> tuple[str, ...]:
    """The events that may carry public fields (and the ones the register reads); others are never read."""
    reg = defn.register
    named = (*reg.publish, *reg.correct, *reg.decision_triggers) if reg else ()
    return tuple(sorted({t.trigger for t in defn.transitions if any(f.public for f in t.fields)} | set(named)))


def project(
    defn: Definition,
    reference: str,
    events: Iterable[EventLike],
    *,
    unit_names: dict[int, str],
    masker: NameMasker,
    evidence: Sequence[Fingerprint] = (),
) -> PublicResult | None:
    """One published result from a case's events (in order); None until it has been published.

    The preview on the publish form calls this with the real events plus the unsaved publication,
    so the publisher sees exactly what the register will show.
    """
    reg = defn.register
    if reg is None:
        return None
    facts: dict[str, Any] = {}
    published_at: datetime | None = None
    updated_at: datetime | None = None
    deciding_body = ""
    kept: tuple[str, ...] = ()
    raw_corrections: list[tuple[int, datetime, str]] = []
    readable = public_triggers(defn)
    for ev in sorted(events, key=lambda e: e.seq):
        if ev.trigger not in readable:
            continue
        if ev.trigger in reg.correct and published_at is not None:
            body = public_fields(defn, ev.trigger, ev.from_state, ev.data).get(reg.correction_field or "", "")
            raw_corrections.append((ev.seq, ev.at, str(body)))
            updated_at = ev.at
            continue
        facts.update(public_fields(defn, ev.trigger, ev.from_state, ev.data))
        if ev.trigger in reg.decision_triggers:
            deciding_body = unit_names.get(ev.actor_unit_id or 0, "")
        if ev.trigger in reg.publish:
            published_at = updated_at = ev.at
            if reg.names_field:  # a control, never shown itself
                kept = split_names(str(ev.data.get(reg.names_field) or ""))
    if published_at is None or updated_at is None:
        return None
    # Officials named in their office (the fields marked `official`, such as who decided) stay named,
    # here and wherever else the public texts name them.
    officials = {f.name for t in defn.transitions for f in t.fields if f.official}
    kept += tuple(n for name in sorted(officials) for n in masker.names_in(str(facts.get(name) or "")))
    m = masker.with_kept(kept)

    def slot(name: str | None) -> Any:
        return facts.get(name) if name else None

    def shown(name: str | None) -> str:
        value = slot(name)
        return "" if value is None else str(value)

    measures = slot(reg.measures_field) or []
    measures = measures if isinstance(measures, list) else [measures]
    used = {f for f in reg.slots.values() if f} | set(reg.measure_amounts.values()) | {reg.correction_field}
    extra = tuple((f.name, m.mask(facts[f.name]) if isinstance(facts[f.name], str) and f.type in ("string", "text")
                   else facts[f.name])
                  for f in _public_field_order(defn) if f.name in facts and f.name not in used)  # fmt: skip
    amounts = tuple((key, amount) for key, fname in reg.measure_amounts.items()
                    if (amount := _int(facts.get(fname))) is not None)  # fmt: skip
    return PublicResult(
        reference=reference, published_at=published_at, updated_at=updated_at,
        subject=m.mask(shown(reg.subject_field)), subject_type=shown(reg.subject_type_field),
        kind=shown(reg.kind_field), outcome=shown(reg.outcome_field),
        measures=tuple(str(x) for x in measures if isinstance(x, str)),
        decision_number=shown(reg.decision_number_field), decision_date=_date(slot(reg.decision_date_field)),
        legal_basis=m.mask(shown(reg.legal_basis_field)), decided_by=m.mask(shown(reg.decided_by_field)),
        deciding_body=deciding_body, summary=m.mask(shown(reg.summary_field)),
        corrections=tuple(Correction(seq, at, m.mask(body)) for seq, at, body in raw_corrections),
        evidence=tuple(evidence), workflow_version=defn.version, workflow=defn.name, extra=extra, amounts=amounts,
    )  # fmt: skip


def _public_field_order(defn: Definition) -> list[Any]:
    seen: dict[str, Any] = {}
    for t in defn.transitions:
        for f in t.fields:
            if f.public and f.name not in seen:
                seen[f.name] = f
    return list(seen.values())


def masker_for(session: Session) -> NameMasker:
    """Every account holder's name is masked; every unit's name (public bodies) is protected."""
    people = tuple(n for (n,) in session.execute(select(User.full_name)) if n)
    units = tuple(n for (n,) in session.execute(select(Unit.name)) if n)
    return NameMasker(known_names=people, protected=PROTECTED + units)


def unit_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Unit.id, Unit.name))}


# ------------------------------------------------------------------ queries


@dataclass(frozen=True)
class RegisterFilter:
    kind: str | None = None
    measure: str | None = None
    year: int | None = None
    subject: str | None = None  # exact subject, as linked from a result
    q: str | None = None  # search: reference, or part of the subject

    def cleaned(self, registry: DefinitionRegistry) -> RegisterFilter:
        """Unknown list values are dropped (a filter never errors), texts cut to SEARCH_MAX."""
        return RegisterFilter(
            kind=self.kind if self.kind in filter_choices(registry, "kind") else None,
            measure=self.measure if self.measure in filter_choices(registry, "measures") else None,
            year=self.year if self.year and 2000 <= self.year <= 2100 else None,
            subject=(self.subject or "").strip()[:300] or None,
            q=(self.q or "").strip()[:SEARCH_MAX] or None,
        )


@dataclass(frozen=True)
class ResultPage:
    items: tuple[PublicResult, ...]
    page: int
    per_page: int
    total: int
    capped: bool
    has_next: bool

    @property
    def pages(self) -> int:
        known = max(1, -(-self.total // self.per_page))
        return max(known, self.page + 1) if self.has_next else max(known, self.page)


def filter_choices(registry: DefinitionRegistry, part: str) -> dict[str, str]:
    """Key -> Vietnamese label of the choices a `[register]` part (kind, measures) can hold, over every workflow."""
    out: dict[str, str] = {}
    for d in registry.latest_all():
        if d.register is None:
            continue
        name = d.register.slots.get(part)
        f = d.field_spec(name) if name else None
        if f is not None and f.choices:
            out.update({k: d.choice_label(f.choices, k) for k in d.lists.get(f.choices, {})})
    return out


def _branches(registry: DefinitionRegistry) -> list[ColumnElement[bool]]:
    """One clause per registered workflow: its published cases, a range of the register's indexes.

    Read one at a time and merged, as the worklists are: with the workflows ORed in one query,
    SQLite read every published case and sorted them (2 s a query at a million cases).
    """
    return [and_(FINISHED, Case.workflow_name == w, Case.state == r.published_state)
            for w, r in sorted(registered(registry).items())]  # fmt: skip


def _published(registry: DefinitionRegistry) -> Select[int]:
    """Any registered workflow's published cases (for a lookup by reference; lists read `_branches` one by one)."""
    branches = _branches(registry)
    return select(Case.id).where(or_(*branches) if branches else false())


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """A calendar year in Hà Nội time, as UTC instants [start, end)."""
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def _escape_like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _measure_clause(session: Session, registry: DefinitionRegistry, measure: str) -> Any:
    """The case's measures (a JSON list under its `[register] measures_field`) contain `measure`: exact, on either database."""
    clauses = []
    for w, reg in registered(registry).items():
        fname = reg.measures_field
        if not fname or not fname.isidentifier():
            continue
        if session.get_bind().dialect.name == "postgresql":
            contains = text(f"(cases.facts::jsonb -> '{fname}') @> jsonb_build_array(CAST(:measure AS text))")
        else:
            contains = text(f"EXISTS (SELECT 1 FROM json_each(cases.facts, '$.{fname}') WHERE json_each.value = :measure)")
        clauses.append(and_(Case.workflow_name == w, contains.bindparams(measure=measure)))
    return or_(*clauses) if clauses else false()


def _filtered(session: Session, registry: DefinitionRegistry, f: RegisterFilter) -> list[Select[int]]:
    """The filter's query over each registered workflow's published cases."""
    conditions: list[Any] = []
    if f.kind:
        conditions.append(Case.kind == f.kind)
    if f.year:
        start, end = year_bounds(f.year)
        conditions += [Case.state_entered_at >= start, Case.state_entered_at < end]
    if f.subject:
        conditions.append(Case.subject == f.subject)
    if f.q:
        conditions.append(or_(Case.reference == f.q.upper(), Case.subject.ilike(_escape_like(f.q), escape="\\")))
    if f.measure:
        conditions.append(_measure_clause(session, registry, f.measure))
    return [select(Case.id).where(branch, *conditions) for branch in _branches(registry)]


def _load(session: Session, registry: DefinitionRegistry, case_ids: Sequence[int]) -> dict[int, PublicResult]:
    """Project the given (published) cases: one query for their public events, one for their fingerprints."""
    if not case_ids:
        return {}
    # By primary key, then checked here: with the published clause in the query, SQLite walked every finished case.
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))
             if c.closed and is_published(registry.get(c.workflow_name, c.workflow_version), c.state)}
    events: dict[int, list[CaseEvent]] = {i: [] for i in cases}
    readable = sorted({t for d in registry.all() if d.register is not None for t in public_triggers(d)})
    for ev in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id.in_(cases), CaseEvent.trigger.in_(readable)).order_by(CaseEvent.seq)
    ):
        events[ev.case_id].append(ev)
    prints: dict[int, list[Fingerprint]] = {i: [] for i in cases}
    for case_id, sha, ctype, size in session.execute(
        select(Attachment.case_id, Attachment.sha256, Attachment.content_type, Attachment.size)
        .where(Attachment.case_id.in_(cases)).order_by(Attachment.id)
    ):  # fmt: skip
        prints[case_id].append(Fingerprint(sha, ctype, size))
    names, masker = unit_names(session), masker_for(session)
    out = {}
    for cid, case in cases.items():
        defn = registry.get(case.workflow_name, case.workflow_version)
        r = project(defn, case.reference, events[cid], unit_names=names, masker=masker, evidence=prints[cid])
        if r is not None:
            out[cid] = r
    return out


def list_results(
    session: Session, registry: DefinitionRegistry, f: RegisterFilter = RegisterFilter(), page: int = 1,
    per_page: int = 20,
) -> ResultPage:  # fmt: skip
    """Published results, newest publication first."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    f = f.cleaned(registry)
    queries = _filtered(session, registry, f)
    n = 0
    for q in queries:
        n += session.scalar(select(func.count()).select_from(q.limit(COUNT_CAP + 1 - n).subquery())) or 0
        if n > COUNT_CAP:
            break
    need = page * per_page + 1
    newest = heapq.merge(*(session.execute(
        q.with_only_columns(Case.state_entered_at, Case.id).order_by(Case.state_entered_at.desc(), Case.id.desc())
        .limit(need)).all() for q in queries), reverse=True)  # fmt: skip
    ids = [case_id for _, case_id in islice(newest, need)][(page - 1) * per_page:]
    loaded = _load(session, registry, ids[:per_page])
    items = tuple(loaded[i] for i in ids[:per_page] if i in loaded)
    has_next = len(ids) > per_page and page < MAX_PAGE
    return ResultPage(items, page, per_page, min(n, COUNT_CAP), n > COUNT_CAP, has_next)


def get_result(session: Session, registry: DefinitionRegistry, reference: str) -> PublicResult | None:
    """One published result by its reference; None for an unknown or unpublished case (the same answer)."""
    ref = (reference or "").strip().upper()[:30]
    case_id = session.scalar(_published(registry).where(Case.reference == ref))
    return _load(session, registry, [case_id]).get(case_id) if case_id else None


def feed_results(session: Session, registry: DefinitionRegistry, limit: int = FEED_SIZE) -> tuple[PublicResult, ...]:
    """The most recently published or corrected results, for the Atom feed."""
    limit = min(limit, FEED_SIZE)
    newest = heapq.merge(*(session.execute(
        select(Case.updated_at, Case.id).where(branch).order_by(Case.updated_at.desc(), Case.id.desc()).limit(limit)
    ).all() for branch in _branches(registry)), reverse=True)  # fmt: skip
    ids = [case_id for _, case_id in islice(newest, limit)]
    loaded = _load(session, registry, ids)
    return tuple(loaded[i] for i in ids if i in loaded)


def years(session: Session, registry: DefinitionRegistry) -> list[int]:
    """Years that have published results, newest first (for the filter); from the oldest and newest only."""
    ends = [t for branch in _branches(registry) for order in (Case.state_entered_at.asc(), Case.state_entered_at.desc())
            for t in session.scalars(select(Case.state_entered_at).where(branch).order_by(order).limit(1))]  # fmt: skip
    if not ends:
        return []
    first, last = min(ends).astimezone(LOCAL_TZ).year, max(ends).astimezone(LOCAL_TZ).year
    return list(range(last, first - 1, -1))


@dataclass(frozen=True)
class Freshness:
    """What the register's content depends on: an ETag seed and the Last-Modified time."""

    etag_seed: str
    last_modified: datetime | None


def freshness(session: Session, registry: DefinitionRegistry, extra: str = "") -> Freshness:
    """Changes with every publication, correction and withdrawal, and with any event of a published case
    (each bumps its version), and with the definitions; never with a change to a case that is not published,
    so watching the ETag tells nobody when reports are filed or handled.

    Read per workflow from the register's index alone (it holds updated_at and version); at a million
    cases that is every published case's index entry (tens of ms), the register page's largest cost.
    """
    # (SQLite's planner, without statistics, would rather walk every finished case by `closed`.)
    totals = select(func.count(), func.max(Case.updated_at), func.sum(Case.version)).with_hint(
        Case, f"INDEXED BY {IX_UPDATED.name}", "sqlite")
    parts = [session.execute(totals.where(branch)).one() for branch in _branches(registry)]
    count = sum(p[0] for p in parts)
    last = max((p[1] for p in parts if p[1] is not None), default=None)
    versions = sum(p[2] or 0 for p in parts)
    units = session.execute(select(func.count(), func.max(Unit.id))).one()
    checksums = ",".join(d.checksum for d in registry.all() if d.register is not None)
    seed = f"{count}|{last.isoformat() if last else ''}|{versions}|{units}|{checksums}|{extra}"
    return Freshness(hashlib.sha256(seed.encode()).hexdigest()[:32], last)


@dataclass(frozen=True)
class _PendingEvent:
    """A transition not yet fired, shaped like a CaseEvent, for the preview."""

    seq: int
    trigger: str
    from_state: str | None
    at: datetime
    actor_unit_id: int | None
    data: dict[str, Any]


def previews(defn: Definition, trigger: str) -> bool:
    """Whether the form of `trigger` shows what the register will publish (its publication and corrections)."""
    return defn.register is not None and trigger in (*defn.register.publish, *defn.register.correct)


def is_published(defn: Definition, state: str) -> bool:
    return defn.register is not None and state == defn.register.published_state


def preview(
    session: Session, registry: DefinitionRegistry, case_id: int, trigger: str, data: dict[str, Any],
    at: datetime, actor_unit_id: int | None,
) -> PublicResult | None:  # fmt: skip
    """What the register would show if `trigger` were fired now with `data` (already validated).

    The same projection as the register itself, over the case's real events plus the pending one,
    so the publisher previews exactly what the public will see. Nothing is written. The caller
    has already checked that the actor may see the case and fire the trigger.
    """
    case = session.get(Case, case_id)
    if case is None:
        return None
    defn = registry.get(case.workflow_name, case.workflow_version)
    if defn.register is None or trigger not in (*defn.register.publish, *defn.register.correct):
        return None
    events: list[EventLike] = list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.trigger.in_(public_triggers(defn)))
            .order_by(CaseEvent.seq)
        )
    )
    events.append(_PendingEvent(case.event_count + 1, trigger, case.state, at, actor_unit_id, data))
    prints = [Fingerprint(sha, ctype, size) for sha, ctype, size in session.execute(
        select(Attachment.sha256, Attachment.content_type, Attachment.size).where(Attachment.case_id == case_id)
        .order_by(Attachment.id))]  # fmt: skip
    return project(defn, case.reference, events, unit_names=unit_names(session), masker=masker_for(session), evidence=prints)
