"""Engine objects turned into the API's models, in the caller's language.

Nothing here decides what a caller may see: cases come from engine.read.queries (policy and the
confidentiality projection already applied), so this module only renames and labels.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from engine.cases.machine import mermaid
from engine.read.projection import Directory
from engine.read.queries import CaseView
from engine.store.models import Case
from web.api import schemas
from web.forms import unit_choices
from workflows.definition import Definition, FieldSpec, TransitionSpec


def unit_ref(directory: Directory, unit_id: int | None) -> schemas.UnitRef | None:
    if unit_id is None or unit_id not in directory.units:
        return None
    return schemas.UnitRef(id=unit_id, name=directory.unit_name(unit_id))


def summary_fields(case: Case, defn: Definition, directory: Directory, lang: str) -> dict[str, Any]:
    state = defn.states.get(case.state)
    return {
        "id": case.id, "reference": case.reference, "workflow": case.workflow_name,
        "workflow_version": case.workflow_version, "state": case.state,
        "state_label": state.label(lang) if state else case.state, "version": case.version, "closed": bool(case.closed),
        "kind": case.kind, "severity": case.severity, "subject": case.subject, "deadline_at": case.deadline_at,
        "created_at": case.created_at, "updated_at": case.updated_at,
        "holding_unit": unit_ref(directory, case.assigned_unit_id),
    }  # fmt: skip


def case_detail(cv: CaseView, directory: Directory, lang: str) -> schemas.CaseDetail:
    case = cv.case
    evidence = [
        schemas.EvidenceItem(id=a.id, filename=a.filename, content_type=a.content_type, size=a.size, sha256=a.sha256,
                             received_at=a.received_at, event_seq=a.event_seq, superseded=a.superseded_seq is not None,
                             download=f"/api/v1/cases/{case.id}/evidence/{a.id}")
        for a in cv.attachments
    ]  # fmt: skip
    filer = schemas.Filer(known=cv.reporter_visible, reporter_name=cv.reporter_name if cv.reporter_visible else None,
                          unit_name=cv.filing_unit_name, unit_type=cv.filing_unit_type)  # fmt: skip
    return schemas.CaseDetail(**summary_fields(case, cv.definition, directory, lang), filer=filer,
                              facts=dict(case.facts or {}), evidence=evidence)  # fmt: skip


def history(cv: CaseView, lang: str) -> schemas.History:
    defn = cv.definition
    items = []
    for e in cv.events:
        t = defn.transition(e.trigger, e.from_state) or next((t for t in defn.transitions if t.trigger == e.trigger), None)
        items.append(schemas.HistoryEvent(seq=e.seq, trigger=e.trigger, label=t.label(lang) if t else e.trigger,
                                          from_state=e.from_state, to_state=e.to_state, at=e.at, actor_name=e.actor_name,
                                          actor_unit_name=e.actor_unit_name, data=dict(e.data or {})))  # fmt: skip
    return schemas.History(case_id=cv.case.id, items=items)


def field_out(session: Session | None, defn: Definition, f: FieldSpec, lang: str) -> schemas.ActionField:
    choices: list[schemas.Choice] | None = None
    if f.type in ("choice", "multichoice") and f.choices:
        choices = [schemas.Choice(value=k, label=defn.choice_label(f.choices, k, lang)) for k in defn.lists.get(f.choices, {})]
    elif f.type == "unit" and session is not None:
        choices = [schemas.Choice(value=v, label=name) for v, name in unit_choices(session, defn, f)]
    return schemas.ActionField(name=f.name, type=f.type, label=f.label(lang), required=f.required,
                               required_if=dict(f.required_if) if f.required_if else None, choices=choices,
                               max_length=f.max_length, min=f.min, max=f.max)  # fmt: skip


def action(session: Session, defn: Definition, case_id: int, t: TransitionSpec, lang: str) -> schemas.Action:
    return schemas.Action(trigger=t.trigger, label=t.label(lang), to_state=t.dest, to_state_label=defn.states[t.dest].label(lang),
                          fields=[field_out(session, defn, f, lang) for f in t.fields],
                          path=f"/api/v1/cases/{case_id}/actions/{t.trigger}")  # fmt: skip


@lru_cache(maxsize=64)
def diagram(defn: Definition, lang: str) -> str:
    """Drawn once per loaded version and language (a Definition hashes by identity)."""
    return mermaid(defn, None, lang)


def definition_detail(session: Session, defn: Definition, latest: bool, lang: str) -> schemas.DefinitionDetail:
    return schemas.DefinitionDetail(
        name=defn.name, version=defn.version, label=defn.label(lang), latest=latest,
        states=[schemas.StateOut(id=s.id, label=s.label(lang), terminal=s.terminal, responsible=s.responsible)
                for s in defn.states.values()],
        transitions=[schemas.TransitionOut(trigger=t.trigger, label=t.label(lang), from_states=list(t.sources), to_state=t.dest,
                                           roles=list(t.roles), fields=[field_out(session, defn, f, lang) for f in t.fields])
                     for t in defn.transitions],
        roles={r: str(spec.get(f"label_{lang}") or spec.get("label_vi") or r) for r, spec in defn.roles.items()},
        diagram_mermaid=diagram(defn, lang),
    )  # fmt: skip
