"""The limitation period for sanctioning: a second clock, in calendar days, that runs from the violation.

A case can be on time for every stage and still be lost to the limitation; this clock is kept
apart from the stage deadlines, read from the case's facts (the report's date, overridden by
the assessment's), and guards the decision that would impose a sanction too late.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from workflows.definition import Definition, LimitationRule


def limitation_start(rule: LimitationRule, facts: dict[str, Any]) -> date | None:
    """The first of the rule's date fields present in the facts."""
    for name in rule.from_fields:
        value = facts.get(name)
        if value:
            return date.fromisoformat(str(value)[:10])
    return None


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expires_on(defn: Definition, facts: dict[str, Any]) -> date | None:
    """The last day a sanction may be imposed, or None when the facts do not say when the violation ended."""
    rule = defn.limitation
    if rule is None:
        return None
    start = limitation_start(rule, facts)
    if start is None:
        return None
    if rule.years is not None:
        return add_years(start, rule.years)
    return start + timedelta(days=rule.days or 0)


def imposes_sanction(defn: Definition, data: dict[str, Any]) -> list[str]:
    """The measures in `data` that are sanctions (marked `sanction = true` in the definition's list)."""
    rule = defn.limitation
    if rule is None or not rule.sanction_field:
        return []
    chosen = data.get(rule.sanction_field) or []
    if isinstance(chosen, str):
        chosen = [chosen]
    sanctions = defn.sanction_measures()
    return [m for m in chosen if m in sanctions]
