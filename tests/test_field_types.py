"""Field types are declared in one place (workflows/field_types.py), and every one of them works end to end.

For every field of every definition in workflows/ (and of a definition written here with one field of
each registered type, so a type no shipped workflow uses yet is covered too), in Vietnamese and English:
the form renders a control for it, the value a person would type is posted through the real request
parsing, the engine validates it, the case page shows it in words, and the form given the stored value
back shows it filled in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, session

from engine.cases import commands as service
from engine.cases.validation import validate
from engine.errors import DefinitionError
from tests.support import Org, file
from web.forms import FormField, data_from_request, fields_for
from web.present import DISPLAYS, items_for, unit_names
from workflows import load_all, parse_definition
from workflows.definition import Definition, FieldSpec, TransitionSpec
from workflows.field_types import CONTROLS, FIELD_TYPES, LAYOUTS

pytest_plugins = ["tests.test_web_fixtures"]

# ---------------------------------------------------------------------------------------------
# A definition with one field of every registered type, generated from the registry itself.


def every_type_source() -> str:
    fields = []
    for name, ft in FIELD_TYPES.items():
        extra = ""
        if ft.options == "list":
            extra = 'choices = "things"\n'
        elif ft.options == "units":
            extra = 'unit_types = "unit_kinds"\n'
        fields.append(f'[transitions.fields.a_{name}]\ntype = "{name}"\nlabel_vi = "Trường {name}"\n'
                      f'label_en = "Field {name}"\n{extra}')
    return '''
[workflow]
name = "every_field_type"
version = 1
label_vi = "Mọi kiểu trường"
label_en = "Every field type"
reference_prefix = "FT"
create_trigger = "file"

[roles.reporter]
label_vi = "Người phản ánh"
label_en = "Reporter"

[lists.things]
one = { vi = "Một", en = "One" }
two = { vi = "Hai", en = "Two" }
three = { vi = "Ba", en = "Three" }

[lists.unit_kinds]
people_committee_office = { vi = "Phòng chuyên môn", en = "Office" }
police = { vi = "Công an", en = "Police" }

[states.open]
label_vi = "Đang mở"
label_en = "Open"
deadline = { days = 5 }

[states.done]
label_vi = "Xong"
label_en = "Done"
terminal = true

[[transitions]]
trigger = "file"
source = []
dest = "open"
roles = ["reporter"]
label_vi = "Gửi"
label_en = "File"

[[transitions]]
trigger = "finish"
source = ["open"]
dest = "done"
roles = ["reporter"]
label_vi = "Kết thúc"
label_en = "Finish"
''' + "\n".join(fields)


def definitions() -> list[Definition]:
    return [*load_all(), parse_definition(every_type_source(), "tests/every_field_type.toml")]


# ---------------------------------------------------------------------------------------------
# What a person types for each type, what the engine stores, and what a case page then says.


@dataclass
class Ctx:
    lang: str
    defn: Definition
    form: FormField  # the rendered form's field: its options are what a person can pick
    reference: str  # of a case that exists
    units: dict[int, str]


@dataclass
class Sample:
    posted: str | list[str]
    stored: Any
    shown: str


def _labels(ctx: Ctx, f: FieldSpec, keys: list[str]) -> str:
    return ", ".join(ctx.defn.choice_label(f.choices or "", k, ctx.lang) for k in keys)


def _choice(f: FieldSpec, ctx: Ctx) -> Sample:
    key = ctx.form.choices[-1][0]
    return Sample(key, key, _labels(ctx, f, [key]))


def _multichoice(f: FieldSpec, ctx: Ctx) -> Sample:
    keys = [k for k, _ in ctx.form.choices[:2]]
    return Sample(keys, keys, _labels(ctx, f, keys))


def _integer(f: FieldSpec, ctx: Ctx) -> Sample:
    n = f.min if f.min is not None else 3
    return Sample(str(n), n, str(n))


def _unit(f: FieldSpec, ctx: Ctx) -> Sample:
    uid, name = ctx.form.choices[0]
    return Sample(uid, int(uid), name)


SAMPLES: dict[str, Callable[[FieldSpec, Ctx], Sample]] = {
    "string": lambda f, ctx: Sample("  Báo   Điện tử  ABC ", "Báo Điện tử ABC", "Báo Điện tử ABC"),
    "text": lambda f, ctx: Sample("Dòng thứ nhất.\r\nDòng thứ hai.", "Dòng thứ nhất.\r\nDòng thứ hai.",
                                  "Dòng thứ nhất.\r\nDòng thứ hai."),
    "choice": _choice,
    "multichoice": _multichoice,
    "date": lambda f, ctx: Sample("05/03/2026", "2026-03-05", "05/03/2026" if ctx.lang == "vi" else "Mar 5, 2026"),
    "integer": _integer,
    "money": lambda f, ctx: Sample("12.500.000", 12_500_000, "12.500.000 đ" if ctx.lang == "vi" else "12,500,000 VND"),
    "boolean": lambda f, ctx: Sample("1", True, "Có" if ctx.lang == "vi" else "Yes"),
    "url": lambda f, ctx: Sample("https://example.vn/bai-viet?id=7", "https://example.vn/bai-viet?id=7",
                                 "https://example.vn/bai-viet?id=7"),
    "unit": _unit,
    "reference": lambda f, ctx: Sample(ctx.reference.lower(), ctx.reference, ctx.reference),
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Reading the rendered form back, as a browser would.


class Controls(HTMLParser):
    """The form controls in a page: name -> list of (tag, attributes, text of a textarea or option)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.controls: dict[str, list[dict[str, Any]]] = {}
        self._select: str | None = None
        self._textarea: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "textarea", "select") and a.get("name"):
            control = {"tag": tag, "attrs": a, "text": "", "options": []}
            self.controls.setdefault(str(a["name"]), []).append(control)
            if tag == "select":
                self._select = str(a["name"])
            if tag == "textarea":
                self._textarea = control
        if tag == "option" and self._select:
            self._option = {"value": a.get("value"), "selected": "selected" in a}
            self.controls[self._select][-1]["options"].append(self._option)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data


def render_field(app: Flask, f: FormField) -> str:
    return str(app.jinja_env.get_template("macros.html").module.field(f))  # type: ignore[attr-defined]


def posted_form(f: FieldSpec, sample: Sample) -> dict[str, Any]:
    return {f.name: sample.posted}


def shows_filled_in(controls: list[dict[str, Any]], sample: Sample) -> bool:
    """Whether the re-rendered form holds the stored value as the person would see it selected or typed."""
    first = controls[0]
    stored = sample.stored if isinstance(sample.stored, list) else [sample.stored]
    wanted = {str(v) for v in stored}
    if first["tag"] == "select":
        return {o["value"] for o in first["options"] if o["selected"]} == wanted
    if first["tag"] == "textarea":
        return first["text"].replace("\r\n", "\n") == str(sample.stored).replace("\r\n", "\n")
    if first["attrs"].get("type") == "checkbox":
        ticked = {c["attrs"].get("value") for c in controls if "checked" in c["attrs"]}
        return ticked == ({"1"} if sample.stored is True else wanted)
    return first["attrs"].get("value") == str(sample.stored)


# ---------------------------------------------------------------------------------------------


def test_every_field_type_the_loader_names_has_a_parser_a_widget_and_a_display(app: Flask):
    """The loader's list of types is the registry's; each type parses, renders a control and is shown."""
    source = every_type_source().replace('type = "string"', 'type = "no_such_type"')
    with pytest.raises(DefinitionError) as info:
        parse_definition(source, "tests/every_field_type.toml")
    named = re.search(r"known: ([^)]*)\)", info.value.problem).group(1).split(", ")  # type: ignore[union-attr]
    assert named == list(FIELD_TYPES)
    missing = set(named) - set(SAMPLES)
    assert not missing, f"add a round-trip sample to SAMPLES for the field type(s) {sorted(missing)}"
    with app.test_request_context("/"):
        for name in named:
            ft = FIELD_TYPES[name]
            assert callable(ft.parse), name
            assert ft.widget.control in CONTROLS, name
            assert ft.display in DISPLAYS, f"{name}: web/present.py has no way to show {ft.display!r}"
            assert ft.layout in LAYOUTS, name
            page = render_field(app, FormField("x", name, "X", choices=[("a", "A")]))
            controls = Controls(page).controls.get("x")
            assert controls, f"the field macro renders no control for a {name} field:\n{page}"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_field_of_every_definition_round_trips_form_engine_and_page(app: Flask, org: Org, lang: str):
    reference = file(org).reference
    covered: set[str] = set()
    with org.rt.uow() as uow, org.rt.read_session() as s:
        units, refs = service._unit_lookup(uow), service._reference_exists(uow)
        names = unit_names(s)
        for defn in definitions():
            for t in defn.transitions:
                if t.fields:
                    round_trip(app, s, defn, t, lang, reference, units, refs, names)
                    covered |= {f.type for f in t.fields}
    assert covered == set(FIELD_TYPES)


def round_trip(app: Flask, s: Any, defn: Definition, t: TransitionSpec, lang: str, reference: str,
               units: Any, refs: Any, names: dict[int, str]) -> None:
    where = f"{defn.name}.{t.trigger}"
    with app.test_request_context("/"):
        session["lang"] = lang
        form = {f.name: f for f in fields_for(s, defn, t)}
        samples: dict[str, Sample] = {}
        for f in t.fields:
            page = render_field(app, form[f.name])
            controls = Controls(page).controls.get(f.name)
            assert controls, f"{where}.{f.name}: no control named {f.name!r} in\n{page}"
            samples[f.name] = SAMPLES[f.type](f, Ctx(lang, defn, form[f.name], reference, names))
            offered = {o["value"] for c in controls for o in c["options"]} | {c["attrs"].get("value") for c in controls
                                                                                if c["attrs"].get("type") == "checkbox"}
            for v in samples[f.name].posted if isinstance(samples[f.name].posted, list) else [samples[f.name].posted]:
                if controls[0]["tag"] == "select" or len(controls) > 1:
                    assert v in offered, f"{where}.{f.name}: {v!r} is not offered by the form"
    posted: dict[str, Any] = {}
    for f in t.fields:
        posted.update(posted_form(f, samples[f.name]))
    with app.test_request_context("/", method="POST", data=posted):
        session["lang"] = lang
        data = data_from_request(t)
        cleaned = validate(defn, t, data, units=units, refs=refs)
        for f in t.fields:
            assert cleaned[f.name] == samples[f.name].stored, f"{where}.{f.name}: stored {cleaned[f.name]!r}"
        items = items_for(defn, t, cleaned, names)
        assert len(items) == len(t.fields), f"{where}: the page shows {len(items)} of {len(t.fields)} fields"
        page = html.unescape(str(app.jinja_env.get_template("cases/_items.html").module.items(items)))  # type: ignore[attr-defined]
        for f, item in zip(t.fields, items, strict=True):
            assert item.value == samples[f.name].shown, f"{where}.{f.name} ({lang}): shown as {item.value!r}"
            assert item.value in page, f"{where}.{f.name}: {item.value!r} not on the page"
            if item.kind == "url":
                assert f'href="{item.value}"' in page
        refilled = fields_for(s, defn, t, values=cleaned)
        for ff in refilled:
            controls = Controls(render_field(app, ff)).controls[ff.name]
            assert shows_filled_in(controls, samples[ff.name]), f"{where}.{ff.name}: the form does not show it back"
