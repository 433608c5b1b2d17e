"""One registry of the API's operations: each view is declared with the models that validate its
query and body and the models of its answers, and the OpenAPI 3.1 description is generated from
that same registry (pydantic's JSON Schema is the 2020-12 dialect OpenAPI 3.1 uses).

A view reads its input only through `query(Model)` and `body(Model)`, so nothing is accepted that
the description does not describe.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from engine.cases.evidence import EXTENSIONS
from web.api import schemas
from web.api.problems import PROBLEM_JSON, from_validation, problem

BINARY = "binary"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# 1 to 255 printable ASCII characters (HTTP trims the ends, so they are not spaces): engine.cases.idempotency
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255,
                          "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$"}

PATH_PARAMS: dict[str, dict[str, Any]] = {
    "case_id": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID},
    "attachment_id": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID},
    "trigger": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,59}$"},
    "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,79}$"},
    "reference": {"type": "string", "pattern": "^[A-Za-z]{1,6}-[0-9]{4}-[0-9]{6}$"},
}


class Refused(Exception):
    """Carries a ready problem response out of a view (the blueprint's handler returns it)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Operation:
    method: str
    path: str
    endpoint: str
    summary: str
    tag: str
    description: str = ""
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    ok: tuple[int, type[BaseModel] | str] = (200, schemas.Outcome)
    errors: tuple[int, ...] = ()
    public: bool = False
    headers: dict[int, dict[str, str]] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def operation(
    bp: Blueprint, rule: str, path: str, method: str = "GET", **kw: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on `bp` at `rule` (Flask syntax) and describe it at `path` (OpenAPI syntax)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(Operation(method=method, path=path, endpoint=f"{bp.name}.{fn.__name__}", **kw))
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=fn, methods=[method])
        return fn

    return decorate


def public_endpoints() -> set[str]:
    return {op.endpoint for op in OPERATIONS if op.public}


# ------------------------------------------------------------------ reading the request


def query(model: type[BaseModel]) -> Any:
    """The query string validated by `model` (one value per name; unknown names are ignored)."""
    try:
        return model.model_validate({k: v for k, v in request.args.items()})
    except ValidationError as err:
        raise Refused(from_validation(err)) from err


def body(model: type[BaseModel]) -> Any:
    """The JSON body validated by `model`: 415 for another media type, 400 for broken JSON, 422 for bad fields."""
    if request.mimetype != "application/json":
        raise Refused(problem("unsupported_media_type"))
    raw = request.get_data(cache=True)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as err:
        if any(e.get("type") == "json_invalid" for e in err.errors(include_url=False)):
            raise Refused(problem("bad_request")) from err
        raise Refused(from_validation(err)) from err


def json_response(value: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(value.model_dump_json(), status=status, mimetype="application/json")
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


# ------------------------------------------------------------------ the description


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without pydantic's `null` branch and title (absent means null)."""
    schema = {k: v for k, v in schema.items() if k != "title"}
    options = schema.pop("anyOf", None)
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        schema = {**(kept[0] if len(kept) == 1 else {"anyOf": kept}), **schema}
        if schema.get("default", 0) is None:
            schema.pop("default")
    return schema


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


ERROR_TEXT = {400: "Malformed request", 401: "No valid API token", 403: "Not permitted", 404: "Not found, or not yours to see",
              409: "Stale version, or the action is not available in the case's state", 413: "Body too large",
              415: "The body must be application/json", 422: "Invalid data (field errors), or refused by the engine",
              429: "Rate limit exceeded (see Retry-After)"}  # fmt: skip


def document(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every registered operation."""
    requests = {op.body for op in OPERATIONS if op.body is not None}
    answers = {op.ok[1] for op in OPERATIONS if isinstance(op.ok[1], type)} | {schemas.Problem}
    keys = [(m, "validation") for m in sorted(requests, key=lambda m: m.__name__)]
    keys += [(m, "serialization") for m in sorted(answers, key=lambda m: m.__name__)]
    refs, top = models_json_schema(keys, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    components = top.get("$defs", {})

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        params: list[dict[str, Any]] = []
        for name in PATH_PARAMS:
            if "{" + name + "}" in op.path:
                params.append({"name": name, "in": "path", "required": True, "schema": PATH_PARAMS[name]})
        if op.query is not None:
            schema = op.query.model_json_schema()
            for name, prop in schema.get("properties", {}).items():
                param: dict[str, Any] = {"name": name, "in": "query", "required": name in schema.get("required", []),
                                         "schema": _plain(prop)}  # fmt: skip
                if "description" in prop:
                    param["description"] = prop["description"]
                    param["schema"].pop("description", None)
                params.append(param)
        if op.method == "POST":
            params.append({"name": IDEMPOTENCY_HEADER, "in": "header", "required": False, "schema": IDEMPOTENCY_KEY_SCHEMA,
                           "description": "Retrying with the same key returns the first result instead of acting twice "
                                          "(kept at least 24 hours); the same key with another body is refused (422)."})
        status, answer = op.ok
        ok: dict[str, Any] = {"description": "OK"}
        if answer == BINARY:
            ok["content"] = {ctype: {"schema": {"type": "string", "contentMediaType": ctype}} for ctype in EXTENSIONS}
        elif isinstance(answer, type):
            ok["content"] = {"application/json": {"schema": refs[(answer, "serialization")]}}
        if status in op.headers:
            ok["headers"] = {h: {"description": d, "schema": {"type": "string"}} for h, d in op.headers[status].items()}
        responses: dict[str, Any] = {str(status): ok}
        codes = set(op.errors) | ({401, 429} if not op.public else {429})
        if op.query is not None or op.body is not None:
            codes |= {422}
        if op.body is not None:
            codes |= {400, 413, 415}
        if "{" in op.path:
            codes |= {404}
        for code in sorted(codes):
            responses[str(code)] = _problem_response(ERROR_TEXT.get(code, "Error"))
            if code == 429:
                wait = {"description": "Seconds to wait", "schema": {"type": "string"}}
                responses[str(code)]["headers"] = {"Retry-After": wait}
        item: dict[str, Any] = {"operationId": op.endpoint.split(".", 1)[1], "summary": op.summary, "tags": [op.tag],
                                "parameters": params, "responses": responses}  # fmt: skip
        if op.description:
            item["description"] = op.description
        if op.body is not None:
            item["requestBody"] = {"required": True,
                                   "content": {"application/json": {"schema": refs[(op.body, "validation")]}}}
        if op.public:
            item["security"] = []
        paths.setdefault(op.path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "presscase API", "version": version,
                 "description": "Cases, actions, reports, evidence, units, workflow definitions and public results. "
                                "Send `Authorization: Bearer <token>` (an administrator issues tokens). Errors are "
                                "RFC 9457 problem details in Vietnamese or English by Accept-Language."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    }


@lru_cache(maxsize=4)
def document_json(version: str) -> str:
    """Generated once per process: the operations are registered at import and never change after."""
    return json.dumps(document(version), ensure_ascii=False, sort_keys=False)
