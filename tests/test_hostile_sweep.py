"""The hostile-input sweep: every form and query parameter of every page, as every role, with generated values.

Nothing here names a page: the routes come from the app's url_map (path arguments filled from the
data: cases, files, triggers, references), and the forms and query parameters from the HTML those
routes render, for every role; a page or form added later is swept without touching this file.
Each form is also posted by the roles that are not shown it (a forged request), since the server,
not the page, must refuse.

Values come from Hypothesis: empty and very long strings, every code point XML 1.0 forbids and
the bidirectional controls, wrong types, huge and negative numbers, far dates, unknown triggers
and states, markup and SQL fragments, and sometimes the field's own valid options so that real
transitions fire too. The assertions: no response is a 5xx (TESTING lets an unhandled error
propagate, so a 500 fails loudly with its traceback), and no case changes unless the role that
posted may change it (the engine's policy decides), and the history chain still verifies.

Budget: a couple of dozen examples per form and per page's query string, derandomised so a failure
reproduces; SQLite only (the engine's own tests cover PostgreSQL).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from engine.cases import commands as service
from engine.cases import policy
from engine.cases.clean_text import BIDI_CONTROLS
from engine.cases.evidence import Upload
from engine.cases.history import verify_all
from engine.org.actors import Actor
from engine.store.models import Attachment, Case, User
from tests.support import REPORT, Org, case_in
from tests.test_web_fixtures import PNG, Web, signed_in

pytest_plugins = ["tests.test_web_fixtures"]

EXAMPLES = 20  # per form and per page's query string
ROLES = ["reporter", "assessor", "handler", "publisher", "leader", "supervisor", "admin"]  # admin last: it edits users
SKIP_ACTIONS = ("/logout",)
NO_FOLLOW = ("/dashboard/report.", "/cong-khai")  # downloads and the public register: visited once from the url_map
MAX_PAGES = 100  # per role  # signing out takes no values and would end the sweeping session

# What a hostile value may be.
FORBIDDEN = [chr(c) for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\ufffe", "\uffff"] + list(BIDI_CONTROLS)
FAR_DATES = ["0000-00-00", "0001-01-01", "9998-01-01", "9999-12-31", "31/12/9999", "2026-02-30", "1e9", "２０２６-０１-０１",
             "0000", "0001", "9999", "9999-12", "0001-Q1", "9999-H2", "9999-12-31..9999-12-31", "２０２６"]
WORDS = ["no_such_trigger", "no_such_state", "reported", "published", "__proto__", "None", "null", "true", "[]", "{}"]
FRAGMENTS = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "' OR 1=1 --", "'; DROP TABLE cases; --",
             "%00", "../../etc/passwd", "{{7*7}}", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1", "-1", "\t=1", "\r=1"]
# Every query parameter of every page also gets each of these once, as a role that sees the page:
# random draws alone reach a particular period like `9999-12` too rarely to be a regression test.
CATALOGUE = ["", "Đ" * 5000, "a\x00b", "Trang\uffff", "x\u202ey", "-1", "9" * 40, "1e309", "abc", "0000", "9999", "9999-12",
             "0001-Q1", "9999-12-31..9999-12-31", "２０２６", "2026-02-30", "no_such_state", "' OR 1=1 --",
             "<script>alert(1)</script>", "%00", "../../etc/passwd"]
NUMBERS = st.one_of(st.integers(-(10**30), 10**30).map(str),
                    st.sampled_from(["-1", "0", "2147483648", "9" * 40, "1e309", "NaN", "1.5", "0x10", "١٢", "０"]))  # fmt: skip
FILES = [PNG, b"GIF89a<svg onload=alert(1)>", b"", b"MZ\x90\x00", b"%PDF-1.4\n" + b"\x00" * 100]


def hostile(options: list[str]) -> st.SearchStrategy[str]:
    parts = [
        st.just(""),
        st.text(max_size=40),
        st.text(alphabet=st.sampled_from(FORBIDDEN), min_size=1, max_size=4).map(lambda s: "Trang" + s + "X"),
        NUMBERS,
        st.sampled_from(FAR_DATES + WORDS + FRAGMENTS),
        st.integers(1_000, 120_000).map(lambda n: "Đ" * n),
    ]
    if options:
        parts.append(st.sampled_from(options))
    return st.one_of(*parts)


# ------------------------------------------------------------------ reading pages


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> options (values seen)
    files: set[str] = field(default_factory=set)
    multi: set[str] = field(default_factory=set)

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """Forms on different cases with the same shape are one form: `/cases/N/...` is generalised."""
        return self.method, re.sub(r"/\d+", "/N", self.action), tuple(sorted(self.fields))


class PageParser(HTMLParser):
    """The forms of a page (inputs, selects with their options, textareas, named buttons) and its links' queries."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.query_names: set[str] = set()
        self.links: set[str] = set()
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or urlsplit(self.page_url).path
            self._form = Form(a.get("method", "get").lower(), action)
            self.forms.append(self._form)
        elif tag == "a" and a.get("href", "").startswith("/") and not a["href"].startswith("/static/"):
            self.links.add(a["href"].split("#")[0])
            self.query_names |= {k for k, _v in parse_qsl(urlsplit(a["href"]).query, keep_blank_values=True)}
        if self._form is None:
            return
        name = a.get("name")
        if tag in ("input", "textarea", "button") and name:
            values = self._form.fields.setdefault(name, [])
            if a.get("value"):
                values.append(a["value"])
            if a.get("type") == "file":
                self._form.files.add(name)
            if a.get("type") == "checkbox":
                self._form.multi.add(name)
        elif tag == "select" and name:
            self._select = name
            self._form.fields.setdefault(name, [])
            if "multiple" in a:
                self._form.multi.add(name)
        elif tag == "option" and self._select:
            self._form.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@dataclass
class Pools:
    """Values for path arguments, read from the data (a bad id is included: the 404 path is swept too)."""

    values: dict[str, list[Any]]

    def for_arg(self, name: str, converter: object) -> list[Any]:
        if isinstance(converter, AnyConverter):
            return sorted(converter.items)
        return self.values.get(name, [1, 999_999])


def _each_value_once(choices: list[list[Any]]) -> list[tuple[Any, ...]]:
    """Combinations in which every value of every argument appears at least once (not the full product:
    the pages link to the combinations that matter, e.g. a case's allowed actions, and those are followed)."""
    if not choices:
        return [()]
    out = {tuple(c[0] for c in choices)}
    for i, values in enumerate(choices):
        for v in values:
            out.add(tuple(v if j == i else c[0] for j, c in enumerate(choices)))
    return sorted(out, key=repr)


def urls_of(app: Flask, pools: Pools) -> tuple[list[str], list[tuple[str, str]]]:
    """Every GET url and every POST-only rule's urls, built from the url_map with the pools' values."""
    gets: list[str] = []
    posts: list[tuple[str, str]] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        args = sorted(rule.arguments)
        choices = [pools.for_arg(a, rule._converters[a]) for a in args]  # noqa: SLF001 - the rule's own converters
        for combo in _each_value_once(choices):
            _domain, path = rule.build(dict(zip(args, combo, strict=True)))
            if "GET" in (rule.methods or set()):
                gets.append(path)
            else:
                posts.append((rule.endpoint, path))
    return gets, posts


# ------------------------------------------------------------------ the world


def _seed(org: Org) -> Pools:
    """Cases in several states, with files; and a user an admin may change (never a sweeping role)."""
    ids = []
    for state in ("reported", "awaiting_info", "assessed", "handled", "published", "dismissed"):
        ids.append(case_in(org, state).case_id)
    with org.rt.uow() as uow:
        out = service.file_report(uow, org.actor("reporter"), "press_violation", REPORT, [Upload("anh.png", PNG)])
    ids.append(out.case_id)
    victim = org.as_role("reporter", "CB-MS")
    with org.rt.read_session() as s:
        att = list(s.scalars(select(Attachment.id)))
        refs = list(s.scalars(select(Case.reference)))
        assert victim.user_id is not None and s.get(User, victim.user_id) is not None
    triggers = sorted({t.trigger for d in org.rt.registry.all() for t in d.transitions}) + ["no_such_trigger"]
    return Pools({"case_id": [*ids, 999_999], "attachment_id": [*att, 999_999], "trigger": triggers,
                  "reference": [*refs[:2], "PA-9999-999999", "x"], "user_id": [victim.user_id, 999_999],
                  "item_id": [1, 999_999], "outbox_id": [1, 999_999], "digest_id": [1, 999_999]})  # fmt: skip


def _may_change(org: Org, actor: Actor) -> dict[int, tuple[int, bool]]:
    """Every case's version, and whether the policy lets `actor` change it at all (any action)."""
    out = {}
    with org.rt.read_session() as s:
        for case in s.scalars(select(Case)):
            defn = org.rt.registry.get(case.workflow_name, case.workflow_version)
            may = policy.can_see(defn, case, actor) and bool(
                policy.allowed_transitions(defn, case, actor) or policy.may_extend(defn, case, actor)
                or policy.may_supersede_evidence(defn, case, actor)
            )  # fmt: skip
            out[case.id] = (case.version, may)
    return out


def _check_no_forbidden_change(org: Org, who: str, before: dict[int, tuple[int, bool]], what: str) -> None:
    after = _may_change(org, org.actor(who))
    for case_id, (version, may) in before.items():
        if not may:
            assert after[case_id][0] == version, f"{who} changed case {case_id}, which they may not change: {what}"


def _assert_not_5xx(status: int, what: str) -> None:
    assert status < 500, what


# ------------------------------------------------------------------ the sweep

WHO = st.sampled_from([*ROLES, "anonymous"])
HYPOTHESIS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))  # fmt: skip


def _sweep_form(org: Org, pools: Pools, clients: dict[str, Web], form: Form) -> Any:
    """A Hypothesis test posting generated values to one form, as any role, against any case."""

    @HYPOTHESIS
    @given(data=st.data())
    def post_form(data: st.DataObject) -> None:
        who = data.draw(WHO, label="role")
        w = clients[who]
        action = form.action
        if re.search(r"/cases/\d+", action):  # the same form against another case (perhaps one not theirs)
            other = data.draw(st.sampled_from(pools.values["case_id"]), label="case")
            action = re.sub(r"/cases/\d+", f"/cases/{other}", action, count=1)
        values: dict[str, Any] = {}
        for name, options in form.fields.items():
            if name == "csrf_token":
                if data.draw(st.booleans(), label="real csrf"):
                    values[name] = w.token() if who != "anonymous" else ""
                continue
            if name in form.files:
                content = data.draw(st.sampled_from(FILES), label=f"{name} content")
                values[name] = (BytesIO(content), data.draw(hostile([".png"]), label=f"{name} name")[:300] or "x")
            elif name in form.multi:
                values[name] = data.draw(st.lists(hostile(options), max_size=3), label=name)
            elif data.draw(st.integers(0, 9), label=f"omit {name}") == 0:
                continue
            else:
                values[name] = data.draw(hostile(options), label=name)
        before = _may_change(org, org.actor(who)) if who != "anonymous" else None
        r = w.client.post(action, data=values, content_type="multipart/form-data")
        _assert_not_5xx(r.status_code, f"POST {action} as {who}")
        if before is not None:
            _check_no_forbidden_change(org, who, before, f"POST {action}")

    return post_form


def _sweep_query(clients: dict[str, Web], path: str, names: frozenset[str]) -> Any:
    """A Hypothesis test sending generated values in a page's query parameters, as any role."""

    @HYPOTHESIS
    @given(data=st.data())
    def get_query(data: st.DataObject) -> None:
        who = data.draw(WHO, label="role")
        params = {n: data.draw(hostile([]), label=n)[:3000] for n in sorted(names) if data.draw(st.booleans())}
        r = clients[who].client.get(path, query_string=params)
        _assert_not_5xx(r.status_code, f"GET {path}?{params} as {who}")

    return get_query


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_form_and_query_of_every_page_as_every_role(app: Flask, org: Org, db_url: str) -> None:
    started = time.monotonic()
    pools = _seed(org)
    clients = {who: signed_in(app, who) for who in ROLES}
    clients["anonymous"] = Web(app)
    gets, posts = urls_of(app, pools)

    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    queries: dict[str, set[str]] = {}
    viewer: dict[str, str] = {}  # a page's shape -> a role it answered 200 to
    for who, w in clients.items():  # every page as every role, and the pages they link to; collect what they offer
        todo, seen = list(gets), set()
        while todo:
            url = todo.pop(0)
            if url in seen or len(seen) >= MAX_PAGES:
                continue
            seen.add(url)
            r = w.get(url)
            _assert_not_5xx(r.status_code, f"GET {url} as {who}")
            if r.status_code != 200 or r.mimetype != "text/html":
                continue
            parser = PageParser(url)
            parser.feed(r.get_data(as_text=True))
            todo += [link for link in sorted(parser.links) if link not in seen and not link.startswith(NO_FOLLOW)]
            path = urlsplit(url).path
            viewer.setdefault(re.sub(r"/\d+", "/N", path), who)
            queries.setdefault(path, set()).update(parser.query_names)
            for f in parser.forms:
                if f.method == "get":
                    queries.setdefault(urlsplit(f.action).path, set()).update(f.fields)
                elif not f.action.startswith(SKIP_ACTIONS):
                    forms.setdefault(f.key(), f)
    covered = {re.sub(r"/\d+", "/N", f.action) for f in forms.values()}
    for _endpoint, url in posts:  # POST-only routes no page offered: posted with no fields of their own
        if not url.startswith(SKIP_ACTIONS) and re.sub(r"/\d+", "/N", url) not in covered:
            forms.setdefault(("post", url, ()), Form("post", url))
    assert len(forms) >= 10 and any("/act/" in f.action for f in forms.values()), sorted(forms)
    assert any("period" in names for names in queries.values()) and any("/supersede" in f.action for f in forms.values())

    posted = time.monotonic()
    for form in forms.values():
        _sweep_form(org, pools, clients, form)()
    posted = time.monotonic() - posted
    crawled = time.monotonic()
    by_shape: dict[str, tuple[str, set[str]]] = {}  # /cases/3 and /cases/5 take the same parameters
    for path, names in queries.items():
        shape = by_shape.setdefault(re.sub(r"/\d+", "/N", path), (path, set()))
        shape[1].update(names - {"csrf_token"})
    for shape, (path, names) in by_shape.items():
        if not names:
            continue
        _sweep_query(clients, path, frozenset(names))()
        w = clients[viewer.get(shape, "anonymous")]
        for name in sorted(names):
            for value in CATALOGUE:
                r = w.client.get(path, query_string={name: value})
                _assert_not_5xx(r.status_code, f"GET {path}?{name}={value!r}")

    with org.rt.read_session() as s:
        assert verify_all(s)[1] == []  # the history chain holds after everything the sweep did
    for who in ROLES:  # nothing the sweep did locked a role out (an admin's forms only reach a spare account)
        signed_in(app, who)
    print(f"swept {len(forms)} forms ({posted:.0f} s) and {len(by_shape)} query strings ({time.monotonic() - crawled:.0f} s), "
          f"{EXAMPLES} examples each; crawl {crawled - started - posted:.0f} s")  # fmt: skip
