"""Retry keys on the web forms that change a case: a form sent twice acts once (engine/cases/idempotency.py).

Every such form carries a hidden `retry_key`, made when the form is rendered; the view gives it to the
unit of work with the signed-in person's scope. A second submission of the same rendered form (a
double click, a phone resending after a dropped connection, Back and send again) finds the first
result and lands where the first one landed, with a short message.

Back needs one more step: pages are `no-store`, so Chromium fetches the form again on Back (keeping
what was typed, but not a hidden field rendered anew). The links that open a form therefore carry a
fresh key in the URL (`?k=...`, see `form_url`): the history entry keeps it, and the form fetched
again on Back renders the same key. A form opened without one (a typed address, an old tab) gets a
new key, and a POST without any key acts as before.

The fingerprint of a web form is its text fields by name, without the CSRF token, the key itself, the
case version and the files: after Back the page shows the case's new version and browsers drop the
chosen files, yet it is the same form sent again.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.cases.idempotency import RetryKey, fingerprint, is_valid_key, replayed, user_scope
from engine.cases.outcome import Outcome
from web.access import current_actor, runtime

FIELD = "retry_key"  # the hidden input
ARG = "k"  # the query argument of a link that opens a form
FORM_ENDPOINTS = frozenset({"reports.new", "cases.act", "extend.extend"})
_NOT_CONTENT = frozenset({"csrf_token", FIELD, "version"})
_RENEW = "presscase_renew_retry_key"


def new_key() -> str:
    return str(uuid.uuid4())


def form_url(endpoint: str, **values: Any) -> str:
    """A link; to a page with a form that changes a case, with a fresh key the history entry keeps."""
    if endpoint in FORM_ENDPOINTS:
        values.setdefault(ARG, new_key())
    return url_for(endpoint, **values)


def form_key() -> str:
    """The key of the form being rendered.

    Re-rendered after a validation error or a refusal that wrote nothing: the posted key (it was
    not used). Re-rendered after a conflict or a reused key (`renew`): a new one. Otherwise the
    key of the link that opened the form, or a new one.
    """
    if not g.get(_RENEW):
        for candidate in (request.form.get(FIELD) if request.method == "POST" else None, request.args.get(ARG)):
            if candidate and is_valid_key(candidate):
                return candidate
    return new_key()


def renew() -> None:
    """The form about to be rendered gets a new key: the case changed since it was filled in (409), or its key was spent."""
    setattr(g, _RENEW, True)


def posted() -> RetryKey | None:
    """The posted form's key with the signed-in person's scope, or None (a form from before keys, an old tab).

    A malformed key is refused with BadRetryKey (422, rendered by the error pages).
    """
    key = request.form.get(FIELD)
    user_id = current_actor().user_id
    if not key or user_id is None:
        return None
    body = {name: request.form.getlist(name) for name in request.form if name not in _NOT_CONTENT}
    return RetryKey(user_scope(user_id), key, fingerprint("POST", request.path, body))


def first_result(retry: RetryKey | None) -> Outcome | None:
    """What the first submission of this form produced, if it was sent before (KeyReused if with other content)."""
    if retry is None:
        return None
    with runtime().read_session() as s:
        return replayed(s, retry)


def already_sent(outcome: Outcome, anchor: str = "", **args: Any) -> Response:
    """Land where the first submission landed: its case page, saying this one was already sent."""
    flash(_("Biểu mẫu này đã được gửi trước đó (vụ việc %(ref)s); lần gửi lại không được ghi thêm.",
            ref=outcome.reference), "info")  # fmt: skip
    return redirect(url_for("cases.show", case_id=outcome.case_id, **args) + anchor)


def reused_message(first: Outcome | None) -> str:
    """The words for a form sent again with changed content: nothing of this submission was saved."""
    ref = first.reference if first is not None else ""
    return _("Biểu mẫu này đã được gửi trước đó (vụ việc %(ref)s) với nội dung khác; lần gửi này chưa được ghi.",
             ref=ref)  # fmt: skip


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(form_url=form_url, form_retry_key=form_key, new_retry_key=new_key)
