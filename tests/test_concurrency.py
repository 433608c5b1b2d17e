"""Optimistic concurrency: two people acting on the same version, exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine.cases.history import verify_case
from engine.cases.uow import Runtime
from engine.errors import StaleVersion
from engine.store.models import Case, CaseEvent
from tests.support import case_in, data_for, fire, load_case


def test_a_stale_version_is_refused_and_changes_nothing(org):
    out = case_in(org, "reported")
    fire(org, out.case_id, "request_info", "assessor", version=out.version)
    with pytest.raises(StaleVersion) as info:
        fire(org, out.case_id, "assess", "assessor", version=out.version)
    assert info.value.status == 409
    assert "người khác" in info.value.message("vi")
    assert load_case(org, out.case_id).state == "awaiting_info"


@pytest.mark.parametrize("rounds", [5])
def test_two_sessions_firing_at_once_one_wins_and_history_has_no_gap(org, db_url, clock, rounds):
    """Two runtimes (two connection pools, as two web workers would have) race on each step."""
    out = case_in(org, "assessed")
    second = Runtime.from_url(db_url, clock=clock)
    second.load_definitions()
    runtimes = [org.rt, second]
    handler = org.actor("handler")
    version = load_case(org, out.case_id).version
    try:
        for _ in range(rounds):
            barrier = threading.Barrier(2)
            results: list[str] = []

            def attempt(rt: Runtime, barrier=barrier, results=results, version=version) -> None:
                from engine.cases import commands as service

                barrier.wait()
                try:
                    with rt.uow() as uow:
                        service.fire(uow, out.case_id, "record_explanation", handler,
                                     data_for(org, "record_explanation"), version)
                    results.append("won")
                except StaleVersion:
                    results.append("stale")

            threads = [threading.Thread(target=attempt, args=(r,)) for r in runtimes]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            assert sorted(results) == ["stale", "won"]
            version = load_case(org, out.case_id).version
    finally:
        second.engine.dispose()

    with org.rt.read_session() as s:
        seqs = list(s.scalars(select(CaseEvent.seq).where(CaseEvent.case_id == out.case_id).order_by(CaseEvent.seq)))
        case = s.get(Case, out.case_id)
        assert verify_case(s, case) is None
    assert seqs == list(range(1, 2 + rounds + 1))  # file, assess, then one explanation per round
