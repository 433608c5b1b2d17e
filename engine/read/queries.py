"""Queries: what an actor may see and act on, filtered, sorted and paginated in the database."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.cases import policy
from engine.cases.registry import DefinitionRegistry
from engine.errors import NotFound
from engine.org.actors import Actor
from engine.read import projection, search
from engine.store.models import Attachment, Case, CaseEvent, OutboxMessage, Unit
from workflows.definition import Definition, TransitionSpec

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class WorklistFilter:
    state: str | None = None
    kind: str | None = None
    unit_id: int | None = None
    severity: str | None = None
    overdue_only: bool = False
    search: str | None = None
    workflow: str | None = None
    open_only: bool = True
    closed_only: bool = False
    handling_unit_id: int | None = None  # the unit that handled (or handles) it: the dashboard's "by handling unit"
    involving_unit_id: int | None = None  # holds it or handled it: the dashboard's one-unit scope
    escalated_only: bool = False
    created_from: datetime | None = None  # [from, to) in UTC: the dashboard's period of receipt
    created_to: datetime | None = None


COUNT_CAP = 1000  # counting stops here: "more than 1000" is all a person needs, and it keeps the count cheap
# A search inside a worklist counts its matches only this far: a match is found by reading each row's
# text while the branch's index is walked, so counting to COUNT_CAP read thousands of rows (80 ms at a
# million cases); "more than 100 matches" says as much to someone narrowing a list.
SEARCH_COUNT_CAP = 100


@dataclass
class Page:
    """One page of cases. `total` is exact up to COUNT_CAP; beyond it `capped` is set and total == COUNT_CAP."""

    items: list[Case]
    total: int
    page: int
    per_page: int
    capped: bool = False
    has_next: bool = False

    @property
    def pages(self) -> int:
        known = max(1, -(-self.total // self.per_page))
        return max(known, self.page + 1) if self.has_next else max(known, self.page)


def _apply_filter(q: Any, f: WorklistFilter, now: datetime, session: Session, newest_first: bool = False) -> Any:
    """The filter's conditions; with `newest_first` the search (if any) is left to the caller (search.newest_first)."""
    if f.open_only:
        q = q.where(Case.closed.is_(False))
    if f.closed_only:
        q = q.where(Case.closed.is_(True))
    if f.workflow:
        q = q.where(Case.workflow_name == f.workflow)
    if f.state:
        q = q.where(Case.state == f.state)
    if f.kind:
        q = q.where(Case.kind == f.kind)
    if f.unit_id:
        q = q.where(Case.assigned_unit_id == f.unit_id)
    if f.severity:
        q = q.where(Case.severity == f.severity)
    if f.overdue_only:
        q = q.where(Case.deadline_at < now, Case.closed.is_(False))
    if f.handling_unit_id:
        q = q.where(Case.handling_unit_id == f.handling_unit_id)
    if f.involving_unit_id:
        q = q.where(or_(Case.assigned_unit_id == f.involving_unit_id, Case.handling_unit_id == f.involving_unit_id))
    if f.escalated_only:
        q = q.where(Case.escalation_level > 0, Case.closed.is_(False))
    if f.created_from:
        q = q.where(Case.created_at >= f.created_from)
    if f.created_to:
        q = q.where(Case.created_at < f.created_to)
    if f.search and not newest_first:
        found = search.search_clause(session, f.search)
        if found is not None:
            q = q.where(found)
    return q


def _capped_count(session: Session, q: Any, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """count(*) that stops after `cap` rows: exact for small lists, cheap for huge ones (no full scan)."""
    sub = q.order_by(None).with_only_columns(Case.id).limit(cap + 1).subquery()
    n = session.scalar(select(func.count()).select_from(sub)) or 0
    return min(n, cap), n > cap


def _paginate(session: Session, q: Any, page: int, per_page: int) -> Page:
    page, per_page, offset, _ = _window(page, per_page)
    total, capped = _capped_count(session, q)
    rows = list(session.scalars(q.limit(per_page + 1).offset(offset)))
    return Page(rows[:per_page], total, page, per_page, capped, len(rows) > per_page)


def _window(page: int, per_page: int) -> tuple[int, int, int, int]:
    """(page, per_page, offset, need), clamped: `need` ids cover this page and say whether another follows."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, 100_000))
    offset = (page - 1) * per_page
    return page, per_page, offset, offset + per_page + 1


def _page_of(session: Session, ids: list[int], counted: int, cap: int, page: int, per_page: int) -> Page:
    """The cases of `ids` (this page's, and one more if another page follows) in that order, read by primary key."""
    found = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    rows = [found[i] for i in ids if i in found]
    return Page(rows[:per_page], min(counted, cap), page, per_page, counted > cap, len(rows) > per_page)


def _merge_pages(session: Session, queries: list[Any], page: int, per_page: int, cap: int = COUNT_CAP) -> Page:
    """One page, most urgent first and cases without a deadline last (by id), over disjoint queries.

    Each query is one branch of a worklist (one state of one workflow version, in the actor's scope)
    and reads its own index in deadline order, stopping after the rows the page needs; the branches
    are merged here. One query with an OR across branches either sorts every matching row or walks
    the open cases of every unit (448 ms for a handler at a million cases on SQLite); a branch
    walks only its own (under 1 ms). The count is capped the same way, branch by branch.
    """
    page, per_page, offset, need = _window(page, per_page)
    counted = 0
    empty: set[int] = set()
    for i, q in enumerate(queries):
        sub = q.order_by(None).with_only_columns(Case.id).limit(cap + 1 - counted).subquery()
        n = session.scalar(select(func.count()).select_from(sub)) or 0
        if n == 0:
            empty.add(i)
        counted += n
        if counted > cap:
            break
    # A branch counted empty is not read again: with a narrow filter most are, and reading one walks
    # as much of its index as counting it did.
    queries = [q for i, q in enumerate(queries) if i not in empty]
    dated = heapq.merge(*(session.execute(
        q.with_only_columns(Case.deadline_at, Case.id).where(Case.deadline_at.is_not(None))
        .order_by(Case.deadline_at, Case.id).limit(need)).all() for q in queries))  # fmt: skip
    ids = [case_id for _, case_id in islice(dated, need)]
    # Every dated case is on this page or before it: continue with the undated ones, if the count says
    # there are any (no state of today's definitions lacks a deadline; PostgreSQL would look for them
    # along the primary key, through every case).
    if len(ids) < need and (counted > cap or counted > len(ids)):
        undated = heapq.merge(*(session.scalars(
            q.with_only_columns(Case.id).where(Case.deadline_at.is_(None)).order_by(Case.id).limit(need - len(ids))).all()
            for q in queries))  # fmt: skip
        ids += islice(undated, need - len(ids))
    return _page_of(session, ids[offset:], counted, cap, page, per_page)


def _merge_read(session: Session, queries: list[Any], page: int, per_page: int, cap: int) -> Page:
    """`_merge_pages` for a search inside a worklist: each branch read once, in deadline order, as far
    as both the page and the count cap need.

    Matching a term reads each row the walk passes (the folded text is in no index), so counting a
    branch and then reading its page walked it twice; with a cap of SEARCH_COUNT_CAP, the rows read
    for the count are few enough to fetch and also serve the page.
    """
    page, per_page, offset, need = _window(page, per_page)
    counted = 0
    dated_parts: list[list[Any]] = []
    undated_parts: list[list[int]] = []
    for q in queries:
        room = cap + 1 - counted if counted <= cap else 0
        want = max(need, room)
        dated = list(session.execute(q.with_only_columns(Case.deadline_at, Case.id).where(Case.deadline_at.is_not(None))
                                     .order_by(Case.deadline_at, Case.id).limit(want)).all())  # fmt: skip
        undated: list[int] = []
        if len(dated) < want:  # the branch's cases without a deadline come after all the dated ones
            undated = list(session.scalars(q.with_only_columns(Case.id).where(Case.deadline_at.is_(None))
                                           .order_by(Case.id).limit(want - len(dated))))  # fmt: skip
        counted += min(len(dated) + len(undated), room)
        dated_parts.append(dated)
        undated_parts.append(undated)
    ids = [case_id for _, case_id in islice(heapq.merge(*dated_parts), need)]
    if len(ids) < need:
        ids += islice(heapq.merge(*undated_parts), need - len(ids))
    return _page_of(session, ids[offset:], counted, cap, page, per_page)


def worklist(
    session: Session,
    registry: DefinitionRegistry,
    actor: Actor,
    now: datetime,
    f: WorklistFilter = WorklistFilter(),
    page: int = 1,
    per_page: int = 25,
    responsible: bool | None = None,
) -> Page:
    """Cases the actor may act on now, most urgent first (no deadline last).

    `responsible=True`: only those waiting on the actor's role and unit ("my work"); `False`: those
    the actor may act on while another unit or role holds them (policy.actionable_branches).

    Read branch by branch (one workflow version and state each; `_merge_pages`), so each query names
    one state and at most one scope column and walks the index made for it (ix_cases_state_deadline,
    ix_cases_assigned_state_deadline, ix_cases_kind_state_deadline). A branch the filter rules out (another
    state, another holding unit than the one the branch is held by) is not queried at all.
    """
    definitions = {(d.name, d.version): d for d in registry.all()}
    branches = policy.actionable_branches(list(definitions.values()), actor, responsible=responsible)
    found = search.search_clause(session, f.search) if f.search else None
    # Open or finished is the branch's state: the engine writes `closed` as the state's `terminal`.
    plain = replace(f, search=None, open_only=False, closed_only=False, overdue_only=False, escalated_only=False)
    queries = []
    for b in branches:
        defn = definitions[(b.workflow, b.version)]
        terminal = defn.states[b.state].terminal
        if (f.state and f.state != b.state) or (f.workflow and f.workflow != b.workflow):
            continue
        if (terminal and (f.open_only or f.overdue_only or f.escalated_only)) or (f.closed_only and not terminal):
            continue
        if f.unit_id and b.held_by_own_unit and f.unit_id != actor.unit_id:
            continue
        # Actionable AND visible: a transition open to a role anywhere (`scope = "any"`) never lists a
        # case the definition hides from that person.
        visible = policy.visible_in_state(defn, b.state, actor, b.scopes)
        q = _apply_filter(select(Case).where(b.clause(actor), visible), plain, now, session)
        if f.overdue_only:
            q = q.where(Case.deadline_at < now)
        if f.escalated_only:
            q = q.where(Case.escalation_level > 0)
        queries.append(q if found is None else q.where(found))
    if found is None:
        return _merge_pages(session, queries, page, per_page, COUNT_CAP)
    return _merge_read(session, queries, page, per_page, SEARCH_COUNT_CAP)


def visible_cases(
    session: Session,
    registry: DefinitionRegistry,
    actor: Actor,
    now: datetime,
    f: WorklistFilter = WorklistFilter(open_only=False),
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """Every case the actor may see, in every state (the search, and the reporter's "my unit's reports"), newest first."""
    if f.search:  # the search table yields its matches newest first and drives the query (search.newest_first)
        q = select(Case).where(policy.visible_clause(registry.all(), actor))
        q = _apply_filter(q, f, now, session, newest_first=True)
        q = search.newest_first(session, q, f.search)
        return _paginate(session, q, page, per_page)
    parts = [_apply_filter(select(Case).where(part), f, now, session, newest_first=True)
             for part in policy.visible_parts(registry.all(), actor)]  # fmt: skip
    # With only the scope, a part's index (filing unit or reporter, then version, then the row id) gives
    # newest first by itself; a filter (a state, a kind) breaks that order.
    return _merge_newest(session, parts, page, per_page, ordered_by_index=f == WorklistFilter(open_only=f.open_only))


def _merge_newest(session: Session, queries: list[Any], page: int, per_page: int, *, ordered_by_index: bool) -> Page:
    """One page, newest (highest id) first, over disjoint queries (one per definition version).

    Each part's ids are first read up to COUNT_CAP + 1 from whatever index serves its conditions:
    that is its count, and when it is no longer than that, its page too (sorted here). A part with
    more is read newest first: down its index when the index is in that order, else along the
    primary key from the newest case, where so many matches make the first page near.
    """
    page, per_page, offset, need = _window(page, per_page)
    counted = 0
    newest: list[list[int]] = []
    for q in queries:
        ids = session.scalars(q.order_by(None).with_only_columns(Case.id).limit(COUNT_CAP + 1)).all()
        counted += len(ids)
        if len(ids) <= COUNT_CAP:
            newest.append(sorted(ids, reverse=True)[:need])
            continue
        walk = q.with_only_columns(Case.id).order_by(Case.id.desc()).limit(need)
        if not ordered_by_index:
            walk = walk.with_hint(Case, "NOT INDEXED", "sqlite")  # SQLite would sort every match first
        newest.append(list(session.scalars(walk)))
    ids = list(islice(heapq.merge(*newest, reverse=True), need))
    return _page_of(session, ids[offset:], counted, COUNT_CAP, page, per_page)


def visible_cases_by_deadline(
    session: Session,
    registry: DefinitionRegistry,
    actor: Actor,
    now: datetime,
    f: WorklistFilter = WorklistFilter(open_only=False),
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """Every case the actor may see, most urgent first (no deadline last): the search's cases in the worklist's order."""
    q = _apply_filter(select(Case).where(policy.visible_clause(registry.all(), actor)), f, now, session)
    return _merge_pages(session, [q], page, per_page)


@dataclass
class EventView:
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    at: datetime
    actor_name: str
    actor_unit_name: str
    data: dict[str, Any]


@dataclass
class CaseView:
    case: Case
    definition: Definition
    events: list[EventView]
    attachments: list[Attachment]
    allowed: list[TransitionSpec]
    reporter_visible: bool
    reporter_name: str | None
    filing_unit_name: str
    filing_unit_type: str
    assigned_unit_name: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def load_visible_case(
    session: Session, registry: DefinitionRegistry, actor: Actor, case_id: int | None = None, reference: str | None = None
) -> tuple[Case, Definition]:
    q = select(Case)
    q = q.where(Case.id == case_id) if case_id is not None else q.where(Case.reference == (reference or "").upper())
    case = session.scalar(q)
    if case is None:
        raise NotFound("Case not found.", "Không tìm thấy vụ việc.")
    defn = registry.get(case.workflow_name, case.workflow_version)
    policy.ensure_visible(defn, case, actor)
    return case, defn


def case_view(
    session: Session, registry: DefinitionRegistry, actor: Actor, case_id: int | None = None, reference: str | None = None
) -> CaseView:
    """One case as this actor may see it, through the projection: a confidential filer appears only as
    their unit's type, in the header and in every event of the timeline."""
    case, defn = load_visible_case(session, registry, actor, case_id, reference)
    directory = projection.Directory.load(session)
    events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))
    directory.need_people(session, [e.actor_id for e in events] + [case.reporter_id])
    who = projection.case_filer(defn, case, actor, directory, actor.language)
    views = []
    for e in events:
        actor_name, unit_name = projection.event_author(case, who, directory, e.actor_id, e.actor_unit_id, actor.language)
        views.append(EventView(e.seq, e.trigger, e.from_state, e.to_state, e.at, actor_name, unit_name, e.data))
    attachments = list(session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)))
    return CaseView(
        case=case,
        definition=defn,
        events=views,
        attachments=attachments,
        allowed=policy.allowed_transitions(defn, case, actor),
        reporter_visible=who.known,
        reporter_name=who.reporter_name,
        filing_unit_name=who.unit_name,
        filing_unit_type=who.unit_type,
        assigned_unit_name=directory.unit_name(case.assigned_unit_id) or None,
    )


def counts_by_state(session: Session, registry: DefinitionRegistry, actor: Actor) -> dict[tuple[str, str], int]:
    q = (
        select(Case.workflow_name, Case.state, func.count())
        .where(policy.visible_clause(registry.all(), actor))
        .group_by(Case.workflow_name, Case.state)
    )
    return {(w, s): n for w, s, n in session.execute(q)}


@dataclass(frozen=True)
class LostCase:
    """A case taken from a unit by a reassignment: what the unit may still be told about it."""

    reference: str
    workflow_name: str
    workflow_version: int
    to_unit_name: str | None
    at: datetime


def lost_by_unit(session: Session, case_id: int, unit_id: int | None) -> LostCase | None:
    """The latest move of a case away from `unit_id`, as the notice to that unit recorded it, or None.

    A person whose unit lost a case no longer sees it (visibility follows the holder); this says
    what happened instead of a bare "not found", and nothing more than the unit was told.
    """
    if unit_id is None:
        return None
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.case_id == case_id, OutboxMessage.recipient_unit_id == unit_id,
        OutboxMessage.topic.like("transition.%"),
    ).order_by(OutboxMessage.id.desc()).limit(20))  # fmt: skip
    for row in rows:
        payload = row.payload or {}
        if payload.get("from_unit_id") == unit_id and payload.get("to_unit_id") != unit_id:
            case = session.get(Case, case_id)
            if case is None:
                return None
            to_unit = session.get(Unit, payload["to_unit_id"]) if payload.get("to_unit_id") else None
            return LostCase(case.reference, case.workflow_name, case.workflow_version,
                            to_unit.name if to_unit else None, row.created_at)  # fmt: skip
    return None
