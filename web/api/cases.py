"""Cases through the API: the list, one case, its history, its actions, firing one, and evidence.

A thin adapter like the pages: reads go through engine.read.queries (the policy's visibility and
the confidentiality projection), changes through engine.cases.commands. A case the caller may not
see is 404, exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict

from flask import Blueprint, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from engine.cases import commands as service
from engine.cases import policy
from engine.cases.evidence import Upload, typed_filename
from engine.errors import InvalidData, NotFound
from engine.org.actors import Actor
from engine.read import queries
from engine.read.projection import Directory
from engine.store.models import Attachment
from web.access import runtime
from web.api import present, schemas
from web.api.bearer import api_actor
from web.api.problems import api_lang
from web.api.retries import retry_key, run_once
from web.api.spec import BINARY, body, json_response, operation, query
from web.cases import content_disposition
from web.forms import clean_text

bp = Blueprint("api_cases", __name__)
TAG = "cases"


def _filter(q: schemas.CaseQuery) -> queries.WorklistFilter:
    return queries.WorklistFilter(
        state=q.state, kind=q.kind, workflow=q.workflow, unit_id=q.holding_unit, overdue_only=q.overdue,
        search=clean_text(q.q, 200).strip() or None, open_only=q.status == "open", closed_only=q.status == "finished",
    )  # fmt: skip


def _page(s: Session, actor: Actor, q: schemas.CaseQuery) -> queries.Page:
    """The worklist's and the search's own queries, with the scope and the order the client chose.

    "my_work" and "waiting" are the worklist itself, read branch by branch in deadline order (the
    only order its indexes serve at a million cases); "all" is the search, newest first, or every
    visible case merged in deadline order.
    """
    rt = runtime()
    f, now = _filter(q), rt.clock.now()
    if q.scope != "all":
        return queries.worklist(s, rt.registry, actor, now, f, q.page, q.per_page, responsible=q.scope == "my_work")
    if q.sort == "newest":
        return queries.visible_cases(s, rt.registry, actor, now, f, q.page, q.per_page)
    return queries.visible_cases_by_deadline(s, rt.registry, actor, now, f, q.page, q.per_page)


@operation(bp, "/cases", "/cases", summary="Cases you may see", tag=TAG, query=schemas.CaseQuery,
           ok=(200, schemas.CasePage))  # fmt: skip
def list_cases() -> Response:
    q = query(schemas.CaseQuery)
    rt, actor, lang = runtime(), api_actor(), api_lang()
    with rt.read_session() as s:
        page = _page(s, actor, q)
        directory = Directory.load(s)
        items = [schemas.CaseSummary(**present.summary_fields(c, rt.registry.get(c.workflow_name, c.workflow_version),
                                                              directory, lang)) for c in page.items]  # fmt: skip
    return json_response(schemas.CasePage(items=items, page=page.page, per_page=page.per_page, total=page.total,
                                          total_capped=page.capped, has_next=page.has_next))  # fmt: skip


@operation(bp, "/cases/<id:case_id>", "/cases/{case_id}", summary="One case", tag=TAG, ok=(200, schemas.CaseDetail),
           description="The filer is named only to those the definition lets know them (else only the kind of unit).")
def get_case(case_id: int) -> Response:
    rt = runtime()
    with rt.read_session() as s:
        cv = queries.case_view(s, rt.registry, api_actor(), case_id=case_id)
        return json_response(present.case_detail(cv, Directory.load(s), api_lang()))


@operation(bp, "/cases/<id:case_id>/history", "/cases/{case_id}/history", summary="The case's history", tag=TAG,
           ok=(200, schemas.History))  # fmt: skip
def case_history(case_id: int) -> Response:
    rt = runtime()
    with rt.read_session() as s:
        cv = queries.case_view(s, rt.registry, api_actor(), case_id=case_id)
        return json_response(present.history(cv, api_lang()))


@operation(bp, "/cases/<id:case_id>/actions", "/cases/{case_id}/actions", summary="Actions you may take now", tag=TAG,
           ok=(200, schemas.Actions), description="Each with the fields it takes, from the case's definition.")
def case_actions(case_id: int) -> Response:
    rt, actor, lang = runtime(), api_actor(), api_lang()
    with rt.read_session() as s:
        case, defn = queries.load_visible_case(s, rt.registry, actor, case_id=case_id)
        items = [present.action(s, defn, case.id, t, lang) for t in policy.allowed_transitions(defn, case, actor)]
        return json_response(schemas.Actions(case_id=case.id, version=case.version, state=case.state, items=items))


def uploads(files: list[schemas.EvidenceUpload]) -> list[Upload]:
    """Evidence as sent; its type and size are judged on the content by engine.cases.evidence."""
    out = []
    for i, f in enumerate(files):
        try:
            content = base64.b64decode(f.content_base64, validate=True)
        except (binascii.Error, ValueError) as err:
            raise InvalidData({f"evidence.{i}.content_base64": ("Không phải base64 hợp lệ.", "Not valid base64.")}) from err
        out.append(Upload(clean_text(f.filename, 255).strip() or "evidence", content))
    return out


def _known_trigger(trigger: str) -> None:
    if not any(t.trigger == trigger for d in runtime().registry.all() for t in d.transitions):
        raise NotFound(f"No action {trigger!r}.", f"Không có thao tác {trigger!r}.")


@operation(bp, "/cases/<id:case_id>/actions/<trigger>", "/cases/{case_id}/actions/{trigger}", "POST",
           summary="Take an action", tag=TAG, body=schemas.FireRequest, ok=(200, schemas.Outcome), errors=(403, 409),
           description="Made against `version`; a case changed since is 409 `stale-version` and nothing is written. "
                       "Evidence sent here is attached to the action's history event.")  # fmt: skip
def fire(case_id: int, trigger: str) -> Response:
    req = body(schemas.FireRequest)
    actor = api_actor()
    _known_trigger(trigger)
    files = uploads(req.evidence)
    out, _replayed = run_once(retry_key(actor), lambda uow: service.fire(
        uow, case_id, trigger, actor, req.data, expected_version=req.version, uploads=files,
        confirm_unstaffed=req.confirm_unstaffed))  # fmt: skip
    return json_response(schemas.Outcome(**asdict(out)))


@operation(bp, "/cases/<id:case_id>/evidence/<id:attachment_id>", "/cases/{case_id}/evidence/{attachment_id}",
           summary="Download an evidence file", tag=TAG, ok=(200, BINARY))  # fmt: skip
def evidence(case_id: int, attachment_id: int) -> Response:
    rt = runtime()
    with rt.read_session() as s:
        queries.load_visible_case(s, rt.registry, api_actor(), case_id=case_id)
        att = s.scalar(select(Attachment).options(undefer(Attachment.content))
                       .where(Attachment.id == attachment_id, Attachment.case_id == case_id))  # fmt: skip
        if att is None:
            raise NotFound("No such evidence file.", "Không có tệp bằng chứng này.")
        response = Response(att.content, mimetype=att.content_type)
        response.headers["Content-Disposition"] = content_disposition(typed_filename(att.filename, att.content_type))
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
