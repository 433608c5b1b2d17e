"""What a command returns; kept apart from the commands so the unit of work can store it (retry keys)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What a command returns to its caller: enough to redirect and to show the result."""

    case_id: int
    reference: str
    state: str
    version: int
    event_seq: int
