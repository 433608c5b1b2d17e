"""The public register's results as JSON: the same projection as /cong-khai (engine.read.public_register),
readable without a token, like the pages."""

from __future__ import annotations

from flask import Blueprint, Response

from engine.errors import NotFound
from engine.read import public_register
from engine.read.public_register import PublicResult, RegisterFilter
from web.access import runtime
from web.api import schemas
from web.api.spec import json_response, operation, query
from web.forms import clean_text

bp = Blueprint("api_public", __name__)


def _out(r: PublicResult) -> schemas.PublicResultOut:
    return schemas.PublicResultOut(
        reference=r.reference, published_at=r.published_at, updated_at=r.updated_at, subject=r.subject,
        subject_type=r.subject_type, kind=r.kind, outcome=r.outcome, measures=list(r.measures), amounts=dict(r.amounts),
        workflow=r.workflow, details=dict(r.extra), decision_number=r.decision_number, decision_date=r.decision_date,
        legal_basis=r.legal_basis, decided_by=r.decided_by, deciding_body=r.deciding_body, summary=r.summary,
        corrections=[schemas.CorrectionOut(seq=c.seq, at=c.at, text=c.text) for c in r.corrections],
        evidence=[schemas.FingerprintOut(sha256=e.sha256, content_type=e.content_type, size=e.size) for e in r.evidence],
    )  # fmt: skip


@operation(bp, "/public/results", "/public/results", summary="Published handling results", tag="public",
           query=schemas.PublicQuery, ok=(200, schemas.PublicResults), public=True)  # fmt: skip
def results() -> Response:
    q = query(schemas.PublicQuery)
    rt = runtime()
    f = RegisterFilter(kind=q.kind, measure=q.measure, year=q.year, q=q.q)
    with rt.read_session() as s:
        page = public_register.list_results(s, rt.registry, f, q.page, q.per_page)
    return json_response(schemas.PublicResults(items=[_out(r) for r in page.items], page=page.page, per_page=page.per_page,
                                               total=page.total, total_capped=page.capped, has_next=page.has_next))  # fmt: skip


@operation(bp, "/public/results/<reference>", "/public/results/{reference}", summary="One published result",
           tag="public", ok=(200, schemas.PublicResultOut), public=True)  # fmt: skip
def result(reference: str) -> Response:
    rt = runtime()
    with rt.read_session() as s:
        r = public_register.get_result(s, rt.registry, clean_text(reference, 30))
    if r is None:
        raise NotFound("No published result with this reference.", "Không có kết quả công khai với số hiệu này.")
    return json_response(_out(r))
