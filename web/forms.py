"""Forms as data: one field model rendered by one Jinja macro, for every page's form.

Transition forms are generated from the fields a definition declares; each field type's widget
is declared with the type (workflows/field_types.py), so this module names no field type. The
engine validates the data and its InvalidData messages are put back beside the fields they
concern. Static forms (sign-in, password, administration) use the same model, with the few
widgets no definition field has (password, file) declared here, so every form looks and behaves alike.
CSRF is Flask-WTF's CSRFProtect, applied to every POST; the macro adds the token.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.evidence import MAX_FILE_BYTES, MAX_FILES, Upload
from engine.store.models import Unit
from web.i18n import lang
from workflows.definition import Definition, FieldSpec, TransitionSpec
from workflows.field_types import FIELD_TYPES, Widget, field_type

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EVIDENCE_FIELD = "evidence"


# The box a person ticks to send a case to a unit where nobody can act yet (engine.errors.NeedsConfirmation).
CONFIRM_UNSTAFFED = "confirm_unstaffed"

def clean_text(value: str | None, limit: int = 100_000) -> str:
    """NFC (so Vietnamese letters compare equal however typed), no control characters (PostgreSQL refuses NUL)."""
    if not value:
        return ""
    return _CONTROL.sub("", unicodedata.normalize("NFC", value))[:limit]


def posted_text(name: str, limit: int = 100_000) -> str:
    """A posted value as typed (NFC, bounded), control characters kept: a transition's data goes to the engine,
    which refuses forbidden code points with a message beside the field (engine.cases.validation) rather than
    dropping them unseen. Query strings, file names and sign-in keep `clean_text`, which strips them."""
    value = request.form.get(name)
    return unicodedata.normalize("NFC", value)[:limit] if value else ""


def form_text(name: str, limit: int = 100_000) -> str:
    return clean_text(request.form.get(name), limit)


def arg_text(name: str, limit: int = 200) -> str:
    return clean_text(request.args.get(name), limit).strip()


def arg_int(name: str, default: int | None = None, lo: int = 1, hi: int = 2**31 - 1) -> int | None:
    """A query-string integer, or `default` when absent or malformed (never an error page)."""
    text = (request.args.get(name) or "").strip()
    if not text.isdigit() or len(text) > 10:
        return default
    n = int(text)
    return n if lo <= n <= hi else default


# Widgets of static forms only: a definition's field types declare their own (workflows/field_types.py).
STATIC_WIDGETS = {
    "password": Widget("input", input_type="password"),
    "file": Widget("input", input_type="file"),
}


@dataclass
class FormField:
    name: str
    type: str  # a field type of workflows/field_types.py, or one of STATIC_WIDGETS
    label: str
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None
    error: str | None = None
    help: str = ""
    max_length: int | None = None
    min: int | None = None
    max: int | None = None

    @property
    def widget(self) -> Widget:
        """How the `field` macro renders it (workflows/field_types.py for a definition's field types)."""
        return STATIC_WIDGETS[self.type] if self.type in STATIC_WIDGETS else FIELD_TYPES[self.type].widget

    @property
    def values(self) -> list[str]:
        """For multichoice: the selected values as strings."""
        if isinstance(self.value, list | tuple):
            return [str(v) for v in self.value]
        return [str(self.value)] if self.value not in (None, "") else []


def unit_choices(session: Session, defn: Definition, f: FieldSpec) -> list[tuple[str, str]]:
    """Active units of the types the field allows (a 'unit' field names a list of unit types)."""
    q = select(Unit.id, Unit.name, Unit.type).where(Unit.active.is_(True)).order_by(Unit.name)
    allowed = set(defn.lists.get(f.unit_types or "", {})) if f.unit_types else None
    return [(str(uid), name) for uid, name, utype in session.execute(q) if allowed is None or utype in allowed]


def fields_for(session: Session, defn: Definition, t: TransitionSpec, values: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None) -> list[FormField]:
    """The form of a transition, in the current language, with values and inline errors."""
    lg = lang()
    values = values or {}
    errors = errors or {}
    out = []
    for f in t.fields:
        choices: list[tuple[str, str]] = []
        options = field_type(f.type).options
        if options == "list" and f.choices:
            choices = [(k, defn.choice_label(f.choices, k, lg)) for k in defn.lists.get(f.choices, {})]
        elif options == "units":
            choices = unit_choices(session, defn, f)
        help_text = ""
        if f.required_if:
            help_text = _required_if_help(defn, t, f.required_if, lg)
        out.append(
            FormField(
                name=f.name, type=f.type, label=f.label(lg), required=f.required, choices=choices,
                value=values.get(f.name), error=errors.get(f.name), help=help_text,
                max_length=f.max_length, min=f.min, max=f.max,
            )
        )  # fmt: skip
    return out


def _required_if_help(defn: Definition, t: TransitionSpec, cond: dict[str, Any], lg: str) -> str:
    other = t.field(cond["field"])
    other_label = other.label(lg) if other else cond["field"]
    wanted = cond.get("equals", cond.get("contains"))
    if other and other.choices and wanted is not None:
        wanted = defn.choice_label(other.choices, str(wanted), lg)
    if wanted is None:
        return _("Bắt buộc khi có «%(other)s».", other=other_label)
    return _("Bắt buộc khi «%(other)s» là «%(value)s».", other=other_label, value=wanted)


def data_from_request(t: TransitionSpec) -> dict[str, Any]:
    """The posted values of the transition's own fields (anything else posted is ignored)."""
    data: dict[str, Any] = {}
    for f in t.fields:
        widget = field_type(f.type).widget
        if widget.posts_list:
            data[f.name] = [clean_text(v, 200).strip() for v in request.form.getlist(f.name) if v.strip()]
        elif widget.posts_flag:
            data[f.name] = request.form.get(f.name) in ("1", "on", "true", "yes")
        else:
            limit = (f.max_length or 200) + 1000  # the engine reports "too long"; we only bound memory
            data[f.name] = posted_text(f.name, limit)
    return data


def uploads_from_request() -> list[Upload]:
    """Evidence files as posted; their type and size are judged on the content by engine.cases.evidence."""
    files = [fs for fs in request.files.getlist(EVIDENCE_FIELD) if fs and fs.filename]
    return [Upload(clean_text(fs.filename, 255), fs.read()) for fs in files[: MAX_FILES + 1]]


def evidence_field(error: str | None = None) -> FormField:
    return FormField(
        name=EVIDENCE_FIELD, type="file", error=error,
        label=_("Tệp bằng chứng (ảnh kể cả HEIC, PDF, Word, Excel, video MP4 hoặc MOV)"),
        help=_("Tối đa %(n)d tệp, mỗi tệp %(mb)d MB.", n=MAX_FILES, mb=MAX_FILE_BYTES // (1024 * 1024)),
    )  # fmt: skip
