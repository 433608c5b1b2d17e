"""Case search on SQLite and PostgreSQL: every state, any case and diacritics, partial references, the index used."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.read import queries
from engine.read.search import fold, search_text
from tests.support import case_in, file


def _find(org, who: str, term: str, **filters) -> list[str]:
    rt = org.rt
    with rt.read_session() as s:
        f = queries.WorklistFilter(open_only=False, search=term, **filters)
        page = queries.visible_cases(s, rt.registry, org.actor(who), rt.clock.now(), f, per_page=100)
        return sorted(c.reference for c in page.items)


def test_fold_drops_case_and_diacritics_including_d_stroke():
    assert fold("  TIN NÓNG   Phong Thổ ") == "tin nong phong tho"
    assert fold("Đời sống Miền núi") == "doi song mien nui"
    assert search_text("PA-2026-000032", "Trang “Tin nóng”") == "pa-2026-000032 trang “tin nong”"


def test_search_ignores_case_and_diacritics_and_finds_partial_references(org):
    hot = file(org, subject_name="Trang Facebook “Tin nóng Phong Thổ”")
    other = file(org, subject_name="Kênh TikTok “Lai Châu Review”")
    for term in ("tin nong", "phong tho", "TIN NÓNG", "Tin Nóng", "PHONG THỔ", "nóng"):
        assert _find(org, "assessor", term) == [hot.reference], term
    assert _find(org, "assessor", hot.reference[-6:]) == [hot.reference]  # "000001": the number alone
    assert _find(org, "assessor", hot.reference[-3:]) == [hot.reference]
    assert _find(org, "assessor", other.reference.lower()) == [other.reference]
    assert _find(org, "assessor", "chau") == [other.reference]
    assert _find(org, "assessor", "50%_") == []  # LIKE's wildcards are literal text, not "anything"
    assert _find(org, "assessor", "") == sorted([hot.reference, other.reference])


def test_search_reaches_every_state_and_filters_by_each(org):
    published = case_in(org, "published", subject_name="Nhóm Zalo “Chợ Phong Thổ”")
    dismissed = case_in(org, "dismissed", subject_name="Trang “Phong Thổ 24h”")
    closed = case_in(org, "closed", subject_name="Tài khoản “Phong Thổ Online”")
    open_case = file(org, subject_name="Phong Thổ mới")
    everyone = sorted(o.reference for o in (published, dismissed, closed, open_case))
    assert _find(org, "assessor", "phong tho") == everyone
    assert _find(org, "supervisor", "phong tho") == everyone
    assert _find(org, "assessor", "phong tho", state="published") == [published.reference]
    assert _find(org, "assessor", "", state="dismissed") == [dismissed.reference]
    assert _find(org, "assessor", "", closed_only=True) == sorted([published.reference, dismissed.reference, closed.reference])
    # a reporter finds their own unit's cases, whatever their state; another unit's reporter finds none
    assert _find(org, "reporter", "phong tho") == everyone
    assert _find(org, "reporter_other", "phong tho") == []
    # the handler sees only the cases its unit handled
    assert published.reference in _find(org, "handler", "phong tho")
    assert dismissed.reference not in _find(org, "handler", "phong tho")


def test_search_text_follows_the_subject_when_a_transition_changes_it(org):
    out = file(org, subject_name="Trang cũ")
    rt = org.rt
    from tests.support import fire

    fire(org, out.case_id, "request_info", "assessor", {"question": "Tên trang?"})
    assert _find(org, "assessor", "trang cu") == [out.reference]
    with rt.read_session() as s:
        from engine.store.models import Case

        assert s.get(Case, out.case_id).search_text == search_text(out.reference, "Trang cũ")


def test_search_uses_the_index(org):
    """The plan reads the substring index (FTS5 trigram on SQLite, GIN trigram on PostgreSQL), not every case."""
    file(org, subject_name="Trang Tin nóng")
    rt = org.rt
    with rt.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT rowid FROM cases_search WHERE search_text LIKE '%tin nong%'").all()
            assert "INDEX 0:L" in " ".join(str(r) for r in plan)  # L: the LIKE is answered by the trigram index
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.execute(sa.text("EXPLAIN SELECT id FROM cases WHERE search_text LIKE '%tin nong%'")).scalars().all()
            assert any("ix_cases_search_trgm" in line for line in plan), plan


@pytest.mark.parametrize("term", ["tin nong", "000032"])
def test_search_page_through_the_worklist_filter_too(org, term):
    """The worklist's own search box is the same search (open cases the person may act on)."""
    hot = file(org, subject_name="Trang Tin nóng")
    rt = org.rt
    with rt.read_session() as s:
        page = queries.worklist(s, rt.registry, org.actor("assessor"), rt.clock.now(), queries.WorklistFilter(search=term))
    found = [c.reference for c in page.items]
    assert found == ([hot.reference] if term == "tin nong" else [])


def test_common_and_rare_terms_find_the_same_cases(org, monkeypatch):
    """SQLite reads a rare term's matches by id and a common one on the column: both give the same answer."""
    import engine.read.search

    cases = [file(org, subject_name=f"Trang Tin nóng số {i}") for i in range(4)]
    rare = _find(org, "assessor", "tin nong")
    worklist_rare = _worklist(org, "tin nong")
    monkeypatch.setattr(engine.read.search, "FTS_PROBE", 2)  # now "tin nong" counts as common
    assert _find(org, "assessor", "tin nong") == rare == sorted(o.reference for o in cases)
    assert _worklist(org, "tin nong") == worklist_rare == sorted(o.reference for o in cases)


def test_a_term_under_three_characters_finds_nothing(org):
    file(org, subject_name="Trang AB")
    assert _find(org, "assessor", "ab") == [] and _worklist(org, "ab") == []


def _worklist(org, term: str) -> list[str]:
    rt = org.rt
    with rt.read_session() as s:
        page = queries.worklist(s, rt.registry, org.actor("assessor"), rt.clock.now(), queries.WorklistFilter(search=term))
        return sorted(c.reference for c in page.items)


def test_a_session_searching_again_after_its_transaction_ended_finds_the_new_case(org):
    """One request's two lists share the search table's answer; a later transaction asks again."""
    rt = org.rt
    first = file(org, subject_name="Trang “Mường So hôm nay”")
    with rt.read_session() as s:
        f = queries.WorklistFilter(search="muong so")
        mine = queries.worklist(s, rt.registry, org.actor("assessor"), rt.clock.now(), f)
        assert [c.reference for c in mine.items] == [first.reference]
        s.rollback()  # the request's snapshot ends
        second = file(org, subject_name="Nhóm “Mường So 24h”")
        again = queries.worklist(s, rt.registry, org.actor("assessor"), rt.clock.now(), f)
        assert sorted(c.reference for c in again.items) == sorted([first.reference, second.reference])


@pytest.mark.parametrize("cap", [100, 3])
def test_a_search_inside_a_worklist_pages_and_counts_like_the_list_it_narrows(org, monkeypatch, cap: int):
    """Each branch is read once for both the page and the capped count: page by page, the search
    gives the list's own matching cases in the list's order, and the count says "more than" past the cap."""
    from tests.support import fire

    rt = org.rt
    matching = [file(org, subject_name=f"Trang “Mường Tè {i}”") for i in range(5)]
    file(org, subject_name="Kênh “Sìn Hồ”")
    for out in matching[:2]:
        fire(org, out.case_id, "assess", "assessor")  # a second branch, held by another unit
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", cap)
    with rt.read_session() as s:
        now, who = rt.clock.now(), org.actor("assessor")
        everything = queries.worklist(s, rt.registry, who, now, queries.WorklistFilter(), per_page=100)
        expected = [c.reference for c in everything.items if "Mường Tè" in (c.subject or "")]
        assert len(expected) == 5
        got, page = [], 1
        while True:
            found = queries.worklist(s, rt.registry, who, now, queries.WorklistFilter(search="muong te"), page=page, per_page=2)
            got += [c.reference for c in found.items]
            assert found.total == min(5, cap) and found.capped == (cap < 5)
            if not found.has_next:
                break
            page += 1
        assert got == expected
