"""Who must act on a case and who must be told, resolved exactly or not at all (fail closed).

A relation the definition names ("the publishing body", "the assigned unit") resolves to one
active unit, or the command that needs it is refused with a message naming what is missing:
a case is never assigned to nobody, and a message never widens to everyone holding a role.
Routing a case to a unit where no active person holds a role that can act on it is allowed
only when the person confirms it, and then the administrators are told.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from engine.errors import NeedsConfirmation, Unresolvable
from engine.org.chart import OrgChart, resolve_relation
from engine.store import lean
from engine.store.models import CaseRow, Unit, User, UserRole
from workflows.definition import Definition

_BUILT_IN = {
    "filing_unit": ("đơn vị gửi phản ánh", "the filing unit"),
    "assigned_unit": ("đơn vị đang giữ vụ việc", "the unit holding the case"),
    "handling_unit": ("đơn vị xử lý", "the handling unit"),
}
ACTING_SCOPES = ("assigned_unit", "handling_unit")


def relation_label(defn: Definition, relation: str) -> tuple[str, str]:
    """(Vietnamese, English) words for a relation, from the definition where it declares them."""
    if relation in _BUILT_IN:
        return _BUILT_IN[relation]
    spec = defn.relations.get(relation, {})
    return str(spec.get("label_vi") or relation), str(spec.get("label_en") or relation)


def try_resolve(defn: Definition, relation: str, case: CaseRow, chart: Callable[[], OrgChart]) -> int | None:
    """The active unit playing `relation` for this case, or None (no such unit, or it is disabled)."""
    unit_id = resolve_relation(defn, relation, case, chart)
    return unit_id if unit_id is not None and unit_id in chart().type else None


def unresolvable(defn: Definition, relation: str) -> Unresolvable:
    vi, en = relation_label(defn, relation)
    return Unresolvable(
        f"Cannot determine {en}: no active unit plays this part for this case. Nothing was saved; "
        f"ask an administrator to enable or create the unit.",
        f"Không xác định được {vi}: không có đơn vị nào đang hoạt động giữ vai trò này đối với vụ việc. "
        f"Chưa có gì được lưu; đề nghị quản trị hệ thống kích hoạt hoặc tạo đơn vị.",
    )


def resolve_exactly(defn: Definition, relation: str, case: CaseRow, chart: Callable[[], OrgChart]) -> int:
    """The active unit playing `relation`, or Unresolvable (the command writes nothing)."""
    unit_id = try_resolve(defn, relation, case, chart)
    if unit_id is None:
        raise unresolvable(defn, relation)
    return unit_id


@lru_cache(maxsize=512)
def _acting_roles(defn: Definition, state: str) -> frozenset[str]:
    return frozenset(r for t in defn.transitions_from(state) if t.scope in ACTING_SCOPES for r in t.roles)


def acting_roles(defn: Definition, state: str) -> set[str]:
    """Roles that act on a case in `state` as members of the unit holding it (fixed per definition version)."""
    return set(_acting_roles(defn, state))


_STAFFED: dict[frozenset[str], lean.Statement] = {}


def _staffed(roles: frozenset[str]) -> lean.Statement:
    """Whether a unit has an active person holding one of `roles`: one statement per role set (a few per
    definition version), since building it on every transition cost more than running it."""
    stmt = _STAFFED.get(roles)
    if stmt is None:
        stmt = _STAFFED[roles] = lean.Statement(select(
            exists()
            .where(User.unit_id == bindparam("p_unit"), User.active.is_(True), Unit.id == User.unit_id,
                   Unit.active.is_(True))
            .where(exists().where(UserRole.user_id == User.id, or_(*(UserRole.role == r for r in sorted(roles)))))
        ))  # fmt: skip
    return stmt


def can_anyone_act(session: Session, defn: Definition, state: str, unit_id: int) -> bool:
    """Whether an active person of the active unit `unit_id` holds a role that can act in `state`.

    True when nobody needs to act there (a terminal state, or one acted on from elsewhere).
    """
    roles = _acting_roles(defn, state)
    if not roles or defn.states[state].terminal:
        return True
    return bool(lean.scalar(session, _staffed(roles), {"p_unit": unit_id}))


def unit_name(session: Session, unit_id: int) -> str:
    return session.scalar(select(Unit.name).where(Unit.id == unit_id)) or str(unit_id)


def needs_confirmation(name: str) -> NeedsConfirmation:
    return NeedsConfirmation(
        f"Nobody active at {name} can act on this case yet. Confirm to send it there anyway; "
        f"the administrators will be told to give someone there the role.",
        f"Hiện chưa có ai đang hoạt động tại {name} có thể xử lý vụ việc này. Xác nhận nếu vẫn chuyển đến đơn vị "
        f"này; quản trị hệ thống sẽ được báo để phân công người.",
    )
