"""The guards' implementations, under the names `workflows/guards.py` declares (the one list of them).

Each reads its numbers and its fields from the definition (`[fine_ceilings]`, `[limitation]`,
`[guards.<name>]`), never from code; loading a definition has already checked that every guard it
names is declared, with its parameters. `tests/test_guards_registry.py` checks that this module
implements exactly the guards declared there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.errors import InvalidData
from engine.store.models import CaseRow
from engine.time.limitation import expires_on, imposes_sanction
from workflows.definition import Definition
from workflows.guards import GUARDS as DECLARED


@dataclass(frozen=True)
class GuardContext:
    defn: Definition
    case: CaseRow
    data: dict[str, Any]
    actor_unit_type: str | None
    today: date


def guard_field(defn: Definition, guard: str) -> str:
    """The field a guard checks, as the definition names it (`[guards.<guard>] field = ...`)."""
    return str(defn.guard_params[guard]["field"])


def fine_ceiling_words(defn: Definition, unit_type: str | None) -> tuple[str, str] | None:
    """The ceiling a unit type may fine, as (vi, en) words with its legal source, or None when it has no rule.

    The form shows it up front, so nobody has to exceed it to learn it; the guard below says the same."""
    rule = defn.fine_ceilings.get(unit_type or "")
    if rule is None:
        return None
    ceiling = int(rule["amount"])
    basis = defn.basis_text(rule.get("basis"), rule.get("article", ""))
    if ceiling <= 0:
        return (f"Đơn vị của bạn không có thẩm quyền phạt tiền ({basis}).", f"Your unit may not impose fines ({basis}).")
    vi_amount = f"{ceiling:,}".replace(",", ".")
    return (f"Mức phạt tối đa của đơn vị bạn: {vi_amount} đồng ({basis}).",
            f"Your unit may fine at most {ceiling:,} VND ({basis}).")  # fmt: skip


def fine_within_ceiling(ctx: GuardContext) -> None:
    """Refuse a fine above what the deciding unit's type may impose, saying the ceiling."""
    field = guard_field(ctx.defn, "fine_within_ceiling")
    amount = ctx.data.get(field)
    if amount is None:
        return
    rule = ctx.defn.fine_ceilings.get(ctx.actor_unit_type or "")
    if rule is None:
        raise InvalidData(
            {field: ("Đơn vị của bạn không có thẩm quyền phạt tiền.", "Your unit may not impose fines.")}
        )
    ceiling = int(rule["amount"])
    if amount > ceiling:
        basis = ctx.defn.basis_text(rule.get("basis"), rule.get("article", ""))
        vi_amount = f"{ceiling:,}".replace(",", ".")
        raise InvalidData(
            {
                field: (
                    f"Vượt mức phạt tối đa {vi_amount} đồng của đơn vị ({basis}).",
                    f"Above the ceiling of {ceiling:,} VND for your unit ({basis}).",
                )
            }
        )


def within_limitation(ctx: GuardContext) -> None:
    """Refuse a sanction once the limitation period has run out, saying on which day it did.

    Measures that are not sanctions (a reminder, a correction) remain possible after it.
    """
    rule = ctx.defn.limitation
    if rule is None or not imposes_sanction(ctx.defn, ctx.data):
        return  # loading refuses this guard in a definition without [limitation]
    facts = {**(ctx.case.facts or {}), **ctx.data}
    expiry = expires_on(ctx.defn, facts)
    if expiry is None or ctx.today <= expiry:
        return
    basis = ctx.defn.basis_text(rule.basis, rule.article)
    field = str(rule.sanction_field)  # set whenever a sanction is found (imposes_sanction)
    raise InvalidData(
        {
            field: (
                f"Đã hết thời hiệu xử phạt từ ngày {expiry:%d/%m/%Y} ({basis}); không thể áp dụng hình thức xử phạt.",
                f"The limitation period for sanctioning expired on {expiry.isoformat()} ({basis}); "
                f"no sanction may be imposed.",
            )
        }
    )


GUARDS: dict[str, Callable[[GuardContext], None]] = {
    "fine_within_ceiling": fine_within_ceiling,
    "within_limitation": within_limitation,
}


def run_guards(names: tuple[str, ...], ctx: GuardContext) -> None:
    """Run a transition's guards in order; the first to refuse raises InvalidData beside its field."""
    for name in names:
        GUARDS[name](ctx)


def _fine_hint(defn: Definition, actor_unit_type: str | None) -> dict[str, tuple[str, str]]:
    words = fine_ceiling_words(defn, actor_unit_type)
    return {guard_field(defn, "fine_within_ceiling"): words} if words else {}


# What a guard tells a form up front, beside the field it checks (guards without a limit to state have none).
HINTS: dict[str, Callable[[Definition, str | None], dict[str, tuple[str, str]]]] = {
    "fine_within_ceiling": _fine_hint,
}


def field_hints(defn: Definition, guards: tuple[str, ...], actor_unit_type: str | None) -> dict[str, tuple[str, str]]:
    """What a form should say beside the fields its guards check, as (vi, en) per field, so nobody has to be
    refused to learn a limit (the fine ceiling of the actor's unit)."""
    hints: dict[str, tuple[str, str]] = {}
    for name in guards:
        if name in HINTS:
            hints.update(HINTS[name](defn, actor_unit_type))
    return hints


def undeclared_or_unimplemented() -> tuple[set[str], set[str]]:
    """(guards implemented here that workflows/guards.py does not declare, guards declared there not implemented here)."""
    return set(GUARDS) - set(DECLARED), set(DECLARED) - set(GUARDS)
