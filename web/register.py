"""The public register at /cong-khai: results, one page per result, an Atom feed, JSON, statistics.

No sign-in. Everything shown comes from engine.read.public_register (a projection that can only hold public
fields) and engine.read.public_statistics (suppressed counts); this module only formats. Every page is
cacheable: its ETag is derived from what the register depends on, so a conditional GET is
answered 304 before anything is rendered.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.cases import policy
from engine.cases.clean_text import deep_safe, strip_forbidden
from engine.cases.validation import validate
from engine.errors import InvalidData
from engine.read import public_register
from engine.read.public_register import (
    SEARCH_MAX,
    PublicResult,
    RegisterFilter,
    feed_results,
    filter_choices,
    freshness,
    get_result,
    list_results,
    registered,
    years,
)
from engine.read.public_statistics import PUBLICATION_DELAY_DAYS, published_until, statistics
from engine.read.queries import load_visible_case
from engine.store.models import Case
from engine.time.clock import LOCAL_TZ
from engine.time.workday_index import ensure
from web.access import current_actor, runtime
from web.forms import arg_int, arg_text
from web.i18n import lang, local_date, money
from web.links import external_url
from workflows.definition import Definition

bp = Blueprint("register", __name__)

REFERENCE_RE = re.compile(r"[A-Za-z]{1,10}-\d{4}-\d{1,9}")
ATOM = "http://www.w3.org/2005/Atom"
MAX_AGE = 60  # seconds a browser or proxy may reuse a page without asking again


def public_url(case: Case) -> str | None:
    """The case's entry on the public register once it is published there (None before, and for workflows
    with no `[register]`)."""
    reg = registered(runtime().registry).get(case.workflow_name)
    if reg is not None and case.state == reg.published_state:
        return url_for("register.detail", reference=case.reference)
    return None


def previewable(defn: Definition, trigger: str) -> bool:
    """Whether the form of `trigger` offers "Xem trước": it publishes on the register or corrects what it published."""
    return public_register.previews(defn, trigger)


def _defn(workflow: str) -> Definition:
    return runtime().registry.latest(workflow)


def _stats_workflows() -> list[Definition]:
    """The workflows with statistics on the register: a `[register]` and a `[reporting]`, by position."""
    return [d for d in sorted(runtime().registry.latest_all(),
                              key=lambda d: (d.reporting.position if d.reporting else 100, d.name))
            if d.register is not None and d.reporting is not None]  # fmt: skip


def _stats_workflow() -> str:
    """The workflow whose statistics are asked for (`?workflow=`), the first registered one by default; 404 otherwise."""
    names = [d.name for d in _stats_workflows()]
    wanted = arg_text("workflow", 80)
    if not names or (wanted and wanted not in names):
        abort(404)
    return wanted or names[0]


def _conditional(seed: str, last_modified: datetime | None, render: Callable[[], Response]) -> Response:
    """304 when the client's copy is current (ETag or Last-Modified), else the rendered response with both."""
    who = current_user.get_id() if getattr(current_user, "is_authenticated", False) else ""
    etag = hashlib.sha256(f"{seed}|{request.full_path}|{lang()}|{who}".encode()).hexdigest()[:40]
    probe = Response()
    probe.set_etag(etag)
    if last_modified is not None:
        probe.last_modified = last_modified.astimezone(UTC).replace(microsecond=0)
    probe.make_conditional(request)
    response = probe if probe.status_code == 304 else render()
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = probe.last_modified
    # a signed-in person's page carries their name in the header: theirs alone, and not kept
    if who:
        response.cache_control.no_store = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = MAX_AGE
    response.vary.add("Cookie")
    return response


def _stable_seed(extra: str = "") -> tuple[str, datetime | None]:
    rt = runtime()
    with rt.read_session() as s:
        f = freshness(s, rt.registry, extra)
    return f.etag_seed, f.last_modified


def _filter() -> RegisterFilter:
    return RegisterFilter(
        kind=arg_text("kind", 60) or None, measure=arg_text("measure", 60) or None, year=arg_int("year"),
        subject=arg_text("subject", 300) or None, q=arg_text("q", SEARCH_MAX) or None,
    )  # fmt: skip


def _args(**changes: Any) -> dict[str, Any]:
    keep = {k: request.args.get(k) for k in ("kind", "measure", "year", "subject", "q", "lang") if request.args.get(k)}
    keep.update({k: v for k, v in changes.items() if v is not None})
    return keep


# ------------------------------------------------------------------ words


def _choice(defn: Definition, field_name: str | None, key: str, lg: str) -> dict[str, str]:
    f = defn.field_spec(field_name) if field_name else None
    label = defn.choice_label(f.choices, key, lg) if f is not None and f.choices else key
    return {"key": key, "label": label}


def view(r: PublicResult) -> dict[str, Any]:
    """A result in the current language, for the pages, the feed and the JSON alike; the words are its
    definition's (`[register]` says which public field plays which part).

    Its text is cleaned of code points XML 1.0 forbids (engine/cases/clean_text.py): a value stored before
    the door refused them must not make the Atom feed invalid XML, and history cannot be edited."""
    lg = lang()
    defn = runtime().registry.get(r.workflow, r.workflow_version)
    reg = defn.register
    assert reg is not None  # only registered workflows are projected
    measures_list = (defn.field_spec(reg.measures_field).choices if reg.measures_field and defn.field_spec(reg.measures_field)
                     else None)  # fmt: skip
    amounts = dict(r.amounts)
    measures = []
    for key in r.measures:
        item = defn.lists.get(measures_list or "", {}).get(key, {})
        basis = defn.basis_text(item.get("basis"), str(item.get("article", ""))) if item else ""
        amount_field = defn.field_spec(reg.measure_amounts[key]) if key in reg.measure_amounts else None
        amount = ""
        if key in amounts and amount_field is not None:
            amount = money(amounts[key]) if amount_field.type == "money" else f"{amounts[key]} ({amount_field.label(lg)})"
        measures.append({"key": key, "label": defn.choice_label(measures_list, key, lg) if measures_list else key,
                         "legal_basis": basis, "amount": amount})  # fmt: skip
    extra = []
    for name, value in r.extra:
        f = defn.field_spec(name)
        if f is not None:
            shown = value
            if f.type == "choice" and f.choices:
                shown = defn.choice_label(f.choices, str(value), lg)
            elif f.type == "date":
                shown = local_date(value)
            elif f.type == "money":
                shown = money(value)
            extra.append({"name": name, "label": f.label(lg), "value": str(shown)})
    return deep_safe({
        "reference": r.reference,
        "workflow": {"key": defn.name, "label": defn.label(lg), "title": reg.title(lg)},
        "url": external_url("register.detail", reference=r.reference),
        "published_at": r.published_at, "updated_at": r.updated_at,
        "subject": r.subject,
        "subject_type": _choice(defn, reg.subject_type_field, r.subject_type, lg),
        "kind": _choice(defn, reg.kind_field, r.kind, lg),
        "outcome": _choice(defn, reg.outcome_field, r.outcome, lg),
        "measures": measures, "amounts": dict(r.amounts),
        "decision": {"number": r.decision_number, "date": r.decision_date, "body": r.deciding_body,
                     "decided_by": r.decided_by, "legal_basis": r.legal_basis},
        "summary": r.summary,
        "details": extra,
        "corrections": [{"seq": c.seq, "at": c.at, "text": c.text} for c in r.corrections],
        "evidence": [{"sha256": e.sha256, "content_type": e.content_type, "size": e.size} for e in r.evidence],
    })  # fmt: skip


def _labelled(choices: dict[str, str]) -> list[tuple[str, str]]:
    """(key, label in the reader's language) of the register's filter choices."""
    lg = lang()
    rt = runtime()
    out = []
    for key, label in choices.items():
        for d in rt.registry.latest_all():
            if d.register is None:
                continue
            for lst in d.lists.values():
                if key in lst and lst[key].get("vi") == label:
                    label = str(lst[key].get(lg) or label)
        out.append((key, label))
    return out


def _json_default(value: Any) -> str:
    return value.isoformat()


# ------------------------------------------------------------------ pages


@bp.route("/cong-khai")
def index() -> Response:
    seed, last = _stable_seed()

    def render() -> Response:
        rt = runtime()
        f = _filter()
        with rt.read_session() as s:
            page = list_results(s, rt.registry, f, page=arg_int("page", 1) or 1)
            year_list = years(s, rt.registry)
        body = render_template(
            "register/index.html", page=page, results=[view(r) for r in page.items], f=f.cleaned(rt.registry),
            kinds=_labelled(filter_choices(rt.registry, "kind")),
            measures=_labelled(filter_choices(rt.registry, "measures")),
            years=year_list, page_url=lambda n: url_for("register.index", **_args(page=n)),
            json_url=url_for("register.listing_json", **_args(page=page.page)),
        )  # fmt: skip
        return Response(body, mimetype="text/html")

    return _conditional(seed, last, render)


@bp.route("/cong-khai.json")
def listing_json() -> Response:
    seed, last = _stable_seed("json")

    def render() -> Response:
        rt = runtime()
        with rt.read_session() as s:
            page = list_results(s, rt.registry, _filter(), page=arg_int("page", 1) or 1)
        doc = {
            "register": external_url("register.index"),
            "language": lang(),
            "page": page.page, "per_page": page.per_page, "total": page.total, "total_is_capped": page.capped,
            "next": external_url("register.listing_json", **_args(page=page.page + 1)) if page.has_next else None,
            "results": [view(r) for r in page.items],
        }  # fmt: skip
        text = json.dumps(doc, ensure_ascii=False, default=_json_default, indent=1)
        return Response(text, mimetype="application/json")

    response = _conditional(seed, last, render)
    response.access_control_allow_origin = "*"  # portals may read it from their own pages
    return response


@bp.route("/cong-khai/<reference>")
def detail(reference: str) -> Response:
    if not REFERENCE_RE.fullmatch(reference):
        abort(404)
    seed, last = _stable_seed("detail")

    def render() -> Response:
        rt = runtime()
        with rt.read_session() as s:
            r = get_result(s, rt.registry, reference)
        if r is None:
            abort(404)
        return Response(render_template("register/detail.html", r=view(r)), mimetype="text/html")

    return _conditional(seed, last, render)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        e.text = strip_forbidden(text)
    return e


def _entry_text(v: dict[str, Any]) -> str:
    """The entry's text in the feed's language. Each phrase is a whole catalogue message (a `_()`
    inside an f-string is invisible to the extractor, which left "Biện pháp:" untranslated)."""
    lines = [v["summary"], "", _("Đối tượng: %(s)s", s=v["subject"]), _("Loại vi phạm: %(s)s", s=v["kind"]["label"])]
    for m in v["measures"]:
        text = _("Biện pháp: %(s)s", s=m["label"]) + (f": {m['amount']}" if m["amount"] else "")
        lines.append(text + (f" ({m['legal_basis']})" if m["legal_basis"] else ""))
    if not v["measures"] and v["outcome"]["key"]:
        lines.append(v["outcome"]["label"])
    lines += [f"{d['label']}: {d['value']}" for d in v["details"]]
    d = v["decision"]
    lines.append(_("Quyết định: %(number)s ngày %(date)s, %(body)s", number=d["number"], date=local_date(d["date"]),
                   body=d["body"]))  # fmt: skip
    for i, c in enumerate(v["corrections"], 1):
        lines.append(_("Đính chính %(i)d (%(date)s): %(text)s", i=i, date=local_date(c["at"]), text=c["text"]))
    return "\n".join(lines)


@bp.route("/cong-khai/feed.atom")
def feed() -> Response:
    seed, last = _stable_seed("atom")

    def render() -> Response:
        rt = runtime()
        with rt.read_session() as s:
            results = [view(r) for r in feed_results(s, rt.registry)]
        ET.register_namespace("", ATOM)
        root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": lang()})
        _el(root, "id", external_url("register.index"))
        _el(root, "title", _("Công khai kết quả xử lý vi phạm báo chí"))
        _el(root, "updated", (last or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat())
        _el(_el(root, "author"), "name", _("Công khai kết quả xử lý vi phạm báo chí"))
        _el(root, "link", rel="self", href=external_url("register.feed"))
        _el(root, "link", rel="alternate", href=external_url("register.index"), type="text/html")
        for v in results:
            entry = _el(root, "entry")
            _el(entry, "id", v["url"])
            _el(entry, "title", f"{v['reference']}: {v['subject']} — {v['kind']['label']}")
            _el(entry, "updated", v["updated_at"].astimezone(UTC).isoformat())
            _el(entry, "published", v["published_at"].astimezone(UTC).isoformat())
            _el(entry, "link", rel="alternate", href=v["url"], type="text/html")
            _el(entry, "summary", v["summary"])
            _el(entry, "content", _entry_text(v), type="text")
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return Response(body, mimetype="application/atom+xml")

    return _conditional(seed, last, render)


@bp.route("/cong-khai/thong-ke")
def stats() -> Response:
    """The published months only; the ETag is the figures themselves and Last-Modified the end of the
    last published month, so neither moves when a report is filed (engine.read.public_statistics)."""
    rt = runtime()
    now = rt.clock.now()
    this_year = now.astimezone(LOCAL_TZ).year
    year = arg_int("year", this_year, 2000, this_year) or this_year
    workflow = _stats_workflow()
    ensure(rt)  # the figures module reads the working-day index
    with rt.read_session() as s:
        st = statistics(s, rt.registry, rt.calendar, year, now, workflow)
    seed = hashlib.sha256(repr((st, _defn(workflow).checksum)).encode()).hexdigest()
    published = published_until(now)  # moves once a month, whatever is filed

    def render() -> Response:
        defn = _defn(workflow)
        lg = lang()
        r = defn.reporting
        kind_list = r.kind_list if r else None
        kind_labels = {k: defn.choice_label(kind_list, k, lg) for k in defn.lists.get(kind_list, {})} if kind_list else {}
        body = render_template("register/stats.html", st=st, kind_labels=kind_labels,
                               kind_label=r.kind_label(lg) if r else "", workflow=workflow,
                               title=defn.register.title(lg) if defn.register else defn.label(lg),
                               others=[(d.name, d.register.title(lg) if d.register else d.label(lg), year)
                                       for d in _stats_workflows() if d.name != workflow],
                               years=list(range(this_year, this_year - 6, -1)),
                               delay_days=PUBLICATION_DELAY_DAYS)  # fmt: skip
        return Response(body, mimetype="text/html")

    return _conditional(seed, published, render)


def preview_for(case_id: int, trigger: str, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """The public view the publish (or correction) form would produce, or the form's errors; nothing is written.

    Only for someone who may fire the trigger now; otherwise (None, None) and the form page
    itself answers 403 or 409 as it does for any transition.
    """
    rt = runtime()
    actor = current_actor()
    with rt.read_session() as s:
        case, defn = load_visible_case(s, rt.registry, actor, case_id=case_id)
        t = next((t for t in policy.allowed_transitions(defn, case, actor) if t.trigger == trigger), None)
        if t is None:
            return None, None
        try:
            cleaned = validate(defn, t, data)
        except InvalidData as err:
            return None, err.field_messages(lang())
        r = public_register.preview(s, rt.registry, case_id, trigger, cleaned, rt.clock.now(), actor.unit_id)
        return (view(r) if r else None), None
