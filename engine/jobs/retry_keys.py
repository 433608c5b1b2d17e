"""Forgetting retry keys after their hours (engine/cases/idempotency.py).

A key must outlive every sensible retry (a phone that comes back online the next morning), so
keys are kept PRESSCASE_IDEMPOTENCY_HOURS (48 by default, never under 24). Deleting them is one
DELETE by age: it needs no claim or lease (engine/jobs/leases.py), since two processes running it
at once delete the same rows and neither acts on them.
"""

from __future__ import annotations

from datetime import timedelta

from engine.cases.idempotency import forget_before
from engine.cases.uow import Runtime

DEFAULT_HOURS = 48
MIN_HOURS = 24


def purge_retry_keys(rt: Runtime, hours: float = DEFAULT_HOURS) -> int:
    """Delete the keys older than `hours`; how many were deleted."""
    if hours < MIN_HOURS:
        raise ValueError(f"retry keys are kept at least {MIN_HOURS} hours, not {hours}")
    cutoff = rt.clock.now() - timedelta(hours=hours)
    with rt.uow() as uow:
        deleted = forget_before(uow.session, cutoff)
        uow.commit()
    return deleted
