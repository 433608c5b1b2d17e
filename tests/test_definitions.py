"""Definition files are validated on load: a broken one is refused naming the file, key and problem."""

from __future__ import annotations

import re

import pytest

from engine.errors import DefinitionError
from workflows import DEFINITIONS_DIR, load_all, parse_definition

PRESS = (DEFINITIONS_DIR / "press_violation.toml").read_text(encoding="utf-8")


def test_both_shipped_definitions_load():
    names = {d.name: d for d in load_all()}
    assert set(names) >= {"press_violation", "staff_discipline"}
    press = names["press_violation"]
    assert set(press.states) == {"reported", "awaiting_info", "assessed", "handled", "published", "dismissed", "closed"}
    triggers = {t.trigger for t in press.transitions}
    assert triggers == {
        "file", "request_info", "provide_info", "assess", "dismiss", "return", "reassign",
        "record_explanation", "handle", "publish", "correct_publication", "withhold", "reopen",
    }  # fmt: skip
    assert set(names["staff_discipline"].states) == {"reported", "verified", "decided", "closed"}


def test_rules_carry_their_legal_basis():
    press = {d.name: d for d in load_all()}["press_violation"]
    assert "Nghị định 119/2020/NĐ-CP" in press.basis_text("decree_119")
    assert press.fine_ceilings["people_committee_office"]["amount"] == 50_000_000
    assert press.states["assessed"].deadline.basis == "decree_119"


def broken(old: str, new: str, count: int = 1) -> str:
    assert old in PRESS, old
    return PRESS.replace(old, new, count)


def replace_block(start_marker: str, end_marker: str, new: str) -> str:
    a = PRESS.index(start_marker)
    b = PRESS.index(end_marker, a)
    return PRESS[:a] + new + PRESS[b:]


CASES = [
    # (why, edited source, key expected in the message, words expected in the message)
    ("unknown state as a source", broken('source = ["reported"]\ndest = "awaiting_info"', 'source = ["reportd"]\ndest = "awaiting_info"'),
     "transitions[1] (request_info).source", "unknown state 'reportd'"),
    ("unknown state as a destination", broken('dest = "dismissed"', 'dest = "binned"'),
     "transitions[4] (dismiss).dest", "unknown state 'binned'"),
    ("unreachable state", broken('source = ["reported"]\ndest = "dismissed"', 'source = ["dismissed"]\ndest = "dismissed"'),
     "states.dismissed", "unreachable"),
    ("no way out and not terminal", broken('[states.published]\nlabel_vi = "Đã công khai"\nlabel_en = "Published"\nterminal = true',
                                           '[states.published]\nlabel_vi = "Đã công khai"\nlabel_en = "Published"\n'
                                           'deadline = { days = 3 }'),
     "states.published", "no way out"),
    ("role that does not exist", broken('roles = ["publisher"]\nscope = "any"\nlabel_vi = "Công khai kết quả"',
                                        'roles = ["editor"]\nscope = "any"\nlabel_vi = "Công khai kết quả"'),
     "transitions[9] (publish).roles", "role 'editor' does not exist"),
    ("duplicate trigger from one state", broken('trigger = "dismiss"', 'trigger = "assess"'),
     "transitions[4] (assess).trigger", "duplicate trigger 'assess' from state 'reported'"),
    ("unknown list for a choice", broken('choices = "severities"', 'choices = "gravities"'),
     "transitions[3] (assess).fields.severity.choices", "'gravities'"),
    ("unknown field type", broken('type = "money"', 'type = "currency"'),
     "transitions[8] (handle).fields.fine_amount.type", "unknown field type 'currency'"),
    ("unknown scope", broken('roles = ["assessor"]\nscope = "assigned_unit"', 'roles = ["assessor"]\nscope = "my_district"'),
     "transitions[1] (request_info).scope", "must be one of"),
    ("unknown scope in a list of visibility rules", broken('{ scope = "competent_unit" },', '{ scope = "nearby" },'),
     "visibility.leader[1].scope", "must be one of"),
    ("handling unit neither kept nor cleared", broken('handling_unit = "clear"', 'handling_unit = "forget"'),
     "transitions[5] (return).assign.handling_unit", "must be 'keep' or 'clear'"),
    ("confidentiality flag that is no field", broken('flag_field = "confidential"', 'flag_field = "secret"'),
     "confidentiality.flag_field", "is not a boolean field of the creating transition"),
    ("unknown guard", broken('guards = ["fine_within_ceiling", "within_limitation"]', 'guards = ["always_yes"]'),
     "transitions[8] (handle).guards", "unknown guard 'always_yes'"),
    ("unknown relation", broken('assign = { relation = "publishing" }', 'assign = { relation = "newsroom" }'),
     "transitions[8] (handle).assign.relation", "unknown relation 'newsroom'"),
    ("undefined legal basis", broken('basis = "plan_211", note = "Tiếp nhận', 'basis = "plan_999", note = "Tiếp nhận'),
     "states.reported.deadline.basis", "'plan_999'"),
    ("open state without deadline", broken('deadline = { days = 15, unit = "working", basis = "decree_119", article = "Điều 3" }\n', ''),
     "states.assessed.deadline", "missing"),
    ("bad deadline unit", broken('deadline = { days = 15, unit = "working"', 'deadline = { days = 15, unit = "lunar"'),
     "states.assessed.deadline.unit", "must be one of"),
    ("version is not a number", broken(re.search(r"^version = \d+$", PRESS, re.M).group(0), 'version = "one"'), "workflow.version", "must be a int"),
    ("reporting names an unknown trigger", broken('handled = ["handle"]', 'handled = ["decide"]'),
     "reporting.handled", "unknown trigger 'decide'"),
    ("reporting's handling state has no deadline", broken('handling_state = "assessed"', 'handling_state = "published"'),
     "reporting.handling_state", "has no deadline"),
    ("reporting names an unknown list", broken('kind_list = "violation_kinds"', 'kind_list = "kinds"'),
     "reporting.kind_list", "'kinds'"),
    ("reporting has an unknown key", broken('[reporting]\n', '[reporting]\nhandled_late = ["x"]\n'),
     "reporting.handled_late", "is not a key of [reporting]"),
    ("register shows a private field", broken('summary_field = "public_summary"', 'summary_field = "summary"'),
     "register.summary_field", "is not marked public = true"),
    ("register publishes with a trigger leading elsewhere", broken('publish = ["publish"]', 'publish = ["handle"]'),
     "register.publish", "does not lead to 'published'"),
    ("register's state is not a finished one", broken('published_state = "published"', 'published_state = "handled"'),
     "register.published_state", "must be terminal = true"),
    ("register's amount is not a number field", broken('fine = "fine_amount"', 'fine = "decision_number"'),
     "register.measure_amounts.fine", "must be of type money or integer"),
    ("explanation of an unknown state", broken('closed = { vi = "Vụ việc đã khép', 'binned = { vi = "Vụ việc đã khép'),
     "explanations.binned", "unknown state 'binned'"),
    ("missing name", broken('name = "press_violation"\n', ""), "workflow.name", "is missing"),
    ("TOML syntax error", broken("[workflow]", "[workflow"), "(syntax)", ""),
    ("required_if names an unknown field", broken('required_if = { field = "outcome"', 'required_if = { field = "result"'),
     "transitions[8] (handle).fields.measures.required_if", "'result'"),
]  # fmt: skip


@pytest.mark.parametrize("why,source,key,words", CASES, ids=[c[0] for c in CASES])
def test_a_broken_definition_is_refused_with_file_key_and_problem(why, source, key, words):
    with pytest.raises(DefinitionError) as info:
        parse_definition(source, "workflows/broken.toml")
    err = info.value
    assert err.path == "workflows/broken.toml"
    assert err.key == key, str(err)
    assert words in err.problem
    assert str(err).startswith(f"workflows/broken.toml: {key}: ")


def test_definition_checksum_follows_content():
    a = parse_definition(PRESS, "a.toml")
    b = parse_definition(PRESS.replace("Gửi phản ánh", "Gửi phản ánh mới"), "b.toml")
    assert re.fullmatch(r"[0-9a-f]{64}", a.checksum)
    assert a.checksum != b.checksum
