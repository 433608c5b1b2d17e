"""Errors as RFC 9457 problem details (`application/problem+json`), in Vietnamese or English.

Each kind of error has one stable `type` URI (and the same name as `code`), so a client can
branch on it; the engine's typed errors (engine/errors.py) map to kinds by class. The language
is the request's Accept-Language (vi or en), else the token user's own, else Vietnamese.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Response, g, request
from pydantic import ValidationError

from engine.errors import (
    EngineError,
    InvalidData,
    NeedsConfirmation,
    NotAvailable,
    NotFound,
    NotPermitted,
    StaleVersion,
    Unresolvable,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:presscase:problem:"
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Kind:
    code: str
    status: int
    title_vi: str
    title_en: str

    @property
    def type(self) -> str:
        return TYPE_BASE + self.code.replace("_", "-")

    def title(self, lang: str) -> str:
        return self.title_vi if lang == "vi" else self.title_en


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind("bad_request", 400, "Yêu cầu không hợp lệ", "Bad request"),
    Kind("unauthorized", 401, "Cần khóa API hợp lệ", "A valid API token is required"),
    Kind("not_permitted", 403, "Không có quyền", "Not permitted"),
    Kind("not_found", 404, "Không tìm thấy", "Not found"),
    Kind("method_not_allowed", 405, "Phương thức không được hỗ trợ", "Method not allowed"),
    Kind("stale_version", 409, "Vụ việc đã thay đổi", "The case changed meanwhile"),
    Kind("not_available", 409, "Thao tác không thực hiện được lúc này", "Action not available now"),
    Kind("payload_too_large", 413, "Nội dung gửi lên quá lớn", "Payload too large"),
    Kind("unsupported_media_type", 415, "Kiểu nội dung không được hỗ trợ", "Unsupported media type"),
    Kind("invalid_data", 422, "Dữ liệu không hợp lệ", "Invalid data"),
    Kind("unresolvable", 422, "Không xác định được đơn vị hoặc người nhận", "Who must act cannot be determined"),
    Kind("needs_confirmation", 422, "Cần xác nhận", "Confirmation needed"),
    Kind("idempotency_key_invalid", 422, "Khóa Idempotency-Key không hợp lệ", "Invalid Idempotency-Key"),
    Kind("idempotency_key_reused", 422, "Khóa Idempotency-Key đã dùng cho yêu cầu khác",
         "Idempotency-Key already used for a different request"),
    Kind("rate_limited", 429, "Quá nhiều yêu cầu", "Too many requests"),
    Kind("server_error", 500, "Lỗi hệ thống", "Internal error"),
)}  # fmt: skip

HTTP_KINDS = {400: "bad_request", 401: "unauthorized", 403: "not_permitted", 404: "not_found", 405: "method_not_allowed",
              413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited"}  # fmt: skip

HTTP_DETAILS = {
    "bad_request": ("Yêu cầu gửi lên không đúng định dạng.", "The request is malformed."),
    "unauthorized": ("Gửi khóa API trong tiêu đề Authorization: Bearer <khóa>; khóa có thể đã bị thu hồi hoặc hết hạn.",
                     "Send an API token as Authorization: Bearer <token>; the token may be revoked or expired."),
    "not_permitted": ("Bạn không có quyền thực hiện thao tác này.", "You may not do this."),
    "not_found": ("Không tìm thấy, hoặc bạn không có quyền xem.", "Not found, or not yours to see."),
    "method_not_allowed": ("Địa chỉ này không nhận phương thức đó.", "This path does not take that method."),
    "payload_too_large": ("Nội dung gửi lên vượt quá giới hạn cho phép.", "The request body is larger than allowed."),
    "unsupported_media_type": ("Nội dung phải là application/json.", "The body must be application/json."),
    "rate_limited": ("Quá nhiều yêu cầu với khóa này; thử lại sau thời gian trong Retry-After.",
                     "Too many requests with this token; try again after Retry-After seconds."),
    "server_error": ("Đã có lỗi ngoài ý muốn; báo quản trị hệ thống mã lỗi này.",
                     "Something went wrong; give the administrators this reference."),
}  # fmt: skip


def api_lang() -> str:
    """Accept-Language when it names vi or en; else the token user's own language; else Vietnamese."""
    header = request.headers.get("Accept-Language", "")
    if header:
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    bearer = getattr(g, "api_bearer", None)
    if bearer is not None and bearer.actor.language in LANGUAGES:
        return str(bearer.actor.language)
    return "vi"


def problem(code: str, detail: str | None = None, *, errors: dict[str, str] | None = None,
            headers: dict[str, str] | None = None, **extra: object) -> Response:  # fmt: skip
    kind = KINDS[code]
    lang = api_lang()
    if detail is None:
        pair = HTTP_DETAILS.get(code)
        detail = (pair[0] if lang == "vi" else pair[1]) if pair else kind.title(lang)
    body: dict[str, object] = {"type": kind.type, "title": kind.title(lang), "status": kind.status, "detail": detail,
                               "instance": request.path, "code": code}  # fmt: skip
    if errors:
        body["errors"] = [{"field": k, "detail": v} for k, v in errors.items()]
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body, ensure_ascii=False), status=kind.status, mimetype=PROBLEM_JSON)
    response.headers["Content-Language"] = lang
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def engine_kind(err: EngineError) -> str:
    """The problem kind of an engine error, by class (a subclass of InvalidData with a `code` keeps its own)."""
    own = getattr(err, "code", None)
    if isinstance(own, str) and own in KINDS:
        return own
    for cls, code in ((StaleVersion, "stale_version"), (NotAvailable, "not_available"), (NotFound, "not_found"),
                      (NotPermitted, "not_permitted"), (Unresolvable, "unresolvable"),
                      (NeedsConfirmation, "needs_confirmation"), (InvalidData, "invalid_data")):  # fmt: skip
        if isinstance(err, cls):
            return code
    return HTTP_KINDS.get(err.status, "server_error" if err.status >= 500 else "bad_request")


def from_engine(err: EngineError) -> Response:
    lang = api_lang()
    code = engine_kind(err)
    if code == "server_error":
        raise err
    errors = err.field_messages(lang) if isinstance(err, InvalidData) else None
    current = getattr(err, "actual", None) if isinstance(err, StaleVersion) else None
    detail = err.message(lang)
    if isinstance(err, InvalidData):
        detail = KINDS[code].title(lang) if code == "invalid_data" else detail
    return problem(code, detail, errors=errors, current_version=current)


def from_validation(err: ValidationError, where: str = "") -> Response:
    """A pydantic refusal of the request's shape, as field errors (422)."""
    lang = api_lang()
    errors: dict[str, str] = {}
    for e in err.errors(include_url=False):
        name = ".".join(str(p) for p in ((where,) if where else ()) + tuple(e.get("loc", ()))) or "body"
        if e.get("type") == "missing":
            msg = ("Bắt buộc nhập.", "Required.")
        elif e.get("type") == "extra_forbidden":
            msg = ("Trường không được khai báo.", "Unknown field.")
        else:
            msg = ("Giá trị không hợp lệ.", str(e.get("msg", "Invalid value."))[:300])
        errors.setdefault(name, msg[0] if lang == "vi" else msg[1])
    return problem("invalid_data", errors=errors)
