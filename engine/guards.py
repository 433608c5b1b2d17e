"""Generic guards a definition may name; each reads its numbers from the definition, not code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.errors import InvalidData
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


GUARDS: dict[str, Callable[[GuardContext], None]] = {
    "fine_within_ceiling": fine_within_ceiling,
}


def run_guards(names: tuple[str, ...], ctx: GuardContext) -> None:
    for name in names:
        GUARDS[name](ctx)
