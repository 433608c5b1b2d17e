"""Bounded work: a period outside the configured years is refused before any date is computed, and
no request makes the working-day index grow.

The probe that found it: `period=0002` then `period=9998` built 3.65 million index rows; `0000`,
`0001`, `9999`, `9999-12`, `0001-Q1` and `9999-12-31..9999-12-31` answered 500; full-width
digits broke the download's header; report dates at or after 9998-01-01 made filing and
assessing answer 500.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from engine.store.report_models import WorkingDayIndex, WorkingDayIndexMeta
from engine.time.clock import FrozenClock
from engine.time.periods import PeriodError, PeriodOutOfRange, YearRange, parse_period
from engine.time.report_range import report_years
from engine.time.workday_index import ensure, window
from tests.support import Org, case_in, data_for, file, load_case
from tests.test_web_fixtures import field_error, make_app, signed_in, text
from web.scheduler import refresh_workday_index

pytest_plugins = ["tests.test_web_fixtures"]

EDGE_PERIODS = ["0000", "0001", "0002", "9998", "9999", "9999-12", "0001-Q1", "9999-H2", "0001-01-01..0001-12-31",
                "9999-12-31..9999-12-31", "9998-01-01..9998-12-31", "2026-01-01..9999-12-31"]  # fmt: skip


def _index_rows(org: Org) -> tuple[int, date | None, date | None]:
    with org.rt.read_session() as s:
        n = s.scalar(sa.select(sa.func.count()).select_from(WorkingDayIndex)) or 0
        meta = s.get(WorkingDayIndexMeta, 1)
        return n, (meta.first_day if meta else None), (meta.last_day if meta else None)


def test_edge_periods_are_refused_by_the_parser_before_any_date_is_built() -> None:
    years = YearRange(2026, 2027)
    for text_ in EDGE_PERIODS:
        with pytest.raises(PeriodOutOfRange):
            parse_period(text_, years=years)
    for text_ in ["0000", "0001", "9999", "9999-12", "0001-Q1", "9999-12-31..9999-12-31"]:
        with pytest.raises(PeriodError):  # even without a configured range: the calendar's own limits
            parse_period(text_)
    assert parse_period("２０２６", years=years).key == "2026"  # full-width digits folded to ASCII
    assert parse_period("２０２６－Ｑ１", years=years).key == "2026-Q1"
    with pytest.raises(PeriodError):  # other scripts' digits are not periods
        parse_period("٢٠٢٦", years=years)


def test_report_years_default_to_the_data_first_year_until_next_year(org: Org, clock: FrozenClock) -> None:
    today = date(2026, 3, 2)
    with org.rt.read_session() as s:
        assert report_years(s, today) == YearRange(2026, 2027)  # no case yet: this year
        assert report_years(s, today, 2019, 2030) == YearRange(2019, 2030)
        assert report_years(s, today, 1, 99999) == YearRange(1900, 2199)  # never past the calendar's limits


@pytest.mark.parametrize("period", EDGE_PERIODS)
def test_dashboard_refuses_edge_periods_with_a_message_and_builds_nothing(app: Flask, org: Org, period: str) -> None:
    w = signed_in(app, "supervisor")
    assert w.get("/dashboard?period=2026").status_code == 200
    before = _index_rows(org)
    r = w.get(f"/dashboard?period={period}")
    assert r.status_code == 400 and "Báo cáo chỉ tính cho các năm từ 2026 đến 2027" in text(r)
    r = w.get(f"/dashboard/report?period={period}")
    assert r.status_code == 400
    r = w.get(f"/dashboard/report.xlsx?period={period}")
    assert r.status_code == 422 and "2026" in r.get_data(as_text=True)
    assert _index_rows(org) == before  # no request widened the index


def test_far_periods_one_after_another_cost_nothing(app: Flask, org: Org) -> None:
    """The probe's exact sequence (period=0002 then 9998): the index stays at its fixed window."""
    w = signed_in(app, "assessor")
    w.get("/dashboard")
    first, last = window(org.rt.clock)
    assert _index_rows(org) == ((last - first).days + 1, first, last)
    for period in ["0002", "9998", "9999-12-31..9999-12-31", "9999-12-31..9999-12-31"]:
        assert w.get(f"/dashboard?period={period}").status_code == 400
    assert _index_rows(org) == ((last - first).days + 1, first, last)


def test_full_width_period_downloads_with_an_ascii_header(app: Flask, org: Org) -> None:
    w = signed_in(app, "supervisor")
    for fmt in ("csv", "xlsx", "docx"):
        r = w.get(f"/dashboard/report.{fmt}?period=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96")  # ２０２６
        assert r.status_code == 200, fmt
        layout = "-dang" if fmt == "docx" else ""  # the Party layout is the default Word layout
        assert r.headers["Content-Disposition"] == f'attachment; filename="bao-cao-2026-toan-huyen{layout}.{fmt}"'


def test_configured_range_widens_and_narrows_what_reports_may_cover(rt, org: Org, monkeypatch) -> None:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("PRESSCASE_REPORT_FIRST_YEAR", "2010")
    app = make_app(rt)
    w = signed_in(app, "supervisor")
    assert w.get("/dashboard?period=2011").status_code == 200  # the index reaches back for the configured range
    assert w.get("/dashboard?period=2009").status_code == 400
    assert _index_rows(org)[1] == date(2009, 12, 1)
    monkeypatch.setenv("PRESSCASE_REPORT_FIRST_YEAR", "1066")
    with pytest.raises(ValueError):  # a configuration error stops the app at start, not at a request
        make_app(rt)


def test_scheduler_job_builds_the_index_ahead(app: Flask, org: Org) -> None:
    assert _index_rows(org)[0] == 0
    refresh_workday_index(app)
    n, first, last = _index_rows(org)
    assert (first, last) == window(org.rt.clock) and n == (last - first).days + 1
    ensure(org.rt)  # already current: nothing rebuilt
    assert _index_rows(org) == (n, first, last)


def test_report_command_refuses_edge_periods_clearly(app: Flask, org: Org, tmp_path) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "bc.csv"
    for period in ["0000", "9999-12", "9999-12-31..9999-12-31", "1999"]:
        r = runner.invoke(args=["report", "--period", period, "--format", "csv", "--out", str(out)])
        assert r.exit_code == 2 and "reports cover the years 2026 to 2027" in r.output, period
        assert "Traceback" not in r.output
    r = runner.invoke(args=["report", "--period", "２０２６", "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("day", ["9998-01-01", "9999-12-31", "01/01/9998", "0001-01-01", "1899-12-31"])
def test_far_report_dates_are_refused_when_filing_and_assessing(app: Flask, org: Org, day: str) -> None:
    w = signed_in(app, "reporter")
    w.get("/reports/new")
    form = {"violation_kind": "false_information", "subject_name": "Trang X", "subject_type": "social_account",
            "description": "Tin sai.", "published_on": day}  # fmt: skip
    r = w.post("/reports/new", form)
    assert r.status_code == 422 and "Ngày phải từ 01/01/1900 đến 31/12/2199" in (field_error(r, "published_on") or "")
    out = case_in(org, "reported")
    a = signed_in(app, "assessor")
    a.get(f"/cases/{out.case_id}/act/assess")
    data = {**data_for(org, "assess"), "violation_ended_on": day, "version": out.version}
    r = a.post(f"/cases/{out.case_id}/act/assess", data)
    assert r.status_code == 422 and field_error(r, "violation_ended_on")
    assert load_case(org, out.case_id).version == out.version


def test_dates_within_the_range_are_still_accepted(org: Org) -> None:
    out = file(org, published_on="2026-02-28")
    assert load_case(org, out.case_id).facts["published_on"] == "2026-02-28"
