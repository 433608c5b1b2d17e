"""Generic guards a definition may name; each reads its numbers from the definition, not code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.errors import BrokenInvariant, InvalidData
from engine.store.models import CaseRow
from engine.time.limitation import expires_on, imposes_sanction
from workflows.definition import Definition


@dataclass(frozen=True)
class GuardContext:
    defn: Definition
    case: CaseRow
    data: dict[str, Any]
    actor_unit_type: str | None
    today: date


FINE_FIELD = "fine_amount"


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
    amount = ctx.data.get(FINE_FIELD)
    if amount is None:
        return
    rule = ctx.defn.fine_ceilings.get(ctx.actor_unit_type or "")
    if rule is None:
        raise InvalidData(
            {FINE_FIELD: ("Đơn vị của bạn không có thẩm quyền phạt tiền.", "Your unit may not impose fines.")}
        )
    ceiling = int(rule["amount"])
    if amount > ceiling:
        basis = ctx.defn.basis_text(rule.get("basis"), rule.get("article", ""))
        vi_amount = f"{ceiling:,}".replace(",", ".")
        raise InvalidData(
            {
                FINE_FIELD: (
                    f"Vượt mức phạt tối đa {vi_amount} đồng của đơn vị ({basis}).",
                    f"Above the ceiling of {ceiling:,} VND for your unit ({basis}).",
                )
            }
        )


def within_limitation(ctx: GuardContext) -> None:
    """Refuse a sanction once the limitation period has run out, saying on which day it did.

    Measures that are not sanctions (a reminder, a correction) remain possible after it.
    """
    sanctions = imposes_sanction(ctx.defn, ctx.data)
    if not sanctions:
        return
    facts = {**(ctx.case.facts or {}), **ctx.data}
    expiry = expires_on(ctx.defn, facts)
    if expiry is None or ctx.today <= expiry:
        return
    rule = ctx.defn.limitation
    if rule is None:  # expires_on gives a date only under a limitation rule
        raise BrokenInvariant("a limitation date without a limitation rule")
    basis = ctx.defn.basis_text(rule.basis, rule.article)
    field = rule.sanction_field or "measures"
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
    for name in names:
        GUARDS[name](ctx)
