"""One figure, one answer: the dashboard, the periodic report (page, CSV and `presscase report`) and the public
register's statistics read the same numbers from engine/read/figures.py, over the same calendar months.

The district is tests/report_support.py's, plus case L: assessed on 3 March, its 15-working-day limit ran out
on 24 March, the deadline was extended on 25 March (after it had passed) and L was handled on 26 March,
before the new date. An extension granted once the time was up does not make the case punctual: L is
"not within the deadline" on every surface.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from flask import Flask

from engine.cases import commands as service
from engine.read.figures import Scope, compute, in_time
from engine.read.public_statistics import Cell, statistics
from engine.store.models import CaseEvent
from engine.time.clock import FrozenClock
from engine.time.periods import parse_period
from engine.time.workday_index import ensure
from tests.report_support import at, build
from tests.support import Org, file, fire
from tests.test_web_fixtures import signed_in, text
from tests.workflow_driver import WORKFLOWS

pytest_plugins = ["tests.test_web_fixtures"]

# March 2026: A, C, E and L handled; A and E within the deadline; C late (17 working days), L extended late.
MARCH = {"opened": 8, "handled": 4, "handled_in_time": 2, "published": 1}


@pytest.fixture
def district(org: Org, clock: FrozenClock):
    sc = build(org, clock)
    clock.set(at(2, 10))
    late = file(org)
    clock.set(at(3, 10))
    fire(org, late.case_id, "assess", "assessor")
    clock.set(at(25, 10))
    with org.rt.uow() as uow:
        service.extend_deadline(uow, late.case_id, org.actor("supervisor"), 5, "Bổ sung hồ sơ xác minh.")
    clock.set(at(26, 15))
    fire(org, late.case_id, "handle", "handler")
    sc.ids["L"] = late.case_id
    clock.set(datetime(2026, 5, 15, 3, tzinfo=UTC))  # March has been over for more than 30 days: the register shows it
    return sc


def _summary(page: str) -> dict[str, str]:
    """The summary table's figures (the breakdowns below it have rows keyed by state, such as "handled")."""
    table = re.search(r'<table class="counts" id="summary">(.*?)</table>', page, re.S)
    assert table is not None
    return dict(re.findall(r'<tr data-key="(\w+)"><td>[^<]*</td><td class="num">([^<]*)</td>', table.group(1)))


def test_the_extended_then_late_case_is_late(district, org: Org) -> None:
    rt = org.rt
    with rt.read_session() as s:
        events = s.query(CaseEvent).filter(CaseEvent.case_id == district.ids["L"]).order_by(CaseEvent.seq).all()
        handle = next(e for e in events if e.trigger == "handle")
        defn = rt.registry.latest("press_violation")
        before = [e for e in events if e.seq < handle.seq]
        assert not in_time(before, handle.at, defn, rt.calendar)
        # without the late extension the same handling day would be late too; with an extension granted in time
        # (E, on 13 March) the new date counts
        e_events = s.query(CaseEvent).filter(CaseEvent.case_id == district.ids["E"]).order_by(CaseEvent.seq).all()
        e_handle = next(e for e in e_events if e.trigger == "handle")
        assert in_time([e for e in e_events if e.seq < e_handle.seq], e_handle.at, defn, rt.calendar)


def test_dashboard_report_csv_cli_and_register_agree(app: Flask, district, org: Org, tmp_path) -> None:
    rt = org.rt
    ensure(rt)
    with rt.read_session() as s:
        fig = compute(s, rt.registry, rt.calendar, rt.clock, parse_period("2026-03"), Scope("press_violation"))
        register = statistics(s, rt.registry, rt.calendar, 2026, rt.clock.now(), "press_violation")
    assert {k: getattr(fig, k) for k in MARCH} == MARCH

    # the register's month, from the same numbers (and shown through the same suppression of small counts)
    march = next(r for r in register.by_month.rows if r.key == "2026-03")
    assert dict(zip(register.by_month.columns, (c.n for c in march.cells), strict=True)) == {
        "received": MARCH["opened"], "handled": MARCH["handled"], "handled_on_time": MARCH["handled_in_time"],
        "published": MARCH["published"]}  # fmt: skip
    page = text(app.test_client().get("/cong-khai/thong-ke?year=2026"))
    row = re.search(r'<tr data-key="2026-03">(.*?)</tr>', page, re.S)
    assert row is not None
    shown = re.findall(r'data-n="([^"]*)"', row.group(1))
    expected = [MARCH["opened"], MARCH["handled"], MARCH["handled_in_time"], MARCH["published"]]
    assert shown[:4] == [c.text for c in march.cells]
    assert [c.n for c in march.cells] == expected and Cell(8).text == shown[0]

    w = signed_in(app, "supervisor")
    for url in ("/dashboard?period=2026-03", "/dashboard/report?period=2026-03"):
        rows = _summary(text(w.get(url)))
        assert {k: int(rows[k]) for k in MARCH} == MARCH, url
        assert rows["share_in_time"] == "50,0"
    data = w.get("/dashboard/report.csv?period=2026-03").data.decode("utf-8-sig")
    bad = app.test_cli_runner().invoke(args=["report", "--period", "2026-03", "--workflow", "nope", "--format", "csv",
                                             "--out", str(tmp_path / "x.csv")])  # fmt: skip
    assert bad.exit_code == 2 and "no workflow 'nope'" in bad.output
    cli_out = tmp_path / "bc.csv"
    r = app.test_cli_runner().invoke(args=["report", "--period", "2026-03", "--workflow", "press_violation", "--format", "csv",
                                           "--out", str(cli_out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    for body in (data, cli_out.read_bytes().decode("utf-8-sig")):
        cells = {row[1]: row[2] for row in csv.reader(io.StringIO(body)) if len(row) >= 3 and row[0] == "Tổng hợp"}
        assert cells["Vụ việc tiếp nhận trong kỳ"] == "8"
        assert cells["Đã xử lý"] == "4" and cells["Xử lý đúng hạn"] == "2" and cells["Đã công khai kết quả"] == "1"


def test_the_demo_data_agrees_everywhere(rt) -> None:
    """On the demo district: every workflow with figures, the report's months summed equal its year, and the
    register's published months equal the figures of the same months."""
    from engine.demo import seed_demo
    from engine.read.reporting import make_report

    seed_demo(rt)
    ensure(rt)
    now = rt.clock.now()
    for name in WORKFLOWS:
        if rt.registry.latest(name).reporting is None:
            continue  # a workflow without [reporting] has no figures
        year = parse_period(str(now.year))
        rep = make_report(rt, year, Scope(name))
        f = rep.figures
        assert sum(m.handled for m in f.per_month) == f.handled
        assert sum(m.handled_in_time for m in f.per_month) == f.handled_in_time
        assert sum(m.opened for m in f.per_month) == f.opened
        if rt.registry.latest(name).register is None:
            continue
        with rt.read_session() as s:
            st = statistics(s, rt.registry, rt.calendar, now.year, now, name)
        for row in st.by_month.rows:
            month = parse_period(row.key)
            with rt.read_session() as s:
                mf = compute(s, rt.registry, rt.calendar, rt.clock, month, Scope(name))
            assert [c.n for c in row.cells] == [mf.opened, mf.handled, mf.handled_in_time, mf.published], (name, row.key)
