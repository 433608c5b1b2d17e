"""Worklist order, filters, pagination and deadline badges; the overview; languages of pages and errors."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from engine.time.clock import FrozenClock
from tests.support import Org, case_in, file
from tests.test_web_fixtures import signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def _refs(page: str) -> list[str]:
    return re.findall(r'class="ref" href="/cases/\d+">([A-Z]+-\d{4}-\d{6})<', page)


def _split(page: str) -> tuple[str, str]:
    """(my work, waiting on others): the two sections of the worklist."""
    mine, _, others = page.partition('id="others"')
    return mine, others


def test_worklist_is_most_urgent_first_with_badges_in_words(app: Flask, org: Org, clock: FrozenClock) -> None:
    old = file(org)
    clock.advance(days=7)  # Monday 9 March: the first report is due on Monday 9 (5 working days after 2 March)
    new = file(org, subject_name="Kênh TikTok “Lai Châu Review”")
    w = signed_in(app, "assessor")
    page = text(w.get("/worklist"))
    assert _refs(page) == [old.reference, new.reference]
    assert 'data-kind="due_soon"' in page and "Sắp đến hạn: còn 0 ngày làm việc (hạn 09/03/2026)" in page
    assert 'data-kind="on_time"' in page and "Trong hạn: còn 5 ngày làm việc (hạn 16/03/2026)" in page
    clock.advance(days=1)
    page = text(w.get("/worklist"))
    assert 'data-kind="overdue"' in page and "Quá hạn 1 ngày làm việc" in page
    only_late = text(w.get("/worklist?overdue=1"))
    assert _refs(only_late) == [old.reference]
    clock.advance(days=2)  # Thursday 12 March: more than 2 working days late, escalated to level 1
    page = text(w.get("/worklist"))
    assert 'data-kind="escalated"' in page and "Đã báo cáo cấp trên (cấp 1)" in page


def test_worklist_filters_search_and_pagination(app: Flask, org: Org, clock: FrozenClock) -> None:
    cases = []
    for i in range(30):
        clock.advance(minutes=1)
        cases.append(file(org, subject_name=f"Đối tượng số {i:02d}", violation_kind="other" if i % 2 else "false_information"))
    assessed = case_in(org, "assessed")
    w = signed_in(app, "assessor")
    first = text(w.get("/worklist"))
    # my work (the 30 reported cases the assessor's unit holds) first; the assessed case a handling unit holds apart
    mine_first, others_first = _split(first)
    assert "Việc của tôi <span class=\"count\">(30)" in first and len(_refs(mine_first)) == 25 and "Trang 1 / 2" in first
    assert _refs(others_first) == [assessed.reference] and "Phòng Văn hóa" in others_first.split(assessed.reference, 1)[1]
    second = text(w.get("/worklist?page=2"))
    assert len(_refs(_split(second)[0])) == 5 and not set(_refs(mine_first)) & set(_refs(_split(second)[0]))
    assert len(_refs(text(w.get("/worklist?kind=other")))) == 15
    assert _refs(text(w.get("/worklist?q=số 07"))) == [cases[7].reference]
    assert _refs(text(w.get(f"/worklist?q={cases[3].reference.lower()}"))) == [cases[3].reference]
    # the assessor may reassign an assessed case: it is in their worklist, filterable by state and unit
    assert _refs(text(w.get("/worklist?state=assessed"))) == [assessed.reference]
    assert _refs(text(w.get(f"/worklist?unit={org.units['VHTT']}"))) == [assessed.reference]
    handler = signed_in(app, "handler")
    assert _refs(text(handler.get("/worklist"))) == [assessed.reference]


def test_severity_filter(app: Flask, org: Org) -> None:
    high = case_in(org, "assessed")  # data_for assess gives severity "high"
    w = signed_in(app, "assessor")
    assert _refs(text(w.get("/worklist?severity=high"))) == [high.reference]
    assert _refs(text(w.get("/worklist?severity=low"))) == []


def test_overview_counts_by_state_and_overdue(app: Flask, org: Org, clock: FrozenClock) -> None:
    late = case_in(org, "reported")
    case_in(org, "published")
    case_in(org, "dismissed")
    clock.advance(days=10)
    page = text(signed_in(app, "supervisor").get("/overview"))
    counts = dict(re.findall(r'<tr data-workflow="press_violation" data-state="(\w+)"><td>[^<]*</td><td class="num"><a href="[^"]+">(\d+)</a></td>', page))
    assert counts["reported"] == "1" and counts["published"] == "1" and counts["dismissed"] == "1"
    assert counts["assessed"] == "0"
    assert late.reference in page and "quá hạn 3 ngày làm việc" in page.lower()


def test_english_user_sees_english_labels_states_and_errors(app: Flask, org: Org) -> None:
    from engine.org import accounts

    with org.rt.uow() as uow:
        accounts.set_language(uow, org.actor("assessor").user_id or 0, "en")
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    page = text(w.get(f"/cases/{out.case_id}"))
    assert "Reported" in page and "File a report" in page and "Kind of violation" in page
    assert "False or distorted information" in page and "Timeline" in page
    assert "Đã tiếp nhận" not in page
    assert "Access denied" in text(w.get("/admin/units"))
    r = w.post(f"/cases/{out.case_id}/act/assess", {"version": out.version})
    assert r.status_code == 422 and "Required." in text(r)


def test_times_are_local_and_dates_are_day_first(app: Flask, org: Org, clock: FrozenClock) -> None:
    clock.set(clock.now().replace(hour=20, minute=30) - timedelta(days=1))  # Sunday 1 March 20:30 UTC = Monday 03:30 local
    out = file(org)
    page = text(signed_in(app, "assessor").get(f"/cases/{out.case_id}"))
    assert "02/03/2026 03:30" in page
