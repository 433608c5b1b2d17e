"""Generated: no surface names a confidential filer to anyone the definition does not let know them.

For every role (each test account, plus the filer, a colleague in the filing cell, a reporter and a
leader elsewhere, and the public), every page the application serves (enumerated from the app's
URL map: every GET route, with every seeded case, every trigger open in its state, every reference
and every report format), every email a real SMTP server on loopback received, and confidential
cases in every state of both workflows (including a case answered by a colleague of the filer,
returned by its handler, and reassigned), the bytes served (XLSX and DOCX unzipped, CSV, JSON,
Atom, HTML) never contain the filing unit's name, the reporter's full name or their username,
unless the viewer may know them: assessors and supervisors for press_violation, the supervisor
for staff_discipline, the reporter themself, and a member of the filing unit its own name.

Positive checks (the assessor and the supervisor do see them) keep the test from passing on
pages that name nobody. Account administration (`/admin/...`) is left out: listing the accounts is
its purpose, and it says nothing about cases.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy import select

from engine.cases import commands as service
from engine.cases.evidence import Upload
from engine.errors import NotFound, NotPermitted
from engine.jobs.sweep import sweep
from engine.org import admin
from engine.org.actors import Actor
from engine.read.figures import Scope
from engine.read.reporting import iter_cases
from engine.store.models import Attachment, Case, Unit, User
from engine.time.periods import parse_period
from engine.time.workday_index import ensure
from notifications.worker import deliver_pending
from tests.notify_support import BASE_URL, FAST, give_addresses, running_smtp, set_user
from tests.smtp_server import SmtpServer
from tests.support import PASSWORD, REPORT, Org, fire
from tests.test_web_fixtures import Web, signed_in
from tests.workflow_driver import WORKFLOWS

pytest_plugins = ["tests.test_web_fixtures"]

CELL = ("CB-KT", "Chi bộ bản Khuất Tịch")  # the confidential filer's party cell
FILER = ("kindao.cbkt", "Vàng Thị Kín Đáo")
COLLEAGUE = ("cungchi.cbkt", "Lù Văn Cùng Chi")  # answers the assessor's question for the cell
WHISTLE = ("tocao.ttvh", "Sùng Văn Tố Cáo")  # reports a colleague at the media centre
EXTRA_USERS = [
    (*FILER, CELL[0], ["reporter"]),
    (*COLLEAGUE, CELL[0], ["reporter"]),
    (*WHISTLE, "TTVH", ["reporter"]),
    ("pv.ttvh", "Phóng Viên Đồng Nghiệp", "TTVH", ["reporter"]),  # a colleague of the subject
    ("leader.vhtt", "Lãnh Đạo Phòng", "VHTT", ["leader"]),
]
PRESS_KNOW = {"assessor", "supervisor"}
STAFF_KNOW = {"supervisor"}
ADMIN_ONLY = ("admin.", "audit.", "inbox.retry", "api_tokens_admin.")  # account administration and its log: see the docstring
UNIT_PICKER = re.compile(r'<select id="unit" name="unit">.*?</select>', re.S)  # every unit, tied to no case
EXTRA_QUERIES = {  # query strings that open more of a page (filters, periods, layouts)
    "worklist.index": ["", "?q={ref}", "?overdue=1"],
    "reports.mine": [""],
    "overview.index": [""],
    "dashboard.index": ["?period=2026", "?period=2026-Q1"],
    "dashboard.report_page": ["?period=2026"],
    "dashboard.report_file": ["?period=2026&layout=party", "?period=2026&layout=state"],
    "register.index": ["", "?q={ref}"],
}


@dataclass
class Seeded:
    press: list[int] = field(default_factory=list)
    staff: list[int] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    attachments: list[tuple[int, int]] = field(default_factory=list)


def _add_users(org: Org) -> None:
    with org.rt.uow() as uow:
        admin.add_unit(uow, CELL[0], CELL[1], "party_cell", "HU")
    for username, name, unit, roles in EXTRA_USERS:
        with org.rt.uow() as uow:
            admin.add_user(uow, username, name, unit, roles, PASSWORD)
    with org.rt.read_session() as s:
        for u in s.scalars(select(User)):
            org.actors[u.username] = Actor.from_user(u)
        org.units[CELL[0]] = org.actors[FILER[0]].unit_id  # type: ignore[assignment]


def _file(org: Org, who: str, confidential: bool = True, evidence: bool = False) -> service.Outcome:
    uploads = [Upload("anh-chup.png", bytes.fromhex("89504e470d0a1a0a") + b"\0" * 32)] if evidence else None
    with org.rt.uow() as uow:
        return service.file_report(uow, org.actor(who), "press_violation", {**REPORT, "confidential": confidential}, uploads)


def seed(org: Org) -> Seeded:
    """Confidential reports in every state of both workflows, with the people and paths that could leak."""
    out = Seeded()
    reassign_ca = {"competent_unit": org.units["CA"], "reason": "Thuộc thẩm quyền công an."}
    paths: list[list[tuple[str, str, dict | None]]] = [
        [],  # reported
        [("request_info", "assessor", None)],  # awaiting_info
        [("request_info", "assessor", None), ("provide_info", COLLEAGUE[0], None)],  # answered by a colleague
        [("assess", "assessor", None)],  # assessed
        [("assess", "assessor", None), ("record_explanation", "handler", None), ("return", "handler", None)],  # returned
        [("assess", "assessor", None), ("reassign", "assessor", reassign_ca)],  # reassigned to the police
        [("assess", "assessor", None), ("handle", "handler", None)],  # handled
        [("assess", "assessor", None), ("handle", "handler", None), ("publish", "publisher", None)],  # published
        [("dismiss", "assessor", None)],  # dismissed
        [("assess", "assessor", None), ("handle", "handler", None), ("withhold", "supervisor", None)],  # closed
    ]
    for i, steps in enumerate(paths):
        o = _file(org, FILER[0], evidence=i == 0)
        for trigger, who, data in steps:
            o = fire(org, o.case_id, trigger, who, data)
        out.press.append(o.case_id)
        out.refs.append(o.reference)
    o = _file(org, "reporter", confidential=False)  # an open report beside them, named as usual
    fire(org, o.case_id, "assess", "assessor")
    fire(org, o.case_id, "handle", "handler")
    out.press.append(o.case_id)
    staff = {"staff_member": "Phóng viên Giàng A Sử", "misconduct": "ethics", "description": "Đăng tin chưa kiểm duyệt."}
    steps_staff = [("verify", {"findings": "Đúng"}), ("decide", {"sanction": "reprimand", "decision_number": "5/QĐ"}),
                   ("close", {})]  # fmt: skip
    for n in range(len(steps_staff) + 1):
        with org.rt.uow() as uow:
            o = service.file_report(uow, org.actor(WHISTLE[0]), "staff_discipline", staff)
        for trigger, data in steps_staff[:n]:
            o = fire(org, o.case_id, trigger, "leader", data)
        out.staff.append(o.case_id)
        out.refs.append(o.reference)
    with org.rt.read_session() as s:
        out.attachments = [(a.case_id, a.id) for a in s.scalars(select(Attachment))]
    return out


def secrets_for(username: str | None, roles: frozenset[str], unit_code: str | None) -> set[str]:
    """What this viewer may not read anywhere: the filers they may not know."""
    forbidden: set[str] = set()
    if not roles & PRESS_KNOW and username != FILER[0]:
        forbidden |= {FILER[0], FILER[1]}
        if unit_code != CELL[0]:
            forbidden |= {CELL[1], COLLEAGUE[0], COLLEAGUE[1]}
    if not roles & STAFF_KNOW and username != WHISTLE[0]:
        forbidden |= {WHISTLE[0], WHISTLE[1]}
    return forbidden


def readable(body: bytes, mimetype: str) -> str:
    """The text a person (or a program) can read in a response: office files unzipped, entities decoded."""
    if body[:2] == b"PK":  # XLSX and DOCX: every XML part, with its character references decoded (&#7845;)
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return html.unescape("\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()))
    text = body.decode("utf-8", "replace")
    if "html" in mimetype:
        text = UNIT_PICKER.sub("", text)
    return html.unescape(text)


def urls(app: Flask, org: Org, seeded: Seeded) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET page, generated from the URL map and the seeded cases."""
    with org.rt.read_session() as s:
        cases = {c.id: c for c in s.scalars(select(Case))}
    out: list[tuple[str, str]] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.endpoint.startswith(ADMIN_ONLY):
            continue
        args = set(rule.arguments)
        queries = EXTRA_QUERIES.get(rule.endpoint, [""])
        combos: list[dict[str, object]] = [{}]
        if "case_id" in args:
            combos = []
            for cid in seeded.press + seeded.staff:
                if "trigger" in args:
                    defn = org.rt.registry.get(cases[cid].workflow_name, cases[cid].workflow_version)
                    combos += [{"case_id": cid, "trigger": t.trigger} for t in defn.transitions_from(cases[cid].state)]
                elif "attachment_id" in args:
                    combos += [{"case_id": c, "attachment_id": a} for c, a in seeded.attachments if c == cid]
                else:
                    combos.append({"case_id": cid})
        elif "reference" in args:
            combos = [{"reference": r} for r in seeded.refs]
        elif "name" in args:  # a workflow definition by name (the JSON API's, read with a token in test_api_confidentiality)
            combos = [{"name": d.name} for d in org.rt.registry.latest_all()]
        elif "fmt" in args:
            combos = [{"fmt": f} for f in re.findall(r"\w+", rule.rule.split("any(")[1].split(")")[0])]
        elif args:
            raise AssertionError(f"a GET route this test does not know how to fill: {rule.rule}")
        with app.test_request_context():
            from flask import url_for

            for values in combos:
                base = url_for(rule.endpoint, **values)
                for q in queries:
                    out.append((rule.endpoint, base + q.format(ref=seeded.refs[0])))
    return out


@dataclass
class Tally:
    checks: int = 0
    leaks: list[str] = field(default_factory=list)
    seen: dict[str, set[str]] = field(default_factory=dict)  # viewer -> secrets they were (rightly) shown

    def check(self, viewer: str, where: str, text: str, forbidden: set[str], allowed: set[str]) -> None:
        self.checks += 1
        for secret in forbidden:
            if secret in text:
                self.leaks.append(f"{viewer} reads {secret!r} at {where}")
        self.seen.setdefault(viewer, set()).update(s for s in allowed if s in text)


@pytest.fixture
def smtp() -> object:
    yield from running_smtp()


def test_no_surface_names_a_confidential_filer(app: Flask, org: Org, rt, clock, smtp: SmtpServer) -> None:  # noqa: ANN001
    _add_users(org)
    give_addresses(org)
    for username in ("handler", "leader.vhtt", "pv.ttvh"):  # pages and messages in English too
        set_user(org, username, language="en")
    seeded = seed(org)
    clock.advance(days=40)  # every open stage overdue and escalated: the timers' messages too
    sweep(rt)
    sweep(rt)
    for _ in range(200):
        report = deliver_pending(rt, mail=smtp.config, url=BASE_URL, settings=FAST)
        if not (report.rows_sent or report.rows_retrying or report.inbox_items or report.emails_sent):
            break

    everyone = {FILER[0], FILER[1], COLLEAGUE[0], COLLEAGUE[1], CELL[1], WHISTLE[0], WHISTLE[1]}
    with rt.read_session() as s:
        people = {u.username: (frozenset(u.roles), u.unit.code) for u in s.scalars(select(User))}
    pages = urls(app, org, seeded)
    tally = Tally()
    viewers: list[str | None] = [*sorted(people), None]
    for username in viewers:
        roles, unit = people[username] if username else (frozenset(), None)
        forbidden = secrets_for(username, roles, unit)
        web = signed_in(app, username) if username else Web(app)
        for _endpoint, url in pages:
            r = web.client.get(url)
            assert r.status_code < 500, f"{username} {url}: {r.status_code}"
            tally.check(username or "public", url, readable(r.data, r.mimetype or ""), forbidden, everyone - forbidden)

    for msg in smtp.mailbox.received:
        for rcpt in msg.rcpt_tos:
            username = rcpt.split("@")[0]
            roles, unit = people[username]
            body = "\n".join([msg.subject, msg.text(), html.unescape(msg.html())])
            tally.check(username, f"email {msg.subject!r}", body, secrets_for(username, roles, unit), everyone)

    assert not tally.leaks, f"{len(tally.leaks)} leaks in {tally.checks} checks:\n" + "\n".join(sorted(set(tally.leaks))[:60])
    # The checks can fail: those who may know do read every secret somewhere.
    assert {FILER[1], CELL[1], COLLEAGUE[1]} <= tally.seen["assessor"]
    assert {FILER[1], CELL[1], WHISTLE[1]} <= tally.seen["supervisor"]
    assert {FILER[1], CELL[1]} <= tally.seen[FILER[0]] and WHISTLE[1] in tally.seen[WHISTLE[0]]
    assert len(smtp.mailbox.received) >= 20 and tally.checks >= 1500
    print(f"\nconfidentiality: {tally.checks} generated checks ({len(viewers)} viewers x {len(pages)} pages, "
          f"{len(smtp.mailbox.received)} emails)")


def test_visibility_follows_the_definition(org: Org) -> None:
    """The rules the pages above rely on: return, reassignment, leaders, and a reporter among colleagues."""
    _add_users(org)
    seeded = seed(org)
    returned, reassigned, handled, published = seeded.press[4], seeded.press[5], seeded.press[6], seeded.press[7]

    def sees(who: str, case_id: int) -> bool:
        with org.rt.read_session() as s:
            from engine.read.queries import case_view

            try:
                case_view(s, org.rt.registry, org.actor(who), case_id)
            except NotFound:
                return False
            return True

    assert not sees("handler", returned)  # the unit that returned it
    assert not sees("handler", reassigned) and sees("handler_police", reassigned)  # the previous handling unit
    assert sees("leader.vhtt", handled)  # its unit decided it
    assert sees("leader", handled) and not sees("leader", published)  # the media centre holds it until published
    assert sees(WHISTLE[0], seeded.staff[0]) and not sees("pv.ttvh", seeded.staff[0])  # only the filer, not colleagues
    assert sees("leader", seeded.staff[0]) and not sees("reporter", seeded.staff[0])
    with org.rt.read_session() as s:
        from engine.read.queries import case_view

        view = case_view(s, org.rt.registry, org.actor("leader"), seeded.staff[-1])
    assert view.reporter_name is None and all(WHISTLE[1] not in e.actor_name for e in view.events)
    # The periodic report lists to a person only what they may see (the leader's unit holds every result to publish).
    with org.rt.read_session() as s:
        ensure(org.rt)
        listed = {who: {r.reference for r in iter_cases(s, org.rt.registry, parse_period("2026"),
                                                        Scope(unit_id=org.units["TTVH"]), viewer=org.actor(who))}
                  for who in ("leader", "supervisor")}  # fmt: skip
    published_ref = seeded.refs[7]
    assert published_ref in listed["supervisor"] and published_ref not in listed["leader"]
    with org.rt.uow() as uow, pytest.raises(NotPermitted):  # a party cell cannot open a case nobody there can act on
        service.file_report(uow, org.actor(FILER[0]), "staff_discipline", {"staff_member": "X", "misconduct": "ethics",
                                                                            "description": "x"})  # fmt: skip


def test_the_command_line_report_names_a_confidential_filer_only_when_asked(app: Flask, org: Org, tmp_path) -> None:  # noqa: ANN001
    """`presscase report` writes files someone will forward: without --name-filers, no format names the cell."""
    _add_users(org)
    seed(org)
    runner = app.test_cli_runner()
    for fmt in ("csv", "xlsx", "docx"):
        for flag in ([], ["--name-filers"]):
            out = tmp_path / f"bc-{len(flag)}.{fmt}"
            r = runner.invoke(args=["report", "--period", "2026", "--format", fmt, "--out", str(out), *flag])
            assert r.exit_code == 0, r.output
            body = readable(out.read_bytes(), "text/csv")
            named = CELL[1] in body
            assert named == bool(flag), (fmt, flag)
            assert FILER[1] not in body and FILER[0] not in body  # no format names a person who filed


# ---------------------------------------------------------------- every workflow in workflows/
# The surfaces above are walked for press_violation and staff_discipline by hand. Below, for every
# definition with a `[confidentiality]` rule (a new file is covered without editing this test): a
# confidential case in every state, filed by a person of a unit made for the test, is read by every
# role of the definition from the unit holding the case and from the filing unit, on the case page,
# the worklist, the search page and "my unit's reports": the filer's name and username appear only to
# the roles `reporter_visible_to` names (and the filer), and the filing unit's name only to them or
# to a unit that holds the case itself.


def _generic_filer(org: Org, defn) -> Actor:
    from tests.workflow_driver import filing_unit

    role = defn.create_transition.roles[0]
    home = filing_unit(org, defn, role)
    with org.rt.read_session() as s:
        utype = s.scalar(select(Unit.type).where(Unit.code == home))
    code, unit_name = f"KD-{defn.reference_prefix}", f"Đơn vị Kín Đáo {defn.reference_prefix}"
    with org.rt.uow() as uow:
        admin.add_unit(uow, code, unit_name, utype, "HU")
    username = f"kindao.{defn.reference_prefix.lower()}"
    with org.rt.uow() as uow:
        admin.add_user(uow, username, f"Người Kín Đáo {defn.reference_prefix}", code, [role], PASSWORD)
    with org.rt.read_session() as s:
        actor = Actor.from_user(s.scalar(select(User).where(User.username == username)))
    org.actors[username] = actor
    return actor


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages read through one projection on either database
@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_workflow_hides_a_confidential_filer(app: Flask, org: Org, name: str) -> None:
    from tests.workflow_driver import case_in, definition, load, paths

    defn = definition(org, name)
    if not (defn.confidentiality.get("flag_field") or defn.confidentiality.get("always")):
        pytest.skip(f"{name} has no confidentiality rule")
    filer = _generic_filer(org, defn)
    prefix = defn.reference_prefix
    secrets_ = {"name": f"Người Kín Đáo {prefix}", "username": f"kindao.{prefix.lower()}"}
    unit_secret = f"Đơn vị Kín Đáo {prefix}"
    may_know = set(defn.confidentiality.get("reporter_visible_to", []))
    cases = [load(org, case_in(org, name, state, confidential=True, who=filer).case_id) for state in paths(defn)]
    leaks, seen_by_knowers = [], 0
    with org.rt.read_session() as s:
        codes = dict(s.execute(select(Unit.id, Unit.code)).all())
    sessions: dict[tuple[str, str], Web] = {}  # one sign-in per viewer (Argon2 is slow on purpose)
    for case in cases:
        places = {codes[case.filing_unit_id], codes.get(case.assigned_unit_id or 0, codes[case.filing_unit_id])}
        for role in defn.roles:
            for place in sorted(places):
                if (role, place) not in sessions:
                    org.as_role(role, place)
                    sessions[(role, place)] = signed_in(app, f"{role}.{place.lower()}")
                web = sessions[(role, place)]
                urls = [f"/cases/{case.id}", f"/search?q={case.reference}"]
                if case is cases[-1]:
                    urls += ["/worklist", "/reports"]  # lists: every case at once
                for url in urls:
                    r = web.get(url)
                    assert r.status_code < 500, (url, r.status_code)
                    body = html.unescape(r.get_data(as_text=True))
                    knows = role in may_know
                    if knows and url.startswith("/cases/") and r.status_code == 200:
                        seen_by_knowers += secrets_["name"] in body
                    if not knows:
                        leaks += [f"{name} {case.state} {role}@{place} {url}: {what}" for what, v in secrets_.items() if v in body]
                        holds_it = place == codes.get(case.assigned_unit_id or 0)
                        if unit_secret in body and not holds_it and place != codes[case.filing_unit_id]:
                            leaks.append(f"{name} {case.state} {role}@{place} {url}: the filing unit")
    assert not leaks, "\n" + "\n".join(leaks)
    assert seen_by_knowers or not may_know, "the roles that may know the filer never saw them: the test proves nothing"
