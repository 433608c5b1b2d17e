"""Filing a report through the API: the same command as the report form (engine.cases.commands.file_report)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response

from engine.cases import commands as service
from engine.errors import InvalidData
from web.access import runtime
from web.api import schemas
from web.api.bearer import api_actor
from web.api.cases import uploads
from web.api.retries import retry_key, run_once
from web.api.spec import body, json_response, operation

bp = Blueprint("api_reports", __name__)


@operation(bp, "/reports", "/reports", "POST", summary="File a report", tag="reports", body=schemas.ReportRequest,
           ok=(201, schemas.Outcome), errors=(403,), headers={201: {"Location": "The new case"}},
           description="`data` holds the creating transition's fields (`GET /definitions/{name}`); the case is filed "
                       "for the token user's unit. Evidence is attached to the filing.")  # fmt: skip
def file_report() -> Response:
    req = body(schemas.ReportRequest)
    actor = api_actor()
    if req.workflow not in {d.name for d in runtime().registry.latest_all()}:
        raise InvalidData({"workflow": ("Không có quy trình này.", "No such workflow.")})
    files = uploads(req.evidence)
    out, _replayed = run_once(retry_key(actor), lambda uow: service.file_report(
        uow, actor, req.workflow, req.data, files, confirm_unstaffed=req.confirm_unstaffed))  # fmt: skip
    return json_response(schemas.Outcome(**asdict(out)), 201, {"Location": f"/api/v1/cases/{out.case_id}"})
