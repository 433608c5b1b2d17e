"""A case keeps the definition version it was created under; a changed file needs a new version."""

from __future__ import annotations

import re
import shutil

import pytest

from engine.cases import commands as service
from engine.errors import DefinitionError, InvalidData
from tests.support import REPORT, case_in, fire, load_case
from tests.workflow_driver import WORKFLOWS, definition
from tests.workflow_driver import case_in as generic_case_in
from tests.workflow_driver import file_case as generic_file_case
from tests.workflow_driver import fire_step as generic_fire
from tests.workflow_driver import paths as generic_paths
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


# ---------------------------------------------------------------- every workflow in workflows/


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_workflow_keeps_old_cases_on_their_version(org, tmp_path, name):
    """A new version of any definition: open cases stay on theirs and still move, new cases take the new one."""
    defn = definition(org, name)
    old = generic_case_in(org, name, defn.create_transition.dest)
    folder = tmp_path / "wf"
    folder.mkdir()
    for f in DEFINITIONS_DIR.glob("*.toml"):
        shutil.copy(f, folder / f.name)
    path = folder / f"{name}.toml"
    source = path.read_text(encoding="utf-8")
    bumped = re.sub(r"^version = \d+$", f"version = {defn.version + 1}", source, count=1, flags=re.MULTILINE)
    bumped = bumped.replace(f'label_en = "{defn.label_en}"', f'label_en = "{defn.label_en} (revised)"', 1)
    path.write_text(bumped, encoding="utf-8")
    assert org.rt.load_definitions(str(folder)) == [f"{name} v{defn.version + 1}"]
    new = generic_file_case(org, name)
    assert (load_case(org, old.case_id).workflow_version, load_case(org, new.case_id).workflow_version) == (
        defn.version, defn.version + 1)
    route = generic_paths(defn)
    further = max(route, key=lambda s: len(route[s]))  # the longest path: every step on the old version
    for trigger in route[further]:
        old = generic_fire(org, name, old, trigger)
    assert load_case(org, old.case_id).state == further


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_workflow_refuses_a_stale_case_version(org, name):
    """A command against a case someone changed meanwhile is refused, and nothing is written."""
    from engine.errors import StaleVersion
    from tests.workflow_driver import actor_for, data_for, load

    defn = definition(org, name)
    driven = generic_file_case(org, name)
    case = load(org, driven.case_id)
    t = defn.transitions_from(case.state)[0]
    who = actor_for(org, defn, t, case, driven.filer)
    with pytest.raises(StaleVersion), org.rt.uow() as uow:
        service.fire(uow, driven.case_id, t.trigger, who, data_for(org, defn, t), case.version - 1, confirm_unstaffed=True)
    after = load(org, driven.case_id)
    assert (after.state, after.version, after.event_count) == (case.state, case.version, case.event_count)
