"""Unit types are configuration an administrator edits (workflows/org/unit_types.toml), not code: checked when
read, offered and enforced by the administration, and every definition is checked against them when loaded."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from sqlalchemy import select

from engine.errors import DefinitionError
from engine.read.projection import hidden_filer_label
from engine.store.models import Unit
from tests.support import Org
from tests.test_web_fixtures import field_error, signed_in, text
from web import create_app
from workflows import DEFINITIONS_DIR, load_all, parse_definition, unit_types
from workflows.unit_types import (
    DEFAULT_UNIT_TYPES_FILE,
    UNIT_TYPES_ENV,
    load_unit_types,
    parse_unit_types,
    unit_type_references,
)

pytest_plugins = ["tests.test_web_fixtures"]

SHIPPED = DEFAULT_UNIT_TYPES_FILE.read_text(encoding="utf-8")
PRESS = (DEFINITIONS_DIR / "press_violation.toml").read_text(encoding="utf-8")
STAFF = (DEFINITIONS_DIR / "staff_discipline.toml").read_text(encoding="utf-8")
PRESS_CLUB = 'press_club = { vi = "Câu lạc bộ báo chí", en = "Press club" }\n'


@pytest.fixture
def edited_types(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """An administrator's copy of the file, with one more type, in force through PRESSCASE_UNIT_TYPES_FILE."""
    path = tmp_path / "unit_types.toml"
    path.write_text(SHIPPED + PRESS_CLUB, encoding="utf-8")
    monkeypatch.setenv(UNIT_TYPES_ENV, str(path))
    return path


def test_the_shipped_types_carry_both_labels_and_cover_every_shipped_definition():
    types = load_unit_types()
    assert types.label("party_cell", "vi") == "Chi bộ, đảng bộ cơ sở"
    assert types.label("party_cell", "en") == "Grassroots party cell"
    assert types.label("gone_type") == "gone_type"  # a unit of a removed type shows its id
    for defn in load_all():
        named = {t for _, t in unit_type_references(defn.raw)}
        assert named and named <= set(types), defn.name


def types_file(body: str) -> str:
    return "[unit_types]\n" + body


BROKEN_FILES = [
    ("syntax", "[unit_types\n", "(syntax)", ""),
    ("no table", "# nothing\n", "unit_types", "is missing or empty"),
    ("another section", types_file(PRESS_CLUB) + "[extra]\na = 1\n", "extra", "is not understood"),
    ("a bad id", types_file('Press-Club = { vi = "A", en = "B" }\n'), "unit_types.Press-Club", "a type id is"),
    ("no English label", types_file('press_club = { vi = "Câu lạc bộ báo chí" }\n'), "unit_types.press_club.en",
     "is missing"),
    ("an empty label", types_file('press_club = { vi = " ", en = "Press club" }\n'), "unit_types.press_club.vi",
     "is missing"),
    ("an unknown key", types_file('press_club = { vi = "A", en = "B", fr = "C" }\n'), "unit_types.press_club.fr",
     "is not understood"),
    ("not a table", types_file('press_club = "Press club"\n'), "unit_types.press_club", "must be a table"),
]  # fmt: skip


@pytest.mark.parametrize("why,source,key,words", BROKEN_FILES, ids=[c[0] for c in BROKEN_FILES])
def test_a_broken_unit_types_file_is_refused_with_file_key_and_problem(why, source, key, words):
    with pytest.raises(DefinitionError) as info:
        parse_unit_types(source, "instance/unit_types.toml")
    assert (info.value.path, info.value.key) == ("instance/unit_types.toml", key), str(info.value)
    assert words in info.value.problem


UNKNOWN_TYPES = [
    ("a relation", PRESS, 'unit_type = "propaganda_department"', 'unit_type = "propaganda_dept"',
     "relations.intake.unit_type"),
    ("a transition's unit types", STAFF, 'unit_types = ["media_centre"]', 'unit_types = ["media_center"]',
     "transitions[0] (open).unit_types"),
    ("a fine ceiling", PRESS, "[fine_ceilings.police]", "[fine_ceilings.polis]", "fine_ceilings.polis"),
    ("a list a unit field draws from", PRESS, 'police = { vi = "Công an", en = "Police" }',
     'polis = { vi = "Công an", en = "Police" }', "lists.competent_unit_types.polis"),
    ("a notice", PRESS, 'notify = [{ relation = "assigned_unit" }, { relation = "intake", role = "assessor" }]',
     'notify = [{ relation = "assigned_unit" }, { unit_type = "newsroom" }]', "limitation.notify[1].unit_type"),
]  # fmt: skip


@pytest.mark.parametrize("why,source,old,new,key", UNKNOWN_TYPES, ids=[c[0] for c in UNKNOWN_TYPES])
def test_a_definition_naming_an_unknown_unit_type_is_refused(why, source, old, new, key):
    assert old in source
    with pytest.raises(DefinitionError) as info:
        parse_definition(source.replace(old, new, 1), "workflows/broken.toml")
    assert (info.value.path, info.value.key) == ("workflows/broken.toml", key), str(info.value)
    assert "unknown unit type" in info.value.problem and str(DEFAULT_UNIT_TYPES_FILE) in info.value.problem


def test_a_new_type_in_the_configuration_is_known_to_definitions_without_code(edited_types):
    source = STAFF.replace('unit_types = ["media_centre"]', 'unit_types = ["media_centre", "press_club"]')
    with pytest.raises(DefinitionError):
        parse_definition(source, "a.toml", parse_unit_types(SHIPPED, "shipped.toml"))
    assert parse_definition(source, "a.toml").transitions[0].unit_types == ("media_centre", "press_club")


def test_an_edited_file_is_read_again_without_a_restart(edited_types, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(unit_types, "RECHECK_SECONDS", 0.0)
    assert "press_club" in load_unit_types()
    edited_types.write_text(SHIPPED.replace("Grassroots party cell", "Party cell"), encoding="utf-8")
    stat = edited_types.stat()
    os.utime(edited_types, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert "press_club" not in load_unit_types()
    assert hidden_filer_label("party_cell", "en") == "Party cell"


def test_the_admin_page_offers_and_enforces_the_configured_types(edited_types, app: Flask, org: Org):
    w = signed_in(app, "admin")
    page = text(w.get("/admin/units"))
    assert '<option value="press_club">Câu lạc bộ báo chí</option>' in page
    assert "Chi bộ, đảng bộ cơ sở" in page
    r = w.post("/admin/units", {"code": "CLB", "name": "CLB Nhà báo", "type": "newsroom", "parent": ""})
    assert r.status_code == 422
    assert field_error(r, "type").startswith("Loại đơn vị không hợp lệ (party_cell,")  # type: ignore[union-attr]
    with org.rt.read_session() as s:
        assert s.scalar(select(Unit.id).where(Unit.code == "CLB")) is None
    r = w.post("/admin/units", {"code": "CLB", "name": "CLB Nhà báo", "type": "press_club", "parent": ""})
    assert r.status_code == 302
    assert "CLB Nhà báo" in text(w.get("/admin/units"))
    with org.rt.read_session() as s:
        assert s.scalar(select(Unit.type).where(Unit.code == "CLB")) == "press_club"


def test_the_command_line_takes_the_configured_types(edited_types, rt, db_url):
    cli = create_app({"TESTING": True, "RUNTIME": rt, "DATABASE_URL": db_url}).test_cli_runner()
    r = cli.invoke(args=["unit", "add", "CLB", "CLB Nhà báo", "--type", "press_club"])
    assert r.exit_code == 0, r.output
    r = cli.invoke(args=["unit", "add", "X", "Đơn vị", "--type", "newsroom"])
    assert r.exit_code == 1
    assert "error: type: Unknown type (party_cell," in r.output and "press_club" in r.output
