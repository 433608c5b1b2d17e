"""Generic guards a definition may name; each reads its numbers from the definition, not code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.errors import InvalidData
from engine.limitation import expires_on, imposes_sanction
from engine.models import Case
from workflows.definition import Definition


@dataclass(frozen=True)
class GuardContext:
    defn: Definition
    case: Case
    data: dict[str, Any]
    actor_unit_type: str | None
    today: date


def fine_within_ceiling(ctx: GuardContext) -> None:
    """Refuse a fine above what the deciding unit's type may impose, saying the ceiling."""
    amount = ctx.data.get("fine_amount")
    if amount is None:
        return
    rule = ctx.defn.fine_ceilings.get(ctx.actor_unit_type or "")
    if rule is None:
        raise InvalidData(
            {"fine_amount": ("Đơn vị của bạn không có thẩm quyền phạt tiền.", "Your unit may not impose fines.")}
        )
    ceiling = int(rule["amount"])
    if amount > ceiling:
        basis = ctx.defn.basis_text(rule.get("basis"), rule.get("article", ""))
        vi_amount = f"{ceiling:,}".replace(",", ".")
        raise InvalidData(
            {
                "fine_amount": (
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
    assert rule is not None
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
