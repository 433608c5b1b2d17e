"""Every figure of the report, on a district whose numbers are known by construction (tests/report_support.py)."""

from __future__ import annotations

import random
from datetime import date

import pytest
import sqlalchemy as sa

from engine.read.figures import Scope, compute, percentile_cont
from engine.read.reporting import make_report
from engine.store.report_models import WorkingDayIndex
from engine.time.calendar import WorkingCalendar
from engine.time.clock import FrozenClock
from engine.time.periods import parse_period
from engine.time.workday_index import ensure, ensure_index
from tests.report_support import build
from tests.support import Org


@pytest.fixture
def scenario(org: Org, clock: FrozenClock):
    return build(org, clock)


def test_year_figures(scenario, org: Org) -> None:
    report = make_report(org.rt, parse_period("2026"), viewer=org.actor("supervisor"))  # may know every filer
    f = report.figures
    assert (f.opened, f.closed, f.assessed, f.dismissed, f.handled, f.published) == (7, 2, 3, 1, 3, 1)
    assert (f.open_now, f.overdue_now, f.escalated_now) == (5, 3, 3)
    assert f.by_state == {"reported": 3, "handled": 2, "published": 1, "dismissed": 1}
    assert f.by_kind == {"false_information": 6, "mission_deviation": 1}
    u = org.units
    assert f.by_handling_unit == {u["VHTT"]: 2, u["CA"]: 1, None: 4}
    assert f.by_filing_unit == {u["CB-MS"]: 6, u["CB-SSH"]: 1}
    opened = {(m.month.year, m.month.month): (m.opened, m.closed) for m in f.per_month}
    assert len(opened) == 12
    assert opened[(2026, 3)] == (7, 2) and opened[(2026, 4)] == (0, 0)
    assert sum(o for o, _ in opened.values()) == 7
    # durations in working days: assess C 1, E 1, A 2, B (dismissed) 5; handle A 5, C 17, E 18
    assert f.time_to_assess.histogram == ((1, 2), (2, 1), (5, 1))
    assert f.time_to_assess.median == pytest.approx(1.5) and f.time_to_assess.p90 == pytest.approx(4.1)
    assert f.time_to_handle.histogram == ((5, 1), (17, 1), (18, 1))
    assert f.time_to_handle.median == pytest.approx(17.0) and f.time_to_handle.p90 == pytest.approx(17.8)
    # A within 15; C late (17 > 15); E within 15 + 5 extended days
    assert (f.handled_in_time, f.handled_measured) == (2, 3)
    assert f.share_in_time == pytest.approx(2 / 3)
    rows = {r.key: r.value for r in report.summary}
    assert rows["share_in_time"] == 66.7 and rows["assess_median"] == 1.5 and rows["handle_p90"] == 17.8
    assert [r.value for r in report.by_state if r.key == "reported"] == [3]


def test_months_are_calendar_months_in_ha_noi(scenario, org: Org) -> None:
    march = make_report(org.rt, parse_period("2026-03")).figures  # 01/03 - 31/03: G (14/03) and H (15/03) both in
    assert march.opened == 7 and march.by_state.get("reported") == 3
    assert (march.handled, march.handled_in_time, march.time_to_assess.n) == (3, 2, 4)
    assert [(m.month.month, m.start, m.end) for m in march.per_month] == [(3, date(2026, 3, 1), date(2026, 3, 31))]
    april = make_report(org.rt, parse_period("2026-04")).figures
    assert (april.opened, april.closed, april.handled) == (0, 0, 0) and april.share_in_time is None
    # the cut-off on the 14th is still a parameter of the period arithmetic, which no view passes
    cut = make_report(org.rt, parse_period("2026-03", start_day=15)).figures  # 15/02 - 14/03
    assert cut.opened == 6 and (cut.handled, cut.handled_in_time) == (1, 1)
    empty = make_report(org.rt, parse_period("2025")).figures
    assert (empty.opened, empty.handled, empty.share_in_time, empty.time_to_handle.p90) == (0, 0, None, None)


def test_unit_scope_is_what_the_unit_holds_or_handled(scenario, org: Org) -> None:
    vhtt = make_report(org.rt, parse_period("2026"), Scope(unit_id=org.units["VHTT"]))
    f = vhtt.figures
    assert (f.opened, f.handled, f.published, f.handled_in_time) == (2, 2, 1, 1)
    assert f.time_to_assess.histogram == ((1, 1), (2, 1))
    assert {c.reference for c in vhtt.cases} == {scenario.refs["A"], scenario.refs["C"]}
    police = make_report(org.rt, parse_period("2026"), Scope(unit_id=org.units["CA"])).figures
    assert (police.opened, police.handled, police.handled_in_time, police.by_kind) == (1, 1, 1, {"mission_deviation": 1})
    # the intake body holds the cases not yet assessed
    btg = make_report(org.rt, parse_period("2026"), Scope(unit_id=org.units["BTG"])).figures
    assert (btg.opened, btg.dismissed, btg.overdue_now) == (4, 1, 3)  # it holds B (dismissed there), D, G, H


def test_case_list_handled_or_published_in_the_period(scenario, org: Org) -> None:
    report = make_report(org.rt, parse_period("2026"))
    assert report.cases_total == 3
    a, c, e = report.cases
    assert [a.reference, c.reference, e.reference] == [scenario.refs[k] for k in "ACE"]
    assert (a.handled_on, a.published_on, a.decision_number, a.measures, a.amount) == (
        date(2026, 3, 11), date(2026, 3, 12), "01/QĐ-XPHC", "Phạt tiền", 10_000_000)
    assert (e.handling_unit, e.kind, e.filing_unit) == ("Công an huyện", "Xa rời tôn chỉ, mục đích", "Đảng bộ xã Sin Suối Hồ")
    assert c.published_on is None and c.state == "Đã xử lý"
    limited = make_report(org.rt, parse_period("2026"), case_limit=1)
    assert limited.cases_total == 3 and len(limited.cases) == 1


def test_working_day_index_agrees_with_the_calendar(org: Org, clock: FrozenClock) -> None:
    rt = org.rt
    ensure(rt)
    cal = rt.calendar
    with rt.read_session() as s:
        seq = dict(s.execute(sa.select(WorkingDayIndex.day, WorkingDayIndex.seq)).all())
    rng = random.Random(1)
    days = sorted(seq)
    for _ in range(200):
        a, b = sorted(rng.sample(days[3000:], 2))
        assert seq[b] - seq[a] == cal.working_days_between(a, b), (a, b)
    assert seq[date(2026, 2, 20)] == seq[date(2026, 2, 13)]  # Tết 2026: no working day from 14 to 20 February


def test_index_is_rebuilt_when_the_calendar_changes(org: Org, clock: FrozenClock) -> None:
    rt = org.rt
    ensure(rt)
    day_off = date(2026, 3, 4)  # a Wednesday made a day off
    changed = WorkingCalendar({day_off: False}, version="test-extra-day-off")
    with rt.read_session() as s:
        before = s.get(WorkingDayIndex, date(2026, 3, 31)).seq
    with rt.uow() as uow:
        ensure_index(uow.session, changed, clock)
    with rt.read_session() as s:
        assert s.get(WorkingDayIndex, date(2026, 3, 31)).seq == before - 1
        assert s.get(WorkingDayIndex, day_off).working is False
        with pytest.raises(RuntimeError):  # figures refuse an index built for another calendar
            compute(s, rt.registry, rt.calendar, clock, parse_period("2026"))


def test_percentile_cont_matches_the_definition() -> None:
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([(7, 1)], 0.9) == 7
    assert percentile_cont([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5) == 2.5
    assert percentile_cont([(0, 9), (10, 1)], 0.9) == pytest.approx(0.0 + 10 * 0.1)


@pytest.mark.pg
def test_percentile_cont_equals_postgresql(pg_database: str) -> None:
    """Our histogram interpolation returns what PostgreSQL's own percentile_cont returns."""
    rng = random.Random(5)
    eng = sa.create_engine(pg_database)
    with eng.connect() as c:
        for _ in range(20):
            values = [rng.randint(0, 40) for _ in range(rng.randint(1, 60))]
            hist = sorted({v: values.count(v) for v in values}.items())
            arr = "ARRAY[" + ",".join(map(str, values)) + "]"
            med, p90 = c.exec_driver_sql(
                f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.9) WITHIN GROUP (ORDER BY v) "
                f"FROM unnest({arr}) AS v").one()
            assert percentile_cont(hist, 0.5) == pytest.approx(med)
            assert percentile_cont(hist, 0.9) == pytest.approx(p90)
    eng.dispose()
