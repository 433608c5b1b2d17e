"""The one projection of a case for one viewer: who filed it, as far as this viewer may know.

Every surface that shows a case (its page and timeline, the worklists and search, the inbox and
email, the dashboard, the periodic report in every format) asks this module what to say about
the filer, so no surface reads `filing_unit_id` or `reporter_id` and decides for itself. The
public register never names the filer at all (engine/read/public_register.py shows only `public` fields).

What the definition decides (`[confidentiality]`):
- `flag_field`: the boolean field of the creating transition by which a reporter asks to stay
  confidential; `always = true` makes every case of the workflow confidential (a colleague
  reporting a colleague: staff_discipline);
- `reporter_visible_to`: the roles that may still know who filed a confidential case.
The reporter always knows their own report; the system (timers, the command line) knows all.

To anyone else a confidential filer is only the *type* of its unit ("Chi bộ, đảng bộ cơ sở"),
and the events of the filing unit in the history (filing, answering questions) are attributed to
that type too, since the name of a colleague who answered names the cell as surely as the filer.
Figures broken down by filing unit are left out for a viewer who may not know every filer of
the workflow, since a count that moves by one when a report is filed names its unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.org.actors import Actor
from engine.store.models import Case, Unit, User
from workflows.definition import Definition
from workflows.unit_types import load_unit_types

SYSTEM_NAME = ("Hệ thống", "System")


def is_confidential(defn: Definition, reporter_confidential: bool) -> bool:
    return bool(reporter_confidential) or bool(defn.confidentiality.get("always", False))


def may_know_filer(defn: Definition, actor: Actor, *, confidential: bool, reporter_id: int | None) -> bool:
    """Whether this viewer may know who filed a case (the reporter's name and the filing unit)."""
    if actor.is_system or not is_confidential(defn, confidential):
        return True
    if actor.user_id is not None and actor.user_id == reporter_id:
        return True
    return bool(actor.roles & set(defn.confidentiality.get("reporter_visible_to", [])))


def may_know_case_filer(defn: Definition, case: Case, actor: Actor) -> bool:
    return may_know_filer(defn, actor, confidential=case.reporter_confidential, reporter_id=case.reporter_id)


def may_know_every_filer(definitions: Iterable[Definition], actor: Actor) -> bool:
    """Whether the viewer may know the filer of any case of these definitions: the condition for
    figures by filing unit (a count per unit would otherwise place a confidential report)."""
    return actor.is_system or all(
        not (d.confidentiality.get("flag_field") or d.confidentiality.get("always"))
        or actor.roles & set(d.confidentiality.get("reporter_visible_to", []))
        for d in definitions
    )


def hidden_filer_label(unit_type: str, lang: str = "vi") -> str:
    """What a confidential filer is shown as: the kind of unit, never the unit."""
    return load_unit_types().label(unit_type, lang)


@dataclass(frozen=True)
class Filer:
    known: bool
    unit_name: str  # the filing unit's name, or the label of its type when not known
    unit_type: str
    reporter_name: str | None  # None when not known (or filed by no person)


@dataclass
class Directory:
    """Names of units and people, loaded once per request or report, that the projection hands out
    (or withholds) case by case."""

    units: dict[int, tuple[str, str]]  # id -> (name, type)
    people: dict[int, str] = field(default_factory=dict)  # id -> full name, filled on demand

    @classmethod
    def load(cls, session: Session) -> Directory:
        return cls({uid: (name, utype) for uid, name, utype in session.execute(select(Unit.id, Unit.name, Unit.type))})

    def need_people(self, session: Session, ids: Iterable[int | None]) -> None:
        missing = {i for i in ids if i is not None and i not in self.people}
        if missing:
            self.people.update(dict(session.execute(select(User.id, User.full_name).where(User.id.in_(missing))).all()))

    def unit_name(self, unit_id: int | None) -> str:
        return self.units[unit_id][0] if unit_id in self.units else ""


def filer(defn: Definition, actor: Actor, directory: Directory, *, filing_unit_id: int, reporter_id: int | None,
          confidential: bool, lang: str = "vi") -> Filer:  # fmt: skip
    """The filer of one case as this viewer may see it (reporter names must be in `directory.people`)."""
    name, utype = directory.units.get(filing_unit_id, ("", ""))
    if may_know_filer(defn, actor, confidential=confidential, reporter_id=reporter_id):
        return Filer(True, name, utype, directory.people.get(reporter_id) if reporter_id is not None else None)
    return Filer(False, hidden_filer_label(utype, lang), utype, None)


def case_filer(defn: Definition, case: Case, actor: Actor, directory: Directory, lang: str = "vi") -> Filer:
    return filer(defn, actor, directory, filing_unit_id=case.filing_unit_id, reporter_id=case.reporter_id,
                 confidential=case.reporter_confidential, lang=lang)  # fmt: skip


def event_author(case: Case, who: Filer, directory: Directory, actor_id: int | None, actor_unit_id: int | None,
                 lang: str = "vi") -> tuple[str, str]:  # fmt: skip
    """(person, unit) to show for an event of the case's history.

    When the filer is hidden, every event done by the reporter or from the filing unit shows only
    the unit's type: a colleague answering a question names the cell as surely as the reporter.
    """
    by_reporter = actor_id is not None and actor_id == case.reporter_id
    from_filing_unit = actor_unit_id is not None and actor_unit_id == case.filing_unit_id
    if not who.known and (by_reporter or from_filing_unit):
        return who.unit_name, who.unit_name
    if actor_id is None:
        label = SYSTEM_NAME[0] if lang == "vi" else SYSTEM_NAME[1]
        return label, ""
    return directory.people.get(actor_id, "?"), directory.unit_name(actor_unit_id)


def filer_text(who: Filer) -> str | None:
    """One line naming the filer for messages: "Name (Unit)" when known, else None (say nothing)."""
    if not who.known or not who.reporter_name:
        return None
    return who.reporter_name + (f" ({who.unit_name})" if who.unit_name else "")


def filing_units_visible(definitions: Iterable[Definition], actor: Actor, units: Mapping[int, int]) -> dict[int, int]:
    """A per-filing-unit breakdown, or nothing when the viewer may not know every filer."""
    return dict(units) if may_know_every_filer(definitions, actor) else {}
