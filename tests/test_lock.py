"""The lock file `./dev` installs from covers every declared dependency, and `holidays` is exact.

A new `holidays` release can move a legal deadline, so it changes only as a reviewed edit of
pyproject.toml and requirements.lock together (`./dev lock --upgrade-package holidays`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.lock").read_text(encoding="utf-8"), re.M)
    return {canonicalize_name(name): version for name, version in pins}


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    locked = _locked()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is declared but not in requirements.lock: run ./dev lock"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock has {req.name}=={locked[name]}, outside {req.specifier}: run ./dev lock")


def test_holidays_is_pinned_exactly_in_both_files() -> None:
    holidays = next(r for r in _declared() if canonicalize_name(r.name) == "holidays")
    pins = [s for s in holidays.specifier if s.operator == "=="]
    assert len(pins) == 1, "holidays must be pinned with == in pyproject.toml"
    assert _locked()["holidays"] == pins[0].version
