"""Everything a person may see, newest first, read one definition version at a time and merged.

The merged pages must list exactly what the policy's single clause selects, in the same order,
with the same count: for every person of the test district, over cases of every workflow.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.cases import policy
from engine.read import queries
from engine.read.queries import WorklistFilter
from engine.store.models import Case
from tests.workflow_driver import WORKFLOWS, case_in, file_case


def _every_page(org, actor, per_page: int, f: WorklistFilter | None = None) -> tuple[list[int], int]:
    ids: list[int] = []
    total = 0
    with org.rt.read_session() as s:
        for page in range(1, 50):
            got = queries.visible_cases(s, org.rt.registry, actor, org.rt.clock.now(), f or WorklistFilter(open_only=False),
                                        page=page, per_page=per_page)  # fmt: skip
            ids += [c.id for c in got.items]
            total = got.total
            if not got.has_next:
                break
    return ids, total


@pytest.mark.parametrize("cap", [1000, 2])  # 2: every part has "more", so it is walked newest first
def test_each_persons_list_is_what_the_policy_selects_newest_first_across_workflows(org, monkeypatch, cap):
    monkeypatch.setattr(queries, "COUNT_CAP", cap)
    for name in WORKFLOWS:
        for _ in range(3):
            file_case(org, name)
        case_in(org, name, "assessed" if "assessed" in org.rt.registry.latest(name).states else
                next(iter(org.rt.registry.latest(name).states)))  # fmt: skip
    with org.rt.read_session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Case)) >= 4 * len(WORKFLOWS)
    seen_someone_with_two_workflows = False
    for who, actor in org.actors.items():
        with org.rt.read_session() as s:
            expected = list(s.scalars(sa.select(Case.id).where(policy.visible_clause(org.rt.registry.all(), actor))
                                      .order_by(Case.id.desc())))  # fmt: skip
            workflows = set(s.scalars(sa.select(Case.workflow_name).where(Case.id.in_(expected)))) if expected else set()
        seen_someone_with_two_workflows |= len(workflows) > 1
        ids, total = _every_page(org, actor, per_page=2)
        assert ids == expected, who
        assert total == min(len(expected), cap), who
        # a filter that breaks the index's order (a state): the same cases of that state, in the same order
        with org.rt.read_session() as s:
            states = {st for st, in s.execute(sa.select(Case.state).where(Case.id.in_(expected)))} if expected else set()
        for state in sorted(states):
            in_state = [i for i in expected if _state(org, i) == state]
            got, _ = _every_page(org, actor, per_page=2, f=WorklistFilter(open_only=False, state=state))
            assert got == in_state, (who, state)
    assert seen_someone_with_two_workflows  # the merge across versions was exercised


def _state(org, case_id: int) -> str:
    with org.rt.read_session() as s:
        return s.scalar(sa.select(Case.state).where(Case.id == case_id)) or ""


def test_a_search_inside_a_worklist_counts_its_matches_only_so_far(org, monkeypatch):
    from tests.support import file

    for i in range(4):
        file(org, subject_name=f"Trang tin Mường Tè số {i}")
    file(org, subject_name="Một trang khác")
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 2)
    assessor = org.actor("assessor")
    with org.rt.read_session() as s:
        found = queries.worklist(s, org.rt.registry, assessor, org.rt.clock.now(), WorklistFilter(search="muong te"),
                                 per_page=3)  # fmt: skip
        everything = queries.worklist(s, org.rt.registry, assessor, org.rt.clock.now(), WorklistFilter(), per_page=3)
    # "more than 2": the count stopped; the page itself is whole and says there is more
    assert (found.total, found.capped, len(found.items), found.has_next) == (2, True, 3, True)
    assert all("Mường Tè" in (c.subject or "") for c in found.items)
    assert (everything.total, everything.capped) == (5, False)  # without a search, counted in full
