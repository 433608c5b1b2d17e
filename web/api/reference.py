"""What a client needs to build its requests: who the token is, the units, and the workflow definitions
(states, actions, their fields, and the state machine as a Mermaid diagram)."""

from __future__ import annotations

from flask import Blueprint, Response, g
from sqlalchemy import select

from engine.errors import NotFound
from engine.read.projection import Directory
from engine.store.models import Unit
from web.access import runtime
from web.api import present, schemas
from web.api.bearer import api_actor
from web.api.problems import api_lang
from web.api.spec import json_response, operation, query
from workflows.unit_types import load_unit_types

bp = Blueprint("api_reference", __name__)


@operation(bp, "/me", "/me", summary="Who this token acts as", tag="reference", ok=(200, schemas.Me))
def me() -> Response:
    actor = api_actor()
    with runtime().read_session() as s:
        unit = present.unit_ref(Directory.load(s), actor.unit_id)
    username = g.api_bearer.username
    return json_response(schemas.Me(username=username, full_name=actor.name, unit=unit, roles=sorted(actor.roles),
                                    language=actor.language))  # fmt: skip


@operation(bp, "/units", "/units", summary="The units of the organisation", tag="reference", ok=(200, schemas.Units))
def units() -> Response:
    lang = api_lang()
    with runtime().read_session() as s:
        rows = list(s.scalars(select(Unit).order_by(Unit.id)))
        items = [schemas.UnitOut(id=u.id, code=u.code, name=u.name, type=u.type,
                                 type_label=load_unit_types().label(u.type, lang),
                                 parent_id=u.parent_id, active=bool(u.active)) for u in rows]  # fmt: skip
    return json_response(schemas.Units(items=items))


@operation(bp, "/definitions", "/definitions", summary="The loaded workflow definitions", tag="reference",
           ok=(200, schemas.Definitions))  # fmt: skip
def definitions() -> Response:
    registry, lang = runtime().registry, api_lang()
    newest = {d.name: d.version for d in registry.latest_all()}
    items = [schemas.DefinitionSummary(name=d.name, version=d.version, label=d.label(lang),
                                       latest=newest.get(d.name) == d.version) for d in registry.all()]  # fmt: skip
    return json_response(schemas.Definitions(items=items))


@operation(bp, "/definitions/<name>", "/definitions/{name}", summary="One workflow definition, with its diagram",
           tag="reference", query=schemas.DefinitionQuery, ok=(200, schemas.DefinitionDetail))  # fmt: skip
def definition(name: str) -> Response:
    q = query(schemas.DefinitionQuery)
    rt = runtime()
    latest = rt.registry.latest(name[:80])  # NotFound for an unknown workflow
    defn = latest
    if q.version is not None:
        if (latest.name, q.version) not in rt.registry:
            raise NotFound(f"No version {q.version} of {latest.name}.", f"Không có phiên bản {q.version} của {latest.name}.")
        defn = rt.registry.get(latest.name, q.version)
    with rt.read_session() as s:
        return json_response(present.definition_detail(s, defn, defn is latest, api_lang()))
