"""A case keeps the definition version it was created under; a changed file needs a new version."""

from __future__ import annotations

import re
import shutil

import pytest

from engine.cases import commands as service
from engine.errors import DefinitionError, InvalidData
from tests.support import REPORT, case_in, fire, load_case
from workflows import DEFINITIONS_DIR

CURRENT = int(re.search(r"^version = (\d+)$", (DEFINITIONS_DIR / "press_violation.toml").read_text(encoding="utf-8"),
                         re.MULTILINE).group(1))  # type: ignore[union-attr]


def write_v2(tmp_path, *, version: int = CURRENT + 1, extra_kind: bool = True):
    """A copy of the workflows folder where press_violation is changed (and maybe re-versioned)."""
    folder = tmp_path / "wf"
    folder.mkdir()
    for f in DEFINITIONS_DIR.glob("*.toml"):
        shutil.copy(f, folder / f.name)
    path = folder / "press_violation.toml"
    text = path.read_text(encoding="utf-8").replace(f"version = {CURRENT}", f"version = {version}", 1)
    if extra_kind:
        text = text.replace(
            'other = { vi = "Khác", en = "Other" }\n\n[lists.subject_types]',
            'deepfake = { vi = "Video giả mạo", en = "Deepfake video" }\n'
            'other = { vi = "Khác", en = "Other" }\n\n[lists.subject_types]',
        )
    path.write_text(text, encoding="utf-8")
    return folder


def test_old_cases_follow_their_version_and_new_cases_the_newest(org, tmp_path):
    old = case_in(org, "reported")
    recorded = org.rt.load_definitions(str(write_v2(tmp_path)))
    assert recorded == [f"press_violation v{CURRENT + 1}"]

    with org.rt.uow() as uow:
        new = service.file_report(uow, org.actor("reporter"), "press_violation", {**REPORT, "violation_kind": "deepfake"})
    assert (load_case(org, new.case_id).workflow_version, load_case(org, old.case_id).workflow_version) == (CURRENT + 1, CURRENT)

    # The old case still follows its version, where "deepfake" does not exist.
    with pytest.raises(InvalidData) as info:
        fire(org, old.case_id, "assess", "assessor",
             {"confirmed_kind": "deepfake", "severity": "low", "competent_unit": org.units["VHTT"], "assessment_note": "x"})
    assert "confirmed_kind" in info.value.errors
    assert fire(org, old.case_id, "assess", "assessor").state == "assessed"


def test_a_changed_file_under_a_loaded_version_is_refused(org, tmp_path):
    folder = write_v2(tmp_path, version=CURRENT)
    with pytest.raises(DefinitionError) as info:
        org.rt.load_definitions(str(folder))
    assert info.value.key == "workflow.version"
    assert "already loaded with different content" in info.value.problem
    assert str(folder / "press_violation.toml") in str(info.value)


def test_reloading_the_same_files_records_nothing_new(org):
    assert org.rt.load_definitions() == []


def test_a_starting_process_serves_the_recorded_version_and_reports_the_changed_file(org, tmp_path, db_url, clock):
    """What a web process does at start: it must not refuse to start over one edited file."""
    from engine.cases.uow import Runtime

    fresh = Runtime.from_url(db_url, clock=clock)
    refused: list[DefinitionError] = []
    try:
        assert fresh.load_definitions(str(write_v2(tmp_path, version=CURRENT)), refused=refused) == []
        assert [e.key for e in refused] == ["workflow.version"]
        served = fresh.registry.latest("press_violation")
        assert served.version == CURRENT and "deepfake" not in served.lists["violation_kinds"]
        assert served.path.startswith(f"<database: press_violation v{CURRENT}>")
    finally:
        fresh.engine.dispose()
