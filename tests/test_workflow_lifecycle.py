"""The whole life of a case of every workflow in workflows/, from its file alone.

For each definition (a new file is covered without editing this test): every state is reached from a
fresh case through the engine's commands, with data made from the definition's field types; each case
is open exactly while its state is not terminal, carries the deadline its state's rule gives, keeps a
history chain that verifies, and appears on the worklist of the role its state names as responsible;
its page, its diagram and the dashboard of its workflow answer. A workflow with `[register]` shows its
published case on the public register, and one with `[reporting]` counts it on the dashboard.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine.cases.history import verify_case
from engine.jobs.sweep import sweep
from engine.read.figures import Scope
from engine.read.queries import WorklistFilter, visible_cases
from engine.read.reporting import make_report
from engine.store.models import OutboxMessage, Timer
from engine.time.clock import FrozenClock
from engine.time.periods import parse_period
from tests.support import Org
from tests.test_web_fixtures import signed_in, text
from tests.workflow_driver import WORKFLOWS, case_in, definition, load, paths

pytest_plugins = ["tests.test_web_fixtures"]


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_state_of_every_workflow_is_reached_and_kept(app: Flask, org: Org, clock: FrozenClock, name: str) -> None:
    defn = definition(org, name)
    reached = {}
    for state in paths(defn):
        driven = case_in(org, name, state)
        case = load(org, driven.case_id)
        spec = defn.states[state]
        assert case.state == state and case.workflow_version == defn.version
        assert case.closed == spec.terminal, f"{name} {state}: open/closed disagrees with `terminal`"
        assert (case.deadline_at is not None) == (spec.deadline is not None and not spec.terminal), f"{name} {state}"
        with org.rt.read_session() as s:
            assert verify_case(s, case) is None
        reached[state] = driven
        if spec.responsible and not spec.terminal:
            # someone holding the responsible role where the case waits has it on their worklist
            t = next(t for t in defn.transitions_from(state) if spec.responsible in t.roles)
            from tests.workflow_driver import actor_for

            who = actor_for(org, defn, t, case, driven.filer, role=spec.responsible)
            with org.rt.read_session() as s:
                page = visible_cases(s, org.rt.registry, who, org.rt.clock.now(), WorklistFilter(), page=1)
            assert driven.case_id in {c.id for c in page.items}, f"{name} {state}: not on the {spec.responsible}'s worklist"
    assert set(reached) == set(defn.states)

    # notifications and timers from the file alone: every notifying step wrote messages that reach someone,
    # and two months later every open stage with escalations has escalated
    with org.rt.read_session() as s:
        for state, driven in reached.items():
            rows = s.execute(select(OutboxMessage.status).where(OutboxMessage.case_id == driven.case_id)).all()
            notifying = any(t.notify for t in defn.transitions if t.trigger in driven.steps)
            assert bool(rows) >= notifying, f"{name} {state}: no message for a notifying step"
            assert all(st != "failed" for (st,) in rows), f"{name} {state}: a message found nobody"
            timers = s.scalar(select(func.count()).select_from(Timer).where(Timer.case_id == driven.case_id,
                                                                               Timer.status == "pending"))  # fmt: skip
            assert bool(timers) == (defn.states[state].deadline is not None), f"{name} {state}: timers"
    clock.advance(days=60)  # past the longest limit (30 calendar days) and its escalations
    sweep(org.rt)
    for state, driven in reached.items():
        spec = defn.states[state]
        if spec.timers.escalation:
            assert load(org, driven.case_id).escalation_level >= 1, f"{name} {state}: never escalated"

    supervisor = signed_in(app, "supervisor")
    for state, driven in reached.items():
        r = supervisor.get(f"/cases/{driven.case_id}")
        assert r.status_code == 200 and '<svg' in text(r), f"{name} {state}: the case page or its diagram"
    if defn.reporting is not None:
        report = make_report(org.rt, parse_period(str(org.rt.clock.now().year)), Scope(name))
        assert report.figures.opened == len(reached)
        assert report.figures.handled >= 1 or not any(
            t.trigger in defn.reporting.handled for s in paths(defn).values() for t in defn.transitions if t.trigger in s)
        r = supervisor.get(f"/dashboard?workflow={name}&period={org.rt.clock.now().year}")
        assert r.status_code == 200 and f'id="kpi-opened">{len(reached)}<' in text(r)
    if defn.register is not None:
        published = reached[defn.register.published_state]
        reference = load(org, published.case_id).reference
        public = app.test_client()
        assert public.get(f"/cong-khai/{reference}").status_code == 200
        assert reference in text(public.get("/cong-khai"))
        assert reference in public.get("/cong-khai.json").get_data(as_text=True)
        if defn.reporting is not None:
            stats = public.get(f"/cong-khai/thong-ke?workflow={name}&year={org.rt.clock.now().year}")
            assert stats.status_code == 200 and defn.register.title() in text(stats)
