"""The public register through the real app: redaction, Atom, corrections, statistics, caching, bounds, preview."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from engine.cases import commands as service
from engine.cases.uow import Runtime
from engine.demo import seed_demo
from engine.org.actors import Actor
from engine.read.public_statistics import suppress_table
from engine.store.models import Case, CaseEvent, Unit, User
from tests.support import Org, case_in, file, fire, load_case
from tests.test_web_fixtures import make_app, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]

ATOM = "{http://www.w3.org/2005/Atom}"


def _all_public_text(app: Flask) -> tuple[str, str]:
    """Every register page, every detail page, the feed and every JSON page; and the statistics page apart."""
    c = app.test_client()
    parts = []
    url: str | None = "/cong-khai.json"
    refs: list[str] = []
    while url:
        doc = c.get(url).get_json()
        parts.append(json.dumps(doc, ensure_ascii=False))
        refs += [r["reference"] for r in doc["results"]]
        url = urlsplit(doc["next"])._replace(scheme="", netloc="").geturl() if doc["next"] else None
    page = 1
    while True:
        r = c.get(f"/cong-khai?page={page}")
        parts.append(text(r))
        if 'rel="next"' not in r.get_data(as_text=True):
            break
        page += 1
    for ref in refs:
        r = c.get(f"/cong-khai/{ref}")
        assert r.status_code == 200
        parts.append(text(r))
    parts.append(c.get("/cong-khai/feed.atom").get_data(as_text=True))
    return "\n".join(parts), text(c.get("/cong-khai/thong-ke?year=2026"))


def _demo_actors(rt: Runtime) -> dict[str, Actor]:
    with rt.read_session() as s:
        return {u.username: Actor.from_user(u) for u in s.scalars(sa.select(User))}


def _file_and_walk(rt: Runtime, a: dict[str, Actor], subject: str, steps: list[tuple[str, str, dict[str, Any]]]) -> int:
    with rt.uow() as uow:
        out = service.file_report(uow, a["phananh"], "press_violation", {
            "violation_kind": "false_information", "subject_name": subject, "subject_type": "social_account",
            "description": "Mô tả nội bộ: bài đăng của chị Vàng Thị Hoa bị lan truyền.", "confidential": True})  # fmt: skip
    for trigger, who, data in steps:
        with rt.uow() as uow:
            service.fire(uow, out.case_id, trigger, a[who], data)
    return out.case_id


def test_no_confidential_field_reaches_the_register_for_any_demo_case_in_any_state(rt: Runtime, monkeypatch) -> None:
    seed_demo(rt)
    a = _demo_actors(rt)
    with rt.read_session() as s:
        vhtt = s.scalar(sa.select(Unit.id).where(Unit.code == "VHTT"))
    assess = ("assess", "thamdinh", {"confirmed_kind": "false_information", "severity": "low", "competent_unit": vhtt,
                                     "assessment_note": "Ghi chú thẩm định nội bộ số 7781"})  # fmt: skip
    handle = ("handle", "xuly", {"outcome": "measures", "measures": ["warning"], "decision_number": "77/QĐ-XPHC",
                                 "decision_date": "2026-02-20", "legal_basis": "Điều 3 NĐ 119/2020", "decided_by": "Chủ tịch UBND huyện",
                                 "summary": "Tóm tắt nội bộ không công khai 5521"})  # fmt: skip
    unpublished_subjects = {
        "Trang riêng chưa công khai Alpha": [],
        "Trang riêng chưa công khai Beta": [assess],
        "Trang riêng chưa công khai Gamma": [assess, handle],
        "Trang riêng chưa công khai Delta": [("request_info", "thamdinh", {"question": "Câu hỏi nội bộ 9931"})],
        "Trang riêng chưa công khai Epsilon": [assess, handle, ("withhold", "giamsat", {"reason": "Lý do giữ lại 4417"})],
    }
    for subject, steps in unpublished_subjects.items():
        _file_and_walk(rt, a, subject, steps)
    published_id = _file_and_walk(rt, a, "Trang công khai Omega", [assess, handle, ("publish", "congkhai", {
        "public_summary": "Ông Nguyễn Văn Bình, quản trị trang, bị cảnh cáo; Lò Văn Minh đã phản ánh.", "channels": ["portal"]})])

    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    app = make_app(rt)
    public, stats = _all_public_text(app)

    with rt.read_session() as s:
        cases = s.scalars(sa.select(Case)).all()
        users = s.scalars(sa.select(User)).all()
        unit_name = dict(s.execute(sa.select(Unit.id, Unit.name)).all())
        events = s.scalars(sa.select(CaseEvent)).all()
    published = [c for c in cases if c.state == "published"]
    assert len(published) >= 4  # the demo publishes some, plus ours
    for c in published:  # positive control: the check below looks at real pages
        assert c.reference in public

    secret: set[str] = set()
    secret |= {u.full_name for u in users} | {u.username for u in users if len(u.username) > 4}
    secret |= {c.reference for c in cases if c.state != "published"}
    secret |= set(unpublished_subjects)
    defs = {(d.name, d.version): d for d in rt.registry.all()}
    for ev in events:
        case = next(c for c in cases if c.id == ev.case_id)
        t = defs[(case.workflow_name, case.workflow_version)].transition(ev.trigger, ev.from_state)
        for f in t.fields if t else []:
            value = ev.data.get(f.name)
            if not f.public and f.type in ("text", "string", "url") and isinstance(value, str) and len(value) >= 8:
                secret.add(value)
    filing_units = {unit_name[c.filing_unit_id] for c in cases}

    leaked = sorted(x for x in secret | filing_units if x in public)
    assert not leaked, f"confidential values on the public register: {leaked}"
    leaked_stats = sorted(x for x in secret if x in stats)
    assert not leaked_stats, f"confidential values on the statistics page: {leaked_stats}"
    # the names in the public summary are masked to initials
    ref = load_case_ref(rt, published_id)
    detail = text(app.test_client().get(f"/cong-khai/{ref}"))
    assert "Ông N.V.B, quản trị trang, bị cảnh cáo; L.V.M đã phản ánh." in detail


def load_case_ref(rt: Runtime, case_id: int) -> str:
    with rt.read_session() as s:
        return s.get(Case, case_id).reference  # type: ignore[union-attr]


def _published(org: Org, **publish: Any) -> tuple[int, str]:
    out = case_in(org, "handled")
    data = {"public_summary": "Đã xử phạt cảnh cáo.", "channels": ["portal"], **publish}
    out = fire(org, out.case_id, "publish", "publisher", data)
    return out.case_id, out.reference


def test_feed_is_valid_atom_and_corrections_appear_in_order(app: Flask, org: Org, clock) -> None:
    case_id, ref = _published(org)
    clock.advance(hours=2)
    fire(org, case_id, "correct_publication", "publisher", {"erratum": "Đính chính thứ nhất: sửa ngày quyết định."})
    clock.advance(hours=2)
    fire(org, case_id, "correct_publication", "publisher", {"erratum": "Đính chính thứ hai: sửa số quyết định."})
    _published(org, public_summary="Kết quả thứ hai.")
    c = app.test_client()

    r = c.get("/cong-khai/feed.atom")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    root = ET.fromstring(r.data)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{tag}") or "").strip(), tag
    datetime.fromisoformat(root.findtext(f"{ATOM}updated"))
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    ids = set()
    for e in entries:
        for tag in ("id", "title", "updated"):
            assert (e.findtext(f"{ATOM}{tag}") or "").strip(), tag
        datetime.fromisoformat(e.findtext(f"{ATOM}updated"))
        link = e.find(f"{ATOM}link")
        assert link is not None and link.get("href", "").startswith("http")
        ids.add(e.findtext(f"{ATOM}id"))
    assert len(ids) == 2
    corrected = next(e for e in entries if ref in e.findtext(f"{ATOM}title", ""))
    content = corrected.findtext(f"{ATOM}content") or ""
    assert content.index("Đính chính thứ nhất") < content.index("Đính chính thứ hai")

    page = text(c.get(f"/cong-khai/{ref}"))
    assert page.index("Đính chính thứ nhất") < page.index("Đính chính thứ hai")
    doc = c.get("/cong-khai.json").get_json()
    item = next(x for x in doc["results"] if x["reference"] == ref)
    assert [x["text"][:19] for x in item["corrections"]] == ["Đính chính thứ nhất", "Đính chính thứ hai:"]


def test_statistics_suppress_small_cells() -> None:
    t = suppress_table(("received",), [("a", [1]), ("b", [4]), ("c", [5]), ("d", [0])])
    assert [r.cells[0].text for r in t.rows] == ["< 3", "≥ 3", "5", "0"]
    assert t.totals[0].text == "10"
    t = suppress_table(("received",), [("a", [1]), ("b", [2]), ("c", [9])])
    assert [r.cells[0].text for r in t.rows] == ["< 3", "< 3", "9"]  # two hidden cells: neither derivable
    assert suppress_table(("x",), [("a", [2])]).totals[0].text == "< 3"


def test_statistics_publish_closed_months_late_and_never_by_commune(app: Flask, org: Org, clock) -> None:
    """Watching the page ties no filing to a place or a day: no breakdown by filing unit, a month appears
    only once it has been over for PUBLICATION_DELAY_DAYS, and the page does not change before then."""
    case_in(org, "reported")  # 2 March 2026: two reports from Mường So, four from Sin Suối Hồ
    for _ in range(4):
        file(org, "reporter_other")
    case_in(org, "published")
    c = app.test_client()
    early = c.get("/cong-khai/thong-ke?year=2026")
    html = early.get_data(as_text=True)
    assert early.status_code == 200 and 'id="stats-commune"' not in html
    for code in ("CB-MS", "CB-SSH"):
        assert f'data-key="{org.units[code]}"' not in html
    assert 'data-key="2026-03"' not in html  # March is not over
    file(org, "reporter_other")  # one more filing changes nothing anyone can see
    again = c.get("/cong-khai/thong-ke?year=2026")
    assert again.get_data() == early.get_data() and again.headers["ETag"] == early.headers["ETag"]
    assert c.get("/cong-khai/thong-ke?year=2026", headers={"If-None-Match": early.headers["ETag"]}).status_code == 304

    clock.set(datetime(2026, 4, 30, 12, tzinfo=UTC))  # March ended 29 days ago: not yet
    assert 'data-key="2026-03"' not in c.get("/cong-khai/thong-ke?year=2026").get_data(as_text=True)
    clock.set(datetime(2026, 5, 2, 12, tzinfo=UTC))
    html = c.get("/cong-khai/thong-ke?year=2026").get_data(as_text=True)
    assert re.search(r'<tr data-key="2026-03">.*?data-n="7"', html, re.S)  # the month's filings together
    assert re.search(r'<tr data-key="received">.*?data-n="7"', html, re.S)
    for code in ("CB-MS", "CB-SSH"):
        assert f'data-key="{org.units[code]}"' not in html
    assert re.search(r'id="stats-through">Số liệu đến hết ngày <span class="nw">\d\d/\d\d/2026</span>', html)


def test_conditional_get_is_answered_304_and_a_correction_changes_the_etag(app: Flask, org: Org, clock) -> None:
    case_id, ref = _published(org)
    c = app.test_client()
    for url in ("/cong-khai", "/cong-khai.json", "/cong-khai/feed.atom", f"/cong-khai/{ref}", "/cong-khai/thong-ke"):
        r = c.get(url)
        assert r.status_code == 200 and r.headers["ETag"] and r.headers["Last-Modified"], url
        assert "public" in r.headers["Cache-Control"]
        again = c.get(url, headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304 and not again.data, url
        since = c.get(url, headers={"If-Modified-Since": r.headers["Last-Modified"]})
        assert since.status_code == 304, url
    first = c.get(f"/cong-khai/{ref}")
    clock.advance(hours=1)
    fire(org, case_id, "correct_publication", "publisher", {"erratum": "Sửa lỗi chính tả."})
    after = c.get(f"/cong-khai/{ref}", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and "Sửa lỗi chính tả." in text(after)


def test_filters_search_and_bounds(app: Flask, org: Org) -> None:
    _, ref_a = _published(org)
    out = case_in(org, "handled", subject_name="Trang tin 100% sự thật_x")
    fire(org, out.case_id, "publish", "publisher", {"public_summary": "Kết quả B.", "channels": ["portal"]})
    ref_b = out.reference
    hidden = case_in(org, "handled").reference
    c = app.test_client()

    def refs(query: str) -> list[str]:
        return [r["reference"] for r in c.get("/cong-khai.json" + query).get_json()["results"]]

    assert refs("") == [ref_b, ref_a]  # newest first
    assert refs("?q=100%25") == [ref_b] and refs("?q=%25") == [ref_b]  # % is a literal, not a wildcard
    assert refs("?q=_x") == [ref_b] and refs("?q=s_") == []
    assert refs(f"?q={ref_a.lower()}") == [ref_a]
    assert refs("?q=" + "a" * 5000) == []  # cut to 100 characters, answered
    assert refs("?kind=false_information&year=2026&measure=fine") == [ref_b, ref_a]
    assert refs("?measure=warning") == [] and refs("?year=2025") == [] and refs("?kind=bogus") == [ref_b, ref_a]
    assert refs("?subject=Trang tin 100%25 sự thật_x") == [ref_b]
    assert refs("?page=99999999") == []
    assert c.get("/cong-khai.json?per_page=100000").get_json()["per_page"] <= 50
    assert c.get(f"/cong-khai/{hidden}").status_code == 404  # handled, not published: as if unknown
    assert c.get("/cong-khai/PA-2026-999999").status_code == 404
    assert c.get("/cong-khai/" + "x" * 500).status_code == 404
    page = text(c.get("/cong-khai?kind=false_information"))
    assert ref_a in page and hidden not in page


def test_publisher_previews_the_public_view_then_publishes(app: Flask, org: Org) -> None:
    out = case_in(org, "handled")
    w = signed_in(app, "publisher")
    w.get(f"/cases/{out.case_id}/act/publish")
    form = {"version": str(out.version), "public_summary": "Ông Trần Văn Cường bị phạt; bà Lê Thị Hạnh phản ánh.",
            "channels": "portal", "public_names": "Trần Văn Cường", "preview": "1"}  # fmt: skip
    r = w.post(f"/cases/{out.case_id}/act/publish", form)
    assert r.status_code == 200
    page = text(r)
    preview = page[page.index('id="public-preview"'):]
    assert "Ông Trần Văn Cường bị phạt; bà L.T.H phản ánh." in preview
    assert "Phạt tiền" in preview and "01/QĐ-XPHC" in preview  # the decision as the public will see it
    assert 'name="public_summary"' in page  # the form is still there, filled in
    assert load_case(org, out.case_id).state == "handled"  # nothing was fired
    assert text(app.test_client().get("/cong-khai")).count(out.reference) == 0

    bad = w.post(f"/cases/{out.case_id}/act/publish", {**form, "public_summary": ""})
    assert bad.status_code == 422 and 'id="public-preview"' not in bad.get_data(as_text=True)

    del form["preview"]
    done = w.post(f"/cases/{out.case_id}/act/publish", form)
    assert done.status_code == 302 and load_case(org, out.case_id).state == "published"
    public = text(app.test_client().get(f"/cong-khai/{out.reference}"))
    assert "Ông Trần Văn Cường bị phạt; bà L.T.H phản ánh." in public
    assert "Lê Thị Hạnh" not in public


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_register_is_readable_in_both_languages_without_sign_in(app: Flask, org: Org, lang: str) -> None:
    _, ref = _published(org)
    c = app.test_client()
    page = text(c.get(f"/cong-khai?lang={lang}"))
    assert ref in page and ("Công khai kết quả xử lý" in page if lang == "vi" else "Public register" in page)
    assert "<script" not in c.get(f"/cong-khai/{ref}").get_data(as_text=True)


def test_every_registered_workflow_is_listed_newest_first_across_pages_and_in_the_feed(org: Org, clock) -> None:
    """The register reads each workflow's published cases apart and merges them: the order, the pages,
    the count, the feed and the years are those of one list over all of them."""
    from engine.read import public_register as pr
    from tests import workflow_driver as wd

    rt = org.rt
    names = sorted(d.name for d in rt.registry.latest_all() if d.register is not None)
    assert len(names) >= 2
    published, violations = [], []
    for i in range(7):
        name = names[i % 3 % len(names)]  # uneven: two of one, then one of the other
        published.append(wd.case_in(org, name, rt.registry.latest(name).register.published_state).case_id)  # type: ignore[union-attr]
        if name == "press_violation":
            violations.append(published[-1])
        clock.advance(hours=1)
    wd.case_in(org, names[0], "dismissed" if names[0] == "press_violation" else "refused")  # finished, not published
    with rt.read_session() as s:
        refs = dict(s.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(published))).all())
        newest_first = [refs[i] for i in reversed(published)]
        pages = [pr.list_results(s, rt.registry, page=n, per_page=3) for n in (1, 2, 3)]
        assert [[r.reference for r in p.items] for p in pages] == [newest_first[:3], newest_first[3:6], newest_first[6:]]
        assert [p.has_next for p in pages] == [True, True, False] and pages[0].total == 7
        assert [r.reference for r in pr.feed_results(s, rt.registry)] == newest_first
        assert pr.years(s, rt.registry) == [clock.now().astimezone(UTC).year]
    # a correction makes its case the feed's newest, and changes what the register's freshness says
    with rt.read_session() as s:
        before = pr.freshness(s, rt.registry)
    oldest = violations[0]
    fire(org, oldest, "correct_publication", "publisher", {"erratum": "Đính chính."})
    with rt.read_session() as s:
        assert pr.feed_results(s, rt.registry)[0].reference == refs[oldest]
        assert pr.freshness(s, rt.registry) != before


def test_the_registers_etag_does_not_move_when_a_report_is_filed_or_handled(app: Flask, org: Org, clock) -> None:
    """Watching the public register must not tell anyone when reports are filed or handled: its
    ETag follows the published cases alone."""
    _published(org)
    c = app.test_client()
    before = {url: c.get(url).headers["ETag"] for url in ("/cong-khai", "/cong-khai.json", "/cong-khai/feed.atom")}
    clock.advance(hours=1)
    out = file(org)
    fire(org, out.case_id, "assess", "assessor")
    for url, etag in before.items():
        assert c.get(url, headers={"If-None-Match": etag}).status_code == 304, url
