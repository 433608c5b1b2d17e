"""The case page, the transition forms, and evidence downloads.

Buttons come from CaseView.allowed (engine.cases.policy); every POST goes through engine.cases.commands.fire
with the version the form was rendered from, so a forged or stale request changes nothing.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import undefer
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError
from werkzeug.wrappers import Response

from engine.cases import commands as service
from engine.cases import policy
from engine.cases.evidence import typed_filename
from engine.cases.guards import field_hints
from engine.cases.idempotency import AlreadyDone, KeyReused
from engine.cases.machine import machine_for
from engine.errors import EngineError, InvalidData, NeedsConfirmation, NotAvailable, NotFound, StaleVersion, Unresolvable
from engine.read.queries import LostCase, case_view, load_visible_case, lost_by_unit
from engine.store.models import Attachment, Unit
from web import register as public_register
from web import retry as retry_keys
from web.access import current_actor, runtime
from web.badges import badge_for, status_of
from web.diagram import workflow_svg
from web.forms import CONFIRM_UNSTAFFED, EVIDENCE_FIELD, data_from_request, evidence_field, fields_for, uploads_from_request
from web.i18n import lang
from web.present import Item, days_left, items_for, open_question, report_facts, timeline, unit_names
from workflows.definition import Definition, TransitionSpec

bp = Blueprint("cases", __name__, url_prefix="/cases")


MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32-bit on PostgreSQL


class IdConverter(BaseConverter):
    """A database id: 1 to 2**31-1, so an absurd number is a 404 and never overflows the driver."""

    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        n = int(value)
        if n > MAX_ID:
            raise ValidationError()
        return n

    def to_url(self, value: object) -> str:
        return str(value)


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's <int:...> with a ceiling: a number beyond an INTEGER column is a 404, not a driver overflow (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's own parameter name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def diagram(defn: Definition, state: str, language: str) -> Markup:
    """The definition drawn as SVG with the current state highlighted (drawn once per version, state and language)."""
    return workflow_svg(defn, state or None, language)


def _page(case_id: int, *, conflict: str | None = None, status: int = 200, kept: list[Item] | None = None) -> tuple[str, int]:
    rt = runtime()
    actor = current_actor()
    now = rt.clock.now()
    with rt.read_session() as s:
        cv = case_view(s, rt.registry, actor, case_id=case_id)
        units = unit_names(s)
        calendar = rt.calendar
        ctx = {
            "cv": cv, "case": cv.case, "defn": cv.definition,
            "state_label": cv.definition.states[cv.case.state].label(lang()),
            "deadline_badge": badge_for(cv.case, now, calendar, cv.definition),
            "deadline": status_of(cv.case, now, calendar, cv.definition),
            "facts": report_facts(cv, units), "timeline": list(reversed(timeline(cv, units))),
            "question": open_question(cv, units),
            "diagram": diagram(cv.definition, cv.case.state, lang()),
            "conflict": conflict, "filed": request.args.get("filed") == "1", "kept": kept or [],
            "may_extend": policy.may_extend(cv.definition, cv.case, actor),
            "show_details": checks_the_record(cv.definition, actor.roles), "days_left": days_left,
            "may_supersede": policy.may_supersede_evidence(cv.definition, cv.case, actor),
            "public_url": public_register.public_url(cv.case),
        }  # fmt: skip
        return render_template("cases/show.html", **ctx), status


def checks_the_record(defn: Definition, roles: set[str] | frozenset[str]) -> bool:
    """Those who see every case of the workflow in every state (intake and oversight: assessors and
    supervisors) check how a deadline was counted; event numbers and calendar versions are for them."""
    return any(rule.get("scope") == "any" and not rule.get("states") for r in roles for rule in defn.visibility.get(r, ()))


@bp.route("/<id:case_id>")
@login_required
def show(case_id: int) -> tuple[str, int]:
    return _page(case_id)


def _transition_for_form(defn: Definition, state: str, trigger: str, allowed: list[TransitionSpec]) -> TransitionSpec:
    """The transition a form is for: 404 when the trigger is unknown, 403 when it is not this person's to fire."""
    t = next((t for t in allowed if t.trigger == trigger), None)
    if t is not None:
        return t
    machine = machine_for(defn)
    if not machine.knows(trigger):
        abort(404)
    if machine.transition(state, trigger) is None:
        raise NotAvailable(f"'{trigger}' is not available now.", "Thao tác này không thực hiện được ở trạng thái hiện tại.")
    abort(403)


def _form_page(case_id: int, trigger: str, values: dict[str, object] | None = None,
               errors: dict[str, str] | None = None, version: int | None = None,
               preview: dict[str, object] | None = None, conflict: dict[str, Any] | None = None,
               refusal: EngineError | None = None) -> tuple[str, int]:
    rt = runtime()
    with rt.read_session() as s:
        cv = case_view(s, rt.registry, current_actor(), case_id=case_id)
        t = _transition_for_form(cv.definition, cv.case.state, trigger, cv.allowed)
        fields = fields_for(s, cv.definition, t, values, errors)
        if t.guards:
            unit = s.get(Unit, current_actor().unit_id) if current_actor().unit_id else None
            hints = field_hints(cv.definition, t.guards, unit.type if unit else None)
            for f in fields:
                if f.name in hints:
                    words = hints[f.name]
                    f.help = " ".join(x for x in (words[0] if lang() == "vi" else words[1], f.help) if x)
        question = open_question(cv, unit_names(s)) if cv.case.state in t.sources else []
        ctx = {
            "cv": cv, "case": cv.case, "defn": cv.definition, "t": t, "fields": fields,
            "evidence": evidence_field((errors or {}).get(EVIDENCE_FIELD)),
            "version": version if version is not None else cv.case.version,
            "state_label": cv.definition.states[cv.case.state].label(lang()),
            "dest_label": cv.definition.states[t.dest].label(lang()),
            "previewable": public_register.previewable(cv.definition, t.trigger), "preview": preview,
            "question": question, "conflict": conflict,
            "refusal": refusal.message(lang()) if refusal else None,
            "confirm_unstaffed": isinstance(refusal, NeedsConfirmation),
        }  # fmt: skip
        return render_template("cases/act.html", **ctx), (422 if errors or refusal else 200)


def _posted_version() -> int:
    text = (request.form.get("version") or "").strip()
    if not text.isdigit() or len(text) > 9:
        abort(400)
    return int(text)


@bp.route("/<id:case_id>/act/<trigger>", methods=["GET", "POST"])
@login_required
def act(case_id: int, trigger: str) -> Response | tuple[str, int]:
    trigger = trigger[:60]
    if request.method == "GET":
        return _form_page(case_id, trigger)
    rt = runtime()
    actor = current_actor()
    version = _posted_version()
    retry = retry_keys.posted()
    reused: KeyReused | None = None
    try:
        # First, before the case is read: the first submission may have taken it out of this person's sight.
        first = retry_keys.first_result(retry)
    except KeyReused as err:
        first, reused = None, err
    if first is not None:
        return retry_keys.already_sent(first)
    with rt.read_session() as s:
        try:
            case, defn = load_visible_case(s, rt.registry, actor, case_id=case_id)
        except NotFound:
            lost = lost_by_unit(s, case_id, actor.unit_id)
            if lost is None:
                raise
            return _lost_page(lost, trigger)
        machine = machine_for(defn)
        # The form's fields: the transition the machine would take now, or (the case moved on) the
        # trigger's own, so what was typed comes back on the page that says why it was not done.
        spec = machine.transition(case.state, trigger) or next((t for t in defn.transitions if t.trigger == trigger), None)
    if spec is None:
        abort(404)
    data = data_from_request(spec)
    if reused is not None:
        return _typed_back(case_id, trigger, spec, data, retry_keys.reused_message(reused.first), status=422)
    if request.form.get("preview") and public_register.previewable(defn, trigger):
        # "Xem trước": the public view of the result as it would be, re-rendered on the form; nothing is fired
        shown, errors = public_register.preview_for(case_id, trigger, data)
        return _form_page(case_id, trigger, data, errors, version, preview=shown)
    try:
        with rt.uow() as uow:
            uow.retry_key = retry
            out = service.fire(uow, case_id, trigger, actor, data, expected_version=version, uploads=uploads_from_request(),
                               confirm_unstaffed=request.form.get(CONFIRM_UNSTAFFED) == "1")  # fmt: skip
    except AlreadyDone as done:
        return retry_keys.already_sent(done.outcome)
    except KeyReused as err:
        return _typed_back(case_id, trigger, spec, data, retry_keys.reused_message(err.first), status=422)
    except (StaleVersion, NotAvailable) as err:
        return _typed_back(case_id, trigger, spec, data, err.message(lang()))
    except InvalidData as err:
        return _form_page(case_id, trigger, data, err.field_messages(lang()), version)
    except (Unresolvable, NeedsConfirmation) as err:
        # Refused, nothing written: the form comes back with what was typed, the reason, and
        # (for a unit where nobody can act) the box that confirms sending it there anyway.
        return _form_page(case_id, trigger, data, None, version, refusal=err)
    state = defn.states[out.state].label(lang())
    flash(_("Đã thực hiện «%(action)s». Trạng thái mới: %(state)s.", action=spec.label(lang()), state=state), "success")
    return redirect(url_for("cases.show", case_id=case_id))


def _typed_back(case_id: int, trigger: str, spec: TransitionSpec, data: dict[str, object], message: str,
                status: int = 409) -> tuple[str, int]:  # fmt: skip
    """A form refused because the case changed meanwhile (409): nothing was written, and nothing typed is lost.

    When the action is still this person's to take in the new state, the form comes back filled in,
    against the new version, beside the new state; otherwise the case page shows the new state and
    the typed text beside it, to copy. Either way a form shown again carries a new retry key: it is
    a new decision, against the new state (and the old key may be spent: sent again with other content, 422).
    """
    retry_keys.renew()
    rt = runtime()
    actor = current_actor()
    with rt.read_session() as s:
        cv = case_view(s, rt.registry, actor, case_id=case_id)
        still = any(t.trigger == trigger for t in cv.allowed)
        state_label = cv.definition.states[cv.case.state].label(lang())
        last = cv.events[-1] if cv.events else None
        units = unit_names(s)
        changed = timeline(cv, units)[-1] if last is not None else None
        kept = items_for(cv.definition, spec, data, units)
    conflict = {"message": message, "state": state_label, "change": changed, "kept": kept}
    if still:
        body, _status = _form_page(case_id, trigger, data, None, None, conflict=conflict)
        return body, status
    return _page(case_id, conflict=message, status=status, kept=kept)


def _lost_page(lost: LostCase, trigger: str) -> tuple[str, int]:
    """The case was moved to another unit while this person had its form open: say so, keep the text (409)."""
    rt = runtime()
    defn = rt.registry.get(lost.workflow_name, lost.workflow_version)
    spec = next((t for t in defn.transitions if t.trigger == trigger), None)
    kept: list[Item] = []
    if spec is not None:
        with rt.read_session() as s:
            kept = items_for(defn, spec, data_from_request(spec), unit_names(s))
    return render_template("cases/lost.html", lost=lost, kept=kept, action=spec.label(lang()) if spec else ""), 409


def content_disposition(filename: str) -> str:
    """attachment, with an ASCII fallback and the exact UTF-8 name per RFC 5987/6266 (Vietnamese names survive)."""
    folded = filename.replace("đ", "d").replace("Đ", "D")
    ascii_name = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch for ch in ascii_name if ch.isprintable() and ch not in '"\\;').strip() or "tep-dinh-kem"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.route("/<id:case_id>/attachments/<id:attachment_id>")
@login_required
def attachment(case_id: int, attachment_id: int) -> Response:
    """Only to those who may see the case (else 404, as for the case itself); always a download."""
    rt = runtime()
    with rt.read_session() as s:
        load_visible_case(s, rt.registry, current_actor(), case_id=case_id)
        att = s.scalar(select(Attachment).options(undefer(Attachment.content))
                       .where(Attachment.id == attachment_id, Attachment.case_id == case_id))  # fmt: skip
        if att is None:
            abort(404)
        response = Response(att.content, mimetype=att.content_type)
        # the detected type's extension, also for a file stored before names took it
        response.headers["Content-Disposition"] = content_disposition(typed_filename(att.filename, att.content_type))
        response.headers["Content-Length"] = str(len(att.content))
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


@bp.route("/<id:case_id>/attachments/<id:attachment_id>/supersede", methods=["POST"])
@login_required
def supersede(case_id: int, attachment_id: int) -> Response | tuple[str, int]:
    """Mark a file superseded (kept, never deleted); the engine checks who may and records it in the history."""
    version = _posted_version()
    reason = (request.form.get("reason") or "")[:5000]
    retry = retry_keys.posted()
    try:
        first = retry_keys.first_result(retry)
        if first is not None:
            return retry_keys.already_sent(first, anchor="#h-att")
        with runtime().uow() as uow:
            uow.retry_key = retry
            service.supersede_evidence(uow, case_id, attachment_id, current_actor(), reason, version)
    except AlreadyDone as done:
        return retry_keys.already_sent(done.outcome, anchor="#h-att")
    except KeyReused as err:
        return _page(case_id, conflict=retry_keys.reused_message(err.first), status=422)
    except (StaleVersion, NotAvailable) as err:
        return _page(case_id, conflict=err.message(lang()), status=409)
    except InvalidData as err:
        return _page(case_id, conflict=" ".join(err.field_messages(lang()).values()), status=422)
    flash(_("Đã đánh dấu tệp là đã bị thay thế; tệp vẫn được lưu."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#h-att")
