"""The workflow diagram drawn as SVG on the server: every state and transition, the current state marked, narrow."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import Flask

from tests.support import Org, case_in
from tests.test_web_fixtures import signed_in, text
from web.diagram import workflow_svg
from workflows.loader import load_all

pytest_plugins = ["tests.test_web_fixtures"]
SVG = "{http://www.w3.org/2000/svg}"


def _defn(name: str = "press_violation"):
    return next(d for d in load_all() if d.name == name)


def test_every_state_and_transition_is_drawn_and_the_current_state_marked():
    for defn in load_all():
        for current in defn.states:
            svg = str(workflow_svg(defn, current, "vi"))
            root = ET.fromstring(svg)  # well-formed XML
            states = {g.get("data-state"): g for g in root.iter(f"{SVG}g")}
            assert set(states) == set(defn.states)
            assert states[current].get("class") == "state current" and states[current].get("aria-current") == "step"
            assert sum(1 for g in states.values() if "current" in g.get("class", "")) == 1
            titles = " ".join(t.text or "" for t in root.iter(f"{SVG}title"))
            for t in defn.transitions:
                assert t.label("vi") in titles, t.trigger


def test_the_diagram_is_narrow_enough_for_a_phone_and_cached():
    defn = _defn()
    svg = workflow_svg(defn, "assessed", "en")
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    assert width <= 420  # scaled to 100% of a 360-px card, the text stays at least ~9 px
    assert workflow_svg(defn, "assessed", "en") is svg  # drawn once per definition version, state and language
    assert "Assessed" in svg and "Đã thẩm định" not in svg
    assert len(svg.encode()) < 12_000


def test_case_page_has_the_inline_diagram_and_no_script(app: Flask, org: Org) -> None:
    out = case_in(org, "handled")
    page = text(signed_in(app, "assessor").get(f"/cases/{out.case_id}"))
    assert '<svg class="workflow-diagram"' in page and '<g class="state current" data-state="handled"' in page
    assert "<script" not in page and "mermaid" not in page
