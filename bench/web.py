"""Web benchmark: every role's worklist and every worklist filter, a case page and the case search, with 100,000 cases in SQLite.

Served by the real app on waitress (the production WSGI server) over a real socket, signed in
through the real form; timed over many requests. The cases are bulk-inserted with Core
executemany for setup speed, but shaped as the engine writes them: deadlines from
engine.time.deadlines.compute_deadline, promoted columns, hash-chained history, evidence rows.

    .venv/bin/python bench/web.py [--cases 100000] [--requests 300] [--keep FILE] [--lean] [--no-browser]
    .venv/bin/python bench/web.py --cases 1000000 --lean --keep /tmp/bench-1m.sqlite3   # at a million

Each role with a list signs in (ROLE_PAGES: the assessor, a handler in each competent unit, the
publisher, the supervisor, two unit leaders, and the reporter's "my unit's reports") and its first
page is timed; then every filter the worklist offers, alone and combined (FILTERS), as the
assessor, a handler and the supervisor. A file given with --keep is migrated to the newest
revision before it is reused, so a file seeded by older code gains newer indexes.

The search is timed over a mix of what people type: words without diacritics ("phong tho"), in
capitals with them ("TIN TÂY BẮC"), and partial references ("012345"), as the assessor (every
case) and as a reporter (their unit's). With Chromium at /usr/bin/chromium, the case page is also
loaded in a real browser: the bytes a first visit carries (empty cache, compressed), and the time
to load it under emulated slow 3G (400 kbit/s, 400 ms round trip). The public register is timed
signed out: its first page, page 5, a year and the Atom feed.

Ends with exactly one line: worklist_p50_ms=... worklist_p95_ms=... (the assessor's first page)
worklist_worst_p95_ms=... worklist_worst=... (the slowest role's first page or filter, and which)
case_p50_ms=... case_p95_ms=... search_p50_ms=... search_p95_ms=... register_p50_ms=... register_p95_ms=...
case_first_visit_kb=... case_3g_s=...
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench._common import BENCH_USERS, emit, seed_org, sqlite_database, unit_ids  # noqa: E402
from engine.cases.history import GENESIS, UNCONFIGURED_KEY, event_hash  # noqa: E402
from engine.cases.uow import Runtime  # noqa: E402
from engine.demo import SUBJECTS, TINY_PNG  # noqa: E402
from engine.org import admin  # noqa: E402
from engine.read.search import search_text  # noqa: E402
from engine.store import migrate  # noqa: E402
from engine.store.models import Attachment, Case, CaseEvent, Unit, User  # noqa: E402
from engine.time.clock import LOCAL_TZ  # noqa: E402
from engine.time.deadlines import compute_deadline  # noqa: E402

PASSWORD = "benchmark-password"
# Final state -> the path of (trigger, from, to, actor) that leads there from filing.
FILE = ("file", None, "reported", "reporter")
REQ = ("request_info", "reported", "awaiting_info", "assessor")
ANS = ("provide_info", "awaiting_info", "reported", "reporter")
ASSESS = ("assess", "reported", "assessed", "assessor")
EXPLAIN = ("record_explanation", "assessed", "assessed", "handler")
HANDLE = ("handle", "assessed", "handled", "handler")
PUBLISH = ("publish", "handled", "published", "publisher")
DISMISS = ("dismiss", "reported", "dismissed", "assessor")
WITHHOLD = ("withhold", "handled", "closed", "supervisor")
PATHS = {
    "reported": [FILE], "awaiting_info": [FILE, REQ], "assessed": [FILE, REQ, ANS, ASSESS, EXPLAIN],
    "handled": [FILE, ASSESS, HANDLE], "published": [FILE, ASSESS, EXPLAIN, HANDLE, PUBLISH], "dismissed": [FILE, DISMISS],
    "closed": [FILE, ASSESS, HANDLE, WITHHOLD],
}  # fmt: skip
WEIGHTS = {"reported": 20, "awaiting_info": 5, "assessed": 25, "handled": 10, "published": 28, "dismissed": 10, "closed": 2}
# staff_discipline: every STAFF_EVERY-th case, opened in the media centre by its leader and held there.
STAFF_EVERY = 25
STAFF_PATHS = {
    "reported": [("open", None, "reported", "leader")],
    "verified": [("open", None, "reported", "leader"), ("verify", "reported", "verified", "leader")],
    "decided": [("open", None, "reported", "leader"), ("verify", "reported", "verified", "leader"),
                ("decide", "verified", "decided", "leader")],
    "closed": [("open", None, "reported", "leader"), ("verify", "reported", "verified", "leader"),
               ("decide", "verified", "decided", "leader"), ("close", "decided", "closed", "leader")],
}  # fmt: skip
STAFF_WEIGHTS = {"reported": 3, "verified": 2, "decided": 1, "closed": 4}
MISCONDUCTS = ["unchecked_posting", "ethics", "social_media"]
# Which competent unit an assessment names, out of 20: a share for each handling body.
COMPETENT = ["VHTT"] * 8 + ["CA"] * 5 + ["TTRA"] * 4 + ["TTVH"] * 3
# Who signs in, beyond bench._common.BENCH_USERS: a handler in every competent unit, unit leaders.
EXTRA_USERS = [
    ("handler_ca", "CA", ["handler"]),
    ("handler_ttra", "TTRA", ["handler"]),
    ("handler_ttvh", "TTVH", ["handler"]),
    ("leader", "TTVH", ["leader"]),
    ("leader_vhtt", "VHTT", ["leader"]),
]


def _data(trigger: str, i: int, units: dict[str, int]) -> dict[str, Any]:
    subject, subject_type, kind = SUBJECTS[i % len(SUBJECTS)]
    return {
        "file": {"violation_kind": kind, "subject_name": f"{subject} #{i}", "subject_type": subject_type,
                 "link": f"https://example.invalid/bai/{i}", "published_on": "2026-01-15",
                 "description": "Bài viết đưa thông tin chưa kiểm chứng, gây hoang mang trong nhân dân.",
                 "confidential": i % 4 == 0},
        "request_info": {"question": "Đề nghị cung cấp ảnh chụp bài đăng."},
        "provide_info": {"answer": "Đã bổ sung ảnh chụp."},
        "assess": {"confirmed_kind": kind, "severity": ["low", "medium", "high", "urgent"][i % 4],
                   "competent_unit": units[COMPETENT[(i // 7) % len(COMPETENT)]], "assessment_note": "Có dấu hiệu vi phạm."},
        "record_explanation": {"explanation": "Đã gỡ bài.", "received_on": "2026-02-01"},
        "handle": {"outcome": "measures", "measures": ["fine"], "fine_amount": 10_000_000, "decision_number": f"{i}/QĐ",
                   "decision_date": "2026-02-03", "legal_basis": "Điều 10 NĐ 119/2020", "decided_by": "Chủ tịch UBND huyện",
                   "summary": "Phạt tiền."},
        "publish": {"public_summary": "Đã xử phạt.", "channels": ["portal"]},
        "dismiss": {"reason": "unfounded", "note": "Không có căn cứ."},
        "withhold": {"reason": "Không công khai theo chỉ đạo."},
        "open": {"staff_member": f"Phóng viên Nguyễn Văn {i}", "misconduct": MISCONDUCTS[i % len(MISCONDUCTS)],
                 "occurred_on": "2026-01-10", "description": "Đăng tin khi chưa được duyệt."},
        "verify": {"findings": "Có vi phạm."},
        "decide": {"sanction": "reprimand", "decision_number": f"{i}/QĐ-KL"},
        "close": {},
    }[trigger]  # fmt: skip


# Every role's first page of its list: (label, username, path). The reporter's list is their unit's reports.
ROLE_PAGES = [
    ("handler VHTT", "handler", "/worklist"),
    ("handler CA", "handler_ca", "/worklist"),
    ("handler TTRA", "handler_ttra", "/worklist"),
    ("handler TTVH", "handler_ttvh", "/worklist"),
    ("publisher", "publisher", "/worklist"),
    ("supervisor", "supervisor", "/worklist"),
    ("leader TTVH", "leader", "/worklist"),
    ("leader VHTT", "leader_vhtt", "/worklist"),
    ("reporter", "reporter", "/reports"),
]
# Every filter the worklist offers, alone and combined, as the roles whose lists differ most: (label, username, query).
# A "unit" value is a unit's code, sent as its id.
_FILTERS = [
    ("state=reported", {"state": "reported"}),
    ("state=assessed", {"state": "assessed"}),
    ("kind", {"kind": "false_information"}),
    ("severity", {"severity": "urgent"}),
    ("overdue", {"overdue": "1"}),
    ("unit=CA", {"unit": "CA"}),
    ("overdue+kind", {"overdue": "1", "kind": "false_information"}),
    ("kind+severity+unit", {"kind": "false_information", "severity": "high", "unit": "CA"}),
    ("state+overdue+severity", {"state": "assessed", "overdue": "1", "severity": "low"}),
    ("search", {"q": "Phong Thổ"}),
    ("search+overdue", {"q": "tin tay bac", "overdue": "1"}),
    ("search reference", {"q": "000123"}),
]
FILTERS = [(label, who, q) for who in ("assessor", "handler", "supervisor") for label, q in _FILTERS]


def _age_days(rng: random.Random, terminal: bool) -> float:
    """How long ago a case was filed: finished ones over two years; open ones mostly recent (a few
    long overdue), so the worklists hold cases overdue, due soon and not yet due."""
    return rng.uniform(1, 700) if terminal else min(rng.expovariate(1 / 10) + 0.2, 200)


def seed_people(rt: Runtime) -> None:
    """The accounts the worklists are timed as, beyond the common ones."""
    with rt.read_session() as s:
        have = set(s.scalars(sa.select(User.username)))
    for username, unit, roles in EXTRA_USERS:
        if username not in have:
            with rt.uow() as uow:
                admin.add_user(uow, username, username, unit, roles, PASSWORD)


def bulk_cases(rt: Runtime, n: int, now: datetime, lean: bool = False) -> None:
    """n cases in the engine's shape, inserted in batches with executemany.

    Spread as a district's would be: five party cells file, assessments name one of four
    competent units in fixed shares (COMPETENT), results wait on the media centre, one case in
    STAFF_EVERY is a staff_discipline case held by the media centre's leader, and open cases are
    mostly recent. `lean`: the case rows only, without their history and evidence (a million cases
    seed in minutes instead of an hour; the search and the worklists read only the case rows)."""
    units = unit_ids(rt)
    with rt.read_session() as s:
        users = {u.username: (u.id, u.unit_id) for u in s.scalars(sa.select(User))}
    press = rt.registry.latest("press_violation")
    staff = rt.registry.latest("staff_discipline")
    calendar = rt.calendar
    deadline_cache: dict[tuple[str, str, Any], tuple[Any, Any]] = {}
    rng = random.Random(42)
    states = [s for s, w in WEIGHTS.items() for _ in range(w)]
    staff_states = [s for s, w in STAFF_WEIGHTS.items() for _ in range(w)]
    assigned_for = {"reported": units["BTG"], "awaiting_info": units["BTG"], "handled": units["TTVH"],
                    "published": units["TTVH"], "dismissed": units["BTG"], "closed": units["TTVH"]}  # fmt: skip
    filing_units = [units["CB-MS"], units["CB-SSH"], units["CB-TT"], units["CB-DS"], units["CB-KL"]]
    batch = 5000
    next_event_id = 1
    with rt.engine.begin() as conn:
        for start in range(0, n, batch):
            cases, events, atts = [], [], []
            for i in range(start, min(start + batch, n)):
                is_staff = i % STAFF_EVERY == STAFF_EVERY - 1
                defn = staff if is_staff else press
                state = staff_states[(i // STAFF_EVERY) % len(staff_states)] if is_staff else states[i % len(states)]
                path = (STAFF_PATHS if is_staff else PATHS)[state]
                spec = defn.states[state]
                created = now - timedelta(days=_age_days(rng, spec.terminal))
                at = created
                prev = GENESIS
                case_id = i + 1
                facts: dict[str, Any] = {}
                kind = severity = None
                assigned = handling = None
                for seq, (trigger, frm, to, who) in enumerate(path, start=1):
                    data = _data(trigger, i, units)
                    facts.update(data)
                    kind = data.get("confirmed_kind", data.get("violation_kind", data.get("misconduct", kind)))
                    severity = data.get("severity", severity)
                    if trigger == "assess":
                        assigned = handling = data["competent_unit"]
                    if lean:
                        at = at + timedelta(hours=rng.uniform(2, 30))
                        continue
                    if trigger == "file" and i % 10 == 0:
                        digest_png = hashlib.sha256(TINY_PNG).hexdigest()
                        data = {**data, "evidence": [{"filename": "ảnh.png", "type": "image/png", "size": len(TINY_PNG),
                                                      "sha256": digest_png, "received_at": at.isoformat()}]}
                        atts.append({"case_id": case_id, "event_seq": 1, "filename": "ảnh.png", "content_type": "image/png",
                                     "size": len(TINY_PNG), "sha256": hashlib.sha256(TINY_PNG).hexdigest(), "received_at": at,
                                     "uploaded_by": users["reporter"][0], "content": TINY_PNG})  # fmt: skip
                    actor_id, actor_unit = users[who]
                    digest = event_hash(UNCONFIGURED_KEY, prev, case_id, seq, trigger, frm, to, actor_id, actor_unit, at, data)
                    events.append({"id": next_event_id, "case_id": case_id, "seq": seq, "trigger": trigger, "from_state": frm,
                                   "to_state": to, "actor_id": actor_id, "actor_unit_id": actor_unit, "at": at, "data": data,
                                   "prev_hash": prev, "hash": digest})  # fmt: skip
                    next_event_id += 1
                    prev = digest
                    at = at + timedelta(hours=rng.uniform(2, 30))
                entered = min(at - timedelta(hours=1), now)
                key = (defn.name, state, entered.astimezone(LOCAL_TZ).date())
                if key not in deadline_cache:
                    deadline_cache[key] = compute_deadline(defn, spec, entered, calendar, event_seq=len(path))
                due, info = deadline_cache[key]
                subject = facts.get("subject_name") or facts["staff_member"]
                reference = f"{defn.reference_prefix}-{created.astimezone(LOCAL_TZ).year}-{i + 1:06d}"
                if is_staff:
                    filing, reporter, assigned, handling = units["TTVH"], users["leader"][0], units["TTVH"], None
                else:
                    filing, reporter = filing_units[i % len(filing_units)], users["reporter"][0]
                    assigned = assigned_for.get(state, assigned)
                cases.append({
                    "id": case_id, "reference": reference, "search_text": search_text(reference, subject),
                    "workflow_name": defn.name, "workflow_version": defn.version, "state": state, "version": len(path),
                    "closed": spec.terminal, "filing_unit_id": filing, "reporter_id": reporter,
                    "reporter_confidential": is_staff or i % 4 == 0, "assigned_unit_id": assigned,
                    "handling_unit_id": handling, "kind": kind, "severity": severity, "subject": subject,
                    "facts": facts, "state_entered_at": entered, "deadline_at": due, "deadline_info": info,
                    "escalation_level": 0, "limitation_expires_on": None, "created_at": created, "updated_at": entered,
                    "event_count": 0 if lean else len(path), "last_event_hash": prev,
                })  # fmt: skip
            conn.execute(sa.insert(Case.__table__), cases)
            if events:
                conn.execute(sa.insert(CaseEvent.__table__), events)
            if atts:
                conn.execute(sa.insert(Attachment.__table__), atts)
    with rt.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


class Client:
    """One keep-alive HTTP/1.1 connection with the session cookie, like one browser tab."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            r = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # waitress closes a keep-alive connection idle for two minutes (a role waiting its turn at
            # a million cases); a browser opens a new one, and so do we
            self.conn.close()
            self.conn.request(method, path, body=data, headers=headers)
            r = self.conn.getresponse()
        text = r.read().decode("utf-8")
        for header in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return r.status, text

    def login(self, username: str) -> None:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        status, _ = self.request("POST", "/login", {"username": username, "password": PASSWORD, "csrf_token": token})
        assert status == 302, f"sign-in failed: {status}"


def timed(client: Client, paths: list[str]) -> list[float]:
    out = []
    for p in paths:
        t0 = time.perf_counter()
        status, _ = client.request("GET", p)
        out.append((time.perf_counter() - t0) * 1000)
        assert status == 200, (p, status)
    return out


def search_terms(rng: random.Random, n_cases: int, n: int) -> list[str]:
    """What people type: words without diacritics, capitals with them, and partial references."""
    words = ["phong tho", "TIN TÂY BẮC", "lai chau review", "hong bien", "doi song mien nui", "zalo", "tiktok"]
    refs = [f"{rng.randint(1, n_cases):06d}" for _ in range(n // 2)]
    return [words[i % len(words)] if i % 2 else refs[i // 2] for i in range(n)]


def browser_figures(port: int, case_id: int) -> tuple[str, str]:
    """(first-visit KB, slow-3G seconds) of a case page in Chromium, or ("n/a", "n/a") without it."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return "n/a", "n/a"
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=["--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(base + "/login")
        page.fill("#f-username", "assessor")
        page.fill("#f-password", PASSWORD)
        page.click("form button.primary")
        page.wait_for_load_state("load")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        carried: list[int] = []
        cdp.on("Network.loadingFinished", lambda e: carried.append(int(e["encodedDataLength"])))
        cdp.send("Network.clearBrowserCache")
        page.goto(f"{base}/cases/{case_id}", wait_until="load")
        page.wait_for_timeout(200)
        first_kb = sum(carried) / 1024
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000})
        t0 = time.perf_counter()
        page.goto(f"{base}/cases/{case_id + 1}", wait_until="load")
        slow = time.perf_counter() - t0
        browser.close()
    print(f"  case page in Chromium: first visit {first_kb:.1f} KB on the wire; slow 3G {slow:.2f} s", flush=True)
    return f"{first_kb:.1f}", f"{slow:.2f}"


def summary(name: str, ms: list[float]) -> tuple[float, float]:
    p50 = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20)[18]
    print(f"  {name:<32} n={len(ms):<4} p50={p50:7.2f} ms  p95={p95:7.2f} ms  max={max(ms):7.2f} ms", flush=True)
    return p50, p95


@contextmanager
def _database(keep: Path | None) -> Iterator[tuple[str, bool]]:
    """(url, whether it must be seeded): a fresh temporary database, or `keep`, seeded on first use."""
    if keep is None:
        with sqlite_database() as url:
            yield url, True
        return
    url = f"sqlite:///{keep.resolve()}"
    fresh = not keep.exists()
    migrate.upgrade(url)  # a file seeded by an older revision gains the newer indexes
    yield url, fresh


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--keep", type=Path, help="a database file to seed once and reuse (a million cases take long to seed)")
    ap.add_argument("--lean", action="store_true", help="seed case rows without their history (for --cases 1000000)")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium figures (case_first_visit_kb, case_3g_s)")
    args = ap.parse_args()

    import os

    os.environ.setdefault("PRESSCASE_SECRET_KEY", "bench-secret")
    from waitress.server import create_server

    from web import create_app

    with _database(args.keep) as (url, fresh):
        rt = Runtime.from_url(url)
        if fresh:
            seed_org(rt)
            seed_people(rt)
            t0 = time.perf_counter()
            bulk_cases(rt, args.cases, rt.clock.now().astimezone(UTC), lean=args.lean)
            print(f"setup: {args.cases} cases in {time.perf_counter() - t0:.1f} s ({url})", flush=True)
        else:
            rt.load_definitions()
            with rt.read_session() as s:
                args.cases = s.scalar(sa.select(sa.func.count()).select_from(Case)) or 0
            print(f"setup: reusing {url} with {args.cases} cases", flush=True)
        app = create_app({"RUNTIME": rt, "SECRET_KEY": "bench-secret"})
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        port = server.effective_port  # type: ignore[attr-defined]

        rng = random.Random(7)
        n = args.requests
        worst: dict[str, float] = {}
        clients: dict[str, Client] = {}
        for username, _unit, _roles in [*BENCH_USERS, *EXTRA_USERS]:
            clients[username] = Client(port)
            clients[username].login(username)
        assessor = clients["assessor"]
        timed(assessor, ["/worklist"] * 20 + [f"/cases/{rng.randint(1, args.cases)}" for _ in range(20)])  # warm up
        print("timings (real HTTP to waitress, signed in):", flush=True)
        w50, w95 = summary("worklist page 1 (assessor)", timed(assessor, ["/worklist"] * n))
        worst["assessor"] = w95
        for label, username, path in ROLE_PAGES:
            timed(clients[username], [path] * 3)  # warm up
            worst[label] = summary(f"{path} ({label})", timed(clients[username], [path] * (n // 3)))[1]
        with rt.read_session() as s:
            unit_of = {code: uid for code, uid in s.execute(sa.select(Unit.code, Unit.id))}
        for label, username, query in FILTERS:
            path = "/worklist?" + urlencode({k: unit_of[v] if k == "unit" else v for k, v in query.items()})
            timed(clients[username], [path] * 3)
            times = timed(clients[username], [path] * max(n // 6, 10))  # 36 of them: fewer each, to keep the run short
            worst[f"{label} ({username})"] = summary(f"{label} ({username})", times)[1]
        slowest = max(worst, key=lambda k: worst[k])
        c50, c95 = summary("case page (random case)", timed(assessor, [f"/cases/{rng.randint(1, args.cases)}" for _ in range(n)]))
        reporter = clients["reporter"]
        terms = search_terms(rng, args.cases, n)
        timed(assessor, [f"/search?{urlencode({'q': t})}" for t in terms[:20]])  # warm up
        found = timed(assessor, [f"/search?{urlencode({'q': t})}" for t in terms])
        found += timed(reporter, [f"/search?{urlencode({'q': t})}" for t in terms[: n // 3]])
        s50, s95 = summary("search (assessor and reporter)", found)
        summary("search by state (published)", timed(assessor, ["/search?state=published"] * (n // 3)))
        public = Client(port)  # the public register, signed out: its first page, a later one, a year, the feed
        year = rt.clock.now().year
        register_pages = ["/cong-khai", "/cong-khai?page=5", f"/cong-khai?year={year}", "/cong-khai/feed.atom"]
        timed(public, register_pages * 3)
        r50, r95 = summary("public register (signed out)", timed(public, register_pages * (n // 12)))
        kb, slow = ("n/a", "n/a") if args.no_browser else browser_figures(port, rng.randint(1, args.cases - 1))
        server.close()
        rt.engine.dispose()
    emit({"worklist_p50_ms": f"{w50:.1f}", "worklist_p95_ms": f"{w95:.1f}",
          "worklist_worst_p95_ms": f"{worst[slowest]:.1f}", "worklist_worst": slowest.replace(" ", "_"),
          "case_p50_ms": f"{c50:.1f}",
          "case_p95_ms": f"{c95:.1f}", "search_p50_ms": f"{s50:.1f}", "search_p95_ms": f"{s95:.1f}",
          "register_p50_ms": f"{r50:.1f}", "register_p95_ms": f"{r95:.1f}",
          "case_first_visit_kb": kb, "case_3g_s": slow})  # fmt: skip


if __name__ == "__main__":
    main()
